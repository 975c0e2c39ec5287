// SPDX-License-Identifier: MIT
// Coalesced receives: UdpSocket::recv_coalesced, with ReceiveOffload (UDP_GRO) on Linux and
// one datagram per call everywhere else.
#include "support.hpp"

#include <iterator>
#include <map>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using sockit::CoalescedDatagrams;
using sockit::Errc;
using sockit::UdpSocket;

namespace {

/// `count` datagrams of `size` bytes, each filled with its own letter and numbered in its first
/// bytes, so that order and boundaries show; the last one `last_size` bytes long if given.
std::vector<std::string> numbered(std::size_t count, std::size_t size, std::size_t last_size = 0, char first = 'a') {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < count; ++i) {
        std::string d(i + 1 == count && last_size > 0 ? last_size : size, static_cast<char>(first + i % 26));
        std::string number = std::to_string(i) + ":";
        d.replace(0, std::min(number.size(), d.size()), number.substr(0, d.size()));
        out.push_back(d);
    }
    return out;
}

std::vector<sockit::ConstBuffer> buffers(const std::vector<std::string>& datagrams) {
    std::vector<sockit::ConstBuffer> out;
    for (const auto& d : datagrams) out.push_back(sockit::buffer(d));
    return out;
}

#ifdef __linux__
/// Receives until `count` datagrams have come (each call within the socket's timeout); the
/// datagrams in order, and how many calls it took.
std::pair<std::vector<std::string>, std::size_t> receive(UdpSocket& receiver, std::size_t count,
                                                         const sockit::Address& from) {
    static char buf[65536];
    std::vector<std::string> got;
    std::size_t calls = 0;
    while (got.size() < count) {
        CoalescedDatagrams datagrams = receiver.recv_coalesced(sockit::buffer(buf, sizeof buf));
        ++calls;
        CHECK(datagrams.sender == from);
        CHECK(datagrams.data == buf);
        CHECK(static_cast<std::size_t>(std::distance(datagrams.begin(), datagrams.end())) == datagrams.count());
        for (std::string_view d : datagrams) got.emplace_back(d);
    }
    return {got, calls};
}
#endif

} // namespace

TEST_CASE("recv_coalesced without ReceiveOffload receives one datagram per call", "[udp][coalesce]") {
    sockit_test::FdLeakCheck fds;
    UdpSocket receiver("127.0.0.1", 0);
    receiver.set_timeout(5s);
    UdpSocket sender("127.0.0.1", 0);
    const sockit::Address to("127.0.0.1", receiver.port());
    auto datagrams = numbered(10, 100, 37);
    auto out = buffers(datagrams);
    REQUIRE(sender.send_batch(out.data(), out.size(), to) == out.size());

    char buf[65536];
    for (const std::string& expected : datagrams) {
        CoalescedDatagrams got = receiver.recv_coalesced(sockit::buffer(buf, sizeof buf));
        CHECK(got.count() == 1);
        CHECK(got.size == expected.size());
        CHECK(got.segment_size == expected.size());
        CHECK(got[0] == expected);
        CHECK(got.sender == sender.local_address());
    }

    SECTION("an empty datagram is one datagram of no bytes") {
        sender.send_to("", to);
        CoalescedDatagrams got = receiver.recv_coalesced(sockit::buffer(buf, sizeof buf));
        CHECK(got.count() == 1);
        CHECK(got.size == 0);
        CHECK(got[0].empty());
        CHECK(std::distance(got.begin(), got.end()) == 1);
    }
    SECTION("a datagram larger than the buffer sets datagram_truncated and keeps its start") {
        sender.send_to(datagrams[0], to);
        std::error_code ec;
        CoalescedDatagrams got = receiver.recv_coalesced(sockit::buffer(buf, 40), ec);
        CHECK(ec == Errc::datagram_truncated);
        CHECK(got.size == 40);
        CHECK(got.count() == 1);
        CHECK(got[0] == datagrams[0].substr(0, 40));
        CHECK(got.sender == sender.local_address());
    }
    SECTION("the timeout holds when nothing comes") {
        receiver.set_timeout(50ms);
        std::error_code ec;
        receiver.recv_coalesced(sockit::buffer(buf, sizeof buf), ec);
        CHECK(ec == Errc::timed_out);
        CHECK_THROWS_AS(receiver.recv_coalesced(sockit::buffer(buf, sizeof buf)), sockit::TimeoutError);
    }
}

#ifdef __linux__
TEST_CASE("ReceiveOffload is off by default and reads back as set", "[udp][coalesce][options]") {
    sockit_test::FdLeakCheck fds;
    UdpSocket socket("127.0.0.1", 0);
    CHECK_FALSE(socket.get_option<sockit::ReceiveOffload>().value());
    socket.set_option(sockit::ReceiveOffload(true));
    CHECK(socket.get_option<sockit::ReceiveOffload>().value());
    socket.set_option(sockit::ReceiveOffload(false));
    CHECK_FALSE(socket.get_option<sockit::ReceiveOffload>().value());

    SECTION("a TCP socket refuses it, and the error names it") {
        sockit::Socket tcp(sockit::Family::v4, sockit::SocketType::stream);
        try {
            tcp.set_option(sockit::ReceiveOffload(true));
            FAIL("a TCP socket accepted UDP_GRO");
        } catch (const sockit::Error& e) {
            CHECK_THAT(e.what(), sockit_test::contains("UDP_GRO"));
        }
    }
}

