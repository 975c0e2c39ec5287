# Builds the libFuzzer targets with clang and fuzzes each for a short while,
# starting from the seed corpus in tests/fuzz/corpus (replayed by ctest in every build).
set -euo pipefail
seconds=${SOCKIT_FUZZ_SECONDS:-20}
dir=build-ci-fuzz
cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSOCKIT_BUILD_FUZZERS=ON -DSOCKIT_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$dir" --target sockit_fuzz_address sockit_fuzz_stream_lines -j"$(nproc)"
for target in address stream_lines; do
    work=$(mktemp -d)
    echo "fuzzing $target for ${seconds}s"
    "$dir/tests/fuzz/sockit_fuzz_$target" -max_total_time="$seconds" -max_len=4096 \
        "$work" "tests/fuzz/corpus/$target" 2>&1 | tail -n 2
    rm -rf "$work"
done
