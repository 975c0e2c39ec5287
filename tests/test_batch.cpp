// SPDX-License-Identifier: MIT
// Scatter/gather on TCP and batched datagrams on UDP.
#include "support.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#ifdef __linux__
#include <dlfcn.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#ifndef UDP_GRO
#define UDP_GRO 104 // Linux 5.0's value, for C libraries whose headers predate it
#endif

// sendmmsg(2), recvmmsg(2) and sendmsg(2), counted per thread (forwarding to the C library,
// as test_poll.cpp does for poll and recv), to see how many datagrams or bytes each call moved.
namespace {
struct CallCounts {
    long calls = 0;
    long short_calls = 0; ///< calls that moved less than they were given (sendmsg)
    long most = 0;        ///< the most datagrams (sendmmsg, recvmmsg) or bytes (sendmsg) one call moved
    long least = -1;      ///< the fewest, among calls that moved something
    void count(long moved, long asked) {
        ++calls;
        if (moved < asked) ++short_calls;
        if (moved > most) most = moved;
        if (moved > 0 && (least < 0 || moved < least)) least = moved;
    }
};
thread_local CallCounts sendmmsg_counts, recvmmsg_counts, sendmsg_counts;

template <class F>
F real_function(const char* name) {
    return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}
} // namespace

extern "C" int sendmmsg(int fd, ::mmsghdr* msgs, unsigned count, int flags) {
    static const auto real = real_function<int (*)(int, ::mmsghdr*, unsigned, int)>("sendmmsg");
    const int n = real(fd, msgs, count, flags);
    const int error = errno;
    if (n >= 0) sendmmsg_counts.count(n, static_cast<long>(count));
    errno = error;
    return n;
}

extern "C" int recvmmsg(int fd, ::mmsghdr* msgs, unsigned count, int flags, ::timespec* timeout) {
    static const auto real = real_function<int (*)(int, ::mmsghdr*, unsigned, int, ::timespec*)>("recvmmsg");
    const int n = real(fd, msgs, count, flags, timeout);
    const int error = errno;
    if (n >= 0) recvmmsg_counts.count(n, static_cast<long>(count));
    errno = error;
    return n;
}

extern "C" ssize_t sendmsg(int fd, const ::msghdr* msg, int flags) {
    static const auto real = real_function<ssize_t (*)(int, const ::msghdr*, int)>("sendmsg");
    const ssize_t n = real(fd, msg, flags);
    const int error = errno;
    long asked = 0;
    for (std::size_t i = 0; i < msg->msg_iovlen; ++i) asked += static_cast<long>(msg->msg_iov[i].iov_len);
    if (n >= 0) sendmsg_counts.count(static_cast<long>(n), asked);
    errno = error;
    return n;
}
#endif

using namespace std::chrono_literals;
using sockit::DatagramSlot;
using sockit::UdpSocket;

TEST_CASE("send_all over several buffers sends them in order without gluing them first", "[tcp][gather]") {
    sockit_test::FdLeakCheck fds;
    auto pair = sockit_test::tcp_pair();
    auto& client = pair.first;
    auto& server = pair.second;
    std::string header = "HEAD:", empty, body(3 * 1024 * 1024, 'x');
    for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
    std::string expected = header + body + "!";
    std::string received;
    // A small send buffer and a timeout: each sendmsg takes what fits (MSG_DONTWAIT), so the
    // buffers go out in many calls, most of them starting inside a buffer.
    client.set_option(sockit::SendBufferSize(64 * 1024));
    server.set_timeout(10s); // the reader ends even if the sender fails
    sockit_test::JoinedThread reader([&] {
        char buf[65536];
        std::error_code ec;
        while (received.size() < expected.size()) {
            std::size_t n = server.recv(buf, sizeof buf, ec);
            if (ec || n == 0) break;
            received.append(buf, n);
        }
    });
    client.set_timeout(10s);
#ifdef __linux__
    sendmsg_counts = {};
#endif
    client.send_all({sockit::buffer(header), sockit::buffer(empty), sockit::buffer(body), sockit::buffer("!")});
#ifdef __linux__
    const CallCounts calls = sendmsg_counts;
#endif
    reader.join();
    CHECK(received.size() == expected.size());
    CHECK(received == expected);
#ifdef __linux__
    INFO(calls.calls << " sendmsg calls, " << calls.short_calls << " partial, " << calls.most << " bytes at most");
    CHECK(calls.short_calls >= 3); // the kernel took the buffers in several calls
    CHECK(calls.most < static_cast<long>(expected.size()));
#endif
}

