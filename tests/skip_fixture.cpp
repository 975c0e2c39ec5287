// SPDX-License-Identifier: MIT
// The skip mechanism's own test cases, hidden ([.]), in a program of their own
// (sockit_skip_fixture) that only tests/skip_check.sh runs: it checks that a skip is reported
// as one (stderr, the skip log, CTest's SKIP_REGULAR_EXPRESSION), and that it is a failure under
// SOCKIT_REQUIRE_ALL=1. In sockit_tests they would run wherever a test spec only excludes
// (Catch2 2 then runs hidden test cases too, as the valgrind run's "~[alloc]..." does).
#include "support.hpp"

TEST_CASE("the skip mechanism: a test case that always skips", "[.][skip-check]") {
    SOCKIT_SKIP("skipped on purpose, for "
                << "tests/skip_check.sh");
}

TEST_CASE("the skip mechanism: a skip beside a failure", "[.][skip-check]") {
    SECTION("this section fails") { FAIL("failed on purpose, beside a skip"); }
    SECTION("this section skips") { SOCKIT_SKIP("skipped on purpose, beside a failure"); } // last (see SOCKIT_SKIP)
}
