// SPDX-License-Identifier: MIT
// The timeout model: an object's timeout() and blocking() say what its next call does,
// whatever path its descriptor took (accept, dup, from_fd), whatever another thread's call
// or a signal does meanwhile (docs/errors-and-timeouts.md, "The timeout model").
#include "support.hpp"

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <mutex>
#include <string>

#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>

using namespace std::chrono_literals;
using sockit_test::elapsed;
using sockit_test::FdLeakCheck;
using sockit_test::JoinedThread;

namespace {

/// Shuts `fd` down for reading after `limit`, unless cancelled first: the bound of a test
/// whose failure would otherwise be a call blocked for ever.
class Watchdog {
public:
    Watchdog(int fd, std::chrono::milliseconds limit)
        : thread_([this, fd, limit] {
              std::unique_lock<std::mutex> lock(mutex_);
              if (!cv_.wait_for(lock, limit, [this] { return cancelled_; })) {
                  fired_ = true;
                  ::shutdown(fd, SHUT_RDWR);
              }
          }) {}
    ~Watchdog() { cancel(); }
    /// Stops the watchdog; true if it had to fire.
    bool cancel() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            cancelled_ = true;
        }
        cv_.notify_all();
        thread_.join();
        return fired_;
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool cancelled_ = false;
    bool fired_ = false;
    JoinedThread thread_;
};

std::atomic<int> signals_seen{0};
void count_usr1(int) { signals_seen.fetch_add(1); }

/// Installs a SIGUSR1 handler, with or without SA_RESTART, for the life of the object.
class SignalHandler {
public:
    explicit SignalHandler(bool restart) {
        struct sigaction sa {};
        sa.sa_handler = count_usr1;
        sa.sa_flags = restart ? SA_RESTART : 0;
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGUSR1, &sa, &old_);
    }
    ~SignalHandler() { ::sigaction(SIGUSR1, &old_, nullptr); }
    SignalHandler(const SignalHandler&) = delete;
    SignalHandler& operator=(const SignalHandler&) = delete;

private:
    struct sigaction old_ {};
};

/// Bytes waiting unread in the receive queue of `fd`.
int unread(int fd) {
    char buf[256];
    auto n = ::recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 ? 0 : static_cast<int>(n);
}

} // namespace

/// Checks that `conn`, accepted by a server with a 200 ms timeout, has none and behaves so:
/// an idle client that speaks after twice the server's timeout is heard.
template <class Stream, class Client>
void check_accepted_waits(Stream& conn, Client& client) {
    CHECK_FALSE(conn.timeout());
    CHECK(conn.blocking());
    JoinedThread late([&] {
        std::this_thread::sleep_for(450ms);
        client.send_all("late");
    });
    Watchdog bound(conn.native_handle(), 5000ms);
    char buf[8];
    std::error_code ec;
    std::size_t n = conn.recv(buf, sizeof buf, ec);
    CHECK_FALSE(bound.cancel());
    CHECK_FALSE(ec);
    CHECK(std::string(buf, n) == "late");
}

TEST_CASE("an accepted stream has no timeout, whatever the server's, and keeps its word", "[timeout][tcp]") {
    FdLeakCheck leaks;
    sockit::TcpServer server("127.0.0.1", 0);
    server.set_timeout(200ms); // the "a timeout and a flag" stop pattern
    sockit::TcpClient client("127.0.0.1", server.port());
    auto accepted = server.accept();
    check_accepted_waits(accepted.first, client);
}

TEST_CASE("an accepted Unix-domain stream has no timeout, whatever the server's", "[timeout][unix]") {
    FdLeakCheck leaks;
    auto name = sockit::UnixAddress::abstract("sockit-accept-timeout-" + std::to_string(::getpid()));
    sockit::UnixServer server(name);
    server.set_timeout(200ms);
    sockit::UnixClient client(name);
    auto accepted = server.accept();
    check_accepted_waits(accepted.first, client);
}