TEST_CASE("send_all over more buffers than one system call takes", "[tcp][gather]") {
    sockit_test::FdLeakCheck fds;
    auto pair = sockit_test::tcp_pair();
    auto& client = pair.first;
    auto& server = pair.second;
    std::vector<std::string> parts;
    std::string expected;
    for (int i = 0; i < 200; ++i) {
        parts.push_back(std::to_string(i) + ",");
        expected += parts.back();
    }
    std::vector<sockit::ConstBuffer> bufs;
    for (const auto& p : parts) bufs.push_back(sockit::buffer(p));
    std::error_code ec;
    CHECK(client.send_all(bufs.data(), bufs.size(), ec) == expected.size());
    CHECK_FALSE(ec);
    client.shutdown(sockit::Shutdown::write);
    std::string received;
    char buf[4096];
    server.set_timeout(5s);
    while (std::size_t n = server.recv(buf, sizeof buf)) received.append(buf, n);
    CHECK(received == expected);
}

TEST_CASE("recv scatters into several buffers in order", "[tcp][scatter]") {
    sockit_test::FdLeakCheck fds;
    auto pair = sockit_test::tcp_pair();
    auto& client = pair.first;
    auto& server = pair.second;
    client.send_all("0123456789");
    char a[4], b[3], c[10];
    char* parts[] = {a, b, c};
    const std::size_t sizes[] = {sizeof a, sizeof b, sizeof c};
    server.set_timeout(5s);
    std::size_t total = 0;
    while (total < 10) {
        // The buffers' space not yet filled, as a caller resuming after a short read builds it.
        sockit::MutableBuffer rest[3];
        std::size_t count = 0, skip = total;
        for (std::size_t i = 0; i < 3; ++i) {
            if (skip >= sizes[i]) {
                skip -= sizes[i];
                continue;
            }
            rest[count++] = sockit::buffer(parts[i] + skip, sizes[i] - skip);
            skip = 0;
        }
        std::size_t n = server.recv(rest, count);
        REQUIRE(n > 0);
        total += n;
    }
    CHECK(total == 10);
    CHECK(std::string(a, 4) == "0123");
    CHECK(std::string(b, 3) == "456");
    CHECK(std::string(c, 3) == "789");
}

namespace {
// Receives `expected` datagrams with recv_batch (each slot 4 KiB), checks that each came
// whole and from `sender`, and returns their contents in order.
std::vector<std::string> receive_all(UdpSocket& receiver, std::size_t expected, const sockit::Address& sender) {
    std::vector<std::string> storage(64, std::string(4096, '\0'));
    std::vector<DatagramSlot> slots(64);
    for (std::size_t i = 0; i < slots.size(); ++i) slots[i].buffer = sockit::buffer(storage[i]);
    receiver.set_timeout(2s);
    std::vector<std::string> got;
    sockit_test::Deadline deadline(5000ms);
    while (got.size() < expected && !deadline.expired()) {
        std::size_t n = receiver.recv_batch(slots.data(), slots.size());
        REQUIRE(n >= 1);
        REQUIRE(n <= slots.size());
        for (std::size_t i = 0; i < n; ++i) {
            CHECK_FALSE(slots[i].truncated);
            CHECK(slots[i].sender == sender);
            got.emplace_back(storage[i].data(), slots[i].size);
        }
    }
    return got;
}

// Runs of equal sizes (segmented where the kernel can), a shorter last one, runs cut by the
// 64 KiB limit, and odd sizes between them.
std::vector<std::string> mixed_runs() {
    std::vector<std::string> payloads;
    auto add = [&](std::size_t count, std::size_t size) {
        for (std::size_t i = 0; i < count; ++i) {
            std::string p(size, '\0');
            for (std::size_t j = 0; j < size; ++j) p[j] = static_cast<char>('A' + (payloads.size() + j) % 26);
            payloads.push_back(p);
        }
    };
    add(100, 64); // a run longer than one call's 64 datagrams
    add(1, 17);   // ends the previous run as its shorter last datagram
    add(3, 1000); // a short run
    add(1, 5);    // odd sizes, one by one
    add(1, 7);
    add(1, 0);     // an empty datagram never joins a run
    add(40, 3000); // 120,000 bytes: cut into runs of at most 65,507 bytes
    add(2, 1);
    return payloads;
}
} // namespace

