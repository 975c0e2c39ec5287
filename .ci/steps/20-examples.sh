#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The chat examples end to end on loopback: each server with its client, the
# document's chat (Chinese text included), every bad-input case, SIGINT and
# SIGTERM, and the document's own Python programs, nc and socat on the other end;
# the TCP pair over TLS, with openssl's and Python's TLS on the other end.
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
    # The terminal echoes the typed line before or after the prompt, as the timing falls.
    has "tcp: the client prompts >> when its input is a terminal" "$work/out" '^>>'
    has "tcp: on a terminal the reply follows the prompt" "$work/out" '^(>>)?<< 你好$'

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
    has "udp: the client prompts >> when its input is a terminal" "$work/out" '^>>'
    has "udp: on a terminal the reply follows the prompt" "$work/out" "^(>>)?$peer << 你好\$"
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

# TLS ---------------------------------------------------------------------------------------
# Certificates made here with openssl (scripts/lib/chat.sh make_certs): a CA, a server leaf for
# localhost and 127.0.0.1, an expired one, one for another name.
# one_line NAME STATUS TEXT OUT ERR: passes if the command ended with STATUS and printed exactly
# one line, on standard error, containing TEXT (and nothing on standard output).
one_line() {
    local name=$1 want=$2 text=$3 out=$4 err=$5 status
    status=$(tail -n 1 "$out" | sed -n 's/^exit //p')
    sed -i '$d' "$out"
    if [ "$status" = "$want" ] && [ ! -s "$out" ] && [ "$(wc -l <"$err")" -eq 1 ] && grep -qiF -- "$text" "$err"; then
        ok "$name: $(cat "$err") (status $status)"
    else
        not_ok "$name (status $status, want $want and one line with '$text')" "$out" "$err"
    fi
}
# tls_talk OUT ERR INPUT CMD...: talk, standard error apart.
tls_talk() {
    local out=$1 err=$2 input=$3
    shift 3
    timeout 20 "$@" <"$input" >"$out" 2>"$err"
    echo "exit $?" >>"$out"
}
if ! "$bin/tcp_chat_server" --help | grep -q -- '--cert FILE'; then
    not_ok "tcp_chat_server --help shows --cert FILE --key FILE" "$bin/tcp_chat_server"
elif "$bin/tcp_chat_server" --help | grep -q 'not in this build'; then
    # Built without OpenSSL 3: the TLS options are refused with one line, status 2.
    bad "no TLS: tcp_chat_server --cert" "built without TLS" "$bin/tcp_chat_server" --cert a --key b
    bad "no TLS: tcp_chat_client --tls" "built without TLS" "$bin/tcp_chat_client" --tls
elif ! command -v openssl >/dev/null; then
    not_ok "TLS: the checks need the openssl command (apt-get install openssl)"
elif ! make_certs "$work/certs" 2>"$work/err"; then
    not_ok "TLS: openssl makes the test certificates" "$work/err"
