// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "sockit/address.hpp"
#include "sockit/detail/interfaces.hpp"
#include "sockit/detail/throwing.hpp"
#include "sockit/error.hpp"

namespace sockit {

/// One IP address of a network interface.
struct InterfaceAddress {
    Address address;   ///< the address (port 0; an IPv6 link-local one carries its scope)
    Address netmask;   ///< its network mask (unspecified if the system gave none)
    int prefix_length; ///< the mask's length in bits: 24 for 255.255.255.0, 64 for ffff:ffff:ffff:ffff::
    /// The broadcast address (IPv4 on a broadcast interface) or, on a point-to-point link, the
    /// peer's address; empty otherwise.
    std::optional<Address> broadcast;
};

/// A network interface: its name and index, its state, and its IP addresses.
struct NetworkInterface {
    std::string name;                        ///< "lo", "eth0"
    unsigned index = 0;                      ///< for `join_group`, `MulticastInterfaceV6`, scopes
    unsigned flags = 0;                      ///< the system's IFF_* bits
    std::vector<InterfaceAddress> addresses; ///< IPv4 and IPv6, in the system's order

    bool is_up() const noexcept { return (flags & detail::InterfaceFlags::up) != 0; }           ///< administratively up
    bool is_running() const noexcept { return (flags & detail::InterfaceFlags::running) != 0; } ///< up and has a link
    bool is_loopback() const noexcept { return (flags & detail::InterfaceFlags::loopback) != 0; } ///< the loopback
    /// Sends multicast (a candidate for `join_group`'s interface).
    bool supports_multicast() const noexcept { return (flags & detail::InterfaceFlags::multicast) != 0; }
    /// Has a broadcast address.
    bool supports_broadcast() const noexcept { return (flags & detail::InterfaceFlags::broadcast) != 0; }
    /// A point-to-point link (a tunnel, say).
    bool is_point_to_point() const noexcept { return (flags & detail::InterfaceFlags::point_to_point) != 0; }
};

namespace detail {
/// The address at `sa` (AF_INET or AF_INET6), or an unspecified one.
inline Address interface_address(const ::sockaddr* sa) noexcept {
    if (sa == nullptr) return {};
    std::size_t len = sa->sa_family == af_inet6 ? sizeof(::sockaddr_in6) : sizeof(::sockaddr_in);
    std::error_code ignored;
    return Address::from_native(sa, len, ignored);
}

/// The number of leading one bits of a netmask.
inline int prefix_length(const Address& netmask) noexcept {
    const unsigned char* bytes = nullptr;
    std::size_t size = 0;
    if (netmask.is_v4()) {
        bytes = reinterpret_cast<const unsigned char*>(
            &reinterpret_cast<const ::sockaddr_in*>(netmask.native())->sin_addr);
        size = 4;
    } else if (netmask.is_v6()) {
        bytes = reinterpret_cast<const unsigned char*>(
            &reinterpret_cast<const ::sockaddr_in6*>(netmask.native())->sin6_addr);
        size = 16;
    }
    int bits = 0;
    for (std::size_t i = 0; i < size; ++i)
        for (int b = 7; b >= 0; --b) {
            if ((bytes[i] >> b & 1) == 0) return bits;
            ++bits;
        }
    return bits;
}
} // namespace detail

/**
 * The host's network interfaces, in the system's order, each once with all its IP addresses;
 * interfaces without an address are listed too (on Linux). For choosing a multicast interface or
 * a bind address, as POCO's `NetworkInterface::list` and Python's `if_nameindex` do.
 * On Windows `ec` is `function_not_supported`.
 * @code
 * for (const sockit::NetworkInterface& i : sockit::network_interfaces())
 *     for (const sockit::InterfaceAddress& a : i.addresses)
 *         std::cout << i.name << ' ' << a.address.host() << '/' << a.prefix_length << '\n';
 * @endcode
 */
inline std::vector<NetworkInterface> network_interfaces(std::error_code& ec) {
    std::vector<NetworkInterface> list;
    detail::for_each_interface_entry(
        [&](const char* name, unsigned flags, const ::sockaddr* address, const ::sockaddr* netmask,
            const ::sockaddr* broadcast) {
            auto it = std::find_if(list.begin(), list.end(), [&](const NetworkInterface& i) { return i.name == name; });
            if (it == list.end()) {
                NetworkInterface added;
                added.name = name;
                added.index = detail::ops::interface_index(name);
                added.flags = flags;
                list.push_back(std::move(added));
                it = list.end() - 1;
            }
            if (address == nullptr) return;
            InterfaceAddress a{detail::interface_address(address), detail::interface_address(netmask), 0, std::nullopt};
            a.prefix_length = detail::prefix_length(a.netmask);
            if (broadcast != nullptr) a.broadcast = detail::interface_address(broadcast);
            it->addresses.push_back(a);
        },
        ec);
    if (ec) list.clear();
    return list;
}

/// The host's network interfaces. @throws Error naming getifaddrs.
inline std::vector<NetworkInterface> network_interfaces() {
    return detail::or_throw([](std::error_code& ec) { return network_interfaces(ec); }, "getifaddrs");
}

} // namespace sockit
