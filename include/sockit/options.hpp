// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include "sockit/address.hpp"
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

/// What every option type needs, around a value of type `T` stored as the system expects it:
/// its level, name and label (from `Tag`), its storage and its size.
template <class Tag, class T>
class OptionStorage {
public:
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
    static constexpr std::size_t size() noexcept { return sizeof(T); }
    /// Called with the size `getsockopt` returned.
    void resize(std::size_t) noexcept {}

protected:
    T value_{};
};

/// A boolean option stored as the `int` the system expects.
template <class Tag>
class BooleanOption : public OptionStorage<Tag, int> {
public:
    /// The option with value `on` (false by default).
    constexpr explicit BooleanOption(bool on = false) noexcept { this->value_ = on ? 1 : 0; }
    /// The value.
    constexpr bool value() const noexcept { return this->value_ != 0; }
    /// The value.
    constexpr explicit operator bool() const noexcept { return value(); }
    /// Called with the size `getsockopt` returned (a one-byte boolean on some systems).
    void resize(std::size_t n) noexcept {
        if (n == 1) this->value_ = *reinterpret_cast<unsigned char*>(&this->value_) != 0 ? 1 : 0;
    }
};

/// An integer option.
template <class Tag>
class IntegerOption : public OptionStorage<Tag, int> {
public:
    /// The option with value `v`.
    constexpr explicit IntegerOption(int v = 0) noexcept { this->value_ = v; }
    /// The value.
    constexpr int value() const noexcept { return this->value_; }
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
SOCKIT_OPTION_TAG(ListenerReuse, opt::sol_socket, opt::so_listener_reuse, opt::so_listener_reuse_label);
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
SOCKIT_OPTION_TAG(ReceiveLowWatermark, opt::sol_socket, opt::so_rcvlowat, "SO_RCVLOWAT");
SOCKIT_OPTION_TAG(SendLowWatermark, opt::sol_socket, opt::so_sndlowat, "SO_SNDLOWAT");
SOCKIT_OPTION_TAG(DontRoute, opt::sol_socket, opt::so_dontroute, "SO_DONTROUTE");
SOCKIT_OPTION_TAG(OutOfBandInline, opt::sol_socket, opt::so_oobinline, "SO_OOBINLINE");
SOCKIT_OPTION_TAG(Listening, opt::sol_socket, opt::so_acceptconn, "SO_ACCEPTCONN");
SOCKIT_OPTION_TAG(TypeOfService, opt::ipproto_ip, opt::ip_tos, "IP_TOS");
SOCKIT_OPTION_TAG(MulticastTimeToLive, opt::ipproto_ip, opt::ip_multicast_ttl, "IP_MULTICAST_TTL");
SOCKIT_OPTION_TAG(MulticastLoop, opt::ipproto_ip, opt::ip_multicast_loop, "IP_MULTICAST_LOOP");
SOCKIT_OPTION_TAG(UnicastHops, opt::ipproto_ipv6, opt::ipv6_unicast_hops, "IPV6_UNICAST_HOPS");
SOCKIT_OPTION_TAG(MulticastHops, opt::ipproto_ipv6, opt::ipv6_multicast_hops, "IPV6_MULTICAST_HOPS");
SOCKIT_OPTION_TAG(MulticastLoopV6, opt::ipproto_ipv6, opt::ipv6_multicast_loop, "IPV6_MULTICAST_LOOP");
SOCKIT_OPTION_TAG(MulticastInterfaceV6, opt::ipproto_ipv6, opt::ipv6_multicast_if, "IPV6_MULTICAST_IF");
SOCKIT_OPTION_TAG(MaxSegment, opt::ipproto_tcp, opt::tcp_maxseg, "TCP_MAXSEG");
#ifdef TCP_USER_TIMEOUT
SOCKIT_OPTION_TAG(UserTimeout, opt::ipproto_tcp, opt::tcp_user_timeout, "TCP_USER_TIMEOUT");
#endif
#ifdef TCP_QUICKACK
SOCKIT_OPTION_TAG(QuickAck, opt::ipproto_tcp, opt::tcp_quickack, "TCP_QUICKACK");
#endif
#ifdef __linux__
SOCKIT_OPTION_TAG(ReceiveOffload, opt::ipproto_udp, opt::udp_gro, "UDP_GRO");
#endif
SOCKIT_OPTION_TAG(TrafficClass, opt::ipproto_ipv6, opt::ipv6_tclass, "IPV6_TCLASS");
#ifdef __linux__
SOCKIT_OPTION_TAG(FreeBind, opt::ipproto_ip, opt::ip_freebind, "IP_FREEBIND");
SOCKIT_OPTION_TAG(Mark, opt::sol_socket, opt::so_mark, "SO_MARK");
SOCKIT_OPTION_TAG(Protocol, opt::sol_socket, opt::so_protocol, "SO_PROTOCOL");
SOCKIT_OPTION_TAG(BindToInterfaceIndex, opt::sol_socket, opt::so_bindtoifindex, "SO_BINDTOIFINDEX");
SOCKIT_OPTION_TAG(BindToDevice, opt::sol_socket, opt::so_bindtodevice, "SO_BINDTODEVICE");
SOCKIT_OPTION_TAG(FastOpen, opt::ipproto_tcp, opt::tcp_fastopen, "TCP_FASTOPEN");
SOCKIT_OPTION_TAG(FastOpenConnect, opt::ipproto_tcp, opt::tcp_fastopen_connect, "TCP_FASTOPEN_CONNECT");
#endif
SOCKIT_OPTION_TAG(MulticastInterface, opt::ipproto_ip, opt::ip_multicast_if, "IP_MULTICAST_IF");
SOCKIT_OPTION_TAG(Linger, opt::sol_socket, opt::so_linger, "SO_LINGER");
} // namespace tags
#undef SOCKIT_OPTION_TAG

