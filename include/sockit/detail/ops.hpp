// SPDX-License-Identifier: MIT
// One-to-one wrappers of the BSD socket calls. Each reports failure through a
// std::error_code and never throws; none retries or waits (that is socket.hpp's job).
// The calls that differ on Windows (Winsock) have their two versions in the one
// #ifdef _WIN32 block below; the others are shared.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <system_error>

#include "sockit/detail/platform.hpp"

namespace sockit::detail::ops {

inline constexpr short poll_in = POLLIN;
inline constexpr short poll_out = POLLOUT;
inline constexpr int msg_peek = MSG_PEEK;

/// Stores the result of a call that returns -1 on failure; returns `result`.
template <class T>
inline T check(T result, std::error_code& ec) noexcept {
    if (result < 0)
        ec = last_error();
    else if (ec) // a zero value is success whatever the category: skip the store when already clear
        ec.clear();
    return result;
}

#ifdef _WIN32
// Winsock: SOCKET handles, int lengths, closesocket, ioctlsocket, WSAPoll; no SIGPIPE to avoid.

inline constexpr int shut_rd = SD_RECEIVE;
inline constexpr int shut_wr = SD_SEND;
inline constexpr int shut_rdwr = SD_BOTH;

/// FIONBIO as ioctlsocket's `long` command (the macro is an unsigned long).
inline constexpr long fionbio = static_cast<long>(FIONBIO);

/// Winsock's lengths are int: larger sizes are capped, which makes a partial send or receive.
inline int int_size(std::size_t size) noexcept { return size > 0x7fffffff ? 0x7fffffff : static_cast<int>(size); }

/// A SOCKET as the kernel HANDLE it is, for the handle calls.
inline ::HANDLE as_handle(native_handle_type fd) noexcept {
    return reinterpret_cast<::HANDLE>(fd); // NOLINT(performance-no-int-to-ptr): the API's own conversion
}

/// Stores the result of a call that returns INVALID_SOCKET on failure; returns `handle`.
inline native_handle_type check_handle(native_handle_type handle, std::error_code& ec) noexcept {
    if (handle == invalid_handle)
        ec = last_error();
    else
        ec.clear();
    return handle;
}

/// WSASocketW, never inherited by child processes (Windows' close-on-exec). Starts Winsock
/// first if this is the process's first socket.
inline native_handle_type socket(int family, int type, int protocol, std::error_code& ec) noexcept {
    if (int error = network_startup()) {
        ec = native_error(error);
        return invalid_handle;
    }
    return check_handle(
        ::WSASocketW(family, type, protocol, nullptr, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT), ec);
}

/// closesocket.
inline void close(native_handle_type fd, std::error_code& ec) noexcept { check(::closesocket(fd), ec); }

/// accept; fills `addr`/`len` with the peer's address. As on POSIX, the accepted socket is
/// blocking (Winsock's inherits the listening socket's non-blocking mode) and not inherited by
/// child processes.
inline native_handle_type accept(native_handle_type fd, ::sockaddr* addr, socklen_type* len,
                                 std::error_code& ec) noexcept {
    native_handle_type accepted = check_handle(::accept(fd, addr, len), ec);
    if (ec) return accepted;
    ::u_long off = 0;
    if (::ioctlsocket(accepted, fionbio, &off) != 0) {
        ec = last_error();
    } else if (!::SetHandleInformation(as_handle(accepted), HANDLE_FLAG_INHERIT, 0)) {
        ec = native_error(static_cast<int>(::GetLastError()));
    } else {
        return accepted;
    }
    ::closesocket(accepted);
    return invalid_handle;
}

/// connect. A non-blocking connect that has started reports EINPROGRESS, as on POSIX
/// (Winsock says WSAEWOULDBLOCK).
inline void connect(native_handle_type fd, const ::sockaddr* addr, socklen_type len, std::error_code& ec) noexcept {
    check(::connect(fd, addr, len), ec);
    if (ec == std::errc::operation_would_block) ec = native_error(WSAEINPROGRESS);
}

/// send (Windows has no SIGPIPE: nothing to suppress).
inline ssize_type send(native_handle_type fd, const void* data, std::size_t size, int flags,
                       std::error_code& ec) noexcept {
    ssize_type result = check(::send(fd, static_cast<const char*>(data), int_size(size), flags), ec);
    return result;
}

/// recv.
inline ssize_type recv(native_handle_type fd, void* data, std::size_t size, int flags, std::error_code& ec) noexcept {
    ssize_type result = check(::recv(fd, static_cast<char*>(data), int_size(size), flags), ec);
    return result;
}

/// sendto.
inline ssize_type sendto(native_handle_type fd, const void* data, std::size_t size, int flags, const ::sockaddr* addr,
                         socklen_type len, std::error_code& ec) noexcept {
    ssize_type result = check(::sendto(fd, static_cast<const char*>(data), int_size(size), flags, addr, len), ec);
    return result;
}

/// recvfrom. A datagram larger than `size` fails with WSAEMSGSIZE after storing its first
/// `size` bytes and the sender; Winsock does not tell the full length, so the result is then
/// `size + 1`: larger than `size`, like the POSIX version's MSG_TRUNC result.
inline ssize_type recvfrom(native_handle_type fd, void* data, std::size_t size, int flags, ::sockaddr* addr,
                           socklen_type* len, std::error_code& ec) noexcept {
    int capacity = int_size(size);
    ssize_type result = check(::recvfrom(fd, static_cast<char*>(data), capacity, flags, addr, len), ec);
    if (ec != std::errc::message_size) return result;
    ec.clear();
    return capacity + 1;
}

/// The system's buffer descriptor for vectored I/O.
using io_buffer = ::WSABUF;
/// Points `b` at `size` bytes at `data` (capped as `int_size` does).
inline void set_io_buffer(io_buffer& b, char* data, std::size_t size) noexcept {
    b.buf = data;
    b.len = static_cast<::ULONG>(int_size(size));
}

/// WSASend over `count` buffers (sendmsg's counterpart).
inline ssize_type sendmsg(native_handle_type fd, const io_buffer* bufs, std::size_t count, int flags,
                          std::error_code& ec) noexcept {
    ::DWORD sent = 0;
    int r = ::WSASend(fd, const_cast<io_buffer*>(bufs), static_cast<::DWORD>(count), &sent, static_cast<::DWORD>(flags),
                      nullptr, nullptr);
    check(r, ec);
    return ec ? -1 : static_cast<ssize_type>(sent);
}

/// WSARecvFrom into `count` buffers (recvmsg's counterpart); `truncated` tells whether a
/// datagram did not fit (then the buffers hold its first bytes).
inline ssize_type recvmsg(native_handle_type fd, io_buffer* bufs, std::size_t count, int flags, ::sockaddr* addr,
                          socklen_type* len, bool* truncated, std::error_code& ec) noexcept {
    ::DWORD received = 0;
    auto in_out_flags = static_cast<::DWORD>(flags);
    int r = ::WSARecvFrom(fd, bufs, static_cast<::DWORD>(count), &received, &in_out_flags, addr, len, nullptr, nullptr);
    check(r, ec);
    if (truncated != nullptr) *truncated = ec == std::errc::message_size;
    if (ec == std::errc::message_size) {
        ec.clear();
        received = 0;
        for (std::size_t i = 0; i < count; ++i) received += bufs[i].len;
    }
    return ec ? -1 : static_cast<ssize_type>(received);
}

/// A monotonic clock in nanoseconds, read only when a call with a timeout has to wait.
inline std::int64_t monotonic_now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

/// Sets the send timeout (SO_SNDTIMEO, in milliseconds); `ns` <= 0 removes it. Rounded up.
inline void set_send_timeout(native_handle_type fd, std::int64_t ns, std::error_code& ec) noexcept {
    ::DWORD ms = ns > 0 ? static_cast<::DWORD>(ns / 1000000 + (ns % 1000000 != 0 ? 1 : 0)) : 0;
    check(::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, reinterpret_cast<const char*>(&ms), sizeof ms), ec);
}

