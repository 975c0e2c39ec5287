// SPDX-License-Identifier: MIT
// UdpSocket over loopback: unconnected and connected use, empty and truncated
// datagrams, oversized datagrams, timeouts, and its defaults.
#include "support.hpp"

#include <string>
#include <vector>

using namespace std::chrono_literals;
using sockit::Address;
using sockit::Errc;
using sockit::Family;
using sockit::UdpSocket;
using sockit_test::contains;
using sockit_test::elapsed;
using sockit_test::FdLeakCheck;

namespace {

void check_send_to_recv_from(const char* host, Family family) {
    UdpSocket server(host, 0);
    UdpSocket client(family);
#ifndef _WIN32                                 // Windows: getsockname on a socket not yet bound is WSAEINVAL
    CHECK(client.local_address().port() == 0); // unbound until the first send
#endif
    CHECK(client.send_to("ping", server.local_address()) == 4);
    CHECK(client.port() != 0); // the system chose a port
    char buf[64];
    auto d = server.recv_from(buf, sizeof buf);
    CHECK(std::string(buf, d.size) == "ping");
    CHECK(d.sender == Address(host, client.port()));
    CHECK(server.send_to(std::string_view(buf, d.size), d.sender) == 4);
    auto back = client.recv_from(buf, sizeof buf);
    CHECK(std::string(buf, back.size) == "ping");
    CHECK(back.sender == server.local_address());
}

} // namespace

TEST_CASE("UDP send_to and recv_from", "[udp]") {
    FdLeakCheck leaks;
    SECTION("IPv4") { check_send_to_recv_from("127.0.0.1", Family::v4); }
    SECTION("IPv6") {
        if (!sockit_test::has_ipv6()) SOCKIT_SKIP("IPv6 loopback unavailable");
        check_send_to_recv_from("::1", Family::v6);
    }
}

TEST_CASE("an unbound UdpSocket can bind later", "[udp]") {
    FdLeakCheck leaks;
    UdpSocket s(Family::v4);
    s.bind(Address("127.0.0.1", 0));
    CHECK(s.port() != 0);
    CHECK(s.local_address().host() == "127.0.0.1");
    UdpSocket adopted(sockit::Socket(Family::v4, sockit::SocketType::datagram));
    CHECK(adopted.is_open());
    CHECK(adopted.send_to("x", s.local_address()) == 1);
    char buf[4];
    CHECK(s.recv_from(buf, sizeof buf).sender.port() == adopted.port());
}

TEST_CASE("connected UDP", "[udp]") {
    FdLeakCheck leaks;
    UdpSocket server("127.0.0.1", 0);
    UdpSocket client(Family::v4);
    client.connect(server.local_address());
    CHECK(client.peer_address() == server.local_address());
    CHECK(client.send("hello") == 5);
    char buf[64];
    auto d = server.recv_from(buf, sizeof buf);
    CHECK(std::string(buf, d.size) == "hello");
    CHECK(d.sender == client.local_address());
    server.send_to("world", d.sender);
    CHECK(client.recv(buf, sizeof buf) == 5);
    CHECK(std::string(buf, 5) == "world");
    std::error_code ec;
    server.send_to("again", d.sender);
    CHECK(client.recv(buf, sizeof buf, ec) == 5);
    CHECK_FALSE(ec);
}

TEST_CASE("a zero-length datagram is a datagram of size 0", "[udp]") {
    FdLeakCheck leaks;
    UdpSocket server("127.0.0.1", 0);
    UdpSocket client("127.0.0.1", 0);
    CHECK(client.send_to("", server.local_address()) == 0);
    char buf[16];
    std::error_code ec;
    auto d = server.recv_from(buf, sizeof buf, ec);
    CHECK_FALSE(ec);
    CHECK(d.size == 0);
    CHECK(d.sender == client.local_address());
}

TEST_CASE("a datagram larger than the buffer is reported as truncated", "[udp]") {
    FdLeakCheck leaks;
    UdpSocket server("127.0.0.1", 0);
    UdpSocket client("127.0.0.1", 0);
    std::string payload = "0123456789abcdefghij";
    char buf[10];
    SECTION("error_code form: the first bytes are stored and the sender filled in") {
        client.send_to(payload, server.local_address());
        std::error_code ec;
        auto d = server.recv_from(buf, sizeof buf, ec);
        CHECK(ec == Errc::datagram_truncated);
        CHECK(ec == std::errc::message_size);
        CHECK(d.size == sizeof buf);
        CHECK(std::string(buf, sizeof buf) == "0123456789");
        CHECK(d.sender == client.local_address());
    }
    SECTION("throwing form") {
        client.send_to(payload, server.local_address());
        try {
            server.recv_from(buf, sizeof buf);
            FAIL("no exception");
        } catch (const sockit::Error& e) {
            CHECK(e.code() == Errc::datagram_truncated);
            CHECK_THAT(e.what(), contains("recv_from " + client.local_address().to_string()));
            CHECK_THAT(e.what(), contains("buffer of 10 bytes"));
        }
    }
}

