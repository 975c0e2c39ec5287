// SPDX-License-Identifier: MIT
// Poller and non-blocking use over loopback. Built twice: with the default backend
// (epoll on Linux) and with SOCKIT_POLLER_USE_POLL (poll(2) and a self-pipe).
#include "support.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#ifndef _WIN32
#include <csignal>

#include <signal.h>
#endif

using namespace std::chrono_literals;
using sockit::Interest;
using sockit::PollEvent;
using sockit::Poller;
using sockit_test::contains;
using sockit_test::FdLeakCheck;
using sockit_test::JoinedThread;

namespace {

/// The event of `tag` in `events`, or nullptr.
const PollEvent* find(const sockit::PollEvents& events, std::uint64_t tag) {
    for (const PollEvent& ev : events)
        if (ev.tag == tag) return &ev;
    return nullptr;
}

bool would_block(const std::error_code& ec) {
    return ec == std::errc::operation_would_block || ec == std::errc::resource_unavailable_try_again;
}

} // namespace

TEST_CASE("Poller reports readable sockets with their tags", "[poller]") {
    FdLeakCheck leaks;
    Poller poller;
#ifdef SOCKIT_POLLER_USE_POLL
    CHECK(std::string(Poller::backend()) == "poll");
#elif defined(__linux__)
    CHECK(std::string(Poller::backend()) == "epoll");
#endif
    auto [a, b] = sockit_test::tcp_pair();
    auto [c, d] = sockit_test::tcp_pair();
    poller.add(b, Interest::readable, 11);
    poller.add(d, Interest::readable, 22);
    CHECK(poller.size() == 2);
    CHECK(poller.contains(b.native_handle()));

    SECTION("nothing ready: the timeout expires") {
        auto waited = sockit_test::elapsed([&] { CHECK(poller.wait(50ms).empty()); });
        CHECK(waited >= 50ms);
        CHECK(poller.wait(0ms).empty());
    }
    SECTION("data makes one socket readable, and it stays so until read (level-triggered)") {
        a.send_all("hello");
        for (int round = 0; round < 2; ++round) {
            auto events = poller.wait(2s);
            REQUIRE(events.size() == 1);
            CHECK(events[0].tag == 11);
            CHECK(events[0].handle == b.native_handle());
            CHECK(events[0].readable);
            CHECK_FALSE(events[0].writable);
            CHECK_FALSE(events[0].error);
        }
        char buf[16];
        CHECK(b.recv(buf, sizeof buf) == 5);
        CHECK(poller.wait(0ms).empty());
    }
    SECTION("the peer closing makes the socket readable and recv returns 0") {
        c.close();
        auto events = poller.wait(2s);
        REQUIRE(events.size() == 1);
        CHECK(events[0].tag == 22);
        CHECK(events[0].readable);
        char buf[16];
        CHECK(d.recv(buf, sizeof buf) == 0);
    }
    SECTION("modify changes interest and tag; remove stops the reports") {
        poller.modify(b, Interest::readable | Interest::writable, 33);
        auto events = poller.wait(2s);
        REQUIRE(events.size() == 1);
        CHECK(events[0].tag == 33);
        CHECK(events[0].writable);
        CHECK_FALSE(events[0].readable);
        poller.modify(b, Interest::none, 33);
        CHECK(poller.wait(0ms).empty());
        a.send_all("x");
        poller.remove(b);
        CHECK_FALSE(poller.contains(b.native_handle()));
        CHECK(poller.size() == 1);
        CHECK(poller.wait(0ms).empty());
    }
}

