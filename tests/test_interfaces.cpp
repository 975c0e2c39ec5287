// SPDX-License-Identifier: MIT
// network_interfaces(): the host's interfaces, checked against the system's own lists, and in a
// network namespace of the test's own with interfaces and addresses the test chose.
#include <sockit/interfaces.hpp>
#include <sockit/udp.hpp>

#include <algorithm>
#include <set>

#include "support.hpp"

#ifdef __linux__
#include "netns.hpp"

#include <net/if.h>

namespace {

const sockit::NetworkInterface* find(const std::vector<sockit::NetworkInterface>& list, const std::string& name) {
    auto it = std::find_if(list.begin(), list.end(), [&](const sockit::NetworkInterface& i) { return i.name == name; });
    return it == list.end() ? nullptr : &*it;
}

const sockit::InterfaceAddress* find(const sockit::NetworkInterface& i, const std::string& host) {
    auto it = std::find_if(i.addresses.begin(), i.addresses.end(),
                           [&](const sockit::InterfaceAddress& a) { return a.address.host() == host; });
    return it == i.addresses.end() ? nullptr : &*it;
}

} // namespace

TEST_CASE("network_interfaces lists what if_nameindex lists, with lo's addresses", "[interfaces]") {
    sockit_test::FdLeakCheck leaks;
    auto list = sockit::network_interfaces();
    std::set<std::string> ours, system;
    for (const auto& i : list) {
        ours.insert(i.name);
        CHECK(i.index == ::if_nametoindex(i.name.c_str()));
    }
    struct ::if_nameindex* raw = ::if_nameindex();
    REQUIRE(raw != nullptr);
    for (struct ::if_nameindex* p = raw; p->if_index != 0; ++p) system.insert(p->if_name);
    ::if_freenameindex(raw);
    CHECK(ours == system);
    CHECK(ours.size() == list.size()); // each interface once

    const sockit::NetworkInterface* lo = find(list, "lo");
    REQUIRE(lo != nullptr);
    CHECK(lo->is_loopback());
    CHECK(lo->is_up());
    CHECK(lo->is_running());
    CHECK_FALSE(lo->supports_broadcast());
    CHECK_FALSE(lo->is_point_to_point());
    for (const sockit::NetworkInterface& i : list) {
        INFO(i.name);
        CHECK(i.is_point_to_point() == ((i.flags & IFF_POINTOPOINT) != 0));
    }
    const sockit::InterfaceAddress* v4 = find(*lo, "127.0.0.1");
    REQUIRE(v4 != nullptr);
    CHECK(v4->prefix_length == 8);
    CHECK(v4->netmask.host() == "255.0.0.0");
    CHECK(v4->address.port() == 0);
    CHECK_FALSE(v4->broadcast.has_value());
    if (sockit_test::has_ipv6()) {
        const sockit::InterfaceAddress* v6 = find(*lo, "::1");
        REQUIRE(v6 != nullptr);
        CHECK(v6->prefix_length == 128);
    }
    std::error_code ec;
    CHECK(sockit::network_interfaces(ec).size() == list.size());
    CHECK_FALSE(ec);
}

TEST_CASE("network_interfaces reports the interfaces and addresses a namespace was given", "[interfaces]") {
    int status = sockit_test::in_private_network([] {
        sockit_test::Expectations e;
        if (!e.expect(sockit_test::run("ip link add sockit0 type veth peer name sockit1 && "
                                       "ip addr add 10.200.0.1/24 broadcast 10.200.0.255 dev sockit0 && "
                                       "ip addr add 10.201.0.1/16 dev sockit0 && "
                                       "ip -6 addr add fd00:5::1/64 dev sockit0 nodad && ip link set sockit0 up && "
                                       "ip tuntap add dev sockit2 mode tun && "
                                       "ip addr add 10.9.0.1 peer 10.9.0.2 dev sockit2"),
                      "a veth pair and a tun device with addresses"))
            return e.result();
        auto list = sockit::network_interfaces();
        e.expect(list.size() == 4, "lo, sockit0, sockit1 and sockit2: " + std::to_string(list.size()));
        // A point-to-point link: its "broadcast" is the peer's address.
        const sockit::NetworkInterface* tun = find(list, "sockit2");
        if (e.expect(tun != nullptr, "the tun device listed")) {
            e.expect(tun->is_point_to_point() && !tun->supports_broadcast(), "sockit2 is point-to-point");
            const sockit::InterfaceAddress* p = find(*tun, "10.9.0.1");
            e.expect(p != nullptr && p->broadcast && p->broadcast->host() == "10.9.0.2", "its peer's address");
        }
        const sockit::NetworkInterface* up = find(list, "sockit0");
        const sockit::NetworkInterface* down = find(list, "sockit1");
        if (!e.expect(up != nullptr && down != nullptr, "both ends listed")) return e.result();
        e.expect(up->is_up() && !up->is_loopback() && up->supports_broadcast() && up->supports_multicast() &&
                     !up->is_point_to_point(),
                 "sockit0's flags");
        e.expect(up->index == ::if_nametoindex("sockit0"), "sockit0's index");
        e.expect(!down->is_up(), "sockit1 is down");
        e.expect(down->addresses.empty(), "sockit1 has no address");
        const sockit::InterfaceAddress* a = find(*up, "10.200.0.1");
        if (e.expect(a != nullptr, "10.200.0.1 on sockit0")) {
            e.expect(a->prefix_length == 24 && a->netmask.host() == "255.255.255.0", "its /24 mask");
            e.expect(a->broadcast && a->broadcast->host() == "10.200.0.255", "its broadcast address");
        }
        const sockit::InterfaceAddress* b = find(*up, "10.201.0.1");
        e.expect(b != nullptr && b->prefix_length == 16, "a second IPv4 address, /16");
        const sockit::InterfaceAddress* c = find(*up, "fd00:5::1");
        e.expect(c != nullptr && c->prefix_length == 64 && !c->broadcast, "the IPv6 address, /64");
        // What it lists can be bound.
        sockit::UdpSocket bound(sockit::Address(a ? a->address.host() : "10.200.0.1", 0));
        e.expect(bound.local_address().host() == "10.200.0.1", "bind to a listed address");
        return e.result();
    });
    CHECK(status == 0);
}
#endif
