// SPDX-License-Identifier: MIT
// The system's list of network interfaces and their addresses (getifaddrs(3) on POSIX).
#pragma once

#include <system_error>

#include "sockit/detail/platform.hpp"

#ifndef _WIN32
#include <ifaddrs.h>
#endif

namespace sockit::detail {

/// Interface flags, as the system reports them (SIOCGIFFLAGS's bits).
struct InterfaceFlags {
#ifdef _WIN32
    static constexpr unsigned up = 0, running = 0, loopback = 0, broadcast = 0, point_to_point = 0, multicast = 0;
#else
    static constexpr unsigned up = IFF_UP, running = IFF_RUNNING, loopback = IFF_LOOPBACK, broadcast = IFF_BROADCAST,
                              point_to_point = IFF_POINTOPOINT, multicast = IFF_MULTICAST;
#endif
};

/**
 * Calls `f(name, flags, address, netmask, broadcast_or_peer)` for each entry of the system's
 * list: one per address of each interface, and on Linux one with a null `address` for an
 * interface without an IP address (the pointers may be null; only AF_INET and AF_INET6 entries
 * carry IP addresses). Windows: `ec` is `function_not_supported` (it needs iphlpapi).
 */
template <class F>
void for_each_interface_entry(F&& f, std::error_code& ec) {
#ifdef _WIN32
    (void)f;
    ec = std::make_error_code(std::errc::function_not_supported);
#else
    ::ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) {
        ec = last_error();
        return;
    }
    ec.clear();
    struct Free {
        ::ifaddrs* list;
        ~Free() { ::freeifaddrs(list); }
    } free_list{list};
    for (::ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
        const ::sockaddr* address = i->ifa_addr;
        bool ip = address != nullptr && (address->sa_family == AF_INET || address->sa_family == AF_INET6);
        f(i->ifa_name, static_cast<unsigned>(i->ifa_flags), ip ? address : nullptr, ip ? i->ifa_netmask : nullptr,
          ip && (i->ifa_flags & (IFF_BROADCAST | IFF_POINTOPOINT)) != 0 ? i->ifa_broadaddr : nullptr);
    }
#endif
}

} // namespace sockit::detail