/// Winsock has no per-call non-blocking flag: a socket with a timeout is non-blocking (FIONBIO).
inline constexpr int msg_dontwait = 0;

/// getsockopt.
inline void getsockopt(native_handle_type fd, int level, int name, void* value, socklen_type* len,
                       std::error_code& ec) noexcept {
    check(::getsockopt(fd, level, name, static_cast<char*>(value), len), ec);
}

/// setsockopt.
inline void setsockopt(native_handle_type fd, int level, int name, const void* value, socklen_type len,
                       std::error_code& ec) noexcept {
    check(::setsockopt(fd, level, name, static_cast<const char*>(value), len), ec);
}

/// Sets or clears non-blocking mode (ioctlsocket FIONBIO).
inline void set_nonblocking(native_handle_type fd, bool on, std::error_code& ec) noexcept {
    ::u_long mode = on ? 1 : 0;
    check(::ioctlsocket(fd, fionbio, &mode), ec);
}

/// Succeeds if `fd` is an open socket (getsockopt SO_TYPE; WSAENOTSOCK if not).
inline void check_open(native_handle_type fd, std::error_code& ec) noexcept {
    int type = 0;
    socklen_type len = sizeof type;
    getsockopt(fd, opt::sol_socket, opt::so_type, &type, &len, ec);
}

