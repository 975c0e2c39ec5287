// SPDX-License-Identifier: MIT
#include "support.hpp"

#include <sstream>
#include <string>
#include <unordered_set>

using sockit::Address;
using sockit::AddressError;
using sockit::Errc;
using sockit::Family;

TEST_CASE("Address parses numeric IPv4 and IPv6 text", "[address]") {
    SECTION("IPv4") {
        Address a("127.0.0.1", 7777);
        CHECK(a.family() == Family::v4);
        CHECK(a.is_v4());
        CHECK(a.host() == "127.0.0.1");
        CHECK(a.port() == 7777);
        CHECK(a.to_string() == "127.0.0.1:7777");
        CHECK(a.is_loopback());
    }
    SECTION("IPv6, plain and bracketed") {
        Address a("::1", 7777);
        CHECK(a.is_v6());
        CHECK(a.host() == "::1");
        CHECK(a.to_string() == "[::1]:7777");
        CHECK(Address("[::1]", 7777) == a);
        CHECK(a.is_loopback());
    }
    SECTION("empty and 0.0.0.0 mean any IPv4 interface, :: any IPv6 interface") {
        CHECK(Address("", 80) == Address("0.0.0.0", 80));
        CHECK(Address("", 80) == Address::any(Family::v4, 80));
        CHECK(Address("::", 80) == Address::any(Family::v6, 80));
        CHECK(Address::loopback(Family::v4, 1) == Address("127.0.0.1", 1));
        CHECK(Address::loopback(Family::v6, 1) == Address("::1", 1));
    }
    SECTION("ports at the edges of the range") {
        CHECK(Address("127.0.0.1", 0).port() == 0);
        CHECK(Address("127.0.0.1", 65535).port() == 65535);
    }
    SECTION("an IPv6 scope given as a number or an interface name") {
        Address numeric("fe80::1%1", 9);
        CHECK(numeric.scope_id() == 1);
#ifdef _WIN32 // interface names are not looked up on Windows (docs/packaging.md): a clear error
        CHECK_THROWS_AS(Address("fe80::1%lo", 9), sockit::AddressError);
#else
        Address named("fe80::1%lo", 9);
        CHECK(named.scope_id() == numeric.scope_id());
        CHECK(named.host().rfind("fe80::1%", 0) == 0);
#endif
    }
    SECTION("endpoints with a port") {
        CHECK(Address::parse("127.0.0.1:80") == Address("127.0.0.1", 80));
        CHECK(Address::parse("[::1]:443") == Address("::1", 443));
        CHECK(Address::parse("[::1]:443").to_string() == "[::1]:443");
    }
}

TEST_CASE("Address rejects malformed text with an AddressError quoting it", "[address][errors]") {
    const char* bad[] = {"127.1",   "0x7f.1",        "1.2.3.4.5", "256.0.0.1", "::g",        "[::1",
                         "::1]",    "::1%%%",        "::1%",      "1.2.3",     " 127.0.0.1", "127.0.0.1 ",
                         "a.b.c.d", "::1%nosuchif0", "[]",        "localhost"};
    for (const char* text : bad) {
        INFO("text: " << text);
        std::error_code ec;
        Address::parse(text, 80, ec);
        CHECK(ec == Errc::invalid_address);
        CHECK(ec == std::errc::invalid_argument);
        try {
            Address a(text, 80);
            FAIL("no exception for " << text);
        } catch (const AddressError& e) {
            CHECK(e.code() == Errc::invalid_address);
            CHECK(std::string(e.what()).find(std::string("'") + text + "'") != std::string::npos);
        }
    }
    SECTION("a NUL byte inside the text") {
        std::error_code ec;
        Address::parse(std::string_view("127.0.0.1\0junk", 14), 80, ec);
        CHECK(ec == Errc::invalid_address);
    }
}

TEST_CASE("Ports outside 0..65535 are rejected, never wrapped", "[address][errors]") {
    for (int port : {-1, 65536, 70000}) {
        INFO("port " << port);
        std::error_code ec;
        Address::parse("127.0.0.1", port, ec);
        CHECK(ec == Errc::invalid_port);
        CHECK_THROWS_AS(Address("127.0.0.1", port), AddressError);
        CHECK_THROWS_WITH(Address("127.0.0.1", port), sockit_test::contains(std::to_string(port)));
        CHECK_THROWS_AS(Address::resolve("localhost", port), AddressError);
    }
    for (const char* text : {"-1", "65536", "70000", "abc", "", "80x", "+80", "123456"}) {
        INFO("port text '" << text << "'");
        std::error_code ec;
        sockit::parse_port(text, ec);
        CHECK(ec == Errc::invalid_port);
        CHECK_THROWS_WITH(sockit::parse_port(text), sockit_test::contains(std::string("'") + text + "'"));
        CHECK_THROWS_AS(Address::parse(std::string("127.0.0.1:") + text), AddressError);
    }
    CHECK(sockit::parse_port("0") == 0);
    CHECK(sockit::parse_port("7777") == 7777);
    CHECK(sockit::parse_port("65535") == 65535);
}

