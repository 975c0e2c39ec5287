// SPDX-License-Identifier: MIT
// Deadline arithmetic that cannot overflow: a timeout as long as the type allows
// (nanoseconds::max(), hours::max()) means "practically forever", not undefined behaviour.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace sockit::detail {

/// `a + b`, or the nearest limit of std::int64_t when the sum is out of its range.
constexpr std::int64_t saturating_add(std::int64_t a, std::int64_t b) noexcept {
    constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t min = std::numeric_limits<std::int64_t>::min();
    if (b > 0 && a > max - b) return max;
    if (b < 0 && a < min - b) return min;
    return a + b;
}

/// `d` in nanoseconds, rounded up, clamped to the range of std::chrono::nanoseconds
/// (converting hours::max() with duration_cast would overflow). `Rep` is an integer type.
template <class Rep, class Period>
std::chrono::nanoseconds saturating_ns(std::chrono::duration<Rep, Period> d) noexcept {
    static_assert(std::is_integral<Rep>::value, "an integral duration");
    using std::chrono::nanoseconds;
    if constexpr (std::is_same<std::chrono::duration<Rep, Period>, nanoseconds>::value) {
        return d;
    } else {
        // long double holds every std::int64_t exactly where it has 64 bits of mantissa, and
        // is off by far less than the range elsewhere; the comparisons take care of the ends.
        const long double ns = std::chrono::duration<long double, std::nano>(d).count();
        constexpr auto max = static_cast<long double>(std::numeric_limits<std::int64_t>::max());
        constexpr auto min = static_cast<long double>(std::numeric_limits<std::int64_t>::min());
        if (ns >= max) return nanoseconds::max();
        if (ns <= min) return nanoseconds::min();
        auto whole = static_cast<std::int64_t>(ns);
        if (static_cast<long double>(whole) < ns) ++whole; // never wait less than asked
        return nanoseconds(whole);
    }
}

/// The steady clock's reading in nanoseconds.
inline std::int64_t steady_now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

/// Whole milliseconds from `now_ns` until `deadline_ns`, rounded up (so that a wait never
/// ends early), 0 if it has passed, at most INT_MAX: a poll(2) or epoll_wait timeout.
constexpr int poll_timeout_ms(std::int64_t deadline_ns, std::int64_t now_ns) noexcept {
    if (deadline_ns <= now_ns) return 0;
    const std::int64_t left = now_ns == std::numeric_limits<std::int64_t>::min()
                                  ? std::numeric_limits<std::int64_t>::max()
                                  : saturating_add(deadline_ns, -now_ns);
    const std::int64_t ms = left / 1000000 + (left % 1000000 != 0 ? 1 : 0);
    return ms > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max() : static_cast<int>(ms);
}

} // namespace sockit::detail
