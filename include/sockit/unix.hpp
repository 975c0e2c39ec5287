// SPDX-License-Identifier: MIT
// Unix-domain sockets: UnixAddress, UnixStream, UnixClient, UnixServer, UnixDatagram,
// socket_pair(), and descriptor passing (SCM_RIGHTS).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sockit/detail/unix.hpp"
#include "sockit/error.hpp"
#include "sockit/socket.hpp"

namespace sockit {

/**
 * The address of a Unix-domain socket: a filesystem path, a Linux abstract name
 * (no file; gone when the last socket bound to it closes), or unnamed (an unbound
 * socket, or one end of `socket_pair()`).
 *
 * Printed as the path, as `@name` for an abstract name, or `(unnamed)`.
 *
 * @code
 * sockit::UnixAddress file("/run/myapp.sock");
 * auto hidden = sockit::UnixAddress::abstract("myapp");   // Linux only
 * @endcode
 */
class UnixAddress {
public:
    /// Most bytes a path may have (one byte of `sun_path` is kept for the terminating NUL).
    static constexpr std::size_t max_path_size = detail::unix_path_capacity - 1;

    /// An unnamed address.
    UnixAddress() noexcept {
        std::memset(&storage_, 0, sizeof storage_);
        storage_.sun_family = detail::af_unix;
    }

    /**
     * A filesystem path.
     * @throws AddressError quoting the path if it is empty, contains a NUL byte, or is longer
     *         than `max_path_size` (the system's `sun_path` limit).
     */
    explicit UnixAddress(std::string_view path) : UnixAddress() {
        std::error_code ec;
        *this = from_path(path, ec);
        if (ec) throw_invalid(ec, "unix address ", path);
    }

    /// A filesystem path, without throwing; see the constructor.
    static UnixAddress from_path(std::string_view path, std::error_code& ec) noexcept {
        UnixAddress a;
        if (!a.assign(path, 0, ec) && path.size() > max_path_size)
            ec = std::make_error_code(std::errc::filename_too_long);
        return a;
    }

    /// A Linux abstract name (`name` without the leading NUL). @throws AddressError if it is empty or too long.
    static UnixAddress abstract(std::string_view name) {
        std::error_code ec;
        UnixAddress a = abstract(name, ec);
        if (ec) throw_invalid(ec, "abstract unix address ", name);
        return a;
    }
    /// A Linux abstract name, without throwing.
    static UnixAddress abstract(std::string_view name, std::error_code& ec) noexcept {
        UnixAddress a;
        if (!a.assign(name, 1, ec) && name.size() > max_path_size)
            ec = std::make_error_code(std::errc::filename_too_long);
        return a;
    }

    /// True for an abstract name.
    bool is_abstract() const noexcept { return name_size_ > 0 && storage_.sun_path[0] == '\0'; }
    /// True for an unnamed address.
    bool is_unnamed() const noexcept { return name_size_ == 0; }
    /// True for a filesystem path.
    bool is_path() const noexcept { return name_size_ > 0 && !is_abstract(); }

    /// The path, or the abstract name without its leading NUL; empty if unnamed.
    std::string path() const {
        if (is_abstract()) return {storage_.sun_path + 1, name_size_ - 1};
        return {storage_.sun_path, name_size_};
    }

    /// The path, `@name` for an abstract name, or `(unnamed)`.
    std::string to_string() const {
        if (is_unnamed()) return "(unnamed)";
        return is_abstract() ? "@" + path() : path();
    }

    /// The system address.
    const ::sockaddr* native() const noexcept { return reinterpret_cast<const ::sockaddr*>(&storage_); }
    /// The system address, writable (for calls that fill it in; then call `set_native_size`).
    ::sockaddr* native() noexcept { return reinterpret_cast<::sockaddr*>(&storage_); }
    /// The size to pass to the system: the family, then the path's bytes (and its NUL).
    detail::socklen_type native_size() const noexcept {
        std::size_t n = detail::unix_path_offset + name_size_ + (is_path() ? 1 : 0);
        return static_cast<detail::socklen_type>(n);
    }
    /// The number of bytes `native()` can hold.
    static constexpr detail::socklen_type native_capacity() noexcept { return sizeof(detail::sockaddr_un_type); }
    /// Takes the size a call such as getsockname returned for `native()`.
    void set_native_size(detail::socklen_type size) noexcept {
        auto bytes = static_cast<std::size_t>(size > 0 ? size : 0); // socklen_t is signed on Windows
        std::size_t n = bytes > detail::unix_path_offset ? bytes - detail::unix_path_offset : 0;
        if (n > detail::unix_path_capacity) n = detail::unix_path_capacity;
        if (n > 0 && storage_.sun_path[0] != '\0') n = ::strnlen(storage_.sun_path, n); // a path: drop the NUL
        name_size_ = n;
    }

