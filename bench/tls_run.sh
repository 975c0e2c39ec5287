#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# sockit's TLS beside a hand-written raw OpenSSL program and Python's ssl (bench/tls_bench.cpp,
# bench/python_tls_bench.py), as summary lines for bench/check.sh:
#  - wall-clock rates and ratios, every variant interleaved in one process;
#  - system calls per operation under strace -c, the difference between two run lengths
#    (ping-pong: per round trip, both sides; bulk: the sender's writes per 64 KiB write, as the
#    receiver's reads depend on timing; handshake: per connection, both sides);
#  - user-space instructions per ping-pong round trip and side under callgrind (with valgrind);
#  - operator new calls per TLS operation (sockit's own code; OpenSSL allocates with malloc).
#
#   bench/tls_run.sh [--quick] BUILD_DIR     BUILD_DIR holds a built bench/tls_bench
# bench/run.sh runs it; it can also run alone.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && { quick=1; shift; }
build=${1:?usage: bench/tls_run.sh [--quick] BUILD_DIR}
bench=$build/bench/tls_bench
[ -x "$bench" ] || { echo "tls_run.sh: no $bench (sockit::tls needs OpenSSL 3: apt-get install libssl-dev)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== TLS wall clock (interleaved)" >&2
if [ $quick = 1 ]; then "$bench" --quick --reps 2; else "$bench" --reps 7; fi

echo "== TLS system calls per operation (strace)" >&2
fifo=()
chrt -f 1 true 2>/dev/null && fifo=(chrt -f 1) # see bench/noise_free.sh
count() { # scenario variant n pattern -> system calls whose name matches the pattern
    "${fifo[@]}" strace -f -c -o "$tmp/st.txt" "$bench" --loop "$1" "$2" "$3" >/dev/null 2>&1
    awk -v pat="$4" '$NF ~ pat { n += $4 } END { print n + 0 }' "$tmp/st.txt"
}
for scenario in tls_pingpong tls_bulk tls_handshake; do
    case $scenario in
        tls_pingpong) n1=2000 n2=4000 unit="round trip" pattern='^total$' ;;
        tls_bulk) n1=200 n2=400 unit="64 KiB write" pattern='^(sendto|sendmsg|send|write|writev)$' ;;
        tls_handshake) n1=50 n2=100 unit="connection" pattern='^total$' ;;
    esac
    for v in raw sockit sockit+timeout; do
        a=$(count "$scenario" "$v" $n1 "$pattern")
        b=$(count "$scenario" "$v" $n2 "$pattern")
        echo "syscalls $scenario $v: $(awk -v a="$a" -v b="$b" -v n=$((n2 - n1)) 'BEGIN {printf "%.2f", (b - a) / n}') per $unit"
    done
done

# User-space instructions per ping-pong round trip and side under callgrind, runs of 1,000
# and 2,000 round trips differenced (thread 1 is the client, thread 2 the server).
if command -v valgrind >/dev/null; then
    echo "== TLS callgrind: user-space instructions per round trip" >&2
    instructions() { # variant n -> "client server"
        rm -f "$tmp"/cg.out*
        valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$tmp/cg.out" \
            "$bench" --loop tls_pingpong "$1" "$2" >/dev/null 2>&1
        echo "$(awk '/^totals:/ { print $2 }' "$tmp/cg.out-01") $(awk '/^totals:/ { print $2 }' "$tmp/cg.out-02")"
    }
    declare -A client server
    for v in raw sockit; do
        read -r c1 s1 <<<"$(instructions "$v" 1000)"
        read -r c2 s2 <<<"$(instructions "$v" 2000)"
        client[$v]=$(((c2 - c1) / 1000))
        server[$v]=$(((s2 - s1) / 1000))
        echo "instructions tls_pingpong $v: client = ${client[$v]}, server = ${server[$v]}"
    done
    echo "instructions tls_pingpong: sockit - raw = client $((client[sockit] - client[raw])), server $((server[sockit] - server[raw]))"
fi

echo "== TLS allocations per operation" >&2
"$bench" --allocations || true # bench/check.sh finds a non-zero figure missed
