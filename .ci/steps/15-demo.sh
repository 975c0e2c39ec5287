# The README's demo command, exactly as a newcomer runs it: it must show the three chats.
set -euo pipefail
out=$(timeout 300 ./scripts/demo.sh 2>&1)
echo "$out" | tail -n 45
grep -q '服务器收到了' <<<"$out" || { echo "demo: the TCP chat's reply is missing" >&2; exit 1; }
grep -q '<<' <<<"$out" || { echo "demo: no reply was printed" >&2; exit 1; }
grep -q '^ *listening on 127.0.0.1:[0-9]* (TLS)$' <<<"$out" || { echo "demo: the TLS server did not start" >&2; exit 1; }
[ "$(grep -c '^ *<< 服务器收到了$' <<<"$out")" -ge 6 ] || { echo "demo: the TLS chat's replies are missing" >&2; exit 1; }
