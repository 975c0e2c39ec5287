// SPDX-License-Identifier: MIT
// SOCKIT_POLLER_USE_POLL changes Poller's members. Translation units that disagree about
// it get two distinct classes (their mangled names differ), so that one program may hold
// both and each works; they cannot share one definition and corrupt each other's objects.
#include "poller_probe.hpp"

namespace sockit_test {
PollerProbe probe_default_poller() { return run_poller_probe(); }
} // namespace sockit_test

TEST_CASE("Pollers of both backends in one program are distinct classes and each works", "[poller]") {
    sockit_test::FdLeakCheck leaks;
    const sockit_test::PollerProbe ours = sockit_test::probe_default_poller();
    const sockit_test::PollerProbe poll = sockit_test::probe_poll_poller();
    CHECK(ours.failure == "");
    CHECK(poll.failure == "");
    CHECK(poll.backend == "poll");
    INFO("default: " << ours.type_name << " (" << ours.size << " bytes); poll: " << poll.type_name << " (" << poll.size
                     << " bytes)");
#ifdef __linux__
    CHECK(ours.backend == "epoll");
    CHECK(ours.type_name != poll.type_name);
#else
    CHECK(ours.type_name == poll.type_name); // poll(2) is the default backend here
#endif
}