TEST_CASE("send_batch and recv_batch move many datagrams per call", "[udp][batch]") {
    sockit_test::FdLeakCheck fds;
    UdpSocket receiver("127.0.0.1", 0);
    receiver.set_option(sockit::ReceiveBufferSize(4 * 1024 * 1024));
    UdpSocket sender(sockit::Family::v4);
    const sockit::Address to("127.0.0.1", receiver.port());

    std::vector<std::string> payloads;
    for (int i = 0; i < 150; ++i)
        payloads.push_back("datagram " + std::to_string(i) + std::string(static_cast<std::size_t>(i), '.'));
    payloads.push_back(""); // a zero-length datagram is a datagram too
    std::vector<sockit::ConstBuffer> out;
    for (const auto& p : payloads) out.push_back(sockit::buffer(p));
#ifdef __linux__
    sendmmsg_counts = {};
    recvmmsg_counts = {};
#endif
    CHECK(sender.send_batch(out.data(), out.size(), to) == out.size());

    std::vector<std::string> got = receive_all(receiver, payloads.size(), sockit::Address("127.0.0.1", sender.port()));
    CHECK(got == payloads); // loopback keeps order and, with a big buffer, loses nothing
#ifdef __linux__
    // Sizes that differ are never segmented: sendmmsg, 64 datagrams a call (64 + 64 + 23).
    CHECK(sendmmsg_counts.calls == 3);
    CHECK(sendmmsg_counts.most == 64);
    CHECK(sendmmsg_counts.least == 23);
    // Loopback delivers each datagram during the send, so all had arrived: recvmmsg filled
    // its 64 slots.
    CHECK(recvmmsg_counts.most == 64);
    CHECK(recvmmsg_counts.calls <= 4);
#endif
}

TEST_CASE("one recv_batch takes every datagram that has arrived; one send_batch sends them in one call",
          "[udp][batch]") {
    sockit_test::FdLeakCheck fds;
    UdpSocket receiver("127.0.0.1", 0);
    receiver.set_timeout(2s);
    UdpSocket sender("127.0.0.1", 0);
    const sockit::Address to("127.0.0.1", receiver.port());
    const std::size_t count = 10;
    std::vector<std::string> payloads;
    for (std::size_t i = 0; i < count; ++i)
        payloads.push_back("#" + std::string(i, '.')); // sizes differ: no segmentation
    std::vector<sockit::ConstBuffer> out;
    for (const auto& p : payloads) out.push_back(sockit::buffer(p));
    std::vector<std::string> storage(16, std::string(64, '\0'));
    std::vector<DatagramSlot> slots(16);
    for (std::size_t i = 0; i < slots.size(); ++i) slots[i].buffer = sockit::buffer(storage[i]);
    auto received = [&](std::size_t n) {
        std::vector<std::string> got;
        for (std::size_t i = 0; i < n; ++i) {
            CHECK(slots[i].sender == sender.local_address());
            got.emplace_back(storage[i].data(), slots[i].size);
        }
        return got;
    };

    SECTION("datagrams sent one by one, received with one call") {
        for (const auto& p : payloads) sender.send_to(p, to); // loopback delivers each during send_to
#ifdef __linux__
        recvmmsg_counts = {};
#endif
        const std::size_t n = receiver.recv_batch(slots.data(), slots.size());
        CHECK(n == count);
        CHECK(received(n) == payloads);
#ifdef __linux__
        CHECK(recvmmsg_counts.calls == 1);
        CHECK(recvmmsg_counts.most == static_cast<long>(count));
#endif
    }
    SECTION("datagrams sent with one call, received one by one") {
#ifdef __linux__
        sendmmsg_counts = {};
#endif
        CHECK(sender.send_batch(out.data(), out.size(), to) == count);
#ifdef __linux__
        CHECK(sendmmsg_counts.calls == 1);
        CHECK(sendmmsg_counts.most == static_cast<long>(count));
#endif
        std::vector<std::string> got;
        char buf[64];
        for (std::size_t i = 0; i < count; ++i) {
            auto d = receiver.recv_from(buf, sizeof buf);
            CHECK(d.sender == sender.local_address());
            got.emplace_back(buf, d.size);
        }
        CHECK(got == payloads); // every one, in order
    }
}

