// SPDX-License-Identifier: MIT
// Unix-domain stream sockets: UnixStream, UnixClient, UnixServer, stream_pair(), and
// PeerCredentials.
#pragma once

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "sockit/detail/adopt.hpp"
#include "sockit/detail/throwing.hpp"
#include "sockit/detail/unix.hpp"
#include "sockit/error.hpp"
#include "sockit/socket.hpp"
#include "sockit/unix_address.hpp"
#include "sockit/unix_socket.hpp"

namespace sockit {

/// Who is at the other end of a Unix-domain connection, as the kernel saw it when connecting.
struct PeerCredentials {
    long pid = -1;         ///< the peer's process id (-1 where the system does not say)
    unsigned long uid = 0; ///< the peer's effective user id
    unsigned long gid = 0; ///< the peer's effective group id
};

/**
 * A connected Unix-domain stream socket: what `UnixServer::accept` returns, what
 * `UnixClient` is, and each end of `stream_pair()`. It has `TcpStream`'s operations
 * (send, send_all, recv, recv_exactly, recv_until, timeouts, shutdown, options) and
 * can pass descriptors with `send_fds`/`recv_fds`.
 */
class UnixStream : public UnixSocketBase {
public:
    /// A stream that owns no socket.
    UnixStream() noexcept = default;
    /// Adopts a connected Unix-domain stream socket.
    explicit UnixStream(Socket&& socket) noexcept : UnixSocketBase(std::move(socket)) {}

    using UnixSocketBase::close;
    using Socket::send;
    using Socket::send_all;
    using Socket::send_file;
    using Socket::recv;
    using Socket::recv_exactly;
    using Socket::recv_until;
    using UnixSocketBase::peer_address;
    using UnixSocketBase::local_address;
    using Socket::pending_error;

    /**
     * Sends `size` bytes (at least one: a stream needs data to carry descriptors) with
     * `count` descriptors attached (SCM_RIGHTS, at most 253). Returns the bytes sent, which
     * may be fewer than `size`; the descriptors went with the first of them.
     */
    std::size_t send_fds(const void* data, std::size_t size, const native_handle_type* fds, std::size_t count,
                         std::error_code& ec) noexcept {
        if (size == 0) {
            ec = make_error_code(Errc::invalid_argument);
            return 0;
        }
        return send_fds_to(data, size, fds, count, nullptr, ec);
    }
    /// Sends data with descriptors attached.
    std::size_t send_fds(std::string_view data, const native_handle_type* fds, std::size_t count,
                         std::error_code& ec) noexcept {
        return send_fds(data.data(), data.size(), fds, count, ec);
    }
    /// Sends data with descriptors attached. @throws Error (invalid_argument for no data or too many descriptors).
    std::size_t send_fds(std::string_view data, const native_handle_type* fds, std::size_t count) {
        return detail::or_throw([&](std::error_code& ec) { return send_fds(data, fds, count, ec); },
                                [&] { return "send_fds (" + std::to_string(count) + " descriptors)"; });
    }
    /// Sends data with descriptors attached: `send_fds("x", {fd1, fd2}, ec)`.
    std::size_t send_fds(std::string_view data, std::initializer_list<native_handle_type> fds,
                         std::error_code& ec) noexcept {
        return send_fds(data, fds.begin(), fds.size(), ec);
    }
    /// Sends data with descriptors attached: `send_fds("x", {fd1, fd2})`. @throws as above.
    std::size_t send_fds(std::string_view data, std::initializer_list<native_handle_type> fds) {
        return send_fds(data, fds.begin(), fds.size());
    }

    using UnixSocketBase::recv_fds;

    /// The peer's process, user and group (SO_PEERCRED), for access checks in a local server.
    PeerCredentials peer_credentials(std::error_code& ec) const noexcept {
        PeerCredentials out;
        detail::ops::peer_credentials(native_handle(), out.pid, out.uid, out.gid, ec);
        return out;
    }
    /// The peer's process, user and group. @throws Error (ENOTCONN if not connected).
    PeerCredentials peer_credentials() const {
        return detail::or_throw([&](std::error_code& ec) { return peer_credentials(ec); }, "peer_credentials");
    }

