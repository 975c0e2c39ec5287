// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sockit/address.hpp"
#include "sockit/connect_options.hpp"
#include "sockit/detail/adopt.hpp"
#include "sockit/detail/bind_address.hpp"
#include "sockit/detail/connector.hpp"
#include "sockit/detail/tcp_extras.hpp"
#include "sockit/detail/throwing.hpp"
#include "sockit/error.hpp"
#include "sockit/socket.hpp"

namespace sockit {

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
    using Socket::send_file;
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
    /// True if Nagle's algorithm is off.
    bool no_delay(std::error_code& ec) const noexcept { return get_option<NoDelay>(ec).value(); }
    /// True if Nagle's algorithm is off. @throws Error.
    bool no_delay() const { return get_option<NoDelay>().value(); }

    /// The underlying socket, for operations this class does not re-export.
    Socket& socket() noexcept { return *this; }
    /// The underlying socket.
    const Socket& socket() const noexcept { return *this; }
};

/**
 * A `TcpStream` that connects on construction, like Python's `create_connection`:
 * the host is resolved and every address is tried in turn until one connects. A
 * timeout bounds each attempt and stays on the connected stream (as Python's does):
 * every later call waits at most that long.
 *
 * @code
 * sockit::TcpClient client("localhost", 7777, std::chrono::seconds(3));
 * client.send_all("hello");
 * @endcode
 */
class TcpClient : public TcpStream {
public:
    /// A client that owns no socket.
    TcpClient() noexcept = default;

    /**
     * Connects to `host` (a name or numeric address) on `port`. With `timeout`,
     * each connection attempt gives up after it, and the connected stream keeps it.
     * @throws AddressError if the host cannot be resolved or the port is out of range;
     *         ConnectionRefused, TimeoutError or Error (naming every address tried) if no address connects.
     */
    TcpClient(std::string_view host, int port, std::optional<std::chrono::nanoseconds> timeout = std::nullopt)
        : TcpClient(host, port, with_timeout(timeout)) {}

    /**
     * Connects to `host` on `port` as `options` say: a timeout for each attempt (kept by the
     * connected stream), a source address, Happy Eyeballs. @throws as the constructor above.
     */
    TcpClient(std::string_view host, int port, const ConnectOptions& options) {
        std::string tried;
        *this = detail::or_throw([&](std::error_code& ec) { return open_named(host, port, options, ec, &tried); },
                                 [&] { return tried; });
    }

    /**
     * Connects to the first of `addresses` that answers, as `options` say, with no name
     * resolution. @throws ConnectionRefused, TimeoutError or Error naming every address tried.
     */
    explicit TcpClient(const std::vector<Address>& addresses, const ConnectOptions& options = {}) {
        std::string tried;
        *this = detail::or_throw([&](std::error_code& ec) { return open_list(addresses, options, ec, &tried); },
                                 [&] { return tried; });
    }

    /// Connects to one address. @throws as the host-name constructor.
    explicit TcpClient(const Address& address, std::optional<std::chrono::nanoseconds> timeout = std::nullopt)
        : TcpClient(std::vector<Address>{address}, with_timeout(timeout)) {}

    /// Connects without throwing: the client, or one that owns nothing with `ec` set to the
    /// last attempt's error.
    static TcpClient open(std::string_view host, int port, const ConnectOptions& options,
                          std::error_code& ec) noexcept {
        return detail::or_no_memory<TcpClient>(ec, [&] { return open_named(host, port, options, ec, nullptr); });
    }
    /// Connects with a timeout for each attempt, without throwing; see above.
    static TcpClient open(std::string_view host, int port, std::optional<std::chrono::nanoseconds> timeout,
                          std::error_code& ec) noexcept {
        return detail::or_no_memory<TcpClient>(
            ec, [&] { return open_named(host, port, with_timeout(timeout), ec, nullptr); });
    }
    /// Connects to the first of `addresses` that answers, without throwing; see above.
    static TcpClient open(const std::vector<Address>& addresses, const ConnectOptions& options,
                          std::error_code& ec) noexcept {
        return detail::or_no_memory<TcpClient>(ec, [&] { return open_list(addresses, options, ec, nullptr); });
    }

