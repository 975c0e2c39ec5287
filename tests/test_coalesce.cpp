// SPDX-License-Identifier: MIT
// Coalesced receives: UdpSocket::recv_coalesced, with ReceiveOffload (UDP_GRO) on Linux and
// one datagram per call everywhere else.
#include "support.hpp"

#include <initializer_list>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#ifdef __linux__
#include <netinet/udp.h>
#include <sys/socket.h>

#include <cerrno>
#ifndef UDP_GRO
#define UDP_GRO 104 // Linux 5.0's value, for C libraries whose headers predate it
#endif
#endif

using namespace std::chrono_literals;
using sockit::CoalescedDatagrams;
using sockit::Errc;
using sockit::UdpSocket;

namespace {

/// `count` datagrams of `size` bytes, each filled with its own letter and numbered in its first
/// bytes, so that order and boundaries show; the last one `last_size` bytes long if given.
std::vector<std::string> numbered(std::size_t count, std::size_t size, std::size_t last_size = 0, int first = 'a') {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < count; ++i) {
        std::string d(i + 1 == count && last_size > 0 ? last_size : size,
                      static_cast<char>(first + static_cast<int>(i % 26)));
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

TEST_CASE("CoalescedDatagrams counts and slices the datagrams laid in a buffer", "[udp][coalesce]") {
    const char text[] = "aaaabbbbcccc";
    CoalescedDatagrams d;
    CHECK(d.count() == 0); // nothing received
    CHECK(d.begin() == d.end());
    d.data = text;
    SECTION("an empty datagram is one") {
        CHECK(d.count() == 1);
        CHECK(d[0].empty());
    }
    SECTION("one datagram, no segment size") {
        d.size = 12;
        CHECK(d.count() == 1);
        CHECK(d[0] == "aaaabbbbcccc");
    }
    SECTION("an exact multiple of the segment size") {
        d.size = 12;
        d.segment_size = 4;
        REQUIRE(d.count() == 3);
        CHECK(d[0] == "aaaa");
        CHECK(d[1] == "bbbb");
        CHECK(d[2] == "cccc");
    }
    SECTION("a shorter last datagram") {
        d.size = 10;
        d.segment_size = 4;
        REQUIRE(d.count() == 3);
        CHECK(d[2] == "cc");
        std::vector<std::string> walked;
        auto it = d.begin();
        walked.emplace_back(*it++);
        walked.emplace_back(*it);
        walked.emplace_back(*++it);
        CHECK(++it == d.end());
        CHECK(walked == std::vector<std::string>{"aaaa", "bbbb", "cc"});
    }
    SECTION("less than one segment") {
        d.size = 3;
        d.segment_size = 4;
        CHECK(d.count() == 1);
        CHECK(d[0] == "aaa");
    }
    SECTION("an iterator outlives the result it came from") {
        CoalescedDatagrams::iterator it, end;
        {
            CoalescedDatagrams copy = d;
            copy.size = 8;
            copy.segment_size = 4;
            it = copy.begin();
            end = copy.end();
        }
        CHECK(*it == "aaaa");
        CHECK(*++it == "bbbb");
        CHECK(++it == end);
    }
}

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
        CHECK(got.segment_size == 0);
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
        CHECK(got.segment_size == 0);
        CHECK(got.count() == 1);
        CHECK(got[0] == datagrams[0].substr(0, 40));
        CHECK(got.sender == sender.local_address());
    }
    SECTION("a buffer of no bytes takes nothing of a datagram") {
        sender.send_to(datagrams[1], to);
        std::error_code ec;
        CoalescedDatagrams got = receiver.recv_coalesced(sockit::MutableBuffer{nullptr, 0}, ec);
        CHECK(ec == Errc::datagram_truncated);
        CHECK(got.size == 0);
        CHECK(got.count() == 1);
        CHECK(got[0].empty());
    }
    SECTION("the timeout holds when nothing comes, and the result holds no datagram") {
        receiver.set_timeout(50ms);
        std::error_code ec;
        CoalescedDatagrams got = receiver.recv_coalesced(sockit::buffer(buf, sizeof buf), ec);
        CHECK(ec == Errc::timed_out);
        CHECK(got.count() == 0);
        CHECK(got.begin() == got.end());
        try {
            receiver.recv_coalesced(sockit::buffer(buf, sizeof buf));
            FAIL("no timeout");
        } catch (const sockit::TimeoutError& e) {
            CHECK_THAT(e.what(), sockit_test::contains("recv_coalesced " + receiver.local_address().to_string()));
        }
    }
    SECTION("a connected socket takes its peer's datagrams") {
        UdpSocket connected("127.0.0.1", 0);
        connected.set_timeout(5s);
        connected.connect(sender.local_address());
        sender.send_to(datagrams[2], connected.local_address());
        CoalescedDatagrams got = connected.recv_coalesced(sockit::buffer(buf, sizeof buf));
        CHECK(got.count() == 1);
        CHECK(got[0] == datagrams[2]);
        CHECK(got.sender == sender.local_address());
    }
}