TEST_CASE("a server with a timeout times out its accept with TimeoutError", "[timeout][tcp]") {
    FdLeakCheck leaks;
    sockit::TcpServer server("127.0.0.1", 0);
    server.set_timeout(150ms);
    std::error_code ec;
    auto took = elapsed([&] { server.accept(ec); });
    CHECK(ec == sockit::Errc::timed_out);
    CHECK(took >= 150ms);
    CHECK(took < 3000ms);
}

TEST_CASE("dup copies keep their own timeouts", "[timeout][handles]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    sockit::TcpStream& a = pair.second;
    a.set_timeout(300ms);
    sockit::Socket b = a.socket().dup();
    CHECK(b.timeout() == std::chrono::nanoseconds(300ms));
    char buf[8];

    SECTION("the copy turned non-blocking: the original still waits its timeout") {
        b.set_blocking(false);
        CHECK_FALSE(b.blocking());
        CHECK(a.timeout() == std::chrono::nanoseconds(300ms));
        std::error_code ec;
        auto took = elapsed([&] { a.recv(buf, sizeof buf, ec); });
        CHECK(ec == sockit::Errc::timed_out);
        CHECK(took >= 300ms);
        // and the copy does not wait at all
        b.recv(buf, sizeof buf, ec);
        CHECK(sockit::detail::is_would_block(ec));
    }
    SECTION("the copy made blocking: the original still times out") {
        b.set_timeout(std::nullopt);
        CHECK(a.timeout() == std::chrono::nanoseconds(300ms));
        Watchdog bound(a.native_handle(), 5000ms);
        std::error_code ec;
        auto took = elapsed([&] { a.recv(buf, sizeof buf, ec); });
        CHECK_FALSE(bound.cancel());
        CHECK(ec == sockit::Errc::timed_out);
        CHECK(took >= 300ms);
    }
    SECTION("the original made blocking after the copy got a timeout: the original blocks") {
        a.set_timeout(std::nullopt);
        b.set_timeout(100ms); // the descriptor, shared, is non-blocking now
        JoinedThread late([&] {
            std::this_thread::sleep_for(300ms);
            pair.first.send_all("x");
        });
        Watchdog bound(a.native_handle(), 5000ms);
        std::error_code ec;
        std::size_t n = a.recv(buf, sizeof buf, ec);
        CHECK_FALSE(bound.cancel());
        CHECK_FALSE(ec);
        CHECK(n == 1);
    }
}

