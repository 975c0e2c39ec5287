#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The chat examples end to end on loopback: each server with its client, the
# document's chat (Chinese text included), every bad-input case, SIGINT and
# SIGTERM, and the document's own Python programs, nc and socat on the other end.
# Every check prints one line; the step fails if any check fails.
set -uo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/chat.sh

for tool in python3:python3 nc:netcat-openbsd socat:socat script:bsdutils; do
    command -v "${tool%%:*}" >/dev/null ||
        { echo "FAIL - this check needs ${tool%%:*} (apt-get install ${tool#*:})"; exit 1; }
done

build_dir=${SOCKIT_BUILD_DIR:-build}
chat_build "$build_dir" || exit 1
bin=$build_dir/examples
interop=tests/interop
work=$(mktemp -d)
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && stop_server "$pid" KILL >/dev/null 2>&1; done
    rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
ok() {
    echo "ok   - $1"
    passed=$((passed + 1))
}
# not_ok NAME [FILE...]: reports a failed check and shows the files that explain it.
not_ok() {
    echo "FAIL - $1"
    shift
    local f
    for f in "$@"; do
        echo "    --- $f"
        sed 's/^/    /' "$f"
    done
    failed=$((failed + 1))
}
# same NAME EXPECTED ACTUAL [MORE_FILES...]: passes if the two files are identical.
same() {
    if diff -u "$2" "$3" >"$work/diff"; then ok "$1"; else not_ok "$1" "$work/diff" "${@:4}"; fi
}
# has NAME FILE REGEX: passes if a line of FILE matches the extended REGEX.
has() {
    if grep -Eq -- "$3" "$2"; then ok "$1"; else not_ok "$1 (no line matches /$3/)" "$2"; fi
}
# serve NAME PROTO INPUT CMD...: start_server, remembering the process; sets PID and PORT.
serve() {
    local name=$1 log=$work/$1.log
    shift
    if ! start_server "$1" "$log" "$2" "${@:3}" 2>"$work/start.err"; then
        not_ok "$name: the server starts" "$work/start.err"
        return 1
    fi
    pids+=("$SERVER_PID")
    PID=$SERVER_PID
    PORT=$SERVER_PORT
}
# stopped NAME PID [SIGNAL]: passes if the server ends with status 0 within 5 s of SIGNAL.
stopped() {
    local status what="$1: SIG${3:-TERM} ends it with status 0"
    stop_server "$2" "${3:-TERM}"
    status=$?
    if [ "$status" -eq 0 ]; then ok "$what"; else not_ok "$what (status $status)" "$work/$1.log"; fi
}
lines() { printf '%s\n' "$@"; }
# connect_and_wait NAME PORT LINE: starts a tcp_chat_client that sends LINE, waits (up to 5 s)
# for its reply and stays connected, its input held open on descriptor 3, until hang_up.
connect_and_wait() {
    mkfifo "$work/$1.in"
    timeout 20 "$bin/tcp_chat_client" --port "$2" <"$work/$1.in" >"$work/$1.out" 2>&1 &
    CLIENT_PID=$!
    CLIENT_OUT=$work/$1.out
    exec 3>"$work/$1.in"
    echo "$3" >&3
    for ((i = 0; i < 100; i++)); do [ -s "$CLIENT_OUT" ] && break; sleep 0.05; done
}
# hang_up: ends connect_and_wait's client input; its exit status goes to the end of its output.
hang_up() {
    exec 3>&-
    wait "$CLIENT_PID"
    echo "exit $?" >>"$CLIENT_OUT"
}
# talk OUT INPUT CMD...: runs a client, its output and then its exit status into OUT.
talk() {
    local out=$1 input=$2
    shift 2
    timeout 20 "$@" <"$input" >"$out" 2>&1
    echo "exit $?" >>"$out"
}
# on_terminal OUT CMD...: runs CMD with a terminal for its input (script(1)), on which 你好 and
# then end of input are typed; what the terminal showed goes to OUT.
on_terminal() {
    local out=$1
    shift
    printf '你好\n\004' | timeout 10 script -qec "$*" /dev/null | tr -d '\r' >"$out"
}
# want FILE...: what talk should have written: FILE's lines, then "exit 0".
want() {
    cat "$@"
    echo "exit 0"
}

