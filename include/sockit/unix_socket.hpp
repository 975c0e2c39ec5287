// SPDX-License-Identifier: MIT
// What the Unix-domain socket classes share: UnixBindOptions, ReceivedFds and their base,
// UnixSocketBase (naming, the socket file, descriptor passing).
#pragma once

#include <cstddef>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "sockit/descriptor.hpp"
#include "sockit/detail/throwing.hpp"
#include "sockit/detail/unix.hpp"
#include "sockit/error.hpp"
#include "sockit/socket.hpp"
#include "sockit/unix_address.hpp"

namespace sockit {

/// What `recv_fds` returns: the data's size, the descriptors that came with it, and the sender.
struct ReceivedFds {
    std::size_t size = 0;        ///< bytes stored in the buffer
    std::vector<Descriptor> fds; ///< received descriptors, close-on-exec, owned
    UnixAddress sender;          ///< the sender (datagram sockets bound to a name only)
};

/// How a Unix-domain socket binds a name.
struct UnixBindOptions {
    int backlog = 128;           ///< pending connections (`UnixServer` only)
    bool replace_stale = true;   ///< remove a socket file no one listens on (connect is refused), then bind
    bool unlink_on_close = true; ///< remove the socket file on close, if it is still the one bound
};

/**
 * The base of `UnixStream`, `UnixServer` and `UnixDatagram`: what they share (naming, the
 * socket file, descriptor passing) for each to make public as fits it, beside the
 * operations of every socket (`SocketOperations`).
 *
 * A socket that bound a path with `unlink_on_close` removes that file when it closes, once:
 * moving the object moves that duty with the socket, and `release()` gives it up with the
 * descriptor.
 */
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
    UnixAddress local_address() const {
        return detail::or_throw([&](std::error_code& ec) { return local_address(ec); }, "getsockname");
    }
    /// The connected peer's address (getpeername).
    UnixAddress peer_address(std::error_code& ec) const noexcept { return name(detail::ops::getpeername, ec); }
    /// The connected peer's address. @throws Error (ENOTCONN if not connected).
    UnixAddress peer_address() const {
        return detail::or_throw([&](std::error_code& ec) { return peer_address(ec); }, "getpeername");
    }

    /// Closes the socket, and removes its socket file if it bound one with `unlink_on_close`.
    void close(std::error_code& ec) noexcept {
        Socket::close(ec);
        remove_owned_file();
    }
    /// Closes the socket (and its socket file, see above). @throws Error if close reports one.
    void close() {
        detail::or_throw([&](std::error_code& ec) { close(ec); }, "close");
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
    void open_socket(int type, std::error_code& ec) noexcept {
        native_handle_type fd = detail::ops::socket(detail::af_unix, type, 0, ec);
        if (!ec) static_cast<Socket&>(*this) = Socket::from_fd(fd);
    }

    /// Closes the socket (removing a file it bound), ignoring errors: a factory that failed
    /// half-way leaves an object that owns nothing.
    void close_quietly() noexcept {
        std::error_code ignored;
        close(ignored);
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
     * is an error, and every descriptor that came is closed: none is leaked (nor when there
     * is no memory to hold them: `not_enough_memory`).
     */
    ReceivedFds recv_fds(void* data, std::size_t size, std::size_t max_fds, std::error_code& ec) noexcept {
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
            ec = std::make_error_code(std::errc::not_enough_memory);
            return out;
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
        return detail::or_throw([&](std::error_code& ec) { return recv_fds(data, size, max_fds, ec); },
                                [&] { return "recv_fds (room for " + std::to_string(max_fds) + " descriptors)"; });
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
/// Two connected Unix-domain sockets of `type` (socketpair), both close-on-exec; on failure,
/// two objects that own nothing.
template <class Connected>
std::pair<Connected, Connected> connected_pair(int type, std::error_code& ec) noexcept {
    native_handle_type fds[2];
    ops::socketpair(type, fds, ec);
    if (ec) return {Connected(Socket()), Connected(Socket())};
    return {Connected(Socket::from_fd(fds[0])), Connected(Socket::from_fd(fds[1]))};
}
} // namespace detail

} // namespace sockit
