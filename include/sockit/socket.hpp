// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "sockit/address.hpp"
#include "sockit/detail/ops.hpp"
#include "sockit/error.hpp"
#include "sockit/options.hpp"

namespace sockit {

/// The kind of socket.
enum class SocketType {
    stream,   ///< TCP (SOCK_STREAM)
    datagram, ///< UDP (SOCK_DGRAM)
};

/// Which direction `shutdown` closes.
enum class Shutdown {
    read,  ///< no more receiving
    write, ///< no more sending: the peer's `recv` returns 0
    both,  ///< both directions
};

class Socket;

/// What `recv_from` returns: the datagram's size and who sent it.
struct Datagram {
    std::size_t size; ///< bytes stored in the buffer (the whole datagram)
    Address sender;   ///< the sender's address
};

namespace detail {
inline std::string context(const char* call, const Address& address) {
    if (address.family() == Family::unspecified) return call;
    std::string out(call);
    out += ' ';
    out += address.to_string();
    return out;
}
// By condition, not errno value, so that Winsock's codes match too.
inline bool is_interrupted(const std::error_code& ec) noexcept { return ec == std::errc::interrupted; }
inline bool is_in_progress(const std::error_code& ec) noexcept { return ec == std::errc::operation_in_progress; }
inline bool is_would_block_fast(const std::error_code& ec) noexcept { return is_would_block(ec); }

/// The point at which a call's timeout expires, taken the first time the call has to wait.
struct Deadline {
    bool started = false;
    std::chrono::steady_clock::time_point at{};
};
} // namespace detail

/**
 * The RAII owner of one socket descriptor, with every operation of the BSD API.
 *
 * Move-only; the destructor closes and never throws; `close()` may be called
 * any number of times. Every operation has a `noexcept` overload taking a
 * `std::error_code&`, and a throwing overload that throws a `sockit::Error`
 * subclass naming the call and the address.
 *
 * Timeouts follow Python's `settimeout`: none (the default) blocks; zero makes
 * the socket non-blocking (would-block is an error); a positive duration makes
 * every blocking call (connect and accept included) fail with `TimeoutError`
 * once it has waited that long. A socket with a timeout is non-blocking
 * underneath: each call is tried first and `poll` is used only when it would
 * block. Interrupted calls (EINTR) are retried within the same deadline.
 *
 * @code
 * sockit::Socket s(sockit::Family::v4, sockit::SocketType::stream);
 * s.set_timeout(std::chrono::seconds(5));
 * s.connect(sockit::Address("127.0.0.1", 7777));
 * s.send_all("hello");
 * @endcode
 */
class Socket {
public:
    /// The system's handle type (`int` on POSIX).
    using native_handle_type = detail::native_handle_type;

    /// A socket object that owns no descriptor.
    Socket() noexcept = default;

    /// Opens a new socket. @throws Error if the system refuses (e.g. out of descriptors).
    Socket(Family family, SocketType type, int protocol = 0) {
        std::error_code ec;
        *this = open(family, type, protocol, ec);
        if (ec) detail::throw_error(ec, "socket");
    }

    /// Opens a new close-on-exec socket, or sets `ec`.
    static Socket open(Family family, SocketType type, int protocol, std::error_code& ec) noexcept {
        Socket s;
        s.fd_ = detail::ops::socket(detail::native_family(family),
                                    type == SocketType::stream ? detail::sock_stream : detail::sock_dgram, protocol, ec);
        if (ec) s.fd_ = detail::invalid_handle;
        return s;
    }

    /// Takes ownership of an open descriptor; its blocking mode is read from the descriptor.
    static Socket from_fd(native_handle_type fd) noexcept {
        Socket s;
        s.fd_ = fd;
        std::error_code ec;
        if (fd != detail::invalid_handle && detail::ops::is_nonblocking(fd, ec) && !ec) s.timeout_ns_ = 0;
        return s;
    }

    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    /// Takes the descriptor, timeout and peer of `other`, which is left closed.
    Socket(Socket&& other) noexcept
        : fd_(std::exchange(other.fd_, detail::invalid_handle)), timeout_ns_(std::exchange(other.timeout_ns_, -1)),
          peer_(other.peer_) {}

