// SPDX-License-Identifier: MIT
// Unix-domain datagram sockets: UnixDatagram, UnixDatagramInfo, datagram_pair().
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "sockit/detail/throwing.hpp"
#include "sockit/detail/unix.hpp"
#include "sockit/error.hpp"
#include "sockit/socket.hpp"
#include "sockit/unix_address.hpp"
#include "sockit/unix_socket.hpp"

namespace sockit {

/// What `UnixDatagram::recv_from` returns.
struct UnixDatagramInfo {
    std::size_t size = 0; ///< bytes stored in the buffer (the whole datagram)
    UnixAddress sender;   ///< the sender's address (unnamed if it did not bind)
};

/**
 * A Unix-domain datagram socket: message boundaries kept, reliable and ordered on
 * one host. Unbound, bound to a name, and/or connected; can pass descriptors.
 *
 * A default-constructed `UnixDatagram` owns nothing; `UnixDatagram::open()` makes an
 * unbound socket (one that can send, and that `bind` can name later).
 *
 * @code
 * sockit::UnixDatagram server(sockit::UnixAddress("/tmp/app.sock"));
 * auto client = sockit::UnixDatagram::open(); // unbound: its datagrams come from (unnamed)
 * client.send_to("hello", server.local_address());
 * @endcode
 */
class UnixDatagram : public UnixSocketBase {
public:
    /// Owns no socket.
    UnixDatagram() noexcept = default;
    /// A datagram socket bound to `address` (a stale socket file there is replaced). @throws AddressInUse or Error.
    explicit UnixDatagram(const UnixAddress& address, UnixBindOptions options = {}) {
        const char* call = "socket";
        detail::or_throw([&](std::error_code& ec) { call = bind_new(address, options, ec); },
                         [&] { return detail::context(call, address); });
    }
    /// Adopts an open Unix-domain datagram socket.
    explicit UnixDatagram(Socket&& socket) noexcept : UnixSocketBase(std::move(socket)) {}

    /// An unbound datagram socket, or one that owns nothing with `ec` set.
    static UnixDatagram open(std::error_code& ec) noexcept {
        UnixDatagram d;
        d.open_socket(detail::sock_dgram, ec);
        return d;
    }
    /// An unbound datagram socket. @throws Error (e.g. out of descriptors).
    static UnixDatagram open() {
        return detail::or_throw([](std::error_code& ec) { return open(ec); }, "socket");
    }
    /// A datagram socket bound to `address` without throwing. On failure it owns nothing (and left no file).
    static UnixDatagram open(const UnixAddress& address, UnixBindOptions options, std::error_code& ec) noexcept {
        UnixDatagram d;
        d.bind_new(address, options, ec);
        return d;
    }

    using UnixSocketBase::close;
    using UnixSocketBase::local_address;
    using UnixSocketBase::peer_address;
    using Socket::send;

    /// Binds to `address`.
    void bind(const UnixAddress& address, UnixBindOptions options, std::error_code& ec) noexcept {
        bind_name(address, detail::sock_dgram, options, ec);
    }
    /// Binds to `address`. @throws AddressInUse or Error naming the address.
    void bind(const UnixAddress& address, UnixBindOptions options = {}) {
        detail::or_throw([&](std::error_code& ec) { bind(address, options, ec); }, detail::UnixAt{"bind", address});
    }

    /// Sets the default destination (and the only source `recv` accepts).
    void connect(const UnixAddress& address, std::error_code& ec) noexcept { connect_name(address, ec); }
    /// Sets the default destination. @throws ConnectionRefused if nobody is bound there, or Error.
    void connect(const UnixAddress& address) {
        detail::or_throw([&](std::error_code& ec) { connect(address, ec); }, detail::UnixAt{"connect", address});
    }

    /// Sends one datagram to `to`.
    std::size_t send_to(const void* data, std::size_t size, const UnixAddress& to, std::error_code& ec) noexcept {
        auto n = io(
            detail::Direction::out,
            [&](int flags, std::error_code& e) {
                return detail::ops::sendto(native_handle(), data, size, flags, to.native(), to.native_size(), e);
            },
            ec);
        return ec ? 0 : static_cast<std::size_t>(n);
    }
    /// Sends one datagram to `to`.
    std::size_t send_to(std::string_view data, const UnixAddress& to, std::error_code& ec) noexcept {
        return send_to(data.data(), data.size(), to, ec);
    }
    /// Sends one datagram to `to`. @throws ConnectionRefused if nobody is bound there, or Error.
    std::size_t send_to(std::string_view data, const UnixAddress& to) {
        return detail::or_throw([&](std::error_code& ec) { return send_to(data, to, ec); },
                                detail::UnixAt{"send_to", to});
    }

