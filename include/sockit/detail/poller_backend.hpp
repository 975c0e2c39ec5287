// SPDX-License-Identifier: MIT
// Chooses Poller's backend: epoll on Linux, poll(2) elsewhere. Defining
// SOCKIT_POLLER_USE_POLL before including sockit selects poll(2) and the self-pipe
// on Linux too (sockit's tests build both).
#pragma once

#include "sockit/detail/poller_common.hpp"

#ifdef SOCKIT_DETAIL_POLLER_EPOLL
#include "sockit/detail/poller_epoll.hpp"
#else
#include "sockit/detail/poller_poll.hpp"
#endif
#include "sockit/detail/poller_waker.hpp"

namespace sockit::detail {
#ifdef SOCKIT_DETAIL_POLLER_EPOLL
using PollerBackend = EpollBackend;
#else
using PollerBackend = PollBackend;
#endif
} // namespace sockit::detail
