#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The benchmark's noise-free figures, as summary lines for bench/check.sh: user-space
# instructions per TCP round trip under callgrind, system calls per operation under strace,
# and (with --allocations) heap allocations per operation. Each variant runs in turn in the
# same invocation, so sockit and raw system calls are measured side by side.
#
#   bench/noise_free.sh [--allocations] BENCH VARIANT...
#
# BENCH is a built sockit_bench; VARIANTs are raw, sockit, sockit+timeout, asio (raw is
# needed for the differences). Instructions: runs of 10,000 and 20,000 round trips, the
# difference divided by 10,000, so that set-up costs cancel out. System calls: strace -c
# over two run lengths, differenced the same way. bench/run.sh and .ci/steps/75-perf.sh use it.
set -euo pipefail
allocations=0
[ "${1:-}" = "--allocations" ] && { allocations=1; shift; }
bench=${1:?usage: bench/noise_free.sh [--allocations] BENCH VARIANT...}
shift
variants="$*"
[ -n "$variants" ] || variants="raw sockit sockit+timeout"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Instructions per round trip, per side, from callgrind's per-thread totals
# (thread 1 is the client, thread 2 the server).
echo "== callgrind: user-space instructions per TCP round trip" >&2
count_instructions() { # variant iterations -> "client server"
    rm -f "$tmp"/cg.out*
    valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$tmp/cg.out" \
        "$bench" --loop tcp_pingpong "$1" "$2" >/dev/null 2>&1
    echo "$(grep -h '^totals:' "$tmp/cg.out-01" | awk '{print $2}') $(grep -h '^totals:' "$tmp/cg.out-02" | awk '{print $2}')"
}
declare -A instr_client instr_server
for v in $variants; do
    read -r c1 s1 <<<"$(count_instructions "$v" 10000)"
    read -r c2 s2 <<<"$(count_instructions "$v" 20000)"
    instr_client[$v]=$(((c2 - c1) / 10000))
    instr_server[$v]=$(((s2 - s1) / 10000))
    echo "instructions tcp_pingpong $v: client = ${instr_client[$v]}, server = ${instr_server[$v]}"
done
for v in sockit sockit+timeout; do
    if [ -z "${instr_client[$v]:-}" ] || [ -z "${instr_client[raw]:-}" ]; then continue; fi
    echo "instructions tcp_pingpong: $v - raw = client $((instr_client[$v] - instr_client[raw])), server $((instr_server[$v] - instr_server[raw]))"
done

# System calls per operation: strace -c over two run lengths, differenced. Where it may (as
# root), the traced program runs at a real-time priority (SCHED_FIFO), so that other programs
# on a busy machine do not change the order in which its two threads run: with a timeout, a
# receive whose reply came before its wait was needed makes the next receive try first, and
# if that reply is not there yet it costs a recv that fails (recv, poll, recv). On a machine
# with a load of 8 that made 6.06 to 6.59 calls per round trip instead of 6.00; at real-time
# priority, 6.00 in every run. Without a timeout, the counts are the same either way.
echo "== strace: system calls per operation" >&2
fifo=()
chrt -f 1 true 2>/dev/null && fifo=(chrt -f 1)
count_syscalls() { # scenario variant n [pattern] -> calls (all, or those matching the pattern)
    "${fifo[@]}" strace -f -c -o "$tmp/st.txt" "$bench" --loop "$1" "$2" "$3" >/dev/null 2>&1
    awk -v pat="${4:-^total$}" '$NF ~ pat {n += $4} END {print n + 0}' "$tmp/st.txt"
}
for scenario in tcp_pingpong tcp_bulk_1m udp_pingpong; do
    # Bulk: only the sender's calls count (how many pieces one 1 MiB write becomes);
    # the receiver's reads depend on timing. Round trips: every call, both sides.
    case $scenario in
        tcp_bulk_1m) n1=200 n2=400 unit="1 MiB write" pattern='^(sendto|sendmsg|send|write|writev)$' ;;
        *) n1=2000 n2=4000 unit="round trip" pattern='^total$' ;;
    esac
    for v in $variants; do
        [ "$scenario" != tcp_pingpong ] && [ "$v" = "sockit+timeout" ] && continue
        a=$(count_syscalls "$scenario" "$v" $n1 "$pattern")
        b=$(count_syscalls "$scenario" "$v" $n2 "$pattern")
        per=$(awk -v a="$a" -v b="$b" -v n=$((n2 - n1)) 'BEGIN {printf "%.2f", (b - a) / n}')
        echo "syscalls $scenario $v: $per per $unit"
    done
done

if [ $allocations = 1 ]; then
    echo "== heap allocations per operation" >&2
    "$bench" --allocations || true # bench/check.sh finds a non-zero figure missed
fi
