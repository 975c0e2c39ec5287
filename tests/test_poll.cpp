// SPDX-License-Identifier: MIT
// What a timeout costs in system calls: a call that need not wait makes exactly the call it
// makes without a timeout (no poll, no setsockopt); one that must wait adds one poll per
// wait, and a blocking socket never polls. This file interposes poll(2), recv(2) and
// setsockopt(2) with per-thread counters (forwarding to the C library) to prove it.
#include "support.hpp"

#include <dlfcn.h>
#include <sys/syscall.h>

#include <cstdarg>
#include <poll.h>
#include <sys/socket.h>

namespace {
thread_local int polls = 0;
thread_local int recv_calls = 0;
thread_local int setsockopts = 0;
} // namespace

extern "C" int poll(struct pollfd* fds, nfds_t count, int timeout_ms) {
    using Poll = int (*)(struct pollfd*, nfds_t, int);
    static const Poll real = reinterpret_cast<Poll>(::dlsym(RTLD_NEXT, "poll"));
    ++polls;
    return real(fds, count, timeout_ms);
}

// Linux's waits before a call are ppoll made through syscall(2) (whose written-back timeout
// says whether it slept): counted as polls too. syscall(2) is variadic, so this reads exactly
// the arguments of the calls this test binary makes through it: ppoll (5) and gettid (none).
extern "C" long syscall(long number, ...) noexcept {
    using Syscall = long (*)(long, ...);
    static const Syscall real = reinterpret_cast<Syscall>(::dlsym(RTLD_NEXT, "syscall"));
    if (number != SYS_ppoll) return real(number);
    ++polls;
    va_list args;
    va_start(args, number);
    long a[5];
    for (long& v : a) v = va_arg(args, long);
    va_end(args);
    return real(number, a[0], a[1], a[2], a[3], a[4]);
}

extern "C" ssize_t recv(int fd, void* data, size_t size, int flags) {
    using Recv = ssize_t (*)(int, void*, size_t, int);
    static const Recv real = reinterpret_cast<Recv>(::dlsym(RTLD_NEXT, "recv"));
    ++recv_calls;
    return real(fd, data, size, flags);
}

extern "C" int setsockopt(int fd, int level, int name, const void* value, socklen_t size) noexcept {
    using SetSockOpt = int (*)(int, int, int, const void*, socklen_t);
    static const SetSockOpt real = reinterpret_cast<SetSockOpt>(::dlsym(RTLD_NEXT, "setsockopt"));
    ++setsockopts;
    return real(fd, level, name, value, size);
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

TEST_CASE("a socket with a timeout polls once per wait, and never sets a kernel timeout", "[poll][timeout]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    pair.second.set_timeout(20ms);
    char buf[8];
    std::error_code ec;
    int sets = setsockopts;
    int calls = recv_calls;
    int n = polls_in([&] { pair.second.recv(buf, sizeof buf, ec); });
    CHECK(ec == std::errc::timed_out);
    CHECK(n >= 1); // one poll, or more if a signal or an early wake-up cut one short
    CHECK(n <= 3);
    CHECK(recv_calls - calls == 1); // the would-block; nothing came, so no second recv
    CHECK(setsockopts == sets);
}

TEST_CASE("a wait that ends in data: recv, poll, recv", "[poll][timeout]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    pair.second.set_timeout(5s);
    sockit_test::JoinedThread late([&] {
        std::this_thread::sleep_for(100ms);
        pair.first.send_all("abcdefgh");
    });
    char buf[8];
    int sets = setsockopts;
    int calls = recv_calls;
    int n = polls_in([&] { pair.second.recv_exactly(buf, sizeof buf); });
    CHECK(n == 1);
    CHECK(recv_calls - calls == 2);
    CHECK(setsockopts == sets);
}

TEST_CASE("after a call that had to wait, the next waits first: poll, recv", "[poll][timeout]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    pair.second.set_timeout(5s);
    char buf[4];
    // Ping-pong: each reply comes a little after it is asked for.
    for (int round = 0; round < 3; ++round) {
        sockit_test::JoinedThread late([&] {
            std::this_thread::sleep_for(50ms);
            pair.first.send_all("pong");
        });
        int calls = recv_calls;
        int n = polls_in([&] { pair.second.recv_exactly(buf, sizeof buf); });
        CAPTURE(round);
        CHECK(n == 1);
        // the first round tries first (recv, poll, recv); later ones wait first (poll, recv)
        CHECK(recv_calls - calls == (round == 0 ? 2 : 1));
    }
    // Data already there: the wait-first finds it at once, and the call after that tries first.
    pair.first.send_all("abcdefgh");
    sockit_test::Deadline deadline(2000ms);
    while (!wait_readable(pair.second, 8) && !deadline.expired()) {}
    CHECK(polls_in([&] { pair.second.recv_exactly(buf, sizeof buf); }) == 1);
    CHECK(polls_in([&] { pair.second.recv_exactly(buf, sizeof buf); }) == 0);
}

TEST_CASE("a blocking socket never polls", "[poll][timeout]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    sockit_test::JoinedThread late([&] {
        std::this_thread::sleep_for(50ms);
        pair.first.send_all("abcd");
    });
    char buf[4];
    int calls = recv_calls;
    int n = polls_in([&] { pair.second.recv_exactly(buf, sizeof buf); });
    CHECK(n == 0);
    CHECK(recv_calls - calls >= 1);
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
