// SPDX-License-Identifier: MIT
// The engine behind every blocking, non-blocking and timed call: one system call, retried
// after EINTR, and after a would-block a wait with poll within the call's own deadline.
// No kernel timeout option (SO_RCVTIMEO, SO_SNDTIMEO) is ever set on a socket, so nothing a
// call does can change what another call, another thread or a `dup` copy will do.
#pragma once

#include <cstdint>
#include <limits>
#include <system_error>

#include "sockit/detail/ops.hpp"
#include "sockit/detail/saturate.hpp"
#include "sockit/error.hpp"

namespace sockit::detail {

/// What a call waits for when it has to wait.
enum class Direction : short {
    in = ops::poll_in,  ///< data or a connection to accept
    out = ops::poll_out ///< room to send, or a connect that finished
};

// By condition, not errno value, so that Winsock's codes match too.
inline bool is_interrupted(const std::error_code& ec) noexcept { return ec == std::errc::interrupted; }
inline bool is_in_progress(const std::error_code& ec) noexcept { return ec == std::errc::operation_in_progress; }

/**
 * One call's deadline. It starts the first time the call has to wait, so a call that never
 * waits never reads the clock; from then on every wait of the call (after a short read, a
 * partial send, a signal) shares it, so the whole call waits no longer than its timeout.
 */
class Deadline {
public:
    /// True once the deadline has started.
    bool started() const noexcept { return started_; }
    /// What the first wait may use: the whole timeout, or what a wait before the call's first
    /// system call left of it.
    std::int64_t budget(std::int64_t timeout_ns) const noexcept { return budget_ns_ >= 0 ? budget_ns_ : timeout_ns; }
    /// Makes the deadline, once it starts, `budget_ns` from then (a first wait used the rest).
    void set_budget(std::int64_t budget_ns) noexcept { budget_ns_ = budget_ns; }