TEST_CASE("Poller rejects bad registrations with clear errors", "[poller]") {
    FdLeakCheck leaks;
    Poller poller;
    auto [a, b] = sockit_test::tcp_pair();
    poller.add(a, Interest::readable, 1);
    std::error_code ec;

    poller.add(a, Interest::readable, 2, ec);
    CHECK(ec == std::errc::file_exists);
    CHECK_THROWS_WITH(poller.add(a, Interest::readable, 2),
                      contains("poller add fd " + std::to_string(a.native_handle()) + " (already registered)"));
    poller.modify(b, Interest::readable, 2, ec);
    CHECK(ec == std::errc::no_such_file_or_directory);
    CHECK_THROWS_WITH(poller.remove(b),
                      contains("poller remove fd " + std::to_string(b.native_handle()) + " (not registered)"));
    poller.add(-1, Interest::readable, 3, ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    poller.wait(-1ms, ec);
    CHECK(ec == std::errc::invalid_argument);
    CHECK_THROWS_AS(poller.wait(-1ms), sockit::Error);
    CHECK(poller.size() == 1);
}

TEST_CASE("Poller survives a socket closed while registered", "[poller]") {
    FdLeakCheck leaks;
    Poller poller;
    auto [a, b] = sockit_test::tcp_pair();
    sockit::Socket::native_handle_type fd = b.native_handle();
    poller.add(b, Interest::readable, 7);
    a.send_all("pending");
    b.close();
    CHECK(poller.wait(20ms).empty()); // no report of the closed descriptor, no error
    CHECK(poller.contains(fd));
    std::error_code ec;
    poller.modify(fd, Interest::readable, 7, ec);
    CHECK(ec); // nothing to modify any more
    poller.remove(fd, ec);
    CHECK_FALSE(ec);
    CHECK_FALSE(poller.contains(fd));

    // The descriptor number is free again: a new socket that gets it registers normally.
    auto [c, d] = sockit_test::tcp_pair();
    poller.add(d, Interest::readable, 8);
    c.send_all("x");
    auto events = poller.wait(2s);
    REQUIRE(events.size() == 1);
    CHECK(events[0].tag == 8);
}

TEST_CASE("Poller::add takes a new socket that got the number of one closed while registered", "[poller]") {
    FdLeakCheck leaks;
    Poller poller;
    sockit::UdpSocket sender("127.0.0.1", 0);
    auto [a, b] = sockit_test::tcp_pair();
    const sockit::Socket::native_handle_type fd = b.native_handle();
    poller.add(b, Interest::readable, 1);
    a.send_all("for the old socket");
    b.close(); // without remove

    SECTION("before any wait") {}
    SECTION("after a wait") { CHECK(poller.wait(20ms).empty()); }
    // POSIX gives each new socket the lowest free number: fd comes back once the lower
    // free ones (left by tcp_pair's listener) are taken.
    std::vector<sockit::UdpSocket> lower;
    sockit::UdpSocket reused("127.0.0.1", 0);
    while (reused.native_handle() != fd && lower.size() < 64) {
        lower.push_back(std::move(reused));
        reused = sockit::UdpSocket("127.0.0.1", 0);
    }
#ifdef _WIN32
    if (reused.native_handle() != fd) return; // Windows need not reuse the handle soon
#endif
    REQUIRE(reused.native_handle() == fd);
    std::error_code ec;
    poller.add(reused, Interest::readable, 2, ec);
#ifdef _WIN32
    if (ec == std::errc::file_exists) { // a handle has no identity to compare (see Poller)
        poller.remove(fd);
        poller.add(reused, Interest::readable, 2, ec);
    }
#endif
    CHECK_FALSE(ec);
    CHECK(poller.size() == 1);
    REQUIRE(poller.contains(fd));
    poller.add(reused, Interest::readable, 3, ec); // the new socket itself is registered now
    CHECK(ec == std::errc::file_exists);

    sender.send_to("x", reused.local_address());
    sockit_test::Deadline deadline(2s);
    std::size_t seen = 0;
    while (seen == 0 && !deadline.expired()) {
        auto events = poller.wait(100ms);
        seen = events.size();
        for (const PollEvent& ev : events) {
            CHECK(ev.tag == 2);
            CHECK(ev.handle == fd);
            CHECK(ev.readable);
        }
    }
    CHECK(seen == 1);
    poller.remove(reused);
    CHECK(poller.size() == 0);
}

TEST_CASE("Poller::remove clears the removed socket's events from the last wait", "[poller]") {
    FdLeakCheck leaks;
    Poller poller;
    auto [a, b] = sockit_test::tcp_pair();
    auto [c, d] = sockit_test::tcp_pair();
    poller.add(b, Interest::readable, 1);
    poller.add(d, Interest::readable, 2);
    a.send_all("x");
    c.send_all("y");
    sockit_test::Deadline deadline(2s);
    std::size_t seen = 0;
    while (seen < 2 && !deadline.expired()) seen = poller.wait(10ms).size();
    REQUIRE(seen == 2);
    auto events = poller.wait(0ms);
    REQUIRE(events.size() == 2);
    poller.remove(d);
    const PollEvent* removed = find(events, 2);
    REQUIRE(removed != nullptr);
    CHECK_FALSE(removed->readable);
    CHECK_FALSE(removed->writable);
    const PollEvent* kept = find(events, 1);
    REQUIRE(kept != nullptr);
    CHECK(kept->readable);
}

TEST_CASE("Poller reports more ready sockets than max_events over several waits", "[poller]") {
    FdLeakCheck leaks;
    Poller poller(2);
    REQUIRE(poller.max_events() == 2);
    std::vector<std::pair<sockit::TcpStream, sockit::TcpStream>> pairs;
    for (std::uint64_t i = 0; i < 6; ++i) {
        pairs.push_back(sockit_test::tcp_pair());
        pairs.back().first.send_all("x");
        poller.add(pairs.back().second, Interest::readable, i);
    }
    std::set<std::uint64_t> seen;
    sockit_test::Deadline deadline(2s);
    while (seen.size() < 6 && !deadline.expired()) {
        auto events = poller.wait(100ms);
        CHECK(events.size() <= poller.max_events());
        for (const PollEvent& ev : events) seen.insert(ev.tag); // still unread: level-triggered
    }
    CHECK(seen.size() == 6);
}

TEST_CASE("Poller::wake interrupts a wait from another thread", "[poller]") {
    FdLeakCheck leaks;
    Poller poller;
    std::atomic<bool> returned{false};
    bool woken = false;
    {
        JoinedThread waiter([&] {
            auto events = poller.wait(10s);
            woken = events.woken() && events.empty();
            returned = true;
        });
        std::this_thread::sleep_for(50ms); // let it block (the wake works either way)
        CHECK_FALSE(returned);
        poller.wake();
        sockit_test::Deadline deadline(2s);
        while (!returned && !deadline.expired()) std::this_thread::yield();
        CHECK(returned);
    }
    CHECK(woken);
    // Several wakes before a wait make one woken wait; the next one times out.
    poller.wake();
    poller.wake();
    CHECK(poller.wait(1s).woken());
    auto later = poller.wait(20ms);
    CHECK_FALSE(later.woken());
}

TEST_CASE("Poller::wait takes the largest timeouts and a wake still ends it", "[poller][timeout]") {
    FdLeakCheck leaks;
    Poller poller;
    // A deadline this far away is clamped, not computed with an overflow.
    poller.wake();
    CHECK(poller.wait(std::chrono::nanoseconds::max()).woken());
    poller.wake();
    CHECK(poller.wait(std::chrono::hours::max()).woken());
    poller.wake();
    std::error_code ec;
    CHECK(poller.wait(std::chrono::seconds::max(), ec).woken());
    CHECK_FALSE(ec);

    std::atomic<bool> returned{false};
    bool woken = false;
    {
        JoinedThread waiter([&] {
            woken = poller.wait(std::chrono::nanoseconds::max()).woken();
            returned = true;
        });
        poller.wake();
        sockit_test::Deadline deadline(2s);
        while (!returned && !deadline.expired()) std::this_thread::yield();
        CHECK(returned);
    }
    CHECK(woken);
}

namespace {

/// More wakes than a pipe's buffer (64 KiB on Linux) or a socket's holds.
constexpr int many_wakes = 1 << 17;

/// A value no system call sets errno to.
constexpr int errno_sentinel = 424242;

} // namespace

TEST_CASE("Poller::wake leaves errno as it was, even when a wake-up is already pending", "[poller]") {
    FdLeakCheck leaks;
    Poller poller;
    int seen = errno_sentinel;
    std::error_code ec;
    for (int i = 0; i < many_wakes && seen == errno_sentinel && !ec; ++i) {
        errno = errno_sentinel;
        poller.wake(ec); // past the first few thousand the pipe (or socket) is full
        seen = errno;
    }
    CHECK(seen == errno_sentinel);
    CHECK_FALSE(ec);
    CHECK(poller.wait(2s).woken());
    CHECK_FALSE(poller.wait(0ms).woken()); // one wait drained them all
}

#ifndef _WIN32
namespace {

std::atomic<const Poller*> signal_poller{nullptr};
std::atomic<bool> signal_wake_failed{false};

extern "C" void wake_from_signal(int) {
    if (const Poller* p = signal_poller.load()) {
        std::error_code ec;
        p->wake(ec);
        if (ec) signal_wake_failed = true;
    }
}

/// Installs `wake_from_signal` for SIGUSR1 aimed at `poller`, and restores the old action.
class WakeOnSignal {
public:
    explicit WakeOnSignal(const Poller& poller) {
        signal_poller = &poller;
        struct sigaction sa {};
        sa.sa_handler = wake_from_signal;
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGUSR1, &sa, &old_);
    }
    WakeOnSignal(const WakeOnSignal&) = delete;
    WakeOnSignal& operator=(const WakeOnSignal&) = delete;
    ~WakeOnSignal() {
        ::sigaction(SIGUSR1, &old_, nullptr);
        signal_poller = nullptr;
    }

private:
    struct sigaction old_ {};
};

} // namespace

