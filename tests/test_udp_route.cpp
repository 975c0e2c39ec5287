// SPDX-License-Identifier: MIT
// A datagram's own destination: a UDP server bound to the wildcard address learns which local
// address each datagram was sent to, and answers from it, so that a connected client (which
// drops datagrams from any other address) gets the reply.
#ifdef __linux__
#include <sockit/sockit.hpp>

#include "support.hpp"

using namespace std::chrono_literals;
using sockit::Address;
using sockit::UdpSocket;

TEST_CASE("A wildcard-bound UDP server learns each datagram's destination and replies from it", "[udp][route]") {
    sockit_test::FdLeakCheck leaks;
    UdpSocket server("0.0.0.0", 0);
    server.set_receive_destination(true);
    server.set_timeout(5s);
    const std::uint16_t port = server.local_address().port();

    for (const char* host : {"127.0.0.5", "127.0.0.1", "127.3.2.1"}) {
        INFO(host);
        UdpSocket client(sockit::Family::v4);
        client.connect(Address(host, port)); // a connected client: replies only from host:port
        client.set_timeout(5s);
        client.send("hello", 5);
        char buf[64];
        sockit::DatagramRoute route = server.recv_routed(buf, sizeof buf);
        CHECK(std::string(buf, route.size) == "hello");
        CHECK(route.sender == client.local_address());
        CHECK(route.destination.host() == host);
        CHECK(route.interface_index == sockit_test::loopback_index());

        server.send_from("reply", route.sender, route.destination, route.interface_index);
        CHECK(std::string(buf, client.recv(buf, sizeof buf)) == "reply");
    }
}

TEST_CASE("Address::is_unspecified is true for the wildcard addresses only", "[udp][route]") {
    CHECK(Address("0.0.0.0", 0).is_unspecified());
    CHECK(Address("::", 7).is_unspecified());
    CHECK_FALSE(Address("127.0.0.1", 0).is_unspecified());
    CHECK_FALSE(Address("::1", 0).is_unspecified());
    CHECK_FALSE(Address("0.0.0.1", 0).is_unspecified());
    CHECK_FALSE(Address().is_unspecified()); // no address at all is not the wildcard
}

TEST_CASE("Without its destination a wildcard-bound server's reply is dropped by a connected client", "[udp][route]") {
    // What send_from is for: the plain reply leaves from 127.0.0.1, not the 127.0.0.5 the client
    // sent to, and the connected client never sees it.
    UdpSocket server("0.0.0.0", 0);
    server.set_timeout(5s);
    UdpSocket client(sockit::Family::v4);
    client.connect(Address("127.0.0.5", server.local_address().port()));
    client.send("hello", 5);
    char buf[64];
    sockit::DatagramInfo got = server.recv_from(buf, sizeof buf);
    server.send_to("reply", got.sender);
    client.set_timeout(300ms);
    std::error_code ec;
    client.recv(buf, sizeof buf, ec);
    CHECK(ec == sockit::Errc::timed_out);
}