TEST_CASE("recv_coalesced with ReceiveOffload takes a run of datagrams in one call", "[udp][coalesce]") {
    sockit_test::FdLeakCheck fds;
    const bool v6 = GENERATE(false, true);
    if (v6 && !sockit_test::has_ipv6()) {
        WARN("IPv6 loopback unavailable: skipped");
        return;
    }
    const char* host = v6 ? "::1" : "127.0.0.1";
    INFO("receiver on " << host);
    UdpSocket receiver(host, 0);
    receiver.set_option(sockit::ReceiveOffload(true));
    receiver.set_timeout(5s);
    UdpSocket sender(host, 0);
    const sockit::Address to(host, receiver.port());
    char buf[65536];

    SECTION("a run arrives whole, each datagram where it was, the short last one too") {
        auto datagrams = numbered(10, 100, 37);
        auto out = buffers(datagrams);
        REQUIRE(sender.send_batch(out.data(), out.size(), to) == out.size());
        CoalescedDatagrams got = receiver.recv_coalesced(sockit::buffer(buf, sizeof buf));
        CHECK(got.size == 937);
        CHECK(got.segment_size == 100);
        REQUIRE(got.count() == 10);
        for (std::size_t i = 0; i < datagrams.size(); ++i) CHECK(got[i] == datagrams[i]);
        CHECK(got.sender == sender.local_address());
    }
    SECTION("many runs of mixed sizes arrive in order, in fewer calls than datagrams") {
        std::vector<std::string> all;
        for (std::size_t size : {64, 1000, 7, 1400, 64}) {
            auto run = numbered(30, size, 0, static_cast<char>('A' + all.size() % 26));
            all.insert(all.end(), run.begin(), run.end());
        }
        all.push_back("single");
        auto out = buffers(all);
        REQUIRE(sender.send_batch(out.data(), out.size(), to) == out.size());
        auto [got, calls] = receive(receiver, all.size(), sender.local_address());
        CHECK(got == all);
        CHECK(calls < all.size() / 4);
    }
    SECTION("datagrams sent one by one are received one by one") {
        auto datagrams = numbered(5, 200);
        for (const auto& d : datagrams) sender.send_to(d, to);
        for (const auto& d : datagrams) {
            CoalescedDatagrams got = receiver.recv_coalesced(sockit::buffer(buf, sizeof buf));
            CHECK(got.count() == 1);
            CHECK(got[0] == d);
        }
    }
    SECTION("two senders' datagrams are never coalesced together") {
        UdpSocket other(host, 0);
        auto mine = numbered(20, 300, 0, 'a');
        auto theirs = numbered(20, 300, 0, 'n');
        auto a = buffers(mine), b = buffers(theirs);
        for (std::size_t i = 0; i < 20; i += 5) {
            REQUIRE(sender.send_batch(a.data() + i, 5, to) == 5);
            REQUIRE(other.send_batch(b.data() + i, 5, to) == 5);
        }
        std::map<std::uint16_t, std::vector<std::string>> by_sender;
        std::size_t total = 0;
        while (total < 40) {
            CoalescedDatagrams got = receiver.recv_coalesced(sockit::buffer(buf, sizeof buf));
            const std::uint16_t port = got.sender.port();
            REQUIRE((port == sender.port() || port == other.port()));
            for (std::string_view d : got) {
                by_sender[port].emplace_back(d);
                ++total;
            }
        }
        CHECK(by_sender[sender.port()] == mine);
        CHECK(by_sender[other.port()] == theirs);
    }
    SECTION("a buffer too small keeps the whole datagrams that fit and sets datagram_truncated") {
        auto datagrams = numbered(10, 100);
        auto out = buffers(datagrams);
        REQUIRE(sender.send_batch(out.data(), out.size(), to) == out.size());
        std::error_code ec;
        CoalescedDatagrams got = receiver.recv_coalesced(sockit::buffer(buf, 250), ec);
        CHECK(ec == Errc::datagram_truncated);
        CHECK(got.size == 200);
        REQUIRE(got.count() == 2);
        CHECK(got[0] == datagrams[0]);
        CHECK(got[1] == datagrams[1]);

        SECTION("and the throwing form names the call, the sender and the buffer") {
            REQUIRE(sender.send_batch(out.data(), out.size(), to) == out.size());
            try {
                receiver.recv_coalesced(sockit::buffer(buf, 50));
                FAIL("no truncation reported");
            } catch (const sockit::Error& e) {
                CHECK(e.code() == Errc::datagram_truncated);
                CHECK_THAT(e.what(), sockit_test::contains("recv_coalesced"));
                CHECK_THAT(e.what(), sockit_test::contains(sender.local_address().to_string()));
                CHECK_THAT(e.what(), sockit_test::contains("buffer of 50 bytes"));
            }
        }
        // The lost datagrams are gone: what comes next is what is sent next.
        receiver.set_timeout(2s);
        sender.send_to("next", to);
        CHECK(receiver.recv_coalesced(sockit::buffer(buf, sizeof buf))[0] == "next");
    }
}
#endif
