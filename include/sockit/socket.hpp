// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include "sockit/address.hpp"
#include "sockit/buffer.hpp"
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
/// Throws the error of `call` on `address`; out of line so that callers stay small.
[[noreturn]] SOCKIT_COLD inline void throw_at(const std::error_code& ec, const char* call, const Address& address) {
    throw_error(ec, context(call, address));
}
/// Throws the error of a transfer that stopped after `done` of `total` bytes.
[[noreturn]] SOCKIT_COLD inline void throw_partial(const std::error_code& ec, const char* call, const Address& address,
                                                   std::size_t done, std::size_t total, const char* verb = "sent") {
    throw_error(ec, context(call, address) + " (" + verb + " " + std::to_string(done) + " of " + std::to_string(total) +
                        " bytes)");
}
/// Throws the error of a `recv_from` (or `call`) into a buffer of `size` bytes.
[[noreturn]] SOCKIT_COLD inline void throw_recv_from(const std::error_code& ec, const Address& sender, std::size_t size,
                                                     const char* call = "recv_from") {
    throw_error(ec, context(call, sender) +
                        (ec == Errc::datagram_truncated ? " (buffer of " + std::to_string(size) + " bytes)" : ""));
}
// By condition, not errno value, so that Winsock's codes match too.
inline bool is_interrupted(const std::error_code& ec) noexcept { return ec == std::errc::interrupted; }
inline bool is_in_progress(const std::error_code& ec) noexcept { return ec == std::errc::operation_in_progress; }
inline bool is_would_block_fast(const std::error_code& ec) noexcept { return is_would_block(ec); }

/// The point at which a call's timeout expires, on the coarse monotonic clock. Its
/// resolution (a scheduler tick) only matters after an interruption, when the kernel
/// timeout is set to what is left.
struct Deadline {
    bool started = false;
    std::int64_t at_ns = 0;