TEST_CASE("Addresses compare, order, hash and print", "[address]") {
    Address a("127.0.0.1", 1), b("127.0.0.1", 2), c("127.0.0.2", 1), d("::1", 1);
    CHECK(a == Address("127.0.0.1", 1));
    CHECK(a != b);
    CHECK(a < b);
    CHECK(b < c);
    CHECK(c < d); // IPv4 before IPv6
    CHECK_FALSE(b < a);
    std::unordered_set<Address> set{a, b, c, d, Address("127.0.0.1", 1)};
    CHECK(set.size() == 4);
    std::ostringstream out;
    out << a << ' ' << d;
    CHECK(out.str() == "127.0.0.1:1 [::1]:1");
    CHECK(Address().family() == Family::unspecified);
    CHECK(Address().to_string() == "(unspecified)");
}

TEST_CASE("Addresses convert to and from sockaddr", "[address]") {
    for (const Address& a : {Address("10.1.2.3", 4567), Address("2001:db8::7", 80)}) {
        Address back = Address::from_native(a.native(), a.native_size());
        CHECK(back == a);
        CHECK(back.to_string() == a.to_string());
    }
    std::error_code ec;
    ::sockaddr raw{};
    raw.sa_family = AF_UNIX;
    Address::from_native(&raw, sizeof raw, ec);
    CHECK(ec == std::errc::address_family_not_supported);
    CHECK_THROWS_AS(Address::from_native(&raw, sizeof raw), AddressError);
}

TEST_CASE("resolve returns every address of a name, in order, with the port", "[address][resolve]") {
    SECTION("numeric text is returned as is") {
        auto v = Address::resolve("::1", 5000);
        REQUIRE(v.size() == 1);
        CHECK(v[0] == Address("::1", 5000));
    }
    SECTION("localhost, from the hosts file") {
        auto v = Address::resolve("localhost", 5000);
        REQUIRE_FALSE(v.empty());
        for (const Address& a : v) {
            CHECK(a.is_loopback());
            CHECK(a.port() == 5000);
        }
        auto v4 = Address::resolve("localhost", 5000, Family::v4);
        REQUIRE_FALSE(v4.empty());
        CHECK(v4.front() == Address("127.0.0.1", 5000));
    }
    SECTION("a name the resolver rejects keeps the resolver's error code") {
        // A label longer than 63 bytes cannot be encoded in a DNS query, so the
        // resolver fails locally and no query leaves the machine.
        std::string name = std::string(70, 'a') + ".invalid";
        std::error_code ec;
        Address::resolve(name, 80, Family::unspecified, ec);
        REQUIRE(ec);
        INFO(ec.category().name() << " " << ec.value() << ": " << ec.message());
        CHECK(ec.category() == sockit::resolver_category()); // getaddrinfo's own code, not errno's
        const std::string resolver_text = ::gai_strerror(ec.value());
        CHECK(ec.message() == resolver_text);
        try {
            Address::resolve(name, 80);
            FAIL("resolve did not throw");
        } catch (const AddressError& e) {
            CHECK(e.code() == ec);
            const std::string what = e.what();
            CHECK(what.find("resolve '" + name + "'") == 0);               // the name asked for
            CHECK_THAT(what, sockit_test::contains(": " + resolver_text)); // and what the resolver said
        }
    }
    SECTION("empty names and names with NUL bytes never reach the resolver") {
        std::error_code ec;
        Address::resolve(std::string_view("local\0host", 10), 80, Family::unspecified, ec);
        CHECK(ec == Errc::invalid_address);
    }
}

