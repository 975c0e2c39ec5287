// SPDX-License-Identifier: MIT
// Faults: clients that connect and never send, send half a message and vanish,
// reset the connection mid-transfer, or are killed with SIGKILL; the server keeps
// serving everyone else. Run against sockit's echo server in this process and
// against the example tcp_chat_server; a UDP flood at the example udp_chat_server.
#include "stress.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace std::chrono_literals;
using sockit::Address;
using stress::EchoClient;
using stress::Process;

namespace {

constexpr int idle_clients = 20;   // slowloris: connect and never send
constexpr int faulty_clients = 20; // of each kind
constexpr std::size_t steady_clients = 8;

/// Well-behaved clients that keep echoing checked messages until stopped.
class SteadyClients {
public:
    SteadyClients(const Address& server, std::size_t count) : done_(count) {
        for (std::size_t i = 0; i < count; ++i) done_[i] = 0;
        for (std::size_t i = 0; i < count; ++i) {
            threads_.emplace_back([this, server, i] {
                try {
                    EchoClient client(server, 77 + i, 16 * 1024);
                    while (!stop_) {
                        std::string wrong = client.round_trip();
                        if (!wrong.empty()) throw std::runtime_error(wrong);
                        ++done_[i];
                    }
                } catch (const std::exception& e) {
                    std::lock_guard<std::mutex> lock(mutex_);
                    errors_.push_back("steady client " + std::to_string(i) + ": " + e.what());
                }
            });
        }
    }
    SteadyClients(const SteadyClients&) = delete;
    SteadyClients& operator=(const SteadyClients&) = delete;
    ~SteadyClients() { stop(); }

