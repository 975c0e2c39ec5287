// SPDX-License-Identifier: MIT
// The poll(2) backend in a program whose other translation units use the default one
// (epoll on Linux): see test_poller_mixed.cpp.
#define SOCKIT_POLLER_USE_POLL 1
#include "poller_probe.hpp"

namespace sockit_test {
PollerProbe probe_poll_poller() { return run_poller_probe(); }
} // namespace sockit_test