    /// Closes this socket, then takes `other`'s descriptor; `other` is left closed.
    Socket& operator=(Socket&& other) noexcept {
        if (this != &other) {
            close_quietly();
            fd_ = std::exchange(other.fd_, detail::invalid_handle);
            timeout_ns_ = std::exchange(other.timeout_ns_, -1);
            peer_ = other.peer_;
        }
        return *this;
    }

    /// Closes the descriptor; never throws.
    ~Socket() { close_quietly(); }

    /// True if this object owns a descriptor.
    bool is_open() const noexcept { return fd_ != detail::invalid_handle; }
    /// True if this object owns a descriptor.
    explicit operator bool() const noexcept { return is_open(); }
    /// The descriptor (still owned by this object), or -1.
    native_handle_type native_handle() const noexcept { return fd_; }
    /// The descriptor, as Python's `fileno()`.
    native_handle_type fileno() const noexcept { return fd_; }
    /// Gives up ownership: returns the descriptor and leaves this object closed.
    native_handle_type release() noexcept { return std::exchange(fd_, detail::invalid_handle); }

    /// Closes the descriptor; calling it again does nothing.
    void close(std::error_code& ec) noexcept {
        ec.clear();
        if (fd_ == detail::invalid_handle) return;
        detail::ops::close(std::exchange(fd_, detail::invalid_handle), ec);
        if (detail::is_interrupted(ec)) ec.clear(); // the descriptor is closed all the same
    }
    /// Closes the descriptor; calling it again does nothing. @throws Error if close reports an error.
    void close() {
        std::error_code ec;
        close(ec);
        if (ec) detail::throw_error(ec, "close");
    }

    /// Binds to a local address.
    void bind(const Address& address, std::error_code& ec) noexcept {
        detail::ops::bind(fd_, address.native(), address.native_size(), ec);
    }
    /// Binds to a local address. @throws AddressInUse, or Error naming the address.
    void bind(const Address& address) {
        std::error_code ec;
        bind(address, ec);
        if (ec) detail::throw_error(ec, detail::context("bind", address));
    }

    /// Starts listening with room for `backlog` pending connections.
    void listen(int backlog, std::error_code& ec) noexcept { detail::ops::listen(fd_, backlog, ec); }
    /// Starts listening with room for `backlog` pending connections. @throws Error.
    void listen(int backlog = 128) {
        std::error_code ec;
        listen(backlog, ec);
        if (ec) detail::throw_error(ec, detail::context("listen", local_address_or_none()));
    }

    /// Accepts a connection: the new socket (close-on-exec, blocking) and the peer's address.
    std::pair<Socket, Address> accept(std::error_code& ec) noexcept {
        std::pair<Socket, Address> out;
        detail::socklen_type len = Address::native_capacity();
        Address& peer = out.second;
        native_handle_type fd = io(
            detail::ops::poll_in, [&](std::error_code& e) { return detail::ops::accept(fd_, peer.native(), &len, e); },
            ec);
        if (!ec) {
            out.first.fd_ = fd;
            out.first.peer_ = peer;
        } else {
            peer = Address();
        }
        return out;
    }
    /// Accepts a connection. @throws TimeoutError when the timeout expires, or Error.
    std::pair<Socket, Address> accept() {
        std::error_code ec;
        auto out = accept(ec);
        if (ec) detail::throw_error(ec, detail::context("accept", local_address_or_none()));
        return out;
    }

    /**
     * Connects to `address`. With a timeout, fails with `Errc::timed_out` after it;
     * in non-blocking mode returns `operation_in_progress` and the caller waits for
     * writability and reads `pending_error()`. An interrupted connect is finished by
     * waiting for writability and reading SO_ERROR, never by calling connect again.
     */
    void connect(const Address& address, std::error_code& ec) noexcept {
        detail::ops::connect(fd_, address.native(), address.native_size(), ec);
        if (ec && (detail::is_interrupted(ec) || (detail::is_in_progress(ec) && timeout_ns_ != 0))) {
            detail::Deadline deadline;
            while (!wait(detail::ops::poll_out, deadline, ec)) {
                if (!detail::is_interrupted(ec)) return;
            }
            ec = pending_error();
        }
        if (!ec) peer_ = address;
    }
    /// Connects to `address`. @throws ConnectionRefused, TimeoutError, or Error naming the address.
    void connect(const Address& address) {
        std::error_code ec;
        connect(address, ec);
        if (ec) detail::throw_error(ec, detail::context("connect", address));
    }
    /// Connects and returns the error instead of throwing (Python's `connect_ex`); empty on success.
    std::error_code connect_ex(const Address& address) noexcept {
        std::error_code ec;
        connect(address, ec);
        return ec;
    }

