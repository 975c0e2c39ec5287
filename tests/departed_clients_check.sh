#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A thread-per-client example server lets go of its clients' sockets when they leave,
# also when no other client comes after them. Starts SERVER on a free loopback port;
# 20 clients connect and are served, then all of them leave. Within 5 s, with no other
# client connecting, the server must hold no more sockets than before they came (read
# from /proc/PID/fd). Then SIGTERM must end it with status 0.
#
#   departed_clients_check.sh SERVER        (tcp_chat_server or chat_room_threads)
#
# Skips (tests/skip.sh: exit 77, CTest's skip code here) without /proc or python3.
set -uo pipefail
server_bin=$1
name=$(basename "$server_bin")
clients=20
. "$(dirname "$0")/../scripts/lib/chat.sh"

. "$(dirname "$0")/skip.sh"
[ -d /proc/self/fd ] || sockit_skip "departed_clients_check.sh $name" "needs /proc/PID/fd"
command -v python3 >/dev/null || sockit_skip "departed_clients_check.sh $name" "needs python3"

log=$(mktemp)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null && stop_server "$server_pid" KILL >/dev/null 2>&1
    rm -f "$log"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $name: $1"
    sed 's/^/    /' "$log"
    exit 1
}

# sockets: how many of the server's descriptors are sockets (the listener, then one per client).
sockets() { find /proc/"$server_pid"/fd -lname 'socket:*' 2>/dev/null | wc -l; }
descriptors() { ls /proc/"$server_pid"/fd | wc -l; }

start_server tcp "$log" /dev/null "$server_bin" --port PORT || exit 1
server_pid=$SERVER_PID
baseline=$(sockets)
echo "$name: listening on port $SERVER_PORT with $(descriptors) descriptors, $baseline of them sockets"

# The clients: each is served before any of them leaves (tcp_chat_server answers a line
# with 服务器收到了; chat_room_threads welcomes each client with a line) and reads all that
# was sent to it, so that it leaves cleanly. Prints how many sockets the server holds while
# they are all connected.
clients_come_and_go='
import os, socket, sys
port, count, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
reply = "服务器收到了".encode()
clients = []
for _ in range(count):
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    if sys.argv[4] == "reply":
        c.sendall("你好\n".encode())
        got = b""
        while len(got) < len(reply):
            more = c.recv(len(reply) - len(got))
            if not more:
                sys.exit("the server closed a connection without answering")
            got += more
    elif not c.makefile("rb").readline().startswith(b"* welcome"):
        sys.exit("the server closed a connection without welcoming it")
    clients.append(c)
fds = "/proc/" + pid + "/fd/"
print(sum(os.readlink(fds + fd).startswith("socket:") for fd in os.listdir(fds)))
for c in clients:
    c.close()
'
case $name in
tcp_chat_server*) protocol=reply ;;
*) protocol=welcome ;;
esac
connected=$(python3 -c "$clients_come_and_go" "$SERVER_PORT" "$clients" "$server_pid" "$protocol") ||
    fail "the clients were not all served"
echo "$name: with $clients clients connected: $connected sockets"
[ "$connected" -ge $((baseline + clients)) ] ||
    fail "expected at least $((baseline + clients)) sockets while the clients were connected"

left=
for ((i = 0; i < 100; i++)); do # up to 5 s
    left=$(sockets)
    [ "$left" -le "$baseline" ] && break
    sleep 0.05
done
echo "$name: after the clients left: $(descriptors) descriptors, $left sockets (waited $((i * 50)) ms)"
[ "$left" -le "$baseline" ] ||
    fail "still holds $((left - baseline)) sockets of the $clients clients that left, 5 s after they left"

stop_server "$server_pid" TERM
status=$?
server_pid=
[ "$status" -eq 0 ] || fail "SIGTERM ended it with status $status"
echo "ok: $name let go of the sockets of $clients clients when they left, and stopped with status 0"