    /// True once every client has finished `more` round trips beyond what it had done (at most `limit`).
    bool progress(long more, std::chrono::milliseconds limit) {
        std::vector<long> before;
        for (auto& d : done_) before.push_back(d);
        sockit_test::Deadline deadline(limit);
        for (;;) {
            bool all = true;
            for (std::size_t i = 0; i < done_.size(); ++i) all = all && done_[i] >= before[i] + more;
            if (all) return true;
            if (deadline.expired() || !errors().empty()) return false;
            std::this_thread::sleep_for(5ms);
        }
    }
    void stop() {
        stop_ = true;
        for (auto& t : threads_)
            if (t.joinable()) t.join();
    }
    std::vector<std::string> errors() {
        std::lock_guard<std::mutex> lock(mutex_);
        return errors_;
    }

private:
    std::vector<std::atomic<long>> done_;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::vector<std::string> errors_;
    std::vector<std::thread> threads_;
};

/// Sends a header announcing `length` bytes and only the first half of them.
void send_half_message(sockit::TcpStream& stream, std::uint32_t length) {
    stress::Header header;
    header.length = length;
    std::vector<char> half(length / 2, 'h');
    stream.send_all({sockit::buffer(&header, sizeof header), sockit::buffer(half.data(), half.size())});
}

/// Runs every kind of faulty client against `server` while steady clients keep echoing;
/// returns with `idle` still connected. Checks that the steady clients never stopped.
void inflict_faults(const Address& server, std::vector<sockit::TcpClient>& idle) {
    SteadyClients steady(server, steady_clients);
    REQUIRE(steady.progress(5, 20s));

    for (int i = 0; i < idle_clients; ++i) idle.emplace_back(server);

    for (int i = 0; i < faulty_clients; ++i) { // half a message, then a normal close
        sockit::TcpClient vanishing(server);
        send_half_message(vanishing, 1000);
    }

    for (int i = 0; i < faulty_clients; ++i) { // reset (SO_LINGER 0) in the middle of a message
        EchoClient resetting(server, 500 + static_cast<std::uint64_t>(i), 4096);
        for (int m = 0; m < 3; ++m) REQUIRE(resetting.round_trip().empty());
        send_half_message(resetting.stream(), 40000);
        resetting.stream().set_option(sockit::Linger(true, 0s));
    }

    { // a client process killed with SIGKILL while it sends
        Process sender({SOCKIT_STRESS_SENDER, "127.0.0.1", std::to_string(server.port())});
        REQUIRE(sender.wait_for_output("sending", 10s));
        sender.kill(SIGKILL);
        int status = sender.wait(5s);
        CHECK(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == SIGKILL);
    }

    CHECK(steady.progress(20, 20s)); // everyone else is still served
    EchoClient late(server, 999, 64 * 1024);
    for (int m = 0; m < 10; ++m) CHECK(late.round_trip().empty());
    steady.stop();
    for (const std::string& e : steady.errors()) FAIL_CHECK(e);
}

/// Waits (at most `limit`) until `condition()` holds.
template <class F>
bool eventually(F&& condition, std::chrono::milliseconds limit) {
    sockit_test::Deadline deadline(limit);
    while (!condition()) {
        if (deadline.expired()) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

// A sanitizer's runtime needs descriptors of its own (UndefinedBehaviorSanitizer, say,
// to check a type the first time), which a program out of descriptors cannot give it.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SOCKIT_STRESS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SOCKIT_STRESS_SANITIZED 1
#endif
#endif
#ifndef SOCKIT_STRESS_SANITIZED
#define SOCKIT_STRESS_SANITIZED 0
#endif

// The tests against the example servers exist only where they are built: CMake defines
// SOCKIT_TCP_CHAT_SERVER and SOCKIT_UDP_CHAT_SERVER with SOCKIT_BUILD_EXAMPLES=ON (CI's
// ThreadSanitizer build has them OFF), so they are never compiled, let alone skipped, without.
#ifdef SOCKIT_TCP_CHAT_SERVER
/// The number of bytes waiting in the receive queue of the UDP socket bound to 127.0.0.1:`port`, or -1.
long udp_receive_queue(std::uint16_t port) {
    std::ifstream table("/proc/net/udp");
    std::string line;
    char local[16];
    std::snprintf(local, sizeof local, "0100007F:%04X", port);
    while (std::getline(table, line)) {
        std::istringstream fields(line);
        std::string slot, address, remote, state, queues;
        fields >> slot >> address >> remote >> state >> queues;
        if (address == local) return std::stol(queues.substr(queues.find(':') + 1), nullptr, 16);
    }
    return -1;
}

/// Starts the example server at `path` with --echo (the test fails if it does not start).
/// `wrapper` comes first on the command line (a shell that sets a limit, say).
std::unique_ptr<Process> start_echo_example(const char* path, Address& where,
                                            const std::vector<std::string>& wrapper = {}) {
    std::string why;
    auto server = stress::start_example(path, {"--echo"}, where, why, wrapper);
    if (!server) FAIL(path << " did not start: " << why);
    return server;
}

/// Stops an example server with SIGTERM, as a user would, and checks that it exits cleanly.
void stop_example(Process& server) {
    CHECK(server.running());
    server.kill(SIGTERM);
    int status = server.wait(5s);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
#endif

} // namespace

TEST_CASE("faulty clients do not stop sockit's echo server serving the others", "[stress][faults]") {
    sockit_test::FdLeakCheck leaks;
    stress::EchoServer server;
    {
        std::vector<sockit::TcpClient> idle;
        inflict_faults(server.address(), idle);
        // Every faulty connection has been closed by the server; the idle ones wait.
        CHECK(eventually([&] { return server.stats().open == idle_clients; }, 10s));
        CHECK(server.stats().corrupt == 0);
        CHECK(server.stats().cut_short == faulty_clients); // half messages
        // Resets, and the killed client, whose unread echo makes its end a reset too.
        CHECK(server.stats().failures == faulty_clients + 1);
    }
    CHECK(eventually([&] { return server.stats().open == 0; }, 10s));
    server.stop();
}

#ifdef SOCKIT_TCP_CHAT_SERVER
TEST_CASE("faulty clients do not stop the example tcp_chat_server serving the others", "[stress][faults][examples]") {
    sockit_test::FdLeakCheck leaks;
    Address where;
    auto server = start_echo_example(SOCKIT_TCP_CHAT_SERVER, where);
    const int baseline = stress::open_fds_of(server->pid());
    {
        std::vector<sockit::TcpClient> idle;
        inflict_faults(where, idle);
        CHECK(server->running());
        // The server closes a client's descriptor as the client leaves: connect until the
        // server holds the idle clients and the one just connected, nothing else.
        int now = 0;
        CHECK(eventually(
            [&] {
                sockit::TcpClient last(where);
                last.send_all("x");
                CHECK(last.recv(1) == "x"); // still accepted and served
                now = stress::open_fds_of(server->pid());
                return now == baseline + idle_clients + 1;
            },
            10s));
        INFO("descriptors: " << now << ", expected " << baseline + idle_clients + 1);
        CHECK(now == baseline + idle_clients + 1);
    }
    stop_example(*server);
    CHECK_THAT(server->output(), sockit_test::contains("server stopped"));
}

// Not under a sanitizer (SOCKIT_STRESS_SANITIZED, decided at compile time), whose runtime needs
// descriptors of its own, which this test takes away from the server.
#if !SOCKIT_STRESS_SANITIZED
TEST_CASE("the example tcp_chat_server out of descriptors backs off and recovers", "[stress][faults][examples]") {
    sockit_test::FdLeakCheck leaks;
    Address where;
    const int limit = 8; // RLIMIT_NOFILE: room for a few clients beside stdin, stdout, stderr and the listener
    auto server = start_echo_example(SOCKIT_TCP_CHAT_SERVER, where,
                                     {"/bin/sh", "-c", "ulimit -n " + std::to_string(limit) + " && exec \"$@\"", "sh"});
    const int capacity = limit - stress::open_fds_of(server->pid());
    REQUIRE(capacity > 0);
    auto echoes = [](sockit::TcpClient& client, const char* text) {
        client.send_all(text);
        return client.recv(1) == text;
    };
    std::vector<sockit::TcpClient> held;
    for (int i = 0; i < capacity; ++i) {
        held.emplace_back(where);
        held.back().set_timeout(5s);
        if (!echoes(held.back(), "a")) FAIL("no echo; the server wrote:\n" << server->output());
    }
    std::vector<sockit::TcpClient> waiting; // queued by the system, not accepted: no descriptor left
    for (int i = 0; i < 3; ++i) {
        waiting.emplace_back(where);
        waiting.back().set_timeout(10s);
        waiting.back().send_all("b");
    }
    if (!server->wait_for_output("Too many open files", 5s)) FAIL("no EMFILE; the server wrote:\n" << server->output());
    const long before = stress::cpu_ticks_of(server->pid());
    std::this_thread::sleep_for(1s); // the window in which its CPU time is measured
    const long used = stress::cpu_ticks_of(server->pid()) - before;
    INFO("CPU time out of descriptors: " << used << " ticks of " << ::sysconf(_SC_CLK_TCK) << " in 1 s");
    CHECK(used * 5 < ::sysconf(_SC_CLK_TCK)); // not spinning

    held.clear(); // their descriptors are free again: the waiting clients are served
    for (auto& client : waiting) {
        std::error_code ec;
        char back = 0;
        CHECK(client.recv_exactly(&back, 1, ec) == 1);
        CHECK(back == 'b');
        client.close(); // makes room for the next
    }
    stop_example(*server);
}
#endif // !SOCKIT_STRESS_SANITIZED

TEST_CASE("a UDP flood does not block the example udp_chat_server --echo", "[stress][faults][examples][udp]") {
    sockit_test::FdLeakCheck leaks;
    Address where;
    auto server = start_echo_example(SOCKIT_UDP_CHAT_SERVER, where);

    sockit::UdpSocket probe("127.0.0.1", 0);
    probe.set_timeout(100ms);
    int probes = 0;
    // Sends a probe and waits 100 ms for its echo (UDP may drop either datagram under a flood).
    auto answered = [&] {
        std::string text = "probe " + std::to_string(++probes);
        probe.send_to(text, where);
        char buf[64];
        for (;;) {
            std::error_code ec;
            auto d = probe.recv_from(buf, sizeof buf, ec);
            if (ec) return false;
            if (std::string(buf, d.size) == text) return true;
        }
    };
    REQUIRE(eventually(answered, 5s));

    std::atomic<bool> stop{false};
    std::atomic<long> sent{0};
    std::atomic<long> refused{0};
    int answered_during = 0;
    {
        std::vector<std::unique_ptr<sockit_test::JoinedThread>> flooders;
        for (int t = 0; t < 2; ++t) {
            flooders.push_back(std::make_unique<sockit_test::JoinedThread>([&, t] {
                // Never reads: the server's answers fill this socket's buffer and are dropped.
                sockit::UdpSocket flood("127.0.0.1", 0);
                flood.set_blocking(false);
                stress::Random random(static_cast<std::uint64_t>(t));
                std::vector<char> data(65507, 'f');
                sockit_test::Deadline limit(2s);
                while (!stop && !limit.expired()) {
                    std::error_code ec;
                    std::size_t size = random.next() % 8 == 0 ? data.size() : random.between(0, 1400);
                    flood.send_to(data.data(), size, where, ec);
                    if (!ec)
                        ++sent;
                    else if (ec != std::errc::operation_would_block && ec != std::errc::no_buffer_space)
                        ++refused;
                }
            }));
        }
        flooders.push_back(std::make_unique<sockit_test::JoinedThread>([&] {
            // Senders that vanish at once: the server answers ports where nobody listens.
            for (int i = 0; i < 500 && !stop; ++i) {
                sockit::UdpSocket gone("127.0.0.1", 0);
                gone.send_to("gone", where);
            }
        }));
        sockit_test::Deadline flood_time(2s);
        while (!flood_time.expired()) answered_during += answered() ? 1 : 0;
        stop = true;
    }
    CHECK(refused == 0);
    CHECK(answered_during > 0);
    // It drains the flood and answers again: it never blocked on a full buffer.
    CHECK(eventually([&] { return udp_receive_queue(where.port()) == 0; }, 10s));
    CHECK(eventually(answered, 5s));
    CHECK(server->running());
    std::cout << "udp flood: " << sent << " datagrams in 2 s; " << answered_during << " of " << probes
              << " probes answered\n";
    stop_example(*server);
}
#endif // SOCKIT_TCP_CHAT_SERVER
