// SPDX-License-Identifier: MIT
// Multicast groups and broadcast on UdpSocket, over the loopback interface only.
#include "support.hpp"

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

TEST_CASE("An IPv6 group on the loopback interface", "[multicast][udp][ipv6]") {
    if (!sockit_test::has_ipv6()) {
        WARN("IPv6 unavailable: skipped");
        return;
    }
    sockit_test::FdLeakCheck fds;
    unsigned lo = sockit_test::loopback_index();
    REQUIRE(lo != 0);
    Address group("ff02::5ec:1%" + std::to_string(lo), 0);
    UdpSocket receiver(group);
    group.set_port(receiver.port());
    receiver.join_group(group, lo); // joining works wherever IPv6 does
    UdpSocket sender(sockit::Family::v6);
    sender.set_option(sockit::MulticastInterfaceV6(static_cast<int>(lo)));
    sender.set_option(sockit::MulticastHops(1));
    sender.set_option(sockit::MulticastLoopV6(true));
    std::error_code ec;
    sender.send_to("six", 3, group, ec);
    if (ec == std::errc::network_unreachable) {
        // Linux's lo has no MULTICAST flag and no ff00::/8 route: IPv6 multicast cannot leave by it.
        WARN("IPv6 multicast send on lo: " << ec.message() << " (no multicast route on lo): delivery not tested");
        receiver.leave_group(group, lo);
        return;
    }
    REQUIRE_FALSE(ec);
    receiver.set_timeout(2s);
    char buf[8];
    auto d = receiver.recv_from(buf, sizeof buf);
    CHECK(std::string(buf, d.size) == "six");
    receiver.leave_group(group, lo);
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
