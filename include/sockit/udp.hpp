// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "sockit/address.hpp"
#include "sockit/buffer.hpp"
#include "sockit/detail/adopt.hpp"
#include "sockit/detail/batch.hpp"
#include "sockit/detail/bind_address.hpp"
#include "sockit/detail/packet_info.hpp"
#include "sockit/detail/throwing.hpp"
#include "sockit/error.hpp"
#include "sockit/socket.hpp"

namespace sockit {

/// One slot of `UdpSocket::recv_batch`: where a datagram goes, and what arrived.
struct DatagramSlot {
    MutableBuffer buffer;   ///< in: where to store the datagram
    std::size_t size = 0;   ///< out: bytes stored
    Address sender;         ///< out: who sent it
    bool truncated = false; ///< out: the datagram was larger than `buffer` (the rest is lost)
};

/**
 * What `UdpSocket::recv_coalesced` stored: one or more datagrams from `sender`, laid end to
 * end at `data`, each `segment_size` bytes except the last, which may be shorter. Index it,
 * or walk it with range-for, to get each datagram as a view into the buffer. After an error,
 * `data` is null and there are no datagrams.
 *
 * @code
 * for (std::string_view datagram : socket.recv_coalesced(sockit::buffer(buf))) handle(datagram);
 * @endcode
 */
struct CoalescedDatagrams {
    const char* data = nullptr;   ///< the first datagram (in the buffer given); null: nothing received
    std::size_t size = 0;         ///< bytes stored, all datagrams together
    std::size_t segment_size = 0; ///< the size of each datagram but the last; 0: one datagram of `size` bytes
    Address sender;               ///< who sent them

    /// How many datagrams are stored: 0 after an error; an empty datagram counts as one.
    std::size_t count() const noexcept { return count_of(data, size, segment_size); }
    /// Datagram `i` (`i < count()`).
    std::string_view operator[](std::size_t i) const noexcept { return slice(data, size, segment_size, i); }

    /// Walks the datagrams in the order they were sent. It refers to the buffer only, so it
    /// stays valid after the `CoalescedDatagrams` it came from is gone.
    class iterator {
    public:
        using iterator_category = std::input_iterator_tag; ///< `*it` is a view made on demand
        using value_type = std::string_view;               ///< a datagram
        using difference_type = std::ptrdiff_t;            ///< a distance in datagrams
        using pointer = void;                              ///< no `->`
        using reference = std::string_view;                ///< what `*it` gives

        /// An iterator that walks nothing.
        iterator() noexcept = default;
        /// The datagram here.
        std::string_view operator*() const noexcept { return slice(data_, size_, segment_, index_); }
        /// Moves to the next datagram.
        iterator& operator++() noexcept {
            ++index_;
            return *this;
        }
        /// Moves to the next datagram; returns where it was.
        iterator operator++(int) noexcept {
            iterator before = *this;
            ++index_;
            return before;
        }
        /// Whether two iterators over the same datagrams are at the same one.
        friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.index_ == b.index_; }
        /// Whether two iterators over the same datagrams are at different ones.
        friend bool operator!=(const iterator& a, const iterator& b) noexcept { return a.index_ != b.index_; }

    private:
        friend struct CoalescedDatagrams;
        iterator(const CoalescedDatagrams& all, std::size_t index) noexcept
            : data_(all.data), size_(all.size), segment_(all.segment_size), index_(index) {}
        const char* data_ = nullptr;
        std::size_t size_ = 0;
        std::size_t segment_ = 0;
        std::size_t index_ = 0;
    };
    /// The first datagram.
    iterator begin() const noexcept { return {*this, 0}; }
    /// Past the last datagram.
    iterator end() const noexcept { return {*this, count()}; }

private:
    static std::size_t count_of(const char* data, std::size_t size, std::size_t segment) noexcept {
        if (data == nullptr) return 0;
        return segment == 0 || size <= segment ? 1 : (size + segment - 1) / segment;
    }
    static std::string_view slice(const char* data, std::size_t size, std::size_t segment, std::size_t i) noexcept {
        if (segment == 0) return {data, size};
        const std::size_t start = i * segment;
        return {data + start, std::min(segment, size - start)};
    }
};