else
    c=$work/certs
    tls_server=("$bin/tcp_chat_server" --cert "$c/server.pem" --key "$c/server.key")
    tls_client=("$bin/tcp_chat_client" --tls --ca "$c/ca.pem")
    has "tcp_chat_client --help shows --tls" <("$bin/tcp_chat_client" --help) '--tls \[--ca FILE\] \[--server-name NAME\]'

    if serve tls-server tcp /dev/null "${tls_server[@]}" --port PORT; then
        talk "$work/out" "$chat_in" "${tls_client[@]}" --port "$PORT"
        same "tls: the client prints << 服务器收到了 for each line" <(want "$received") "$work/out"
        talk "$work/out" "$chat_in" "${tls_client[@]}" --host localhost --port "$PORT"
        same "tls: --host localhost, the name checked against the certificate" <(want "$received") "$work/out"
        talk "$work/out" "$chat_in" "${tls_client[@]}" --server-name localhost --port "$PORT"
        same "tls: --server-name localhost to 127.0.0.1" <(want "$received") "$work/out"
        has "tls --port 0: the server prints its port and (TLS)" "$work/tls-server.log" "^listening on 127\.0\.0\.1:[1-9][0-9]* \(TLS\)\$"
        has "tls: the server prints (ip, port):你好" "$work/tls-server.log" "^$peer:你好\$"
        has "tls: the client's close_notify: the server prints that it left" "$work/tls-server.log" "^$peer left\$"

        # Clients whose handshake fails, one line each; a silent one does not hold up the others.
        : >"$work/tls-server.log.mark"
        nc 127.0.0.1 "$PORT" </dev/null >/dev/null 2>&1 & # never speaks: nc -d keeps it open, quiet
        silent=$!
        sleep 0.2
        talk "$work/out" "$chat_in" "${tls_client[@]}" --port "$PORT"
        same "tls: a client is served while a silent one holds its handshake" <(want "$received") "$work/out"
        talk "$work/out" "$chat_in" "$bin/tcp_chat_client" --port "$PORT"
        printf 'garbage\r\n\r\n' | timeout 5 nc -N 127.0.0.1 "$PORT" >/dev/null 2>&1
        tls_talk "$work/out" "$work/err" "$chat_in" "$bin/tcp_chat_client" --tls --port "$PORT" # no --ca
        one_line "tls: a server the system's CAs do not vouch for" 1 "unable to get local issuer certificate" "$work/out" "$work/err"
        for ((i = 0; i < 160; i++)); do # the silent client's 5 s handshake timeout, up to 8 s
            grep -q "TLS handshake failed: timed out" "$work/tls-server.log" && break
            sleep 0.05
        done
        kill "$silent" 2>/dev/null
        wait "$silent" 2>/dev/null
        has "tls: a client that never speaks times out in one line" "$work/tls-server.log" "^$peer TLS handshake failed: timed out\$"
        has "tls: a plain TCP client fails in one line" "$work/tls-server.log" "^$peer TLS handshake failed: wrong version number\$"
        if [ "$(grep -c 'TLS handshake failed: wrong version number$' "$work/tls-server.log")" -ge 2 ]; then
            ok "tls: a client sending garbage fails in one line"
        else not_ok "tls: a client sending garbage fails in one line" "$work/tls-server.log"; fi
        has "tls: a client that rejects the certificate fails in one line" "$work/tls-server.log" "^$peer TLS handshake failed: tlsv1 alert unknown ca\$"
        talk "$work/out" "$chat_in" "${tls_client[@]}" --port "$PORT"
        same "tls: the server still serves after those" <(want "$received") "$work/out"
        tls_talk "$work/out" "$work/err" "$chat_in" "${tls_client[@]}" --server-name other.example --port "$PORT"
        one_line "tls: --server-name other than the certificate's" 1 "hostname mismatch" "$work/out" "$work/err"

        # Peers we did not write: openssl s_client and Python's ssl client.
        { printf '你好'; sleep 1; } | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$c/ca.pem" \
            -verify_ip 127.0.0.1 -verify_return_error -quiet -no_ign_eof >"$work/out" 2>"$work/err"
        same "interop: openssl s_client with tcp_chat_server --cert" <(printf '服务器收到了') "$work/out" "$work/err"
        timeout 20 python3 -u "$interop/tls_client.py" "$PORT" "$c/ca.pem" <"$chat_in" >"$work/out" 2>"$work/err"
        same "interop: Python's ssl client with tcp_chat_server --cert" "$received" "$work/out" "$work/err"
        timeout 20 python3 -u "$interop/tls_client.py" "$PORT" "$c/ca.pem" other.example <"$chat_in" >"$work/out" 2>"$work/err"
        has "interop: Python's ssl client checks the name too" "$work/err" "Hostname mismatch"
        stopped tls-server "$PID" INT
    fi
    if serve tls-echo tcp /dev/null "${tls_server[@]}" --echo --port PORT; then
        talk "$work/out" "$chat_in" "${tls_client[@]}" --port "$PORT"
        same "tls --echo: every line comes back" <(want "$echo_out") "$work/out"
        stopped tls-echo "$PID" TERM
    fi
    if serve tls-expired tcp /dev/null "$bin/tcp_chat_server" --cert "$c/expired.pem" --key "$c/expired.key" --port PORT; then
        tls_talk "$work/out" "$work/err" "$chat_in" "${tls_client[@]}" --port "$PORT"
        one_line "tls: an expired certificate" 1 "certificate has expired" "$work/out" "$work/err"
        stopped tls-expired "$PID"
    fi
    if serve tls-other tcp /dev/null "$bin/tcp_chat_server" --cert "$c/other.pem" --key "$c/other.key" --port PORT; then
        tls_talk "$work/out" "$work/err" "$chat_in" "${tls_client[@]}" --host localhost --port "$PORT"
        one_line "tls: a certificate for another name" 1 "hostname mismatch" "$work/out" "$work/err"
        tls_talk "$work/out" "$work/err" "$chat_in" "${tls_client[@]}" --port "$PORT"
        one_line "tls: a certificate without the address" 1 "IP address mismatch" "$work/out" "$work/err"
        stopped tls-other "$PID"
    fi
    if serve tls-plain-server tcp /dev/null socat "TCP-LISTEN:PORT,bind=127.0.0.1,reuseaddr,fork" \
        "SYSTEM:printf 'HTTP/1.0 400 Bad Request\\r\\n\\r\\n'"; then
        tls_talk "$work/out" "$work/err" "$chat_in" "${tls_client[@]}" --port "$PORT"
        one_line "tls: a server that answers in plain text" 1 "wrong version number" "$work/out" "$work/err"
        stop_server "$PID"
    fi

    # Bad input: status 2 for usage, 1 for a file that cannot serve, before listening.
    bad "tcp_chat_server --cert alone" "--cert and --key go together" "$bin/tcp_chat_server" --cert "$c/server.pem"
    bad "tcp_chat_server --key alone" "--cert and --key go together" "$bin/tcp_chat_server" --key "$c/server.key"
    bad "tcp_chat_client --ca without --tls" "--ca needs --tls" "$bin/tcp_chat_client" --ca "$c/ca.pem"
    for args in "$work/nope.pem|$c/server.key|TLS certificate chain $work/nope.pem: No such file or directory" \
        "$c/server.pem|$work/nope.key|TLS private key $work/nope.key: No such file or directory" \
        "$c/server.key|$c/server.key|TLS certificate chain $c/server.key: no start line" \
        "$c/server.pem|$c/other.key|TLS private key (does not match the certificate) $c/other.key: key values mismatch"; do
        IFS='|' read -r cert key text <<<"$args"
        tls_talk "$work/out" "$work/err" /dev/null "$bin/tcp_chat_server" --cert "$cert" --key "$key" --port 0
        one_line "tcp_chat_server: $(basename "$cert") and $(basename "$key"), nothing listened" 1 "$text" "$work/out" "$work/err"
    done
    tls_talk "$work/out" "$work/err" /dev/null "$bin/tcp_chat_client" --tls --ca "$work/nope.pem"
    one_line "tcp_chat_client: a CA file that is not there" 1 "load CA file $work/nope.pem: No such file or directory" "$work/out" "$work/err"
    for s in "(2)--cert:tcp_chat_server" "(2)--key:tcp_chat_server" "(2)--ca:tcp_chat_client" "(2)--server-name:tcp_chat_client"; do
        flag=${s#(2)}
        flag=${flag%%:*}
        bad "${s##*:} $flag without a value" "$flag needs a value" "$bin/${s##*:}" "$flag"
    done

    # Peers we did not write as servers: openssl s_server, Python's ssl server.
    mkfifo "$work/s_server.in"
    (printf '服务器收到了'; sleep 5) >"$work/s_server.in" & # the reply, then its input stays open
    replier=$!
    if serve s_server tcp "$work/s_server.in" openssl s_server -accept "127.0.0.1:PORT" -cert "$c/server.pem" \
        -key "$c/server.key" -naccept 1 -quiet; then
        talk "$work/out" <(lines '你好') "${tls_client[@]}" --port "$PORT"
        same "interop: tcp_chat_client --tls with openssl s_server" <(want <(lines '<< 服务器收到了')) "$work/out"
        for ((i = 0; i < 100; i++)); do grep -q '你好' "$work/s_server.log" && break; sleep 0.05; done
        has "interop: openssl s_server prints 你好" "$work/s_server.log" "你好"
        stop_server "$PID"
    fi
    kill "$replier" 2>/dev/null
    wait "$replier" 2>/dev/null
    if serve tls-py-server tcp /dev/null python3 -u "$interop/tls_server.py" PORT "$c/server.pem" "$c/server.key"; then
        talk "$work/out" "$chat_in" "${tls_client[@]}" --port "$PORT"
        same "interop: tcp_chat_client --tls with Python's ssl server" <(want "$received") "$work/out"
        for ((i = 0; i < 100; i++)); do grep -q 'left clean' "$work/tls-py-server.log" && break; sleep 0.05; done
        has "interop: Python's ssl server prints 你好" "$work/tls-py-server.log" "^\('127.0.0.1', [0-9]+\):你好\$"
        has "interop: Python's ssl server gets the client's close_notify" "$work/tls-py-server.log" "^\('127.0.0.1', [0-9]+\) left clean\$"
        stop_server "$PID"
    fi
fi

echo "examples: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