    /// Equal if both are the same path, the same abstract name, or both unnamed.
    friend bool operator==(const UnixAddress& a, const UnixAddress& b) noexcept {
        return a.name_size_ == b.name_size_ && std::memcmp(a.storage_.sun_path, b.storage_.sun_path, a.name_size_) == 0;
    }
    /// Not equal.
    friend bool operator!=(const UnixAddress& a, const UnixAddress& b) noexcept { return !(a == b); }
    /// Prints `to_string()`.
    friend std::ostream& operator<<(std::ostream& os, const UnixAddress& a) { return os << a.to_string(); }

private:
    detail::sockaddr_un_type storage_;
    std::size_t name_size_ = 0; // bytes of sun_path in use (an abstract name's leading NUL included)

    bool assign(std::string_view name, std::size_t prefix, std::error_code& ec) noexcept {
        ec = std::make_error_code(std::errc::invalid_argument);
        if (name.empty() || name.size() > max_path_size) return false;
        if (prefix == 0 && name.find('\0') != std::string_view::npos) return false;
        std::memcpy(storage_.sun_path + prefix, name.data(), name.size());
        name_size_ = prefix + name.size();
        ec.clear();
        return true;
    }

    [[noreturn]] SOCKIT_COLD static void throw_invalid(const std::error_code& ec, const char* what,
                                                       std::string_view name) {
        std::string reason = ec == std::errc::filename_too_long
                                 ? " (" + std::to_string(name.size()) + " bytes; at most " +
                                       std::to_string(max_path_size) + " fit in sun_path)"
                             : name.empty() ? " (empty)"
                                            : " (contains a NUL byte)";
        throw AddressError(ec, what + detail::quoted(name) + reason);
    }
};

/// An owned descriptor of any kind (a socket, a file, a pipe), as received by `recv_fds`:
/// closed when destroyed unless released.
class Descriptor {
public:
    /// Owns nothing.
    Descriptor() noexcept = default;
    /// Takes ownership of `fd`.
    explicit Descriptor(detail::native_handle_type fd) noexcept : fd_(fd) {}
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    /// Takes `other`'s descriptor.
    Descriptor(Descriptor&& other) noexcept : fd_(other.release()) {}
    /// Closes this descriptor and takes `other`'s.
    Descriptor& operator=(Descriptor&& other) noexcept {
        if (this != &other) {
            close();
            fd_ = other.release();
        }
        return *this;
    }
    /// Closes the descriptor.
    ~Descriptor() { close(); }

    /// The descriptor (still owned), or -1.
    detail::native_handle_type get() const noexcept { return fd_; }
    /// True if a descriptor is owned.
    explicit operator bool() const noexcept { return fd_ != detail::invalid_handle; }
    /// Gives up ownership and returns the descriptor.
    detail::native_handle_type release() noexcept { return std::exchange(fd_, detail::invalid_handle); }
    /// Closes the descriptor (errors ignored: the descriptor is gone either way).
    void close() noexcept {
        if (fd_ == detail::invalid_handle) return;
        std::error_code ignored;
        detail::ops::close(release(), ignored);
    }

private:
    detail::native_handle_type fd_ = detail::invalid_handle;
};

/// What `recv_fds` returns: the data's size, the descriptors that came with it, and the sender.
struct ReceivedFds {
    std::size_t size = 0;        ///< bytes stored in the buffer
    std::vector<Descriptor> fds; ///< received descriptors, close-on-exec, owned
    UnixAddress sender;          ///< the sender (datagram sockets bound to a name only)
};

/// Who is at the other end of a Unix-domain connection, as the kernel saw it when connecting.
struct PeerCredentials {
    long pid = -1;         ///< the peer's process id (-1 where the system does not say)
    unsigned long uid = 0; ///< the peer's effective user id
    unsigned long gid = 0; ///< the peer's effective group id
};

/// What `UnixDatagram::recv_from` returns.
struct UnixDatagramInfo {
    std::size_t size = 0; ///< bytes stored in the buffer (the whole datagram)
    UnixAddress sender;   ///< the sender's address (unnamed if it did not bind)
};

/// How a Unix-domain socket binds a name.
struct UnixBindOptions {
    int backlog = 128;           ///< pending connections (`UnixServer` only)
    bool replace_stale = true;   ///< remove a socket file no one listens on (connect is refused), then bind
    bool unlink_on_close = true; ///< remove the socket file on close, if it is still the one bound
};

/// The base of `UnixStream`, `UnixServer` and `UnixDatagram`: what they share (naming, the
/// socket file, descriptor passing) for each to make public as fits it, beside the
/// operations of every socket (`SocketOperations`).
class UnixSocketBase : public SocketOperations {
public:
    /// Gives up ownership: returns the descriptor and leaves this object closed. The socket
    /// file goes with the descriptor: this object no longer removes it (its new owner may).
    native_handle_type release() noexcept {
        owned_path_.clear();
        owned_id_ = detail::ops::FileId{};
        return Socket::release();
    }

protected:
    /// The local address (getsockname).
    UnixAddress local_address(std::error_code& ec) const noexcept { return name(detail::ops::getsockname, ec); }
    /// The local address. @throws Error.
    UnixAddress local_address() const { return name(detail::ops::getsockname, "getsockname"); }
    /// The connected peer's address (getpeername).
    UnixAddress peer_address(std::error_code& ec) const noexcept { return name(detail::ops::getpeername, ec); }
    /// The connected peer's address. @throws Error (ENOTCONN if not connected).
    UnixAddress peer_address() const { return name(detail::ops::getpeername, "getpeername"); }

