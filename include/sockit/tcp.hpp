// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sockit/address.hpp"
#include "sockit/connect.hpp"
#include "sockit/error.hpp"
#include "sockit/socket.hpp"

namespace sockit {

namespace detail {
/// Names the input that made resolving `host` and `port` fail, for messages.
inline std::string resolve_context(std::string_view host, int port, const std::error_code& ec) {
    return ec == Errc::invalid_port ? "port " + std::to_string(port) : "resolve " + quoted(host);
}
} // namespace detail

/**
 * A connected TCP socket: what `TcpServer::accept` returns and what `TcpClient` is.
 *
 * `recv` returning 0 means the peer closed its side: never an error, never a
 * message. Writing to a peer that has gone throws `BrokenPipe` or
 * `ConnectionReset`, never raises SIGPIPE.
 */
class TcpStream : public SocketOperations {
public:
    /// A stream that owns no socket.
    TcpStream() noexcept = default;
    /// Adopts a connected stream socket.
    explicit TcpStream(Socket&& socket) noexcept : SocketOperations(std::move(socket)) {}

    using Socket::close;
    using Socket::send;
    using Socket::send_all;
    using Socket::recv;
    using Socket::recv_exactly;
    using Socket::recv_until;
    using Socket::peer_address;
    using Socket::local_address;
    using Socket::pending_error;

    /// Turns Nagle's algorithm off (true) or on (TCP_NODELAY).
    void set_no_delay(bool on, std::error_code& ec) noexcept { set_option(NoDelay(on), ec); }
    /// Turns Nagle's algorithm off (true) or on. @throws Error.
    void set_no_delay(bool on = true) { set_option(NoDelay(on)); }
    /// True if Nagle's algorithm is off. @throws Error.
    bool no_delay() const { return get_option<NoDelay>().value(); }

    /// The underlying socket, for operations this class does not re-export.
    Socket& socket() noexcept { return *this; }
    /// The underlying socket.
    const Socket& socket() const noexcept { return *this; }
};

/**
 * A `TcpStream` that connects on construction, like Python's `create_connection`:
 * the host is resolved and every address is tried in turn until one connects.
 *
 * @code
 * sockit::TcpClient client("localhost", 7777, std::chrono::seconds(3));
 * client.send_all("hello");
 * @endcode
 */
class TcpClient : public TcpStream {
public:
    /**
     * Connects to `host` (a name or numeric address) on `port`. With `timeout`,
     * each connection attempt gives up after it; the connected stream is blocking.
     * @throws AddressError if the host cannot be resolved or the port is out of range;
     *         ConnectionRefused, TimeoutError or Error (naming every address tried) if no address connects.
     */
    TcpClient(std::string_view host, int port, std::optional<std::chrono::nanoseconds> timeout = std::nullopt)
        : TcpClient(host, port, with_timeout(timeout)) {}

    /**
     * Connects to `host` on `port` as `options` say: a timeout for each attempt, a source
     * address, Happy Eyeballs. @throws as the constructor above.
     */
    TcpClient(std::string_view host, int port, const ConnectOptions& options) {
        std::error_code ec;
        std::string tried;
        *this = connect(host, port, options, ec, &tried);
        if (ec) detail::throw_error(ec, tried);
    }

    /**
     * Connects to the first of `addresses` that answers, as `options` say, with no name
     * resolution. @throws ConnectionRefused, TimeoutError or Error naming every address tried.
     */
    explicit TcpClient(const std::vector<Address>& addresses, const ConnectOptions& options = {}) {
        std::error_code ec;
        std::string tried;
        *this = connect(addresses, options, ec, &tried);
        if (ec) detail::throw_error(ec, tried);
    }

    /// Connects to one address. @throws as the host-name constructor.
    explicit TcpClient(const Address& address, std::optional<std::chrono::nanoseconds> timeout = std::nullopt)
        : TcpClient(std::vector<Address>{address}, with_timeout(timeout)) {}

    /// Connects without throwing; on failure `ec` holds the last attempt's error. If
    /// `tried` is given it receives a description of every attempt for messages.
    static TcpClient connect(std::string_view host, int port, std::optional<std::chrono::nanoseconds> timeout,
                             std::error_code& ec, std::string* tried = nullptr) {
        return connect(host, port, with_timeout(timeout), ec, tried);
    }

    /// Resolves `host` and connects as `options` say, without throwing; see above.
    static TcpClient connect(std::string_view host, int port, const ConnectOptions& options, std::error_code& ec,
                             std::string* tried = nullptr) {
        std::vector<Address> addresses;
        if (check(options, ec, tried)) addresses = Address::resolve(host, port, Family::unspecified, ec);
        if (ec) {
            if (tried != nullptr && tried->empty()) *tried = detail::resolve_context(host, port, ec);
            return TcpClient(Private{});
        }
        std::string label = std::string(host) + " port " + std::to_string(port);
        return connect_to(addresses, options, ec, tried, label);
    }

    /// Connects to the first of `addresses` that answers, without throwing; see above.
    static TcpClient connect(const std::vector<Address>& addresses, const ConnectOptions& options, std::error_code& ec,
                             std::string* tried = nullptr) {
        if (!check(options, ec, tried)) return TcpClient(Private{});
        if (addresses.empty()) {
            ec = make_error_code(Errc::invalid_argument);
            if (tried != nullptr) *tried = "connect (an empty list of addresses)";
            return TcpClient(Private{});
        }
        return connect_to(addresses, options, ec, tried, "");
    }

private:
    struct Private {};
    explicit TcpClient(Private) noexcept {}