#ifdef __linux__
TEST_CASE("ReceiveOffload is off by default and reads back as set", "[udp][coalesce][options]") {
    sockit_test::FdLeakCheck fds;
    UdpSocket socket("127.0.0.1", 0);
    // Whether the kernel reads UDP_GRO back is asked with getsockopt itself, never through
    // sockit's option (as below).
    int gro = 0;
    ::socklen_t gro_size = sizeof gro;
    if (::getsockopt(socket.native_handle(), SOL_UDP, UDP_GRO, &gro, &gro_size) != 0 && errno == ENOPROTOOPT)
        SOCKIT_SKIP("UDP_GRO cannot be read back before Linux 5.12");
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
            CHECK(e.code() == std::errc::no_protocol_option);
            CHECK_THAT(e.what(), sockit_test::contains("UDP_GRO"));
        }
    }
}

TEST_CASE("recv_coalesced with ReceiveOffload takes a run of datagrams in one call", "[udp][coalesce]") {
    sockit_test::FdLeakCheck fds;
    const bool v6 = GENERATE(false, true);
    if (v6 && !sockit_test::has_ipv6()) SOCKIT_SKIP("IPv6 loopback unavailable");
    const char* host = v6 ? "::1" : "127.0.0.1";
    INFO("receiver on " << host);
    UdpSocket receiver(host, 0);
    // Whether the kernel has UDP_GRO is asked with setsockopt itself, never through sockit's
    // option: a wrong level or name in options.hpp must fail this test, not skip it.
    const int gro_on = 1;
    if (::setsockopt(receiver.native_handle(), SOL_UDP, UDP_GRO, &gro_on, sizeof gro_on) != 0 && errno == ENOPROTOOPT)
        SOCKIT_SKIP("UDP_GRO unavailable (Linux < 5.0)");
    receiver.set_option(sockit::ReceiveOffload(false));
    receiver.set_option(sockit::ReceiveOffload(true));       // sockit's option, which must work where the kernel's does
    receiver.set_option(sockit::ReceiveBufferSize(1 << 20)); // a whole test's datagrams before any is read
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
        for (std::size_t size : std::initializer_list<std::size_t>{64, 1000, 7, 1400, 64}) {
            auto run = numbered(30, size, 0, 'A' + static_cast<int>(all.size() % 26));
            all.insert(all.end(), run.begin(), run.end());
        }
        all.push_back("single");
        auto out = buffers(all);
        REQUIRE(sender.send_batch(out.data(), out.size(), to) == out.size());
        auto [got, calls] = receive(receiver, all.size(), sender.local_address());
        CHECK(got == all);
        CHECK(calls < all.size() / 4);
    }
    SECTION("with timestamps asked for too, the datagrams' size is still found") {
        int on = 1;
        REQUIRE(::setsockopt(receiver.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0);
        auto datagrams = numbered(6, 120);
        auto out = buffers(datagrams);
        REQUIRE(sender.send_batch(out.data(), out.size(), to) == out.size());
        CoalescedDatagrams got = receiver.recv_coalesced(sockit::buffer(buf, sizeof buf));
        CHECK(got.segment_size == 120);
        REQUIRE(got.count() == 6);
        for (std::size_t i = 0; i < datagrams.size(); ++i) CHECK(got[i] == datagrams[i]);
    }
    SECTION("with the option off again, a run comes one datagram per call") {
        receiver.set_option(sockit::ReceiveOffload(false));
        auto datagrams = numbered(6, 120);
        auto out = buffers(datagrams);
        REQUIRE(sender.send_batch(out.data(), out.size(), to) == out.size());
        auto [got, calls] = receive(receiver, datagrams.size(), sender.local_address());
        CHECK(got == datagrams);
        CHECK(calls == datagrams.size());
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
    SECTION("interleaved runs of two senders each come with their own sender, in order") {
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
        auto datagrams = numbered(10, 100, 37);
        auto out = buffers(datagrams);
        struct Case {
            std::size_t buffer, kept;
        };
        for (Case c : {Case{250, 200}, Case{300, 300}, Case{936, 900}, Case{99, 99}}) {
            INFO("a buffer of " << c.buffer << " bytes");
            REQUIRE(sender.send_batch(out.data(), out.size(), to) == out.size());
            std::error_code ec;
            CoalescedDatagrams got = receiver.recv_coalesced(sockit::buffer(buf, c.buffer), ec);
            CHECK(ec == Errc::datagram_truncated);
            CHECK(got.size == c.kept);
            if (c.kept >= 100) {
                CHECK(got.segment_size == 100);
                REQUIRE(got.count() == c.kept / 100);
                for (std::size_t i = 0; i < got.count(); ++i) CHECK(got[i] == datagrams[i]);
            } else { // not even one whole datagram: the start of the first
                CHECK(got.count() == 1);
                CHECK(got[0] == datagrams[0].substr(0, c.kept));
            }
        }

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
