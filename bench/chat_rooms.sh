#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Messages per second of sockit's Poller chat room (examples/chat_room) beside the same
# room written as a plain C epoll loop (bench/epoll_room.c), loaded in turn by
# examples/chat_load in the same run: A B A B ...
#
#   bench/chat_rooms.sh BUILD_DIR [REPS] [CONNECTIONS] [LINES]
set -euo pipefail
build=$1 reps=${2:-5} connections=${3:-1000} lines=${4:-20}
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true

run_room() { # room binary -> messages/s
    local out room_pid port rate
    out=$(mktemp)
    "$1" --port 0 --quiet >"$out" 2>&1 &
    room_pid=$!
    for _ in $(seq 100); do
        port=$(sed -n 's/^chat_room: listening on .*:\([0-9]*\) .*/\1/p' "$out")
        [[ -n $port ]] && break
        sleep 0.05 # waiting for the room to print its port
    done
    rate=$("$build/examples/chat_load" --port "$port" --connections "$connections" --lines "$lines" --timeout 120 |
        sed -n 's/.* s, \([0-9.e+]*\) messages\/s delivered.*/\1/p')
    kill -INT "$room_pid"
    wait "$room_pid" || true
    rm -f "$out"
    echo "$rate"
}

sockit_rates=() epoll_rates=()
for _ in $(seq "$reps"); do
    sockit_rates+=("$(run_room "$build/examples/chat_room")")
    epoll_rates+=("$(run_room "$build/bench/epoll_room")")
done
python3 - "${sockit_rates[*]}" "${epoll_rates[*]}" "$connections" "$lines" <<'PY'
import statistics, sys
s = [float(x) for x in sys.argv[1].split()]
e = [float(x) for x in sys.argv[2].split()]
ratios = [a / b for a, b in zip(s, e)]
print(f"chat room ({sys.argv[3]} connections x {sys.argv[4]} lines, {len(s)} interleaved runs): "
      f"sockit Poller median {statistics.median(s):.0f} messages/s (min {min(s):.0f}, max {max(s):.0f}), "
      f"C epoll median {statistics.median(e):.0f} (min {min(e):.0f}, max {max(e):.0f})")
print(f"chat_room: sockit/epoll = {statistics.median(ratios):.3f}")
PY