/// Winsock cannot tell whether a socket is non-blocking: false (blocking), or an error if
/// `fd` is not a socket.
inline bool is_nonblocking(native_handle_type fd, std::error_code& ec) noexcept {
    check_open(fd, ec);
    return false;
}

/// True if the socket is not inherited by child processes (Windows' close-on-exec).
inline bool close_on_exec(native_handle_type fd, std::error_code& ec) noexcept {
    ::DWORD flags = 0;
    if (!::GetHandleInformation(as_handle(fd), &flags)) {
        ec = native_error(static_cast<int>(::GetLastError()));
        return false;
    }
    ec.clear();
    return (flags & HANDLE_FLAG_INHERIT) == 0;
}

/// WSAPoll on one socket; returns the revents, or 0 when `timeout_ms` expired.
/// A negative timeout waits forever.
inline short poll_one(native_handle_type fd, short events, int timeout_ms, std::error_code& ec) noexcept {
    ::WSAPOLLFD p{fd, events, 0};
    int r = check(::WSAPoll(&p, 1, timeout_ms), ec);
    return r > 0 ? p.revents : short{0};
}

/// A socket and the events to wait for, as `poll_many` takes them.
using pollfd_type = ::WSAPOLLFD;

/// WSAPoll on several sockets; returns how many are ready (0 when `timeout_ms` expired).
inline int poll_many(pollfd_type* fds, std::size_t count, int timeout_ms, std::error_code& ec) noexcept {
    return check(::WSAPoll(fds, static_cast<::ULONG>(count), timeout_ms), ec);
}

/// A second handle for the same socket (dup's counterpart): WSADuplicateSocketW for this
/// process, then WSASocketW from its description; not inherited by child processes.
inline native_handle_type dup(native_handle_type fd, std::error_code& ec) noexcept {
    ::WSAPROTOCOL_INFOW info{};
    if (::WSADuplicateSocketW(fd, ::GetCurrentProcessId(), &info) != 0) {
        ec = last_error();
        return invalid_handle;
    }
    return check_handle(::WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &info, 0,
                                     WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT),
                        ec);
}

/// Interface names are not looked up on Windows (that needs iphlpapi): IPv6 scopes are
/// numbers there (`fe80::1%12`), so a named scope is never found.
inline unsigned interface_index(const char*) noexcept { return 0; }

/// No interface names on Windows: always nullptr, so that scopes are printed as numbers.
inline const char* interface_name(unsigned, char*) noexcept { return nullptr; }
inline constexpr std::size_t interface_name_size = 16;

/// inet_ntop.
inline const char* inet_ntop(int family, const void* addr, char* out, socklen_type size) noexcept {
    return ::inet_ntop(family, addr, out, static_cast<std::size_t>(size));
}

#else // POSIX

inline constexpr int shut_rd = SHUT_RD;
inline constexpr int shut_wr = SHUT_WR;
inline constexpr int shut_rdwr = SHUT_RDWR;

/// socket(2), always close-on-exec.
inline native_handle_type socket(int family, int type, int protocol, std::error_code& ec) noexcept {
    return check(::socket(family, type | SOCK_CLOEXEC, protocol), ec);
}

/// close(2). Never retried on EINTR: on Linux the descriptor is gone either way.
inline void close(native_handle_type fd, std::error_code& ec) noexcept { check(::close(fd), ec); }

