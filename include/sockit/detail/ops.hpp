// SPDX-License-Identifier: MIT
// One-to-one wrappers of the BSD socket calls. Each reports failure through a
// std::error_code and never throws; none retries or waits (that is socket.hpp's job).
#pragma once

#include <cstddef>
#include <system_error>

#include "sockit/detail/platform.hpp"

namespace sockit::detail::ops {

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
    else
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

} // namespace sockit::detail::ops
