// SPDX-License-Identifier: MIT
// What TcpServer and TcpClient share for Multipath TCP and TCP Fast Open: a stream socket that is
// MPTCP where the system allows it and plain TCP otherwise, and Fast Open options that a system
// without them ignores.
#pragma once

#include <system_error>

#include "sockit/options.hpp"
#include "sockit/socket.hpp"

namespace sockit::detail {

/// True if `ec` from socket() or setsockopt() means "this system does not offer that protocol or
/// option" (not built in, or turned off), as opposed to a real failure such as out of descriptors.
inline bool is_unsupported(const std::error_code& ec) noexcept {
    return ec == std::errc::protocol_not_supported || ec == std::errc::no_protocol_option ||
           ec == std::errc::invalid_argument || ec == std::errc::operation_not_supported ||
           ec == std::errc::address_family_not_supported;
}

/// A stream socket of `family`: Multipath TCP if `multipath` and the system allows it (Linux 5.6
/// with net.mptcp.enabled), plain TCP otherwise, as Python's and Go's fallbacks do.
inline Socket open_stream(Family family, bool multipath, std::error_code& ec) noexcept {
#ifdef __linux__
    if (multipath) {
        Socket s = Socket::open(family, SocketType::stream, opt::ipproto_mptcp, ec);
        if (!ec || !is_unsupported(ec)) return s;
    }
#else
    (void)multipath;
#endif
    return Socket::open(family, SocketType::stream, 0, ec);
}

/// Turns Fast Open on for a client socket before its connect (TCP_FASTOPEN_CONNECT); a system
/// without it leaves `ec` clear and the connect makes a normal handshake.
inline void enable_fast_open_connect(Socket& s, std::error_code& ec) noexcept {
#ifdef __linux__
    s.set_option(FastOpenConnect(true), ec);
    if (ec && is_unsupported(ec)) ec.clear();
#else
    (void)s;
    ec.clear();
#endif
}

/// Turns Fast Open on for a listener before its listen (TCP_FASTOPEN, `queue` connections at most
/// waiting with data from their SYN); a system without it leaves `ec` clear.
inline void enable_fast_open_listen(Socket& s, int queue, std::error_code& ec) noexcept {
#ifdef __linux__
    s.set_option(FastOpen(queue), ec);
    if (ec && is_unsupported(ec)) ec.clear();
#else
    (void)s;
    (void)queue;
    ec.clear();
#endif
}

} // namespace sockit::detail
