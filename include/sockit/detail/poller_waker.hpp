// SPDX-License-Identifier: MIT
// The descriptor that wakes a Poller from another thread or a signal handler:
// an eventfd on Linux, a non-blocking self-pipe elsewhere (or with SOCKIT_POLLER_USE_POLL),
// and on Windows, where WSAPoll takes only sockets, a UDP socket connected to itself.
#pragma once

#include <cerrno>
#include <cstdint>
#include <system_error>
#include <utility>

#ifndef _WIN32
#include <fcntl.h>
#include <unistd.h>
#endif

#include "sockit/detail/ops.hpp"
#include "sockit/detail/poller_common.hpp"

#ifdef SOCKIT_DETAIL_POLLER_EPOLL
#include <sys/eventfd.h>
#define SOCKIT_DETAIL_WAKER_EVENTFD 1
#endif

namespace sockit::detail {
inline namespace SOCKIT_DETAIL_POLLER_ABI { // an eventfd or a pipe: see poller_common.hpp

/// A readable descriptor that `wake` makes ready and `drain` makes quiet again.
/// `wake` is one write(2): safe from any thread and from a signal handler, and it leaves
/// errno as it found it (a handler must not change it under the code it interrupted).
class Waker {
public:
    Waker() noexcept = default;
    Waker(Waker&& other) noexcept
        : read_(std::exchange(other.read_, invalid_handle)), write_(std::exchange(other.write_, invalid_handle)) {}
    Waker& operator=(Waker&& other) noexcept {
        if (this != &other) {
            close();
            read_ = std::exchange(other.read_, invalid_handle);
            write_ = std::exchange(other.write_, invalid_handle);
        }
        return *this;
    }
    Waker(const Waker&) = delete;
    Waker& operator=(const Waker&) = delete;
    ~Waker() { close(); }

#ifdef SOCKIT_DETAIL_WAKER_EVENTFD
    void open(std::error_code& ec) noexcept {
        read_ = write_ = ops::check(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), ec);
        if (ec) read_ = write_ = invalid_handle;
    }
    void wake(std::error_code& ec) const noexcept {
        std::uint64_t one = 1;
        write_all(&one, sizeof one, ec);
    }
    void drain() const noexcept {
        std::uint64_t count = 0;
        while (::read(read_, &count, sizeof count) < 0 && errno == EINTR) {}
    }
#elif defined(_WIN32)
    /// A non-blocking UDP socket on 127.0.0.1 connected to its own port: one socket reads and writes.
    void open(std::error_code& ec) noexcept {
        read_ = write_ = ops::socket(af_inet, sock_dgram, 0, ec);
        if (ec) {
            read_ = write_ = invalid_handle;
            return;
        }
        ::sockaddr_in self{};
        self.sin_family = AF_INET;
        self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_type len = sizeof self;
        auto* addr = reinterpret_cast<::sockaddr*>(&self);
        ops::bind(read_, addr, len, ec);
        if (!ec) ops::getsockname(read_, addr, &len, ec);
        if (!ec) ops::connect(read_, addr, len, ec);
        if (!ec) ops::set_nonblocking(read_, true, ec);
        if (ec) close();
    }
    void wake(std::error_code& ec) const noexcept {
        const int saved_errno = errno;
        char one = 1;
        ops::send(write_, &one, 1, 0, ec);
        if (is_would_block(ec)) ec.clear(); // a full buffer means a wake-up is already pending
        errno = saved_errno;
    }
    void drain() const noexcept {
        char buf[64];
        std::error_code ec;
        while (ops::recv(read_, buf, sizeof buf, 0, ec) > 0) {}
    }
#else
    void open(std::error_code& ec) noexcept {
        int fds[2];
        ops::check(::pipe(fds), ec);
        if (ec) return;
        read_ = fds[0];
        write_ = fds[1];
        for (int fd : fds) {
            ops::check(::fcntl(fd, F_SETFD, FD_CLOEXEC), ec);
            if (!ec) ops::set_nonblocking(fd, true, ec);
            if (ec) {
                close();
                return;
            }
        }
    }
    void wake(std::error_code& ec) const noexcept {
        char one = 1;
        write_all(&one, 1, ec);
    }
    void drain() const noexcept {
        char buf[64];
        for (;;) {
            auto n = ::read(read_, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < static_cast<::ssize_t>(sizeof buf)) return;
        }
    }
#endif

    native_handle_type read_handle() const noexcept { return read_; }

    void close() noexcept {
        std::error_code ignored;
        if (write_ != invalid_handle && write_ != read_) ops::close(write_, ignored);
        if (read_ != invalid_handle) ops::close(read_, ignored);
        read_ = write_ = invalid_handle;
    }

private:
    native_handle_type read_ = invalid_handle;
    native_handle_type write_ = invalid_handle;

#ifndef _WIN32
    /// Writes the wake-up token; a full pipe or counter means a wake-up is already pending.
    /// errno is restored: a full pipe sets it to EAGAIN, which is no error here.
    void write_all(const void* data, std::size_t size, std::error_code& ec) const noexcept {
        const int saved_errno = errno;
        for (;;) {
            ops::check(::write(write_, data, size), ec);
            if (ec.value() == EINTR) continue;
            if (is_would_block(ec)) ec.clear();
            errno = saved_errno;
            return;
        }
    }
#endif
};

} // namespace SOCKIT_DETAIL_POLLER_ABI
} // namespace sockit::detail
