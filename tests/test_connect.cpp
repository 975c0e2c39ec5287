// SPDX-License-Identifier: MIT
// TcpClient's ConnectOptions: an address list given directly, a source address, and
// RFC 8305 Happy Eyeballs raced against a loopback address that never answers.
#include "support.hpp"

#include <vector>

using namespace std::chrono_literals;
using sockit::Address;
using sockit::ConnectOptions;
using sockit::TcpClient;
using sockit::TcpServer;

namespace {

/// A loopback address whose connects hang: a listener with a backlog of 0 and one
/// connection already queued, never accepted, so further SYNs go unanswered.
class Blackhole {
public:
    explicit Blackhole(const char* host = "127.0.0.1")
        : server_(host, 0, options()), filler_(server_.local_address()) {}
    Address address() const { return server_.local_address(); }

private:
    static sockit::ServerOptions options() {
        sockit::ServerOptions o;
        o.backlog = 0;
        return o;
    }
    TcpServer server_;
    TcpClient filler_;
};

/// An address nobody listens on: refused at once.
Address refused_address(const char* host = "127.0.0.1") {
    TcpServer gone(host, 0);
    return gone.local_address(); // closed when `gone` goes: connecting is refused
}

ConnectOptions happy(std::chrono::milliseconds stagger = 250ms) {
    ConnectOptions o;
    o.happy_eyeballs = true;
    o.stagger = stagger;
    o.timeout = 5s;
    return o;
}

} // namespace

TEST_CASE("The blackhole really hangs (the premise of the Happy Eyeballs tests)", "[tcp][connect]") {
    sockit_test::FdLeakCheck fds;
    Blackhole hole;
    std::error_code ec;
    ConnectOptions o;
    o.timeout = 300ms;
    auto took = sockit_test::elapsed([&] { TcpClient::open({hole.address()}, o, ec); });
    CHECK(ec == std::errc::timed_out);
    CHECK(took >= 290ms);
    CHECK(took < 2s);
}

TEST_CASE("Happy Eyeballs: the second address wins one stagger after the first hangs", "[tcp][connect][happy]") {
    sockit_test::FdLeakCheck fds;
    Blackhole hole;
    TcpServer good("127.0.0.1", 0);
    std::vector<Address> addresses{hole.address(), good.local_address()};
    std::optional<TcpClient> client;
    auto took = sockit_test::elapsed([&] { client.emplace(addresses, happy()); });
    CHECK(client->peer_address() == good.local_address());
    CHECK(took >= 240ms); // the first attempt had its 250 ms
    CHECK(took < 2250ms); // and the hang did not matter: far from the 5 s timeout
    auto [conn, peer] = good.accept();
    client->send_all("won");
    char buf[3];
    conn.set_timeout(5s);
    conn.recv_exactly(buf, 3);
    CHECK(std::string(buf, 3) == "won");
    CHECK(client->blocking()); // the winner is handed over with the attempts' timeout, as one-by-one
    CHECK(client->timeout() == std::chrono::nanoseconds(5s));

    SECTION("the stagger given is the one waited: 50 ms") {
        std::optional<TcpClient> quick;
        auto t = sockit_test::elapsed([&] { quick.emplace(addresses, happy(50ms)); });
        CHECK(quick->peer_address() == good.local_address());
        CHECK(t >= 45ms);
        CHECK(t < 2050ms); // the stagger and 2 s for a loaded machine: well before the 5 s timeout
    }
    SECTION("the stagger given is the one waited: 1.5 s, not the default 250 ms") {
        std::optional<TcpClient> slow;
        auto t = sockit_test::elapsed([&] { slow.emplace(addresses, happy(1500ms)); });
        CHECK(slow->peer_address() == good.local_address());
        CHECK(t >= 1490ms);
        CHECK(t < 3500ms);
    }
    SECTION("without Happy Eyeballs the hang costs the whole timeout") {
        ConnectOptions plain;
        plain.timeout = 600ms;
        std::optional<TcpClient> slow;
        auto t = sockit_test::elapsed([&] { slow.emplace(addresses, plain); });
        CHECK(slow->peer_address() == good.local_address());
        CHECK(t >= 590ms);
    }
}

TEST_CASE("Happy Eyeballs: a refused attempt starts the next at once", "[tcp][connect][happy]") {
    sockit_test::FdLeakCheck fds;
    TcpServer good("127.0.0.1", 0);
    std::vector<Address> addresses{refused_address(), good.local_address()};
    std::optional<TcpClient> client;
    // A stagger of 4 s: the second attempt starting after it would be plain.
    auto took = sockit_test::elapsed([&] { client.emplace(addresses, happy(4s)); });
    CHECK(client->peer_address() == good.local_address());
    CHECK(took < 2s); // at once, with room for a loaded machine
}

