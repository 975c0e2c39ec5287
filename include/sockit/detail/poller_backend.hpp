// SPDX-License-Identifier: MIT
// Chooses Poller's backend: epoll on Linux, poll(2) elsewhere. Defining
// SOCKIT_POLLER_USE_POLL before including sockit selects poll(2) and the self-pipe
// on Linux too (sockit's tests build both).
#pragma once

#if defined(__linux__) && !defined(SOCKIT_POLLER_USE_POLL)
#include "sockit/detail/poller_epoll.hpp"
#else
#include "sockit/detail/poller_poll.hpp"
#endif
#include "sockit/detail/poller_waker.hpp"

namespace sockit::detail {
#if defined(__linux__) && !defined(SOCKIT_POLLER_USE_POLL)
using PollerBackend = EpollBackend;
#else
using PollerBackend = PollBackend;
#endif
} // namespace sockit::detail