template <class Option, class = void>
struct HasLabel : std::false_type {};
template <class Option>
struct HasLabel<Option, std::void_t<decltype(Option::label())>> : std::true_type {};

template <class Option, class = void>
struct HasDescription : std::false_type {};
template <class Option>
struct HasDescription<Option, std::void_t<decltype(std::declval<const Option&>().description())>> : std::true_type {};

/// The option's label for messages: its `description()` (the label and the value, where the value
/// is what a reader needs), its `label()`, or "level L name N".
template <class Option>
std::string option_label(const Option& o) {
    if constexpr (HasDescription<Option>::value)
        return o.description();
    else if constexpr (HasLabel<Option>::value)
        return Option::label();
    else
        return "level " + std::to_string(o.level()) + " name " + std::to_string(o.name());
}

} // namespace detail

/// SO_REUSEADDR: bind to a port still in TIME_WAIT. On by default for `TcpServer` on POSIX
/// (on Windows, `TcpServer` sets `SO_EXCLUSIVEADDRUSE` instead: see `ServerOptions`).
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

/// SO_RCVLOWAT: the fewest bytes a receive waits for.
using ReceiveLowWatermark = detail::IntegerOption<detail::tags::ReceiveLowWatermark>;
/// SO_SNDLOWAT: the free space a send waits for (read only on Linux).
using SendLowWatermark = detail::IntegerOption<detail::tags::SendLowWatermark>;
/// SO_DONTROUTE: send only to directly connected hosts, bypassing routing.
using DontRoute = detail::BooleanOption<detail::tags::DontRoute>;
/// SO_OOBINLINE: urgent (out-of-band) data arrives inline with normal data.
using OutOfBandInline = detail::BooleanOption<detail::tags::OutOfBandInline>;
/// SO_ACCEPTCONN (read only): true for a listening socket.
using Listening = detail::BooleanOption<detail::tags::Listening>;
/// IP_TOS: the type-of-service (DSCP and ECN) byte of outgoing IPv4 packets.
using TypeOfService = detail::IntegerOption<detail::tags::TypeOfService>;
/// IP_MULTICAST_TTL: the time-to-live of outgoing IPv4 multicast datagrams (1 by default: this network only).
using MulticastTimeToLive = detail::IntegerOption<detail::tags::MulticastTimeToLive>;
/// IP_MULTICAST_LOOP: whether this host's own members of a group receive what it sends (on by default).
using MulticastLoop = detail::BooleanOption<detail::tags::MulticastLoop>;
/// IPV6_UNICAST_HOPS: the hop limit of outgoing IPv6 unicast packets (-1: the route's default).
using UnicastHops = detail::IntegerOption<detail::tags::UnicastHops>;
/// IPV6_MULTICAST_HOPS: the hop limit of outgoing IPv6 multicast datagrams (1 by default).
using MulticastHops = detail::IntegerOption<detail::tags::MulticastHops>;
/// IPV6_MULTICAST_LOOP: whether this host's own members of an IPv6 group receive what it sends.
using MulticastLoopV6 = detail::BooleanOption<detail::tags::MulticastLoopV6>;
/// IPV6_MULTICAST_IF: the index of the interface IPv6 multicast datagrams leave by (0: the system's choice).
using MulticastInterfaceV6 = detail::IntegerOption<detail::tags::MulticastInterfaceV6>;
/// TCP_MAXSEG: the maximum segment size of outgoing TCP segments.
using MaxSegment = detail::IntegerOption<detail::tags::MaxSegment>;
#ifdef TCP_USER_TIMEOUT
/// TCP_USER_TIMEOUT (Linux): milliseconds sent data may stay unacknowledged before the connection is dropped.
using UserTimeout = detail::IntegerOption<detail::tags::UserTimeout>;
#endif
#ifdef TCP_QUICKACK
/// TCP_QUICKACK (Linux): acknowledge at once rather than delayed (the system may turn it off again).
using QuickAck = detail::BooleanOption<detail::tags::QuickAck>;
#endif
#ifdef __linux__
/// UDP_GRO (Linux 5.0; reading it back, 5.12): datagrams from one sender that arrive together
/// may be received as one buffer, laid end to end. Receive them with `UdpSocket::recv_coalesced`,
/// which tells where each ends; `recv`, `recv_from` and `recv_batch` cannot tell, so do not use
/// them while it is on.
using ReceiveOffload = detail::BooleanOption<detail::tags::ReceiveOffload>;
#endif