    /// The underlying socket, for operations this class does not re-export.
    Socket& socket() noexcept { return *this; }
    /// The underlying socket.
    const Socket& socket() const noexcept { return *this; }
};

/**
 * A `UnixStream` that connects on construction.
 *
 * A timeout given here bounds the connect (a server whose backlog is full) and stays the
 * stream's timeout once connected, as with Python's `socket.create_connection`: every
 * later blocking call waits at most that long. Change it with `set_timeout` (or
 * `set_timeout(std::nullopt)` to block without limit).
 *
 * @code
 * sockit::UnixClient client("/run/myapp.sock", std::chrono::seconds(3));
 * client.send_all("hello"); // at most 3 s
 * @endcode
 */
class UnixClient : public UnixStream {
public:
    /**
     * Connects to `address`; with `timeout`, gives up after it, and keeps it as the stream's timeout.
     * @throws ConnectionRefused (nobody listens: a stale socket file), Error with ENOENT (no such file),
     *         TimeoutError, or Error, naming the address.
     */
    explicit UnixClient(const UnixAddress& address, std::optional<std::chrono::nanoseconds> timeout = std::nullopt) {
        *this = detail::or_throw([&](std::error_code& ec) { return open(address, timeout, ec); },
                                 detail::UnixAt{"connect", address});
    }
    /// Connects to the socket file at `path`. @throws AddressError for a bad path, or as above.
    explicit UnixClient(std::string_view path, std::optional<std::chrono::nanoseconds> timeout = std::nullopt)
        : UnixClient(UnixAddress(path), timeout) {}

    /// Connects without throwing; with `timeout`, as the constructor. On failure the client owns nothing.
    static UnixClient open(const UnixAddress& address, std::optional<std::chrono::nanoseconds> timeout,
                           std::error_code& ec) noexcept {
        UnixClient client{Private{}};
        client.open_socket(detail::sock_stream, ec);
        if (!ec && timeout) client.set_timeout(*timeout, ec);
        if (!ec) client.connect_name(address, ec);
        if (ec) client.close_quietly();
        return client;
    }
    /// Connects to the socket file at `path` without throwing (a bad path sets `ec` as
    /// `UnixAddress::from_path` does). On failure the client owns nothing.
    static UnixClient open(std::string_view path, std::optional<std::chrono::nanoseconds> timeout,
                           std::error_code& ec) noexcept {
        UnixAddress address = UnixAddress::from_path(path, ec);
        if (ec) return UnixClient{Private{}};
        return open(address, timeout, ec);
    }

    /// Connects without throwing: the former name of `open`.
    [[deprecated("use UnixClient::open")]] static UnixClient
    connect(const UnixAddress& address, std::optional<std::chrono::nanoseconds> timeout, std::error_code& ec) noexcept {
        return open(address, timeout, ec);
    }

private:
    struct Private {};
    explicit UnixClient(Private) noexcept {}
};

/**
 * A listening Unix-domain stream socket.
 *
 * A socket file left behind by a server that died is detected (connecting to it is
 * refused) and replaced; a file a live server listens on is `AddressInUse`. With
 * `unlink_on_close` (the default) the file is removed on close, if it is still ours;
 * after `release()` it is left to whoever took the descriptor.
 *
 * @code
 * sockit::UnixServer server("/tmp/echo.sock");
 * auto [conn, peer] = server.accept();
 * @endcode
 */
class UnixServer : public UnixSocketBase {
public:
    /// A server object that owns no socket.
    UnixServer() noexcept = default;

    /// Listens on `address`. @throws AddressInUse (a live server has it), or Error naming the address.
    explicit UnixServer(const UnixAddress& address, UnixBindOptions options = {}) {
        const char* call = "socket";
        detail::or_throw([&](std::error_code& ec) { call = listen_on(address, options, ec); },
                         [&] { return detail::context(call, address); });
    }
    /// Listens on the socket file at `path`. @throws AddressError for a bad path, or as above.
    explicit UnixServer(std::string_view path, UnixBindOptions options = {}) : UnixServer(UnixAddress(path), options) {}

