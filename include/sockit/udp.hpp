// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "sockit/address.hpp"
#include "sockit/error.hpp"
#include "sockit/socket.hpp"

namespace sockit {

/**
 * A UDP socket, used unconnected (`send_to`, `recv_from`) or connected
 * (`connect`, then `send`, `recv`). Binding is optional: a client that sends
 * first gets a port chosen by the system. Reuse-address is off, so no other
 * process can bind the same port and take our datagrams.
 *
 * A datagram larger than the buffer given to `recv_from`/`recv` is reported as
 * `Errc::datagram_truncated`, never silently cut.
 *
 * @code
 * sockit::UdpSocket server("127.0.0.1", 8888);
 * char buf[1024];
 * auto [n, from] = server.recv_from(buf, sizeof buf);
 * server.send_to(std::string_view(buf, n), from);
 * @endcode
 */
class UdpSocket : private Socket {
public:
    /// An unbound UDP socket of `family`. @throws Error.
    explicit UdpSocket(Family family = Family::v4) : Socket(family, SocketType::datagram) {}

    /// A UDP socket bound to `host` and `port` (0: the system picks). @throws AddressError, AddressInUse, Error.
    UdpSocket(std::string_view host, int port) : UdpSocket(Address(host, port)) {}

    /// A UDP socket bound to `address`. @throws AddressInUse or Error.
    explicit UdpSocket(const Address& address) : Socket(address.family(), SocketType::datagram) {
        Socket::bind(address);
    }

    /// Adopts an open datagram socket.
    explicit UdpSocket(Socket&& socket) noexcept : Socket(std::move(socket)) {}

    using Socket::native_handle_type;
    using Socket::is_open;
    using Socket::operator bool;
    using Socket::native_handle;
    using Socket::fileno;
    using Socket::release;
    using Socket::close;
    using Socket::bind;
    using Socket::connect;
    using Socket::send;
    using Socket::send_to;
    using Socket::recv_from;
    using Socket::peer_address;
    using Socket::local_address;
    using Socket::set_option;
    using Socket::get_option;
    using Socket::set_blocking;
    using Socket::blocking;
    using Socket::set_timeout;
    using Socket::timeout;
    using Socket::shutdown;

    /// Receives one datagram from the connected peer; truncation sets `Errc::datagram_truncated`.
    std::size_t recv(void* data, std::size_t size, std::error_code& ec) noexcept {
        return Socket::recv_from(data, size, ec).size;
    }
    /// Receives one datagram from the connected peer. @throws Error if it was truncated, TimeoutError, Error.
    std::size_t recv(void* data, std::size_t size) { return Socket::recv_from(data, size).size; }

    /// The local port (the system's choice after binding to 0 or the first send).
    std::uint16_t port() const { return local_address().port(); }

    /// The underlying socket.
    Socket& socket() noexcept { return *this; }
};

} // namespace sockit