/// accept4(2) with close-on-exec; fills `addr`/`len` with the peer's address.
inline native_handle_type accept(native_handle_type fd, ::sockaddr* addr, socklen_type* len,
                                 std::error_code& ec) noexcept {
    return check(::accept4(fd, addr, len, SOCK_CLOEXEC), ec);
}

/// connect(2).
inline void connect(native_handle_type fd, const ::sockaddr* addr, socklen_type len, std::error_code& ec) noexcept {
    check(::connect(fd, addr, len), ec);
}

/// send(2) with MSG_NOSIGNAL, so a closed peer is EPIPE, never SIGPIPE.
inline ssize_type send(native_handle_type fd, const void* data, std::size_t size, int flags,
                       std::error_code& ec) noexcept {
    return check(::send(fd, data, size, flags | MSG_NOSIGNAL), ec);
}

/// recv(2).
inline ssize_type recv(native_handle_type fd, void* data, std::size_t size, int flags, std::error_code& ec) noexcept {
    return check(::recv(fd, data, size, flags), ec);
}

/// sendto(2) with MSG_NOSIGNAL.
inline ssize_type sendto(native_handle_type fd, const void* data, std::size_t size, int flags, const ::sockaddr* addr,
                         socklen_type len, std::error_code& ec) noexcept {
    return check(::sendto(fd, data, size, flags | MSG_NOSIGNAL, addr, len), ec);
}

/// recvfrom(2) with MSG_TRUNC: the result is the datagram's full length, which may
/// exceed `size` (then only `size` bytes were stored).
inline ssize_type recvfrom(native_handle_type fd, void* data, std::size_t size, int flags, ::sockaddr* addr,
                           socklen_type* len, std::error_code& ec) noexcept {
    return check(::recvfrom(fd, data, size, flags | MSG_TRUNC, addr, len), ec);
}

/// The system's buffer descriptor for vectored I/O.
using io_buffer = ::iovec;
/// Points `b` at `size` bytes at `data`.
inline void set_io_buffer(io_buffer& b, char* data, std::size_t size) noexcept {
    b.iov_base = data;
    b.iov_len = size;
}

/// sendmsg(2) with MSG_NOSIGNAL over `count` buffers.
inline ssize_type sendmsg(native_handle_type fd, const ::iovec* bufs, std::size_t count, int flags,
                          std::error_code& ec) noexcept {
    ::msghdr msg{};
    msg.msg_iov = const_cast<::iovec*>(bufs);
    msg.msg_iovlen = count;
    return check(::sendmsg(fd, &msg, flags | MSG_NOSIGNAL), ec);
}

/// recvmsg(2) into `count` buffers; `truncated` tells whether a datagram did not fit.
inline ssize_type recvmsg(native_handle_type fd, ::iovec* bufs, std::size_t count, int flags, ::sockaddr* addr,
                          socklen_type* len, bool* truncated, std::error_code& ec) noexcept {
    ::msghdr msg{};
    msg.msg_iov = bufs;
    msg.msg_iovlen = count;
    msg.msg_name = addr;
    msg.msg_namelen = len != nullptr ? *len : 0;
    ssize_type n = check(::recvmsg(fd, &msg, flags), ec);
    if (len != nullptr) *len = msg.msg_namelen;
    if (truncated != nullptr) *truncated = (msg.msg_flags & MSG_TRUNC) != 0;
    return n;
}

/// getsockopt(2).
inline void getsockopt(native_handle_type fd, int level, int name, void* value, socklen_type* len,
                       std::error_code& ec) noexcept {
    check(::getsockopt(fd, level, name, value, len), ec);
}

/// setsockopt(2).
inline void setsockopt(native_handle_type fd, int level, int name, const void* value, socklen_type len,
                       std::error_code& ec) noexcept {
    check(::setsockopt(fd, level, name, value, len), ec);
}

/// Sets or clears O_NONBLOCK.
inline void set_nonblocking(native_handle_type fd, bool on, std::error_code& ec) noexcept {
    int flags = check(::fcntl(fd, F_GETFL, 0), ec);
    if (ec) return;
    int wanted = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    if (wanted != flags) check(::fcntl(fd, F_SETFL, wanted), ec);
}