chat_in=$work/chat.in # what the clients type: the document's chat, in Chinese and English
lines '你好' '服务器你好吗?' 'hello, sockit' >"$chat_in"
echo_out=$work/echo.expected
sed 's/^/<< /' "$chat_in" >"$echo_out"
received=$work/received.expected
lines '<< 服务器收到了' '<< 服务器收到了' '<< 服务器收到了' >"$received"
replies=$work/replies.in # what the UDP server's operator types
lines '你好，客户端' '我很好' 'bye' >"$replies"
peer='\(127\.0\.0\.1, [0-9]+\)'

# --help ------------------------------------------------------------------------------------
for p in tcp_chat_server tcp_chat_client udp_chat_server udp_chat_client; do
    if timeout 5 "$bin/$p" --help >"$work/help" 2>&1 && grep -q "^usage: $p " "$work/help"; then
        ok "$p --help"
    else
        not_ok "$p --help" "$work/help"
    fi
done

# TCP ---------------------------------------------------------------------------------------
if serve tcp-server tcp /dev/null "$bin/tcp_chat_server" --port PORT; then
    talk "$work/out" "$chat_in" "$bin/tcp_chat_client" --port "$PORT"
    same "tcp: the client prints << 服务器收到了 for each line" <(want "$received") "$work/out"
    has "tcp --port 0: the server prints the free port it got" "$work/tcp-server.log" "^listening on 127\.0\.0\.1:[1-9][0-9]*\$"
    has "tcp: the server prints (ip, port):你好" "$work/tcp-server.log" "^$peer:你好\$"
    has "tcp: the server prints that the client left" "$work/tcp-server.log" "^$peer left\$"
    stopped tcp-server "$PID" INT
fi

if serve tcp-echo tcp /dev/null "$bin/tcp_chat_server" --echo --port PORT; then
    talk "$work/out" "$chat_in" "$bin/tcp_chat_client" --port "$PORT"
    same "tcp --echo: every line comes back" <(want "$echo_out") "$work/out"
    on_terminal "$work/out" "$bin/tcp_chat_client" --port "$PORT"
    has "tcp: the client prompts >> when its input is a terminal" "$work/out" '^>><< 你好$'

    # Two clients at once: the second is served while the first is still connected.
    connect_and_wait first "$PORT" first
    talk "$work/out" <(lines second) "$bin/tcp_chat_client" --port "$PORT"
    same "tcp: a second client is served while the first stays connected" <(want <(lines '<< second')) "$work/out"
    hang_up
    same "tcp: the first client then finishes" <(want <(lines '<< first')) "$work/first.out"
    stopped tcp-echo "$PID" TERM
fi

# UDP ---------------------------------------------------------------------------------------
if serve udp-server udp "$replies" "$bin/udp_chat_server" --port PORT; then
    has "udp --port 0: the server prints the free port it got" "$work/udp-server.log" "^listening on 127\.0\.0\.1:[1-9][0-9]*\$"
    talk "$work/out" "$chat_in" "$bin/udp_chat_client" --port "$PORT"
    same "udp: the client prints (ip, port) << reply, the server's input line" \
        <(want <(sed "s/^/(127.0.0.1, $PORT) << /" "$replies")) "$work/out"
    has "udp: the server prints (ip, port) << 你好" "$work/udp-server.log" "^$peer << 你好\$"
    stopped udp-server "$PID" TERM
fi

if serve udp-echo udp /dev/null "$bin/udp_chat_server" --echo --port PORT; then
    talk "$work/out" "$chat_in" "$bin/udp_chat_client" --port "$PORT"
    same "udp --echo: every line comes back" <(want <(sed "s/^/(127.0.0.1, $PORT) << /" "$chat_in")) "$work/out"
    on_terminal "$work/out" "$bin/udp_chat_client" --port "$PORT"
    has "udp: the client prompts >> when its input is a terminal" "$work/out" "^>>$peer << 你好\$"
    stopped udp-echo "$PID" INT
fi

port=$(free_port)
lines '你好' | timeout 10 "$bin/udp_chat_client" --port "$port" >"$work/out" 2>"$work/err"
status=$?
if [ "$status" -eq 0 ] && [ ! -s "$work/out" ] && grep -q "^no reply from 127.0.0.1:$port within 3 s" "$work/err"; then
    ok "udp: with no server the client says no reply came, and goes on"