TEST_CASE("Poller::wake from a signal handler wakes the wait and leaves errno as it was", "[poller][signal]") {
    FdLeakCheck leaks;
    Poller poller;
    WakeOnSignal on_signal(poller);
    signal_wake_failed = false;

    SECTION("a waiting thread sees the wake") {
        std::atomic<bool> returned{false};
        bool woken = false;
        {
            JoinedThread waiter([&] {
                woken = poller.wait(10s).woken();
                returned = true;
            });
            std::raise(SIGUSR1); // handled on this thread; the waiter may or may not be blocked yet
            sockit_test::Deadline deadline(2s);
            while (!returned && !deadline.expired()) std::this_thread::yield();
            CHECK(returned);
        }
        CHECK(woken);
    }
    SECTION("a handler that wakes a full pipe leaves errno to the code it interrupted") {
        std::error_code ec;
        for (int i = 0; i < many_wakes; ++i) poller.wake(ec); // fill the pipe (or count up the eventfd)
        errno = errno_sentinel;
        std::raise(SIGUSR1);
        CHECK(errno == errno_sentinel);
        CHECK(poller.wait(2s).woken());
    }
    CHECK_FALSE(signal_wake_failed);
}
#endif

TEST_CASE("Poller::open reports through the error code and makes a working poller", "[poller]") {
    FdLeakCheck leaks;
    std::error_code ec;
    Poller poller = Poller::open(8, ec);
    REQUIRE_FALSE(ec);
    CHECK(poller.max_events() == 8);
    CHECK(poller.size() == 0);
    Poller smallest = Poller::open(0, ec); // room for one event at least
    REQUIRE_FALSE(ec);
    CHECK(smallest.max_events() == 1);

    auto [a, b] = sockit_test::tcp_pair();
    poller.add(b, Interest::readable, 9);
    a.send_all("x");
    auto events = poller.wait(2s);
    REQUIRE(events.size() == 1);
    CHECK(events[0].tag == 9);
    poller.wake(ec);
    CHECK_FALSE(ec);
    CHECK(poller.wait(2s).woken());
}

