// SPDX-License-Identifier: MIT
// ConnectOptions: how TcpClient connects (a timeout, a source address, Happy Eyeballs).
#pragma once

#include <chrono>
#include <optional>

#include "sockit/address.hpp"

namespace sockit {

/**
 * How `TcpClient` connects, like the arguments of Python's `socket.create_connection`.
 *
 * @code
 * sockit::ConnectOptions options;
 * options.timeout = std::chrono::seconds(3);
 * options.happy_eyeballs = true;
 * sockit::TcpClient client("example.org", 443, options);
 * @endcode
 */
struct ConnectOptions {
    /// How long each connection attempt may take; empty: the system's limit. The connected
    /// stream keeps it as its timeout (as Python's `create_connection` does).
    std::optional<std::chrono::nanoseconds> timeout;
    /// The local address to bind before connecting (port 0: any port); unspecified: the system's choice.
    /// Addresses of the other family fail with `address_family_not_supported`.
    Address source;
    /// RFC 8305: start the next address `stagger` after the previous one unless it has finished,
    /// alternating IPv6 and IPv4; the first to connect wins and the others are closed.
    bool happy_eyeballs = false;
    /// The "Connection Attempt Delay" of Happy Eyeballs (RFC 8305 recommends 250 ms).
    std::chrono::milliseconds stagger{250};
    /// Multipath TCP (RFC 8684; Linux 5.6 with net.mptcp.enabled), falling back to plain TCP
    /// where the system or the server refuses it.
    bool multipath = false;
    /// TCP Fast Open (RFC 7413; Linux 4.11, net.ipv4.tcp_fastopen bit 1): on a repeat connection
    /// to a server that gave this host a cookie, the first send goes in the SYN, saving a round
    /// trip. The connect then returns before the handshake, before the server is known to be
    /// there: `peer_address` is `not_connected` until the first send; a server that has gone
    /// shows up as an error of a later call (with a timeout the first send only queues its data
    /// in the SYN and succeeds); and of several addresses the first whose server gave a cookie
    /// wins, gone or not (no fallback, no Happy Eyeballs race). Elsewhere, a normal handshake.
    bool fast_open = false;
};

} // namespace sockit