TEST_CASE("recv_routed and send_from over IPv6, truncation and errors", "[udp][route]") {
    if (!sockit_test::has_ipv6()) SOCKIT_SKIP("IPv6 unavailable on ::1");
    UdpSocket server("::", 0);
    std::error_code on;
    server.set_receive_destination(true, on);
    CHECK_FALSE(on);
    server.set_timeout(5s);
    UdpSocket client(Address("::1", 0));
    client.set_timeout(5s);
    client.send_to("hello over six", Address("::1", server.local_address().port()));
    char small[5];
    std::error_code ec;
    sockit::DatagramRoute route = server.recv_routed(small, sizeof small, ec);
    CHECK(ec == sockit::Errc::datagram_truncated);
    CHECK(route.size == 5);
    CHECK(std::string(small, 5) == "hello");
    CHECK(route.destination.host() == "::1");
    CHECK(route.sender == client.local_address());
    server.send_from("six", route.sender, route.destination, 0);
    char buf[16];
    auto back = client.recv_from(buf, sizeof buf);
    CHECK(std::string(buf, back.size) == "six");
    CHECK(back.sender.host() == "::1");

    // Without set_receive_destination the destination is unknown.
    UdpSocket plain("127.0.0.1", 0);
    plain.set_timeout(5s);
    client = UdpSocket(sockit::Family::v4);
    client.send_to("x", plain.local_address());
    route = plain.recv_routed(buf, sizeof buf);
    CHECK(route.destination.family() == sockit::Family::unspecified);
    CHECK(route.interface_index == 0);
    // A source address this host does not have is refused by the system, named in the error.
    CHECK_THROWS_WITH(plain.send_from("x", client.local_address(), Address("192.0.2.1", 0)),
                      sockit_test::contains("send_from " + client.local_address().to_string()));
    // No destination address: refused before any system call.
    CHECK(plain.send_from("x", 1, Address(), Address(), 0, ec) == 0);
    CHECK(ec == std::errc::address_family_not_supported);
    // Timeouts as recv_from.
    plain.set_timeout(50ms);
    route = plain.recv_routed(buf, sizeof buf, ec);
    CHECK(ec == sockit::Errc::timed_out);
}
TEST_CASE("send_from refuses a source of the other family, which the system would ignore", "[udp][route]") {
    // An IPv6 source on an IPv4 socket, or an IPv4 one for a plain IPv6 destination, would be
    // dropped by the system without a word and the datagram sent from its own choice.
    sockit_test::FdLeakCheck leaks;
    UdpSocket v4("127.0.0.1", 0);
    UdpSocket peer4("127.0.0.1", 0);
    peer4.set_timeout(300ms);
    char buf[16];
    std::error_code ec;
    CHECK(v4.send_from("x", 1, peer4.local_address(), Address("::1", 0), 0, ec) == 0);
    CHECK(ec == std::errc::address_family_not_supported);
    CHECK_THROWS_WITH(v4.send_from("x", peer4.local_address(), Address("::1", 0)),
                      sockit_test::contains("send_from " + peer4.local_address().to_string() + " from ::1: "));
    peer4.recv(buf, sizeof buf, ec);
    CHECK(ec == sockit::Errc::timed_out); // nothing went out
    // An IPv4-mapped source on an IPv4 socket is its IPv4 address.
    v4.send_from("m", peer4.local_address(), Address("::ffff:127.0.0.9", 0));
    peer4.set_timeout(5s);
    sockit::DatagramInfo got = peer4.recv_from(buf, sizeof buf);
    CHECK(std::string(buf, got.size) == "m");
    CHECK(got.sender.host() == "127.0.0.9");

    REQUIRE(sockit_test::has_ipv6());
    UdpSocket v6("::", 0);
    UdpSocket peer6("::1", 0);
    peer6.set_timeout(300ms);
    CHECK(v6.send_from("x", 1, peer6.local_address(), Address("127.0.0.1", 0), 0, ec) == 0);
    CHECK(ec == std::errc::address_family_not_supported);
    peer6.recv(buf, sizeof buf, ec);
    CHECK(ec == sockit::Errc::timed_out);
    // An IPv4-mapped peer of a dual-stack socket is answered from an IPv4 source.
    const Address mapped("::ffff:127.0.0.1", peer4.local_address().port());
    v6.send_from("4", mapped, Address("127.0.0.5", 0));
    got = peer4.recv_from(buf, sizeof buf);
    CHECK(std::string(buf, got.size) == "4");
    CHECK(got.sender.host() == "127.0.0.5");
    // The wildcard of either family leaves the choice to the system.
    v4.send_from("w", peer4.local_address(), Address("::", 0));
    got = peer4.recv_from(buf, sizeof buf);
    CHECK(std::string(buf, got.size) == "w");
    CHECK(got.sender.host() == "127.0.0.1");
}
TEST_CASE("A dual-stack server learns an IPv4 client's destination and answers from it", "[udp][route]") {
    // An IPv4 client of a dual-stack socket is an IPv4-mapped sender; the destination comes as
    // the IPv4 address it sent to, which send_from takes as it is.
    REQUIRE(sockit_test::has_ipv6());
    UdpSocket server(sockit::Family::v6);
    server.set_option(sockit::V6Only(false));
    server.bind(Address("::", 0));
    std::error_code ec;
    server.set_receive_destination(true, ec);
    REQUIRE_FALSE(ec);
    UdpSocket none;
    none.set_receive_destination(true, ec); // no socket to ask
    CHECK(ec == std::errc::bad_file_descriptor);
    server.set_timeout(5s);
    const std::uint16_t port = server.local_address().port();
    for (const char* host : {"127.0.0.5", "127.0.0.1"}) {
        INFO(host);
        UdpSocket client(sockit::Family::v4);
        client.connect(Address(host, port)); // drops a reply from any other address
        client.set_timeout(5s);
        client.send("hello", 5);
        char buf[16];
        sockit::DatagramRoute route = server.recv_routed(buf, sizeof buf);
        CHECK(route.sender.host() == "::ffff:127.0.0.1");
        CHECK(route.destination == Address(host, 0));
        CHECK(route.interface_index == sockit_test::loopback_index());
        server.send_from("reply", route.sender, route.destination, route.interface_index);
        CHECK(std::string(buf, client.recv(buf, sizeof buf)) == "reply");
    }
}
#endif
