#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs chat_room on a free loopback port, loads it with chat_load, reports the
# room's memory per connection, then stops it with SIGINT and checks it exits cleanly.
#
#   chat_room_check.sh CHAT_ROOM CHAT_LOAD CONNECTIONS [room options...] -- [chat_load options...]
#
# Skips (tests/skip.sh: exit 77, CTest's skip code here) if the descriptor limit cannot be
# raised far enough.
set -euo pipefail
. "$(dirname "$0")/skip.sh"
room_bin=$1 load_bin=$2 connections=$3
shift 3
room_args=()
while [[ $# -gt 0 && $1 != -- ]]; do room_args+=("$1"); shift; done
[[ $# -gt 0 ]] && shift
load_args=("$@")

# Each process holds one descriptor per connection plus a few of its own.
need=$((connections + 64))
hard=$(ulimit -Hn)
if [[ $hard != unlimited && $hard -lt $need ]]; then
    sockit_skip "chat_room_check.sh $(basename "$room_bin") $connections" \
        "$connections connections need $need descriptors per process; the hard limit (ulimit -Hn) is $hard"
fi
soft=$(ulimit -Sn)
if [[ $soft != unlimited && $soft -lt $need ]]; then ulimit -Sn "$hard"; fi

out=$(mktemp)
room_pid=
cleanup() {
    if [[ -n $room_pid ]] && kill -0 "$room_pid" 2>/dev/null; then kill -KILL "$room_pid"; fi
    rm -f "$out"
}
trap cleanup EXIT

"$room_bin" --port 0 --quiet "${room_args[@]}" >"$out" 2>&1 &
room_pid=$!
port=
for _ in $(seq 100); do
    port=$(sed -n 's/^chat_room: listening on .*:\([0-9]*\) .*/\1/p' "$out")
    [[ -n $port ]] && break
    kill -0 "$room_pid" 2>/dev/null || { cat "$out"; echo "FAIL: chat_room exited before listening"; exit 1; }
    sleep 0.1
done
[[ -n $port ]] || { cat "$out"; echo "FAIL: chat_room did not report its port within 10 s"; exit 1; }

# Memory from /proc (Linux); 0 where there is no /proc.
kib() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$room_pid/status" 2>/dev/null || echo 0; }
rss_before=$(kib VmRSS)

status=0
"$load_bin" --port "$port" --connections "$connections" "${load_args[@]}" || status=$?

peak=$(kib VmHWM)
[[ -n $peak && -n $rss_before && $peak -gt 0 ]] &&
echo "chat_room memory: VmRSS ${rss_before} KiB before, peak VmHWM ${peak} KiB with $connections connections:" \
     "$(( (peak - rss_before) * 1024 / connections )) bytes per connection (user space; kernel socket buffers not included)"

kill -INT "$room_pid"
for _ in $(seq 50); do
    kill -0 "$room_pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$room_pid" 2>/dev/null; then echo "FAIL: chat_room still running 5 s after SIGINT"; exit 1; fi
room_status=0
wait "$room_pid" || room_status=$?
room_pid=
grep -v '^chat_room: listening' "$out" || true
if [[ $room_status -ne 0 ]] || ! grep -q '^chat_room: stopped by signal' "$out"; then
    echo "FAIL: chat_room did not stop cleanly on SIGINT (exit status $room_status)"
    exit 1
fi
exit "$status"