else
    not_ok "udp: with no server the client says no reply came (status $status)" "$work/out" "$work/err"
fi

# Bound to every interface, the server answers from the address each datagram was sent to: a
# client whose socket is connected to 127.0.0.5 drops a reply from 127.0.0.1.
if serve udp-wildcard udp /dev/null "$bin/udp_chat_server" --echo --host 0.0.0.0 --port PORT; then
    timeout 10 python3 - "$PORT" >"$work/out" 2>&1 <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.5", int(sys.argv[1])))
s.settimeout(5)
s.send("你好".encode())
print(s.recv(100).decode())
PY
    same "udp --host 0.0.0.0: a client connected to 127.0.0.5 gets its reply from there" <(echo '你好') "$work/out"
    stopped udp-wildcard "$PID"
fi

if serve udp-eof udp /dev/null "$bin/udp_chat_server" --port PORT; then
    printf 'hi' | timeout 5 socat -u - "UDP:127.0.0.1:$PORT"
    wait_status=1
    for ((i = 0; i < 100; i++)); do # up to 5 s
        kill -0 "$PID" 2>/dev/null || { wait "$PID"; wait_status=$?; break; }
        sleep 0.05
    done
    if [ "$wait_status" -eq 0 ]; then ok "udp: end of the server's input ends it"; else
        not_ok "udp: end of the server's input ends it (status $wait_status)" "$work/udp-eof.log"
    fi
fi

# Bad input: one line on standard error naming the input, a non-zero status, no trace ----
# bad NAME TEXT CMD...: CMD must fail (not time out) with one stderr line containing TEXT.
bad() {
    local name=$1 text=$2 status
    shift 2
    timeout 10 "$@" </dev/null >/dev/null 2>"$work/err"
    status=$?
    if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && [ "$(wc -l <"$work/err")" -eq 1 ] &&
        grep -qF -- "$text" "$work/err"; then
        ok "$name: $(cat "$work/err") (status $status)"
    else
        not_ok "$name (status $status; want one line with '$text')" "$work/err"
    fi
}
for p in tcp_chat_server tcp_chat_client udp_chat_server udp_chat_client; do
    bad_ports="70000 abc -1"
    case $p in *client) bad_ports="0 $bad_ports" ;; esac # a server takes port 0: any free port
    for port in $bad_ports; do bad "$p --port $port" "port '$port'" "$bin/$p" --port "$port"; done
    bad "$p --host no-such-host.invalid" "no-such-host.invalid" "$bin/$p" --host no-such-host.invalid
    bad "$p --bogus" "'--bogus'" "$bin/$p" --bogus
done
port=$(free_port)
bad "tcp_chat_client: refused" "connect 127.0.0.1:$port: Connection refused" "$bin/tcp_chat_client" --port "$port"
if serve tcp-busy tcp /dev/null "$bin/tcp_chat_server" --port PORT; then
    bad "tcp_chat_server: port in use" "bind 127.0.0.1:$PORT: Address already in use" \
        "$bin/tcp_chat_server" --port "$PORT"
    stopped tcp-busy "$PID"
fi
if serve udp-busy udp /dev/null "$bin/udp_chat_server" --echo --port PORT; then
    bad "udp_chat_server: port in use" "bind 127.0.0.1:$PORT: Address already in use" \
        "$bin/udp_chat_server" --port "$PORT"
    stopped udp-busy "$PID"
fi

# Signals while busy: a TCP client connected; a UDP server waiting for its operator ----------
if serve tcp_chat_server-with-a-client tcp /dev/null "$bin/tcp_chat_server" --port PORT; then
    connect_and_wait idle "$PORT" '还在吗'
    stopped tcp_chat_server-with-a-client "$PID" INT # while a client is connected
    hang_up