TEST_CASE("a kernel timeout set by foreign code does not cut a blocking call short", "[timeout][handles]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    ::timeval tv{0, 100000}; // 100 ms
    REQUIRE(::setsockopt(pair.second.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    sockit::Socket adopted = sockit::Socket::from_fd(pair.second.release());
    CHECK_FALSE(adopted.timeout());
    CHECK(adopted.blocking());
    JoinedThread late([&] {
        std::this_thread::sleep_for(350ms);
        pair.first.send_all("y");
    });
    char buf[4];
    std::error_code ec;
    std::size_t n = adopted.recv(buf, sizeof buf, ec);
    CHECK_FALSE(ec);
    CHECK(n == 1);
}

TEST_CASE("a reader's deadline never shortens a writer's on another thread", "[timeout][tcp][threads]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    sockit::TcpStream& peer = pair.first;
    sockit::TcpStream& s = pair.second;
    s.set_option(sockit::SendBufferSize(16 * 1024));
    peer.set_option(sockit::ReceiveBufferSize(16 * 1024));
    s.set_timeout(2000ms);
    // The reader: recv_exactly of 10 bytes, fed one byte at a time, so it makes many calls
    // within one deadline; it times out about 2 s after it started.
    std::error_code read_ec;
    JoinedThread reader([&] {
        char buf[10];
        s.recv_exactly(buf, sizeof buf, read_ec);
    });
    for (int i = 0; i < 3; ++i) {
        std::this_thread::sleep_for(400ms);
        peer.send_all("r");
    }
    // Fill both buffers, so that the writer's first send waits before it moves a byte.
    // Twice, as what is in flight when the first round stops frees some room.
    std::size_t prefilled = 0;
    char fill[4096] = {};
    for (int round = 0; round < 2; ++round) {
        for (;;) {
            auto n = ::send(s.native_handle(), fill, sizeof fill, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n <= 0) break;
            prefilled += static_cast<std::size_t>(n);
        }
        std::this_thread::sleep_for(50ms);
    }
    REQUIRE(prefilled > 0);
    // 1.2 s in, with 0.8 s left of the reader's deadline: the writer starts, 2 s of its own.
    std::string big(256 * 1024, 'w');
    std::error_code write_ec;
    std::size_t sent = 0;
    auto write_started = std::chrono::steady_clock::now();
    JoinedThread writer([&] { sent = s.send_all(big.data(), big.size(), write_ec); });
    // The peer drains only 1.5 s after the writer began: past the reader's deadline, well
    // within the writer's own.
    std::this_thread::sleep_until(write_started + 1500ms);
    std::string got;
    got.reserve(big.size() + 16);
    char buf[65536];
    peer.set_timeout(5s);
    while (got.size() < prefilled + big.size()) {
        std::error_code ec;
        std::size_t n = peer.recv(buf, sizeof buf, ec);
        if (ec || n == 0) break;
        got.append(buf, n);
    }
    writer.join();
    reader.join();
    CHECK(read_ec == sockit::Errc::timed_out);
    CHECK_FALSE(write_ec);
    CHECK(sent == big.size());
}

TEST_CASE("a timed call makes no setsockopt and no extra call when ready", "[timeout][tcp]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    pair.second.set_timeout(5s);
    pair.first.send_all("abcdefgh");
    sockit_test::Deadline deadline(2000ms);
    while (unread(pair.second.native_handle()) < 8 && !deadline.expired()) std::this_thread::yield();
    // Without SO_RCVTIMEO in the kernel, a descriptor with a timeout reads 0 for both options.
    ::timeval rcv{}, snd{};
    socklen_t len = sizeof rcv;
    REQUIRE(::getsockopt(pair.second.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &rcv, &len) == 0);
    len = sizeof snd;
    REQUIRE(::getsockopt(pair.second.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &snd, &len) == 0);
    CHECK(rcv.tv_sec == 0);
    CHECK(rcv.tv_usec == 0);
    CHECK(snd.tv_sec == 0);
    CHECK(snd.tv_usec == 0);
    char buf[8];
    pair.second.recv_exactly(buf, sizeof buf);
    CHECK(std::string(buf, 8) == "abcdefgh");
}

TEST_CASE("an interrupted Unix-domain connect is never reported as done", "[timeout][unix][eintr]") {
    FdLeakCheck leaks;
    auto name = sockit::UnixAddress::abstract("sockit-eintr-connect-" + std::to_string(::getpid()));
    sockit::UnixBindOptions options;
    options.backlog = 0; // one queued connection fills it
    sockit::UnixServer server(name, options);
    sockit::UnixClient first(name); // queued, never accepted yet: the backlog is full
    const bool restart = GENERATE(false, true);
    const bool with_timeout = GENERATE(false, true);
    CAPTURE(restart, with_timeout);
    SignalHandler handler(restart);
    signals_seen = 0;

    std::atomic<long> tid{0};
    std::atomic<pthread_t> thread{};
    std::error_code connect_ec;
    std::error_code peer_ec;
    std::chrono::milliseconds took{};
    JoinedThread client([&] {
        thread = ::pthread_self();
        tid = sockit_test::this_thread_id();
        took = elapsed([&] {
            auto c = sockit::UnixClient::open(
                name, with_timeout ? std::optional<std::chrono::nanoseconds>(3s) : std::nullopt, connect_ec);
            if (!connect_ec) c.peer_address(peer_ec);
        });
    });
    REQUIRE(sockit_test::wait_until_blocked(tid));
    for (int i = 0; i < 3; ++i) {
        ::pthread_kill(thread.load(), SIGUSR1);
        std::this_thread::sleep_for(50ms);
        REQUIRE(sockit_test::wait_until_blocked(tid)); // back to waiting, not done
    }
    // Room in the backlog: the connect that was interrupted three times now completes.
    auto taken = server.accept();
    client.join();
    CHECK(signals_seen >= 1); // a signal sent while one is pending may be merged with it (ThreadSanitizer defers them)
    CHECK_FALSE(connect_ec);
    CHECK_FALSE(peer_ec); // connected for real: getpeername works
    CHECK(took >= 150ms);
    auto second = server.accept(); // and the server sees it
    CHECK(second.first.is_open());
}

TEST_CASE("an interrupted Unix-domain connect with a timeout times out, not early", "[timeout][unix][eintr]") {
    FdLeakCheck leaks;
    auto name = sockit::UnixAddress::abstract("sockit-eintr-timeout-" + std::to_string(::getpid()));
    sockit::UnixBindOptions options;
    options.backlog = 0;
    sockit::UnixServer server(name, options);
    sockit::UnixClient first(name);
    SignalHandler handler(true);
    signals_seen = 0;
    std::atomic<long> tid{0};
    std::atomic<pthread_t> thread{};
    std::error_code connect_ec;
    std::chrono::milliseconds took{};
    JoinedThread client([&] {
        thread = ::pthread_self();
        tid = sockit_test::this_thread_id();
        took = elapsed([&] { sockit::UnixClient::open(name, std::chrono::nanoseconds(600ms), connect_ec); });
    });
    REQUIRE(sockit_test::wait_until_blocked(tid));
    ::pthread_kill(thread.load(), SIGUSR1);
    client.join();
    CHECK(signals_seen == 1);
    CHECK(connect_ec == sockit::Errc::timed_out);
    CHECK(took >= 600ms);
    CHECK(took < 5000ms);
}

TEST_CASE("a listener's copies keep their own timeouts too", "[timeout][handles]") {
    FdLeakCheck leaks;
    sockit::TcpServer server("127.0.0.1", 0);
    server.set_timeout(200ms);
    sockit::Socket copy = server.socket().dup();
    copy.set_timeout(std::nullopt); // the shared descriptor is blocking again
    Watchdog bound(server.native_handle(), 5000ms);
    std::error_code ec;
    auto took = elapsed([&] { server.accept(ec); });
    CHECK(ec == sockit::Errc::timed_out);
    CHECK(took >= 200ms);
    server.set_blocking(false);
    copy.set_timeout(std::nullopt);
    server.accept(ec);
    CHECK(sockit::detail::is_would_block(ec));
    CHECK_FALSE(bound.cancel());
    // and with a client waiting, each accepts
    sockit::TcpClient client("127.0.0.1", server.port());
    server.set_timeout(2s);
    auto accepted = server.accept(ec);
    CHECK_FALSE(ec);
    CHECK(accepted.first.is_open());
}

TEST_CASE("a timed send to a full Unix-domain datagram receiver waits without spinning", "[timeout][unix]") {
    // poll(2) calls an unconnected Unix-domain datagram socket writable even while the receiver's
    // queue is full, so each wait returns at once and each send would block again.
    sockit_test::FdLeakCheck leaks;
    const auto name = sockit::UnixAddress::abstract("sockit-full-receiver-" + std::to_string(::getpid()));
    sockit::UnixDatagram receiver(name);
    sockit::UnixDatagram sender = sockit::UnixDatagram::open();
    sender.set_blocking(false);
    std::error_code ec;
    int queued = 0;
    while (!ec && queued < 100000) {
        sender.send_to("x", name, ec);
        if (!ec) ++queued;
    }
    REQUIRE(ec == std::errc::resource_unavailable_try_again);
    REQUIRE(queued > 0);

    sender.set_timeout(300ms);
    ::timespec cpu_before{}, cpu_after{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_before);
    auto took = sockit_test::elapsed([&] { sender.send_to("x", name, ec); });
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_after);
    const auto cpu_us = (cpu_after.tv_sec - cpu_before.tv_sec) * 1000000L +
                        (cpu_after.tv_nsec - cpu_before.tv_nsec) / 1000;
    INFO("CPU time " << cpu_us << " us over " << took.count() << " ms");
    CHECK(ec == sockit::Errc::timed_out);
    CHECK(took >= 300ms);
    CHECK(took < 2300ms);
    CHECK(cpu_us < 20000); // a loop of poll and send took 54 ms of CPU in these 300 ms

    // Room again: the send goes through within the timeout.
    char buf[8];
    receiver.recv(buf, sizeof buf);
    sender.send_to("y", name);
}
