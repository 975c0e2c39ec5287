// SPDX-License-Identifier: MIT
// Multicast groups and broadcast on UdpSocket, over the loopback interface only.
#include "support.hpp"

#ifdef __linux__
#include <linux/rtnetlink.h> // RTN_LOCAL
#include <net/route.h>       // in6_rtmsg, RTF_UP, RTF_LOCAL
#endif

using namespace std::chrono_literals;
using sockit::Address;
using sockit::UdpSocket;

namespace {
/// Sends `text` to `to` and tells whether `receiver` gets it within `wait`.
bool delivered(UdpSocket& sender, UdpSocket& receiver, const std::string& text, const Address& to,
               std::chrono::milliseconds wait) {
    sender.send_to(text, to);
    receiver.set_timeout(wait);
    char buf[64];
    std::error_code ec;
    for (;;) { // skip anything else that arrives
        auto d = receiver.recv_from(buf, sizeof buf, ec);
        if (ec) return false;
        if (std::string(buf, d.size) == text) return true;
    }
}
} // namespace

TEST_CASE("An IPv4 group joined on the loopback interface receives our own datagram", "[multicast][udp]") {
    sockit_test::FdLeakCheck fds;
    Address group("239.255.77.1", 0);
    UdpSocket receiver(group); // bound to the group itself: nothing else arrives here
    group.set_port(receiver.port());
    const Address lo_address("127.0.0.1", 0);
    receiver.join_group(group, lo_address);

    UdpSocket sender(sockit::Family::v4);
    sender.set_option(sockit::MulticastInterface(lo_address));
    sender.set_option(sockit::MulticastTimeToLive(1));
    sender.set_option(sockit::MulticastLoop(true));
    REQUIRE(delivered(sender, receiver, "to the group", group, 2s));
    char buf[8];
    sender.send_to("who", group);
    receiver.set_timeout(2s);
    auto d = receiver.recv_from(buf, sizeof buf);
    CHECK(d.sender.host() == "127.0.0.1");
    CHECK(d.sender.port() == sender.port());

    SECTION("leaving the group stops delivery") {
        receiver.leave_group(group, lo_address);
        CHECK_FALSE(delivered(sender, receiver, "after leaving", group, 300ms));
#ifdef __linux__ // an IPv4 group joined by interface index needs Linux's ip_mreqn
        SECTION("and joining by interface index starts it again") {
            unsigned lo = sockit_test::loopback_index();
            REQUIRE(lo != 0);
            receiver.join_group(group, lo);
            CHECK(delivered(sender, receiver, "by index", group, 2s));
            receiver.leave_group(group, lo);
        }
#endif
    }
}

TEST_CASE("Joining a group reports bad input clearly", "[multicast][udp][errors]") {
    sockit_test::FdLeakCheck fds;
    UdpSocket s("127.0.0.1", 0);
    Address group("239.255.77.2", 0);
    try {
        s.join_group(group, Address("::1", 0));
        FAIL("joined with an IPv6 interface address");
    } catch (const sockit::Error& e) {
        CHECK(e.code() == std::errc::invalid_argument);
        CHECK_THAT(e.what(), sockit_test::contains("join_group 239.255.77.2 on interface ::1"));
    }
    CHECK_THROWS_WITH(s.join_group(Address("127.0.0.2", 0), Address("127.0.0.1", 0)),
                      sockit_test::contains("join_group 127.0.0.2 on interface 127.0.0.1"));
    CHECK_THROWS_WITH(s.leave_group(group, Address("127.0.0.1", 0)), sockit_test::contains("leave_group 239.255.77.2"));
    std::error_code ec;
    s.set_option(sockit::JoinGroup(group, Address("127.0.0.1", 0)), ec); // the error_code form
    CHECK_FALSE(ec);
    s.set_option(sockit::LeaveGroup(group, Address("127.0.0.1", 0)), ec);
    CHECK_FALSE(ec);
}

