// SPDX-License-Identifier: MIT
// A datagram's own destination: receiving it (IP_PKTINFO / IPV6_RECVPKTINFO ancillary data) and
// sending from a chosen local address (IP_PKTINFO / IPV6_PKTINFO), so that a server bound to the
// wildcard address answers from the address each datagram was sent to.
#pragma once

#include <cstddef>
#include <cstring>
#include <system_error>

#include "sockit/detail/ops.hpp"

namespace sockit::detail::ops {

#if defined(IP_PKTINFO) && defined(IPV6_RECVPKTINFO) && !defined(_WIN32)
inline constexpr bool has_packet_info = true;

/// Turns the destination's ancillary data on or off: IP_PKTINFO on an IPv4 socket; on an IPv6
/// one IPV6_RECVPKTINFO, and IP_PKTINFO too for IPv4-mapped peers (refused on a v6-only socket,
/// which has none).
inline void set_receive_destination(native_handle_type fd, int family, bool on, std::error_code& ec) noexcept {
    int value = on ? 1 : 0;
    if (family == af_inet6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &value, sizeof value, ec);
        std::error_code ignored;
        if (!ec) setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &value, sizeof value, ignored);
    } else {
        setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &value, sizeof value, ec);
    }
}

/// recvmsg(2) of one datagram with its destination: the local address it was sent to goes to
/// `to` (family AF_UNSPEC if no such ancillary data came) and the interface it arrived on to
/// `index`; `truncated` tells whether it did not fit.
inline ssize_type recv_with_destination(native_handle_type fd, void* data, std::size_t size, int flags,
                                        ::sockaddr* from, socklen_type* from_len, ::sockaddr_storage& to,
                                        unsigned& index, bool& truncated, std::error_code& ec) noexcept {
    ::iovec iov{data, size};
    alignas(::cmsghdr) char control[CMSG_SPACE(sizeof(::in6_pktinfo)) + CMSG_SPACE(sizeof(::in_pktinfo)) + 256];
    ::msghdr msg{};
    msg.msg_name = from;
    msg.msg_namelen = *from_len;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_type n = check(static_cast<ssize_type>(::recvmsg(fd, &msg, flags)), ec);
    if (n < 0) return n;
    *from_len = msg.msg_namelen;
    truncated = (msg.msg_flags & MSG_TRUNC) != 0;
    std::memset(&to, 0, sizeof to);
    index = 0;
    for (::cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            ::in_pktinfo info;
            std::memcpy(&info, CMSG_DATA(c), sizeof info);
            auto& in = reinterpret_cast<::sockaddr_in&>(to);
            in.sin_family = AF_INET;
            in.sin_addr = info.ipi_addr; // the header's destination (ipi_spec_dst is the route's)
            index = static_cast<unsigned>(info.ipi_ifindex);
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            ::in6_pktinfo info;
            std::memcpy(&info, CMSG_DATA(c), sizeof info);
            auto& in6 = reinterpret_cast<::sockaddr_in6&>(to);
            in6.sin6_family = AF_INET6;
            in6.sin6_addr = info.ipi6_addr;
            index = info.ipi6_ifindex;
            if (IN6_IS_ADDR_LINKLOCAL(&info.ipi6_addr)) in6.sin6_scope_id = index;
        }
    }
    return n;
}

/// True for an IPv4 address or an IPv4-mapped IPv6 one (a dual-stack socket's IPv4 peer), whose
/// IPv4 address goes to `v4`.
inline bool ipv4_of(const ::sockaddr* address, ::in_addr& v4) noexcept {
    if (address->sa_family == AF_INET) {
        v4 = reinterpret_cast<const ::sockaddr_in*>(address)->sin_addr;
        return true;
    }
    const ::in6_addr& v6 = reinterpret_cast<const ::sockaddr_in6*>(address)->sin6_addr;
    if (address->sa_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&v6)) return false;
    std::memcpy(&v4, v6.s6_addr + 12, sizeof v4);
    return true;
}