    /// Reads and clears the socket's pending error (SO_ERROR).
    std::error_code pending_error() const noexcept {
        int value = 0;
        detail::socklen_type len = sizeof value;
        std::error_code ec;
        detail::ops::getsockopt(fd_, detail::opt::sol_socket, detail::opt::so_error, &value, &len, ec);
        if (ec) return ec;
        return value == 0 ? std::error_code() : detail::native_error(value);
    }

    /// Sends some of `data`; returns how many bytes went out (possibly fewer than `size`).
    std::size_t send(const void* data, std::size_t size, std::error_code& ec) noexcept {
        auto n = io(
            detail::ops::poll_out, [&](std::error_code& e) { return detail::ops::send(fd_, data, size, 0, e); }, ec);
        return ec ? 0 : static_cast<std::size_t>(n);
    }
    /// Sends some of `data`; returns how many bytes went out. @throws BrokenPipe, ConnectionReset, TimeoutError, Error.
    std::size_t send(const void* data, std::size_t size) {
        std::error_code ec;
        std::size_t n = send(data, size, ec);
        if (ec) detail::throw_error(ec, detail::context("send", peer_));
        return n;
    }
    /// Sends some of `data`; returns how many bytes went out.
    std::size_t send(std::string_view data, std::error_code& ec) noexcept { return send(data.data(), data.size(), ec); }
    /// Sends some of `data`; returns how many bytes went out. @throws as `send(const void*, std::size_t)`.
    std::size_t send(std::string_view data) { return send(data.data(), data.size()); }

    /// Sends all of `data`, looping over partial sends; returns the bytes sent (all of
    /// them unless `ec` is set). A timeout bounds the whole call, not each send.
    std::size_t send_all(const void* data, std::size_t size, std::error_code& ec) noexcept {
        const char* p = static_cast<const char*>(data);
        std::size_t sent = 0;
        detail::Deadline deadline;
        ec.clear();
        while (sent < size) {
            auto n = io(
                detail::ops::poll_out,
                [&](std::error_code& e) { return detail::ops::send(fd_, p + sent, size - sent, 0, e); }, ec, deadline);
            if (ec) break;
            sent += static_cast<std::size_t>(n);
        }
        return sent;
    }
    /**
     * Sends all of `data`.
     * @throws BrokenPipe, ConnectionReset, TimeoutError or Error; the message says how many bytes were sent.
     */
    void send_all(const void* data, std::size_t size) {
        std::error_code ec;
        std::size_t sent = send_all(data, size, ec);
        if (ec)
            detail::throw_error(ec, detail::context("send_all", peer_) + " (sent " + std::to_string(sent) + " of " +
                                        std::to_string(size) + " bytes)");
    }
    /// Sends all of `data`; see `send_all(const void*, std::size_t, std::error_code&)`.
    std::size_t send_all(std::string_view data, std::error_code& ec) noexcept {
        return send_all(data.data(), data.size(), ec);
    }
    /// Sends all of `data`. @throws as `send_all(const void*, std::size_t)`.
    void send_all(std::string_view data) { send_all(data.data(), data.size()); }

    /// Receives up to `size` bytes; returns how many arrived. 0 means the peer closed
    /// the connection (for a stream socket), never an error.
    std::size_t recv(void* data, std::size_t size, std::error_code& ec) noexcept {
        auto n = io(
            detail::ops::poll_in, [&](std::error_code& e) { return detail::ops::recv(fd_, data, size, 0, e); }, ec);
        return ec ? 0 : static_cast<std::size_t>(n);
    }
    /// Receives up to `size` bytes; 0 means the peer closed. @throws ConnectionReset, TimeoutError, Error.
    std::size_t recv(void* data, std::size_t size) {
        std::error_code ec;
        std::size_t n = recv(data, size, ec);
        if (ec) detail::throw_error(ec, detail::context("recv", peer_));
        return n;
    }
    /// Receives up to `max_size` bytes into a new string (Python's `recv(1024)`); empty means the peer closed.
    std::string recv(std::size_t max_size) {
        std::string out(max_size, '\0');
        out.resize(recv(&out[0], max_size));
        return out;
    }