    /// Receives one datagram; a datagram larger than `size` sets `Errc::datagram_truncated`.
    UnixDatagramInfo recv_from(void* data, std::size_t size, std::error_code& ec) noexcept {
        UnixDatagramInfo out;
        detail::socklen_type len = UnixAddress::native_capacity();
        auto n = io(
            detail::Direction::in,
            [&](int flags, std::error_code& e) {
                return detail::ops::recvfrom(native_handle(), data, size, flags, out.sender.native(), &len, e);
            },
            ec);
        if (ec) return out;
        out.sender.set_native_size(len);
        out.size = detail::stored_datagram(static_cast<std::size_t>(n), size, ec);
        return out;
    }
    /// Receives one datagram. @throws Error with `Errc::datagram_truncated`, TimeoutError, or Error.
    UnixDatagramInfo recv_from(void* data, std::size_t size) {
        return detail::or_throw([&](std::error_code& ec) { return recv_from(data, size, ec); },
                                [&] { return "recv_from (buffer of " + std::to_string(size) + " bytes)"; });
    }
    /// Receives one datagram from the connected peer; truncation sets `Errc::datagram_truncated`.
    std::size_t recv(void* data, std::size_t size, std::error_code& ec) noexcept {
        return recv_from(data, size, ec).size;
    }
    /// Receives one datagram. @throws as `recv_from`.
    std::size_t recv(void* data, std::size_t size) { return recv_from(data, size).size; }

    /// Sends one datagram with `count` descriptors attached, to `to` (or the connected peer if null).
    std::size_t send_fds(const void* data, std::size_t size, const native_handle_type* fds, std::size_t count,
                         const UnixAddress* to, std::error_code& ec) noexcept {
        return send_fds_to(data, size, fds, count, to, ec);
    }
    /// Sends one datagram with descriptors attached to the connected peer.
    std::size_t send_fds(std::string_view data, std::initializer_list<native_handle_type> fds,
                         std::error_code& ec) noexcept {
        return send_fds(data.data(), data.size(), fds.begin(), fds.size(), nullptr, ec);
    }
    /// Sends one datagram with descriptors attached to the connected peer. @throws Error.
    std::size_t send_fds(std::string_view data, std::initializer_list<native_handle_type> fds) {
        return detail::or_throw([&](std::error_code& ec) { return send_fds(data, fds, ec); },
                                [&] { return "send_fds (" + std::to_string(fds.size()) + " descriptors)"; });
    }
    /// Sends one datagram with descriptors attached to `to`.
    std::size_t send_fds(std::string_view data, std::initializer_list<native_handle_type> fds, const UnixAddress& to,
                         std::error_code& ec) noexcept {
        return send_fds(data.data(), data.size(), fds.begin(), fds.size(), &to, ec);
    }
    /// Sends one datagram with descriptors attached to `to`. @throws Error naming the address.
    std::size_t send_fds(std::string_view data, std::initializer_list<native_handle_type> fds, const UnixAddress& to) {
        return detail::or_throw([&](std::error_code& ec) { return send_fds(data, fds, to, ec); },
                                detail::UnixAt{"send_fds", to});
    }

    using UnixSocketBase::recv_fds;

    /// The underlying socket. (Release the descriptor with `release()`, not through this:
    /// only `release()` hands over the socket file too.)
    Socket& socket() noexcept { return *this; }

private:
    /// Opens a socket and binds it; on failure closes again and returns the name of the call that failed.
    const char* bind_new(const UnixAddress& address, const UnixBindOptions& options, std::error_code& ec) noexcept {
        const char* call = "socket";
        open_socket(detail::sock_dgram, ec);
        if (!ec) {
            call = "bind";
            bind(address, options, ec);
        }
        if (ec) close_quietly();
        return call;
    }
};

/// Two connected Unix-domain datagram sockets (socketpair), both close-on-exec; on failure,
/// two sockets that own nothing.
inline std::pair<UnixDatagram, UnixDatagram> datagram_pair(std::error_code& ec) noexcept {
    return detail::connected_pair<UnixDatagram>(detail::sock_dgram, ec);
}
/// Two connected Unix-domain datagram sockets (socketpair), both close-on-exec. @throws Error.
inline std::pair<UnixDatagram, UnixDatagram> datagram_pair() {
    return detail::or_throw([](std::error_code& ec) { return datagram_pair(ec); }, "socketpair");
}

} // namespace sockit
