// SPDX-License-Identifier: MIT
// What TcpServer::adopt, UdpSocket::adopt and UnixServer::adopt check before taking a socket
// made elsewhere (passed by a service manager, say): its type, family and listening state.
#pragma once

#include <string>
#include <system_error>

#include "sockit/detail/ops.hpp"
#include "sockit/detail/throwing.hpp"
#include "sockit/error.hpp"
#include "sockit/socket.hpp"

namespace sockit::detail {

/// What an adopting class needs of a socket.
struct AdoptRule {
    int type;         ///< sock_stream or sock_dgram
    bool unix_family; ///< AF_UNIX (else AF_INET or AF_INET6)
    bool listening;   ///< must listen (a server) or must not
};

/// Null if `s` fits `rule`; otherwise why not ("not listening"), with `ec` set
/// (`Errc::invalid_argument`, or the system's error if `s` cannot be asked).
inline const char* adopt_mismatch(const Socket& s, const AdoptRule& rule, std::error_code& ec) noexcept {
    const native_handle_type fd = s.native_handle();
    int type = 0;
    socklen_type len = sizeof type;
    ops::getsockopt(fd, opt::sol_socket, opt::so_type, &type, &len, ec);
    if (ec) return "not a socket";
    ::sockaddr_storage local{};
    len = sizeof local;
    ops::getsockname(fd, reinterpret_cast<::sockaddr*>(&local), &len, ec);
    if (ec) return "its address cannot be read";
    int listening = 0;
    len = sizeof listening;
    ops::getsockopt(fd, opt::sol_socket, opt::so_acceptconn, &listening, &len, ec);
    if (ec) return "its listening state cannot be read";

    const int family = local.ss_family;
    const char* why = nullptr;
    if (type != rule.type)
        why = rule.type == sock_stream ? "not a stream socket" : "not a datagram socket";
    else if (rule.unix_family && family != af_unix_family)
        why = "not a Unix-domain socket";
    else if (!rule.unix_family && family != af_inet && family != af_inet6)
        why = "not an IPv4 or IPv6 socket";
    else if (rule.listening && listening == 0)
        why = "not listening";
    else if (!rule.listening && listening != 0)
        why = "a listening socket";
    if (why != nullptr) ec = make_error_code(Errc::invalid_argument);
    return why;
}

/**
 * Checks `s` against `rule`; if it fits, returns `make(std::move(s))`, otherwise an empty `T`
 * with `ec` set, and `s` is still the caller's.
 */
template <class T, class Make>
T adopt(Socket& s, const AdoptRule& rule, std::error_code& ec, Make&& make) noexcept {
    if (adopt_mismatch(s, rule, ec) != nullptr || ec) return T();
    return make(std::move(s));
}

/// The throwing form of `adopt`: the exception says which descriptor and why, as in
/// "adopt descriptor 3: not listening".
template <class T, class Make>
T adopt_or_throw(Socket& s, const AdoptRule& rule, Make&& make) {
    return or_throw([&](std::error_code& ec) { return adopt<T>(s, rule, ec, make); },
                    [&] {
                        std::error_code ignored;
                        const char* why = adopt_mismatch(s, rule, ignored);
                        return "adopt descriptor " + std::to_string(s.native_handle()) + ": " + (why ? why : "");
                    });
}

} // namespace sockit::detail