TEST_CASE("A failed parse returns the unspecified address, never the wildcard", "[address][errors]") {
    // Code that ignores the error code must not be left holding 0.0.0.0 or ::, which
    // would bind every interface.
    for (const char* host : {"1.2.3.4.5", "localhost", "::g", "fe80::1%", "::1%nosuchif0", "[]"}) {
        INFO("host: " << host);
        std::error_code ec;
        Address a = Address::parse(host, 80, ec);
        CHECK(ec);
        CHECK(a.family() == Family::unspecified);
        CHECK(a == Address());
    }
    for (const char* endpoint : {"1.2.3.4.5:80", "::g:80", "[::g]:80", "1.2.3.4:99999", "nohost"}) {
        INFO("endpoint: " << endpoint);
        std::error_code ec;
        Address a = Address::parse(endpoint, ec);
        CHECK(ec);
        CHECK(a == Address());
    }
    std::error_code ec;
    CHECK(Address::parse("127.0.0.1", 70000, ec) == Address());
    CHECK(ec == Errc::invalid_port);
}

TEST_CASE("bind, connect and send_to with the unspecified address fail and bind nothing", "[address][errors]") {
    sockit_test::FdLeakCheck leaks;
    std::vector<Family> families{Family::v4};
    if (sockit_test::has_ipv6()) families.push_back(Family::v6);
    for (Family family : families) {
        for (sockit::SocketType type : {sockit::SocketType::stream, sockit::SocketType::datagram}) {
            INFO("family " << static_cast<int>(family) << ", type " << static_cast<int>(type));
            sockit::Socket s(family, type);
            std::error_code ec;
            s.bind(Address(), ec);
            CHECK(ec);
            std::error_code ignored;
            CHECK(s.local_address(ignored).port() == 0); // not bound to the wildcard
            CHECK_THROWS_AS(s.bind(Address()), sockit::Error);
            s.bind(Address::loopback(family)); // still unbound, so this works
            CHECK(s.local_address().is_loopback());
            sockit::Socket c(family, type);
            c.connect(Address(), ec);
            CHECK(ec == Errc::invalid_address); // refused before the system sees it: Winsock would disconnect
            CHECK_THROWS_AS(c.connect(Address()), sockit::AddressError);
        }
        // A connected UDP socket keeps its peer: connect(Address()) does not dissolve the
        // association, and send_to(Address()) does not send to the peer.
        sockit::Socket receiver(family, sockit::SocketType::datagram);
        receiver.bind(Address::loopback(family));
        sockit::Socket sender(family, sockit::SocketType::datagram);
        sender.connect(receiver.local_address());
        std::error_code ec;
        sender.connect(Address(), ec);
        CHECK(ec);
        CHECK(sender.peer_address() == receiver.local_address());
        sender.send_to("wrong", Address(), ec);
        CHECK(ec);
        sender.send("marker", 6);
        char buf[16] = {};
        receiver.set_timeout(std::chrono::seconds(5));
        sockit::DatagramInfo got = receiver.recv_from(buf, sizeof buf);
        CHECK(std::string(buf, got.size) == "marker");
    }
}

namespace {
struct BadText {
    const char* text;
    Errc code;
    const char* reason;          // a part of the message that names what is wrong
    const char* shown = nullptr; // how the message quotes the text, if not as is
};

/// Checks that `parse` fails with `bad.code` and the unspecified address, and that `make`
/// throws an AddressError whose message quotes the text and gives the reason.
template <class Parse, class Make>
void check_rejected(const BadText& bad, Parse parse, Make make) {
    INFO("text: '" << bad.text << "'");
    std::error_code ec;
    Address a = parse(ec);
    CHECK(ec == bad.code);
    CHECK(a == Address());
    try {
        make();
        FAIL("no exception");
    } catch (const AddressError& e) {
        std::string what = e.what();
        INFO("what(): " << what);
        CHECK(e.code() == bad.code);
        CHECK(what.find(std::string("'") + (bad.shown ? bad.shown : bad.text) + "'") != std::string::npos);
        CHECK(what.find(bad.reason) != std::string::npos);
    }
}
} // namespace

