// SPDX-License-Identifier: MIT
// One API rule for every class: a default constructor owns nothing; every throwing
// constructor has a noexcept factory `open(..., ec)`; servers and UDP sockets resolve a host
// name and bind its one address, refusing a name with several; one backlog default.
#include "support.hpp"

#include <string>
#include <type_traits>

using namespace std::chrono_literals;
using sockit::Address;
using sockit::Errc;
using sockit::Family;
using sockit::TcpClient;
using sockit::TcpServer;
using sockit::TcpStream;
using sockit::UdpSocket;
using sockit_test::FdLeakCheck;

static_assert(std::is_nothrow_default_constructible_v<sockit::Socket>);
static_assert(std::is_nothrow_default_constructible_v<TcpStream>);
static_assert(std::is_nothrow_default_constructible_v<TcpClient>);
static_assert(std::is_nothrow_default_constructible_v<TcpServer>);
static_assert(std::is_nothrow_default_constructible_v<UdpSocket>);

TEST_CASE("a default-constructed socket object owns nothing, and says so when used", "[api]") {
    FdLeakCheck leaks;
    CHECK_FALSE(sockit::Socket().is_open());
    CHECK_FALSE(TcpStream().is_open());
    CHECK_FALSE(TcpClient().is_open());
    CHECK_FALSE(TcpServer().is_open());
    UdpSocket u;
    CHECK_FALSE(u.is_open());
    std::error_code ec;
    u.send_to("x", Address("127.0.0.1", 9), ec);
#ifdef _WIN32
    CHECK(ec == std::errc::not_a_socket);
#else
    CHECK(ec == std::errc::bad_file_descriptor);
#endif
    CHECK_THROWS_AS(u.send_to("x", Address("127.0.0.1", 9)), sockit::Error);
    UdpSocket opened(Family::v4);
    CHECK(opened.is_open());
}

TEST_CASE("every socket class has a noexcept factory that owns nothing on failure", "[api]") {
    FdLeakCheck leaks;
    std::error_code ec;
    const sockit::ServerOptions server_options;
    const sockit::ConnectOptions connect_options;
    static_assert(noexcept(TcpServer::open("127.0.0.1", 0, server_options, ec)));
    static_assert(noexcept(TcpServer::open(Address(), server_options, ec)));
    static_assert(noexcept(UdpSocket::open(Family::v4, ec)));
    static_assert(noexcept(UdpSocket::open(Address(), ec)));
    static_assert(noexcept(UdpSocket::open("", 0, Family::unspecified, ec)));
    static_assert(noexcept(TcpClient::open("", 0, connect_options, ec)));
    static_assert(noexcept(TcpClient::open("", 0, std::nullopt, ec)));

    TcpServer server = TcpServer::open("127.0.0.1", 0, {}, ec);
    REQUIRE_FALSE(ec);
    REQUIRE(server.is_open());
    const std::uint16_t port = server.port(ec);
    REQUIRE_FALSE(ec);

    SECTION("a port in use") {
        TcpServer taken = TcpServer::open("127.0.0.1", port, {}, ec);
        CHECK(ec == std::errc::address_in_use);
        CHECK_FALSE(taken.is_open());
        UdpSocket udp = UdpSocket::open("127.0.0.1", 0, Family::unspecified, ec);
        REQUIRE_FALSE(ec);
        UdpSocket udp_taken = UdpSocket::open(udp.local_address(), ec);
        CHECK(ec == std::errc::address_in_use);
        CHECK_FALSE(udp_taken.is_open());
    }
    SECTION("bad input") {
        CHECK_FALSE(TcpServer::open("127.0.0.1", 70000, {}, ec).is_open());
        CHECK(ec == Errc::invalid_port);
        const std::string too_long(300, 'a'); // refused before any resolver is asked
        CHECK_FALSE(UdpSocket::open(too_long, 0, Family::unspecified, ec).is_open());
        CHECK(ec == Errc::invalid_address);
        CHECK_FALSE(TcpServer::open(too_long, 0, {}, ec).is_open());
        CHECK(ec == Errc::invalid_address);
        CHECK_FALSE(TcpClient::open("127.0.0.1", -1, std::nullopt, ec).is_open());
        CHECK(ec == Errc::invalid_port);
    }
    SECTION("a client of a closed port") {
        TcpServer closed = TcpServer::open("127.0.0.1", 0, {}, ec);
        const std::uint16_t closed_port = closed.port();
        closed.close();
        TcpClient client = TcpClient::open("127.0.0.1", closed_port, 2s, ec);
        CHECK(ec == std::errc::connection_refused);
        CHECK_FALSE(client.is_open());
    }
    SECTION("success") {
        TcpClient client = TcpClient::open("127.0.0.1", port, 2s, ec);
        REQUIRE_FALSE(ec);
        CHECK(client.timeout() == std::chrono::nanoseconds(2s));
        CHECK(client.no_delay(ec) == false);
        CHECK_FALSE(ec);
        UdpSocket udp = UdpSocket::open(Family::v4, ec);
        CHECK_FALSE(ec);
        CHECK(udp.is_open());
    }
}

