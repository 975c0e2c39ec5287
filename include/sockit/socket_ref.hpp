// SPDX-License-Identifier: MIT
#pragma once

#include <type_traits>
#include <utility>

#include "sockit/socket.hpp"

namespace sockit {

/**
 * A non-owning view of a socket descriptor that sockit did not make — one a C library, a
 * service manager or another framework owns — with sockit's typed options and calls on it:
 * @code
 * sockit::SocketRef ref(fd_from_a_c_library);
 * ref.set_option(sockit::NoDelay(true));
 * std::cout << ref.local_address() << '\n';
 * @endcode
 * It never closes the descriptor, which must outlive it. A view starts in the mode the descriptor
 * is in: non-blocking (timeout zero) if O_NONBLOCK is set — as it is on a sockit socket with a
 * timeout, whose timeout the view does not take — else blocking. A timeout set through it is the
 * view's own (as for any sockit object); what a call changes on the descriptor itself stays after
 * the view goes: options, and the non-blocking mode that `set_blocking(false)` or a timeout sets.
 * `dup()` gives an owning `Socket` for the same socket.
 */
class SocketRef : private Socket {
public:
    /// A view of descriptor `fd` (not checked: a call on a bad descriptor fails with its error).
    explicit SocketRef(native_handle_type fd) noexcept : Socket(Socket::from_fd(fd)) {}
    /// A view of the descriptor of `socket`, any sockit socket class.
    template <class S, class = std::enable_if_t<
                           !std::is_same_v<std::decay_t<S>, SocketRef> &&
                           std::is_same_v<decltype(std::declval<const S&>().native_handle()), native_handle_type>>>
    explicit SocketRef(const S& socket) noexcept : SocketRef(socket.native_handle()) {}
    /// A second view of the same descriptor, in the mode the descriptor is in now (not with
    /// `other`'s timeout: non-blocking if that timeout left O_NONBLOCK set).
    SocketRef(const SocketRef& other) noexcept : SocketRef(other.native_handle()) {}
    SocketRef& operator=(const SocketRef&) = delete;
    /// Leaves the descriptor open.
    ~SocketRef() { static_cast<void>(release()); }

    using Socket::native_handle_type;
    using Socket::native_handle;
    using Socket::fileno;
    using Socket::dup;
    using Socket::bind;
    using Socket::listen;
    using Socket::accept;
    using Socket::connect;
    using Socket::connect_ex;
    using Socket::pending_error;
    using Socket::send;
    using Socket::send_all;
    using Socket::recv;
    using Socket::recv_exactly;
    using Socket::recv_until;
    using Socket::send_to;
    using Socket::recv_from;
    using Socket::local_address;
    using Socket::peer_address;
    using Socket::set_option;
    using Socket::get_option;
    using Socket::set_blocking;
    using Socket::blocking;
    using Socket::set_timeout;
    using Socket::timeout;
    using Socket::shutdown;
};

} // namespace sockit