TEST_CASE("recv_batch reports truncation per datagram and honours the timeout", "[udp][batch]") {
    sockit_test::FdLeakCheck fds;
    UdpSocket receiver("127.0.0.1", 0);
    UdpSocket sender(sockit::Family::v4);
    sender.connect(sockit::Address("127.0.0.1", receiver.port()));
    sockit::ConstBuffer two[] = {sockit::buffer("short"), sockit::buffer("much too long for the slot")};
    CHECK(sender.send_batch(two, 2) == 2);

    char a[8], b[8];
    DatagramSlot slots[2];
    slots[0].buffer = sockit::buffer(a);
    slots[1].buffer = sockit::buffer(b);
    receiver.set_timeout(2s);
    std::size_t filled = 0;
    while (filled < 2) {
        std::size_t n = receiver.recv_batch(slots + filled, 2 - filled);
        REQUIRE(n >= 1);
        filled += n;
    }
    CHECK(slots[0].size == 5);
    CHECK_FALSE(slots[0].truncated);
    CHECK(std::string(a, 5) == "short");
    CHECK(slots[1].truncated);
    CHECK(std::string(b, 8) == "much too");

    receiver.set_timeout(50ms);
    std::error_code ec;
    auto took = sockit_test::elapsed([&] { receiver.recv_batch(slots, 2, ec); });
    CHECK(ec == std::errc::timed_out);
    CHECK(took >= 50ms);
    CHECK_THROWS_AS(receiver.recv_batch(slots, 2), sockit::TimeoutError);
}

TEST_CASE("send_batch delivers runs of equal-sized datagrams as separate datagrams, in order", "[udp][batch]") {
    sockit_test::FdLeakCheck fds;
    UdpSocket receiver("127.0.0.1", 0);
    receiver.set_option(sockit::ReceiveBufferSize(4 * 1024 * 1024));
    UdpSocket sender(sockit::Family::v4);
    const auto payloads = mixed_runs();
    std::vector<sockit::ConstBuffer> out;
    for (const auto& p : payloads) out.push_back(sockit::buffer(p));

    SECTION("unconnected") {
        CHECK(sender.send_batch(out.data(), out.size(), sockit::Address("127.0.0.1", receiver.port())) == out.size());
    }
    SECTION("connected") {
        sender.connect(sockit::Address("127.0.0.1", receiver.port()));
        CHECK(sender.send_batch(out.data(), out.size()) == out.size());
    }
    CHECK(receive_all(receiver, payloads.size(), sockit::Address("127.0.0.1", sender.port())) == payloads);
}

TEST_CASE("send_batch delivers runs of equal-sized datagrams over IPv6", "[udp][batch][ipv6]") {
    sockit_test::FdLeakCheck fds;
    if (!sockit_test::has_ipv6()) SOCKIT_SKIP("IPv6 loopback unavailable");
    UdpSocket receiver("::1", 0);
    receiver.set_option(sockit::ReceiveBufferSize(4 * 1024 * 1024));
    UdpSocket sender(sockit::Family::v6);
    const auto payloads = mixed_runs();
    std::vector<sockit::ConstBuffer> out;
    for (const auto& p : payloads) out.push_back(sockit::buffer(p));
    CHECK(sender.send_batch(out.data(), out.size(), sockit::Address("::1", receiver.port())) == out.size());
    CHECK(receive_all(receiver, payloads.size(), sockit::Address("::1", sender.port())) == payloads);
}