/// IPV6_TCLASS: the traffic class (DSCP and ECN) byte of outgoing IPv6 packets, IP_TOS's IPv6
/// twin; a dual-stack socket that sends to IPv4-mapped peers needs both.
using TrafficClass = detail::IntegerOption<detail::tags::TrafficClass>;
#ifdef __linux__
/// IP_FREEBIND (Linux): bind to an address this host does not have (yet), e.g. before the
/// interface that will carry it is up. Affects IPv6 sockets too.
using FreeBind = detail::BooleanOption<detail::tags::FreeBind>;
/// SO_MARK (Linux; needs CAP_NET_ADMIN): the mark that routing rules and packet filters see on
/// this socket's packets.
using Mark = detail::IntegerOption<detail::tags::Mark>;
/// SO_PROTOCOL (Linux, read only): the protocol the socket was opened with, e.g. to tell whether
/// a `multipath` server or client got Multipath TCP or fell back to plain TCP.
class Protocol : public detail::IntegerOption<detail::tags::Protocol> {
public:
    using IntegerOption::IntegerOption;
    /// True for a Multipath TCP socket (IPPROTO_MPTCP).
    constexpr bool is_multipath() const noexcept { return value() == detail::opt::ipproto_mptcp; }
};
/// SO_BINDTOIFINDEX (Linux 5.0): send and receive only through the interface with this index (0:
/// any); see `interface_index`. Setting it needs CAP_NET_RAW unless the socket is unbound to a
/// device yet and the system allows it.
using BindToInterfaceIndex = detail::IntegerOption<detail::tags::BindToInterfaceIndex>;
/// TCP_FASTOPEN (Linux), on a listener before `listen`: accept data in the SYN of clients that
/// hold a Fast Open cookie, with at most `value()` such connections waiting for `accept`.
/// `ServerOptions::fast_open` sets it. The system's `net.ipv4.tcp_fastopen` must allow servers
/// (bit 2).
using FastOpen = detail::IntegerOption<detail::tags::FastOpen>;
/// TCP_FASTOPEN_CONNECT (Linux 4.11), on a client before `connect`: the connect returns at once
/// and the first send goes in the SYN when the client holds the server's cookie (a normal
/// handshake otherwise). `ConnectOptions::fast_open` sets it.
using FastOpenConnect = detail::BooleanOption<detail::tags::FastOpenConnect>;

