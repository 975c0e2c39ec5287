// SPDX-License-Identifier: MIT
// Shared by test_poller_mixed.cpp (the default Poller backend) and
// test_poller_mixed_poll.cpp (SOCKIT_POLLER_USE_POLL): one program with both.
#pragma once

#include "support.hpp"

#include <chrono>
#include <cstddef>
#include <exception>
#include <string>
#include <typeinfo>

namespace sockit_test {

/// What one translation unit's Poller is, and whether it worked.
struct PollerProbe {
    std::string backend;   ///< Poller::backend()
    std::string type_name; ///< typeid(Poller).name(): the mangled name of the class
    std::size_t size = 0;  ///< sizeof(Poller)
    std::string failure;   ///< empty if the poller did its job
};

/// The default backend's probe (test_poller_mixed.cpp).
PollerProbe probe_default_poller();
/// The poll(2) backend's probe (test_poller_mixed_poll.cpp).
PollerProbe probe_poll_poller();

namespace {

// In an unnamed namespace: each translation unit has its own, made with its own Poller.
inline PollerProbe run_poller_probe() {
    using namespace std::chrono_literals;
    PollerProbe out;
    out.backend = sockit::Poller::backend();
    out.type_name = typeid(sockit::Poller).name();
    out.size = sizeof(sockit::Poller);
    try {
        sockit::Poller poller(4);
        auto [a, b] = tcp_pair();
        poller.add(b, sockit::Interest::readable, 42);
        a.send_all("x");
        auto events = poller.wait(2s);
        if (events.size() != 1 || events[0].tag != 42 || !events[0].readable) out.failure += "no readable event; ";
        poller.wake();
        if (!poller.wait(2s).woken()) out.failure += "no wake-up; ";
        poller.remove(b);
        if (poller.size() != 0) out.failure += "remove left it registered; ";
        sockit::Poller moved = std::move(poller); // the move constructor and both destructors too
        if (moved.max_events() != 4) out.failure += "max_events lost in the move; ";
    } catch (const std::exception& e) {
        out.failure += e.what();
    }
    return out;
}

} // namespace
} // namespace sockit_test
