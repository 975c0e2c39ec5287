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
};

} // namespace sockit