    /// Sends one datagram to `to`; returns the bytes sent.
    std::size_t send_to(const void* data, std::size_t size, const Address& to, std::error_code& ec) noexcept {
        auto n = io(
            detail::ops::poll_out,
            [&](std::error_code& e) {
                return detail::ops::sendto(fd_, data, size, 0, to.native(), to.native_size(), e);
            },
            ec);
        return ec ? 0 : static_cast<std::size_t>(n);
    }
    /// Sends one datagram to `to`. @throws Error naming the address (EMSGSIZE above 65507 bytes on IPv4).
    std::size_t send_to(const void* data, std::size_t size, const Address& to) {
        std::error_code ec;
        std::size_t n = send_to(data, size, to, ec);
        if (ec) detail::throw_error(ec, detail::context("send_to", to));
        return n;
    }
    /// Sends one datagram to `to`.
    std::size_t send_to(std::string_view data, const Address& to, std::error_code& ec) noexcept {
        return send_to(data.data(), data.size(), to, ec);
    }
    /// Sends one datagram to `to`. @throws as `send_to(const void*, std::size_t, const Address&)`.
    std::size_t send_to(std::string_view data, const Address& to) { return send_to(data.data(), data.size(), to); }

    /**
     * Receives one datagram into `data`. A datagram larger than `size` sets
     * `Errc::datagram_truncated` (its first `size` bytes are stored, the sender is
     * filled in); a zero-length datagram is a valid datagram of size 0.
     */
    Datagram recv_from(void* data, std::size_t size, std::error_code& ec) noexcept {
        Datagram out{0, Address()};
        detail::socklen_type len = Address::native_capacity();
        auto n = io(
            detail::ops::poll_in,
            [&](std::error_code& e) {
                return detail::ops::recvfrom(fd_, data, size, 0, out.sender.native(), &len, e);
            },
            ec);
        if (ec) return out;
        out.size = static_cast<std::size_t>(n);
        if (out.size > size) {
            out.size = size;
            ec = make_error_code(Errc::datagram_truncated);
        }
        return out;
    }
    /// Receives one datagram. @throws Error with `Errc::datagram_truncated` if it did not fit, TimeoutError, Error.
    Datagram recv_from(void* data, std::size_t size) {
        std::error_code ec;
        Datagram d = recv_from(data, size, ec);
        if (ec)
            detail::throw_error(ec, detail::context("recv_from", d.sender) +
                                        (ec == Errc::datagram_truncated
                                             ? " (buffer of " + std::to_string(size) + " bytes)"
                                             : std::string()));
        return d;
    }

    /// The address of the connected peer (getpeername).
    Address peer_address(std::error_code& ec) const noexcept {
        Address a;
        detail::socklen_type len = Address::native_capacity();
        detail::ops::getpeername(fd_, a.native(), &len, ec);
        return ec ? Address() : a;
    }
    /// The address of the connected peer. @throws Error (ENOTCONN if not connected).
    Address peer_address() const {
        std::error_code ec;
        Address a = peer_address(ec);
        if (ec) detail::throw_error(ec, "getpeername");
        return a;
    }
    /// The local address (getsockname): after `bind` to port 0, the port the system chose.
    Address local_address(std::error_code& ec) const noexcept {
        Address a;
        detail::socklen_type len = Address::native_capacity();
        detail::ops::getsockname(fd_, a.native(), &len, ec);
        return ec ? Address() : a;
    }
    /// The local address. @throws Error.
    Address local_address() const {
        std::error_code ec;
        Address a = local_address(ec);
        if (ec) detail::throw_error(ec, "getsockname");
        return a;
    }