TEST_CASE("Endpoint text is host:port or [IPv6]:port; each mistake is named", "[address][errors]") {
    SECTION("accepted") {
        CHECK(Address::parse("1.2.3.4:80") == Address("1.2.3.4", 80));
        CHECK(Address::parse("[::1]:0") == Address("::1", 0));
        CHECK(Address::parse("[::ffff:1.2.3.4]:80") == Address("::ffff:1.2.3.4", 80));
        CHECK(Address::parse("[fe80::1%1]:9") == Address("fe80::1%1", 9));
        CHECK(Address::parse("1.2.3.4:080").port() == 80); // leading zeros: decimal, never octal
        CHECK(Address::parse("1.2.3.4:0000065535").port() == 65535);
        CHECK(Address::parse(":80") == Address::any(Family::v4, 80)); // an empty host is 0.0.0.0
    }
    const BadText bad[] = {
        {"", Errc::invalid_address, "empty"},
        {"[1.2.3.4]:80", Errc::invalid_address, "brackets are only for IPv6 addresses"},
        {"[]:80", Errc::invalid_address, "nothing between the brackets"},
        {"[::1]", Errc::invalid_address, "no port"},
        {"1.2.3.4", Errc::invalid_address, "no port"},
        {"[::1]x", Errc::invalid_address, "after ']'"},
        {"[::1]x:80", Errc::invalid_address, "after ']'"},
        {"[::1]:80]", Errc::invalid_port, "not a decimal number"},
        {"[::1", Errc::invalid_address, "'[' without a closing ']'"},
        {"[::1:80", Errc::invalid_address, "'[' without a closing ']'"},
        {"1.2.3.4]:80", Errc::invalid_address, "a bracket out of place"},
        {"[[::1]]:80", Errc::invalid_address, "a bracket out of place"},
        {"::1:80", Errc::invalid_address, "an IPv6 address with a port needs brackets"},
        {"::1", Errc::invalid_address, "an IPv6 address with a port needs brackets"},
        {"1.2.3.4:", Errc::invalid_port, "the port is empty"},
        {"[::1]:", Errc::invalid_port, "the port is empty"},
        {"1.2.3.4:+80", Errc::invalid_port, "the port is not a decimal number"},
        {"1.2.3.4:-1", Errc::invalid_port, "the port is not a decimal number"},
        {"1.2.3.4:0x50", Errc::invalid_port, "the port is not a decimal number"},
        {"1.2.3.4:65536", Errc::invalid_port, "the port is greater than 65535"},
        {"1.2.3.4:99999999999999999999", Errc::invalid_port, "the port is greater than 65535"},
        {" 1.2.3.4:80", Errc::invalid_address, "white space"},
        {"1.2.3.4:80 ", Errc::invalid_address, "white space"},
        {"1.2.3.4 :80", Errc::invalid_address, "white space"},
        {"[::1]: 80", Errc::invalid_address, "white space"},
        {"1.2.3.4:80\n", Errc::invalid_address, "white space", "1.2.3.4:80\\x0a"},
        {"localhost:80", Errc::invalid_address, "resolve"},
        {"127.1:80", Errc::invalid_address, "not a numeric IPv4 address"},
        {"[::g]:80", Errc::invalid_address, "not a numeric IPv6 address"},
        {"1.2.3.4%1:80", Errc::invalid_address, "a scope ('%') is only for IPv6 addresses"},
    };
    for (const BadText& b : bad) {
        check_rejected(
            b, [&](std::error_code& ec) { return Address::parse(b.text, ec); }, [&] { return Address::parse(b.text); });
    }
    SECTION("control characters are shown escaped") {
        try {
            Address::parse(std::string_view("1.2.3.4:80\0", 11));
            FAIL("no exception");
        } catch (const AddressError& e) {
            CHECK(std::string(e.what()).find("'1.2.3.4:80\\x00' (a control character)") != std::string::npos);
        }
    }
}

TEST_CASE("Host text errors name the text and the reason", "[address][errors]") {
    const BadText bad[] = {
        {"[1.2.3.4]", Errc::invalid_address, "brackets are only for IPv6 addresses"},
        {"[]", Errc::invalid_address, "nothing between the brackets"},
        {"[::1", Errc::invalid_address, "'[' without a closing ']'"},
        {"::1]", Errc::invalid_address, "a bracket out of place"},
        {" 127.0.0.1", Errc::invalid_address, "white space"},
        {"127.0.0.1\t", Errc::invalid_address, "white space", "127.0.0.1\\x09"},
        {"1.2.3.4%1", Errc::invalid_address, "a scope ('%') is only for IPv6 addresses"},
        {"127.1", Errc::invalid_address, "not a numeric IPv4 address"},
        {"localhost", Errc::invalid_address, "resolve"},
        {"::g", Errc::invalid_address, "not a numeric IPv6 address"},
        {"1.2.3.4:80", Errc::invalid_address, "not a numeric IPv6 address"},
        {"::1%", Errc::invalid_address, "an empty IPv6 scope"},
        {"::1%0", Errc::invalid_address, "IPv6 scope 0"},
        {"::1%1234567890", Errc::invalid_address, "IPv6 scope number too large"},
        {"::1%nosuchif0", Errc::invalid_address, "no network interface"},
    };
    for (const BadText& b : bad) {
        check_rejected(
            b, [&](std::error_code& ec) { return Address::parse(b.text, 80, ec); },
            [&] { return Address(b.text, 80); });
    }
}

