#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Timeout models side by side (bench/timeout_models.cpp): builds the program, checks that every
# model times out when it should, then prints one table (markdown) for docs/benchmarks.md,
# section "Timeout models compared", and the kernel-timeout probe.
#
#   bench/timeout_models.sh            5 native repetitions (about a minute)
#   bench/timeout_models.sh --reps N   N repetitions
#
# Rows: scenario and side x model. Columns, per operation (a round trip; a 64 KiB chunk; a
# 64-byte message):
#  - system calls of the measured thread only, from a perf counter on raw_syscalls:sys_enter
#    (needs root or kernel.perf_event_paranoid=-1), median over the repetitions;
#  - clock_gettime calls (vDSO: no system call, so counted apart);
#  - user-space instructions of the measured thread under callgrind (which runs one thread at a
#    time: the waits differ from a native run), from two runs, the second twice as long;
#  - wall time, median; noisy on a shared machine.
# "1 CPU": both ends pinned to CPU 0, as in bench/run.sh; "2 CPUs": the server end on CPU 0, the
# client end on CPU 1 (SOCKIT_BENCH_CPUS=0,1), where a round trip's reply is never there yet.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
ensure_packages cmake g++ catch2 valgrind python3

reps=5
[ "${1:-}" = "--reps" ] && reps=${2:?--reps needs a number}
build=build-bench
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target timeout_models -j2 >/dev/null
prog=$build/bench/timeout_models
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== check: every model times out when it should" >&2
"$prog" --check >&2

models="raw kernel try-poll poll-first adaptive sockit"
declare -A native=([pingpong]=20000 [stream]=64 [threads]=20000)   # round trips, MiB, messages
declare -A native2=([pingpong]=2000 [stream]=64 [threads]=20000)   # on 2 CPUs a round trip is ~80 µs here
declare -A small=([pingpong]=2000 [stream]=32 [threads]=2000)      # under callgrind

echo "== native: $reps repetitions, models interleaved" >&2
for rep in $(seq "$reps"); do
    for cpus in 1 2; do
        for scenario in pingpong stream threads; do
            for model in $models; do
                if [ $cpus = 1 ]; then n=${native[$scenario]} pin=0,0; else n=${native2[$scenario]} pin=0,1; fi
                SOCKIT_BENCH_CPUS=$pin "$prog" --run "$scenario" "$model" "$n" --syscalls |
                    sed "s/^result /native cpus=$cpus /" >>"$tmp/results"
            done
        done
    done
    echo "   repetition $rep done" >&2
done

# Instructions per thread (--separate-threads: one file per thread, numbered in creation order
# as the program reports), from two runs, the second twice as long: set-up cancels out. Symbols
# are bound at start (LD_BIND_NOW), so that neither thread pays for binding one the other uses.
echo "== callgrind: user-space instructions per operation" >&2
callgrind() { # scenario model n -> lines "side ops instructions"
    rm -f "$tmp"/cg.out*
    LD_BIND_NOW=1 valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$tmp/cg.out" \
        "$prog" --run "$1" "$2" "$3" 2>/dev/null >"$tmp/cg.txt"
    while read -r _ _ _ side thread ops _; do
        echo "$side ${ops#ops=} $(awk '/^totals:/ {print $2}' "$(printf '%s/cg.out-%02d' "$tmp" "${thread#thread=}")")"
    done <"$tmp/cg.txt"
}
for scenario in pingpong stream threads; do
    for model in $models; do
        n=${small[$scenario]}
        callgrind "$scenario" "$model" "$n" >"$tmp/short.txt"
        callgrind "$scenario" "$model" $((2 * n)) >"$tmp/long.txt"
        join <(sort "$tmp/short.txt") <(sort "$tmp/long.txt") | while read -r side ops1 i1 ops2 i2; do
            echo "callgrind $scenario $model $side ops=$((ops2 - ops1)) instructions=$((i2 - i1))" >>"$tmp/results"
        done
    done
done

"$prog" --probe >"$tmp/probe.txt"

python3 - "$tmp/results" <<'EOF'
import collections, statistics, sys

labels = {"raw": "(a) raw, no timeout", "kernel": "(b) kernel SO_*TIMEO", "try-poll": "(c) try, then poll",
          "poll-first": "(d) poll first", "adaptive": "(e) adaptive", "sockit": "sockit set_timeout"}
sides = [("pingpong", "client", "ping-pong, client (per round trip)"),
         ("stream", "sender", "stream, sender (per 64 KiB)"),
         ("stream", "receiver", "stream, receiver (per 64 KiB)"),
         ("threads", "reader", "two threads, reader (per message)"),
         ("threads", "writer", "two threads, writer (per message)")]
native = collections.defaultdict(list)
instructions = {}
for line in open(sys.argv[1]):
    f = line.split()
    kv = dict(x.split("=", 1) for x in f if "=" in x)
    if f[0] == "native":
        sc, mo, side = f[2], f[3], f[4]
        ops = int(kv["ops"])
        native[(kv["cpus"], sc, mo, side)].append(
            (int(kv["syscalls"]) / ops, int(kv["clocks"]) / ops, float(kv["seconds"]) / ops * 1e6))
    elif f[0] == "callgrind":
        sc, mo, side = f[1], f[2], f[3]
        instructions[(sc, mo, side)] = int(kv["instructions"]) / int(kv["ops"])

def med(cpus, sc, mo, side, i):
    v = native.get((cpus, sc, mo, side))
    return statistics.median(x[i] for x in v) if v else float("nan")

print("| scenario | model | syscalls/op 1 CPU | 2 CPUs | clock reads/op 1 CPU | 2 CPUs | instructions/op | µs/op 1 CPU | 2 CPUs |")
print("|---|---|---|---|---|---|---|---|---|")
for sc, side, title in sides:
    for mo, label in labels.items():
        print(f"| {title} | {label} | {med('1', sc, mo, side, 0):.2f} | {med('2', sc, mo, side, 0):.2f} "
              f"| {med('1', sc, mo, side, 1):.2f} | {med('2', sc, mo, side, 1):.2f} "
              f"| {instructions.get((sc, mo, side), float('nan')):.0f} "
              f"| {med('1', sc, mo, side, 2):.2f} | {med('2', sc, mo, side, 2):.2f} |")
EOF
echo
cat "$tmp/probe.txt"