    /// Closes the socket, and removes its socket file if it bound one with `unlink_on_close`.
    void close(std::error_code& ec) noexcept {
        Socket::close(ec);
        remove_owned_file();
    }
    /// Closes the socket (and its socket file, see above). @throws Error if close reports one.
    void close() {
        std::error_code ec;
        close(ec);
        if (ec) detail::throw_error(ec, "close");
    }

    /// Owns no socket.
    UnixSocketBase() noexcept = default;
    /// Owns `s`.
    explicit UnixSocketBase(Socket&& s) noexcept : SocketOperations(std::move(s)) {}
    /// Takes over `o`'s socket and the socket file it will remove.
    UnixSocketBase(UnixSocketBase&& o) noexcept
        : SocketOperations(std::move(static_cast<SocketOperations&>(o))), owned_path_(std::move(o.owned_path_)),
          owned_id_(std::exchange(o.owned_id_, detail::ops::FileId{})) {}
    /// Closes this socket (removing its socket file) and takes over `o`'s.
    UnixSocketBase& operator=(UnixSocketBase&& o) noexcept {
        if (this != &o) {
            std::error_code ignored;
            close(ignored);
            static_cast<Socket&>(*this) = std::move(static_cast<Socket&>(o));
            owned_path_ = std::move(o.owned_path_);
            owned_id_ = std::exchange(o.owned_id_, detail::ops::FileId{});
        }
        return *this;
    }
    /// Closes the socket and removes its socket file (see `close`).
    ~UnixSocketBase() { remove_owned_file(); }

    /// Opens a close-on-exec Unix-domain socket of `type` in place of this one.
    void open(int type, std::error_code& ec) noexcept {
        native_handle_type fd = detail::ops::socket(detail::af_unix, type, 0, ec);
        if (!ec) static_cast<Socket&>(*this) = Socket::from_fd(fd);
    }

    /**
     * Binds `address`. If the name is a socket file that nobody listens on (a connect to it
     * is refused: its server died without removing it), the file is removed and the bind
     * retried; a live socket there is `address_in_use`, and so is any other kind of file.
     */
    void bind_name(const UnixAddress& address, int type, const UnixBindOptions& options, std::error_code& ec) noexcept {
        detail::ops::bind(native_handle(), address.native(), address.native_size(), ec);
        if (ec == std::errc::address_in_use && address.is_path() && options.replace_stale) {
            std::string path = address.path();
            if (is_stale(address, path.c_str(), type)) {
                std::error_code ignored;
                detail::ops::unlink(path.c_str(), ignored);
                detail::ops::bind(native_handle(), address.native(), address.native_size(), ec);
            }
        }
        if (!ec && address.is_path() && options.unlink_on_close) {
            try {
                owned_path_ = address.path();
            } catch (...) {
                return; // out of memory: the file is not removed on close, nothing else changes
            }
            owned_id_ = detail::ops::socket_file(owned_path_.c_str(), nullptr);
        }
    }

    /// Connects to `address`, honouring the timeout.
    void connect_name(const UnixAddress& address, std::error_code& ec) noexcept {
        connect_native(address.native(), address.native_size(), ec);
    }

