#!/usr/bin/env bash
# Checks the skip mechanism of tests/support.hpp with the hidden test cases of skip_fixture.cpp:
# a skip passes, prints "SKIP: <test>: <reason>", appends "<test>: <reason>" to the skip log
# and prints what CTest counts as a skip (SKIP_REGULAR_EXPRESSION, the second argument); under
# SOCKIT_REQUIRE_ALL=1 the same test case fails with its reason and records no skip; and a
# test case that skips in one section and fails in another is a failure, never a skip.
# Usage: skip_check.sh SOCKIT_SKIP_FIXTURE_PROGRAM SKIPPED_REGEX
set -uo pipefail
tests=$1
skipped_regex=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/sockit-skip-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
lacks() { ! grep -qE "$1" "$2"; } # regex file
check() { # description command...
    local what=$1
    shift
    if "$@"; then
        echo "ok: $what"
    else
        echo "FAILED: $what" >&2
        failures=$((failures + 1))
    fi
}

skips="the skip mechanism: a test case that always skips"
reason="skipped on purpose, for tests/skip_check.sh"

env -u SOCKIT_REQUIRE_ALL SOCKIT_SKIP_LOG="$work/log" "$tests" "$skips" >"$work/out" 2>&1
check "a skip passes (exit status $?)" test $? -eq 0
check "a skip prints SKIP: <test>: <reason>" grep -qxF "SKIP: $skips: $reason" "$work/out"
check "a skip is counted by CTest's SKIP_REGULAR_EXPRESSION ($skipped_regex)" grep -qE "$skipped_regex" "$work/out"
check "a skip appends one line to the skip log" test "$(cat "$work/log" 2>/dev/null)" = "$skips: $reason"

SOCKIT_REQUIRE_ALL=1 SOCKIT_SKIP_LOG="$work/log-required" "$tests" "$skips" >"$work/out-required" 2>&1
status=$?
check "under SOCKIT_REQUIRE_ALL=1 a skip fails (exit status $status)" test "$status" -ne 0
# Catch2 wraps long messages: compared with every run of white space made one space.
tr -s ' \n' '  ' <"$work/out-required" >"$work/out-required-flat"
check "under SOCKIT_REQUIRE_ALL=1 the failure gives the reason" \
    grep -qF "skipped, which SOCKIT_REQUIRE_ALL=1 makes a failure: $reason" "$work/out-required-flat"
check "under SOCKIT_REQUIRE_ALL=1 CTest sees no skip" lacks "$skipped_regex" "$work/out-required"
check "under SOCKIT_REQUIRE_ALL=1 the skip log stays empty" test ! -s "$work/log-required"

mixed="the skip mechanism: a skip beside a failure"
env -u SOCKIT_REQUIRE_ALL SOCKIT_SKIP_LOG="$work/log-mixed" "$tests" "$mixed" >"$work/out-mixed" 2>&1
status=$?
check "a skip beside a failure fails (exit status $status)" test "$status" -ne 0
check "a skip beside a failure is recorded" grep -qxF "SKIP: $mixed: skipped on purpose, beside a failure" "$work/out-mixed"
check "a skip beside a failure is not counted as a skip by CTest" \
    lacks "$skipped_regex" "$work/out-mixed"

if [ "$failures" -gt 0 ]; then
    for f in out out-required out-mixed; do
        echo "--- $f:" >&2
        cat "$work/$f" >&2
    done
    exit 1
fi