/// What `UdpSocket::recv_routed` received: a datagram, who sent it, and where it was sent.
struct DatagramRoute {
    std::size_t size = 0; ///< bytes stored in the buffer
    Address sender;       ///< the sender's address
    /// The local address the datagram was sent to (port 0: it came to this socket's port);
    /// unspecified if `set_receive_destination(true)` was not called first.
    Address destination;
    unsigned interface_index = 0; ///< the interface it arrived on (0 if unknown)
};

/**
 * A UDP socket, used unconnected (`send_to`, `recv_from`) or connected
 * (`connect`, then `send`, `recv`). Binding is optional: a client that sends
 * first gets a port chosen by the system. Reuse-address is off, so no other
 * process can bind the same port and take our datagrams.
 *
 * A datagram larger than the buffer given to `recv_from`/`recv` is reported as
 * `Errc::datagram_truncated`, never silently cut.
 *
 * @code
 * sockit::UdpSocket server("127.0.0.1", 8888);
 * char buf[1024];
 * auto [n, from] = server.recv_from(buf, sizeof buf);
 * server.send_to(std::string_view(buf, n), from);
 * @endcode
 */
class UdpSocket : public SocketOperations {
public:
    /// A UDP socket object that owns no socket.
    UdpSocket() noexcept = default;

    /// An unbound UDP socket of `family` (the first `send_to` binds it to a free port). @throws Error.
    explicit UdpSocket(Family family) : SocketOperations(family, SocketType::datagram) {}

    /**
     * A UDP socket bound to `host` and `port` (0: the system picks). `host` is numeric text
     * (`""`: every IPv4 interface) or a name with one address of `family` (the rule of
     * `TcpServer`: a name with several is refused as ambiguous).
     * @throws AddressError (bad or ambiguous host, bad port), AddressInUse, Error.
     */
    UdpSocket(std::string_view host, int port, Family family = Family::unspecified) {
        std::string context;
        *this = detail::or_throw([&](std::error_code& ec) { return open_named(host, port, family, ec, context); },
                                 [&] { return context; });
    }

    /// A UDP socket bound to `address`. @throws AddressInUse or Error.
    explicit UdpSocket(const Address& address) {
        *this = detail::or_throw([&](std::error_code& ec) { return open(address, ec); }, detail::At{"bind", address});
    }

    /// Takes a UDP socket made elsewhere (one a service manager passed, see `passed_sockets`).
    /// It must be an IPv4 or IPv6 datagram socket; if not, `ec` is `Errc::invalid_argument`
    /// and `socket` is left to the caller.
    static UdpSocket adopt(Socket&& socket, std::error_code& ec) noexcept {
        return detail::adopt<UdpSocket>(socket, adopt_rule, ec, from_socket);
    }
    /// Takes a UDP socket made elsewhere. @throws Error naming the descriptor and why it does
    /// not fit ("adopt descriptor 3: not a datagram socket").
    static UdpSocket adopt(Socket&& socket) {
        return detail::adopt_or_throw<UdpSocket>(socket, adopt_rule, from_socket);
    }

    /// An unbound UDP socket of `family`, or one that owns nothing with `ec` set.
    static UdpSocket open(Family family, std::error_code& ec) noexcept {
        return UdpSocket(Socket::open(family, SocketType::datagram, 0, ec));
    }
    /// A UDP socket bound to `address`, or one that owns nothing with `ec` set.
    static UdpSocket open(const Address& address, std::error_code& ec) noexcept {
        UdpSocket s(Socket::open(address.family(), SocketType::datagram, 0, ec));
        if (!ec) s.Socket::bind(address, ec);
        return ec ? UdpSocket() : std::move(s);
    }
    /// A UDP socket bound to `host` and `port` (see the constructor), or one that owns nothing
    /// with `ec` set.
    static UdpSocket open(std::string_view host, int port, Family family, std::error_code& ec) noexcept {
        return detail::or_no_memory<UdpSocket>(ec, [&] {
            std::string context;
            return open_named(host, port, family, ec, context);
        });
    }

