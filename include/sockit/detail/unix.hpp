// SPDX-License-Identifier: MIT
// Unix-domain sockets: the system's sockaddr_un, socketpair, socket files, and descriptor
// passing (SCM_RIGHTS). Like ops.hpp: one-to-one wrappers reporting through std::error_code.
#pragma once

#include <cstddef>
#include <cstring>
#include <system_error>

#include "sockit/detail/ops.hpp"

#ifdef _WIN32
#include <afunix.h>
#else
#include <sys/stat.h>
#include <sys/un.h>
#endif

namespace sockit::detail {

inline constexpr int af_unix = AF_UNIX;
/// The system's Unix-domain socket address.
using sockaddr_un_type = ::sockaddr_un;
/// Bytes of `sun_path`.
inline constexpr std::size_t unix_path_capacity = sizeof(::sockaddr_un::sun_path);
/// Offset of `sun_path` in the address: an address of exactly this size is unnamed.
inline constexpr std::size_t unix_path_offset = offsetof(::sockaddr_un, sun_path);

namespace ops {

/// The most descriptors one message carries (Linux's SCM_MAX_FD).
inline constexpr std::size_t max_fds_per_message = 253;

/// What `recv_fds` found besides the data.
struct ReceivedControl {
    std::size_t fd_count = 0;       ///< descriptors stored in the caller's array
    bool control_truncated = false; ///< MSG_CTRUNC: more descriptors were sent than there was room for
    bool data_truncated = false;    ///< MSG_TRUNC: a datagram larger than the buffer
};

#ifdef _WIN32
// Windows 10 has AF_UNIX stream sockets bound to paths (socket, bind, listen, accept, connect,
// send and recv are the shared calls); it has no socketpair, no descriptor passing and no peer
// credentials, which report operation_not_supported here.

/// The error of a Unix-domain call that Windows does not have.
inline std::error_code unix_not_supported() noexcept {
    return std::make_error_code(std::errc::operation_not_supported);
}

/// No socketpair on Windows: operation_not_supported.
inline void socketpair(int, native_handle_type (&fds)[2], std::error_code& ec) noexcept {
    fds[0] = fds[1] = invalid_handle;
    ec = unix_not_supported();
}

/// The identity of a file (volume serial number and file index), to tell whether a path still names it.
struct FileId {
    unsigned long long dev = 0;
    unsigned long long ino = 0;
    bool valid = false;
    bool operator==(const FileId& o) const noexcept { return valid && o.valid && dev == o.dev && ino == o.ino; }
};

/// The identity of the file at `path` (not following a reparse point), and whether it is a
/// socket file (Windows makes those reparse points).
inline FileId socket_file(const char* path, bool* is_socket) noexcept {
    FileId id;
    if (is_socket != nullptr) *is_socket = false;
    ::HANDLE h = ::CreateFileA(path, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                               nullptr, OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS,
                               nullptr);
    if (h == INVALID_HANDLE_VALUE) return id;
    ::BY_HANDLE_FILE_INFORMATION info{};
    if (::GetFileInformationByHandle(h, &info)) {
        id.dev = info.dwVolumeSerialNumber;
        id.ino = (static_cast<unsigned long long>(info.nFileIndexHigh) << 32) | info.nFileIndexLow;
        id.valid = true;
        if (is_socket != nullptr) *is_socket = (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0;
    }
    ::CloseHandle(h);
    return id;
}

/// DeleteFileA (unlink's counterpart).
inline void unlink(const char* path, std::error_code& ec) noexcept {
    if (::DeleteFileA(path))
        ec.clear();
    else
        ec = std::error_code(static_cast<int>(::GetLastError()), std::system_category());
}

/// No peer credentials on Windows: operation_not_supported.
inline void peer_credentials(native_handle_type, long& pid, unsigned long& uid, unsigned long& gid,
                             std::error_code& ec) noexcept {
    pid = -1;
    uid = gid = 0;
    ec = unix_not_supported();
}

/// No descriptor passing on Windows: operation_not_supported.
inline ssize_type send_fds(native_handle_type, const void*, std::size_t, const native_handle_type*, std::size_t,
                           const ::sockaddr*, socklen_type, int, std::error_code& ec) noexcept {
    ec = unix_not_supported();
    return -1;
}

/// No descriptor passing on Windows: operation_not_supported.
inline ssize_type recv_fds(native_handle_type, void*, std::size_t, native_handle_type*, std::size_t, ::sockaddr*,
                           socklen_type*, ReceivedControl& out, int, std::error_code& ec) noexcept {
    out = ReceivedControl{};
    ec = unix_not_supported();
    return -1;
}

#else // POSIX

/// socketpair(2), both ends close-on-exec.
inline void socketpair(int type, native_handle_type (&fds)[2], std::error_code& ec) noexcept {
    check(::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds), ec);
}

/// The identity of a file (device and inode), to tell whether a path still names it.
struct FileId {
    ::dev_t dev = 0;
    ::ino_t ino = 0;
    bool valid = false;
    bool operator==(const FileId& o) const noexcept { return valid && o.valid && dev == o.dev && ino == o.ino; }
};

/// lstat(2) of a path that should be a socket file: its identity, and whether it is a socket.
inline FileId socket_file(const char* path, bool* is_socket) noexcept {
    struct ::stat st {};
    FileId id;
    if (::lstat(path, &st) != 0) {
        if (is_socket != nullptr) *is_socket = false;
        return id;
    }
    id.dev = st.st_dev;
    id.ino = st.st_ino;
    id.valid = true;
    if (is_socket != nullptr) *is_socket = S_ISSOCK(st.st_mode);
    return id;
}

/// unlink(2).
inline void unlink(const char* path, std::error_code& ec) noexcept { check(::unlink(path), ec); }

/// The process, user and group of a connected Unix-domain peer (SO_PEERCRED on Linux,
/// getpeereid elsewhere, where the process is unknown: -1).
inline void peer_credentials(native_handle_type fd, long& pid, unsigned long& uid, unsigned long& gid,
                             std::error_code& ec) noexcept {
#ifdef SO_PEERCRED
    ::ucred cred{};
    socklen_type len = sizeof cred;
    check(::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len), ec);
    pid = cred.pid;
    uid = cred.uid;
    gid = cred.gid;
#else
    ::uid_t u = 0;
    ::gid_t g = 0;
    check(::getpeereid(fd, &u, &g), ec);
    pid = -1;
    uid = u;
    gid = g;
#endif
}

/// sendmsg(2) of `size` bytes with `count` descriptors attached (SCM_RIGHTS), to `to` if given.
inline ssize_type send_fds(native_handle_type fd, const void* data, std::size_t size, const native_handle_type* fds,
                           std::size_t count, const ::sockaddr* to, socklen_type to_len, int flags,
                           std::error_code& ec) noexcept {
    alignas(::cmsghdr) char control[CMSG_SPACE(sizeof(native_handle_type) * max_fds_per_message)];
    ::iovec iov{const_cast<void*>(data), size};
    ::msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_name = const_cast<::sockaddr*>(to);
    msg.msg_namelen = to != nullptr ? to_len : 0;
    if (count > 0) {
        std::memset(control, 0, sizeof control);
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(native_handle_type) * count);
        ::cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(native_handle_type) * count);
        std::memcpy(CMSG_DATA(c), fds, sizeof(native_handle_type) * count);
    }
    return check(::sendmsg(fd, &msg, flags | MSG_NOSIGNAL), ec);
}