    /// Sets a typed option (see options.hpp), e.g. `set_option(sockit::NoDelay(true))`.
    template <class Option>
    void set_option(const Option& option, std::error_code& ec) noexcept {
        detail::ops::setsockopt(fd_, option.level(), option.name(), option.data(),
                                static_cast<detail::socklen_type>(option.size()), ec);
    }
    /// Sets a typed option. @throws Error naming the option.
    template <class Option>
    void set_option(const Option& option) {
        std::error_code ec;
        set_option(option, ec);
        if (ec) detail::throw_error(ec, "setsockopt " + detail::option_label(option));
    }
    /// Reads a typed option, e.g. `get_option<sockit::NoDelay>().value()`.
    template <class Option>
    Option get_option(std::error_code& ec) const noexcept {
        Option option;
        auto len = static_cast<detail::socklen_type>(option.size());
        detail::ops::getsockopt(fd_, option.level(), option.name(), option.data(), &len, ec);
        if (!ec) option.resize(static_cast<std::size_t>(len));
        return option;
    }
    /// Reads a typed option. @throws Error naming the option.
    template <class Option>
    Option get_option() const {
        std::error_code ec;
        auto option = get_option<Option>(ec);
        if (ec) detail::throw_error(ec, "getsockopt " + detail::option_label(option));
        return option;
    }
    /// Sets a raw option (setsockopt with any level and name).
    void set_option(int level, int name, const void* value, std::size_t size, std::error_code& ec) noexcept {
        detail::ops::setsockopt(fd_, level, name, value, static_cast<detail::socklen_type>(size), ec);
    }
    /// Sets a raw option. @throws Error.
    void set_option(int level, int name, const void* value, std::size_t size) {
        std::error_code ec;
        set_option(level, name, value, size, ec);
        if (ec)
            detail::throw_error(ec, "setsockopt level " + std::to_string(level) + " name " + std::to_string(name));
    }
    /// Reads a raw option into `value`; returns the size the system wrote.
    std::size_t get_option(int level, int name, void* value, std::size_t size, std::error_code& ec) const noexcept {
        auto len = static_cast<detail::socklen_type>(size);
        detail::ops::getsockopt(fd_, level, name, value, &len, ec);
        return ec ? 0 : static_cast<std::size_t>(len);
    }
    /// Reads a raw option into `value`; returns the size the system wrote. @throws Error.
    std::size_t get_option(int level, int name, void* value, std::size_t size) const {
        std::error_code ec;
        std::size_t n = get_option(level, name, value, size, ec);
        if (ec)
            detail::throw_error(ec, "getsockopt level " + std::to_string(level) + " name " + std::to_string(name));
        return n;
    }

    /// Blocking (true: no timeout) or non-blocking (false: timeout zero), as Python's `setblocking`.
    void set_blocking(bool blocking, std::error_code& ec) noexcept { set_timeout_ns(blocking ? -1 : 0, ec); }
    /// Blocking or non-blocking. @throws Error.
    void set_blocking(bool blocking) {
        std::error_code ec;
        set_blocking(blocking, ec);
        if (ec) detail::throw_error(ec, "set_blocking");
    }
    /// False only in non-blocking mode (timeout zero), as Python's `getblocking`.
    bool blocking() const noexcept { return timeout_ns_ != 0; }

    /// Sets the timeout of every blocking call; zero means non-blocking; negative is an error.
    template <class Rep, class Period>
    void set_timeout(std::chrono::duration<Rep, Period> timeout, std::error_code& ec) noexcept {
        if (timeout < timeout.zero()) {
            ec = make_error_code(Errc::invalid_argument);
            return;
        }
        using Ns = std::chrono::duration<long double, std::nano>;
        long double ns = std::chrono::duration_cast<Ns>(timeout).count();
        constexpr std::int64_t max_ns = std::numeric_limits<std::int64_t>::max() / 2;
        constexpr auto max = static_cast<long double>(max_ns);
        auto whole = static_cast<std::int64_t>(ns < max ? ns : max);
        if (static_cast<long double>(whole) < ns) ++whole; // round up: never wait less than asked
        set_timeout_ns(whole, ec);
    }
    /// Sets the timeout of every blocking call. @throws Error if `timeout` is negative.
    template <class Rep, class Period>
    void set_timeout(std::chrono::duration<Rep, Period> timeout) {
        std::error_code ec;
        set_timeout(timeout, ec);
        if (ec) detail::throw_error(ec, "set_timeout");
    }
    /// Removes the timeout: calls block until they complete.
    void set_timeout(std::nullopt_t, std::error_code& ec) noexcept { set_timeout_ns(-1, ec); }
    /// Removes the timeout. @throws Error.
    void set_timeout(std::nullopt_t) {
        std::error_code ec;
        set_timeout(std::nullopt, ec);
        if (ec) detail::throw_error(ec, "set_timeout");
    }
    /// The timeout: empty when blocking, zero when non-blocking.
    std::optional<std::chrono::nanoseconds> timeout() const noexcept {
        if (timeout_ns_ < 0) return std::nullopt;
        return std::chrono::nanoseconds(timeout_ns_);
    }

