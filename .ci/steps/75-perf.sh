#!/usr/bin/env bash
# The benchmark's noise-free performance targets, measured live (the wall-clock ratios stay in
# bench/run.sh, which needs a quiet machine): user-space instructions per round trip under
# callgrind, system calls per operation under strace, heap allocations per operation, with
# sockit and raw system calls side by side in the same run (bench/noise_free.sh), checked by
# bench/check.sh --noise-free. Targets: without a timeout, exactly raw's system calls and at
# most raw + 100 instructions per round trip and side; with one, at most one poll per wait
# beyond raw's calls and raw + 300 instructions; no allocation. About a minute on 2 cores.
set -euo pipefail
build="build-ci-perf"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSOCKIT_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target sockit_bench -j"$(nproc)" >/dev/null
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
bench/noise_free.sh --allocations "$build/bench/sockit_bench" raw sockit sockit+timeout | tee "$summary"
bench/check.sh --noise-free "$summary"