TEST_CASE("Poller::wait(std::nullopt) blocks until wake is called from another thread", "[poller]") {
    FdLeakCheck leaks;
    Poller poller;
    auto [a, b] = sockit_test::tcp_pair();
    poller.add(b, Interest::readable, 1); // registered, never ready
    std::atomic<bool> returned{false};
    bool woken = false;
    std::size_t ready = 1;
    {
        JoinedThread waiter([&] {
            std::error_code ec;
            auto events = poller.wait(std::nullopt, ec);
            woken = events.woken() && !ec;
            ready = events.size();
            returned = true;
        });
        // Whether the waiter is already blocked or not yet waiting, the wake ends its wait.
        std::error_code ec;
        poller.wake(ec);
        CHECK_FALSE(ec);
        sockit_test::Deadline deadline(2s);
        while (!returned && !deadline.expired()) std::this_thread::yield();
        CHECK(returned);
        if (!returned) poller.wake(); // so that the thread can be joined even so
    }
    CHECK(woken);
    CHECK(ready == 0);
}

TEST_CASE("Poller::wake(ec) reports a poller without descriptors", "[poller]") {
    FdLeakCheck leaks;
    Poller poller;
    Poller moved = std::move(poller);
    std::error_code ec;
    moved.wake(ec);
    CHECK_FALSE(ec);
    CHECK(moved.wait(2s).woken());
    poller.wake(ec); // moved from: it owns no waker any more
    CHECK(ec);
    CHECK_THROWS_AS(poller.wake(), sockit::Error);
}

