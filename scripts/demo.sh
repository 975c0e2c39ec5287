#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the chat examples and runs the document's two chats on loopback: a TCP
# server and client, the same over TLS with a certificate made on the spot, then a
# UDP server and client, each server started on a free port and stopped at the end.
# On Debian/Ubuntu, run as root, it first installs what is missing (cmake, a C++
# compiler, OpenSSL's headers and command); otherwise it says what to install.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
. scripts/lib/chat.sh
ensure_packages cmake g++ libssl-dev openssl

build_dir=${SOCKIT_DEMO_BUILD_DIR:-build-demo}
bin=$build_dir/examples
work=$(mktemp -d)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && stop_server "$server_pid" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

echo "Building the examples in $build_dir/ ..."
chat_build "$build_dir" -DSOCKIT_BUILD_TESTS=OFF

# show INPUT OUTPUT: each line typed, then the line the client printed for it.
show() { paste -d '\n' <(sed 's/^/>>/' "$1") "$2" | sed 's/^/    /'; }

printf '%s\n' '你好，服务器' 'Hello from sockit' '再见' >"$work/tcp.in"
start_server tcp "$work/tcp-server.log" /dev/null "$bin/tcp_chat_server" --port PORT
server_pid=$SERVER_PID
echo
echo "== TCP: tcp_chat_server and tcp_chat_client on 127.0.0.1:$SERVER_PORT =="
timeout 20 "$bin/tcp_chat_client" --port "$SERVER_PORT" <"$work/tcp.in" >"$work/tcp.out"
echo "  the client (>> what it sent, << the reply):"
show "$work/tcp.in" "$work/tcp.out"
stop_server "$server_pid" INT
server_pid=
echo "  the server (stopped with SIGINT, as Ctrl-C would):"
sed 's/^/    /' "$work/tcp-server.log"

# The same chat over TLS: a CA and a certificate for 127.0.0.1 made now, the client trusting that CA.
make_certs "$work/certs"
start_server tcp "$work/tls-server.log" /dev/null "$bin/tcp_chat_server" --cert "$work/certs/server.pem" \
    --key "$work/certs/server.key" --port PORT
server_pid=$SERVER_PID
echo
echo "== TLS: tcp_chat_server --cert --key and tcp_chat_client --tls on 127.0.0.1:$SERVER_PORT =="
echo "  (a certificate for 127.0.0.1 and localhost, signed by a CA made a moment ago with openssl)"
timeout 20 "$bin/tcp_chat_client" --tls --ca "$work/certs/ca.pem" --port "$SERVER_PORT" <"$work/tcp.in" >"$work/tls.out"
echo "  the client, verifying the certificate and the address in it:"
show "$work/tcp.in" "$work/tls.out"
echo "  the same client with the system's CAs only, which do not know that CA:"
timeout 20 "$bin/tcp_chat_client" --tls --port "$SERVER_PORT" <"$work/tcp.in" 2>&1 | sed 's/^/    /' || true
stop_server "$server_pid" INT
server_pid=
echo "  the server:"
sed 's/^/    /' "$work/tls-server.log"

printf '%s\n' '你好' 'What time is it?' '再见' >"$work/udp.in"
printf '%s\n' '你好，客户端' 'Time to try sockit.' '再见!' >"$work/udp-replies.in"
start_server udp "$work/udp-server.log" "$work/udp-replies.in" "$bin/udp_chat_server" --port PORT
server_pid=$SERVER_PID
echo
echo "== UDP: udp_chat_server and udp_chat_client on 127.0.0.1:$SERVER_PORT =="
echo "  (the server answers each datagram with the next line of its input)"
timeout 30 "$bin/udp_chat_client" --port "$SERVER_PORT" <"$work/udp.in" >"$work/udp.out"
echo "  the client:"
show "$work/udp.in" "$work/udp.out"
stop_server "$server_pid"
server_pid=
echo "  the server (stopped with SIGTERM):"
sed 's/^/    /' "$work/udp-server.log"
echo
echo "Try them yourself: $bin/tcp_chat_server in one terminal, $bin/tcp_chat_client in another."
