# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer (clang++),
# the threaded tests under ThreadSanitizer, and the test binary under valgrind memcheck.
# No suppressions of sockit's own code.
set -euo pipefail
jobs=$(nproc)

cmake -S . -B build-ci-asan -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DSOCKIT_BUILD_EXAMPLES=OFF \
    -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" >/dev/null
cmake --build build-ci-asan -j"$jobs"
(cd build-ci-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j"$jobs" -LE stress)

cmake -S . -B build-ci-tsan -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DSOCKIT_BUILD_EXAMPLES=OFF \
    -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" >/dev/null
cmake --build build-ci-tsan -j"$jobs" --target sockit_tests
(cd build-ci-tsan && TSAN_OPTIONS=halt_on_error=1 ./tests/sockit_tests "[tcp],[stream],[udp],[socket]")

cmake -S . -B build-ci-valgrind -DCMAKE_BUILD_TYPE=Debug -DSOCKIT_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build-ci-valgrind -j"$jobs" --target sockit_tests
valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --track-fds=no -q \
    ./build-ci-valgrind/tests/sockit_tests