TEST_CASE("PollEvent::hangup: both directions closed, or the connection reset", "[poller]") {
    FdLeakCheck leaks;
    Poller poller;
    auto [a, b] = sockit_test::tcp_pair();
    poller.add(b, Interest::readable, 4);
    char buf[16];
    std::error_code ec;

    /// The first report of tag 4 within 2 s (the flags are copied out of the wait's view).
    auto next_event = [&] {
        sockit_test::Deadline deadline(2s);
        while (!deadline.expired())
            for (const PollEvent& ev : poller.wait(100ms))
                if (ev.tag == 4) return ev;
        return PollEvent{};
    };

#ifndef _WIN32 // WSAPoll reports the peer's orderly close as a hang-up by itself
    SECTION("the peer closing only its direction is no hang-up: readable, end of stream") {
        a.shutdown(sockit::Shutdown::write);
        PollEvent ev = next_event();
        CHECK(ev.readable);
        CHECK_FALSE(ev.hangup);
        CHECK(b.recv(buf, sizeof buf) == 0);
    }
#endif
    SECTION("the peer closed and this side shut down its own direction: hang-up") {
        a.close();
        b.shutdown(sockit::Shutdown::write);
        PollEvent ev = next_event();
        CHECK(ev.hangup);
        CHECK(ev.readable); // recv returns 0 at once
        CHECK(b.recv(buf, sizeof buf) == 0);
    }
    SECTION("the peer reset the connection: hang-up, and recv fails") {
        a.set_option(sockit::Linger(true, 0s)); // close sends a reset
        a.close();
        PollEvent ev = next_event();
        CHECK(ev.hangup);
#ifndef _WIN32 // (wine's recv returns 0 here, where Windows fails with WSAECONNRESET)
        b.recv(buf, sizeof buf, ec);
        CHECK(ec == std::errc::connection_reset);
#endif
    }
}