    /// Connects without throwing; `tried` receives a description of every attempt.
    [[deprecated("use TcpClient::open")]] static TcpClient connect(std::string_view host, int port,
                                                                   std::optional<std::chrono::nanoseconds> timeout,
                                                                   std::error_code& ec, std::string* tried = nullptr) {
        return open_named(host, port, with_timeout(timeout), ec, tried);
    }
    /// Connects without throwing; `tried` receives a description of every attempt.
    [[deprecated("use TcpClient::open")]] static TcpClient connect(std::string_view host, int port,
                                                                   const ConnectOptions& options, std::error_code& ec,
                                                                   std::string* tried = nullptr) {
        return open_named(host, port, options, ec, tried);
    }
    /// Connects without throwing; `tried` receives a description of every attempt.
    [[deprecated("use TcpClient::open")]] static TcpClient connect(const std::vector<Address>& addresses,
                                                                   const ConnectOptions& options, std::error_code& ec,
                                                                   std::string* tried = nullptr) {
        return open_list(addresses, options, ec, tried);
    }

private:
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
            auto ns = *bad == 't' ? options.timeout->count() : detail::saturating_ns(options.stagger).count();
            *tried = std::string("connect ") + bad + " of " + std::to_string(ns) + " ns (negative)";
        }
        return false;
    }

    static TcpClient open_named(std::string_view host, int port, const ConnectOptions& options, std::error_code& ec,
                                std::string* tried) {
        std::vector<Address> addresses;
        if (check(options, ec, tried)) addresses = Address::resolve(host, port, Family::unspecified, ec);
        if (ec) {
            if (tried != nullptr && tried->empty()) *tried = detail::resolve_context(host, port, ec);
            return {};
        }
        std::string label = std::string(host) + " port " + std::to_string(port);
        return connect_to(addresses, options, ec, tried, label);
    }

    static TcpClient open_list(const std::vector<Address>& addresses, const ConnectOptions& options,
                               std::error_code& ec, std::string* tried) {
        if (!check(options, ec, tried)) return {};
        if (addresses.empty()) {
            ec = make_error_code(Errc::invalid_argument);
            if (tried != nullptr) *tried = "connect (an empty list of addresses)";
            return {};
        }
        return connect_to(addresses, options, ec, tried, "");
    }

    static TcpClient connect_to(const std::vector<Address>& addresses, const ConnectOptions& options,
                                std::error_code& ec, std::string* tried, const std::string& label) {
        TcpClient client;
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
    int backlog = Socket::default_backlog; ///< pending connections the system queues
    /// A restarted server can bind its port at once (SO_REUSEADDR), and no other socket can
    /// bind it while this one listens. On Windows, where SO_REUSEADDR would let another
    /// socket take the port, this sets SO_EXCLUSIVEADDRUSE instead; there the port may stay
    /// taken while connections accepted by a closed server are still open.
    bool reuse_address = true;
    bool reuse_port = false; ///< SO_REUSEPORT; never on unless asked
    bool dual_stack = false; ///< one IPv6 listener that also accepts IPv4 (host "" or "::")
    /// With a host name: only its addresses of this family count (a name with an IPv4 and
    /// an IPv6 address is refused as ambiguous unless a family is chosen).
    Family family = Family::unspecified;
    /// Multipath TCP (RFC 8684; Linux 5.6 with net.mptcp.enabled): clients that speak it may add
    /// paths, others connect with plain TCP. Where the system refuses MPTCP the server listens
    /// with plain TCP; `Protocol` read back tells which it got.
    bool multipath = false;
    /// TCP Fast Open (RFC 7413; Linux, net.ipv4.tcp_fastopen bit 2): if above 0, at most this
    /// many connections whose SYN carried data wait for `accept`, their data readable at once.
    /// Where the system lacks it the server listens without it.
    int fast_open = 0;
};