    void start(std::int64_t timeout_ns) noexcept {
        started = true;
        at_ns = ops::coarse_now_ns() + timeout_ns;
    }
    /// Nanoseconds left, or 0 if the deadline has passed. Both readings of the coarse clock
    /// may lag by up to one tick, and the kernel counts a timeout in ticks from the current,
    /// partly elapsed one (so it may end up to a tick early): two ticks are added, so that
    /// the call never ends early.
    std::int64_t left() const noexcept {
        std::int64_t ns = at_ns + 2 * ops::coarse_resolution_ns() - ops::coarse_now_ns();
        return ns > 0 ? ns : 0;
    }
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
 * once it has waited that long. The kernel enforces the timeout (SO_RCVTIMEO and
 * SO_SNDTIMEO on a blocking descriptor), so a call with a timeout makes exactly
 * the system calls it would make without one: no poll before or after it, and no
 * blocking-mode switching per call. Interrupted calls (EINTR) are retried with
 * what is left of the same deadline, never with a fresh one.
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
                                    type == SocketType::stream ? detail::sock_stream : detail::sock_dgram, protocol,
                                    ec);
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

    /// A second, close-on-exec descriptor for the same socket (F_DUPFD_CLOEXEC), with the same
    /// timeout: options, blocking mode and kernel timeouts are shared by the two.
    Socket dup(std::error_code& ec) const noexcept {
        Socket s;
        s.fd_ = detail::ops::dup(fd_, ec);
        if (ec) {
            s.fd_ = detail::invalid_handle;
            return s;
        }
        s.timeout_ns_ = timeout_ns_;
        s.peer_ = peer_;
        return s;
    }
    /// A second, close-on-exec descriptor for the same socket. @throws Error (e.g. out of descriptors).
    Socket dup() const {
        std::error_code ec;
        Socket s = dup(ec);
        if (ec) detail::throw_at(ec, "dup", peer_);
        return s;
    }

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
        if (ec) detail::throw_at(ec, "bind", address);
    }

    /// Starts listening with room for `backlog` pending connections.
    void listen(int backlog, std::error_code& ec) noexcept { detail::ops::listen(fd_, backlog, ec); }
    /// Starts listening with room for `backlog` pending connections. @throws Error.
    void listen(int backlog = 128) {
        std::error_code ec;
        listen(backlog, ec);
        if (ec) detail::throw_at(ec, "listen", local_address_or_none());
    }

    /// Accepts a connection: the new socket (close-on-exec, blocking) and the peer's address.
    std::pair<Socket, Address> accept(std::error_code& ec) noexcept {
        std::pair<Socket, Address> out;
        detail::socklen_type len = Address::native_capacity();
        Address& peer = out.second;
        native_handle_type fd = io([&](std::error_code& e) { return detail::ops::accept(fd_, peer.native(), &len, e); },
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
        if (ec) detail::throw_at(ec, "accept", local_address_or_none());
        return out;
    }

    /**
     * Connects to `address`. With a timeout, fails with `Errc::timed_out` after it;
     * in non-blocking mode returns `operation_in_progress` and the caller waits for
     * writability and reads `pending_error()`. An interrupted connect is finished by
     * waiting for writability and reading SO_ERROR, never by calling connect again.
     */
    void connect(const Address& address, std::error_code& ec) noexcept {
        connect_native(address.native(), address.native_size(), ec);
        if (!ec || detail::is_in_progress(ec)) peer_ = address; // a non-blocking connect names its peer too
    }
    /// Connects to `address`. @throws ConnectionRefused, TimeoutError, or Error naming the address.
    void connect(const Address& address) {
        std::error_code ec;
        connect(address, ec);
        if (ec) detail::throw_at(ec, "connect", address);
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
        auto n = io([fd = fd_, data, size](std::error_code& e) { return detail::ops::send(fd, data, size, 0, e); }, ec);
        return ec ? 0 : static_cast<std::size_t>(n);
    }
    /// Sends some of `data`; returns how many bytes went out. @throws BrokenPipe, ConnectionReset, TimeoutError, Error.
    std::size_t send(const void* data, std::size_t size) {
        std::error_code ec;
        std::size_t n = send(data, size, ec);
        if (ec) detail::throw_at(ec, "send", peer_);
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
        detail::Deadline deadline;
        std::size_t sent = 0;
        do {
            auto n = io([fd = fd_, at = p + sent,
                         left = size - sent](std::error_code& e) { return detail::ops::send(fd, at, left, 0, e); },
                        ec, deadline);
            if (ec) break;
            sent += static_cast<std::size_t>(n);
        } while (sent < size);
        return sent;
    }
    /**
     * Sends all of `data`.
     * @throws BrokenPipe, ConnectionReset, TimeoutError or Error; the message says how many bytes were sent.
     */
    void send_all(const void* data, std::size_t size) {
        std::error_code ec;
        std::size_t sent = send_all(data, size, ec);
        if (ec) detail::throw_partial(ec, "send_all", peer_, sent, size);
    }
    /// Sends all of `data`; see `send_all(const void*, std::size_t, std::error_code&)`.
    std::size_t send_all(std::string_view data, std::error_code& ec) noexcept {
        return send_all(data.data(), data.size(), ec);
    }
    /// Sends all of `data`. @throws as `send_all(const void*, std::size_t)`.
    void send_all(std::string_view data) { send_all(data.data(), data.size()); }

    /// Sends some of several buffers with one system call (sendmsg, "gather"); returns the bytes sent.
    std::size_t send(const ConstBuffer* buffers, std::size_t count, std::error_code& ec) noexcept {
        detail::ops::IoWindow window;
        window.fill(buffers, count, 0);
        auto n = io([&](std::error_code& e) { return detail::ops::sendmsg(fd_, window.data(), window.size(), 0, e); },
                    ec);
        return ec ? 0 : static_cast<std::size_t>(n);
    }

    /// Sends all bytes of several buffers, in order, without copying them together
    /// (sendmsg; typically one system call for a header and a payload). Returns the bytes sent.
    std::size_t send_all(const ConstBuffer* buffers, std::size_t count, std::error_code& ec) noexcept {
        std::size_t total = 0;
        for (std::size_t i = 0; i < count; ++i) total += buffers[i].size;
        std::size_t sent = 0;
        detail::Deadline deadline;
        detail::ops::IoWindow window;
        ec.clear();
        while (sent < total) {
            window.fill(buffers, count, sent);
            auto n = io(
                [&](std::error_code& e) { return detail::ops::sendmsg(fd_, window.data(), window.size(), 0, e); }, ec,
                deadline);
            if (ec) break;
            sent += static_cast<std::size_t>(n);
        }
        return sent;
    }
    /// Sends all bytes of several buffers. @throws as `send_all(const void*, std::size_t)`.
    void send_all(const ConstBuffer* buffers, std::size_t count) {
        std::error_code ec;
        std::size_t sent = send_all(buffers, count, ec);
        if (ec) {
            std::size_t total = 0;
            for (std::size_t i = 0; i < count; ++i) total += buffers[i].size;
            detail::throw_partial(ec, "send_all", peer_, sent, total);
        }
    }
    /// Sends all bytes of several buffers: `send_all({sockit::buffer(header), sockit::buffer(body)})`.
    void send_all(std::initializer_list<ConstBuffer> buffers) { send_all(buffers.begin(), buffers.size()); }
    /// Sends all bytes of several buffers.
    std::size_t send_all(std::initializer_list<ConstBuffer> buffers, std::error_code& ec) noexcept {
        return send_all(buffers.begin(), buffers.size(), ec);
    }

    /// Receives into several buffers with one system call (recvmsg, "scatter"), filling them
    /// in order; returns the total bytes received (0: the peer closed).
    std::size_t recv(const MutableBuffer* buffers, std::size_t count, std::error_code& ec) noexcept {
        detail::ops::IoWindow window;
        window.fill(buffers, count, 0);
        auto n = io(
            [&](std::error_code& e) {
                return detail::ops::recvmsg(fd_, window.data(), window.size(), 0, nullptr, nullptr, nullptr, e);
            },
            ec);
        return ec ? 0 : static_cast<std::size_t>(n);
    }
    /// Receives into several buffers with one system call. @throws as `recv(void*, std::size_t)`.
    std::size_t recv(const MutableBuffer* buffers, std::size_t count) {
        std::error_code ec;
        std::size_t n = recv(buffers, count, ec);
        if (ec) detail::throw_at(ec, "recv", peer_);
        return n;
    }

    /// Receives up to `size` bytes; returns how many arrived. 0 means the peer closed
    /// the connection (for a stream socket), never an error.
    std::size_t recv(void* data, std::size_t size, std::error_code& ec) noexcept {
        auto n = io([fd = fd_, data, size](std::error_code& e) { return detail::ops::recv(fd, data, size, 0, e); }, ec);
        return ec ? 0 : static_cast<std::size_t>(n);
    }
    /// Receives up to `size` bytes; 0 means the peer closed. @throws ConnectionReset, TimeoutError, Error.
    std::size_t recv(void* data, std::size_t size) {
        std::error_code ec;
        std::size_t n = recv(data, size, ec);
        if (ec) detail::throw_at(ec, "recv", peer_);
        return n;
    }
    /// Receives up to `max_size` bytes into a new string (Python's `recv(1024)`); empty means the peer closed.
    std::string recv(std::size_t max_size) {
        std::string out(max_size, '\0');
        out.resize(recv(&out[0], max_size));
        return out;
    }

    /**
     * Receives exactly `size` bytes, looping over short reads; returns how many arrived.
     * The timeout bounds the whole call. If the peer closes first, `ec` is
     * `Errc::end_of_stream` (not a system error) and the result says how much came.
     */
    std::size_t recv_exactly(void* data, std::size_t size, std::error_code& ec) noexcept {
        char* p = static_cast<char*>(data);
        detail::Deadline deadline;
        std::size_t got = 0;
        ec.clear();
        while (got < size) {
            auto n = io([fd = fd_, at = p + got,
                         left = size - got](std::error_code& e) { return detail::ops::recv(fd, at, left, 0, e); },
                        ec, deadline);
            if (ec) break;
            if (n == 0) {
                ec = make_error_code(Errc::end_of_stream);
                break;
            }
            got += static_cast<std::size_t>(n);
        }
        return got;
    }
    /// Receives exactly `size` bytes. @throws Error with `Errc::end_of_stream` if the peer closes first, or as `recv`.
    void recv_exactly(void* data, std::size_t size) {
        std::error_code ec;
        std::size_t got = recv_exactly(data, size, ec);
        if (ec) detail::throw_partial(ec, "recv_exactly", peer_, got, size, "received");
    }

    /**
     * Receives up to and including `delimiter` (e.g. "\n") and returns it, never more than
     * `max_size` bytes: bytes after the delimiter stay in the socket for the next call, and
     * a peer that never sends the delimiter cannot make it allocate more. The timeout
     * bounds the whole call. Errors: `Errc::limit_exceeded` (no delimiter within
     * `max_size`; nothing is lost, the bytes are returned), `Errc::end_of_stream` (the
     * peer closed first; what came is returned; empty if nothing did).
     */
    std::string recv_until(std::string_view delimiter, std::size_t max_size, std::error_code& ec) {
        std::string out;
        ec.clear();
        if (delimiter.empty() || max_size == 0) {
            ec = make_error_code(Errc::invalid_argument);
            return out;
        }
        detail::Deadline deadline;
        std::string chunk;
        while (out.size() < max_size) {
            // Peek, find the delimiter in what came, then take exactly the bytes that belong to us.
            chunk.resize(std::min<std::size_t>(max_size - out.size(), std::size_t{64} * 1024));
            auto n = io(
                [&](std::error_code& e) {
                    return detail::ops::recv(fd_, &chunk[0], chunk.size(), detail::ops::msg_peek, e);
                },
                ec, deadline);
            if (ec) return out;
            if (n == 0) {
                ec = make_error_code(Errc::end_of_stream);
                return out;
            }
            std::size_t seen = out.size();
            auto take = static_cast<std::size_t>(n);
            out.append(chunk.data(), take);
            std::size_t from = seen >= delimiter.size() ? seen - delimiter.size() + 1 : 0;
            std::size_t at = out.find(delimiter, from);
            if (at != std::string::npos) {
                std::size_t end = at + delimiter.size();
                take = end - seen;
                out.resize(end);
            }
            std::size_t consumed = 0;
            while (consumed < take) { // the peeked bytes are there: this does not block
                auto m = io(
                    [&](std::error_code& e) { return detail::ops::recv(fd_, &chunk[0], take - consumed, 0, e); }, ec,
                    deadline);
                if (ec) return out;
                consumed += static_cast<std::size_t>(m);
            }
            if (at != std::string::npos) return out;
        }
        ec = make_error_code(Errc::limit_exceeded);
        return out;
    }
    /**
     * Receives up to and including `delimiter`, at most `max_size` bytes.
     * @throws Error with `Errc::limit_exceeded` or `Errc::end_of_stream`, TimeoutError, or as `recv`.
     */
    std::string recv_until(std::string_view delimiter, std::size_t max_size) {
        std::error_code ec;
        std::string out = recv_until(delimiter, max_size, ec);
        if (ec) detail::throw_partial(ec, "recv_until", peer_, out.size(), max_size, "received");
        return out;
    }

    /// Sends one datagram to `to`; returns the bytes sent.
    std::size_t send_to(const void* data, std::size_t size, const Address& to, std::error_code& ec) noexcept {
        auto n = io(
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
        if (ec) detail::throw_at(ec, "send_to", to);
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
            [&](std::error_code& e) { return detail::ops::recvfrom(fd_, data, size, 0, out.sender.native(), &len, e); },
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
        if (ec) detail::throw_recv_from(ec, d.sender, size);
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
        if (ec) detail::throw_error(ec, "setsockopt level " + std::to_string(level) + " name " + std::to_string(name));
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
        if (ec) detail::throw_error(ec, "getsockopt level " + std::to_string(level) + " name " + std::to_string(name));
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

    /// Sets the timeout of every blocking call; zero means non-blocking; negative (or NaN) is an error.
    template <class Rep, class Period>
    void set_timeout(std::chrono::duration<Rep, Period> timeout, std::error_code& ec) noexcept {
        bool nan = false;
        if constexpr (std::is_floating_point<Rep>::value) nan = std::isnan(timeout.count());
        if (nan || timeout < timeout.zero()) {
            ec = make_error_code(Errc::invalid_argument);
            return;
        }
        using Ns = std::chrono::duration<long double, std::nano>;
        // A floating-point timeout is scaled in double precision (as CPython does), so that
        // 0.1 s is 100000000 ns and not one more from the representation error of 0.1.
        using DoubleNs = std::chrono::duration<double, std::nano>;
        long double ns = std::is_floating_point<Rep>::value
                             ? static_cast<long double>(std::chrono::duration_cast<DoubleNs>(timeout).count())
                             : std::chrono::duration_cast<Ns>(timeout).count();
        constexpr std::int64_t max_ns = std::numeric_limits<std::int64_t>::max() / 2;
        constexpr auto max = static_cast<long double>(max_ns);
        auto whole = static_cast<std::int64_t>(ns < max ? ns : max);
        if (static_cast<long double>(whole) < ns) ++whole; // round up: never wait less than asked
        set_timeout_ns(whole, ec);
    }
    /// Sets the timeout of every blocking call. @throws Error naming the value if `timeout` is negative or NaN.
    template <class Rep, class Period>
    void set_timeout(std::chrono::duration<Rep, Period> timeout) {
        std::error_code ec;
        set_timeout(timeout, ec);
        if (ec) {
            char seconds[32];
            std::snprintf(seconds, sizeof seconds, "%g", std::chrono::duration<double>(timeout).count());
            detail::throw_error(ec, std::string("set_timeout ") + seconds + " s (must be zero or more)");
        }
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
        if (ec) detail::throw_at(ec, "shutdown", peer_);
    }

protected:
    /// Runs `attempt` (one system call) until it succeeds or fails for a reason other than
    /// EINTR. With a timeout, the kernel waits (SO_RCVTIMEO/SO_SNDTIMEO) and would-block
    /// means it expired. After an interruption, or when `deadline` was started by an earlier
    /// call of the same operation (send_all), the kernel timeout is set to what is left of
    /// the deadline for the retry, and restored afterwards. The hot calls' attempts capture
    /// by value, so that a caller's loop variables can stay in registers.
    template <class Attempt>
    auto io(Attempt&& attempt, std::error_code& ec, detail::Deadline& deadline) noexcept -> decltype(attempt(ec)) {
        if (timeout_ns_ > 0) return io_with_timeout(attempt, ec, deadline);
        for (;;) {
            auto result = attempt(ec);
            if (!ec || !detail::is_interrupted(ec)) return result;
        }
    }
    /// `io` with a deadline of its own.
    template <class Attempt>
    auto io(Attempt&& attempt, std::error_code& ec) noexcept -> decltype(attempt(ec)) {
        detail::Deadline deadline;
        return io(attempt, ec, deadline);
    }

    /// The peer this socket connected to or was accepted from (for messages); may be unspecified.
    const Address& known_peer() const noexcept { return peer_; }

    /// `connect` to a system address of any family (Unix-domain sockets use it), with the
    /// same timeout and EINTR handling.
    void connect_native(const ::sockaddr* address, detail::socklen_type size, std::error_code& ec) noexcept {
        detail::Deadline deadline;
        if (timeout_ns_ > 0) deadline.start(timeout_ns_);
        detail::ops::connect(fd_, address, size, ec);
        if (timeout_ns_ > 0 && (detail::is_in_progress(ec) || detail::is_would_block_fast(ec))) {
            ec = make_error_code(Errc::timed_out); // SO_SNDTIMEO expired (EAGAIN for a full Unix-domain backlog)
        } else if (detail::is_interrupted(ec)) {
            // The connection goes on in the background: wait for it, never connect again.
            while (!wait(detail::ops::poll_out, deadline, ec)) {
                if (!detail::is_interrupted(ec)) return;
            }
            ec = pending_error();
        }
    }

private:
    native_handle_type fd_ = detail::invalid_handle;
    std::int64_t timeout_ns_ = -1; // < 0: blocking; 0: non-blocking; > 0: blocking + kernel timeouts
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
        if (ns == timeout_ns_) return;
        if ((ns == 0) != (timeout_ns_ == 0)) {
            detail::ops::set_nonblocking(fd_, ns == 0, ec);
            if (ec) return;
        }
        if (ns > 0 || timeout_ns_ > 0) {
            detail::ops::set_io_timeouts(fd_, ns > 0 ? ns : 0, ec);
            if (ec) return;
        }
        timeout_ns_ = ns;
    }

    /// The timeout case of `io`. The common case, a first attempt that succeeds, starts the
    /// deadline and makes the call; everything else is in `io_after_timeout_error`.
    template <class Attempt>
    auto io_with_timeout(Attempt& attempt, std::error_code& ec, detail::Deadline& deadline) noexcept
        -> decltype(attempt(ec)) {
        if (!deadline.started) {
            deadline.start(timeout_ns_);
            auto result = attempt(ec);
            if (!ec) return result;
            return io_after_timeout_error(attempt, ec, deadline, result, false);
        }
        // A later attempt within one deadline (send_all, recv_exactly): the kernel timeout
        // is first cut to what is left.
        if (!shorten_timeout(deadline, ec)) return decltype(attempt(ec))(-1);
        auto result = attempt(ec);
        return io_after_timeout_error(attempt, ec, deadline, result, true);
    }

    /// The rest of `io_with_timeout`: retries after EINTR with what is left of the deadline,
    /// turns a kernel timeout (EAGAIN) into `Errc::timed_out`, and restores the kernel timeout
    /// if it was cut.
    template <class Attempt, class Result>
    SOCKIT_COLD Result io_after_timeout_error(Attempt& attempt, std::error_code& ec, const detail::Deadline& deadline,
                                              Result result, bool shortened) noexcept {
        while (ec && detail::is_interrupted(ec)) {
            if (!shorten_timeout(deadline, ec)) break;
            shortened = true;
            result = attempt(ec);
        }
        if (ec && detail::is_would_block_fast(ec)) ec = make_error_code(Errc::timed_out);
        if (shortened) {
            std::error_code ignored;
            detail::ops::set_io_timeouts(fd_, timeout_ns_, ignored);
        }
        return result;
    }

    /// Sets the kernel timeout to what is left of `deadline`; false (timed out) if nothing is.
    SOCKIT_COLD bool shorten_timeout(const detail::Deadline& deadline, std::error_code& ec) noexcept {
        std::int64_t left = deadline.left();
        if (left == 0) {
            ec = make_error_code(Errc::timed_out);
            return false;
        }
        detail::ops::set_io_timeouts(fd_, left, ec);
        return !ec;
    }

    /// Waits until the descriptor is ready for `events` or `deadline` (if started) passes.
    /// Returns false with `ec` set on timeout or error (EINTR included, for the caller to retry).
    bool wait(short events, const detail::Deadline& deadline, std::error_code& ec) noexcept {
        for (;;) {
            int wait_ms = -1;
            if (deadline.started) {
                std::int64_t left = deadline.left();
                if (left == 0) {
                    ec = make_error_code(Errc::timed_out);
                    return false;
                }
                // Round up, so that poll never returns before the deadline.
                std::int64_t ms = (left + 999999) / 1000000;
                wait_ms = ms > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max() : static_cast<int>(ms);
            }
            short revents = detail::ops::poll_one(fd_, events, wait_ms, ec);
            if (ec) return false;
            if (revents != 0) return true;
        }
    }
};

/**
 * What every socket class (`TcpStream`, `TcpServer`, `UdpSocket`, the Unix-domain classes)
 * offers: the handle, options, blocking mode, timeout and shutdown. It holds the `Socket`
 * as a protected base; each class adds the operations that fit its kind of socket. A
 * function that only sets options or timeouts can take any socket as a `SocketOperations&`.
 *
 * @code
 * void tune(sockit::SocketOperations& s) { s.set_timeout(std::chrono::seconds(5)); }
 * @endcode
 */
class SocketOperations : protected Socket {
public:
    using Socket::native_handle_type;
    using Socket::is_open;
    using Socket::operator bool;
    using Socket::native_handle;
    using Socket::fileno;
    using Socket::release;
    using Socket::set_option;
    using Socket::get_option;
    using Socket::set_blocking;
    using Socket::blocking;
    using Socket::set_timeout;
    using Socket::timeout;
    using Socket::shutdown;

protected:
    /// Owns no socket.
    SocketOperations() noexcept = default;
    /// Owns `socket`.
    explicit SocketOperations(Socket&& socket) noexcept : Socket(std::move(socket)) {}
    /// Owns a new socket of `family` and `type`. @throws Error.
    SocketOperations(Family family, SocketType type) : Socket(family, type) {}
    /// Closes the socket; protected, as a socket class is never deleted through this base.
    ~SocketOperations() = default;
    /// Takes over `other`'s socket.
    SocketOperations(SocketOperations&& other) noexcept = default;
    /// Closes this socket and takes over `other`'s.
    SocketOperations& operator=(SocketOperations&& other) noexcept = default;
};

} // namespace sockit
