// SPDX-License-Identifier: MIT
// The SOL_SOCKET, IP, IPv6 and TCP options beyond the basic ones: each set and read back.
#include "support.hpp"

#ifndef _WIN32
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#endif

using sockit::Family;
using sockit::Socket;
using sockit::SocketType;

namespace {
template <class Option>
void round_trip_bool(Socket& s) {
    INFO(Option::label());
    s.set_option(Option(true));
    CHECK(s.get_option<Option>().value());
    s.set_option(Option(false));
    CHECK_FALSE(s.get_option<Option>().value());
}
template <class Option>
void round_trip_int(Socket& s, int value) {
    INFO(Option::label() << " = " << value);
    s.set_option(Option(value));
    CHECK(s.get_option<Option>().value() == value);
}
} // namespace

TEST_CASE("More SOL_SOCKET options round-trip", "[options]") {
    sockit_test::FdLeakCheck fds;
    Socket tcp(Family::v4, SocketType::stream);
    round_trip_bool<sockit::OutOfBandInline>(tcp);
#ifndef _WIN32 // Windows' TCP/IP has no SO_RCVLOWAT or SO_SNDLOWAT, and ignores SO_DONTROUTE
    round_trip_bool<sockit::DontRoute>(tcp);
    round_trip_int<sockit::ReceiveLowWatermark>(tcp, 16);
#ifdef __linux__
    CHECK(tcp.get_option<sockit::SendLowWatermark>().value() == 1); // fixed at 1 on Linux
#else
    CHECK(tcp.get_option<sockit::SendLowWatermark>().value() >= 1);
#endif
#endif
    CHECK_FALSE(tcp.get_option<sockit::Listening>().value());
    sockit::TcpServer server("127.0.0.1", 0);
    CHECK(server.get_option<sockit::Listening>().value());
    std::error_code ec;
    tcp.set_option(sockit::Listening(true), ec); // read only
    CHECK(ec);
    CHECK_THROWS_WITH(tcp.set_option(sockit::Listening(true)), sockit_test::contains("setsockopt SO_ACCEPTCONN"));
}

TEST_CASE("IPv4 options round-trip", "[options]") {
    sockit_test::FdLeakCheck fds;
    Socket tcp(Family::v4, SocketType::stream);
    round_trip_int<sockit::TypeOfService>(tcp, 0x10);
    round_trip_int<sockit::TypeOfService>(tcp, 0);
    Socket udp(Family::v4, SocketType::datagram);
    CHECK(udp.get_option<sockit::MulticastTimeToLive>().value() == 1);
    round_trip_int<sockit::MulticastTimeToLive>(udp, 8);
    CHECK(udp.get_option<sockit::MulticastLoop>().value());
    round_trip_bool<sockit::MulticastLoop>(udp);
    CHECK(udp.get_option<sockit::MulticastInterface>().address().host() == "0.0.0.0");
    udp.set_option(sockit::MulticastInterface(sockit::Address("127.0.0.1", 0)));
    CHECK(udp.get_option<sockit::MulticastInterface>().address().host() == "127.0.0.1");
}

TEST_CASE("IPv6 options round-trip", "[options][ipv6]") {
    if (!sockit_test::has_ipv6()) SOCKIT_SKIP("IPv6 loopback unavailable");
    sockit_test::FdLeakCheck fds;
    Socket udp(Family::v6, SocketType::datagram);
    round_trip_int<sockit::UnicastHops>(udp, 17);
    round_trip_int<sockit::MulticastHops>(udp, 5);
    round_trip_bool<sockit::MulticastLoopV6>(udp);
    std::error_code ec;
    unsigned lo = sockit_test::loopback_index();
    if (lo != 0) round_trip_int<sockit::MulticastInterfaceV6>(udp, static_cast<int>(lo));
    udp.set_option(sockit::MulticastInterfaceV6(999999), ec);
    CHECK(ec);
}

#ifndef _WIN32 // Windows sets none of these (TCP_MAXSEG is read-only there; wine has none)
TEST_CASE("TCP options round-trip", "[options][tcp]") {
    sockit_test::FdLeakCheck fds;
    Socket tcp(Family::v4, SocketType::stream);
    tcp.set_option(sockit::MaxSegment(1000));
    // Unconnected, the kernel reports the value set; raw getsockopt agrees with sockit.
    int raw = 0;
    socklen_t len = sizeof raw;
    REQUIRE(::getsockopt(tcp.native_handle(), IPPROTO_TCP, TCP_MAXSEG, &raw, &len) == 0);
    CHECK(raw == 1000);
    CHECK(tcp.get_option<sockit::MaxSegment>().value() == 1000);
#ifdef TCP_USER_TIMEOUT
    round_trip_int<sockit::UserTimeout>(tcp, 1500);
#endif
#ifdef TCP_QUICKACK
    auto [client, server] = sockit_test::tcp_pair();
    client.set_option(sockit::QuickAck(true));
    CHECK(client.get_option<sockit::QuickAck>().value());
    client.set_option(sockit::QuickAck(false));
    CHECK_FALSE(client.get_option<sockit::QuickAck>().value());
#endif
}
#endif

TEST_CASE("interface_index names a missing interface", "[options][multicast]") {
    std::error_code ec;
    CHECK(sockit::interface_index("no-such-if0", ec) == 0);
    CHECK(ec == std::errc::no_such_device);
    CHECK_THROWS_WITH(sockit::interface_index("no-such-if0"), sockit_test::contains("interface 'no-such-if0'"));
    CHECK_THROWS_AS(sockit::interface_index(std::string("lo\0", 3)), sockit::AddressError);
}
