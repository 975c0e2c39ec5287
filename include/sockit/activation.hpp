// SPDX-License-Identifier: MIT
#pragma once

#include <charconv>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "sockit/detail/activation.hpp"
#include "sockit/detail/throwing.hpp"
#include "sockit/error.hpp"
#include "sockit/socket.hpp"

namespace sockit {

/// A socket a service manager passed to this process, and the name it gave it.
struct PassedSocket {
    Socket socket;    ///< owns the descriptor (close-on-exec)
    std::string name; ///< from LISTEN_FDNAMES (systemd's FileDescriptorName=), or "unknown"
};

namespace detail {
/// `text` as a non-negative decimal number no larger than `max`, or -1.
inline long parse_count(const char* text, long max) noexcept {
    if (text == nullptr || *text == '\0') return -1;
    std::string_view s(text);
    long value = -1;
    auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (error != std::errc() || end != s.data() + s.size() || value < 0 || value > max) return -1;
    return value;
}

/// `passed_sockets` with the reason for a refusal in `why`.
inline std::vector<PassedSocket> passed_sockets(std::error_code& ec, bool unset_environment, std::string& why) {
    std::vector<PassedSocket> out;
    ec.clear();
    const char* pid = environment("LISTEN_PID");
    const char* fds = environment("LISTEN_FDS");
    const char* names = environment("LISTEN_FDNAMES");
    if (pid == nullptr) return out; // not socket-activated
    const long pid_value = parse_count(pid, 1L << 30);
    if (pid_value != process_id()) {
        if (pid_value < 0) {
            ec = make_error_code(Errc::invalid_argument);
            why = "LISTEN_PID '" + std::string(pid) + "': not a process id";
        }
        return out; // the variables are another process's (a parent's, say)
    }
    const long count = parse_count(fds, 1L << 16);
    if (count < 0) {
        ec = make_error_code(Errc::invalid_argument);
        why = "LISTEN_FDS '" + std::string(fds ? fds : "") + "': not a number of descriptors";
        return out;
    }
    std::vector<std::string> given;
    if (names != nullptr) {
        std::string_view rest(names);
        for (bool more = !rest.empty(); more;) { // "" holds no names (as systemd reads it), not one empty one
            auto colon = rest.find(':');
            given.emplace_back(rest.substr(0, colon));
            more = colon != std::string_view::npos;
            if (more) rest.remove_prefix(colon + 1);
        }
        if (static_cast<long>(given.size()) != count) {
            ec = make_error_code(Errc::invalid_argument);
            why = "LISTEN_FDNAMES '" + std::string(names) + "': " + std::to_string(given.size()) + " names for " +
                  std::to_string(count) + " descriptors";
            return out;
        }
    }
    for (long i = 0; i < count; ++i) {
        const int fd = listen_fds_start + static_cast<int>(i);
        set_close_on_exec(fd, ec);
        if (ec) {
            why = "LISTEN_FDS: descriptor " + std::to_string(fd);
            for (PassedSocket& p : out) static_cast<void>(p.socket.release()); // the caller's to look at again
            out.clear();
            return out;
        }
        out.push_back({Socket::from_fd(static_cast<Socket::native_handle_type>(fd)),
                       names != nullptr ? given[static_cast<std::size_t>(i)] : "unknown"});
    }
    if (unset_environment) unset_listen_environment();
    return out;
}
} // namespace detail

/**
 * The sockets a service manager (systemd, or any that speaks its protocol) passed to this
 * process: descriptors 3, 4, … as LISTEN_FDS counts them, each with its LISTEN_FDNAMES name,
 * made close-on-exec, in order. Empty if LISTEN_PID is absent or names another process (the
 * variables were inherited, not meant for this one). With `unset_environment` (the default)
 * the variables are removed, so that child processes do not take them for theirs; that changes
 * the environment, which is not thread-safe: call it early in `main`. Call it once: without
 * `unset_environment`, a second call gives a second owner of each descriptor, and the first of
 * the two to go closes it under the other.
 *
 * Hand each to the class it is with `TcpServer::adopt`, `UdpSocket::adopt` or
 * `UnixServer::adopt`, which check its type, family and listening state:
 * @code
 * for (sockit::PassedSocket& p : sockit::passed_sockets())
 *     if (p.name == "web") server = sockit::TcpServer::adopt(std::move(p.socket));
 * @endcode
 * A malformed LISTEN_PID, LISTEN_FDS or LISTEN_FDNAMES, or a passed descriptor that is not open,
 * sets `ec` (`Errc::invalid_argument`, or the system's error) and returns nothing. On Windows,
 * where no service manager passes sockets this way, the list is empty.
 */
inline std::vector<PassedSocket> passed_sockets(std::error_code& ec, bool unset_environment = true) noexcept {
    return detail::or_no_memory<std::vector<PassedSocket>>(ec, [&] {
        std::string why;
        return detail::passed_sockets(ec, unset_environment, why);
    });
}

/// The sockets a service manager passed to this process (see above). @throws Error naming the
/// variable or descriptor at fault ("LISTEN_FDS 'x': not a number of descriptors").
inline std::vector<PassedSocket> passed_sockets(bool unset_environment = true) {
    std::string why;
    return detail::or_throw([&](std::error_code& ec) { return detail::passed_sockets(ec, unset_environment, why); },
                            [&] { return why; });
}

} // namespace sockit
