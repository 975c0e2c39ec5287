// SPDX-License-Identifier: MIT
// Poller's portable backend: poll(2) (WSAPoll on Windows) over an array of every registered descriptor.
#pragma once

#include <cerrno>
#include <cstddef>
#include <new>
#include <system_error>
#include <vector>

#ifndef _WIN32
#include <sys/stat.h>
#endif

#include "sockit/detail/ops.hpp"
#include "sockit/detail/poller_common.hpp"

namespace sockit::detail {

/// poll(2) (WSAPoll) behind the backend interface Poller uses. Each wait scans every registered
/// descriptor; when more are ready than fit, the next wait starts where this one stopped.
///
/// poll(2) knows descriptors by number only. So that a descriptor closed while registered
/// and replaced by a new one under the same number is told from the registered one, each
/// registration keeps the identity of its file (fstat's device and inode, on POSIX).
class PollBackend {
public:
    static constexpr const char* name = "poll";

    /// A closed backend that reports at most `capacity` descriptors per wait.
    explicit PollBackend(std::size_t capacity) : ready_(capacity == 0 ? 1 : capacity) {}

    void open(std::error_code& ec) noexcept { ec.clear(); }
    void close() noexcept {
        fds_.clear();
        handles_.clear();
        position_.clear();
    }

    /// Fails with EEXIST if `fd` is registered and still the same file. A registration whose
    /// descriptor was closed (and maybe reused for another file) is replaced.
    void add(native_handle_type fd, unsigned interest, std::error_code& ec) noexcept {
        if (!is_valid_handle(fd)) {
            ec = {EBADF, std::generic_category()};
            return;
        }
        const FileId id = identify(fd, ec); // the same EBADF epoll_ctl gives for a closed descriptor
        if (ec) return;
        if (int at = find(fd); at >= 0) {
            auto i = static_cast<std::size_t>(at);
            if (fds_[i].fd != invalid_handle && handles_[i].id == id) {
                ec = {EEXIST, std::generic_category()};
                return;
            }
            fds_[i] = ops::pollfd_type{fd, events(interest), 0};
            handles_[i].id = id;
            return;
        }
        try {
            if (position_.size() <= static_cast<std::size_t>(fd))
                position_.resize(static_cast<std::size_t>(fd) + 1, -1);
            fds_.push_back(ops::pollfd_type{fd, events(interest), 0});
            handles_.push_back(Registered{fd, id});
        } catch (const std::bad_alloc&) {
            if (handles_.size() < fds_.size()) fds_.pop_back();
            ec = {ENOMEM, std::generic_category()};
            return;
        }
        position_[static_cast<std::size_t>(fd)] = static_cast<int>(fds_.size() - 1);
    }

    void modify(native_handle_type fd, unsigned interest, std::error_code& ec) noexcept {
        int at = find(fd);
        ec.clear();
        if (at < 0)
            ec = {ENOENT, std::generic_category()};
        else if (fds_[static_cast<std::size_t>(at)].fd == invalid_handle)
            ec = {EBADF, std::generic_category()}; // closed while registered
        else
            ops::check_open(fd, ec); // closed since the last wait: an error, as epoll_ctl gives
        if (!ec) fds_[static_cast<std::size_t>(at)].events = events(interest);
    }

    void remove(native_handle_type fd, std::error_code& ec) noexcept {
        int at = find(fd);
        ec.clear();
        if (at < 0) {
            ec = {ENOENT, std::generic_category()};
            return;
        }
        auto i = static_cast<std::size_t>(at);
        std::size_t last = fds_.size() - 1;
        if (i != last) {
            fds_[i] = fds_[last];
            handles_[i] = handles_[last];
            position_[static_cast<std::size_t>(handles_[i].handle)] = at;
        }
        fds_.pop_back();
        handles_.pop_back();
        position_[static_cast<std::size_t>(fd)] = -1;
        if (start_ >= fds_.size()) start_ = 0;
    }

    /// Waits up to `timeout_ms` (negative: forever); returns how many descriptors are ready.
    std::size_t wait(int timeout_ms, std::error_code& ec) noexcept {
        int n = ops::poll_many(fds_.data(), fds_.size(), timeout_ms, ec);
        std::size_t count = 0;
        if (n <= 0) return 0;
        std::size_t total = fds_.size();
        for (std::size_t k = 0; k < total; ++k) {
            std::size_t i = (start_ + k) % total;
            ops::pollfd_type& p = fds_[i];
            if (p.revents == 0) continue;
            if ((p.revents & POLLNVAL) != 0) {
                // Closed while registered: stop polling it, as epoll forgets a closed descriptor.
                p.fd = invalid_handle; // poll ignores it (WSAPoll too: it is negative as a signed number)
                continue;
            }
            if (count == ready_.size()) {
                start_ = i; // the rest are reported first next time
                return count;
            }
            ready_[count++] = {p.fd, flags(p.revents)};
        }
        return count;
    }

    /// The `i`-th descriptor the last `wait` found ready.
    ReadyHandle ready_at(std::size_t i) const noexcept { return ready_[i]; }

private:
    /// Which file a descriptor was when it was registered.
    struct FileId {
#ifndef _WIN32
        ::dev_t device = 0;
        ::ino_t inode = 0;
#endif
        bool operator==(const FileId& other) const noexcept {
#ifndef _WIN32
            return device == other.device && inode == other.inode;
#else
            (void)other;
            return true; // a socket handle has no identity to compare: the same until found closed
#endif
        }
    };
    /// The descriptor of an fds_ entry and its file.
    struct Registered {
        native_handle_type handle;
        FileId id;
    };

    std::vector<ops::pollfd_type> fds_; // what poll(2) sees; fd is invalid_handle once found closed
    std::vector<Registered> handles_;   // the registered descriptor of each fds_ entry
    std::vector<int> position_;         // descriptor -> index in fds_, or -1
    std::vector<ReadyHandle> ready_;
    std::size_t start_ = 0;

    /// The identity of `fd`'s file; EBADF if it is not open.
    static FileId identify(native_handle_type fd, std::error_code& ec) noexcept {
        FileId id;
#ifndef _WIN32
        struct ::stat st {};
        if (ops::check(::fstat(fd, &st), ec) == 0) {
            id.device = st.st_dev;
            id.inode = st.st_ino;
        }
#else
        ops::check_open(fd, ec);
#endif
        return id;
    }

    int find(native_handle_type fd) const noexcept {
        if (!is_valid_handle(fd) || static_cast<std::size_t>(fd) >= position_.size()) return -1;
        return position_[static_cast<std::size_t>(fd)];
    }
    static short events(unsigned interest) noexcept {
        return static_cast<short>(((interest & ready::readable) != 0 ? POLLIN : 0) |
                                  ((interest & ready::writable) != 0 ? POLLOUT : 0));
    }
    static unsigned flags(short revents) noexcept {
        unsigned f = 0;
        if ((revents & (POLLIN | POLLPRI)) != 0) f |= ready::readable;
        if ((revents & POLLOUT) != 0) f |= ready::writable;
        if ((revents & POLLHUP) != 0) f |= ready::hangup;
#ifdef _WIN32
        // WSAPoll reports the peer's orderly close as POLLHUP alone, where poll(2) adds POLLIN:
        // recv returns 0 at once either way.
        if ((revents & POLLHUP) != 0) f |= ready::readable;
#endif
        if ((revents & POLLERR) != 0) f |= ready::error;
        return f;
    }
};

} // namespace sockit::detail