/// recvmsg(2) with room for `capacity` descriptors, received close-on-exec (MSG_CMSG_CLOEXEC)
/// into `fds`; the sender's address goes to `from` if given. The caller owns every stored
/// descriptor, whatever the flags say.
inline ssize_type recv_fds(native_handle_type fd, void* data, std::size_t size, native_handle_type* fds,
                           std::size_t capacity, ::sockaddr* from, socklen_type* from_len, ReceivedControl& out,
                           int flags, std::error_code& ec) noexcept {
    alignas(::cmsghdr) char control[CMSG_SPACE(sizeof(native_handle_type) * max_fds_per_message)];
    if (capacity > max_fds_per_message) capacity = max_fds_per_message;
    ::iovec iov{data, size};
    ::msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_name = from;
    msg.msg_namelen = from_len != nullptr ? *from_len : 0;
    if (capacity > 0) {
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(native_handle_type) * capacity);
    }
    out = ReceivedControl{};
    ssize_type n = check(::recvmsg(fd, &msg, flags | MSG_CMSG_CLOEXEC), ec);
    if (n < 0) return n;
    if (from_len != nullptr) *from_len = msg.msg_namelen;
    for (::cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        std::size_t bytes = c->cmsg_len - CMSG_LEN(0);
        std::size_t k = bytes / sizeof(native_handle_type);
        for (std::size_t i = 0; i < k; ++i) {
            native_handle_type received;
            std::memcpy(&received, CMSG_DATA(c) + i * sizeof(native_handle_type), sizeof received);
            if (out.fd_count < capacity) {
                fds[out.fd_count++] = received;
            } else {
                ::close(received); // cannot happen with the control buffer sized above; never leak
                out.control_truncated = true;
            }
        }
    }
    if ((msg.msg_flags & MSG_CTRUNC) != 0) out.control_truncated = true;
    if ((msg.msg_flags & MSG_TRUNC) != 0) out.data_truncated = true;
    return n;
}

#endif

} // namespace ops
} // namespace sockit::detail