    /// Adopts an open UDP socket (`send_batch` relies on it being UDP).
    explicit UdpSocket(Socket&& socket) noexcept : SocketOperations(std::move(socket)) {}

    using Socket::close;
    using Socket::bind;
    using Socket::connect;
    using Socket::send;
    using Socket::send_to;
    using Socket::recv_from;
    using Socket::peer_address;
    using Socket::local_address;

    /// Receives one datagram from the connected peer; truncation sets `Errc::datagram_truncated`.
    std::size_t recv(void* data, std::size_t size, std::error_code& ec) noexcept {
        return Socket::recv_from(data, size, ec).size;
    }
    /// Receives one datagram from the connected peer. @throws Error if it was truncated, TimeoutError, Error.
    std::size_t recv(void* data, std::size_t size) {
        return detail::or_throw([&](std::error_code& ec) { return recv(data, size, ec); },
                                detail::At{"recv", known_peer()});
    }

    /**
     * Sends `count` datagrams to `to` with as few system calls and trips through the
     * network stack as the system allows. On Linux, a run of four or more datagrams of one
     * size (the last may be shorter) goes out as one segmented send (UDP_SEGMENT, Linux
     * 4.18): the kernel cuts it into separate datagrams, so receivers see exactly the
     * datagrams given. If the kernel refuses (datagrams larger than the route's MTU, say),
     * this socket stops asking.
     * Other datagrams go out with sendmmsg, up to 64 a call; elsewhere, one call each.
     * Returns how many were sent: all of them unless `ec` is set.
     */
    std::size_t send_batch(const ConstBuffer* datagrams, std::size_t count, const Address& to,
                           std::error_code& ec) noexcept {
        return send_batch_to(datagrams, count, to.native(), to.native_size(), ec);
    }
    /**
     * Sends `count` datagrams to `to`.
     * @throws Error naming the address; its message says how many datagrams went out before
     *         the one that failed, and `transferred()` their bytes.
     */
    std::size_t send_batch(const ConstBuffer* datagrams, std::size_t count, const Address& to) {
        std::error_code ec;
        std::size_t sent = send_batch(datagrams, count, to, ec);
        if (ec) throw_batch(ec, to, datagrams, sent, count);
        return sent;
    }
    /// Sends `count` datagrams to the connected peer.
    std::size_t send_batch(const ConstBuffer* datagrams, std::size_t count, std::error_code& ec) noexcept {
        return send_batch_to(datagrams, count, nullptr, 0, ec);
    }
    /// Sends `count` datagrams to the connected peer. @throws Error, as the form with an address.
    std::size_t send_batch(const ConstBuffer* datagrams, std::size_t count) {
        std::error_code ec;
        std::size_t sent = send_batch(datagrams, count, ec);
        if (ec) throw_batch(ec, known_peer(), datagrams, sent, count);
        return sent;
    }

    /**
     * Receives up to `count` datagrams (at most 64) with one system call where the system
     * allows (recvmmsg with MSG_WAITFORONE on Linux): waits, within the timeout, for the
     * first datagram only, then takes those that have already arrived. Returns how many
     * slots were filled; each says its size, its sender and whether it was truncated.
     */
    std::size_t recv_batch(DatagramSlot* slots, std::size_t count, std::error_code& ec) noexcept {
        auto n = io(
            detail::Direction::in,
            [&](int flags, std::error_code& e) {
                return detail::ops::recv_batch(native_handle(), slots, count, flags, e);
            },
            ec);
        return ec ? 0 : static_cast<std::size_t>(n);
    }
    /// Receives up to `count` datagrams. @throws TimeoutError or Error.
    std::size_t recv_batch(DatagramSlot* slots, std::size_t count) {
        return detail::or_throw([&](std::error_code& ec) { return recv_batch(slots, count, ec); },
                                [&] {
                                    std::error_code ignored;
                                    return detail::context("recv_batch", local_address(ignored));
                                });
    }

