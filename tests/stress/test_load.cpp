// SPDX-License-Identifier: MIT
// Load: many concurrent TCP clients against one echo server, every echoed byte
// checked against a checksum, no descriptor leaked, memory bounded.
//
// The numbers by default: 500 clients, 1,000 messages each, of 1 byte to 64 KiB.
// SOCKIT_STRESS_CLIENTS, SOCKIT_STRESS_MESSAGES and SOCKIT_STRESS_MAX_LENGTH change them.
#include "stress.hpp"

#include <iostream>

using stress::env_number;

TEST_CASE("500 concurrent clients, 1,000 checked messages each", "[stress][load]") {
    const auto clients = static_cast<std::size_t>(env_number("SOCKIT_STRESS_CLIENTS", 500));
    const auto messages = static_cast<std::size_t>(env_number("SOCKIT_STRESS_MESSAGES", 1000));
    const auto max_length = static_cast<std::size_t>(
        std::min<long>(env_number("SOCKIT_STRESS_MAX_LENGTH", 65536), static_cast<long>(stress::max_message)));
    const long rss_before = stress::peak_rss_kib();
    sockit_test::FdLeakCheck leaks;

    stress::EchoServer server(static_cast<int>(clients) + 16); // room for every client's SYN at once
    std::mutex mutex;
    std::vector<std::string> failures;
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<std::size_t> connected{0};

    auto start = std::chrono::steady_clock::now();
    {
        std::vector<std::unique_ptr<sockit_test::JoinedThread>> threads;
        for (std::size_t i = 0; i < clients; ++i) {
            threads.push_back(std::make_unique<sockit_test::JoinedThread>([&, i] {
                try {
                    stress::EchoClient client(server.address(), 1000 + i, max_length);
                    ++connected;
                    for (std::size_t m = 0; m < messages; ++m) {
                        std::string wrong = client.round_trip();
                        if (!wrong.empty()) throw std::runtime_error(wrong);
                    }
                    bytes += client.bytes();
                } catch (const std::exception& e) {
                    std::lock_guard<std::mutex> lock(mutex);
                    failures.push_back("client " + std::to_string(i) + ": " + e.what());
                }
            }));
        }
    }
    auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    server.stop();

    const long peak = stress::peak_rss_kib();
    std::cout << "load: " << clients << " clients x " << messages << " messages of 1.." << max_length
              << " bytes: " << bytes / (1u << 20) << " MiB each way in " << took << " s; peak RSS " << peak / 1024
              << " MiB (was " << rss_before / 1024 << " MiB)\n";

    for (const std::string& f : failures) FAIL_CHECK(f);
    CHECK(failures.empty());
    CHECK(connected == clients);
    CHECK(server.stats().messages == static_cast<long>(clients * messages));
    CHECK(static_cast<std::uint64_t>(server.stats().bytes) == bytes);
    CHECK(server.stats().corrupt == 0);
    CHECK(server.stats().failures == 0);
    CHECK(server.stats().cut_short == 0);
    CHECK(server.stats().clean_ends == static_cast<long>(clients));
    CHECK(server.stats().open == 0);
    // Buffers: two of max_length per client and one of 64 KiB per server thread, plus the
    // threads' stacks. Bounded well below what a leak per message would reach.
    CHECK((peak - rss_before) / 1024 < 512);
}
