// SPDX-License-Identifier: MIT
// What every Poller backend shares: the choice of backend, the readiness bits and the
// ready-handle record.
#pragma once

#include "sockit/detail/platform.hpp"

// The backend: epoll on Linux unless SOCKIT_POLLER_USE_POLL is defined, poll(2) elsewhere.
// Poller, whose members change with the backend, PollEvents, which only Poller makes, and
// Waker are declared in an inline namespace named after it, so that translation units that disagree
// about SOCKIT_POLLER_USE_POLL get distinct classes with distinct mangled names, not two
// different definitions of one class that the linker would merge without a word.
#if defined(__linux__) && !defined(SOCKIT_POLLER_USE_POLL)
#define SOCKIT_DETAIL_POLLER_EPOLL 1
#define SOCKIT_DETAIL_POLLER_ABI poller_epoll
#else
#define SOCKIT_DETAIL_POLLER_ABI poller_poll
#endif

namespace sockit::detail {

/// Readiness and interest bits, as the backends exchange them with Poller.
namespace ready {
inline constexpr unsigned readable = 1;
inline constexpr unsigned writable = 2;
inline constexpr unsigned hangup = 4;
inline constexpr unsigned error = 8;
} // namespace ready

/// One descriptor a backend found ready, with its `ready::` bits.
struct ReadyHandle {
    native_handle_type handle;
    unsigned flags;
};

} // namespace sockit::detail
