// SPDX-License-Identifier: MIT
// Poller::wait allocates nothing in steady state, counted by replacing the global
// operator new. In its own executable: one replacement per program.
#include "support.hpp"

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "counting_new.hpp"

using namespace std::chrono_literals;

TEST_CASE("Poller::wait allocates nothing per call in steady state", "[poller][alloc]") {
    sockit_test::FdLeakCheck leaks;
    sockit::Poller poller(4);
    std::vector<std::pair<sockit::TcpStream, sockit::TcpStream>> pairs;
    for (std::uint64_t i = 0; i < 8; ++i) {
        pairs.push_back(sockit_test::tcp_pair());
        pairs.back().first.send_all("ready"); // never read: stays readable
        poller.add(pairs.back().second, sockit::Interest::readable, i);
    }
    std::size_t reported = 0;
    long before = allocations.load();
    for (int i = 0; i < 2000; ++i) {
        if (i % 10 == 0) poller.wake();
        std::error_code ec;
        for (const sockit::PollEvent& ev : poller.wait(1s, ec)) reported += ev.readable ? 1 : 0;
        if (ec) break;
        poller.modify(pairs[static_cast<std::size_t>(i) % pairs.size()].second, sockit::Interest::readable,
                      static_cast<std::uint64_t>(i), ec);
        if (ec) break;
    }
    long during = allocations.load() - before;
    CHECK(during == 0);
    CHECK(reported >= 2000); // every wait saw ready sockets: the loop really polled

    // The counter works: a registration that grows the table allocates.
    before = allocations.load();
    std::vector<int> grow(16);
    CHECK(allocations.load() > before);
}