    /**
     * Asks the system to tell each datagram's destination to `recv_routed` (IP_PKTINFO;
     * IPV6_RECVPKTINFO on an IPv6 socket, which then also learns it for IPv4-mapped peers).
     * Windows: `operation_not_supported`.
     */
    void set_receive_destination(bool on, std::error_code& ec) noexcept {
        std::error_code ignored;
        detail::ops::set_receive_destination(
            native_handle(), local_address(ignored).is_v6() ? detail::af_inet6 : detail::af_inet, on, ec);
    }
    /// Asks the system to tell each datagram's destination. @throws Error.
    void set_receive_destination(bool on = true) {
        detail::or_throw([&](std::error_code& ec) { set_receive_destination(on, ec); },
                         "setsockopt IP_PKTINFO/IPV6_RECVPKTINFO");
    }

    /**
     * Receives one datagram into `data` as `recv_from` does, and also the local address it was
     * sent to and the interface it came in on (after `set_receive_destination(true)`). A server
     * bound to the wildcard address answers with `send_from(…, route.sender, route.destination)`
     * so that the reply comes from the address the client sent to: a connected client drops
     * replies from any other. Truncation, timeouts and errors as `recv_from`.
     */
    DatagramRoute recv_routed(void* data, std::size_t size, std::error_code& ec) noexcept {
        DatagramRoute out;
        detail::socklen_type len = Address::native_capacity();
        ::sockaddr_storage to{};
        bool truncated = false;
        auto n = io(
            detail::Direction::in,
            [&](int flags, std::error_code& e) {
                return detail::ops::recv_with_destination(native_handle(), data, size, flags, out.sender.native(), &len,
                                                          to, out.interface_index, truncated, e);
            },
            ec);
        if (ec) return out;
        if (to.ss_family != detail::af_unspec) {
            std::error_code ignored;
            out.destination = Address::from_native(reinterpret_cast<const ::sockaddr*>(&to), sizeof to, ignored);
        }
        out.size = static_cast<std::size_t>(n) < size ? static_cast<std::size_t>(n) : size;
        if (truncated) ec = make_error_code(Errc::datagram_truncated);
        return out;
    }
    /// Receives one datagram and its destination. @throws as `recv_from`.
    DatagramRoute recv_routed(void* data, std::size_t size) {
        std::error_code ec;
        DatagramRoute got = recv_routed(data, size, ec);
        if (ec) detail::throw_recv_from(ec, got.sender, size, "recv_routed");
        return got;
    }

    /**
     * Sends one datagram to `to` from the local address `from` (its port ignored: this socket's)
     * and, if not 0, through interface `interface_index` (IP_PKTINFO / IPV6_PKTINFO): a wildcard-
     * bound server's reply from the address the request came to. `from` is of `to`'s kind: IPv4
     * (or IPv4-mapped) for an IPv4 or IPv4-mapped `to`, IPv6 for an IPv6 one, or the wildcard of
     * either (the system chooses); one of the other kind, which the system would ignore, is
     * `address_family_not_supported`. Windows: `operation_not_supported`.
     */
    std::size_t send_from(const void* data, std::size_t size, const Address& to, const Address& from,
                          unsigned interface_index, std::error_code& ec) noexcept {
        if (to.family() == Family::unspecified) {
            ec = std::make_error_code(std::errc::address_family_not_supported);
            return 0;
        }
        auto n = io(
            detail::Direction::out,
            [&](int flags, std::error_code& e) {
                return detail::ops::send_from(native_handle(), data, size, flags, to.native(), to.native_size(),
                                              from.native(), interface_index, e);
            },
            ec);
        return ec ? 0 : static_cast<std::size_t>(n);
    }
    /// Sends one datagram to `to` from `from`. @throws Error naming `to`.
    std::size_t send_from(std::string_view data, const Address& to, const Address& from, unsigned interface_index = 0) {
        return detail::or_throw(
            [&](std::error_code& ec) { return send_from(data.data(), data.size(), to, from, interface_index, ec); },
            [&] { return detail::context("send_from", to) + " from " + from.host(); });
    }

