// SPDX-License-Identifier: MIT
// Socket: ownership, close-on-exec, the BSD calls over IPv4 and IPv6, options,
// blocking modes and timeouts, shutdown, and retries after EINTR.
#include "support.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace std::chrono_literals;
using sockit::Address;
using sockit::Family;
using sockit::Socket;
using sockit::SocketType;
using sockit_test::contains;
using sockit_test::elapsed;
using sockit_test::FdLeakCheck;
using sockit_test::JoinedThread;

namespace {

bool is_valid_fd(int fd) { return ::fcntl(fd, F_GETFD) != -1; }
bool has_cloexec(int fd) { return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }
bool has_nonblock(int fd) { return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0; }

/// A listening socket on the loopback address of `family`.
Socket listener(Family family = Family::v4) {
    Socket l(family, SocketType::stream);
    l.bind(Address::loopback(family));
    l.listen();
    return l;
}

/// A connected pair of raw sockets: {client, accepted}.
std::pair<Socket, Socket> socket_pair(Family family = Family::v4) {
    Socket l = listener(family);
    Socket c(family, SocketType::stream);
    c.connect(l.local_address());
    return {std::move(c), l.accept().first};
}

std::atomic<int> signals_caught{0};
extern "C" void count_signal(int) { signals_caught.fetch_add(1); }

/// Installs a SIGUSR1 handler without SA_RESTART, so that a blocked call fails with EINTR.
/// Once the constructing thread sleeps in one of the system calls `calls` (the call under
/// test has started waiting in the kernel), sends it SIGUSR1 every 10 ms until stopped, for
/// 10 s at most: a timed call that restarted its timeout on each signal would last that long.
class Interrupter {
public:
    explicit Interrupter(std::vector<long> calls) : target_(::pthread_self()), calls_(std::move(calls)) {
        struct sigaction sa;
        std::memset(&sa, 0, sizeof sa);
        sa.sa_handler = count_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0; // no SA_RESTART
        ::sigaction(SIGUSR1, &sa, &old_);
        signals_caught = 0;
        tid_ = sockit_test::this_thread_id();
        thread_ = std::thread([this] {
            sockit_test::Deadline wait(2000ms);
            while (!stop_ && !wait.expired() && !sockit_test::is_blocked_in(tid_, calls_))
                std::this_thread::sleep_for(1ms);
            if (stop_ || wait.expired()) return; // never blocked: no signal, and blocked() says so
            blocked_ = true;
            sockit_test::Deadline limit(10000ms);
            while (!stop_ && !limit.expired()) {
                ::pthread_kill(target_, SIGUSR1);
                std::this_thread::sleep_for(10ms);
            }
        });
    }
    Interrupter(const Interrupter&) = delete;
    Interrupter& operator=(const Interrupter&) = delete;
    ~Interrupter() {
        stop();
        ::sigaction(SIGUSR1, &old_, nullptr);
    }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    /// Whether the target slept in one of the calls when the first signal was sent.
    bool blocked() const { return blocked_; }
    /// Waits (bounded) until the target has caught at least `n` signals.
    static bool wait_for_signals(int n) {
        sockit_test::Deadline deadline(5000ms);
        while (signals_caught < n && !deadline.expired()) std::this_thread::sleep_for(1ms);
        return signals_caught >= n;
    }

private:
    pthread_t target_;
    std::vector<long> calls_;
    std::atomic<long> tid_{0};
    struct sigaction old_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> blocked_{false};
    std::thread thread_;
};

/// The system calls a timed call waits in (its poll).
const std::vector<long> timed_wait{SYS_poll, SYS_ppoll};

/// Runs `call`, which must fail after a 300 ms timeout, while signals keep interrupting
/// its wait: the call must end at its deadline, 300 ms, one deadline for the whole call.
/// A call that restarted its timeout on each signal would run until the signals stop (10 s).
template <class F>
void check_one_deadline(F&& call) {
    Interrupter interrupt(timed_wait);
    auto took = elapsed(call);
    interrupt.stop();
    CHECK(interrupt.blocked()); // the first signal came while the call waited
    CHECK(signals_caught > 3);
    CHECK(took.count() >= 300);
    CHECK(took.count() < 2300);
}

} // namespace