TEST_CASE("servers and UDP sockets take the default backlog and every error_code form", "[api]") {
    FdLeakCheck leaks;
    CHECK(sockit::ServerOptions{}.backlog == sockit::Socket::default_backlog);
    CHECK(sockit::Socket::default_backlog == 128);
    UdpSocket u("127.0.0.1", 0);
    std::error_code ec;
    CHECK(u.port(ec) != 0);
    CHECK_FALSE(ec);
    u.join_group(Address("127.0.0.1", 0), 0u, ec); // not a multicast group
    CHECK(ec);
    u.leave_group(Address("224.0.0.251", 0), Address("127.0.0.1", 0), ec); // never joined
    CHECK(ec);
#ifndef _WIN32
    u.join_group(Address("127.0.0.1", 0), 0u, ec);
    CHECK(ec == std::errc::invalid_argument);
    u.leave_group(Address("224.0.0.251", 0), Address("127.0.0.1", 0), ec);
    CHECK(ec == std::errc::address_not_available);
#endif
    auto pair = sockit_test::tcp_pair();
    pair.first.send_all("abc");
    pair.second.set_timeout(2s);
    std::string got = pair.second.recv(16, ec);
    CHECK_FALSE(ec);
    CHECK(got == "abc");
}

#ifndef _WIN32
TEST_CASE("a host name for a server or UDP socket must name one address", "[api][resolve]") {
    // A hosts file of the test's own (a private mount namespace): one name with an IPv4 and
    // an IPv6 address, one name with one address.
    const std::string hosts = "127.0.0.1 twohosts.test\n::1 twohosts.test\n127.0.0.7 onehost.test\n";
    int result = sockit_test::with_hosts_file(hosts, [] {
        std::error_code ec;
        // Several addresses: refused, naming them.
        try {
            TcpServer server("twohosts.test", 0);
            return 10;
        } catch (const sockit::AddressError& e) {
            std::string what = e.what();
            if (e.code() != Errc::ambiguous_host) return 11;
            if (what.find("127.0.0.1") == std::string::npos || what.find("::1") == std::string::npos) return 12;
            if (what.find("twohosts.test") == std::string::npos) return 13;
        }
        if (UdpSocket::open("twohosts.test", 0, Family::unspecified, ec).is_open() || ec != Errc::ambiguous_host)
            return 14;
        // A family picks one.
        sockit::ServerOptions v4;
        v4.family = Family::v4;
        TcpServer server("twohosts.test", 0, v4);
        if (server.local_address().host() != "127.0.0.1") return 15;
        UdpSocket udp("twohosts.test", 0, Family::v6);
        if (udp.local_address().host() != "::1") return 16;
        // A name with one address binds it: servers and UDP sockets alike.
        TcpServer one("onehost.test", 0);
        if (one.local_address().host() != "127.0.0.7") return 17;
        UdpSocket udp_one("onehost.test", 0);
        if (udp_one.local_address().host() != "127.0.0.7") return 18;
        // And a client tries both addresses of the first name.
        TcpClient client("twohosts.test", server.port(), 2s);
        if (client.peer_address().host() != "127.0.0.1") return 19;
        return 0;
    });
    CHECK(result == 0);
}
#endif
