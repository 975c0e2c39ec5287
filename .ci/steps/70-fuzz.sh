# Builds the libFuzzer targets with clang and fuzzes each for a short while,
# starting from the seed corpus in tests/fuzz/corpus (replayed by ctest in every build).
set -euo pipefail
seconds=${SOCKIT_FUZZ_SECONDS:-20}
dir=build-ci-fuzz
cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSOCKIT_BUILD_FUZZERS=ON -DSOCKIT_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$dir" --target sockit_fuzz_address sockit_fuzz_stream_lines sockit_fuzz_tls_server -j"$(nproc)"
# A run that passes prints its last two lines; a failing run prints its whole log (the
# sanitizer's report and stack, libFuzzer's summary) and keeps the crashing input in
# $dir/crashes/, printed as hex too, and the step fails after fuzzing every target.
failed=()
for target in address stream_lines tls_server; do
    work=$(mktemp -d)
    echo "fuzzing $target for ${seconds}s"
    status=0
    "$dir/tests/fuzz/sockit_fuzz_$target" -max_total_time="$seconds" -max_len=4096 \
        -artifact_prefix="$work/" "$work" "tests/fuzz/corpus/$target" >"$work/log.txt" 2>&1 || status=$?
    if [ "$status" = 0 ]; then
        tail -n 2 "$work/log.txt"
    else
        failed+=("$target")
        echo "fuzzing $target FAILED (exit $status); the whole log:"
        cat "$work/log.txt"
        mkdir -p "$dir/crashes"
        for input in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
            [ -e "$input" ] || continue
            cp "$input" "$dir/crashes/$target-$(basename "$input")"
            echo "input kept as $dir/crashes/$target-$(basename "$input"):"
            od -A d -t x1z -v "$input" | head -n 64
        done
    fi
    rm -rf "$work"
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: failed: ${failed[*]}" >&2
    exit 1
fi