TEST_CASE("Socket owns its descriptor", "[socket]") {
    FdLeakCheck leaks;
    SECTION("a default socket owns nothing") {
        Socket s;
        CHECK_FALSE(s.is_open());
        CHECK_FALSE(s);
        CHECK(s.fileno() == -1);
        s.close();
        s.close();
    }
    SECTION("move construction and assignment transfer the descriptor") {
        Socket a(Family::v4, SocketType::stream);
        int fd = a.fileno();
        CHECK(is_valid_fd(fd));
        Socket b(std::move(a));
        CHECK_FALSE(a.is_open()); // NOLINT(bugprone-use-after-move): a moved-from socket is defined as closed
        CHECK(a.fileno() == -1);
        CHECK(b.fileno() == fd);
        Socket c(Family::v4, SocketType::datagram);
        int other = c.fileno();
        c = std::move(b);
        CHECK(c.fileno() == fd);
        CHECK_FALSE(is_valid_fd(other)); // the assigned-to socket closed its old descriptor
        b = std::move(c);                // assigning into a moved-from socket
        CHECK(b.fileno() == fd);
        Socket& same = b;
        b = std::move(same); // self-move leaves it intact
        CHECK(b.fileno() == fd);
    }
    SECTION("close is idempotent") {
        Socket s(Family::v4, SocketType::stream);
        int fd = s.fileno();
        s.close();
        CHECK_FALSE(is_valid_fd(fd));
        CHECK_FALSE(s.is_open());
        s.close();
        std::error_code ec;
        s.close(ec);
        CHECK_FALSE(ec);
    }
    SECTION("a moved-from socket never closes a descriptor number that was reused") {
        Socket a(Family::v4, SocketType::stream);
        int fd = a.fileno();
        Socket b(std::move(a));
        b.close();
        Socket reused(Family::v4, SocketType::stream); // the lowest free number (POSIX): `fd` again
        REQUIRE(reused.fileno() == fd);
        a.close();
        { Socket gone(std::move(a)); }
        CHECK(is_valid_fd(reused.fileno()));
    }
    SECTION("release gives the descriptor away; from_fd takes one") {
        Socket s(Family::v4, SocketType::stream);
        int fd = s.release();
        CHECK_FALSE(s.is_open());
        CHECK(is_valid_fd(fd)); // not closed by release or by s's destructor
        Socket adopted = Socket::from_fd(fd);
        CHECK(adopted.fileno() == fd);
        CHECK(adopted.native_handle() == fd);
        CHECK_FALSE(adopted.timeout());
        adopted.close();
        CHECK_FALSE(is_valid_fd(fd));
    }
    SECTION("from_fd reads the blocking mode of the descriptor") {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        Socket adopted = Socket::from_fd(fd);
        CHECK_FALSE(adopted.blocking());
        CHECK(adopted.timeout() == std::chrono::nanoseconds(0));
    }
}

TEST_CASE("descriptors are created close-on-exec", "[socket]") {
    FdLeakCheck leaks;
    Socket created(Family::v4, SocketType::stream);
    CHECK(has_cloexec(created.fileno()));
    Socket udp(Family::v4, SocketType::datagram);
    CHECK(has_cloexec(udp.fileno()));
    auto pair = socket_pair();
    CHECK(has_cloexec(pair.second.fileno())); // from accept
    sockit::TcpServer server("127.0.0.1", 0);
    sockit::TcpClient client("127.0.0.1", server.port());
    CHECK(has_cloexec(client.fileno()));
    CHECK(has_cloexec(server.fileno()));
    CHECK(has_cloexec(server.accept().first.fileno()));
}

TEST_CASE("bind, listen, accept and connect with raw sockets", "[socket]") {
    FdLeakCheck leaks;
    auto run = [](Family family) {
        Socket l(family, SocketType::stream);
        l.bind(Address::loopback(family));
        l.listen(4);
        Address where = l.local_address();
        CHECK(where.family() == family);
        CHECK(where.port() != 0);
        CHECK(where.is_loopback());

        Socket c(family, SocketType::stream);
        c.connect(where);
        auto accepted = l.accept();
        Socket& s = accepted.first;
        CHECK(accepted.second == c.local_address());
        CHECK(s.peer_address() == c.local_address());
        CHECK(c.peer_address() == where);
        CHECK(s.local_address() == where);

        c.send_all("ping");
        char buf[16];
        std::size_t got = 0;
        while (got < 4) {
            std::size_t n = s.recv(buf + got, sizeof buf - got);
            REQUIRE(n > 0);
            got += n;
        }
        CHECK(std::string(buf, got) == "ping");
        CHECK(s.send("pong") == 4);
        CHECK(c.recv(4) == "pong");
    };
    SECTION("IPv4") { run(Family::v4); }
    SECTION("IPv6") {
        if (!sockit_test::has_ipv6()) SOCKIT_SKIP("IPv6 loopback unavailable");
        run(Family::v6);
    }
}

TEST_CASE("connect_ex reports a refused connection without throwing", "[socket]") {
    FdLeakCheck leaks;
    Address nobody("127.0.0.1", sockit_test::free_port());
    Socket c(Family::v4, SocketType::stream);
    std::error_code ec;
    CHECK_NOTHROW(ec = c.connect_ex(nobody));
    CHECK(ec == std::errc::connection_refused);
    Socket d(Family::v4, SocketType::stream);
    d.connect(nobody, ec);
    CHECK(ec == std::errc::connection_refused);

    Socket l = listener();
    Socket ok(Family::v4, SocketType::stream);
    CHECK_FALSE(ok.connect_ex(l.local_address()));
}

