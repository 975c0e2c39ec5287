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
#include "sockit/detail/send_file.hpp"
#include "sockit/detail/stream_algorithms.hpp"
#include "sockit/detail/throwing.hpp"
#include "sockit/detail/timed_io.hpp"
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

/// What `recv_from` returns: the datagram's size and who sent it (`UnixDatagramInfo`'s
/// counterpart for IP sockets).
struct DatagramInfo {
    std::size_t size; ///< bytes stored in the buffer (the whole datagram)
    Address sender;   ///< the sender's address
};

/// The 1.x name of `DatagramInfo`, which read as a socket class beside `UnixDatagram`.
using Datagram [[deprecated("use DatagramInfo")]] = DatagramInfo;

namespace detail {
/// The bytes of a received datagram stored in a buffer of `capacity`: all `length` of them,
/// or, if it was larger, `capacity` with `Errc::datagram_truncated` set (never cut silently).
inline std::size_t stored_datagram(std::size_t length, std::size_t capacity, std::error_code& ec) noexcept {
    if (length <= capacity) return length;
    ec = make_error_code(Errc::datagram_truncated);
    return capacity;
}

/// Throws the error of a `recv_from` (or `call`) into a buffer of `size` bytes.
[[noreturn]] SOCKIT_COLD inline void throw_recv_from(const std::error_code& ec, const Address& sender, std::size_t size,
                                                     const char* call = "recv_from") {
    throw_error(ec, context(call, sender) +
                        (ec == Errc::datagram_truncated ? " (buffer of " + std::to_string(size) + " bytes)" : ""));
}
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
 * once it has waited that long. The timeout belongs to this object alone: no
 * kernel timeout option is set, and each call takes its mode per call
 * (MSG_DONTWAIT), so `timeout()` and `blocking()` always say what the next call
 * of this object does, whatever another thread, a `dup` copy or foreign code does
 * to the descriptor. A call that need not wait makes exactly the system call it
 * would make without a timeout; one that must wait adds a `poll`. Interrupted
 * calls (EINTR) are retried within the same deadline, never with a fresh one.
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
        *this = detail::or_throw([&](std::error_code& ec) { return open(family, type, protocol, ec); }, "socket");
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

    /// Takes ownership of an open descriptor. Its mode is read from it: non-blocking
    /// (timeout zero) if O_NONBLOCK is set, else blocking with no timeout. A kernel timeout
    /// (SO_RCVTIMEO, SO_SNDTIMEO) some other code set on it cannot cut a blocking call short:
    /// such a call waits on with poll.
    static Socket from_fd(native_handle_type fd) noexcept {
        Socket s;
        s.fd_ = fd;
        s.shared_ = true; // other descriptors for the socket may exist
        std::error_code ec;
        if (fd != detail::invalid_handle && detail::ops::is_nonblocking(fd, ec) && !ec) s.timeout_ns_ = 0;
        return s;
    }

    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    /// Takes the descriptor, timeout and peer of `other`, which is left closed.
    Socket(Socket&& other) noexcept
        : fd_(std::exchange(other.fd_, detail::invalid_handle)), shared_(std::exchange(other.shared_, false)),
          timeout_ns_(std::exchange(other.timeout_ns_, -1)), peer_(other.peer_) {}