    /**
     * Receives one datagram into `buffer`, or, with `ReceiveOffload` on (Linux), as many as the
     * kernel has coalesced: datagrams of one size from one sender that arrived together, laid
     * end to end (a sender's `send_batch` makes such runs). Waits within the timeout. The
     * result says where each datagram ends; walk it to get them in order. A buffer of 65,536
     * bytes holds whatever one call can bring; if what came does not fit, `Errc::datagram_truncated`
     * is set, the result holds the whole datagrams that fit (or, as `recv_from`, the start of
     * the first if none did), and the rest is lost. Other ancillary data is not returned.
     */
    CoalescedDatagrams recv_coalesced(MutableBuffer buffer, std::error_code& ec) noexcept {
        CoalescedDatagrams out;
        detail::socklen_type len = Address::native_capacity();
        std::size_t segment = 0;
        auto n = io(
            detail::Direction::in,
            [&](int flags, std::error_code& e) {
                return detail::ops::recv_coalesced(native_handle(), buffer.data, buffer.size, out.sender.native(), &len,
                                                   segment, flags, e);
            },
            ec);
        if (ec) return out;
        out.data = buffer.data != nullptr ? static_cast<const char*>(buffer.data) : "";
        out.size = static_cast<std::size_t>(n);
        out.segment_size = segment < out.size ? segment : 0; // 0: one datagram
        if (out.size > buffer.size) {
            // The whole datagrams that fit, or, as recv_from, the start of the first if none did.
            const bool whole = out.segment_size != 0 && out.segment_size <= buffer.size;
            out.size = whole ? buffer.size - buffer.size % out.segment_size : buffer.size;
            if (!whole) out.segment_size = 0;
            ec = make_error_code(Errc::datagram_truncated);
        }
        return out;
    }
    /// Receives one datagram, or several coalesced. @throws Error with `Errc::datagram_truncated`
    /// (naming the buffer's size) if they did not fit, TimeoutError, Error.
    CoalescedDatagrams recv_coalesced(MutableBuffer buffer) {
        std::error_code ec;
        CoalescedDatagrams got = recv_coalesced(buffer, ec);
        if (ec) {
            std::error_code ignored;
            const Address& where = got.sender.family() != Family::unspecified ? got.sender : local_address(ignored);
            detail::throw_recv_from(ec, where, buffer.size, "recv_coalesced");
        }
        return got;
    }

    /**
     * Joins the multicast `group` on the interface that has the IPv4 address `interface_address`
     * (IPv4 only), or, with an interface index (0: the system's choice), an IPv4 or IPv6 group.
     * Datagrams sent to the group and this socket's port then arrive here.
     * @throws Error naming the group and the interface.
     */
    void join_group(const Address& group, const Address& interface_address) {
        detail::or_throw([&](std::error_code& ec) { join_group(group, interface_address, ec); },
                         [&] { return membership_text("join_group", group, interface_address.host()); });
    }
    /// Joins `group` on the interface that has the IPv4 address `interface_address`.
    void join_group(const Address& group, const Address& interface_address, std::error_code& ec) noexcept {
        membership(JoinGroup(group, interface_address), ec);
    }
    /// Joins `group` on the interface with index `interface_index`. @throws Error naming both.
    void join_group(const Address& group, unsigned interface_index = 0) {
        detail::or_throw([&](std::error_code& ec) { join_group(group, interface_index, ec); },
                         [&] { return membership_text("join_group", group, index_text(interface_index)); });
    }
    /// Joins `group` on the interface with index `interface_index` (0: the system's choice).
    void join_group(const Address& group, unsigned interface_index, std::error_code& ec) noexcept {
        membership(JoinGroup(group, interface_index), ec);
    }
    /// Leaves a group joined by interface address. @throws Error.
    void leave_group(const Address& group, const Address& interface_address) {
        detail::or_throw([&](std::error_code& ec) { leave_group(group, interface_address, ec); },
                         [&] { return membership_text("leave_group", group, interface_address.host()); });
    }
    /// Leaves a group joined by interface address.
    void leave_group(const Address& group, const Address& interface_address, std::error_code& ec) noexcept {
        membership(LeaveGroup(group, interface_address), ec);
    }
    /// Leaves a group joined by interface index. @throws Error.
    void leave_group(const Address& group, unsigned interface_index = 0) {
        detail::or_throw([&](std::error_code& ec) { leave_group(group, interface_index, ec); },
                         [&] { return membership_text("leave_group", group, index_text(interface_index)); });
    }
    /// Leaves a group joined by interface index.
    void leave_group(const Address& group, unsigned interface_index, std::error_code& ec) noexcept {
        membership(LeaveGroup(group, interface_index), ec);
    }