TEST_CASE("operations on a closed socket report EBADF", "[socket]") {
    FdLeakCheck leaks;
    Socket s(Family::v4, SocketType::stream);
    s.close();
    std::error_code ec;
    char buf[4];
    CHECK(s.recv(buf, sizeof buf, ec) == 0);
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK(s.send("x", ec) == 0);
    CHECK(ec == std::errc::bad_file_descriptor);
    s.bind(Address::loopback(Family::v4), ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK_THROWS_AS(s.recv(buf, sizeof buf), sockit::Error);
    CHECK_THROWS_WITH(s.bind(Address("127.0.0.1", 0)), contains("bind 127.0.0.1:0"));
    CHECK_THROWS_AS(s.listen(), sockit::Error);
    CHECK_THROWS_AS(s.local_address(), sockit::Error);
}

TEST_CASE("peer_address and local_address on an unconnected socket", "[socket]") {
    FdLeakCheck leaks;
    Socket s(Family::v4, SocketType::stream);
    std::error_code ec;
    Address a = s.peer_address(ec);
    CHECK(ec == std::errc::not_connected);
    CHECK(a.family() == Family::unspecified);
    CHECK_THROWS_AS(s.peer_address(), sockit::Error);
    CHECK(s.local_address().port() == 0);
}

namespace {
/// A user-defined integer option at SOL_SOCKET, without a label.
template <int Name>
struct SocketLevelInt {
    int value = 1;
    static int level() { return SOL_SOCKET; }
    static int name() { return Name; }
    void* data() { return &value; }
    const void* data() const { return &value; }
    static std::size_t size() { return sizeof(int); }
    void resize(std::size_t) {}
};
/// SO_RCVLOWAT, with a label for messages.
struct ReceiveLowWater : SocketLevelInt<SO_RCVLOWAT> {
    static const char* label() { return "SO_RCVLOWAT"; }
};
/// An option the system does not know.
using Bogus = SocketLevelInt<9999>;

/// Sets a boolean option on, then off, reading it back each time.
template <class Option>
void round_trip(Socket& s) {
    INFO(Option::label());
    s.set_option(Option(true));
    CHECK(s.get_option<Option>().value());
    CHECK(static_cast<bool>(s.get_option<Option>()));
    s.set_option(Option(false));
    CHECK_FALSE(s.get_option<Option>().value());
}
} // namespace

TEST_CASE("typed options round-trip", "[socket][options]") {
    FdLeakCheck leaks;
    Socket tcp(Family::v4, SocketType::stream);
    SECTION("boolean options") {
        round_trip<sockit::ReuseAddress>(tcp);
        round_trip<sockit::ReusePort>(tcp);
        round_trip<sockit::NoDelay>(tcp);
        round_trip<sockit::KeepAlive>(tcp);
    }
    SECTION("buffer sizes: what the kernel reports back (Linux: twice the value set)") {
        tcp.set_option(sockit::ReceiveBufferSize(48000)); // not a default of any buffer
        tcp.set_option(sockit::SendBufferSize(32768));
        int rcvbuf = 0, sndbuf = 0;
        socklen_t len = sizeof rcvbuf;
        REQUIRE(::getsockopt(tcp.native_handle(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len) == 0);
        len = sizeof sndbuf;
        REQUIRE(::getsockopt(tcp.native_handle(), SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) == 0);
        CHECK(tcp.get_option<sockit::ReceiveBufferSize>().value() == rcvbuf);
        CHECK(tcp.get_option<sockit::SendBufferSize>().value() == sndbuf);
#ifdef __linux__
        CHECK(rcvbuf == sockit_test::linux_buffer_size(48000, "rmem_max"));
        CHECK(sndbuf == sockit_test::linux_buffer_size(32768, "wmem_max"));
#else
        CHECK(rcvbuf >= 48000);
        CHECK(sndbuf >= 32768);
#endif
    }
    SECTION("linger") {
        CHECK_FALSE(tcp.get_option<sockit::Linger>().enabled());
        tcp.set_option(sockit::Linger(true, std::chrono::seconds(7)));
        auto linger = tcp.get_option<sockit::Linger>();
        CHECK(linger.enabled());
        CHECK(linger.timeout() == std::chrono::seconds(7));
    }
    SECTION("broadcast on UDP") {
        Socket udp(Family::v4, SocketType::datagram);
        CHECK_FALSE(udp.get_option<sockit::Broadcast>().value());
        udp.set_option(sockit::Broadcast(true));
        CHECK(udp.get_option<sockit::Broadcast>().value());
    }
    SECTION("time to live") {
        tcp.set_option(sockit::TimeToLive(42));
        CHECK(tcp.get_option<sockit::TimeToLive>().value() == 42);
    }
    SECTION("keep-alive timing") {
        tcp.set_option(sockit::KeepAliveIdle(30));
        tcp.set_option(sockit::KeepAliveInterval(5));
        tcp.set_option(sockit::KeepAliveCount(4));
        CHECK(tcp.get_option<sockit::KeepAliveIdle>().value() == 30);
        CHECK(tcp.get_option<sockit::KeepAliveInterval>().value() == 5);
        CHECK(tcp.get_option<sockit::KeepAliveCount>().value() == 4);
    }
    SECTION("the raw level/name form") {
        int one = 1;
        tcp.set_option(IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        CHECK(tcp.get_option<sockit::NoDelay>().value());
        int value = 0;
        CHECK(tcp.get_option(IPPROTO_TCP, TCP_NODELAY, &value, sizeof value) == sizeof(int));
        CHECK(value != 0);
        int type = 0;
        tcp.get_option(SOL_SOCKET, SO_TYPE, &type, sizeof type);
        CHECK(type == SOCK_STREAM);
        CHECK_THROWS_WITH(tcp.set_option(SOL_SOCKET, 9999, &one, sizeof one),
                          contains("setsockopt level " + std::to_string(SOL_SOCKET) + " name 9999"));
    }
    SECTION("a user-defined option type") {
        ReceiveLowWater low;
        low.value = 3;
        tcp.set_option(low);
        CHECK(tcp.get_option<ReceiveLowWater>().value == 3);
        std::error_code ec;
        tcp.set_option(Bogus{}, ec);
        CHECK(ec == std::errc::no_protocol_option);
        CHECK_THROWS_WITH(tcp.set_option(Bogus{}), contains("name 9999"));
        CHECK_THROWS_WITH(tcp.get_option<sockit::V6Only>(), contains("getsockopt IPV6_V6ONLY"));
    }
    // Last: a section that skips returns, and Catch2 never reaches the sections after it.
    SECTION("v6-only") {
        if (!sockit_test::has_ipv6()) SOCKIT_SKIP("IPv6 loopback unavailable");
        Socket v6(Family::v6, SocketType::stream);
        v6.set_option(sockit::V6Only(true));
        CHECK(v6.get_option<sockit::V6Only>().value());
        v6.set_option(sockit::V6Only(false));
        CHECK_FALSE(v6.get_option<sockit::V6Only>().value());
    }
}

TEST_CASE("blocking mode and timeouts follow Python's semantics", "[socket][timeout]") {
    FdLeakCheck leaks;
    Socket s(Family::v4, SocketType::stream);
    SECTION("blocking by default") {
        CHECK(s.blocking());
        CHECK_FALSE(s.timeout());
        CHECK_FALSE(has_nonblock(s.fileno()));
    }
    SECTION("zero means non-blocking") {
        s.set_timeout(0s);
        CHECK_FALSE(s.blocking());
        CHECK(s.timeout() == std::chrono::nanoseconds(0));
        CHECK(has_nonblock(s.fileno()));
        s.set_blocking(true);
        CHECK(s.blocking());
        CHECK_FALSE(s.timeout());
        CHECK_FALSE(has_nonblock(s.fileno()));
        s.set_blocking(false);
        CHECK(s.timeout() == std::chrono::nanoseconds(0));
        CHECK(has_nonblock(s.fileno()));
    }
    SECTION("a duration: a non-blocking descriptor and no kernel timeout") {
        auto kernel_timeouts_us = [&] {
            ::timeval rcv{}, snd{};
            socklen_t len = sizeof rcv;
            REQUIRE(::getsockopt(s.fileno(), SOL_SOCKET, SO_RCVTIMEO, &rcv, &len) == 0);
            len = sizeof snd;
            REQUIRE(::getsockopt(s.fileno(), SOL_SOCKET, SO_SNDTIMEO, &snd, &len) == 0);
            return static_cast<long long>(rcv.tv_sec + snd.tv_sec) * 1000000 + rcv.tv_usec + snd.tv_usec;
        };
        s.set_timeout(250ms);
        CHECK(s.blocking());
        CHECK(s.timeout() == std::chrono::nanoseconds(250ms));
        CHECK(has_nonblock(s.fileno())); // accept and connect wait with poll
        CHECK(kernel_timeouts_us() == 0);
        s.set_timeout(std::chrono::duration<double>(0.0015));
        CHECK(s.timeout() == std::chrono::nanoseconds(1500000));
        s.set_timeout(std::chrono::duration<double>(0.1));
        CHECK(s.timeout() == std::chrono::nanoseconds(100ms));
        s.set_timeout(std::chrono::duration<double, std::nano>(0.25));
        CHECK(s.timeout() == std::chrono::nanoseconds(1)); // never rounded down to non-blocking
        CHECK(s.blocking());
        s.set_timeout(0s);
        CHECK(has_nonblock(s.fileno()));
        s.set_timeout(2s);
        CHECK(has_nonblock(s.fileno()));
        s.set_timeout(std::nullopt);
        CHECK_FALSE(s.timeout());
        CHECK_FALSE(has_nonblock(s.fileno()));
        CHECK(kernel_timeouts_us() == 0);
    }
    SECTION("negative is an error and changes nothing") {
        s.set_timeout(100ms);
        std::error_code ec;
        s.set_timeout(-1ms, ec);
        CHECK(ec == sockit::Errc::invalid_argument);
        CHECK(ec == std::errc::invalid_argument);
        CHECK(s.timeout() == std::chrono::nanoseconds(100ms));
        s.set_timeout(std::chrono::duration<double>(std::numeric_limits<double>::quiet_NaN()), ec);
        CHECK(ec == std::errc::invalid_argument);
        CHECK(s.timeout() == std::chrono::nanoseconds(100ms));
        try {
            s.set_timeout(-1s);
            FAIL("no exception");
        } catch (const sockit::Error& e) {
            CHECK(e.code() == std::errc::invalid_argument);
            CHECK(std::string(e.what()) == "set_timeout -1 s (must be zero or more): invalid argument");
        }
    }
}

TEST_CASE("non-blocking recv and accept report would-block", "[socket][timeout]") {
    FdLeakCheck leaks;
    auto pair = socket_pair();
    Socket& s = pair.second;
    s.set_blocking(false);
    char buf[8];
    std::error_code ec;
    CHECK(s.recv(buf, sizeof buf, ec) == 0);
    CHECK(ec == std::errc::operation_would_block);
    CHECK_THROWS_AS(s.recv(buf, sizeof buf), sockit::Error);
    try {
        s.recv(buf, sizeof buf);
    } catch (const sockit::TimeoutError&) {
        FAIL("would-block is not a timeout");
    } catch (const sockit::Error& e) {
        CHECK(e.code() == std::errc::resource_unavailable_try_again);
    }

    Socket l = listener();
    l.set_blocking(false);
    auto none = l.accept(ec);
    CHECK(ec == std::errc::operation_would_block);
    CHECK_FALSE(none.first.is_open());
    CHECK_THROWS_AS(l.accept(), sockit::Error);
}

TEST_CASE("timeouts expire with TimeoutError", "[socket][timeout]") {
    FdLeakCheck leaks;
    SECTION("recv") {
        auto pair = socket_pair();
        pair.second.set_timeout(150ms);
        char buf[8];
        auto took = elapsed([&] {
            try {
                pair.second.recv(buf, sizeof buf);
                FAIL("recv returned");
            } catch (const sockit::TimeoutError& e) {
                CHECK_THAT(e.what(), contains("timed out"));
                CHECK_THAT(e.what(), contains("recv 127.0.0.1:"));
                CHECK(e.code() == std::errc::timed_out);
            }
        });
        CHECK(took.count() >= 150);
        CHECK(took.count() < 2150); // the timeout and 2 s for a loaded machine
    }
    SECTION("accept, after which the listener still works") {
        Socket l = listener();
        l.set_timeout(150ms);
        auto took = elapsed([&] { CHECK_THROWS_AS(l.accept(), sockit::TimeoutError); });
        CHECK(took.count() >= 150);
        CHECK(took.count() < 2150); // the timeout and 2 s for a loaded machine
        CHECK_THROWS_WITH(l.accept(), contains("timed out"));
        Socket c(Family::v4, SocketType::stream);
        c.connect(l.local_address());
        auto accepted = l.accept();
        CHECK(accepted.first.is_open());
        CHECK(accepted.second == c.local_address());
    }
    SECTION("data already there is returned at once") {
        auto pair = socket_pair();
        pair.second.set_timeout(5s);
        pair.first.send_all("x");
        char buf[8];
        auto took = elapsed([&] { CHECK(pair.second.recv(buf, sizeof buf) == 1); });
        CHECK(took.count() < 1000);
    }
}

TEST_CASE("shutdown closes one or both directions", "[socket]") {
    FdLeakCheck leaks;
    auto pair = socket_pair();
    Socket& a = pair.first;
    Socket& b = pair.second;
    char buf[8];
    SECTION("write: the peer reads end of stream, the other direction still works") {
        a.shutdown(sockit::Shutdown::write);
        CHECK(b.recv(buf, sizeof buf) == 0);
        b.send_all("ok");
        CHECK(a.recv(2) == "ok");
        CHECK_THROWS_AS(a.send("x"), sockit::BrokenPipe);
    }
    SECTION("read: local reads see end of stream") {
        a.shutdown(sockit::Shutdown::read);
        CHECK(a.recv(buf, sizeof buf) == 0);
        a.send_all("ok");
        CHECK(b.recv(2) == "ok");
    }
    SECTION("both") {
        a.shutdown(sockit::Shutdown::both);
        CHECK(a.recv(buf, sizeof buf) == 0);
        CHECK(b.recv(buf, sizeof buf) == 0);
        CHECK_THROWS_AS(a.send("x"), sockit::BrokenPipe);
    }
    SECTION("an unconnected socket") {
        Socket lone(Family::v4, SocketType::stream);
        std::error_code ec;
        lone.shutdown(sockit::Shutdown::both, ec);
        CHECK(ec == std::errc::not_connected);
        CHECK_THROWS_AS(lone.shutdown(), sockit::Error);
    }
}

TEST_CASE("shutdown from another thread wakes blocked calls", "[socket]") {
    FdLeakCheck leaks;
    using Clock = std::chrono::steady_clock;
    std::atomic<long> tid{0};
    std::atomic<bool> returned{false};
    Clock::time_point returned_at;
    SECTION("recv") {
        auto pair = socket_pair();
        std::size_t got = 99;
        std::error_code ec;
        JoinedThread t([&] {
            tid = sockit_test::this_thread_id();
            char buf[8];
            got = pair.second.recv(buf, sizeof buf, ec); // the peer stays open and silent
            returned_at = Clock::now();
            returned = true;
        });
        const bool blocked = sockit_test::wait_until_blocked_in(tid, {SYS_recvfrom});
        const bool early = returned;
        const Clock::time_point stop = Clock::now();
        pair.second.shutdown(sockit::Shutdown::both);
        sockit_test::Deadline limit(2000ms);
        while (!returned && !limit.expired()) std::this_thread::sleep_for(1ms);
        if (!returned) pair.first.close(); // not woken: end the test's recv by closing its peer
        t.join();
        CHECK(blocked); // in recvfrom when the shutdown came
        CHECK_FALSE(early);
        CHECK_FALSE(ec);
        CHECK(got == 0); // end of stream: nothing else could end it, the peer is open
        CHECK(returned_at - stop < 2s);
    }
    SECTION("accept") {
        Socket l = listener();
        std::error_code ec;
        bool opened = true;
        JoinedThread t([&] {
            tid = sockit_test::this_thread_id();
            auto accepted = l.accept(ec); // no client ever comes
            opened = accepted.first.is_open();
            returned_at = Clock::now();
            returned = true;
        });
        const bool blocked = sockit_test::wait_until_blocked_in(tid, {SYS_accept4, SYS_accept});
        const bool early = returned;
        const Clock::time_point stop = Clock::now();
        l.shutdown(sockit::Shutdown::both);
        sockit_test::Deadline limit(2000ms);
        while (!returned && !limit.expired()) std::this_thread::sleep_for(1ms);
        Socket client(Family::v4, SocketType::stream);
        if (!returned) client.connect(l.local_address(), ec); // not woken: end the test's accept
        t.join();
        CHECK(blocked); // in accept when the shutdown came
        CHECK_FALSE(early);
        CHECK_FALSE(opened);
        CHECK(ec == std::errc::invalid_argument); // what Linux's accept on a shut-down listener reports
        CHECK(returned_at - stop < 2s);
    }
}

TEST_CASE("interrupted calls are retried within one deadline", "[socket][eintr]") {
    FdLeakCheck leaks;
    SECTION("recv with a timeout times out once, not per signal") {
        auto pair = socket_pair();
        pair.second.set_timeout(300ms);
        char buf[8];
        check_one_deadline([&] { CHECK_THROWS_AS(pair.second.recv(buf, sizeof buf), sockit::TimeoutError); });
    }
    SECTION("blocking recv is not failed by a signal") {
        auto pair = socket_pair();
        Interrupter interrupt({SYS_recvfrom});
        JoinedThread sender([&] {
            Interrupter::wait_for_signals(5);
            pair.first.send_all("late");
        });
        std::string got = pair.second.recv(16);
        interrupt.stop();
        CHECK(interrupt.blocked()); // the signals came while recv slept
        CHECK(got == "late");
        CHECK(signals_caught >= 5);
    }
    SECTION("accept with a timeout") {
        Socket l = listener();
        l.set_timeout(300ms);
        check_one_deadline([&] { CHECK_THROWS_AS(l.accept(), sockit::TimeoutError); });
    }
    SECTION("blocking accept is not failed by a signal") {
        Socket l = listener();
        Socket c(Family::v4, SocketType::stream);
        Interrupter interrupt({SYS_accept4, SYS_accept});
        JoinedThread connector([&] {
            Interrupter::wait_for_signals(5);
            std::error_code ignored;
            c.connect(l.local_address(), ignored);
        });
        auto accepted = l.accept();
        interrupt.stop();
        CHECK(interrupt.blocked());
        CHECK(accepted.first.is_open());
        CHECK(accepted.second == c.local_address()); // the client that came after the signals
        CHECK(signals_caught >= 5);
    }
    SECTION("connect with a timeout") {
        auto full = sockit_test::fill_accept_queue();
        if (!full->full) SOCKIT_SKIP("connects to a full accept queue complete on this system");
        Socket c(Family::v4, SocketType::stream);
        c.set_timeout(300ms);
        std::error_code ec;
        check_one_deadline([&] { c.connect(full->listener.local_address(), ec); });
        CHECK(ec == std::errc::timed_out);
    }
    SECTION("an interrupted blocking connect is finished, not restarted") {
        auto full = sockit_test::fill_accept_queue();
        if (!full->full) SOCKIT_SKIP("connects to a full accept queue complete on this system");
        Socket c(Family::v4, SocketType::stream);
        std::error_code ec;
        // The connect's own bound: its SYN was dropped by the full queue, so it completes
        // with a retransmitted SYN (Linux sends them 1 s, 3 s, 7 s ... after the first); if
        // none gets through within 8 s, shutting the socket down aborts it.
        const int fd = c.native_handle();
        std::atomic<bool> connected{false};
        JoinedThread watchdog([&] {
            sockit_test::Deadline limit(8000ms);
            while (!connected && !limit.expired()) std::this_thread::sleep_for(5ms);
            if (!connected) ::shutdown(fd, SHUT_RDWR);
        });
        Interrupter interrupt({SYS_connect});
        JoinedThread acceptor([&] {
            // Once the connect has been interrupted, accept (bounded) until c's connection
            // is among the accepted: room in the queue lets its next SYN (about 1 s later)
            // complete the connection.
            Interrupter::wait_for_signals(3);
            full->listener.set_timeout(1500ms);
            std::error_code failed;
            while (!failed) {
                auto accepted = full->listener.accept(failed);
                if (!failed && accepted.second == c.local_address()) return;
            }
        });
        auto took = elapsed([&] { c.connect(full->listener.local_address(), ec); });
        connected = true;
        interrupt.stop();
        watchdog.join();
        CHECK(interrupt.blocked()); // the signals came while connect slept
        CHECK_FALSE(ec);            // not EINTR; and on Linux, calling connect again would fail with EALREADY
        CHECK(signals_caught > 3);
        CHECK(took < 8000ms); // within the retransmissions at 1 s and 3 s, with room to spare
        acceptor.join();
        CHECK(c.peer_address() == full->listener.local_address());
    }
    SECTION("send_all with a timeout to a reader that never reads") {
        auto pair = socket_pair();
        pair.first.set_timeout(300ms);
        std::vector<char> big(32u << 20, 'x');
        std::error_code ec;
        std::size_t sent = 0;
        check_one_deadline([&] { sent = pair.first.send_all(big.data(), big.size(), ec); });
        CHECK(ec == std::errc::timed_out);
        CHECK(sent > 0);
        CHECK(sent < big.size());
    }
    SECTION("blocking send_all completes despite signals") {
        auto pair = socket_pair();
        std::vector<char> big(8u << 20);
        for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
        std::vector<char> got;
        Interrupter interrupt({SYS_sendto});
        pair.second.set_timeout(5s); // the reader ends even if the sender fails
        JoinedThread reader([&] {
            Interrupter::wait_for_signals(3);
            std::vector<char> buf(65536);
            std::error_code ec;
            for (;;) {
                std::size_t n = pair.second.recv(buf.data(), buf.size(), ec);
                if (ec || n == 0) break;
                got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
            }
        });
        pair.first.send_all(big.data(), big.size());
        interrupt.stop();
        CHECK(interrupt.blocked()); // the signals came while send slept on a full buffer
        CHECK(signals_caught >= 3);
        pair.first.shutdown(sockit::Shutdown::write);
        reader.join();
        CHECK(got == big);
    }
}

TEST_CASE("interrupted datagram and descriptor-passing calls are retried", "[socket][eintr]") {
    FdLeakCheck leaks;
    char buf[64];
    std::error_code ec;
    sockit::UdpSocket receiver("127.0.0.1", 0);
    sockit::UdpSocket sender("127.0.0.1", 0);
    // Sends "late" to `receiver` once the call under test has been interrupted 3 times.
    auto send_late = [&] {
        Interrupter::wait_for_signals(3);
        sender.send_to("late", receiver.local_address());
    };
    SECTION("blocking recv_from") {
        Interrupter interrupt({SYS_recvfrom});
        sockit::DatagramInfo got{0, {}};
        {
            JoinedThread late(send_late);
            got = receiver.recv_from(buf, sizeof buf);
        }
        interrupt.stop();
        CHECK(interrupt.blocked());
        CHECK(signals_caught >= 3);
        CHECK(std::string(buf, got.size) == "late");
        CHECK(got.sender == sender.local_address());
    }
    SECTION("recv_from with a timeout") {
        receiver.set_timeout(300ms);
        check_one_deadline([&] { receiver.recv_from(buf, sizeof buf, ec); });
        CHECK(ec == std::errc::timed_out);
    }
    SECTION("blocking recv_batch") {
        sockit::DatagramSlot slots[4];
        for (auto& slot : slots) slot.buffer = sockit::buffer(buf, 16);
        Interrupter interrupt({SYS_recvmmsg, SYS_recvfrom});
        std::size_t n = 0;
        {
            JoinedThread late(send_late);
            n = receiver.recv_batch(slots, 4);
        }
        interrupt.stop();
        CHECK(interrupt.blocked());
        CHECK(signals_caught >= 3);
        REQUIRE(n == 1);
        CHECK(std::string(buf, slots[0].size) == "late");
        CHECK(slots[0].sender == sender.local_address());
    }
    SECTION("recv_batch with a timeout") {
        sockit::DatagramSlot slot;
        slot.buffer = sockit::buffer(buf);
        receiver.set_timeout(300ms);
        check_one_deadline([&] { receiver.recv_batch(&slot, 1, ec); });
        CHECK(ec == std::errc::timed_out);
    }
    SECTION("blocking recv_coalesced") {
        Interrupter interrupt({SYS_recvmsg, SYS_recvfrom});
        sockit::CoalescedDatagrams got;
        {
            JoinedThread late(send_late);
            got = receiver.recv_coalesced(sockit::buffer(buf));
        }
        interrupt.stop();
        CHECK(interrupt.blocked());
        CHECK(signals_caught >= 3);
        REQUIRE(got.count() == 1);
        CHECK(got[0] == "late");
        CHECK(got.sender == sender.local_address());
    }
    SECTION("recv_coalesced with a timeout") {
        receiver.set_timeout(300ms);
        check_one_deadline([&] { receiver.recv_coalesced(sockit::buffer(buf), ec); });
        CHECK(ec == std::errc::timed_out);
    }
    SECTION("blocking recv_fds") {
        auto streams = sockit::stream_pair(); // not a structured binding: lambdas capture it
        auto& a = streams.first;
        auto& b = streams.second;
        int pipe_fds[2];
        REQUIRE(::pipe(pipe_fds) == 0);
        sockit::Descriptor read_end(pipe_fds[0]), write_end(pipe_fds[1]);
        Interrupter interrupt({SYS_recvmsg});
        sockit::ReceivedFds got;
        {
            JoinedThread late([&] {
                Interrupter::wait_for_signals(3);
                a.send_fds("f", {read_end.native_handle()});
            });
            got = b.recv_fds(buf, sizeof buf, 4);
        }
        interrupt.stop();
        CHECK(interrupt.blocked());
        CHECK(signals_caught >= 3);
        CHECK(std::string(buf, got.size) == "f");
        REQUIRE(got.fds.size() == 1);
        // The descriptor that came is the pipe's read end: what is written to the pipe is read there.
        REQUIRE(::write(write_end.native_handle(), "p", 1) == 1);
        char p = 0;
        CHECK(::read(got.fds[0].native_handle(), &p, 1) == 1);
        CHECK(p == 'p');
    }
    SECTION("recv_fds with a timeout") {
        auto streams = sockit::stream_pair(); // not a structured binding: a lambda captures it
        auto& b = streams.second;
        b.set_timeout(300ms);
        check_one_deadline([&] { b.recv_fds(buf, sizeof buf, 4, ec); });
        CHECK(ec == std::errc::timed_out);
    }
    SECTION("blocking send_to a Unix-domain datagram socket whose queue is full") {
        // A UDP send_to on loopback does not wait (the datagram leaves the sender's buffer
        // as it is delivered, or is dropped), so a sender that must wait is made with a
        // Unix-domain receiver that reads nothing.
        auto name = sockit::UnixAddress::abstract("sockit-eintr-send-to-" + std::to_string(::getpid()));
        sockit::UnixDatagram full(name);
        auto unix_sender = sockit::UnixDatagram::open();
        unix_sender.set_timeout(std::chrono::nanoseconds(0)); // non-blocking, to fill the queue
        int queued = 0;
        while (queued < 100000 && unix_sender.send_to("fill", name, ec) == 4) ++queued;
        REQUIRE(sockit::detail::is_would_block(ec));
        unix_sender.set_timeout(std::nullopt); // blocking
        Interrupter interrupt({SYS_sendto});
        std::vector<std::string> received;
        {
            JoinedThread reader([&] {
                Interrupter::wait_for_signals(3);
                full.set_timeout(5s);
                std::error_code e;
                for (int i = 0; i <= queued && !e; ++i) {
                    std::size_t n = full.recv(buf, sizeof buf, e);
                    if (!e) received.emplace_back(buf, n);
                }
            });
            unix_sender.send_to("late", name);
        }
        interrupt.stop();
        CHECK(interrupt.blocked());
        CHECK(signals_caught >= 3);
        REQUIRE(received.size() == static_cast<std::size_t>(queued) + 1);
        CHECK(received.back() == "late"); // sent once, after the datagrams queued before it
        CHECK(std::count(received.begin(), received.end(), "late") == 1);
    }
}