/// True for 0.0.0.0 and ::.
inline bool is_wildcard(const ::sockaddr* address) noexcept {
    if (address->sa_family == AF_INET)
        return reinterpret_cast<const ::sockaddr_in*>(address)->sin_addr.s_addr == htonl(INADDR_ANY);
    return address->sa_family == AF_INET6 &&
           IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const ::sockaddr_in6*>(address)->sin6_addr);
}

/**
 * sendmsg(2) of one datagram to `to` from the local address `source` (its port ignored; an
 * unspecified one lets the system choose) through interface `index` (0: any), with MSG_NOSIGNAL.
 * The source goes as the destination's kind of address: IP_PKTINFO for an IPv4 or IPv4-mapped
 * destination (an IPv4-mapped source counts as its IPv4 address), IPV6_PKTINFO for an IPv6 one.
 * A source of the other kind, which the system would silently ignore, is refused with
 * `address_family_not_supported`.
 */
inline ssize_type send_from(native_handle_type fd, const void* data, std::size_t size, int flags, const ::sockaddr* to,
                            socklen_type to_len, const ::sockaddr* source, unsigned index,
                            std::error_code& ec) noexcept {
    ::iovec iov{const_cast<void*>(data), size};
    alignas(::cmsghdr) char control[CMSG_SPACE(sizeof(::in6_pktinfo))] = {};
    ::msghdr msg{};
    msg.msg_name = const_cast<::sockaddr*>(to);
    msg.msg_namelen = to_len;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    auto* c = reinterpret_cast<::cmsghdr*>(control);
    ::in_addr to_v4{};
    ::in_addr source_v4{};
    const bool has_source = source->sa_family == AF_INET || source->sa_family == AF_INET6;
    const bool wildcard = is_wildcard(source);
    if (has_source && ipv4_of(to, to_v4)) {
        if (!wildcard && !ipv4_of(source, source_v4)) {
            ec = std::make_error_code(std::errc::address_family_not_supported);
            return -1;
        }
        ::in_pktinfo info{};
        info.ipi_ifindex = static_cast<int>(index);
        info.ipi_spec_dst = source_v4;
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof info);
        std::memcpy(CMSG_DATA(c), &info, sizeof info);
        msg.msg_controllen = CMSG_SPACE(sizeof info);
    } else if (has_source) {
        if (!wildcard && (source->sa_family != AF_INET6 || ipv4_of(source, source_v4))) {
            ec = std::make_error_code(std::errc::address_family_not_supported);
            return -1;
        }
        ::in6_pktinfo info{};
        info.ipi6_ifindex = index;
        if (!wildcard) info.ipi6_addr = reinterpret_cast<const ::sockaddr_in6*>(source)->sin6_addr;
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof info);
        std::memcpy(CMSG_DATA(c), &info, sizeof info);
        msg.msg_controllen = CMSG_SPACE(sizeof info);
    } else {
        msg.msg_control = nullptr; // no source: the system's choice
    }
    return check(static_cast<ssize_type>(::sendmsg(fd, &msg, flags | MSG_NOSIGNAL)), ec);
}
#else
inline constexpr bool has_packet_info = false;

/// This system does not tell a datagram's destination (Winsock needs WSARecvMsg).
inline void set_receive_destination(native_handle_type, int, bool, std::error_code& ec) noexcept {
    ec = std::make_error_code(std::errc::operation_not_supported);
}
inline ssize_type recv_with_destination(native_handle_type, void*, std::size_t, int, ::sockaddr*, socklen_type*,
                                        ::sockaddr_storage&, unsigned&, bool&, std::error_code& ec) noexcept {
    ec = std::make_error_code(std::errc::operation_not_supported);
    return -1;
}
inline ssize_type send_from(native_handle_type, const void*, std::size_t, int, const ::sockaddr*, socklen_type,
                            const ::sockaddr*, unsigned, std::error_code& ec) noexcept {
    ec = std::make_error_code(std::errc::operation_not_supported);
    return -1;
}
#endif

} // namespace sockit::detail::ops