    /// The local port (the system's choice after binding to 0 or the first send).
    std::uint16_t port(std::error_code& ec) const noexcept { return local_address(ec).port(); }
    /// The local port. @throws Error.
    std::uint16_t port() const { return local_address().port(); }

    /// The underlying socket.
    Socket& socket() noexcept { return *this; }

private:
    static constexpr detail::AdoptRule adopt_rule{detail::sock_dgram, false, false};
    static UdpSocket from_socket(Socket&& s) noexcept { return UdpSocket(std::move(s)); }
    template <class Membership>
    void membership(const Membership& request, std::error_code& ec) noexcept {
        if (!request.valid())
            ec = make_error_code(Errc::invalid_argument);
        else
            set_option(request, ec);
    }
    /// Throws the error of a `send_batch` that sent `sent` of `count` datagrams.
    [[noreturn]] SOCKIT_COLD static void throw_batch(const std::error_code& ec, const Address& to,
                                                     const ConstBuffer* datagrams, std::size_t sent,
                                                     std::size_t count) {
        detail::throw_error(ec,
                            detail::context("send_batch", to) + " (sent " + std::to_string(sent) + " of " +
                                std::to_string(count) + " datagrams)",
                            detail::Transfer{detail::total_size(datagrams, sent), {}});
    }
    static std::string membership_text(const char* call, const Address& group, const std::string& interface_text) {
        return std::string(call) + " " + group.host() + " on interface " + interface_text;
    }
    static UdpSocket open_named(std::string_view host, int port, Family family, std::error_code& ec,
                                std::string& context) {
        Address address = detail::bind_address(host, port, family, ec, context);
        if (ec) return {};
        UdpSocket s = open(address, ec);
        if (ec) context = detail::context("bind", address);
        return s;
    }
    static std::string index_text(unsigned index) {
        if (index == 0) return "any";
        char name[detail::ops::interface_name_size] = {};
        const char* known = detail::ops::interface_name(index, name);
        return (known != nullptr ? std::string(known) + " " : std::string()) + "#" + std::to_string(index);
    }

    std::size_t send_batch_to(const ConstBuffer* datagrams, std::size_t count, const ::sockaddr* to,
                              detail::socklen_type to_len, std::error_code& ec) noexcept {
        // Segmentation: asked of the socket on its first batch, and given up for good once
        // the kernel refuses it (a route whose MTU is smaller than the datagrams, say).
        if (segmentation_ == Segmentation::unknown && count >= 2) {
            segmentation_ = detail::ops::udp_segmentation_supported(native_handle()) ? Segmentation::yes
                                                                                     : Segmentation::no;
        }
        bool segment = segmentation_ == Segmentation::yes;
        std::size_t sent = 0;
        detail::Deadline deadline;
        ec.clear();
        while (sent < count) {
            auto n = io(
                detail::Direction::out,
                [&](int flags, std::error_code& e) {
                    return detail::ops::send_batch(native_handle(), datagrams + sent, count - sent, to, to_len, segment,
                                                   flags, e);
                },
                ec, deadline);
            if (ec) break;
            sent += static_cast<std::size_t>(n);
        }
        if (!segment && segmentation_ == Segmentation::yes) segmentation_ = Segmentation::no;
        return sent;
    }

    // Whether send_batch segments runs of datagrams (UDP_SEGMENT): unknown until the first batch.
    enum class Segmentation : unsigned char { unknown, yes, no };
    Segmentation segmentation_ = Segmentation::unknown;
};

} // namespace sockit