#ifdef __linux__
namespace {
// A receiver that asks the kernel to coalesce (UDP_GRO) sees a segmented send as one
// buffer of datagrams and their size; plain datagrams stay single.
struct Coalesced {
    std::size_t bytes = 0;
    std::size_t segment = 0; ///< 0: not coalesced
};
Coalesced recv_coalesced(UdpSocket& receiver) {
    static char data[65536];
    alignas(::cmsghdr) char control[64];
    ::iovec iov{data, sizeof data};
    ::msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(receiver.native_handle(), &msg, 0);
    REQUIRE(n >= 0);
    Coalesced out;
    out.bytes = static_cast<std::size_t>(n);
    for (::cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
            int size = 0;
            std::memcpy(&size, CMSG_DATA(c), sizeof size);
            out.segment = static_cast<std::size_t>(size);
        }
    }
    return out;
}
} // namespace

TEST_CASE("send_batch makes one trip through the stack for a run of equal-sized datagrams", "[udp][batch]") {
    sockit_test::FdLeakCheck fds;
    UdpSocket receiver("127.0.0.1", 0);
    int on = 1;
    if (::setsockopt(receiver.native_handle(), SOL_UDP, UDP_GRO, &on, sizeof on) != 0)
        SOCKIT_SKIP("UDP_GRO unavailable (Linux < 5.0): segmentation not observable");
    receiver.set_timeout(2s);
    UdpSocket sender(sockit::Family::v4);
    const sockit::Address to("127.0.0.1", receiver.port());
    std::string payload(100, 's');
    std::vector<sockit::ConstBuffer> run(8, sockit::buffer(payload));

    SECTION("a run goes out as one segmented send") {
        CHECK(sender.send_batch(run.data(), run.size(), to) == run.size());
        Coalesced got = recv_coalesced(receiver);
        CHECK(got.bytes == 800);
        CHECK(got.segment == 100);
    }
    SECTION("a socket that cannot segment (no UDP checksums) sends the same datagrams one by one") {
        // The kernel refuses segmentation without checksums (EINVAL); send_batch falls back.
        int no_check = 1;
        REQUIRE(::setsockopt(sender.native_handle(), SOL_SOCKET, SO_NO_CHECK, &no_check, sizeof no_check) == 0);
        std::vector<sockit::ConstBuffer> long_run(150, sockit::buffer(payload)); // more than one call's 64
        CHECK(sender.send_batch(long_run.data(), long_run.size(), to) == long_run.size());
        for (std::size_t i = 0; i < long_run.size(); ++i) {
            Coalesced got = recv_coalesced(receiver);
            CHECK(got.bytes == 100);
            CHECK(got.segment == 0);
        }
        SECTION("and does not ask again once refused") {
            no_check = 0; // the kernel would segment now; the socket remembers the refusal
            REQUIRE(::setsockopt(sender.native_handle(), SOL_SOCKET, SO_NO_CHECK, &no_check, sizeof no_check) == 0);
            CHECK(sender.send_batch(run.data(), run.size(), to) == run.size());
            for (std::size_t i = 0; i < run.size(); ++i) CHECK(recv_coalesced(receiver).segment == 0);
        }
    }
    SECTION("runs of fewer than four, and alternating sizes, go out one by one") {
        std::string half(50, 'h');
        std::vector<sockit::ConstBuffer> mixed;
        for (int i = 0; i < 6; ++i) mixed.push_back(sockit::buffer(i % 2 == 0 ? payload : half));
        for (int i = 0; i < 3; ++i) mixed.push_back(sockit::buffer(payload));
        CHECK(sender.send_batch(mixed.data(), mixed.size(), to) == mixed.size());
        for (const auto& d : mixed) {
            Coalesced got = recv_coalesced(receiver);
            CHECK(got.bytes == d.size);
            CHECK(got.segment == 0);
        }
    }
}

TEST_CASE("send_batch on an adopted socket that is not UDP sends every datagram on its own", "[udp][batch]") {
    sockit_test::FdLeakCheck fds;
    auto [a, b] = sockit::datagram_pair(); // Unix-domain datagrams: no segmentation to ask for
    UdpSocket sender(std::move(a.socket()));
    std::string payload(100, 'u');
    std::vector<sockit::ConstBuffer> run(8, sockit::buffer(payload));
    CHECK(sender.send_batch(run.data(), run.size()) == run.size());
    b.set_timeout(2s);
    char buf[2048];
    for (std::size_t i = 0; i < run.size(); ++i) CHECK(b.recv(buf, sizeof buf) == 100);
}
#endif
