// SPDX-License-Identifier: MIT
// Descriptor: the owner of one descriptor of any kind, as descriptor passing (recv_fds) gives them.
#pragma once

#include <utility>

#include "sockit/detail/ops.hpp"

namespace sockit {

/// An owned descriptor of any kind (a socket, a file, a pipe), as received by `recv_fds`:
/// closed when destroyed unless released.
class Descriptor {
public:
    /// The system's handle type (`int` on POSIX).
    using native_handle_type = detail::native_handle_type;

    /// Owns nothing.
    Descriptor() noexcept = default;
    /// Takes ownership of `fd`.
    explicit Descriptor(native_handle_type fd) noexcept : fd_(fd) {}
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    /// Takes `other`'s descriptor.
    Descriptor(Descriptor&& other) noexcept : fd_(other.release()) {}
    /// Closes this descriptor and takes `other`'s.
    Descriptor& operator=(Descriptor&& other) noexcept {
        if (this != &other) {
            close();
            fd_ = other.release();
        }
        return *this;
    }
    /// Closes the descriptor.
    ~Descriptor() { close(); }

    /// The descriptor (still owned), or -1.
    native_handle_type native_handle() const noexcept { return fd_; }
    /// The descriptor (still owned), or -1.
    [[deprecated("use native_handle()")]] native_handle_type get() const noexcept { return fd_; }
    /// True if a descriptor is owned.
    bool is_open() const noexcept { return fd_ != detail::invalid_handle; }
    /// True if a descriptor is owned.
    explicit operator bool() const noexcept { return is_open(); }
    /// Gives up ownership and returns the descriptor.
    native_handle_type release() noexcept { return std::exchange(fd_, detail::invalid_handle); }
    /// Closes the descriptor (errors ignored: the descriptor is gone either way).
    void close() noexcept {
        if (fd_ == detail::invalid_handle) return;
        std::error_code ignored;
        detail::ops::close(release(), ignored);
    }

private:
    native_handle_type fd_ = detail::invalid_handle;
};

} // namespace sockit
