#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sending a file over loopback TCP (bench/send_file.cpp): sendfile(2) by hand, sockit's
# TcpStream::send_file, and a read/send_all loop through a 64 KiB buffer, side by side.
# Prints the section "Sending a file" of docs/benchmarks.md (markdown) on standard output:
#  - throughput, MiB/s: the median of REPS interleaved transfers of a 1 GiB file in the page cache;
#  - system calls per MiB sent, sender side only (sendfile, pread, send/sendto, poll and the
#    signal-mask calls), counted by strace -f -c on one transfer of a 256 MiB file, the file made
#    beforehand by this script so that only the transfer's calls count.
#
#   bench/send_file.sh [REPS]     (default 7)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
ensure_packages cmake g++ strace

reps=${1:-7}
build=build-bench
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target send_file_bench -j2 >/dev/null
prog=$build/bench/send_file_bench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$prog" --check >&2
"$prog" --bench 1024 "$reps" >"$tmp/rates"

head -c $((256 << 20)) /dev/zero | tr '\0' 'x' >"$tmp/file"
: >"$tmp/empty"
cat "$tmp/file" >/dev/null
calls="sendfile,read,pread64,sendto,sendmsg,write,poll,ppoll,rt_sigprocmask,rt_sigpending,rt_sigtimedwait"
declare -A per_mib
# count VARIANT FILE: the sender-side calls of one transfer of FILE.
count() {
    strace -f -c -e trace="$calls" -o "$tmp/strace" "$prog" --run "$1" "$2" >/dev/null
    awk '$NF == "total" { print $4 }' "$tmp/strace"
}
variants="raw-sendfile sockit sockit+timeout read-send_all"
declare -A per_transfer
for variant in $variants; do
    # Less the program's own start-up and shutdown calls: the same run with an empty file.
    n=$(($(count "$variant" "$tmp/file") - $(count "$variant" "$tmp/empty")))
    per_transfer[$variant]=$n
    per_mib[$variant]=$(awk -v t="$n" 'BEGIN { printf "%.2f", t / 256 }')
done

rate() { awk -v v="$1" '$2 == v { print $4 }' "$tmp/rates"; }
raw=$(rate raw-sendfile)
echo "## Sending a file"
echo
echo "bench/send_file.sh: a 1 GiB file in the page cache sent over loopback TCP, the median of $reps"
echo "interleaved transfers each; system calls per MiB on the sender's side under strace (256 MiB)."
echo
echo "| | MiB/s | of raw sendfile | system calls for 256 MiB | per MiB |"
echo "|---|---|---|---|---|"
for variant in $variants; do
    r=$(rate "$variant")
    printf '| %s | %.0f | %.2f | %s | %s |\n' "$variant" "$r" "$(awk -v a="$r" -v b="$raw" 'BEGIN { print a / b }')" \
        "${per_transfer[$variant]}" "${per_mib[$variant]}"
done