TEST_CASE("Non-blocking connect completes on writability with pending_error", "[poller][nonblocking]") {
    FdLeakCheck leaks;
    Poller poller;
    sockit::TcpServer server("127.0.0.1", 0);
    sockit::Address to("127.0.0.1", server.port());

    SECTION("to a listening port") {
        sockit::Socket s(sockit::Family::v4, sockit::SocketType::stream);
        s.set_blocking(false);
        std::error_code ec;
        s.connect(to, ec);
        if (ec) {
            CHECK(ec == std::errc::operation_in_progress);
            poller.add(s, Interest::writable, 5);
            auto events = poller.wait(2s);
            REQUIRE(events.size() == 1);
            CHECK(events[0].writable);
            CHECK_FALSE(s.pending_error());
        }
        CHECK(s.peer_address() == to);
        sockit::TcpStream stream(std::move(s));
        CHECK_FALSE(stream.blocking());
        CHECK(stream.send("hi", ec) == 2);
        CHECK_FALSE(ec);
        auto accepted = server.accept();
        char buf[4];
        CHECK(accepted.first.recv(buf, sizeof buf) == 2);

        // Errors on the stream name the address the non-blocking connect went to.
        accepted.first.set_option(sockit::Linger(true, 0s)); // close resets the connection
        accepted.first.close();
        poller.modify(stream, Interest::readable, 5);
        REQUIRE(poller.wait(2s).size() == 1); // the reset arrived
        CHECK_THROWS_WITH(stream.send_all("after the reset"), contains("send_all " + to.to_string()));
    }
    SECTION("to a closed port: refused, through the error code only") {
        sockit::Address closed = to;
        server.close();
        sockit::Socket s(sockit::Family::v4, sockit::SocketType::stream);
        s.set_blocking(false);
        std::error_code ec;
        s.connect(closed, ec);
        if (ec == std::errc::operation_in_progress) {
            poller.add(s, Interest::writable, 5);
            auto events = poller.wait(2s);
            REQUIRE(events.size() == 1);
            CHECK((events[0].writable || events[0].error));
            ec = s.pending_error();
        }
        CHECK(ec == std::errc::connection_refused);
    }
}

TEST_CASE("Non-blocking accept takes every pending connection, then would-block", "[poller][nonblocking]") {
    FdLeakCheck leaks;
    Poller poller;
    sockit::TcpServer server("127.0.0.1", 0, sockit::ServerOptions{64});
    server.set_blocking(false);
    poller.add(server, Interest::readable, 0);
    std::error_code ec;
    auto none = server.accept(ec);
    CHECK(would_block(ec));
    CHECK_FALSE(none.first.is_open());

    std::vector<sockit::TcpClient> clients;
    for (int i = 0; i < 5; ++i) clients.emplace_back("127.0.0.1", server.port());
    std::vector<sockit::TcpStream> accepted;
    sockit_test::Deadline deadline(2s);
    while (accepted.size() < clients.size() && !deadline.expired()) {
        for (const PollEvent& ev : poller.wait(100ms)) {
            REQUIRE(ev.tag == 0);
            for (;;) {
                auto conn = server.accept(ec);
                if (ec) {
                    CHECK(would_block(ec));
                    break;
                }
                CHECK(conn.second.is_loopback());
                accepted.push_back(std::move(conn.first));
            }
        }
    }
    CHECK(accepted.size() == clients.size());
}

TEST_CASE("Partial non-blocking sends: the caller keeps the rest and resumes on writability", "[poller][nonblocking]") {
    FdLeakCheck leaks;
    Poller poller;
    auto [writer, reader] = sockit_test::tcp_pair();
    writer.set_option(sockit::SendBufferSize(16 * 1024));
    writer.set_blocking(false);
    reader.set_blocking(false);
    std::string data(1024 * 1024, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);

    poller.add(writer, Interest::writable, 1);
    poller.add(reader, Interest::readable, 2);
    std::size_t sent = 0;
    std::string received;
    bool saw_would_block = false;
    bool saw_partial = false;
    std::error_code ec;
    char buf[64 * 1024];
    sockit_test::Deadline deadline(20s);
    while (received.size() < data.size() && !deadline.expired()) {
        for (const PollEvent& ev : poller.wait(1s)) {
            if (ev.tag == 1 && ev.writable) {
                std::size_t n = writer.send(data.data() + sent, data.size() - sent, ec);
                if (ec) {
                    REQUIRE(would_block(ec));
                    saw_would_block = true;
                    continue;
                }
                if (n < data.size() - sent) saw_partial = true;
                sent += n;
                if (sent == data.size()) poller.remove(writer);
            } else if (ev.tag == 2 && ev.readable) {
                // Read only a little per round, so that the writer fills its buffer.
                std::size_t n = reader.recv(buf, sizeof buf, ec);
                if (ec) {
                    REQUIRE(would_block(ec));
                    continue;
                }
                REQUIRE(n > 0);
                received.append(buf, n);
            }
        }
    }
    CHECK(sent == data.size());
    CHECK(saw_partial);
    CHECK((saw_partial || saw_would_block));
    CHECK(received == data);
}
