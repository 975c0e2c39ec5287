# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# The skip mechanism of tests/support.hpp for the test scripts (sourced):
#   sockit_skip TEST REASON
# prints "SKIP: TEST: REASON" on stderr, appends "TEST: REASON" to the skip log
# ($SOCKIT_SKIP_LOG, else $SOCKIT_SKIP_LOG_DEFAULT, which CTest sets to the build directory's
# skipped.log) and exits 77, the skip code these tests give CTest (SKIP_RETURN_CODE). Under
# SOCKIT_REQUIRE_ALL=1 it exits 1 instead: the skip is a failure.
sockit_skip() {
    local test=$1 reason=$2
    local log=${SOCKIT_SKIP_LOG:-${SOCKIT_SKIP_LOG_DEFAULT:-}}
    echo "SKIP: $test: $reason" >&2
    if [ "${SOCKIT_REQUIRE_ALL:-}" = 1 ]; then
        echo "FAILED: skipped, which SOCKIT_REQUIRE_ALL=1 makes a failure: $reason" >&2
        exit 1
    fi
    if [ -n "$log" ]; then
        printf '%s: %s\n' "$test" "$reason" >>"$log" || echo "SKIP: the skip log $log cannot be written" >&2
    fi
    exit 77
}
