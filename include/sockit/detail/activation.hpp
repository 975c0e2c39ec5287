// SPDX-License-Identifier: MIT
// The environment of the socket-activation protocol (systemd's sd_listen_fds(3)): which
// descriptors a service manager passed to this process, and their names.
#pragma once

#include <cstdlib>
#include <string>
#include <system_error>

#include "sockit/detail/platform.hpp"

namespace sockit::detail {

/// The first descriptor a service manager passes (SD_LISTEN_FDS_START).
inline constexpr int listen_fds_start = 3;

/// The environment variable `name`, or null.
inline const char* environment(const char* name) noexcept { return std::getenv(name); }

/// This process's id, as LISTEN_PID names it (0 where processes have no such id).
inline long process_id() noexcept {
#ifdef _WIN32
    return 0;
#else
    return static_cast<long>(::getpid());
#endif
}

/// Marks descriptor `fd` close-on-exec (as sd_listen_fds does), or sets `ec` if it is not open.
inline void set_close_on_exec(int fd, std::error_code& ec) noexcept {
#ifdef _WIN32
    (void)fd;
    ec = std::make_error_code(std::errc::function_not_supported);
#else
    int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
        ec = last_error();
    else
        ec.clear();
#endif
}

/// Removes LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES from the environment, so that child
/// processes do not take them for theirs.
inline void unset_listen_environment() noexcept {
#ifndef _WIN32
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
#endif
}

} // namespace sockit::detail
