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
#  - user-space instructions under callgrind, collected only inside the measured loop
#    (--toggle-collect), per thread;
#  - wall time, median; noisy on a shared machine.
# "1 CPU": both ends pinned to CPU 0, as in bench/run.sh; "2 CPUs": the peer on CPU 0, the
# measured side on CPU 1 (SOCKIT_BENCH_CPUS=0,1), where a round trip's reply is never there yet.
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
declare -A small=([pingpong]=2000 [stream]=16 [threads]=2000)      # under callgrind

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

echo "== callgrind: user-space instructions in the measured loop" >&2
for scenario in pingpong stream threads; do
    for model in $models; do
        rm -f "$tmp"/cg.out*
        valgrind --tool=callgrind --separate-threads=yes --toggle-collect='*measured_loop*' \
            --callgrind-out-file="$tmp/cg.out" "$prog" --run "$scenario" "$model" "${small[$scenario]}" \
            2>/dev/null >"$tmp/cg.txt"
        # One line per measured thread: its instructions, from its own callgrind file.
        while read -r _ sc mo side thread ops _; do
            t=${thread#thread=}
            total=$(awk '/^totals:/ {print $2}' "$(printf '%s/cg.out-%02d' "$tmp" "$t")")
            echo "callgrind $sc $mo $side $ops instructions=$total" >>"$tmp/results"
        done <"$tmp/cg.txt"
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