    static ConnectOptions with_timeout(std::optional<std::chrono::nanoseconds> timeout) {
        ConnectOptions options;
        options.timeout = timeout;
        return options;
    }

    static bool check(const ConnectOptions& options, std::error_code& ec, std::string* tried) {
        const char* bad = options.timeout && *options.timeout < std::chrono::nanoseconds::zero() ? "timeout"
                          : options.stagger < std::chrono::milliseconds::zero()                  ? "stagger"
                                                                                                 : nullptr;
        if (bad == nullptr) return true;
        ec = make_error_code(Errc::invalid_argument);
        if (tried != nullptr) {
            auto ns = *bad == 't' ? options.timeout->count() : std::chrono::nanoseconds(options.stagger).count();
            *tried = std::string("connect ") + bad + " of " + std::to_string(ns) + " ns (negative)";
        }
        return false;
    }

    static TcpClient connect_to(const std::vector<Address>& addresses, const ConnectOptions& options,
                                std::error_code& ec, std::string* tried, const std::string& label) {
        TcpClient client{Private{}};
        std::string failures;
        detail::Connector connector(options, failures);
        sockit::Socket s = options.happy_eyeballs ? connector.race(addresses, ec) : connector.one_by_one(addresses, ec);
        if (!ec) {
            static_cast<TcpStream&>(client) = TcpStream(std::move(s));
        } else if (tried != nullptr) {
            if (addresses.size() == 1 && failures == addresses.front().to_string() + ": " + ec.message())
                *tried = "connect " + addresses.front().to_string();
            else
                *tried = "connect " + (label.empty() ? std::string() : label + " ") + "(" + failures + ")";
        }
        return client;
    }
};

/// How `TcpServer` sets up its listening socket.
struct ServerOptions {
    int backlog = 10; ///< pending connections the system queues (the document's 10)
    /// A restarted server can bind its port at once (SO_REUSEADDR), and no other socket can
    /// bind it while this one listens. On Windows, where SO_REUSEADDR would let another
    /// socket take the port, this sets SO_EXCLUSIVEADDRUSE instead; there the port may stay
    /// taken while connections accepted by a closed server are still open.
    bool reuse_address = true;
    bool reuse_port = false; ///< SO_REUSEPORT; never on unless asked
    bool dual_stack = false; ///< one IPv6 listener that also accepts IPv4 (host "" or "::")
};

/**
 * A listening TCP socket.
 *
 * @code
 * sockit::TcpServer server("127.0.0.1", 0);       // port 0: the system picks
 * std::cout << server.port() << '\n';
 * auto [conn, peer] = server.accept();
 * @endcode
 */
class TcpServer : public SocketOperations {
public:
    /// A server object that owns no socket.
    TcpServer() noexcept = default;

    /**
     * Listens on `host` (empty: every IPv4 interface, or every interface with
     * `dual_stack`) and `port` (0: the system picks; see `port()`).
     * @throws AddressError for bad host or port text, AddressInUse, or Error.
     */
    TcpServer(std::string_view host, int port, ServerOptions options = {}) {
        std::error_code ec;
        Address address;
        if (options.dual_stack && host.empty()) {
            address = Address::any(Family::v6, 0);
            if (port < 0 || port > 65535) ec = make_error_code(Errc::invalid_port);
            address.set_port(static_cast<std::uint16_t>(port));
        } else {
            auto all = Address::resolve(host, port, Family::unspecified, ec);
            if (!ec) address = all.front();
        }
        if (ec) detail::throw_error(ec, detail::resolve_context(host, port, ec));
        listen_on(address, options);
    }

    /// Listens on `address`. @throws AddressInUse or Error.
    explicit TcpServer(const Address& address, ServerOptions options = {}) { listen_on(address, options); }

    using Socket::close;
    using Socket::local_address;

    /// Accepts one connection: the stream and the peer's address. Honours the timeout.
    std::pair<TcpStream, Address> accept(std::error_code& ec) noexcept {
        auto accepted = Socket::accept(ec);
        return {TcpStream(std::move(accepted.first)), accepted.second};
    }
    /// Accepts one connection. @throws TimeoutError when the timeout expires, or Error.
    std::pair<TcpStream, Address> accept() {
        auto accepted = Socket::accept();
        return {TcpStream(std::move(accepted.first)), accepted.second};
    }

    /// The port the server listens on (the chosen one after port 0).
    std::uint16_t port() const { return local_address().port(); }

    /// The underlying socket.
    Socket& socket() noexcept { return *this; }

private:
    void listen_on(const Address& address, const ServerOptions& options) {
        std::error_code ec;
        if (options.dual_stack && !address.is_v6()) {
            detail::throw_error(make_error_code(Errc::invalid_argument),
                                "dual-stack server on " + address.to_string() + " (needs an IPv6 or empty host)");
        }
        sockit::Socket s(address.family(), SocketType::stream);
        if (options.reuse_address) s.set_option(detail::BooleanOption<detail::tags::ListenerReuse>(true));
        if (options.reuse_port) s.set_option(ReusePort(true));
        if (address.is_v6()) s.set_option(V6Only(!options.dual_stack));
        s.bind(address);
        s.listen(options.backlog, ec);
        if (ec) detail::throw_at(ec, "listen", address);
        static_cast<Socket&>(*this) = std::move(s);
    }
};

} // namespace sockit