namespace {
/// Joins ff02::5ec:1 on interface `lo`, sends to it with the IPv6 multicast options, and
/// checks that the datagram arrives, and that none does once the group is left: "" if all
/// held, else what did not (and `send_error` says why the send failed, if it did).
std::string ipv6_group_round_trip(unsigned lo, std::error_code& send_error) {
    Address group("ff02::5ec:1%" + std::to_string(lo), 0);
    UdpSocket receiver(group);
    group.set_port(receiver.port());
#ifdef __linux__
    // Only the groups joined are delivered (Linux delivers every group to a socket bound to
    // its address otherwise): a join that did nothing fails the test.
    const int all = 0;
    ::setsockopt(receiver.native_handle(), IPPROTO_IPV6, IPV6_MULTICAST_ALL, &all, sizeof all);
#endif
    receiver.join_group(group, lo);
    UdpSocket sender(sockit::Family::v6);
    sender.set_option(sockit::MulticastInterfaceV6(static_cast<int>(lo)));
    sender.set_option(sockit::MulticastHops(1));
    sender.set_option(sockit::MulticastLoopV6(true));
    sender.send_to("six", 3, group, send_error);
    if (send_error) return "send_to " + group.to_string() + ": " + send_error.message();
    if (!delivered(sender, receiver, "six", group, 2s)) return "no datagram to the joined group";
    receiver.leave_group(group, lo);
#ifdef __linux__
    if (delivered(sender, receiver, "left", group, 200ms)) return "a datagram to the group after leaving it";
#endif
    return "";
}

#ifdef __linux__
/// Adds a local route for ff00::/8 on `lo` (in a network namespace of a test's own): Linux's lo
/// has none, and without one IPv6 multicast cannot leave by it (ENETUNREACH). False on error.
bool route_multicast_to_lo(unsigned lo) {
    ::in6_rtmsg route{};
    ::inet_pton(AF_INET6, "ff00::", &route.rtmsg_dst);
    route.rtmsg_dst_len = 8;
    route.rtmsg_ifindex = static_cast<int>(lo);
    route.rtmsg_metric = 1;
    route.rtmsg_flags = RTF_UP | RTF_LOCAL;
    route.rtmsg_type = RTN_LOCAL;
    // Zeroed room for the larger IPv4 struct rtentry, which some tools (valgrind) read for SIOCADDRT.
    alignas(std::max_align_t) unsigned char request[256] = {};
    static_assert(sizeof route <= sizeof request, "in6_rtmsg fits");
    std::memcpy(request, &route, sizeof route);
    int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bool ok = fd >= 0 && ::ioctl(fd, SIOCADDRT, request) == 0;
    if (!ok) std::fprintf(stderr, "SIOCADDRT ff00::/8 on lo: %s\n", std::strerror(errno));
    if (fd >= 0) ::close(fd);
    return ok;
}
#endif
} // namespace

TEST_CASE("An IPv6 group on the loopback interface", "[multicast][udp][ipv6]") {
    if (!sockit_test::has_ipv6()) SOCKIT_SKIP("IPv6 loopback unavailable");
    sockit_test::FdLeakCheck fds;
    unsigned lo = sockit_test::loopback_index();
    REQUIRE(lo != 0);
    {
        // Joining works wherever IPv6 does.
        Address group("ff02::5ec:1%" + std::to_string(lo), 0);
        UdpSocket receiver(group);
        group.set_port(receiver.port());
        receiver.join_group(group, lo);
        receiver.leave_group(group, lo);
    }
#ifdef __linux__
    // Delivery needs a multicast route on lo, which Linux's lo lacks: checked in a network
    // namespace of the test's own, whose lo gets one.
    int result = sockit_test::in_private_network([] {
        unsigned private_lo = ::if_nametoindex("lo");
        if (private_lo == 0 || !route_multicast_to_lo(private_lo)) return 1;
        std::error_code send_error;
        std::string failed = ipv6_group_round_trip(private_lo, send_error);
        if (failed.empty()) return 0;
        std::fprintf(stderr, "%s\n", failed.c_str());
        return 2;
    });
    if (result == sockit_test::no_network_namespace)
        SOCKIT_SKIP("no network namespace of its own (unshare(CLONE_NEWNET) failed): delivery not tested");
    CHECK(result == 0); // the child process wrote on stderr what failed
#else
    std::error_code send_error;
    std::string failed = ipv6_group_round_trip(lo, send_error);
    if (send_error == std::errc::network_unreachable)
        SOCKIT_SKIP(failed << " (no multicast route on the loopback interface): delivery not tested");
    CHECK(failed == "");
#endif
}

TEST_CASE("Broadcast needs the Broadcast option", "[multicast][udp][broadcast]") {
    sockit_test::FdLeakCheck fds;
    UdpSocket receiver("127.255.255.255", 0); // the loopback network's broadcast address
    Address broadcast("127.255.255.255", receiver.port());
    UdpSocket sender(sockit::Family::v4);
    std::error_code ec;
    sender.send_to("no", 2, broadcast, ec);
    CHECK(ec == std::errc::permission_denied);
    CHECK_THROWS_WITH(sender.send_to("no", broadcast), sockit_test::contains("send_to 127.255.255.255"));
    sender.set_option(sockit::Broadcast(true));
    CHECK(delivered(sender, receiver, "to everyone", broadcast, 2s));
}
