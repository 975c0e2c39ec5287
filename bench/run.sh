#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs sockit's benchmark and writes docs/benchmarks.md and docs/benchmarks.svg.
#
#   bench/run.sh            full run: 9 interleaved repetitions, 2 GiB bulk transfers
#   bench/run.sh --quick    a smoke run (small sizes, 2 repetitions; figures are noisy)
#
# Three kinds of figures, each printed as "name: value" summary lines:
#  - wall-clock rates, every variant interleaved in one process (ratios only mean
#    anything side by side on a shared machine);
#  - user-space instructions per TCP round trip, per side, under callgrind (noise-free):
#    runs of 10,000 and 20,000 round trips, the difference divided by 10,000, so that
#    set-up costs cancel out;
#  - system calls per operation under strace -c, by the same differencing
#    (these two from bench/noise_free.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
ensure_packages cmake g++ catch2 valgrind strace python3 libasio-dev libssl-dev

quick=0
[ "${1:-}" = "--quick" ] && quick=1
build=build-bench
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target sockit_bench epoll_room chat_room chat_load -j"$(nproc)" >/dev/null
cmake --build "$build" --target tls_bench -j"$(nproc)" >/dev/null 2>&1 || true # where sockit::tls exists
bench=$build/bench/sockit_bench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

summary=$tmp/summary.txt
: >"$summary"

echo "== wall clock (interleaved)" >&2
if [ $quick = 1 ]; then
    "$bench" --quick --reps 2 --report "$tmp/table.md" --svg docs/benchmarks.svg | tee -a "$summary"
else
    "$bench" --reps 9 --report "$tmp/table.md" --svg docs/benchmarks.svg | tee -a "$summary"
fi

variants="raw sockit sockit+timeout"
grep -q 'asio' "$tmp/table.md" && variants="$variants asio"

# Instructions per round trip under callgrind and system calls per operation under strace,
# every variant side by side (bench/noise_free.sh; .ci/steps/75-perf.sh checks the same live).
bench/noise_free.sh "$bench" $variants | tee -a "$summary"

# TLS: sockit's TlsStream beside raw OpenSSL and Python's ssl (bench/tls_run.sh).
if [ -x "$build/bench/tls_bench" ]; then
    bench/tls_run.sh $([ $quick = 1 ] && echo --quick) "$build" | tee -a "$summary"
else
    echo "no tls_bench (OpenSSL 3 not found): the TLS targets are missed" >&2
fi

echo "== chat room: sockit's Poller room beside a plain C epoll room" >&2
if [ $quick = 1 ]; then
    bench/chat_rooms.sh "$build" 2 500 10 | tee -a "$summary"
else
    bench/chat_rooms.sh "$build" 5 1000 20 | tee -a "$summary"
fi

echo "== targets" >&2
bench/check.sh "$summary" >"$tmp/targets.txt" || true
cat "$tmp/targets.txt"

# The section bench/timeout_models.sh's table goes in ("Timeout models compared", the report's
# last) comes from a run of its own: kept from the current report.
awk '/^## Timeout models compared/ { keep = 1 } keep' docs/benchmarks.md >"$tmp/timeout_models.md" 2>/dev/null || true

# The report: machine, command, chart, targets, tables, summary lines.
{
    echo "# Benchmarks"
    echo
    echo "Measured with \`bench/run.sh$([ $quick = 1 ] && echo ' --quick')\` on $(date -u +%Y-%m-%d):"
    echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(uname -sr),"
    echo "$(c++ --version | head -1), Asio $(awk '/define ASIO_VERSION /{v=$3; printf "%d.%d.%d", v/100000, v/100%1000, v%100}' /usr/include/asio/version.hpp 2>/dev/null || echo 'absent'), $(python3 --version)."
    echo "Client and server run in two threads pinned to one CPU (on this virtual machine a wake-up across"
    echo "CPUs costs some 100 µs, which would swamp the code measured: 9,000 instead of 260,000 TCP round"
    echo "trips a second; \`SOCKIT_BENCH_CPUS=0,1\` pins them apart), except in the one-way UDP scenarios, where"
    echo "sender and receiver run in parallel on the two CPUs; every scenario runs each variant in turn"
    echo "(A B C A B C ...), and ratios are medians of the ratios within each repetition."
    echo
    echo "![Median rate relative to raw BSD calls](benchmarks.svg)"
    echo
    echo "## Targets"
    echo
    echo "sockit's performance targets, checked by \`bench/check.sh\` against this run's summary lines:"
    echo
    echo '```'
    cat "$tmp/targets.txt"
    echo '```'
    echo
    echo "## Noise-free figures"
    echo
    echo "User-space instructions per TCP round trip (64 bytes) under callgrind, and system calls per"
    echo "operation under strace, each the difference between a 10,000- and a 20,000-iteration run:"
    echo
    echo '```'
    grep -E '^(instructions|syscalls)' "$summary"
    echo '```'
    echo
    echo "## TLS"
    echo
    echo "sockit's \`TlsStream\` beside a hand-written raw OpenSSL program doing the same (\`SSL_read\`/\`SSL_write\`"
    echo "on a socket BIO) and Python's \`ssl\`, from \`bench/tls_run.sh\` (bench/tls_bench.cpp,"
    echo "bench/python_tls_bench.py): rates and median ratios, system calls per operation under strace,"
    echo "and \`operator new\` calls per TLS operation:"
    echo
    echo '```'
    grep -E '^(tls_|syscalls tls_|allocations: tls )' "$summary"
    echo '```'
    echo
    cat bench/tls_notes.md
    echo
    echo "## Chat room"
    echo
    echo "examples/chat_room (sockit's Poller) and bench/epoll_room.c (the same protocol as a plain C"
    echo "epoll loop), each loaded in turn by examples/chat_load; messages delivered per second:"
    echo
    echo '```'
    grep -E '^chat' "$summary"
    echo '```'
    echo
    echo "The C loop is the textbook design, copying each line into every client's output buffer;"
    echo "chat_room keeps each line once in a shared log and each client's position in it. So the ratio"
    echo "compares the two programs as written, not the Poller's own cost, which is one epoll_wait per"
    echo "round either way."
    echo
    echo "## Wall clock"
    cat "$tmp/table.md"
    echo
    echo "## How to read this"
    echo
    cat docs/benchmarks-notes.md
    if [ -s "$tmp/timeout_models.md" ]; then
        echo
        cat "$tmp/timeout_models.md"
    fi
} >docs/benchmarks.md
echo "wrote docs/benchmarks.md and docs/benchmarks.svg" >&2