/// SO_BINDTODEVICE (Linux): send and receive only through the interface called `name` ("" unbinds).
class BindToDevice {
public:
    /// Not bound to a device (also what `get_option` starts from).
    BindToDevice() noexcept = default;
    /// Bound to the interface called `name`. A name longer than the system's limit (15 bytes on
    /// Linux, which would cut it and might then name another interface) or with a NUL in it names
    /// no interface: setting it fails with no_such_device, and the throwing form's message names
    /// it and why ("setsockopt SO_BINDTODEVICE 'sockit0-and-mor...' (24 bytes; at most 15): ...").
    explicit BindToDevice(std::string_view name) noexcept : requested_(name.size()) {
        std::memcpy(shown_, name.data(), std::min(name.size(), sizeof shown_));
        has_nul_ = name.find('\0') != std::string_view::npos;
        if (name.size() >= detail::ops::interface_name_size || has_nul_)
            name = "/"; // no interface can have this name ('/' is refused in every name)
        std::memcpy(name_, name.data(), name.size());
        name_[name.size()] = '\0';
        size_ = name.size() + 1;
    }
    /// The interface's name ("" when not bound).
    std::string_view value() const noexcept { return {name_, std::strlen(name_)}; }
    static constexpr int level() noexcept { return detail::tags::BindToDevice::level; }
    static constexpr int name() noexcept { return detail::tags::BindToDevice::name; }
    static constexpr const char* label() noexcept { return detail::tags::BindToDevice::label; }
    /// The option and the name it was made with, for messages ("SO_BINDTODEVICE 'eth0'"), and
    /// why no interface can have it: "(24 bytes; at most 15)" or "(a NUL in it)".
    std::string description() const {
        std::string out = label();
        if (requested_ == 0) return out;
        out += " '";
        for (std::size_t i = 0; i < std::min(requested_, sizeof shown_); ++i)
            out += shown_[i] == '\0' ? std::string("\\0") : std::string(1, shown_[i]);
        if (requested_ >= detail::ops::interface_name_size)
            return out + "...' (" + std::to_string(requested_) + " bytes; at most " +
                   std::to_string(detail::ops::interface_name_size - 1) + ")";
        return out + (has_nul_ ? "' (a NUL in it)" : "'");
    }
    void* data() noexcept { return name_; }
    const void* data() const noexcept { return name_; }
    std::size_t size() const noexcept { return size_; }
    /// Called with the size `getsockopt` returned.
    void resize(std::size_t n) noexcept {
        size_ = n < sizeof name_ ? n : sizeof name_ - 1;
        name_[size_] = '\0';
    }

private:
    char name_[detail::ops::interface_name_size + 1]{};
    std::size_t size_ = detail::ops::interface_name_size; // what getsockopt may write
    char shown_[detail::ops::interface_name_size - 1]{};  // the name asked for, its start if too long
    std::size_t requested_ = 0;                           // its length
    bool has_nul_ = false;
};
#endif

/// IP_MULTICAST_IF: the local IPv4 address of the interface multicast datagrams leave by (0.0.0.0: the system's
/// choice).
class MulticastInterface : public detail::OptionStorage<detail::tags::MulticastInterface, detail::opt::in_addr_type> {
public:
    /// The system's choice (INADDR_ANY).
    MulticastInterface() noexcept = default;
    /// The interface that has the IPv4 address `interface_address` (its port is ignored).
    explicit MulticastInterface(const Address& interface_address) noexcept {
        if (interface_address.is_v4())
            value_ = reinterpret_cast<const ::sockaddr_in*>(interface_address.native())->sin_addr;
    }
    /// The interface's address (port 0).
    Address address() const noexcept {
        Address a = Address::any(Family::v4);
        reinterpret_cast<::sockaddr_in*>(a.native())->sin_addr = value_;
        return a;
    }
};