TEST_CASE("Happy Eyeballs alternates IPv6 and IPv4", "[tcp][connect][happy][ipv6]") {
    if (!sockit_test::has_ipv6()) SOCKIT_SKIP("IPv6 loopback unavailable");
    sockit_test::FdLeakCheck fds;
    Blackhole hole6("::1");
    TcpServer good6("::1", 0);
    TcpServer good4("127.0.0.1", 0);
    // In list order good6 would be second; interleaving makes IPv4 second, and it wins.
    std::vector<Address> addresses{hole6.address(), good6.local_address(), good4.local_address()};
    std::optional<TcpClient> client;
    auto took = sockit_test::elapsed([&] { client.emplace(addresses, happy()); });
    CHECK(client->peer_address() == good4.local_address());
    CHECK(took >= 240ms);
    CHECK(took < 2250ms); // far from the 5 s timeout
}

TEST_CASE("When every address fails, every error is reported together", "[tcp][connect][errors]") {
    sockit_test::FdLeakCheck fds;
    Address a = refused_address();
    Blackhole hole;
    std::vector<Address> addresses{a, hole.address()};
    for (bool race : {false, true}) {
        INFO("happy_eyeballs " << race);
        ConnectOptions o;
        o.happy_eyeballs = race;
        o.timeout = 300ms;
        try {
            TcpClient client(addresses, o);
            FAIL("connected");
        } catch (const sockit::Error& e) {
            CHECK(e.code() == std::errc::timed_out); // the last failure
            CHECK_THAT(e.what(), sockit_test::contains(a.to_string() + ": Connection refused"));
            CHECK_THAT(e.what(), sockit_test::contains(hole.address().to_string() + ": timed out"));
        }
    }
    std::error_code ec;
    TcpClient::open(std::vector<Address>{}, ConnectOptions{}, ec);
    CHECK(ec == sockit::Errc::invalid_argument);
    ConnectOptions negative;
    negative.stagger = -1ms;
    CHECK_THROWS_WITH(TcpClient(addresses, negative),
                      sockit_test::contains("connect stagger of -1000000 ns (negative)"));
}

TEST_CASE("A source address is bound before connecting", "[tcp][connect][source]") {
    sockit_test::FdLeakCheck fds;
    TcpServer server("127.0.0.1", 0);
    Address source;
    {
        sockit::Socket probe(sockit::Family::v4, sockit::SocketType::stream);
        probe.bind(Address("127.0.0.1", 0));
        source = probe.local_address(); // a port free a moment ago
    }
    for (bool race : {false, true}) {
        ConnectOptions o;
        o.source = source;
        o.happy_eyeballs = race;
        TcpClient client("127.0.0.1", server.port(), o);
        CHECK(client.local_address() == source);
        auto accepted = server.accept();
        CHECK(accepted.second == source);
        client.close();
        accepted.first.close();
        // The port stays in TIME_WAIT on one side; the next round needs a new one.
        sockit::Socket probe(sockit::Family::v4, sockit::SocketType::stream);
        probe.bind(Address("127.0.0.1", 0));
        source = probe.local_address();
    }
    SECTION("a source that cannot be bound is reported") {
        sockit::TcpServer taken("127.0.0.1", 0, sockit::ServerOptions{10, false, false, false});
        ConnectOptions o;
        o.source = taken.local_address();
        CHECK_THROWS_WITH(TcpClient("127.0.0.1", server.port(), o),
                          sockit_test::contains("bind " + taken.local_address().to_string()));
    }
    // Last: a section that skips returns, and Catch2 never reaches the sections after it.
    SECTION("a source of the other family is reported") {
        if (!sockit_test::has_ipv6()) SOCKIT_SKIP("IPv6 loopback unavailable");
        ConnectOptions o;
        o.source = Address("::1", 0);
        CHECK_THROWS_WITH(TcpClient("127.0.0.1", server.port(), o),
                          sockit_test::contains("source address [::1]:0 is of the other family"));
    }
}

TEST_CASE("ConnectOptions takes the largest timeout and stagger", "[tcp][connect]") {
    sockit_test::FdLeakCheck fds;
    TcpServer server("127.0.0.1", 0);
    ConnectOptions o;
    o.timeout = std::chrono::nanoseconds::max();
    SECTION("one address after another") {
        TcpClient client({server.local_address()}, o);
        CHECK(client.peer_address() == server.local_address());
    }
    SECTION("Happy Eyeballs, the largest stagger") {
        o.happy_eyeballs = true;
        o.stagger = std::chrono::milliseconds::max();
        TcpClient client({server.local_address()}, o);
        CHECK(client.peer_address() == server.local_address());
    }
    SECTION("Happy Eyeballs, a hanging address first") {
        Blackhole hole;
        o.happy_eyeballs = true;
        o.stagger = 10ms;
        TcpClient client({hole.address(), server.local_address()}, o);
        CHECK(client.peer_address() == server.local_address());
    }
}