TEST_CASE("Port text is decimal digits, leading zeros allowed, up to 65535", "[address][errors]") {
    CHECK(sockit::parse_port("080") == 80);
    CHECK(sockit::parse_port("00000000080") == 80);
    CHECK(sockit::parse_port("00000") == 0);
    const BadText bad[] = {
        {"", Errc::invalid_port, "(empty)"},
        {"+80", Errc::invalid_port, "(not a decimal number)"},
        {"-1", Errc::invalid_port, "(not a decimal number)"},
        {" 80", Errc::invalid_port, "(not a decimal number)"},
        {"80 ", Errc::invalid_port, "(not a decimal number)"},
        {"0x50", Errc::invalid_port, "(not a decimal number)"},
        {"65536", Errc::invalid_port, "(greater than 65535)"},
        {"123456", Errc::invalid_port, "(greater than 65535)"},
    };
    for (const BadText& b : bad) {
        INFO("port text: '" << b.text << "'");
        std::error_code ec;
        sockit::parse_port(b.text, ec);
        CHECK(ec == b.code);
        CHECK_THROWS_WITH(sockit::parse_port(b.text),
                          sockit_test::contains(std::string("port '") + b.text + "' " + b.reason));
    }
}

namespace {
template <class, class = void>
struct has_any_with_error_code : std::false_type {};
template <class Port>
struct has_any_with_error_code<
    Port,
    std::void_t<decltype(Address::any(Family::v4, std::declval<Port>(), std::declval<std::error_code&>())),
                decltype(Address::loopback(Family::v4, std::declval<Port>(), std::declval<std::error_code&>())),
                decltype(std::declval<Address&>().set_port(std::declval<Port>(), std::declval<std::error_code&>()))>>
    : std::true_type {};
} // namespace

// Like the constructor, each has a form that returns the error instead of throwing.
static_assert(has_any_with_error_code<int>::value, "any, loopback and set_port take an std::error_code&");

TEST_CASE("any, loopback and set_port check the port range as the constructor does", "[address][errors]") {
    for (int port : {-1, 65536, 70000}) {
        INFO("port " << port);
        CHECK_THROWS_AS(Address::any(Family::v4, port), AddressError);
        CHECK_THROWS_WITH(Address::any(Family::v6, port), sockit_test::contains("port " + std::to_string(port)));
        CHECK_THROWS_AS(Address::loopback(Family::v4, port), AddressError);
        CHECK_THROWS_WITH(Address::loopback(Family::v6, port), sockit_test::contains("port " + std::to_string(port)));
        Address a("127.0.0.1", 7);
        CHECK_THROWS_WITH(a.set_port(port), sockit_test::contains("port " + std::to_string(port)));
        CHECK(a == Address("127.0.0.1", 7)); // unchanged

        std::error_code ec;
        CHECK(Address::any(Family::v4, port, ec) == Address());
        CHECK(ec == Errc::invalid_port);
        ec.clear();
        CHECK(Address::loopback(Family::v6, port, ec) == Address());
        CHECK(ec == Errc::invalid_port);
        ec.clear();
        a.set_port(port, ec);
        CHECK(ec == Errc::invalid_port);
        CHECK(a.port() == 7);
    }
    SECTION("ports in range, as int or std::uint16_t") {
        std::uint16_t narrow = 65535;
        CHECK(Address::any(Family::v4, narrow) == Address("0.0.0.0", 65535));
        CHECK(Address::loopback(Family::v6, narrow) == Address("::1", 65535));
        CHECK(Address::any(Family::v4, 0) == Address("", 0));
        CHECK(Address::any() == Address("0.0.0.0", 0));
        CHECK(Address::loopback() == Address("127.0.0.1", 0));
        std::error_code ec = sockit::Errc::invalid_port;
        CHECK(Address::loopback(Family::v4, 80, ec) == Address("127.0.0.1", 80));
        CHECK_FALSE(ec);
        Address a = Address::any(Family::v6);
        a.set_port(narrow);
        CHECK(a.port() == 65535);
        a.set_port(0, ec);
        CHECK_FALSE(ec);
        CHECK(a.port() == 0);
    }
}