namespace detail {
/// IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP (`Join`) or the matching leave, set-only.
template <bool Join>
class GroupMembership {
public:
    /// An IPv4 `group` on the interface that has the IPv4 address `interface_address`.
    GroupMembership(const Address& group, const Address& interface_address) noexcept : value_{} {
        valid_ = group.is_v4() && interface_address.is_v4();
        if (valid_) opt::fill_ip_mreq(value_.v4, in4(group), in4(interface_address), 0);
        set_v4();
    }
    /// `group` (IPv4 or IPv6) on the interface with index `interface_index` (0: the system's choice).
    explicit GroupMembership(const Address& group, unsigned interface_index = 0) noexcept : value_{} {
        if (group.is_v6()) {
            value_.v6.ipv6mr_multiaddr = reinterpret_cast<const ::sockaddr_in6*>(group.native())->sin6_addr;
            value_.v6.ipv6mr_interface = interface_index;
            level_ = opt::ipproto_ipv6;
            name_ = Join ? opt::ipv6_join_group : opt::ipv6_leave_group;
            size_ = sizeof value_.v6;
            valid_ = true;
            return;
        }
        valid_ = group.is_v4() && (interface_index == 0 || opt::ip_mreq_has_index);
        if (valid_) opt::fill_ip_mreq(value_.v4, in4(group), {}, interface_index);
        set_v4();
    }
    /// False if the addresses do not fit together (see the constructors); then setting it fails.
    bool valid() const noexcept { return valid_; }
    /// IPPROTO_IP or IPPROTO_IPV6.
    int level() const noexcept { return level_; }
    /// The option name for the group's family (-1 when not valid, which the system rejects).
    int name() const noexcept { return valid_ ? name_ : -1; }
    /// "IP_ADD_MEMBERSHIP/IPV6_JOIN_GROUP" or the leave names, for error messages.
    static constexpr const char* label() noexcept {
        return Join ? "IP_ADD_MEMBERSHIP/IPV6_JOIN_GROUP" : "IP_DROP_MEMBERSHIP/IPV6_LEAVE_GROUP";
    }
    /// The request.
    const void* data() const noexcept { return &value_; }
    /// The request's size.
    std::size_t size() const noexcept { return size_; }

private:
    union {
        opt::ip_mreq_type v4;
        opt::ipv6_mreq_type v6;
    } value_;
    int level_ = opt::ipproto_ip;
    int name_ = -1;
    std::size_t size_ = 0;
    bool valid_ = false;

    static opt::in_addr_type in4(const Address& a) noexcept {
        return reinterpret_cast<const ::sockaddr_in*>(a.native())->sin_addr;
    }
    void set_v4() noexcept {
        level_ = opt::ipproto_ip;
        name_ = Join ? opt::ip_add_membership : opt::ip_drop_membership;
        size_ = sizeof value_.v4;
    }
};
} // namespace detail

/// The index of the network interface called `name` ("lo", "eth0"), or 0 with `ec` set
/// (`no_such_device`) if there is none.
inline unsigned interface_index(std::string_view name, std::error_code& ec) {
    unsigned index = name.find('\0') == std::string_view::npos ? detail::ops::interface_index(std::string(name).c_str())
                                                               : 0;
    if (index == 0)
        ec = std::make_error_code(std::errc::no_such_device);
    else
        ec.clear();
    return index;
}
/// The index of the network interface called `name`, for `join_group` and `MulticastInterfaceV6`.
/// @throws AddressError naming the interface if there is none.
inline unsigned interface_index(std::string_view name) {
    std::error_code ec;
    unsigned index = interface_index(name, ec);
    if (ec) throw AddressError(ec, "interface " + detail::quoted(name));
    return index;
}

/// Joins a multicast group (set only): `sock.set_option(sockit::JoinGroup(group, interface))`.
/// `UdpSocket::join_group` is the same with a clearer error message.
using JoinGroup = detail::GroupMembership<true>;
/// Leaves a multicast group (set only).
using LeaveGroup = detail::GroupMembership<false>;

/// SO_LINGER: how `close` treats unsent data. Enabled with a zero timeout, close resets the connection.
class Linger : public detail::OptionStorage<detail::tags::Linger, detail::opt::linger_type> {
public:
    /// Linger disabled (the system's default).
    Linger() noexcept = default;
    /// Linger `enabled` for up to `timeout`.
    Linger(bool enabled, std::chrono::seconds timeout) noexcept {
        value_.l_onoff = enabled ? 1 : 0;
        value_.l_linger = static_cast<decltype(value_.l_linger)>(timeout.count());
    }
    /// Whether lingering is on.
    bool enabled() const noexcept { return value_.l_onoff != 0; }
    /// How long close may wait.
    std::chrono::seconds timeout() const noexcept { return std::chrono::seconds(value_.l_linger); }
};

} // namespace sockit
