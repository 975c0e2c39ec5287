# The README's demo command, exactly as a newcomer runs it: it must show both chats.
set -euo pipefail
out=$(timeout 300 ./scripts/demo.sh 2>&1)
echo "$out" | tail -n 25
grep -q '服务器收到了' <<<"$out" || { echo "demo: the TCP chat's reply is missing" >&2; exit 1; }
grep -q '<<' <<<"$out" || { echo "demo: no reply was printed" >&2; exit 1; }