    /// Closes this socket, then takes `other`'s descriptor; `other` is left closed.
    Socket& operator=(Socket&& other) noexcept {
        if (this != &other) {
            close_quietly();
            fd_ = std::exchange(other.fd_, detail::invalid_handle);
            timeout_ns_ = std::exchange(other.timeout_ns_, -1);
            waited_in_ = waited_out_ = false;
            shared_ = std::exchange(other.shared_, false);
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
    /// Gives up ownership: returns the descriptor and leaves this object closed (and blocking).
    native_handle_type release() noexcept {
        timeout_ns_ = -1;
        return std::exchange(fd_, detail::invalid_handle);
    }

    /// A second, close-on-exec descriptor for the same socket (F_DUPFD_CLOEXEC) with, to begin
    /// with, the same timeout. Options are the kernel's and shared; each copy's timeout is its
    /// own: a change to one copy's timeout never changes what the other's calls do.
    Socket dup(std::error_code& ec) const noexcept {
        Socket s;
        s.fd_ = detail::ops::dup(fd_, ec);
        if (ec) {
            s.fd_ = detail::invalid_handle;
            return s;
        }
        s.timeout_ns_ = timeout_ns_;
        s.peer_ = peer_;
        s.shared_ = shared_ = true;
        return s;
    }
    /// A second, close-on-exec descriptor for the same socket. @throws Error (e.g. out of descriptors).
    Socket dup() const {
        return detail::or_throw([&](std::error_code& ec) { return dup(ec); }, detail::At{"dup", peer_});
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
        detail::or_throw([&](std::error_code& ec) { close(ec); }, "close");
    }

    /// Binds to a local address.
    void bind(const Address& address, std::error_code& ec) noexcept {
        detail::ops::bind(fd_, address.native(), address.native_size(), ec);
    }
    /// Binds to a local address. @throws AddressInUse, or Error naming the address.
    void bind(const Address& address) {
        detail::or_throw([&](std::error_code& ec) { bind(address, ec); }, detail::At{"bind", address});
    }

    /// Starts listening with room for `backlog` pending connections.
    void listen(int backlog, std::error_code& ec) noexcept { detail::ops::listen(fd_, backlog, ec); }
    /// Starts listening with room for `backlog` pending connections. @throws Error.
    void listen(int backlog = default_backlog) {
        detail::or_throw([&](std::error_code& ec) { listen(backlog, ec); },
                         [&] { return detail::context("listen", local_address_or_none()); });
    }

    /// The backlog `listen()` and the servers use when none is given.
    static constexpr int default_backlog = 128;

    /**
     * Accepts a connection: the new socket (close-on-exec) and the peer's address. Honours
     * this socket's timeout. The new socket is blocking with no timeout, whatever this one's
     * timeout (its `timeout()` says so); give it one with `set_timeout`.
     */
    std::pair<Socket, Address> accept(std::error_code& ec) noexcept {
        std::pair<Socket, Address> out;
        detail::socklen_type len = Address::native_capacity();
        out.first = accept_native(out.second.native(), &len, ec);
        if (ec)
            out.second = Address();
        else
            out.first.peer_ = out.second;
        return out;
    }
    /// Accepts a connection. @throws TimeoutError when the timeout expires, or Error.
    std::pair<Socket, Address> accept() {
        return detail::or_throw([&](std::error_code& ec) { return accept(ec); },
                                [&] { return detail::context("accept", local_address_or_none()); });
    }

    /**
     * Connects to `address`. With a timeout, fails with `Errc::timed_out` after it;
     * in non-blocking mode returns `operation_in_progress` and the caller waits for
     * writability and reads `pending_error()`. An interrupted TCP connect is finished by
     * waiting for writability and reading SO_ERROR, never by calling connect again.
     */
    void connect(const Address& address, std::error_code& ec) noexcept {
        if (!has_family(address, ec)) return; // an all-zero address would disconnect, not connect
        connect_native(address.native(), address.native_size(), ec);
        if (!ec || detail::is_in_progress(ec)) peer_ = address; // a non-blocking connect names its peer too
    }
    /// Connects to `address`. @throws ConnectionRefused, TimeoutError, or Error naming the address.
    void connect(const Address& address) {
        detail::or_throw([&](std::error_code& ec) { connect(address, ec); }, detail::At{"connect", address});
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
        detail::Deadline deadline;
        return send_some(static_cast<const char*>(data), size, deadline, ec);
    }
    /// Sends some of `data`; returns how many bytes went out. @throws BrokenPipe, ConnectionReset, TimeoutError, Error.
    std::size_t send(const void* data, std::size_t size) {
        return detail::or_throw([&](std::error_code& ec) { return send(data, size, ec); }, detail::At{"send", peer_});
    }
    /// Sends some of `data`; returns how many bytes went out.
    std::size_t send(std::string_view data, std::error_code& ec) noexcept { return send(data.data(), data.size(), ec); }
    /// Sends some of `data`; returns how many bytes went out. @throws as `send(const void*, std::size_t)`.
    std::size_t send(std::string_view data) { return send(data.data(), data.size()); }

    /// Sends all of `data`, looping over partial sends; returns the bytes sent (all of
    /// them unless `ec` is set). A timeout bounds the whole call, not each send.
    std::size_t send_all(const void* data, std::size_t size, std::error_code& ec) noexcept {
        return detail::send_all([this](const char* p, std::size_t n, detail::Deadline& d,
                                       std::error_code& e) { return send_some(p, n, d, e); },
                                data, size, ec);
    }
    /**
     * Sends all of `data`.
     * @throws BrokenPipe, ConnectionReset, TimeoutError or Error; the message, and the
     *         exception's `transferred()`, say how many bytes were sent.
     */
    void send_all(const void* data, std::size_t size) {
        std::error_code ec;
        std::size_t sent = send_all(data, size, ec);
        if (ec) detail::throw_partial(ec, "send_all", peer_, sent, size);
    }
    /**
     * Sends `count` bytes of the open file `file` (a descriptor) starting at `offset`, or all of
     * it from there if `count` is empty, as Python's `socket.sendfile` does: with sendfile(2),
     * which copies in the kernel, where the system has it (Linux) and takes the file (a regular
     * file); with a read/send loop otherwise (a pipe, say: then `offset` must be 0). The file's
     * own position is not used or moved. Stops early at the file's end. A timeout bounds the whole
     * call. Returns the bytes sent (all asked for unless `ec` is set or the file ended).
     * Windows: `operation_not_supported`.
     */
    std::uint64_t send_file(int file, std::uint64_t offset, std::optional<std::uint64_t> count,
                            std::error_code& ec) noexcept {
        // sendfile has no per-call MSG_DONTWAIT: on a descriptor another copy may have made
        // blocking, the mode this object's timeout needs is set again first.
        if (shared_ && timeout_ns_ >= 0) {
            detail::ops::set_nonblocking(fd_, true, ec);
            if (ec) return 0;
        }
        return detail::send_file(
            [this](int f, std::uint64_t* at, std::size_t n, detail::Deadline& d, std::error_code& e) {
                auto sent = io(
                    detail::Direction::out,
                    [&](int, std::error_code& e2) { return detail::ops::sendfile(fd_, f, at, n, e2); }, e, d);
                return e ? std::size_t(0) : static_cast<std::size_t>(sent);
            },
            [this](const char* p, std::size_t n, detail::Deadline& d, std::error_code& e) {
                return send_some(p, n, d, e);
            },
            timeout_ns_, file, offset, count, ec);
    }
    /**
     * Sends the file `file`, or `count` bytes of it from `offset`; see above.
     * @throws BrokenPipe, ConnectionReset, TimeoutError or Error; the message names the file's
     *         descriptor and the offset, and it and the exception's `transferred()` say how many
     *         bytes were sent ("send_file 127.0.0.1:80 from descriptor 5 (sent 0 bytes): Bad file
     *         descriptor" for a file opened write-only).
     */
    std::uint64_t send_file(int file, std::uint64_t offset = 0, std::optional<std::uint64_t> count = std::nullopt) {
        std::error_code ec;
        std::uint64_t sent = send_file(file, offset, count, ec);
        if (ec)
            detail::throw_error(ec,
                                detail::context("send_file", peer_) + " from descriptor " + std::to_string(file) +
                                    (offset != 0 ? " at offset " + std::to_string(offset) : std::string()) + " (sent " +
                                    std::to_string(sent) + " bytes)",
                                detail::Transfer{static_cast<std::size_t>(sent), {}});
        return sent;
    }

    /// Sends all of `data`; see `send_all(const void*, std::size_t, std::error_code&)`.
    std::size_t send_all(std::string_view data, std::error_code& ec) noexcept {
        return send_all(data.data(), data.size(), ec);
    }
    /// Sends all of `data`. @throws as `send_all(const void*, std::size_t)`.
    void send_all(std::string_view data) { send_all(data.data(), data.size()); }

    /// Sends some of several buffers with one system call (sendmsg, "gather"); returns the bytes sent.
    std::size_t send(const ConstBuffer* buffers, std::size_t count, std::error_code& ec) noexcept {
        detail::Deadline deadline;
        return send_gather(buffers, count, 0, deadline, ec);
    }
    /// Sends some of several buffers with one system call. @throws as `send(const void*, std::size_t)`.
    std::size_t send(const ConstBuffer* buffers, std::size_t count) {
        return detail::or_throw([&](std::error_code& ec) { return send(buffers, count, ec); },
                                detail::At{"send", peer_});
    }

    /// Sends all bytes of several buffers, in order, without copying them together
    /// (sendmsg; typically one system call for a header and a payload). Returns the bytes sent.
    std::size_t send_all(const ConstBuffer* buffers, std::size_t count, std::error_code& ec) noexcept {
        return detail::send_all_gather([this](const ConstBuffer* b, std::size_t n, std::size_t skip,
                                              detail::Deadline& d,
                                              std::error_code& e) { return send_gather(b, n, skip, d, e); },
                                       buffers, count, ec);
    }
    /// Sends all bytes of several buffers. @throws as `send_all(const void*, std::size_t)`.
    void send_all(const ConstBuffer* buffers, std::size_t count) {
        std::error_code ec;
        std::size_t sent = send_all(buffers, count, ec);
        if (ec) detail::throw_partial(ec, "send_all", peer_, sent, detail::total_size(buffers, count));
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
            detail::Direction::in,
            [&](int flags, std::error_code& e) {
                return detail::ops::recvmsg(fd_, window.data(), window.size(), flags, nullptr, nullptr, nullptr, e);
            },
            ec);
        return ec ? 0 : static_cast<std::size_t>(n);
    }
    /// Receives into several buffers with one system call. @throws as `recv(void*, std::size_t)`.
    std::size_t recv(const MutableBuffer* buffers, std::size_t count) {
        return detail::or_throw([&](std::error_code& ec) { return recv(buffers, count, ec); },
                                detail::At{"recv", peer_});
    }

    /// Receives up to `size` bytes; returns how many arrived. 0 means the peer closed
    /// the connection (for a stream socket), never an error.
    std::size_t recv(void* data, std::size_t size, std::error_code& ec) noexcept {
        detail::Deadline deadline;
        return recv_some(static_cast<char*>(data), size, deadline, ec);
    }
    /// Receives up to `size` bytes; 0 means the peer closed. @throws ConnectionReset, TimeoutError, Error.
    std::size_t recv(void* data, std::size_t size) {
        return detail::or_throw([&](std::error_code& ec) { return recv(data, size, ec); }, detail::At{"recv", peer_});
    }
    /// Receives up to `max_size` bytes into a new string (Python's `recv(1024)`); empty means the peer closed.
    std::string recv(std::size_t max_size, std::error_code& ec) {
        std::string out(max_size, '\0');
        out.resize(recv(&out[0], max_size, ec));
        return out;
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
        return detail::recv_exactly(
            [this](char* p, std::size_t n, detail::Deadline& d, std::error_code& e) { return recv_some(p, n, d, e); },
            data, size, ec);
    }
    /**
     * Receives exactly `size` bytes. @throws Error with `Errc::end_of_stream` if the peer
     * closes first, or as `recv`; `transferred()` says how many bytes are in `data`.
     */
    void recv_exactly(void* data, std::size_t size) {
        std::error_code ec;
        std::size_t got = recv_exactly(data, size, ec);
        if (ec) detail::throw_partial(ec, "recv_exactly", peer_, got, size, "received");
    }

    /**
     * Receives up to and including `delimiter` (e.g. "\n") and returns it, never more than
     * `max_size` bytes: bytes after the delimiter stay in the socket for the next call, and
     * a peer that never sends the delimiter cannot make it allocate more. The timeout
     * bounds the whole call. On any error the bytes already taken from the socket are
     * returned with `ec` set, so nothing is lost: `Errc::limit_exceeded` (no delimiter
     * within `max_size`), `Errc::end_of_stream` (the peer closed first), a timeout.
     */
    std::string recv_until(std::string_view delimiter, std::size_t max_size, std::error_code& ec) {
        return detail::recv_until(
            [this](char* p, std::size_t n, detail::Deadline& d, std::error_code& e) { return peek_some(p, n, d, e); },
            [this](char* p, std::size_t n, detail::Deadline& d, std::error_code& e) { return recv_some(p, n, d, e); },
            delimiter, max_size, ec);
    }
    /**
     * Receives up to and including `delimiter`, at most `max_size` bytes.
     * @throws Error with `Errc::limit_exceeded` or `Errc::end_of_stream`, TimeoutError, or as
     *         `recv`; the exception's `received()` holds the bytes taken before the failure.
     */
    std::string recv_until(std::string_view delimiter, std::size_t max_size) {
        std::error_code ec;
        std::string out = recv_until(delimiter, max_size, ec);
        if (ec) detail::throw_recv_until(ec, peer_, std::move(out), max_size);
        return out;
    }

    /// Sends one datagram to `to`; returns the bytes sent.
    std::size_t send_to(const void* data, std::size_t size, const Address& to, std::error_code& ec) noexcept {
        if (!has_family(to, ec)) return 0; // an address of size 0 would go to a connected peer
        auto n = io(
            detail::Direction::out,
            [&](int flags, std::error_code& e) {
                return detail::ops::sendto(fd_, data, size, flags, to.native(), to.native_size(), e);
            },
            ec);
        return ec ? 0 : static_cast<std::size_t>(n);
    }
    /// Sends one datagram to `to`. @throws Error naming the address (EMSGSIZE above 65507 bytes on IPv4).
    std::size_t send_to(const void* data, std::size_t size, const Address& to) {
        return detail::or_throw([&](std::error_code& ec) { return send_to(data, size, to, ec); },
                                detail::At{"send_to", to});
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
    DatagramInfo recv_from(void* data, std::size_t size, std::error_code& ec) noexcept {
        DatagramInfo out{0, Address()};
        detail::socklen_type len = Address::native_capacity();
        auto n = io(
            detail::Direction::in,
            [&](int flags, std::error_code& e) {
                return detail::ops::recvfrom(fd_, data, size, flags, out.sender.native(), &len, e);
            },
            ec);
        if (!ec) out.size = detail::stored_datagram(static_cast<std::size_t>(n), size, ec);
        return out;
    }
    /// Receives one datagram. @throws Error with `Errc::datagram_truncated` if it did not fit, TimeoutError, Error.
    DatagramInfo recv_from(void* data, std::size_t size) {
        std::error_code ec;
        DatagramInfo d = recv_from(data, size, ec);
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
        return detail::or_throw([&](std::error_code& ec) { return peer_address(ec); }, "getpeername");
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
        return detail::or_throw([&](std::error_code& ec) { return local_address(ec); }, "getsockname");
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
        detail::or_throw([&](std::error_code& ec) { set_option(option, ec); },
                         [&] { return "setsockopt " + detail::option_label(option); });
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
        return detail::or_throw([&](std::error_code& ec) { return get_option<Option>(ec); },
                                [&] { return "getsockopt " + detail::option_label(Option()); });
    }
    /// Sets a raw option (setsockopt with any level and name).
    void set_option(int level, int name, const void* value, std::size_t size, std::error_code& ec) noexcept {
        detail::ops::setsockopt(fd_, level, name, value, static_cast<detail::socklen_type>(size), ec);
    }
    /// Sets a raw option. @throws Error.
    void set_option(int level, int name, const void* value, std::size_t size) {
        detail::or_throw([&](std::error_code& ec) { set_option(level, name, value, size, ec); },
                         [&] { return "setsockopt " + raw_option_label(level, name); });
    }
    /// Reads a raw option into `value`; returns the size the system wrote.
    std::size_t get_option(int level, int name, void* value, std::size_t size, std::error_code& ec) const noexcept {
        auto len = static_cast<detail::socklen_type>(size);
        detail::ops::getsockopt(fd_, level, name, value, &len, ec);
        return ec ? 0 : static_cast<std::size_t>(len);
    }
    /// Reads a raw option into `value`; returns the size the system wrote. @throws Error.
    std::size_t get_option(int level, int name, void* value, std::size_t size) const {
        return detail::or_throw([&](std::error_code& ec) { return get_option(level, name, value, size, ec); },
                                [&] { return "getsockopt " + raw_option_label(level, name); });
    }

    /// Blocking (true: no timeout) or non-blocking (false: timeout zero), as Python's `setblocking`.
    void set_blocking(bool blocking, std::error_code& ec) noexcept { set_timeout_ns(blocking ? -1 : 0, ec); }
    /// Blocking or non-blocking. @throws Error.
    void set_blocking(bool blocking) {
        detail::or_throw([&](std::error_code& ec) { set_blocking(blocking, ec); }, "set_blocking");
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
        detail::or_throw([&](std::error_code& ec) { set_timeout(timeout, ec); },
                         [&] {
                             char seconds[32];
                             std::snprintf(seconds, sizeof seconds, "%g",
                                           std::chrono::duration<double>(timeout).count());
                             return std::string("set_timeout ") + seconds + " s (must be zero or more)";
                         });
    }
    /// Removes the timeout: calls block until they complete.
    void set_timeout(std::nullopt_t, std::error_code& ec) noexcept { set_timeout_ns(-1, ec); }
    /// Removes the timeout. @throws Error.
    void set_timeout(std::nullopt_t) {
        detail::or_throw([&](std::error_code& ec) { set_timeout(std::nullopt, ec); }, "set_timeout");
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
        detail::or_throw([&](std::error_code& ec) { shutdown(how, ec); }, detail::At{"shutdown", peer_});
    }

protected:
    /// Runs `attempt(flags, ec)` (one system call) as this socket's timeout says: see
    /// `detail::timed_io`. `deadline` is shared by the calls of one operation (send_all).
    template <class Attempt>
    auto io(detail::Direction direction, Attempt&& attempt, std::error_code& ec, detail::Deadline& deadline) noexcept
        -> decltype(attempt(0, ec)) {
        bool& waited = direction == detail::Direction::in ? waited_in_ : waited_out_;
        return detail::timed_io(fd_, direction, timeout_ns_, deadline, waited, attempt, ec);
    }
    /// `io` with a deadline of its own.
    template <class Attempt>
    auto io(detail::Direction direction, Attempt&& attempt, std::error_code& ec) noexcept -> decltype(attempt(0, ec)) {
        detail::Deadline deadline;
        return io(direction, attempt, ec, deadline);
    }

    /// The peer this socket connected to or was accepted from (for messages); may be unspecified.
    const Address& known_peer() const noexcept { return peer_; }

    /// `accept` into a system address of any family (Unix-domain servers use it).
    Socket accept_native(::sockaddr* address, detail::socklen_type* size, std::error_code& ec) noexcept {
        Socket out;
        // accept has no per-call MSG_DONTWAIT: a listener whose descriptor another copy may
        // have made blocking waits first, so that a timed or non-blocking accept cannot block.
        if (shared_ && timeout_ns_ >= 0 && !wait_shared(detail::Direction::in, ec)) return out;
        out.fd_ = io(
            detail::Direction::in, [&](int, std::error_code& e) { return detail::ops::accept(fd_, address, size, e); },
            ec);
        if (ec) out.fd_ = detail::invalid_handle;
        return out;
    }

    /// `connect` to a system address of any family (Unix-domain sockets use it), with the
    /// same timeout and EINTR handling.
    void connect_native(const ::sockaddr* address, detail::socklen_type size, std::error_code& ec) noexcept {
        // connect has no per-call MSG_DONTWAIT: on a descriptor another copy may have made
        // blocking, the mode this object's timeout needs is set again first.
        if (shared_ && timeout_ns_ >= 0) {
            detail::ops::set_nonblocking(fd_, true, ec);
            if (ec) return;
        }
        detail::ops::connect(fd_, address, size, ec);
        if (ec) finish_connect(address, size, ec);
    }

    /// The one-call primitives the stream algorithms (detail/stream_algorithms.hpp) run on.
    std::size_t send_some(const char* data, std::size_t size, detail::Deadline& deadline,
                          std::error_code& ec) noexcept {
        auto n = io(
            detail::Direction::out,
            [fd = fd_, data, size](int flags, std::error_code& e) {
                return detail::ops::send(fd, data, size, flags, e);
            },
            ec, deadline);
        return ec ? 0 : static_cast<std::size_t>(n);
    }
    /// Receives up to `size` bytes in one call (0: the peer closed).
    std::size_t recv_some(char* data, std::size_t size, detail::Deadline& deadline, std::error_code& ec) noexcept {
        return recv_with(0, data, size, deadline, ec);
    }
    /// Looks at up to `size` waiting bytes without taking them (MSG_PEEK).
    std::size_t peek_some(char* data, std::size_t size, detail::Deadline& deadline, std::error_code& ec) noexcept {
        return recv_with(detail::ops::msg_peek, data, size, deadline, ec);
    }
    /// Sends from byte `skip` of the buffers' concatenation, in one call (sendmsg).
    std::size_t send_gather(const ConstBuffer* buffers, std::size_t count, std::size_t skip, detail::Deadline& deadline,
                            std::error_code& ec) noexcept {
        detail::ops::IoWindow window;
        window.fill(buffers, count, skip);
        auto n = io(
            detail::Direction::out,
            [&](int flags, std::error_code& e) {
                return detail::ops::sendmsg(fd_, window.data(), window.size(), flags, e);
            },
            ec, deadline);
        return ec ? 0 : static_cast<std::size_t>(n);
    }

private:
    native_handle_type fd_ = detail::invalid_handle;
    bool waited_in_ = false;       // the last receive (or accept) with a timeout had to wait
    bool waited_out_ = false;      // the last send (or connect) with a timeout had to wait
    mutable bool shared_ = false;  // other descriptors for this socket may exist (dup, from_fd)
    std::int64_t timeout_ns_ = -1; // < 0: blocking; 0: non-blocking; > 0: wait at most this long per call
    Address peer_;

    void close_quietly() noexcept {
        std::error_code ignored;
        close(ignored);
    }

    Address local_address_or_none() const noexcept {
        std::error_code ignored;
        return local_address(ignored);
    }

    /// For a call without a per-call flag on a descriptor other copies share: waits up to the
    /// timeout (not at all in non-blocking mode) for `direction`; false with `ec` set
    /// (`timed_out`, or would-block in non-blocking mode) if the descriptor is not ready.
    SOCKIT_NOINLINE bool wait_shared(detail::Direction direction, std::error_code& ec) noexcept {
        detail::Deadline deadline;
        return detail::wait_or_look(fd_, direction, timeout_ns_, deadline, ec);
    }

    /// One recv(2) with `extra` flags, as this socket's timeout says.
    std::size_t recv_with(int extra, char* data, std::size_t size, detail::Deadline& deadline,
                          std::error_code& ec) noexcept {
        auto n = io(
            detail::Direction::in,
            [fd = fd_, extra, data, size](int flags, std::error_code& e) {
                return detail::ops::recv(fd, data, size, flags | extra, e);
            },
            ec, deadline);
        return ec ? 0 : static_cast<std::size_t>(n);
    }

    /// False, with `Errc::invalid_address`, for an address of no family (a failed parse).
    static bool has_family(const Address& address, std::error_code& ec) noexcept {
        if (address.family() != Family::unspecified) return true;
        ec = make_error_code(Errc::invalid_address);
        return false;
    }

    static std::string raw_option_label(int level, int name) {
        return "level " + std::to_string(level) + " name " + std::to_string(name);
    }

    /// Records the timeout and puts the descriptor in the matching mode: O_NONBLOCK unless
    /// blocking, which `accept` and `connect` (calls without a per-call flag) rely on. The
    /// descriptor's mode is set even when the timeout does not change, as a `dup` copy may
    /// have changed it.
    void set_timeout_ns(std::int64_t ns, std::error_code& ec) noexcept {
        detail::ops::set_nonblocking(fd_, ns >= 0, ec);
        if (!ec) timeout_ns_ = ns;
    }

    /// The rest of a connect whose first call did not succeed at once.
    SOCKIT_COLD void finish_connect(const ::sockaddr* address, detail::socklen_type size,
                                    std::error_code& ec) noexcept {
        if (address->sa_family == detail::af_unix_family) {
            finish_unix_connect(address, size, ec);
            return;
        }
        // EINTR, or EINPROGRESS of a socket with a timeout: the handshake goes on in the
        // background, so wait for it and read its outcome, never connect again.
        if (detail::is_interrupted(ec) || (detail::is_in_progress(ec) && timeout_ns_ != 0)) {
            detail::Deadline deadline;
            if (detail::wait_ready(fd_, detail::Direction::out, timeout_ns_, deadline, ec)) ec = pending_error();
        }
    }

    /**
     * A Unix-domain connect is not a handshake that goes on in the background: Linux
     * abandons one that a signal interrupts, and a full backlog makes a non-blocking one
     * fail with EAGAIN, which poll cannot wait for. So the connect is made again, on the
     * descriptor in blocking mode, with the kernel's send timeout (which bounds a
     * Unix-domain connect) set to what is left of the deadline, and both restored after.
     */
    SOCKIT_COLD void finish_unix_connect(const ::sockaddr* address, detail::socklen_type size,
                                         std::error_code& ec) noexcept {
        if (timeout_ns_ == 0 || (!detail::is_interrupted(ec) && !detail::is_would_block(ec))) return;
        std::error_code ignored;
        const bool was_nonblocking = detail::ops::is_nonblocking(fd_, ignored);
        if (was_nonblocking) detail::ops::set_nonblocking(fd_, false, ignored);
        detail::Deadline deadline;
        for (;;) {
            if (timeout_ns_ > 0) {
                std::int64_t left = deadline.left(timeout_ns_);
                if (left == 0) {
                    ec = make_error_code(Errc::timed_out);
                    break;
                }
                detail::ops::set_send_timeout(fd_, left, ec);
                if (ec) break;
            }
            detail::ops::connect(fd_, address, size, ec);
            if (ec == std::errc::already_connected) ec.clear();
            if (!ec || !(detail::is_interrupted(ec) || (timeout_ns_ > 0 && detail::is_would_block(ec)))) break;
        }
        if (timeout_ns_ > 0) detail::ops::set_send_timeout(fd_, 0, ignored);
        if (was_nonblocking) detail::ops::set_nonblocking(fd_, true, ignored);
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
