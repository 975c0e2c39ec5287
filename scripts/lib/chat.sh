# SPDX-License-Identifier: MIT
# Shell helpers shared by scripts/demo.sh and the examples' end-to-end check:
# building the chat programs, running servers on free loopback ports, making certificates.
# Linux: a peer that is not sockit's is seen listening in /proc/net.

# chat_build DIR [CMAKE_ARGS...]: configures DIR and builds the four chat programs.
chat_build() {
    local dir=$1
    shift
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j2 --target tcp_chat_server tcp_chat_client udp_chat_server udp_chat_client >/dev/null
}

# listening PROTO PORT: true once a tcp socket listens, or a udp socket is bound, on PORT.
listening() {
    local hex
    hex=$(printf '%04X' "$2")
    cat /proc/net/"$1" /proc/net/"$1"6 2>/dev/null |
        awk -v p=":$hex" -v tcp="$([ "$1" = tcp ] && echo 1)" \
            '$2 ~ p "$" && (!tcp || $4 == "0A") { found = 1 } END { exit !found }'
}

# start_server PROTO LOG INPUT CMD...: starts CMD in the background, standard input from INPUT,
# output to LOG, and waits until it serves. Sets SERVER_PID and SERVER_PORT.
# sockit's chat servers get "--port 0" for an argument PORT: the system picks a free port and
# the server prints it in its "listening on ADDRESS:PORT" line, which is read back here.
# Another program (a Python or socat peer) gets a free port in PORT instead, tried again
# when it turns out to be taken meanwhile.
start_server() {
    local proto=$1 log=$2 input=$3
    shift 3
    case "$(basename "$1")" in
    *_chat_server | chat_room | chat_room_threads) start_sockit_server "$log" "$input" "$@" ;;
    *) start_other_server "$proto" "$log" "$input" "$@" ;;
    esac
}

# start_sockit_server LOG INPUT CMD...: start_server for a sockit server, on port 0.
start_sockit_server() {
    local log=$1 input=$2 arg i
    shift 2
    local -a cmd=()
    for arg in "$@"; do cmd+=("${arg//PORT/0}"); done
    "${cmd[@]}" <"$input" >"$log" 2>&1 &
    SERVER_PID=$!
    SERVER_PORT=
    for ((i = 0; i < 100; i++)); do # up to 5 s
        SERVER_PORT=$(sed -n 's/^\(chat_room: \)\{0,1\}listening on .*:\([0-9][0-9]*\)\( .*\)\{0,1\}$/\2/p' "$log" | head -n 1)
        [ -n "$SERVER_PORT" ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    stop_server "$SERVER_PID" >/dev/null 2>&1
    echo "could not start: ${cmd[*]} (no \"listening on\" line; see $log:)" >&2
    cat "$log" >&2
    return 1
}

# start_other_server PROTO LOG INPUT CMD...: start_server for another program, on a free port.
start_other_server() {
    local proto=$1 log=$2 input=$3
    shift 3
    local attempt arg port i
    local -a cmd
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        port=$(free_port)
        cmd=()
        for arg in "$@"; do cmd+=("${arg//PORT/$port}"); done
        "${cmd[@]}" <"$input" >"$log" 2>&1 &
        SERVER_PID=$!
        SERVER_PORT=$port
        for ((i = 0; i < 100; i++)); do # up to 5 s
            listening "$proto" "$port" && kill -0 "$SERVER_PID" 2>/dev/null && return 0
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.05
        done
        stop_server "$SERVER_PID" >/dev/null 2>&1
        grep -q 'in use' "$log" || break # failed for another reason: do not retry
    done
    echo "could not start: $* (see $log:)" >&2
    cat "$log" >&2
    return 1
}

# free_port: a loopback port that nothing used when asked (the system's pick for port 0).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# stop_server PID [SIGNAL]: sends SIGNAL (TERM by default), waits up to 5 s, kills it if it
# is still there, and returns its exit status.
stop_server() {
    local pid=$1 i
    kill -"${2:-TERM}" "$pid" 2>/dev/null
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid"
}

# make_certs DIR: makes, with the openssl command, a CA (ca.pem) and certificates it signed,
# each with its key (NAME.pem, NAME.key): "server" for localhost and 127.0.0.1, "expired" (the
# same names, no longer valid) and "other" (for other.example only). Nothing to keep: made
# each time they are needed, valid for a day.
make_certs() {
    local dir=$1 name
    mkdir -p "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=sockit test CA" \
        -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null || return 1
    for name in server expired other; do
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
            -keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null || return 1
        case $name in
        other) echo "subjectAltName=DNS:other.example" ;;
        *) echo "subjectAltName=DNS:localhost,IP:127.0.0.1" ;;
        esac >"$dir/$name.ext"
        # "expired": valid until a day before it was made.
        openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
            -days "$([ $name = expired ] && echo -1 || echo 1)" -extfile "$dir/$name.ext" \
            -out "$dir/$name.pem" 2>/dev/null || return 1
    done
}