/// Succeeds if `fd` is an open descriptor (fcntl F_GETFD; EBADF if not).
inline void check_open(native_handle_type fd, std::error_code& ec) noexcept { check(::fcntl(fd, F_GETFD, 0), ec); }

/// True if O_NONBLOCK is set.
inline bool is_nonblocking(native_handle_type fd, std::error_code& ec) noexcept {
    int flags = check(::fcntl(fd, F_GETFL, 0), ec);
    return !ec && (flags & O_NONBLOCK) != 0;
}

/// Sets the kernel's send timeout (SO_SNDTIMEO), which bounds a blocking Unix-domain
/// connect; `ns` <= 0 removes it. Rounded up to whole microseconds, never down to 0.
inline void set_send_timeout(native_handle_type fd, std::int64_t ns, std::error_code& ec) noexcept {
    ::timeval tv{};
    if (ns > 0) {
        std::int64_t us = ns / 1000 + (ns % 1000 != 0 ? 1 : 0);
        tv.tv_sec = static_cast<decltype(tv.tv_sec)>(us / 1000000);
        tv.tv_usec = static_cast<decltype(tv.tv_usec)>(us % 1000000);
    }
    check(::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), ec);
}

/// The monotonic clock in nanoseconds (vDSO, no system call), read only when a call with a
/// timeout has to wait.
inline std::int64_t monotonic_now_ns() noexcept {
    ::timespec ts; // filled by clock_gettime, which cannot fail for a monotonic clock
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

/// Makes one call non-blocking whatever the descriptor's mode (which `dup` copies share).
inline constexpr int msg_dontwait = MSG_DONTWAIT;

/// fcntl(F_DUPFD_CLOEXEC): a close-on-exec duplicate of `fd`.
inline native_handle_type dup(native_handle_type fd, std::error_code& ec) noexcept {
    return check(::fcntl(fd, F_DUPFD_CLOEXEC, 0), ec);
}

/// Reads the close-on-exec flag (for tests and diagnostics).
inline bool close_on_exec(native_handle_type fd, std::error_code& ec) noexcept {
    int flags = check(::fcntl(fd, F_GETFD, 0), ec);
    return !ec && (flags & FD_CLOEXEC) != 0;
}

/// poll(2) on one descriptor; returns the revents, or 0 when `timeout_ms` expired.
/// A negative timeout waits forever.
inline short poll_one(native_handle_type fd, short events, int timeout_ms, std::error_code& ec) noexcept {
    ::pollfd p{fd, events, 0};
    int r = check(::poll(&p, 1, timeout_ms), ec);
    return r > 0 ? p.revents : short{0};
}

/// A descriptor and the events to wait for, as `poll_many` takes them.
using pollfd_type = ::pollfd;

/// poll(2) on several descriptors; returns how many are ready (0 when `timeout_ms` expired).
inline int poll_many(pollfd_type* fds, std::size_t count, int timeout_ms, std::error_code& ec) noexcept {
    return check(::poll(fds, static_cast<::nfds_t>(count), timeout_ms), ec);
}

/// The index of the network interface called `name`, or 0 if there is none.
inline unsigned interface_index(const char* name) noexcept { return ::if_nametoindex(name); }

/// The name of interface `index` written to `out` (IF_NAMESIZE bytes), or nullptr.
inline const char* interface_name(unsigned index, char* out) noexcept { return ::if_indextoname(index, out); }
inline constexpr std::size_t interface_name_size = IF_NAMESIZE;

/// inet_ntop(3).
inline const char* inet_ntop(int family, const void* addr, char* out, socklen_type size) noexcept {
    return ::inet_ntop(family, addr, out, size);
}

#endif

/// The most buffers sockit hands to one vectored or batched call.
inline constexpr std::size_t batch_limit = 64;

/// A window of up to `batch_limit` system buffers (iovec, WSABUF) over a caller's buffer
/// sequence, starting `offset` bytes into it. Buffer types need `data` and `size` members.
class IoWindow {
public:
    template <class Buffer>
    void fill(const Buffer* bufs, std::size_t count, std::size_t offset) noexcept {
        n_ = 0;
        for (std::size_t i = 0; i < count && n_ < batch_limit; ++i) {
            if (offset >= bufs[i].size) {
                offset -= bufs[i].size;
                continue;
            }
            set_io_buffer(iov_[n_],
                          static_cast<char*>(const_cast<void*>(static_cast<const void*>(bufs[i].data))) + offset,
                          bufs[i].size - offset);
            offset = 0;
            ++n_;
        }
    }
    io_buffer* data() noexcept { return iov_; }
    std::size_t size() const noexcept { return n_; }

private:
    io_buffer iov_[batch_limit];
    std::size_t n_ = 0;
};

/**
 * Waits up to `ns` nanoseconds for `events` on `fd`; returns the revents (0: the time ran
 * out). `left` receives what was left of `ns` on return: from Linux's ppoll, which writes it
 * back itself (the system call directly: glibc's wrapper hides it), so a caller learns
 * whether it slept without reading the clock; elsewhere from two clock readings.
 */
inline short poll_for(native_handle_type fd, short events, std::int64_t ns, std::int64_t& left,
                      std::error_code& ec) noexcept {
#if defined(__linux__) && defined(SYS_ppoll) && __SIZEOF_LONG__ == 8
    ::pollfd p{fd, events, 0};
    ::timespec ts{static_cast<::time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    long r = check(::syscall(SYS_ppoll, &p, 1, &ts, nullptr, 8), ec);
    left = static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
    return r > 0 ? p.revents : short{0};
#else
    const std::int64_t start = monotonic_now_ns();
    const std::int64_t ms = ns / 1000000 + (ns % 1000000 != 0 ? 1 : 0); // up: never wake early
    short revents = poll_one(fd, events, ms > 0x7fffffff ? 0x7fffffff : static_cast<int>(ms), ec);
    const std::int64_t spent = monotonic_now_ns() - start;
    left = spent >= ns ? 0 : ns - spent;
    return revents;
#endif
}

/// Sleeps about `ms` milliseconds (a signal may end it sooner): for waits that readiness cannot
/// tell, such as room in an unconnected Unix-domain datagram socket's receiver.
inline void pause_ms(int ms) noexcept {
#ifdef _WIN32
    ::Sleep(static_cast<DWORD>(ms));
#else
    ::poll(nullptr, 0, ms);
#endif
}

/// bind(2).
inline void bind(native_handle_type fd, const ::sockaddr* addr, socklen_type len, std::error_code& ec) noexcept {
    check(::bind(fd, addr, len), ec);
}

/// listen(2).
inline void listen(native_handle_type fd, int backlog, std::error_code& ec) noexcept {
    check(::listen(fd, backlog), ec);
}

/// getsockname(2).
inline void getsockname(native_handle_type fd, ::sockaddr* addr, socklen_type* len, std::error_code& ec) noexcept {
    check(::getsockname(fd, addr, len), ec);
}

/// getpeername(2).
inline void getpeername(native_handle_type fd, ::sockaddr* addr, socklen_type* len, std::error_code& ec) noexcept {
    check(::getpeername(fd, addr, len), ec);
}

/// shutdown(2).
inline void shutdown(native_handle_type fd, int how, std::error_code& ec) noexcept { check(::shutdown(fd, how), ec); }

/// inet_pton(3): 1 on success, 0 if `text` is not an address of `family`.
inline int inet_pton(int family, const char* text, void* out) noexcept { return ::inet_pton(family, text, out); }

/// getaddrinfo(3) for stream sockets of `family` (0 for any); calls `visit(addr, len)` on each
/// result in order. Failures are in resolver_category() (or the system's, for EAI_SYSTEM).
template <class Visit>
inline void getaddrinfo(const char* host, int family, const std::error_category& resolver, Visit&& visit,
                        std::error_code& ec) {
    if (int error = network_startup()) {
        ec = native_error(error);
        return;
    }
    ::addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    ::addrinfo* list = nullptr;
    int rc = ::getaddrinfo(host, nullptr, &hints, &list);
    if (rc != 0) {
        if (is_resolver_system_error(rc))
            ec = last_error();
        else
            ec = std::error_code(rc, resolver);
        return;
    }
    ec.clear();
    struct Free {
        ::addrinfo* p;
        ~Free() { ::freeaddrinfo(p); }
    } guard{list};
    for (::addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) visit(ai->ai_addr, ai->ai_addrlen);
}

} // namespace sockit::detail::ops