    /// Sends `size` bytes with descriptors attached, to `to` if given.
    std::size_t send_fds_to(const void* data, std::size_t size, const native_handle_type* fds, std::size_t count,
                            const UnixAddress* to, std::error_code& ec) noexcept {
        if (count > detail::ops::max_fds_per_message) {
            ec = make_error_code(Errc::invalid_argument);
            return 0;
        }
        auto n = io(
            detail::Direction::out,
            [&](int flags, std::error_code& e) {
                return detail::ops::send_fds(native_handle(), data, size, fds, count, to ? to->native() : nullptr,
                                             to ? to->native_size() : 0, flags, e);
            },
            ec);
        return ec ? 0 : static_cast<std::size_t>(n);
    }

    /**
     * Receives up to `size` bytes (on a datagram socket, one datagram) and the descriptors
     * that came with them (at most `max_fds`), close-on-exec and owned by the result. On a
     * stream, a size of 0 means the peer closed. Too many descriptors
     * (`Errc::descriptors_truncated`) or a truncated datagram (`Errc::datagram_truncated`)
     * is an error, and every descriptor that came is closed: none is leaked.
     */
    ReceivedFds recv_fds(void* data, std::size_t size, std::size_t max_fds, std::error_code& ec) {
        ReceivedFds out;
        if (max_fds > detail::ops::max_fds_per_message) max_fds = detail::ops::max_fds_per_message;
        native_handle_type fds[detail::ops::max_fds_per_message];
        detail::ops::ReceivedControl control;
        detail::socklen_type len = UnixAddress::native_capacity();
        auto n = io(
            detail::Direction::in,
            [&](int flags, std::error_code& e) {
                return detail::ops::recv_fds(native_handle(), data, size, fds, max_fds, out.sender.native(), &len,
                                             control, flags, e);
            },
            ec);
        if (ec) return out;
        out.sender.set_native_size(len);
        out.size = static_cast<std::size_t>(n);
        // Own every descriptor at once, so that none can leak, whatever happens next.
        std::vector<Descriptor> owned;
        try {
            owned.reserve(control.fd_count);
        } catch (...) {
            for (std::size_t i = 0; i < control.fd_count; ++i) Descriptor closing(fds[i]);
            throw;
        }
        for (std::size_t i = 0; i < control.fd_count; ++i) owned.emplace_back(fds[i]);
        if (control.control_truncated)
            ec = make_error_code(Errc::descriptors_truncated); // `owned` closes those that came
        else if (control.data_truncated)
            ec = make_error_code(Errc::datagram_truncated);
        else
            out.fds = std::move(owned);
        return out;
    }
    /// Receives data and descriptors. @throws Error with `Errc::descriptors_truncated` or
    /// `Errc::datagram_truncated`, TimeoutError, or Error.
    ReceivedFds recv_fds(void* data, std::size_t size, std::size_t max_fds) {
        std::error_code ec;
        ReceivedFds out = recv_fds(data, size, max_fds, ec);
        if (ec) detail::throw_error(ec, "recv_fds (room for " + std::to_string(max_fds) + " descriptors)");
        return out;
    }

private:
    std::string owned_path_;
    detail::ops::FileId owned_id_;

    using NameCall = void (*)(native_handle_type, ::sockaddr*, detail::socklen_type*, std::error_code&) noexcept;
    UnixAddress name(NameCall call, std::error_code& ec) const noexcept {
        UnixAddress a;
        detail::socklen_type len = UnixAddress::native_capacity();
        call(native_handle(), a.native(), &len, ec);
        if (!ec) a.set_native_size(len);
        return a;
    }
    UnixAddress name(NameCall call, const char* label) const {
        std::error_code ec;
        UnixAddress a = name(call, ec);
        if (ec) detail::throw_error(ec, label);
        return a;
    }

    /// True if `path` is a socket file and a connect to it is refused.
    static bool is_stale(const UnixAddress& address, const char* path, int type) noexcept {
        bool is_socket = false;
        detail::ops::socket_file(path, &is_socket);
        if (!is_socket) return false;
        std::error_code ec;
        native_handle_type fd = detail::ops::socket(detail::af_unix, type, 0, ec);
        if (ec) return false;
        Socket probe = Socket::from_fd(fd);
        probe.set_blocking(false, ec); // a live server with a full backlog answers EAGAIN, never blocks us
        if (ec) return false;
        detail::ops::connect(probe.native_handle(), address.native(), address.native_size(), ec);
        return ec == std::errc::connection_refused;
    }

