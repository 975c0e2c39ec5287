// SPDX-License-Identifier: MIT
// A socket with a timeout costs no extra system call: the kernel enforces the timeout
// (SO_RCVTIMEO/SO_SNDTIMEO), so no call polls, whether the socket is ready or the
// timeout expires. This file interposes poll(2) with a per-thread counter
// (forwarding to the C library's poll) to prove it.
#include "support.hpp"

#include <dlfcn.h>
#include <poll.h>
#include <sys/socket.h>

namespace {
thread_local int polls = 0;
} // namespace

extern "C" int poll(struct pollfd* fds, nfds_t count, int timeout_ms) {
    using Poll = int (*)(struct pollfd*, nfds_t, int);
    static const Poll real = reinterpret_cast<Poll>(::dlsym(RTLD_NEXT, "poll"));
    ++polls;
    return real(fds, count, timeout_ms);
}

using namespace std::chrono_literals;
using sockit_test::FdLeakCheck;

namespace {

/// The number of poll calls `f` makes on this thread.
template <class F>
int polls_in(F&& f) {
    int before = polls;
    f();
    return polls - before;
}

/// Waits (bounded, without poll) until `n` bytes are readable on `s`.
bool wait_readable(sockit::TcpStream& s, std::size_t n) {
    sockit_test::Deadline deadline(2000ms);
    char buf[64];
    while (!deadline.expired()) {
        auto got = ::recv(s.fileno(), buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
        if (got >= static_cast<decltype(got)>(n)) return true;
        std::this_thread::yield();
    }
    return false;
}

} // namespace

TEST_CASE("the poll counter counts", "[poll]") {
    ::pollfd none{-1, 0, 0};
    CHECK(polls_in([&] { ::poll(&none, 1, 0); }) == 1);
}

TEST_CASE("a socket with a timeout does not poll while it waits either", "[poll][timeout]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    pair.second.set_timeout(20ms);
    char buf[8];
    std::error_code ec;
    int n = polls_in([&] { pair.second.recv(buf, sizeof buf, ec); });
    CHECK(ec == std::errc::timed_out);
    CHECK(n == 0);
}

TEST_CASE("a socket with a timeout does not poll when it is ready", "[poll][timeout]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    pair.first.set_timeout(5s);
    pair.second.set_timeout(5s);
    char buf[8];
    SECTION("send and recv") {
        int sends = polls_in([&] {
            pair.first.send("abc");
            pair.first.send_all("def");
        });
        CHECK(sends == 0);
        REQUIRE(wait_readable(pair.second, 6));
        std::size_t got = 0;
        int recvs = polls_in([&] { got = pair.second.recv(buf, sizeof buf); });
        CHECK(recvs == 0);
        CHECK(got == 6);
    }
    SECTION("accept with a connection pending") {
        sockit::TcpServer server("127.0.0.1", 0);
        server.set_timeout(5s);
        sockit::TcpClient client("127.0.0.1", server.port());
        sockit::TcpStream accepted;
        std::error_code ec;
        // The connection is queued once connect returned; accept must find it without waiting.
        int n = polls_in([&] { accepted = server.accept(ec).first; });
        CHECK_FALSE(ec);
        CHECK(accepted.is_open());
        CHECK(n == 0);
    }
    SECTION("UDP send_to and recv_from") {
        sockit::UdpSocket a("127.0.0.1", 0);
        sockit::UdpSocket b("127.0.0.1", 0);
        a.set_timeout(5s);
        b.set_timeout(5s);
        int sends = polls_in([&] { a.send_to("ping", b.local_address()); });
        CHECK(sends == 0);
        // Loopback delivers a datagram during sendto: it is already queued.
        std::size_t size = 0;
        int recvs = polls_in([&] { size = b.recv_from(buf, sizeof buf).size; });
        CHECK(recvs == 0);
        CHECK(size == 4);
    }
}
