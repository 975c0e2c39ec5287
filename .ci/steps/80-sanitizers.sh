# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer (clang++),
# the threaded tests under ThreadSanitizer, and the test binary under valgrind memcheck.
# The stress tests run in the first two with a lighter load (fewer messages per client).
# No suppressions of sockit's own code. .ci/run exports SOCKIT_REQUIRE_ALL=1, so that a test
# that skips fails here too, in ctest and in the programs run directly.
# Every part runs even when an earlier one fails, so that one sanitizer's failure never hides
# another's result; the step fails if any part did.
set -uo pipefail
jobs=$(nproc)
failed=()
part() { # name command...: runs one part and records its failure
    local name=$1
    shift
    if ! "$@"; then
        failed+=("$name")
        echo "sanitizers: $name FAILED" >&2
    fi
}

cmake -S . -B build-ci-asan -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DSOCKIT_BUILD_EXAMPLES=ON \
    -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" >/dev/null
part "asan build" cmake --build build-ci-asan -j"$jobs"
part "asan tests" bash -c 'cd build-ci-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure --no-tests=error -j"$0" -LE stress' "$jobs"
part "asan stress" bash -c 'cd build-ci-asan && ASAN_OPTIONS=detect_leaks=1 SOCKIT_STRESS_MESSAGES=100 ctest --output-on-failure --no-tests=error -L stress -R "^stress:"'


cmake -S . -B build-ci-tsan -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DSOCKIT_BUILD_EXAMPLES=OFF \
    -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" >/dev/null
part "tsan build" cmake --build build-ci-tsan -j"$jobs" --target sockit_tests sockit_stress sockit_tls_tests
part "tsan tests" bash -c 'cd build-ci-tsan && TSAN_OPTIONS=halt_on_error=1 ./tests/sockit_tests "[tcp],[stream],[udp],[socket],[timeout],[unix],[poller]"'
part "tsan tls" bash -c 'cd build-ci-tsan && TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/../tests/tsan-openssl.supp" ./tests/sockit_tls_tests "[tls]"'
part "tsan stress" bash -c 'cd build-ci-tsan && TSAN_OPTIONS=halt_on_error=1 SOCKIT_STRESS_MESSAGES=20 ./tests/stress/sockit_stress'

# Left out under valgrind: [alloc], whose counting operator new valgrind replaces with
# its own; [limits], which lowers RLIMIT_NOFILE (valgrind keeps descriptors of its own
# and only fails accept at the hard limit, which it does not let a program change); and
# [eintr], whose timing checks fail under valgrind's signal handling (an interrupted
# send_all with a 300 ms timeout took 1.5-2.3 s there); and [threads], whose reader and writer
# race against 2 s deadlines that valgrind's one-thread-at-a-time scheduling stretches. All four
# run in the builds above.
cmake -S . -B build-ci-valgrind -DCMAKE_BUILD_TYPE=Debug -DSOCKIT_BUILD_EXAMPLES=OFF >/dev/null
part "valgrind build" cmake --build build-ci-valgrind -j"$jobs" --target sockit_tests
part "valgrind" valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --track-fds=no -q \
    ./build-ci-valgrind/tests/sockit_tests "~[alloc]~[limits]~[eintr]~[threads]"

if [ ${#failed[@]} -gt 0 ]; then
    echo "sanitizers: failed: ${failed[*]}" >&2
    exit 1
fi
