// SPDX-License-Identifier: MIT
// What every Poller backend shares: the readiness bits and the ready-handle record.
#pragma once

#include "sockit/detail/platform.hpp"

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
