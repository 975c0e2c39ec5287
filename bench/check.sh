#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks sockit's performance targets against the summary lines of a benchmark run.
#
#   bench/check.sh SUMMARY     SUMMARY: the lines bench/run.sh collected (or docs/benchmarks.md)
#   bench/check.sh --noise-free SUMMARY
#                              only the targets that do not depend on the machine's load:
#                              instructions, system calls and allocations per operation
#                              (the lines bench/noise_free.sh prints; .ci/steps/75-perf.sh)
#
# Prints one line per target, "met" or "MISSED", then "targets: N met, M missed"; exits 1 if
# any was missed or its figure is absent. Wall-clock ratios allow for the noise of a shared
# 2-core machine: 3 % for latency, 10 % for bulk transfers.
set -euo pipefail
noise_free=0
[ "${1:-}" = "--noise-free" ] && { noise_free=1; shift; }
summary=${1:?usage: bench/check.sh [--noise-free] SUMMARY}
[ -r "$summary" ] || { echo "check.sh: cannot read $summary" >&2; exit 2; }

met=0 missed=0
target() { # description ok(0/1) figure
    if [ "$2" = 1 ]; then
        met=$((met + 1)); printf 'met     %s: %s\n' "$1" "$3"
    else
        missed=$((missed + 1)); printf 'MISSED  %s: %s\n' "$1" "$3"
    fi
}
# The value after "= " on the first line that starts with $1 (empty if there is none).
value() { awk -v key="$1" 'index($0, key) == 1 { sub(/.*= /, ""); print $1; exit }' "$summary"; }
at_least() { # key minimum description
    local v; v=$(value "$1")
    if ! [[ "$v" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then target "$3" 0 "no figure (${v:-absent}: $1)"; return; fi
    target "$3" "$(awk -v v="$v" -v m="$2" 'BEGIN { print (v >= m) ? 1 : 0 }')" "$v (at least $2)"
}

# Latency and bulk against raw system calls.
if [ $noise_free = 0 ]; then
    at_least "tcp_pingpong: sockit/raw" 0.97 "ping-pong within 3 % of raw"
    # With a timeout a call that has to wait adds one poll (docs/errors-and-timeouts.md, "What a
    # timeout costs, measured"): on a one-CPU ping-pong every receive waits, 6 calls per round trip
    # where raw makes 4, about 12 % of the time.
    at_least "tcp_pingpong: sockit+timeout/raw" 0.85 "ping-pong with a timeout within 15 % of raw"
    at_least "tcp_bulk_64k: sockit/raw" 0.90 "bulk (64 KiB writes) within 10 % of raw"
    at_least "tcp_bulk_1m: sockit/raw" 0.90 "bulk (1 MiB writes) within 10 % of raw"
fi

# User-space instructions per round trip and side, beyond raw: 100 without a timeout; 300 with
# one, which includes the extra poll's C library wrapper and the deadline.
for v in sockit sockit+timeout; do
    limit=100
    [ "$v" = sockit+timeout ] && limit=300
    line=$(grep -m1 "^instructions tcp_pingpong: $v - raw = " "$summary" || true)
    if [ -z "$line" ]; then
        target "$v: at most raw + $limit instructions per round trip and side" 0 "no figure"
        continue
    fi
    client=$(sed -E 's/.*client (-?[0-9]+).*/\1/' <<<"$line")
    server=$(sed -E 's/.*server (-?[0-9]+).*/\1/' <<<"$line")
    ok=$([ "$client" -le "$limit" ] && [ "$server" -le "$limit" ] && echo 1 || echo 0)
    target "$v: at most raw + $limit instructions per round trip and side" "$ok" "client +$client, server +$server"
done

# With --noise-free, a scenario with no figure at all is missed, not skipped.
if [ $noise_free = 1 ]; then
    for scenario in tcp_pingpong tcp_bulk_1m udp_pingpong; do
        for v in raw sockit; do
            grep -q "^syscalls $scenario $v: " "$summary" ||
                target "$scenario: sockit makes raw's system calls" 0 "no figure for $v"
        done
    done
    grep -q '^syscalls tcp_pingpong sockit+timeout: ' "$summary" ||
        target "tcp_pingpong: sockit+timeout makes at most one poll per wait beyond raw's calls" 0 "no figure"
fi

# For comparison (not a target): Asio's synchronous API beyond raw, from the per-variant totals.
instructions() { # variant side -> count
    awk -v v="$1:" -v side="$2" '$1 == "instructions" && $2 == "tcp_pingpong" && $3 == v {
        for (i = 4; i < NF; ++i) if ($i == side) { gsub(/,/, "", $(i + 2)); print $(i + 2); exit } }' "$summary"
}
asio_client=$(instructions asio client) raw_client=$(instructions raw client)
asio_server=$(instructions asio server) raw_server=$(instructions raw server)
if [ -n "$asio_client" ] && [ -n "$raw_client" ] && [ -n "$asio_server" ] && [ -n "$raw_server" ]; then
    printf 'info    asio: raw + %d instructions per round trip (client), raw + %d (server)\n' \
        $((asio_client - raw_client)) $((asio_server - raw_server))
fi

# System calls: without a timeout exactly raw's, in every scenario counted; with a timeout at
# most one more (the poll that waits) for each of the operation's receives, which here is half
# of raw's calls (a send and a receive per side).
for scenario in $(awk '/^syscalls [a-z_0-9]+ raw:/ { print $2 }' "$summary"); do
    raw=$(awk -v s="$scenario" '$1 == "syscalls" && $2 == s && $3 == "raw:" { print $4; exit }' "$summary")
    got=$(awk -v s="$scenario" '$1 == "syscalls" && $2 == s && $3 == "sockit:" { print $4; exit }' "$summary")
    if [ -n "$got" ] && [[ $scenario != tls_* ]]; then # TLS: "no more than raw OpenSSL's", above
        target "$scenario: sockit makes raw's system calls" "$([ "$got" = "$raw" ] && echo 1 || echo 0)" \
            "$got per operation (raw $raw)"
    fi
    got=$(awk -v s="$scenario" '$1 == "syscalls" && $2 == s && $3 == "sockit+timeout:" { print $4; exit }' "$summary")
    if [ -n "$got" ]; then
        target "$scenario: sockit+timeout makes at most one poll per wait beyond raw's calls" \
            "$(awk -v g="$got" -v r="$raw" 'BEGIN { print (g <= r * 1.5 + 0.005) ? 1 : 0 }')" \
            "$got per operation (raw $raw, at most $(awk -v r="$raw" 'BEGIN { printf "%.2f", r * 1.5 }'))"
    fi
done

# TLS (bench/tls_run.sh): sockit's TlsStream beside raw OpenSSL on a socket BIO. Required in a
# full run; with --noise-free only when the summary has TLS figures (the live CI check has none).
if [ $noise_free = 0 ] || grep -q '^syscalls tls_' "$summary"; then
    if [ $noise_free = 0 ]; then
        at_least "tls_bulk: sockit/raw" 0.97 "TLS bulk within 3 % of raw OpenSSL"
        at_least "tls_pingpong: sockit/raw" 0.97 "TLS ping-pong within 3 % of raw OpenSSL"
        at_least "tls_handshake: sockit/raw" 0.95 "TLS handshakes within 5 % of raw OpenSSL"
    fi
    for scenario in tls_pingpong tls_bulk tls_handshake; do
        raw=$(awk -v s="$scenario" '$1 == "syscalls" && $2 == s && $3 == "raw:" { print $4; exit }' "$summary")
        got=$(awk -v s="$scenario" '$1 == "syscalls" && $2 == s && $3 == "sockit:" { print $4; exit }' "$summary")
        if [ -z "$raw" ] || [ -z "$got" ]; then
            target "$scenario: sockit makes no more system calls than raw OpenSSL" 0 "no figure"
        else
            target "$scenario: sockit makes no more system calls than raw OpenSSL" \
                "$(awk -v g="$got" -v r="$raw" 'BEGIN { print (g <= r + 0.005) ? 1 : 0 }')" "$got per operation (raw $raw)"
        fi
    done
    line=$(grep -m1 '^instructions tls_pingpong: sockit - raw = ' "$summary" || true)
    if [ -z "$line" ]; then
        target "TLS: at most raw OpenSSL + 100 instructions per round trip and side" 0 "no figure"
    else
        client=$(sed -E 's/.*client (-?[0-9]+).*/\1/' <<<"$line")
        server=$(sed -E 's/.*server (-?[0-9]+).*/\1/' <<<"$line")
        target "TLS: at most raw OpenSSL + 100 instructions per round trip and side" \
            "$([ "$client" -le 100 ] && [ "$server" -le 100 ] && echo 1 || echo 0)" "client +$client, server +$server"
    fi
    grep -q '^allocations: tls ' "$summary" || target "no heap allocation per TLS record by sockit's code" 0 "no figure"
fi

# Heap allocations per operation: none (the TLS ones included).
allocations=$(grep -c '^allocations: .* per op = ' "$summary" || true)
nonzero=$(grep '^allocations: .* per op = ' "$summary" | grep -vc ' = 0$' || true)
if [ "$allocations" = 0 ]; then
    target "no heap allocation per operation" 0 "no figure"
else
    target "no heap allocation per operation" "$([ "$nonzero" = 0 ] && echo 1 || echo 0)" \
        "$((allocations - nonzero)) of $allocations operations allocate nothing"
fi

if [ $noise_free = 1 ]; then
    echo "targets: $met met, $missed missed"
    [ "$missed" = 0 ]
    exit
fi

# At least as fast as Asio's synchronous API in every scenario (within the noise).
for key in $(awk -F': ' '/^[a-z_0-9]+: sockit\/asio = / { print $1 }' "$summary"); do
    case $key in tcp_bulk*) min=0.90 ;; *) min=0.97 ;; esac
    at_least "$key: sockit/asio" "$min" "$key: at least as fast as Asio"
done

# Batched UDP: the batch path against sockit's own loop, with nothing lost.
at_least "udp_oneway_64m: sockit batch/sockit" 1.25 "batched UDP at least 1.25x the plain loop"
loss=$(value "udp_oneway_64m: sockit batch loss %")
target "batched UDP loses nothing with a 64 MiB receive buffer" \
    "$([ -n "$loss" ] && awk -v l="$loss" 'BEGIN { print (l == 0) ? 1 : 0 }' || echo 0)" "${loss:-no figure} % lost"

# Coalesced UDP receive (UDP_GRO): well beyond recv_batch from the same sender, with nothing lost.
at_least "udp_oneway_64m: sockit coalesced/sockit batch" 2.0 "coalesced UDP at least 2x the batch path"
loss=$(value "udp_oneway_64m: sockit coalesced loss %")
target "coalesced UDP loses nothing with a 64 MiB receive buffer" \
    "$([ -n "$loss" ] && awk -v l="$loss" 'BEGIN { print (l == 0) ? 1 : 0 }' || echo 0)" "${loss:-no figure} % lost"

echo "targets: $met met, $missed missed"
[ "$missed" = 0 ]