    /// Removes the bound socket file if it is still the one this socket created.
    void remove_owned_file() noexcept {
        if (!owned_id_.valid) return;
        if (detail::ops::socket_file(owned_path_.c_str(), nullptr) == owned_id_) {
            std::error_code ignored;
            detail::ops::unlink(owned_path_.c_str(), ignored);
        }
        owned_id_ = detail::ops::FileId{};
    }
};

namespace detail {

/// Throws the error of `call` on a Unix-domain `address`.
[[noreturn]] SOCKIT_COLD inline void throw_unix(const std::error_code& ec, const char* call,
                                                const UnixAddress& address) {
    throw_error(ec, std::string(call) + " " + address.to_string());
}

} // namespace detail

/**
 * A connected Unix-domain stream socket: what `UnixServer::accept` returns, what
 * `UnixClient` is, and each end of `socket_pair()`. It has `TcpStream`'s operations
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
    /// Sends data with descriptors attached. @throws Error (invalid_argument for no data or too many descriptors).
    std::size_t send_fds(std::string_view data, const native_handle_type* fds, std::size_t count) {
        std::error_code ec;
        std::size_t n = send_fds(data.data(), data.size(), fds, count, ec);
        if (ec) detail::throw_error(ec, "send_fds (" + std::to_string(count) + " descriptors)");
        return n;
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
        std::error_code ec;
        PeerCredentials out = peer_credentials(ec);
        if (ec) detail::throw_error(ec, "peer_credentials");
        return out;
    }

    /// The underlying socket, for operations this class does not re-export.
    Socket& socket() noexcept { return *this; }
    /// The underlying socket.
    const Socket& socket() const noexcept { return *this; }
};

/**
 * A `UnixStream` that connects on construction.
 *
 * @code
 * sockit::UnixClient client("/run/myapp.sock", std::chrono::seconds(3));
 * client.send_all("hello");
 * @endcode
 */
class UnixClient : public UnixStream {
public:
    /**
     * Connects to `address`; with `timeout`, gives up after it (a server whose backlog is full).
     * @throws ConnectionRefused (nobody listens: a stale socket file), Error with ENOENT (no such file),
     *         TimeoutError, or Error, naming the address.
     */
    explicit UnixClient(const UnixAddress& address, std::optional<std::chrono::nanoseconds> timeout = std::nullopt) {
        std::error_code ec;
        *this = connect(address, timeout, ec);
        if (ec) detail::throw_unix(ec, "connect", address);
    }
    /// Connects to the socket file at `path`. @throws AddressError for a bad path, or as above.
    explicit UnixClient(std::string_view path, std::optional<std::chrono::nanoseconds> timeout = std::nullopt)
        : UnixClient(UnixAddress(path), timeout) {}

    /// Connects without throwing. The connected stream is blocking.
    static UnixClient connect(const UnixAddress& address, std::optional<std::chrono::nanoseconds> timeout,
                              std::error_code& ec) {
        UnixClient client{Private{}};
        client.open(detail::sock_stream, ec);
        if (!ec && timeout) client.set_timeout(*timeout, ec);
        if (!ec) client.connect_name(address, ec);
        if (!ec && timeout) client.set_timeout(std::nullopt, ec);
        if (ec) client.close_quietly();
        return client;
    }

private:
    struct Private {};
    explicit UnixClient(Private) noexcept {}
    void close_quietly() noexcept {
        std::error_code ignored;
        close(ignored);
    }
};

/**
 * A listening Unix-domain stream socket.
 *
 * A socket file left behind by a server that died is detected (connecting to it is
 * refused) and replaced; a file a live server listens on is `AddressInUse`. With
 * `unlink_on_close` (the default) the file is removed on close, if it is still ours.
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
        std::error_code ec;
        open(detail::sock_stream, ec);
        if (!ec) bind_name(address, detail::sock_stream, options, ec);
        if (ec) detail::throw_unix(ec, "bind", address);
        Socket::listen(options.backlog, ec);
        if (ec) detail::throw_unix(ec, "listen", address);
    }
    /// Listens on the socket file at `path`. @throws AddressError for a bad path, or as above.
    explicit UnixServer(std::string_view path, UnixBindOptions options = {}) : UnixServer(UnixAddress(path), options) {}

    using UnixSocketBase::close;
    using UnixSocketBase::local_address;

    /// Accepts one connection: the stream and the peer's address (usually unnamed). Honours the timeout.
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
        std::error_code ec;
        auto out = accept(ec);
        if (ec) {
            std::error_code ignored;
            detail::throw_unix(ec, "accept", local_address(ignored));
        }
        return out;
    }

    /// The underlying socket.
    Socket& socket() noexcept { return *this; }
};

/**
 * A Unix-domain datagram socket: message boundaries kept, reliable and ordered on
 * one host. Unbound, bound to a name, and/or connected; can pass descriptors.
 */
class UnixDatagram : public UnixSocketBase {
public:
    /// An unbound datagram socket. @throws Error.
    UnixDatagram() {
        std::error_code ec;
        open(detail::sock_dgram, ec);
        if (ec) detail::throw_error(ec, "socket");
    }
    /// A datagram socket bound to `address` (a stale socket file there is replaced). @throws AddressInUse or Error.
    explicit UnixDatagram(const UnixAddress& address, UnixBindOptions options = {}) : UnixDatagram() {
        bind(address, options);
    }
    /// Adopts an open Unix-domain datagram socket.
    explicit UnixDatagram(Socket&& socket) noexcept : UnixSocketBase(std::move(socket)) {}

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
        std::error_code ec;
        bind(address, options, ec);
        if (ec) detail::throw_unix(ec, "bind", address);
    }