    /// Shuts down one or both directions; from another thread, this wakes a blocked `recv` or `accept`.
    void shutdown(Shutdown how, std::error_code& ec) noexcept {
        detail::ops::shutdown(fd_,
                              how == Shutdown::read    ? detail::ops::shut_rd
                              : how == Shutdown::write ? detail::ops::shut_wr
                                                       : detail::ops::shut_rdwr,
                              ec);
    }
    /// Shuts down one or both directions. @throws Error.
    void shutdown(Shutdown how = Shutdown::both) {
        std::error_code ec;
        shutdown(how, ec);
        if (ec) detail::throw_error(ec, detail::context("shutdown", peer_));
    }

protected:
    /// The peer this socket connected to or was accepted from (for messages); may be unspecified.
    const Address& known_peer() const noexcept { return peer_; }

private:
    native_handle_type fd_ = detail::invalid_handle;
    std::int64_t timeout_ns_ = -1; // < 0: blocking; 0: non-blocking; > 0: non-blocking + poll
    Address peer_;

    void close_quietly() noexcept {
        std::error_code ignored;
        close(ignored);
    }

    Address local_address_or_none() const noexcept {
        std::error_code ignored;
        return local_address(ignored);
    }

    void set_timeout_ns(std::int64_t ns, std::error_code& ec) noexcept {
        ec.clear();
        if ((ns < 0) != (timeout_ns_ < 0)) {
            detail::ops::set_nonblocking(fd_, ns >= 0, ec);
            if (ec) return;
        }
        timeout_ns_ = ns;
    }

    /// Waits until the descriptor is ready for `events` or the deadline passes.
    /// Returns false with `ec` set on timeout or error (EINTR included, for the caller to retry).
    bool wait(short events, detail::Deadline& deadline, std::error_code& ec) noexcept {
        using namespace std::chrono;
        for (;;) {
            int wait_ms = -1;
            if (timeout_ns_ >= 0) {
                auto now = steady_clock::now();
                if (!deadline.started) {
                    deadline.started = true;
                    deadline.at = now + nanoseconds(timeout_ns_);
                }
                if (now >= deadline.at) {
                    ec = make_error_code(Errc::timed_out);
                    return false;
                }
                // Round up, so that poll never returns before the deadline.
                auto left = duration_cast<milliseconds>(deadline.at - now + milliseconds(1) - nanoseconds(1)).count();
                wait_ms = left > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max()
                                                                 : static_cast<int>(left);
            }
            short revents = detail::ops::poll_one(fd_, events, wait_ms, ec);
            if (ec) return false;
            if (revents != 0) return true;
        }
    }

    /// Runs `attempt` until it succeeds or fails for a reason other than EINTR or, with a
    /// positive timeout, would-block (then waits for readiness within the deadline).
    template <class Attempt>
    auto io(short events, Attempt&& attempt, std::error_code& ec, detail::Deadline& deadline) noexcept
        -> decltype(attempt(ec)) {
        for (;;) {
            auto result = attempt(ec);
            if (!ec) return result;
            if (detail::is_interrupted(ec)) continue;
            if (timeout_ns_ <= 0 || !detail::is_would_block_fast(ec)) return result;
            if (!wait(events, deadline, ec) && !detail::is_interrupted(ec)) return result;
        }
    }
    template <class Attempt>
    auto io(short events, Attempt&& attempt, std::error_code& ec) noexcept -> decltype(attempt(ec)) {
        detail::Deadline deadline;
        return io(events, attempt, ec, deadline);
    }
};

} // namespace sockit