/**
 * A listening TCP socket.
 *
 * A host name is resolved and must name one address: a server binds one, so a name with
 * several (e.g. `localhost` with 127.0.0.1 and ::1) is refused with `Errc::ambiguous_host`
 * unless `ServerOptions::family` picks one. Accepted streams are blocking with no timeout,
 * whatever the server's.
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
     * `dual_stack`; a name must have one address) and `port` (0: the system picks; see `port()`).
     * @throws AddressError for bad host or port text or an ambiguous name, AddressInUse, or Error.
     */
    TcpServer(std::string_view host, int port, ServerOptions options = {}) {
        std::string context;
        *this = detail::or_throw([&](std::error_code& ec) { return open_named(host, port, options, ec, context); },
                                 [&] { return context; });
    }

    /// Listens on `address`. @throws AddressInUse or Error.
    explicit TcpServer(const Address& address, ServerOptions options = {}) {
        std::string context;
        *this = detail::or_throw([&](std::error_code& ec) { return open_at(address, options, ec, context); },
                                 [&] { return context; });
    }

    /// Listens without throwing: the server, or one that owns nothing with `ec` set.
    static TcpServer open(std::string_view host, int port, const ServerOptions& options, std::error_code& ec) noexcept {
        return detail::or_no_memory<TcpServer>(ec, [&] {
            std::string context;
            return open_named(host, port, options, ec, context);
        });
    }
    /// Listens on `address` without throwing; see above.
    static TcpServer open(const Address& address, const ServerOptions& options, std::error_code& ec) noexcept {
        return detail::or_no_memory<TcpServer>(ec, [&] {
            std::string context;
            return open_at(address, options, ec, context);
        });
    }

    /**
     * Takes a listening TCP socket made elsewhere — one a service manager passed (see
     * `passed_sockets`), or another library's. It must be a listening IPv4 or IPv6 stream socket;
     * if not, `ec` is `Errc::invalid_argument` and `socket` is left to the caller.
     */
    static TcpServer adopt(Socket&& socket, std::error_code& ec) noexcept {
        return detail::adopt<TcpServer>(socket, adopt_rule, ec, [](Socket&& s) { return TcpServer(std::move(s)); });
    }
    /// Takes a listening TCP socket made elsewhere. @throws Error naming the descriptor and why
    /// it does not fit ("adopt descriptor 3: not listening").
    static TcpServer adopt(Socket&& socket) {
        return detail::adopt_or_throw<TcpServer>(socket, adopt_rule,
                                                 [](Socket&& s) { return TcpServer(std::move(s)); });
    }

    using Socket::close;
    using Socket::local_address;

    /// Accepts one connection: the stream (blocking, no timeout) and the peer's address.
    /// Honours the server's timeout.
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
    std::uint16_t port(std::error_code& ec) const noexcept { return local_address(ec).port(); }
    /// The port the server listens on. @throws Error.
    std::uint16_t port() const { return local_address().port(); }

    /// The underlying socket.
    Socket& socket() noexcept { return *this; }

private:
    static constexpr detail::AdoptRule adopt_rule{detail::sock_stream, false, true};
    explicit TcpServer(Socket&& s) noexcept : SocketOperations(std::move(s)) {}

    static TcpServer open_named(std::string_view host, int port, const ServerOptions& options, std::error_code& ec,
                                std::string& context) {
        Address address;
        if (options.dual_stack && host.empty()) {
            address = Address::parse("::", port, ec);
            if (ec) context = detail::resolve_context(host, port, ec);
        } else {
            address = detail::bind_address(host, port, options.family, ec, context);
        }
        return ec ? TcpServer() : open_at(address, options, ec, context);
    }

    static TcpServer open_at(const Address& address, const ServerOptions& options, std::error_code& ec,
                             std::string& context) {
        TcpServer server;
        ec.clear();
        const char* call = "listen";
        if (options.dual_stack && !address.is_v6()) {
            ec = make_error_code(Errc::invalid_argument);
            context = "dual-stack server on " + address.to_string() + " (needs an IPv6 or empty host)";
            return server;
        }
        sockit::Socket s = detail::open_stream(address.family(), options.multipath, ec);
        if (!ec && options.fast_open > 0) detail::enable_fast_open_listen(s, options.fast_open, ec);
        if (!ec && options.reuse_address) s.set_option(detail::BooleanOption<detail::tags::ListenerReuse>(true), ec);
        if (!ec && options.reuse_port) s.set_option(ReusePort(true), ec);
        if (!ec && address.is_v6()) s.set_option(V6Only(!options.dual_stack), ec);
        if (ec) call = "setsockopt";
        if (!ec) {
            s.bind(address, ec);
            call = "bind";
        }
        if (!ec) {
            s.listen(options.backlog, ec);
            call = "listen";
        }
        if (ec) {
            context = detail::context(call, address);
            return server;
        }
        static_cast<Socket&>(server) = std::move(s);
        return server;
    }
};

} // namespace sockit