    /// The nanoseconds left of a deadline `timeout_ns` long (starting it now if it has not
    /// started); 0 once it has passed.
    std::int64_t left(std::int64_t timeout_ns) noexcept {
        std::int64_t now = ops::monotonic_now_ns();
        if (!started_) {
            started_ = true;
            at_ns_ = saturating_add(now, budget(timeout_ns));
        }
        return at_ns_ > now ? at_ns_ - now : 0;
    }

private:
    bool started_ = false;
    std::int64_t at_ns_ = 0;
    std::int64_t budget_ns_ = -1;
};

/// The flags that make one call behave as a socket with `timeout_ns` should: none when
/// blocking (`timeout_ns` < 0, the raw call), MSG_DONTWAIT otherwise.
constexpr int call_flags(std::int64_t timeout_ns) noexcept { return timeout_ns < 0 ? 0 : ops::msg_dontwait; }

/**
 * Waits until `fd` is ready in `direction`: forever if `timeout_ns` < 0, else within
 * `deadline`. Returns true when the call should be tried again; false with `ec` set to
 * `Errc::timed_out` or poll's error. An interrupted poll waits again for what is left.
 */
inline bool wait_ready(native_handle_type fd, Direction direction, std::int64_t timeout_ns, Deadline& deadline,
                       std::error_code& ec) noexcept {
    for (;;) {
        int wait_ms = -1;
        if (timeout_ns >= 0) {
            std::int64_t left = deadline.left(timeout_ns);
            if (left == 0) {
                ec = make_error_code(Errc::timed_out);
                return false;
            }
            std::int64_t ms = left / 1000000 + (left % 1000000 != 0 ? 1 : 0); // up: never wake early
            wait_ms = ms > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max() : static_cast<int>(ms);
        }
        short revents = ops::poll_one(fd, static_cast<short>(direction), wait_ms, ec);
        if (ec) {
            if (is_interrupted(ec)) continue;
            return false;
        }
        if (revents != 0) return true; // ready, or an error or hang-up the call will report
    }
}

/**
 * The wait before a call that has no per-call MSG_DONTWAIT and whose descriptor may block (a
 * file, or a socket other copies share), for a socket whose timeout is `timeout_ns`: none when
 * blocking (< 0: the call itself waits), within `deadline` when timed, and when non-blocking
 * only a look (would-block if `fd` is not ready). False with `ec` set if it is not ready.
 */
inline bool wait_or_look(native_handle_type fd, Direction direction, std::int64_t timeout_ns, Deadline& deadline,
                         std::error_code& ec) noexcept {
    if (timeout_ns < 0) return true;
    if (timeout_ns > 0) return wait_ready(fd, direction, timeout_ns, deadline, ec);
    for (;;) {
        short revents = ops::poll_one(fd, static_cast<short>(direction), 0, ec);
        if (ec && is_interrupted(ec)) continue;
        if (!ec && revents == 0) ec = std::make_error_code(std::errc::operation_would_block);
        return !ec;
    }
}

/// After `attempt` failed with `ec`: true to try again (EINTR, or a would-block followed by
/// a successful wait); false to return `ec` (for non-blocking mode, the would-block itself).
/// A would-block with a timeout sets `waited`, so that the next call in this direction
/// waits first.
SOCKIT_COLD inline bool retry_after_error(native_handle_type fd, Direction direction, std::int64_t timeout_ns,
                                          Deadline& deadline, bool& waited, std::error_code& ec) noexcept {
    if (is_interrupted(ec)) return true;
    if (timeout_ns == 0 || !is_would_block(ec)) return false;
    // Blocking mode lands here too when the descriptor was made non-blocking behind this
    // object's back (by a `dup` copy or foreign code): it waits, as blocking mode promises.
    if (timeout_ns > 0) waited = true;
    return wait_ready(fd, direction, timeout_ns, deadline, ec);
}

/// A wait before a call's first system call, made when the previous call in the same
/// direction had to wait (a reply that is not there yet, say): poll, then the call, is one
/// system call fewer than the call, poll, the call again. `waited` becomes whether this wait
/// slept, told by the time the kernel says is left. False with `ec` set on timeout or error.
inline bool wait_first(native_handle_type fd, Direction direction, std::int64_t timeout_ns, Deadline& deadline,
                       bool& waited, std::error_code& ec) noexcept {
    const std::int64_t budget = deadline.started() ? deadline.left(timeout_ns) : deadline.budget(timeout_ns);
    std::int64_t left = 0;
    const short revents = budget > 0 ? ops::poll_for(fd, static_cast<short>(direction), budget, left, ec) : short{0};
    if (!deadline.started()) deadline.set_budget(left);
    if (ec) {
        if (!is_interrupted(ec)) return false;
        ec.clear(); // the call goes on, and waits again if it must, within what is left
        return true;
    }
    if (revents == 0) {
        ec = make_error_code(Errc::timed_out);
        return false;
    }
    constexpr std::int64_t slept_ns = 10000; // a poll that finds the socket ready returns well within this
    waited = budget - left > slept_ns;
    return true;
}

/**
 * After the `tries`-th wait in a row that found the socket ready while the call would still
 * block: a pause before the next wait, doubling from 1 ms to 64 ms and never past the deadline.
 * Readiness can be wrong for good: poll(2) calls an unconnected Unix-domain datagram socket
 * writable while its receiver's queue is full, and each wait would return at once.
 */
SOCKIT_COLD inline void pause_after_false_readiness(int tries, std::int64_t timeout_ns, Deadline& deadline) noexcept {
    std::int64_t ms = std::int64_t(1) << (tries < 8 ? tries - 2 : 6);
    if (timeout_ns > 0) {
        const std::int64_t left_ms = deadline.left(timeout_ns) / 1000000;
        if (left_ms < ms) ms = left_ms;
    }
    if (ms > 0) ops::pause_ms(static_cast<int>(ms));
}

/// The rest of `timed_io` after its first attempt failed: retries while `retry_after_error`
/// says so. Out of line, so that the call that succeeds at once stays small.
template <class Attempt, class Result>
SOCKIT_NOINLINE Result timed_io_retry(native_handle_type fd, Direction direction, std::int64_t timeout_ns,
                                      Deadline& deadline, bool& waited, Attempt& attempt, std::error_code& ec,
                                      Result result) noexcept {
    const int flags = call_flags(timeout_ns);
    int ready_in_vain = 0; // waits in a row after which the call would still block
    while (ec && retry_after_error(fd, direction, timeout_ns, deadline, waited, ec)) {
        result = attempt(flags, ec);
        if (!ec || !is_would_block(ec))
            ready_in_vain = 0;
        else if (++ready_in_vain > 1) // once is a race (another reader took it); twice, a wait that cannot wait
            pause_after_false_readiness(ready_in_vain, timeout_ns, deadline);
    }
    return result;
}

/// `timed_io` when the previous call in this direction had to wait: the wait first.
template <class Attempt>
SOCKIT_NOINLINE auto timed_io_wait_first(native_handle_type fd, Direction direction, std::int64_t timeout_ns,
                                         Deadline& deadline, bool& waited, Attempt& attempt,
                                         std::error_code& ec) noexcept -> decltype(attempt(0, ec)) {
    using Result = decltype(attempt(0, ec));
    if (!wait_first(fd, direction, timeout_ns, deadline, waited, ec)) return static_cast<Result>(-1);
    Result result = attempt(call_flags(timeout_ns), ec);
    return ec ? timed_io_retry(fd, direction, timeout_ns, deadline, waited, attempt, ec, result) : result;
}

/**
 * Runs `attempt(flags, ec)` — one system call — as a socket whose timeout is `timeout_ns`
 * (< 0 blocking, 0 non-blocking, > 0 timed) should: the call itself first, with `flags`
 * from `call_flags`; after a would-block a wait within `deadline`, then the call again.
 * With a timeout, and when the previous call in this direction had to wait (`waited`, one
 * bit the socket keeps per direction), the wait comes first. Without a timeout and without
 * a would-block, this is exactly the raw system call.
 */
template <class Attempt>
auto timed_io(native_handle_type fd, Direction direction, std::int64_t timeout_ns, Deadline& deadline, bool& waited,
              Attempt&& attempt, std::error_code& ec) noexcept -> decltype(attempt(0, ec)) {
    if (waited && timeout_ns > 0) return timed_io_wait_first(fd, direction, timeout_ns, deadline, waited, attempt, ec);
    auto result = attempt(call_flags(timeout_ns), ec);
    return ec ? timed_io_retry(fd, direction, timeout_ns, deadline, waited, attempt, ec, result) : result;
}

} // namespace sockit::detail
