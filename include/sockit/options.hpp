// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <type_traits>

#include "sockit/detail/platform.hpp"

namespace sockit {

/**
 * Typed socket options, for `set_option` and `get_option`.
 *
 * Any type with `level()`, `name()`, `data()`, `size()` and `resize(n)` is an
 * option, so users can define their own (and may add a static `label()` that
 * error messages use):
 * @code
 * sock.set_option(sockit::ReuseAddress(true));
 * bool on = sock.get_option<sockit::NoDelay>().value();
 * @endcode
 */
namespace detail {

/// A boolean option stored as the `int` the system expects.
template <class Tag>
class BooleanOption {
public:
    /// The option with value `on` (false by default).
    constexpr explicit BooleanOption(bool on = false) noexcept : value_(on ? 1 : 0) {}
    /// The value.
    constexpr bool value() const noexcept { return value_ != 0; }
    /// The value.
    constexpr explicit operator bool() const noexcept { return value(); }
    /// The option's protocol level.
    static constexpr int level() noexcept { return Tag::level; }
    /// The option's name at that level.
    static constexpr int name() noexcept { return Tag::name; }
    /// The system's name for the option, for error messages.
    static constexpr const char* label() noexcept { return Tag::label; }
    /// The value's storage.
    void* data() noexcept { return &value_; }
    /// The value's storage.
    const void* data() const noexcept { return &value_; }
    /// The value's size.
    static constexpr std::size_t size() noexcept { return sizeof(int); }
    /// Called with the size `getsockopt` returned (a one-byte boolean on some systems).
    void resize(std::size_t n) noexcept {
        if (n == 1) value_ = *reinterpret_cast<unsigned char*>(&value_) != 0 ? 1 : 0;
    }

private:
    int value_;
};

/// An integer option.
template <class Tag>
class IntegerOption {
public:
    /// The option with value `v`.
    constexpr explicit IntegerOption(int v = 0) noexcept : value_(v) {}
    /// The value.
    constexpr int value() const noexcept { return value_; }
    /// The option's protocol level.
    static constexpr int level() noexcept { return Tag::level; }
    /// The option's name at that level.
    static constexpr int name() noexcept { return Tag::name; }
    /// The system's name for the option, for error messages.
    static constexpr const char* label() noexcept { return Tag::label; }
    /// The value's storage.
    void* data() noexcept { return &value_; }
    /// The value's storage.
    const void* data() const noexcept { return &value_; }
    /// The value's size.
    static constexpr std::size_t size() noexcept { return sizeof(int); }
    /// Called with the size `getsockopt` returned.
    void resize(std::size_t) noexcept {}

private:
    int value_;
};

#define SOCKIT_OPTION_TAG(Tag, Level, Name, Label)                                                                     \
    struct Tag {                                                                                                       \
        static constexpr int level = Level;                                                                            \
        static constexpr int name = Name;                                                                              \
        static constexpr const char* label = Label;                                                                    \
    }
namespace tags {
SOCKIT_OPTION_TAG(ReuseAddress, opt::sol_socket, opt::so_reuseaddr, "SO_REUSEADDR");
SOCKIT_OPTION_TAG(ReusePort, opt::sol_socket, opt::so_reuseport, "SO_REUSEPORT");
SOCKIT_OPTION_TAG(KeepAlive, opt::sol_socket, opt::so_keepalive, "SO_KEEPALIVE");
SOCKIT_OPTION_TAG(Broadcast, opt::sol_socket, opt::so_broadcast, "SO_BROADCAST");
SOCKIT_OPTION_TAG(ReceiveBufferSize, opt::sol_socket, opt::so_rcvbuf, "SO_RCVBUF");
SOCKIT_OPTION_TAG(SendBufferSize, opt::sol_socket, opt::so_sndbuf, "SO_SNDBUF");
SOCKIT_OPTION_TAG(SocketError, opt::sol_socket, opt::so_error, "SO_ERROR");
SOCKIT_OPTION_TAG(NoDelay, opt::ipproto_tcp, opt::tcp_nodelay, "TCP_NODELAY");
SOCKIT_OPTION_TAG(V6Only, opt::ipproto_ipv6, opt::ipv6_v6only, "IPV6_V6ONLY");
SOCKIT_OPTION_TAG(TimeToLive, opt::ipproto_ip, opt::ip_ttl, "IP_TTL");
#ifdef TCP_KEEPIDLE
SOCKIT_OPTION_TAG(KeepAliveIdle, opt::ipproto_tcp, opt::tcp_keepidle, "TCP_KEEPIDLE");
SOCKIT_OPTION_TAG(KeepAliveInterval, opt::ipproto_tcp, opt::tcp_keepintvl, "TCP_KEEPINTVL");
SOCKIT_OPTION_TAG(KeepAliveCount, opt::ipproto_tcp, opt::tcp_keepcnt, "TCP_KEEPCNT");
#endif
} // namespace tags
#undef SOCKIT_OPTION_TAG

template <class Option, class = void>
struct HasLabel : std::false_type {};
template <class Option>
struct HasLabel<Option, std::void_t<decltype(Option::label())>> : std::true_type {};

/// The option's label for messages: its `label()`, or "level L name N".
template <class Option>
std::string option_label(const Option& o) {
    if constexpr (HasLabel<Option>::value)
        return Option::label();
    else
        return "level " + std::to_string(o.level()) + " name " + std::to_string(o.name());
}

} // namespace detail

/// SO_REUSEADDR: bind to a port still in TIME_WAIT. On by default for `TcpServer`.
using ReuseAddress = detail::BooleanOption<detail::tags::ReuseAddress>;
/// SO_REUSEPORT: several sockets bound to one port. Never on by default.
using ReusePort = detail::BooleanOption<detail::tags::ReusePort>;
/// SO_KEEPALIVE: send TCP keep-alive probes on an idle connection.
using KeepAlive = detail::BooleanOption<detail::tags::KeepAlive>;
/// SO_BROADCAST: allow datagrams to broadcast addresses.
using Broadcast = detail::BooleanOption<detail::tags::Broadcast>;
/// SO_RCVBUF: the receive buffer size in bytes (Linux reports double the value set).
using ReceiveBufferSize = detail::IntegerOption<detail::tags::ReceiveBufferSize>;
/// SO_SNDBUF: the send buffer size in bytes (Linux reports double the value set).
using SendBufferSize = detail::IntegerOption<detail::tags::SendBufferSize>;
/// SO_ERROR (read only): the pending error, cleared by reading it.
using SocketError = detail::IntegerOption<detail::tags::SocketError>;
/// TCP_NODELAY: disable Nagle's algorithm.
using NoDelay = detail::BooleanOption<detail::tags::NoDelay>;
/// IPV6_V6ONLY: an IPv6 socket that does not also accept IPv4-mapped peers.
using V6Only = detail::BooleanOption<detail::tags::V6Only>;
/// IP_TTL: the time-to-live of outgoing IPv4 packets.
using TimeToLive = detail::IntegerOption<detail::tags::TimeToLive>;
#ifdef TCP_KEEPIDLE
/// TCP_KEEPIDLE: seconds of idleness before the first keep-alive probe.
using KeepAliveIdle = detail::IntegerOption<detail::tags::KeepAliveIdle>;
/// TCP_KEEPINTVL: seconds between keep-alive probes.
using KeepAliveInterval = detail::IntegerOption<detail::tags::KeepAliveInterval>;
/// TCP_KEEPCNT: unanswered probes before the connection is dropped.
using KeepAliveCount = detail::IntegerOption<detail::tags::KeepAliveCount>;
#endif

/// SO_LINGER: how `close` treats unsent data. Enabled with a zero timeout, close resets the connection.
class Linger {
public:
    /// Linger disabled (the system's default).
    Linger() noexcept : value_{} {}
    /// Linger `enabled` for up to `timeout`.
    Linger(bool enabled, std::chrono::seconds timeout) noexcept : value_{} {
        value_.l_onoff = enabled ? 1 : 0;
        value_.l_linger = static_cast<decltype(value_.l_linger)>(timeout.count());
    }
    /// Whether lingering is on.
    bool enabled() const noexcept { return value_.l_onoff != 0; }
    /// How long close may wait.
    std::chrono::seconds timeout() const noexcept { return std::chrono::seconds(value_.l_linger); }
    /// SOL_SOCKET.
    static constexpr int level() noexcept { return detail::opt::sol_socket; }
    /// SO_LINGER.
    static constexpr int name() noexcept { return detail::opt::so_linger; }
    /// "SO_LINGER".
    static constexpr const char* label() noexcept { return "SO_LINGER"; }
    /// The value's storage.
    void* data() noexcept { return &value_; }
    /// The value's storage.
    const void* data() const noexcept { return &value_; }
    /// The value's size.
    static constexpr std::size_t size() noexcept { return sizeof(detail::opt::linger_type); }
    /// Called with the size `getsockopt` returned.
    void resize(std::size_t) noexcept {}

private:
    detail::opt::linger_type value_;
};

} // namespace sockit
