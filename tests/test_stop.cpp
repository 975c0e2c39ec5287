// SPDX-License-Identifier: MIT
// Stopping blocking code: a TcpServer blocked in accept, its connection threads and
// a TcpClient blocked in recv are woken from another thread with shutdown() and all
// stopped at once (docs/reliability.md, "Stopping a blocking server"): measured under 1 ms,
// checked within 2 s so that a loaded machine cannot fail it, while a call shutdown did not
// wake would wait for a client or data that never come.
#include "support.hpp"

#include <atomic>
#include <fstream>
#include <list>
#include <mutex>
#include <string>

#include <sys/syscall.h>
#include <unistd.h>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using sockit_test::JoinedThread;

using sockit_test::this_thread_id;
using sockit_test::wait_until_blocked;

TEST_CASE("shutdown stops a blocking server and a blocked client at once", "[tcp][stop]") {
    sockit_test::FdLeakCheck leaks;
    sockit::TcpServer server("127.0.0.1", 0);
    std::atomic<bool> stopping{false};
    std::mutex mutex;
    std::list<sockit::TcpStream> connections; // std::list: streams never move while threads use them
    std::list<JoinedThread> connection_threads;
    std::atomic<long> acceptor_tid{0}, connection_tid{0}, client_tid{0};
    std::error_code accept_error;
    Clock::time_point accept_returned, connection_returned, client_returned;

    JoinedThread acceptor([&] {
        for (;;) {
            acceptor_tid = this_thread_id();
            std::error_code ec;
            auto accepted = server.accept(ec);
            if (stopping) { // the documented loop: check the flag first, then the error
                accept_error = ec;
                accept_returned = Clock::now();
                return;
            }
            if (ec) continue;
            std::lock_guard<std::mutex> lock(mutex);
            sockit::TcpStream& stream = connections.emplace_back(std::move(accepted.first));
            connection_threads.emplace_back([&connection_tid, &connection_returned, &conn = stream] {
                connection_tid = this_thread_id();
                char buf[64];
                std::error_code e;
                while (conn.recv(buf, sizeof buf, e) > 0 && !e) {}
                connection_returned = Clock::now();
            });
        }
    });

    sockit::TcpClient client("127.0.0.1", server.port());
    client.set_timeout(30s); // a blocking descriptor with SO_RCVTIMEO: shutdown wakes it all the same
    std::size_t client_got = 99;
    std::error_code client_error;
    JoinedThread reader([&] {
        client_tid = this_thread_id();
        char buf[64];
        client_got = client.recv(buf, sizeof buf, client_error);
        client_returned = Clock::now();
    });
    sockit_test::Deadline limit(2000ms);
    while (connection_tid == 0 && !limit.expired()) std::this_thread::sleep_for(1ms);
    REQUIRE(connection_tid != 0);
    CHECK(wait_until_blocked(acceptor_tid));
    CHECK(wait_until_blocked(connection_tid));
    CHECK(wait_until_blocked(client_tid));

    // The way to stop: set the flag, then shut down (never close) what the threads block on.
    const Clock::time_point stop = Clock::now();
    stopping = true;
    server.shutdown(sockit::Shutdown::both);
    {
        std::lock_guard<std::mutex> lock(mutex);
        for (sockit::TcpStream& s : connections) s.shutdown(sockit::Shutdown::both);
    }
    client.shutdown(sockit::Shutdown::both);
    acceptor.join();
    reader.join();
    connection_threads.clear(); // joins
    const auto all_stopped = Clock::now() - stop;

    CHECK(accept_error == std::errc::invalid_argument); // what accept on a shut-down listener reports
    CHECK(client_got == 0);                             // end of stream, not an error
    CHECK_FALSE(client_error);
    auto ms = [&](Clock::time_point t) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(t - stop).count();
    };
    INFO("accept woke after " << ms(accept_returned) << " ms, the connection's recv after " << ms(connection_returned)
                              << " ms, the client's recv after " << ms(client_returned) << " ms");
    CHECK(ms(accept_returned) < 2000);
    CHECK(ms(connection_returned) < 2000);
    CHECK(ms(client_returned) < 2000);
    CHECK(all_stopped < 2000ms);
}