    /// Listens on `address` without throwing. On failure the server owns nothing (and left no file).
    static UnixServer open(const UnixAddress& address, UnixBindOptions options, std::error_code& ec) noexcept {
        UnixServer server;
        server.listen_on(address, options, ec);
        return server;
    }
    /// Listens on the socket file at `path` without throwing (a bad path sets `ec` as
    /// `UnixAddress::from_path` does). On failure the server owns nothing.
    static UnixServer open(std::string_view path, UnixBindOptions options, std::error_code& ec) noexcept {
        UnixAddress address = UnixAddress::from_path(path, ec);
        if (ec) return {};
        return open(address, options, ec);
    }

    /// Takes a listening Unix-domain stream socket made elsewhere (one a service manager passed,
    /// see `passed_sockets`); its socket file stays its maker's, never removed by this server. If
    /// it does not fit, `ec` is `Errc::invalid_argument` and `socket` is left to the caller.
    static UnixServer adopt(Socket&& socket, std::error_code& ec) noexcept {
        return detail::adopt<UnixServer>(socket, adopt_rule, ec, from_socket);
    }
    /// Takes a listening Unix-domain stream socket made elsewhere. @throws Error naming the
    /// descriptor and why it does not fit ("adopt descriptor 3: not a Unix-domain socket").
    static UnixServer adopt(Socket&& socket) {
        return detail::adopt_or_throw<UnixServer>(socket, adopt_rule, from_socket);
    }

    using UnixSocketBase::close;
    using UnixSocketBase::local_address;

    /// Accepts one connection: the stream and the peer's address (usually unnamed). Honours
    /// the timeout; the stream is blocking with no timeout, whatever the server's.
    std::pair<UnixStream, UnixAddress> accept(std::error_code& ec) noexcept {
        std::pair<UnixStream, UnixAddress> out;
        detail::socklen_type len = UnixAddress::native_capacity();
        Socket accepted = accept_native(out.second.native(), &len, ec);
        if (ec) return out;
        out.first = UnixStream(std::move(accepted));
        out.second.set_native_size(len);
        return out;
    }
    /// Accepts one connection. @throws TimeoutError when the timeout expires, or Error.
    std::pair<UnixStream, UnixAddress> accept() {
        return detail::or_throw([&](std::error_code& ec) { return accept(ec); },
                                [&] {
                                    std::error_code ignored;
                                    return detail::context("accept", local_address(ignored));
                                });
    }

    /// The underlying socket. (Release the descriptor with `release()`, not through this:
    /// only `release()` hands over the socket file too.)
    Socket& socket() noexcept { return *this; }

private:
    static constexpr detail::AdoptRule adopt_rule{detail::sock_stream, true, true};
    static UnixServer from_socket(Socket&& s) noexcept {
        UnixServer out;
        static_cast<Socket&>(out) = std::move(s);
        return out;
    }

    /// Opens, binds and listens; on failure closes again (removing a file it bound) and
    /// returns the name of the call that failed.
    const char* listen_on(const UnixAddress& address, const UnixBindOptions& options, std::error_code& ec) noexcept {
        const char* call = "socket";
        open_socket(detail::sock_stream, ec);
        if (!ec) {
            call = "bind";
            bind_name(address, detail::sock_stream, options, ec);
        }
        if (!ec) {
            call = "listen";
            Socket::listen(options.backlog, ec);
        }
        if (ec) close_quietly();
        return call;
    }
};

/// Two connected Unix-domain streams (socketpair), both close-on-exec; on failure, two
/// streams that own nothing.
inline std::pair<UnixStream, UnixStream> stream_pair(std::error_code& ec) noexcept {
    return detail::connected_pair<UnixStream>(detail::sock_stream, ec);
}
/// Two connected Unix-domain streams (socketpair), both close-on-exec. @throws Error.
inline std::pair<UnixStream, UnixStream> stream_pair() {
    return detail::or_throw([](std::error_code& ec) { return stream_pair(ec); }, "socketpair");
}

/// Two connected Unix-domain streams: the former name of `stream_pair()`.
[[deprecated("use stream_pair()")]] inline std::pair<UnixStream, UnixStream> socket_pair() { return stream_pair(); }

} // namespace sockit