    /// Sets the default destination (and the only source `recv` accepts).
    void connect(const UnixAddress& address, std::error_code& ec) noexcept { connect_name(address, ec); }
    /// Sets the default destination. @throws ConnectionRefused if nobody is bound there, or Error.
    void connect(const UnixAddress& address) {
        std::error_code ec;
        connect(address, ec);
        if (ec) detail::throw_unix(ec, "connect", address);
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
    /// Sends one datagram to `to`. @throws ConnectionRefused if nobody is bound there, or Error.
    std::size_t send_to(std::string_view data, const UnixAddress& to) {
        std::error_code ec;
        std::size_t n = send_to(data.data(), data.size(), to, ec);
        if (ec) detail::throw_unix(ec, "send_to", to);
        return n;
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
        out.size = static_cast<std::size_t>(n);
        if (out.size > size) {
            out.size = size;
            ec = make_error_code(Errc::datagram_truncated);
        }
        return out;
    }
    /// Receives one datagram. @throws Error with `Errc::datagram_truncated`, TimeoutError, or Error.
    UnixDatagramInfo recv_from(void* data, std::size_t size) {
        std::error_code ec;
        UnixDatagramInfo out = recv_from(data, size, ec);
        if (ec) detail::throw_error(ec, "recv_from (buffer of " + std::to_string(size) + " bytes)");
        return out;
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
    /// Sends one datagram with descriptors attached to the connected peer. @throws Error.
    std::size_t send_fds(std::string_view data, std::initializer_list<native_handle_type> fds) {
        std::error_code ec;
        std::size_t n = send_fds(data.data(), data.size(), fds.begin(), fds.size(), nullptr, ec);
        if (ec) detail::throw_error(ec, "send_fds (" + std::to_string(fds.size()) + " descriptors)");
        return n;
    }
    /// Sends one datagram with descriptors attached to `to`. @throws Error naming the address.
    std::size_t send_fds(std::string_view data, std::initializer_list<native_handle_type> fds, const UnixAddress& to) {
        std::error_code ec;
        std::size_t n = send_fds(data.data(), data.size(), fds.begin(), fds.size(), &to, ec);
        if (ec) detail::throw_unix(ec, "send_fds", to);
        return n;
    }

    using UnixSocketBase::recv_fds;

    /// The underlying socket.
    Socket& socket() noexcept { return *this; }
};

namespace detail {
template <class Connected>
std::pair<Connected, Connected> connected_pair(int type) {
    native_handle_type fds[2];
    std::error_code ec;
    ops::socketpair(type, fds, ec);
    if (ec) throw_error(ec, "socketpair");
    return {Connected(Socket::from_fd(fds[0])), Connected(Socket::from_fd(fds[1]))};
}
} // namespace detail

/// Two connected Unix-domain streams (socketpair), both close-on-exec. @throws Error.
inline std::pair<UnixStream, UnixStream> socket_pair() {
    return detail::connected_pair<UnixStream>(detail::sock_stream);
}

/// Two connected Unix-domain datagram sockets (socketpair), both close-on-exec. @throws Error.
inline std::pair<UnixDatagram, UnixDatagram> datagram_pair() {
    return detail::connected_pair<UnixDatagram>(detail::sock_dgram);
}

} // namespace sockit