fi
mkfifo "$work/operator.in"
sleep 30 >"$work/operator.in" & # keeps the server's input open, with nothing to read
operator=$!
if serve udp_chat_server-waiting-for-input udp "$work/operator.in" "$bin/udp_chat_server" --port PORT; then
    printf 'hi' | timeout 5 socat -u - "UDP:127.0.0.1:$PORT"
    for ((i = 0; i < 100; i++)); do grep -q '<< hi' "$work/udp_chat_server-waiting-for-input.log" && break; sleep 0.05; done
    stopped udp_chat_server-waiting-for-input "$PID" TERM # while it waits for a reply to type
fi
kill "$operator" 2>/dev/null
wait "$operator" 2>/dev/null

# The document's Python programs on the other end ------------------------------------------
if serve tcp-py-client tcp /dev/null "$bin/tcp_chat_server" --port PORT; then
    timeout 10 python3 -u "$interop/tcp_client.py" "$PORT" <"$chat_in" >"$work/out" 2>/dev/null
    same "interop: the document's TCP client gets 服务器收到了 each time" "$received" <(sed 's/>>//g' "$work/out")
    has "interop: tcp_chat_server prints the document's client's 你好" "$work/tcp-py-client.log" "^$peer:你好\$"
    stopped tcp-py-client "$PID"
fi
if serve tcp-py-server tcp /dev/null python3 -u "$interop/tcp_server.py" PORT; then
    talk "$work/out" "$chat_in" "$bin/tcp_chat_client" --port "$PORT"
    same "interop: tcp_chat_client with the document's TCP server" <(want "$received") "$work/out"
    has "interop: the document's TCP server prints 你好" "$work/tcp-py-server.log" "^\('127.0.0.1', [0-9]+\):你好\$"
    stop_server "$PID"
fi
if serve udp-py-client udp "$replies" "$bin/udp_chat_server" --port PORT; then
    timeout 10 python3 -u "$interop/udp_client.py" "$PORT" <"$chat_in" >"$work/out" 2>/dev/null
    same "interop: the document's UDP client gets each reply" \
        <(sed "s/^/('127.0.0.1', $PORT) << /" "$replies") <(sed 's/>>//g' "$work/out")
    has "interop: udp_chat_server prints the document's client's 你好" "$work/udp-py-client.log" "^$peer << 你好\$"
    stopped udp-py-client "$PID"
fi
if serve udp-py-server udp "$replies" python3 -u "$interop/udp_server.py" PORT; then
    talk "$work/out" "$chat_in" "$bin/udp_chat_client" --port "$PORT"
    same "interop: udp_chat_client with the document's UDP server" \
        <(want <(sed "s/^/(127.0.0.1, $PORT) << /" "$replies")) "$work/out"
    has "interop: the document's UDP server prints 你好" "$work/udp-py-server.log" "\('127.0.0.1', [0-9]+\) << 你好\$"
    stop_server "$PID"
fi

# nc and socat on the other end --------------------------------------------------------------
if serve tcp-nc tcp /dev/null "$bin/tcp_chat_server" --echo --port PORT; then
    lines '你好' | timeout 5 nc -N 127.0.0.1 "$PORT" >"$work/out" 2>&1
    same "interop: nc with tcp_chat_server --echo" <(lines '你好') "$work/out"
    stopped tcp-nc "$PID"
fi
if serve tcp-socat tcp /dev/null socat "TCP-LISTEN:PORT,bind=127.0.0.1,reuseaddr" PIPE; then
    talk "$work/out" "$chat_in" "$bin/tcp_chat_client" --port "$PORT"
    same "interop: tcp_chat_client with a socat echo server" <(want "$echo_out") "$work/out"
    stop_server "$PID"
fi
if serve udp-socat udp /dev/null "$bin/udp_chat_server" --echo --port PORT; then
    printf '你好' | timeout 5 socat - "UDP:127.0.0.1:$PORT" >"$work/out" 2>&1
    same "interop: socat with udp_chat_server --echo" <(printf '你好') "$work/out"
    stopped udp-socat "$PID"
fi
if serve udp-socat-echo udp /dev/null socat "UDP-RECVFROM:PORT,bind=127.0.0.1,fork" PIPE; then
    talk "$work/out" "$chat_in" "$bin/udp_chat_client" --port "$PORT"
    same "interop: udp_chat_client with a socat echo server" \
        <(want <(sed "s/^/(127.0.0.1, $PORT) << /" "$chat_in")) "$work/out"
    stop_server "$PID"
fi

echo "examples: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
