#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/check.sh on a recorded run's summary lines (bench/testdata/summary.txt): every target
# met; then the same lines with one figure worsened or removed at a time: that target missed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$here/check.sh" "$here/testdata/summary.txt" >"$tmp/out" || fail "a run that meets every target was reported missed: $(grep MISSED "$tmp/out")"
grep -q '^targets: 32 met, 0 missed$' "$tmp/out" || fail "expected 32 targets met: $(tail -1 "$tmp/out")"

expect_missed() { # description sed-expression pattern-of-the-missed-line
    sed -E "$2" "$here/testdata/summary.txt" >"$tmp/changed"
    if "$here/check.sh" "$tmp/changed" >"$tmp/out"; then fail "$1: check.sh passed"; fi
    grep -qF "MISSED  $3" "$tmp/out" || fail "$1: no MISSED line matching '$3'"
    [ "$(grep -c '^MISSED' "$tmp/out")" = 1 ] || fail "$1: more than one target missed"
}
expect_missed "slow ping-pong" 's/^(tcp_pingpong: sockit\/raw = ).*/\10.950/' 'ping-pong within 3 %'
expect_missed "slow bulk" 's/^(tcp_bulk_1m: sockit\/raw = ).*/\10.850/' 'bulk (1 MiB writes)'
expect_missed "costly calls" 's/^(instructions tcp_pingpong: sockit - raw = client ).*/\1101, server 38/' 'sockit: at most'
expect_missed "an extra system call" 's/^(syscalls tcp_pingpong sockit: ).*/\15.00 per round trip/' 'tcp_pingpong: sockit makes'
expect_missed "a second extra call per wait" 's/^(syscalls tcp_pingpong sockit\+timeout: ).*/\16.50 per round trip/' 'tcp_pingpong: sockit+timeout makes at most'
expect_missed "an allocation" 's/^(allocations: recv per op = ).*/\10.001/' 'no heap allocation'
expect_missed "slower than Asio" 's/^(connect: sockit\/asio = ).*/\10.900/' 'connect: at least as fast as Asio'
expect_missed "slow batches" 's/^(udp_oneway_64m: sockit batch\/sockit = ).*/\11.100/' 'batched UDP at least'
expect_missed "lossy batches" 's/^(udp_oneway_64m: sockit batch loss % = ).*/\10.50/' 'batched UDP loses nothing'
expect_missed "slow coalescing" 's/^(udp_oneway_64m: sockit coalesced\/sockit batch = ).*/\11.500/' 'coalesced UDP at least'
expect_missed "lossy coalescing" 's/^(udp_oneway_64m: sockit coalesced loss % = ).*/\10.10/' 'coalesced UDP loses nothing'
expect_missed "slow TLS bulk" 's/^(tls_bulk: sockit\/raw = ).*/\10.950/' 'TLS bulk within 3 %'
expect_missed "slow TLS ping-pong" 's/^(tls_pingpong: sockit\/raw = ).*/\10.960/' 'TLS ping-pong within 3 %'
expect_missed "slow TLS handshakes" 's/^(tls_handshake: sockit\/raw = ).*/\10.940/' 'TLS handshakes within 5 %'
expect_missed "an extra TLS system call per round trip" 's/^(syscalls tls_pingpong sockit: ).*/\17.00 per round trip/' 'tls_pingpong: sockit makes no more'
expect_missed "an extra write per TLS bulk write" 's/^(syscalls tls_bulk sockit: ).*/\15.00 per 64 KiB write/' 'tls_bulk: sockit makes no more'
expect_missed "an extra TLS system call per handshake" 's/^(syscalls tls_handshake sockit: ).*/\154.00 per connection/' 'tls_handshake: sockit makes no more'
expect_missed "costly TLS calls" 's/^(instructions tls_pingpong: sockit - raw = client ).*/\1101, server 30/' 'TLS: at most raw OpenSSL + 100'
expect_missed "a TLS allocation per record" 's/^(allocations: tls send_all \+ recv_exactly \(64 bytes\) per op = ).*/\11/' 'no heap allocation per operation'
expect_missed "no TLS allocation figures" '/^allocations: tls /d' "no heap allocation per TLS record"
expect_missed "no TLS figures" '/^syscalls tls_handshake /d' 'tls_handshake: sockit makes no more'
expect_missed "a figure absent" '/^tcp_pingpong: sockit\+timeout\/raw/d' 'ping-pong with a timeout'
expect_missed "a figure not a number" 's/^(tcp_bulk_64k: sockit\/raw = ).*/\1nan/' 'bulk (64 KiB writes)'
# --noise-free: only instructions, system calls and allocations count, wall-clock lines are
# not needed, and a missing figure is still missed.
grep -Ev '^(tcp|udp|connect)' "$here/testdata/summary.txt" >"$tmp/noise_free"
"$here/check.sh" --noise-free "$tmp/noise_free" >"$tmp/out" || fail "--noise-free: a run that meets every target was reported missed: $(grep MISSED "$tmp/out")"
grep -q '^targets: 14 met, 0 missed$' "$tmp/out" || fail "--noise-free: expected 14 targets met (7, and 7 TLS ones): $(tail -1 "$tmp/out")"
expect_missed_noise_free() { # description sed-expression pattern-of-the-missed-line
    sed -E "$2" "$tmp/noise_free" >"$tmp/changed"
    if "$here/check.sh" --noise-free "$tmp/changed" >"$tmp/out"; then fail "--noise-free, $1: check.sh passed"; fi
    grep -qF "MISSED  $3" "$tmp/out" || fail "--noise-free, $1: no MISSED line matching '$3'"
}
expect_missed_noise_free "an extra system call" 's/^(syscalls udp_pingpong sockit: ).*/\15.00 per round trip/' 'udp_pingpong: sockit makes'
expect_missed_noise_free "costly calls" 's/^(instructions tcp_pingpong: sockit\+timeout - raw = client ).*/\1301, server 38/' 'sockit+timeout: at most'
expect_missed_noise_free "an allocation" 's/^(allocations: send per op = ).*/\11/' 'no heap allocation'
expect_missed_noise_free "no system call figures" '/^syscalls tcp_bulk_1m /d' 'tcp_bulk_1m: sockit makes'
expect_missed_noise_free "an extra TLS system call" 's/^(syscalls tls_handshake sockit: ).*/\160.00 per connection/' 'tls_handshake: sockit makes no more'
# Without TLS figures at all (the live CI check), --noise-free asks for none.
grep -v '^syscalls tls_' "$tmp/noise_free" >"$tmp/no_tls"
"$here/check.sh" --noise-free "$tmp/no_tls" >"$tmp/out" || fail "--noise-free without TLS figures: reported missed: $(grep MISSED "$tmp/out")"
echo "check.sh: every target found met, each worsened figure found missed"
