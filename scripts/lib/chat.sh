# SPDX-License-Identifier: MIT
# Shell helpers shared by scripts/demo.sh and the examples' end-to-end check:
# building the chat programs and running servers on free loopback ports.
# Linux: readiness is read from /proc/net.

# chat_build DIR [CMAKE_ARGS...]: configures DIR and builds the four chat programs.
chat_build() {
    local dir=$1
    shift
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j2 --target tcp_chat_server tcp_chat_client udp_chat_server udp_chat_client >/dev/null
}

# port_in_use PORT: true if any TCP or UDP socket on this machine uses PORT locally.
port_in_use() {
    local hex
    hex=$(printf '%04X' "$1")
    cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 2>/dev/null |
        awk -v p=":$hex" '$2 ~ p "$" { found = 1 } END { exit !found }'
}

# listening PROTO PORT: true once a tcp socket listens, or a udp socket is bound, on PORT.
listening() {
    local hex
    hex=$(printf '%04X' "$2")
    cat /proc/net/"$1" /proc/net/"$1"6 2>/dev/null |
        awk -v p=":$hex" -v tcp="$([ "$1" = tcp ] && echo 1)" \
            '$2 ~ p "$" && (!tcp || $4 == "0A") { found = 1 } END { exit !found }'
}

# start_server PROTO LOG INPUT CMD...: starts CMD in the background on a free port (PORT in
# any argument is replaced by it), standard input from INPUT, output to LOG. Tries
# another port when the chosen one turns out to be taken. Sets SERVER_PID and SERVER_PORT.
start_server() {
    local proto=$1 log=$2 input=$3
    shift 3
    local attempt arg port i
    local -a cmd
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        port=$((20000 + RANDOM % 12000)) # below Linux's ephemeral ports (32768 and up)
        port_in_use "$port" && continue
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
