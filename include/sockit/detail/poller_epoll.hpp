// SPDX-License-Identifier: MIT
// Poller's Linux backend: one epoll instance, level-triggered.
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>
#include <system_error>
#include <utility>
#include <vector>

#include <sys/epoll.h>

#include "sockit/detail/ops.hpp"
#include "sockit/detail/poller_common.hpp"

namespace sockit::detail {

/// epoll(7) behind the backend interface Poller uses: add, modify, remove, wait, ready.
class EpollBackend {
public:
    static constexpr const char* name = "epoll";

    /// A closed backend that reports at most `capacity` descriptors per wait.
    explicit EpollBackend(std::size_t capacity) : events_(capacity == 0 ? 1 : capacity) {}
    EpollBackend(EpollBackend&& other) noexcept
        : fd_(std::exchange(other.fd_, invalid_handle)), events_(std::move(other.events_)) {}
    EpollBackend& operator=(EpollBackend&& other) noexcept {
        if (this != &other) {
            close();
            fd_ = std::exchange(other.fd_, invalid_handle);
            events_ = std::move(other.events_);
        }
        return *this;
    }
    EpollBackend(const EpollBackend&) = delete;
    EpollBackend& operator=(const EpollBackend&) = delete;
    ~EpollBackend() { close(); }

    void open(std::error_code& ec) noexcept {
        fd_ = ops::check(::epoll_create1(EPOLL_CLOEXEC), ec);
        if (ec) fd_ = invalid_handle;
    }
    void close() noexcept {
        if (fd_ != invalid_handle) ::close(std::exchange(fd_, invalid_handle));
    }

    void add(native_handle_type fd, unsigned interest, std::error_code& ec) noexcept {
        control(EPOLL_CTL_ADD, fd, interest, ec);
    }
    void modify(native_handle_type fd, unsigned interest, std::error_code& ec) noexcept {
        control(EPOLL_CTL_MOD, fd, interest, ec);
    }
    /// Fails with EBADF or ENOENT if the descriptor was closed (epoll already forgot it).
    void remove(native_handle_type fd, std::error_code& ec) noexcept { control(EPOLL_CTL_DEL, fd, 0, ec); }

    /// Waits up to `timeout_ms` (negative: forever); returns how many descriptors are ready.
    std::size_t wait(int timeout_ms, std::error_code& ec) noexcept {
        int capacity = events_.size() > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(events_.size());
        int n = ops::check(::epoll_wait(fd_, events_.data(), capacity, timeout_ms), ec);
        return n > 0 ? static_cast<std::size_t>(n) : 0;
    }

    /// The `i`-th descriptor the last `wait` found ready.
    ReadyHandle ready_at(std::size_t i) const noexcept {
        const ::epoll_event& e = events_[i];
        unsigned flags = 0;
        if ((e.events & (EPOLLIN | EPOLLPRI)) != 0) flags |= ready::readable;
        if ((e.events & EPOLLOUT) != 0) flags |= ready::writable;
        if ((e.events & EPOLLHUP) != 0) flags |= ready::hangup;
        if ((e.events & EPOLLERR) != 0) flags |= ready::error;
        return {e.data.fd, flags};
    }

private:
    native_handle_type fd_ = invalid_handle;
    std::vector<::epoll_event> events_;

    void control(int op, native_handle_type fd, unsigned interest, std::error_code& ec) noexcept {
        ::epoll_event ev{};
        ev.events = ((interest & ready::readable) != 0 ? std::uint32_t{EPOLLIN} : 0U) |
                    ((interest & ready::writable) != 0 ? std::uint32_t{EPOLLOUT} : 0U);
        ev.data.fd = fd;
        ops::check(::epoll_ctl(fd_, op, fd, &ev), ec);
    }
};

} // namespace sockit::detail
