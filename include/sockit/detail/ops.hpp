// SPDX-License-Identifier: MIT
// One-to-one wrappers of the BSD socket calls. Each reports failure through a
// std::error_code and never throws; none retries or waits (that is socket.hpp's job).
#pragma once

#include <cstddef>
#include <cstdint>
#include <system_error>

#include "sockit/detail/platform.hpp"

namespace sockit {
namespace detail {
namespace ops {

inline constexpr short poll_in = POLLIN;
inline constexpr short poll_out = POLLOUT;
inline constexpr int shut_rd = SHUT_RD;
inline constexpr int shut_wr = SHUT_WR;
inline constexpr int shut_rdwr = SHUT_RDWR;
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

/// socket(2), always close-on-exec.
inline native_handle_type socket(int family, int type, int protocol, std::error_code& ec) noexcept {
    return check(::socket(family, type | SOCK_CLOEXEC, protocol), ec);
}

/// close(2). Never retried on EINTR: on Linux the descriptor is gone either way.
inline void close(native_handle_type fd, std::error_code& ec) noexcept { check(::close(fd), ec); }

/// bind(2).
inline void bind(native_handle_type fd, const ::sockaddr* addr, socklen_type len, std::error_code& ec) noexcept {
    check(::bind(fd, addr, len), ec);
}

/// listen(2).
inline void listen(native_handle_type fd, int backlog, std::error_code& ec) noexcept { check(::listen(fd, backlog), ec); }

/// accept4(2) with close-on-exec; fills `addr`/`len` with the peer's address.
inline native_handle_type accept(native_handle_type fd, ::sockaddr* addr, socklen_type* len, std::error_code& ec) noexcept {
    return check(::accept4(fd, addr, len, SOCK_CLOEXEC), ec);
}

/// connect(2).
inline void connect(native_handle_type fd, const ::sockaddr* addr, socklen_type len, std::error_code& ec) noexcept {
    check(::connect(fd, addr, len), ec);
}

/// send(2) with MSG_NOSIGNAL, so a closed peer is EPIPE, never SIGPIPE.
inline ssize_type send(native_handle_type fd, const void* data, std::size_t size, int flags, std::error_code& ec) noexcept {
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

/// The most buffers sockit hands to one vectored or batched call.
inline constexpr std::size_t batch_limit = 64;

/// A window of up to `batch_limit` system buffers (iovec) over a caller's buffer sequence,
/// starting `offset` bytes into it. Buffer types need `data` and `size` members.
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
            iov_[n_].iov_base = static_cast<char*>(const_cast<void*>(static_cast<const void*>(bufs[i].data))) + offset;
            iov_[n_].iov_len = bufs[i].size - offset;
            offset = 0;
            ++n_;
        }
    }
    ::iovec* data() noexcept { return iov_; }
    std::size_t size() const noexcept { return n_; }

private:
    ::iovec iov_[batch_limit];
    std::size_t n_ = 0;
};

/// getsockname(2).
inline void getsockname(native_handle_type fd, ::sockaddr* addr, socklen_type* len, std::error_code& ec) noexcept {
    check(::getsockname(fd, addr, len), ec);
}

/// getpeername(2).
inline void getpeername(native_handle_type fd, ::sockaddr* addr, socklen_type* len, std::error_code& ec) noexcept {
    check(::getpeername(fd, addr, len), ec);
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

/// shutdown(2).
inline void shutdown(native_handle_type fd, int how, std::error_code& ec) noexcept { check(::shutdown(fd, how), ec); }

/// Sets or clears O_NONBLOCK.
inline void set_nonblocking(native_handle_type fd, bool on, std::error_code& ec) noexcept {
    int flags = check(::fcntl(fd, F_GETFL, 0), ec);
    if (ec) return;
    int wanted = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    if (wanted != flags) check(::fcntl(fd, F_SETFL, wanted), ec);
}

/// True if O_NONBLOCK is set.
inline bool is_nonblocking(native_handle_type fd, std::error_code& ec) noexcept {
    int flags = check(::fcntl(fd, F_GETFL, 0), ec);
    return !ec && (flags & O_NONBLOCK) != 0;
}

/// Sets the kernel's receive and send timeouts (SO_RCVTIMEO, SO_SNDTIMEO) of a blocking
/// socket; `ns` <= 0 removes them. Rounded up to whole microseconds, never down to 0.
inline void set_io_timeouts(native_handle_type fd, std::int64_t ns, std::error_code& ec) noexcept {
    ::timeval tv{};
    if (ns > 0) {
        std::int64_t us = (ns + 999) / 1000;
        tv.tv_sec = static_cast<decltype(tv.tv_sec)>(us / 1000000);
        tv.tv_usec = static_cast<decltype(tv.tv_usec)>(us % 1000000);
    }
    check(::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), ec);
    if (!ec) check(::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), ec);
}

/// A cheap monotonic clock in nanoseconds (CLOCK_MONOTONIC_COARSE where available: a few
/// instructions, resolution of a scheduler tick), used to keep a call's deadline.
inline std::int64_t coarse_now_ns() noexcept {
    ::timespec ts{};
#ifdef CLOCK_MONOTONIC_COARSE
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
#else
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

/// fcntl(F_DUPFD_CLOEXEC): a close-on-exec duplicate of `fd`.
inline native_handle_type dup(native_handle_type fd, std::error_code& ec) noexcept {
    return check(::fcntl(fd, F_DUPFD_CLOEXEC, 0), ec);
}

/// The resolution of coarse_now_ns() in nanoseconds (a scheduler tick; 1 if unknown).
inline std::int64_t coarse_resolution_ns() noexcept {
    ::timespec ts{};
#ifdef CLOCK_MONOTONIC_COARSE
    if (::clock_getres(CLOCK_MONOTONIC_COARSE, &ts) != 0) return 1;
#else
    if (::clock_getres(CLOCK_MONOTONIC, &ts) != 0) return 1;
#endif
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
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
    return r > 0 ? p.revents : 0;
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

/// inet_pton(3): 1 on success, 0 if `text` is not an address of `family`.
inline int inet_pton(int family, const char* text, void* out) noexcept { return ::inet_pton(family, text, out); }

/// inet_ntop(3).
inline const char* inet_ntop(int family, const void* addr, char* out, socklen_type size) noexcept {
    return ::inet_ntop(family, addr, out, size);
}

/// getaddrinfo(3) for stream sockets of `family` (0 for any); calls `visit(addr, len)` on each
/// result in order. Failures are in resolver_category() (or errno for EAI_SYSTEM).
template <class Visit>
inline void getaddrinfo(const char* host, int family, const std::error_category& resolver, Visit&& visit,
                        std::error_code& ec) {
    ::addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    ::addrinfo* list = nullptr;
    int rc = ::getaddrinfo(host, nullptr, &hints, &list);
    if (rc != 0) {
        if (rc == EAI_SYSTEM)
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

} // namespace ops
} // namespace detail
} // namespace sockit