TEST_CASE("connected UDP recv reports truncation", "[udp]") {
    FdLeakCheck leaks;
    UdpSocket server("127.0.0.1", 0);
    UdpSocket client(Family::v4);
    client.connect(server.local_address());
    server.send_to("too long for four", client.local_address());
    server.send_to("too long for four", client.local_address());
    char buf[4];
    std::error_code ec;
    CHECK(client.recv(buf, sizeof buf, ec) == 4);
    CHECK(ec == Errc::datagram_truncated);
    CHECK(std::string(buf, 4) == "too ");
    try {
        client.recv(buf, sizeof buf);
        FAIL("no exception");
    } catch (const sockit::Error& e) {
        CHECK(e.code() == Errc::datagram_truncated);
        CHECK_THAT(e.what(), contains("recv " + server.local_address().to_string()));
    }
}

TEST_CASE("a 70000-byte datagram is refused with EMSGSIZE", "[udp]") {
    FdLeakCheck leaks;
    UdpSocket server("127.0.0.1", 0);
    UdpSocket client(Family::v4);
    std::vector<char> big(70000, 'x');
    std::error_code ec;
    CHECK(client.send_to(big.data(), big.size(), server.local_address(), ec) == 0);
    CHECK(ec == std::errc::message_size);
#ifndef _WIN32 // Windows: sockit's "winsock" category, equal to the same std::errc
    CHECK(ec.category() == std::generic_category());
#endif
    try {
        client.send_to(big.data(), big.size(), server.local_address());
        FAIL("no exception");
    } catch (const sockit::Error& e) {
        CHECK(e.code() == std::errc::message_size);
        CHECK_THAT(e.what(), contains("send_to " + server.local_address().to_string()));
    }
}

TEST_CASE("recv_from times out", "[udp][timeout]") {
    FdLeakCheck leaks;
    UdpSocket server("127.0.0.1", 0);
    server.set_timeout(150ms);
    char buf[16];
    auto took = elapsed([&] {
        try {
            server.recv_from(buf, sizeof buf);
            FAIL("no exception");
        } catch (const sockit::TimeoutError& e) {
            CHECK_THAT(e.what(), contains("timed out"));
            CHECK(e.code() == std::errc::timed_out);
        }
    });
    CHECK(took.count() >= 150);
    CHECK(took.count() < 2150); // the timeout and 2 s for a loaded machine
    std::error_code ec;
    server.recv_from(buf, sizeof buf, ec);
    CHECK(ec == Errc::timed_out);
}

#ifdef _WIN32
TEST_CASE("Winsock errors read as text and compare equal to std::errc", "[udp][errors]") {
    FdLeakCheck leaks;
    UdpSocket first("127.0.0.1", 0);
    std::error_code ec;
    UdpSocket second(Family::v4);
    second.bind(first.local_address(), ec);
    CHECK(ec == std::errc::address_in_use);
    CHECK(std::string(ec.category().name()) == "winsock");
    CHECK(ec.message() == "Address already in use");
    second.set_option(sockit::ReusePort(true), ec); // Windows has no SO_REUSEPORT
    CHECK(ec == std::errc::no_protocol_option);
    CHECK(ec.message() == "Protocol not available (bad option or level)");
}
#endif

TEST_CASE("UDP reuse-address is off by default", "[udp]") {
    FdLeakCheck leaks;
    UdpSocket first("127.0.0.1", 0);
    CHECK_FALSE(first.get_option<sockit::ReuseAddress>().value());
#ifndef _WIN32 // Windows has no SO_REUSEPORT
    CHECK_FALSE(first.get_option<sockit::ReusePort>().value());
#endif
    try {
        UdpSocket second("127.0.0.1", first.port());
        FAIL("a second socket bound the same port");
    } catch (const sockit::AddressInUse& e) {
        CHECK_THAT(e.what(), contains("bind 127.0.0.1:" + std::to_string(first.port())));
    }
}
