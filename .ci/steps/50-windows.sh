#!/usr/bin/env bash
# Cross-compiles sockit for 64-bit Windows with MinGW-w64: every header (with g++, and with
# clang++ for the same target), the tests (with Catch2 2's single header), the examples, and
# a find_package consumer through CMake (which must link ws2_32 by itself). If wine can run
# Windows programs here, runs them too.
set -euo pipefail
root=$PWD
. .ci/lib/mingw.sh
cxx=$mingw_cxx
[ -n "$cxx" ] || { echo "x86_64-w64-mingw32-g++-posix not found (Debian: g++-mingw-w64-x86-64-posix)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/sockit-windows.XXXXXX")
trap 'rm -rf "$work"' EXIT
flags=(-std=c++17 -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Werror -I "$root/include")
link=(-static -lws2_32)
say() { echo "--- [${SECONDS}s] $*"; }

say "headers, each alone"
# Linux-only headers, with the reason; every other header must compile for Windows.
linux_only_headers=(
    sockit/detail/poller_epoll.hpp # the Poller's epoll backend: poller_backend.hpp includes it on Linux only
    sockit/tls.hpp sockit/detail/tls_openssl.hpp # TLS needs OpenSSL, which this cross build does not have
)
for header in $(cd include && find sockit -name '*.hpp' | sort); do
    [[ " ${linux_only_headers[*]} " == *" $header "* ]] && continue
    printf '#include <%s>\n' "$header" >"$work/$(echo "$header" | tr / _).cpp"
done
find "$work" -name 'sockit_*.cpp' -print0 |
    xargs -0 -P 2 -I{} sh -c '"$0" "$@" -fsyntax-only {} || { echo "FAILED: {}"; exit 255; }' "$cxx" "${flags[@]}"
mapfile -t clang_args < <(mingw_clang_args)
find "$work" -name 'sockit_*.cpp' -print0 |
    xargs -0 -P 2 -I{} sh -c '"$0" "$@" -fsyntax-only {} || { echo "FAILED: {}"; exit 255; }' \
        clang++ "${clang_args[@]}" "${flags[@]}"
echo "$(find "$work" -name 'sockit_*.cpp' | wc -l) headers compile for Windows with g++ and clang++ (Linux-only: ${linux_only_headers[*]})"

say "tests"
# Catch2 2 is one header: put only its directory on the include path (not /usr/include).
catch_dir=$(dirname "$(ls /usr/include/catch2/catch.hpp /usr/local/include/catch2/catch.hpp 2>/dev/null | head -1)")
mkdir -p "$work/catch/catch2"
ln -s "$catch_dir/catch.hpp" "$work/catch/catch2/catch.hpp"
printf '#define CATCH_CONFIG_MAIN\n#include <catch2/catch.hpp>\n' >"$work/catch_main.cpp"
# Test files written against POSIX interfaces, each with the reason; every other test file
# must compile for Windows.
posix_only=(
    test_errors.cpp # includes <netdb.h> for the EAI_* codes
    test_fd_passing.cpp # passes pipes' descriptors (SCM_RIGHTS): Windows has neither
    test_handles.cpp    # hands descriptors to C code written with <sys/socket.h> and <unistd.h>
    test_limits.cpp # lowers RLIMIT_NOFILE in a forked child (<sys/resource.h>, fork)
    test_poll.cpp   # interposes poll() through <dlfcn.h>
    test_socket.cpp # includes <netinet/in.h>, reads descriptors' fcntl flags
    test_stop.cpp   # confirms threads are asleep through /proc and gettid
    test_timeout_model.cpp # signals a blocked thread (pthread_kill), reads /proc, Unix-domain backlogs
    test_tcp.cpp    # checks SIGPIPE's disposition with sigaction
    test_mutation_gaps.cpp # the same (SIGPIPE, sigaction), for a gathered send_all
    test_unix.cpp   # temporary directories and socket files through <unistd.h> and <sys/stat.h>; socketpair
    test_tls.cpp test_tls_io.cpp test_tls_interop.cpp test_tls_alloc.cpp test_tls_poll.cpp # TLS needs OpenSSL, which this cross build does not have
)
# Test files that replace the global operator new, so are an executable of their own (as in
# tests/CMakeLists.txt): test_alloc.cpp is in the test binary, these are built beside it.
own_binary=(test_poller_alloc.cpp)
tests=("$work/catch_main.cpp" "$root/tests/odr_second_tu.cpp")
for t in "$root"/tests/test_*.cpp; do
    [[ " ${posix_only[*]} ${own_binary[*]} " == *" $(basename "$t") "* ]] || tests+=("$t")
done
echo "test files for Windows: $(printf '%s ' "${tests[@]##*/}")(POSIX-only: ${posix_only[*]})"
printf '%s\n' "${tests[@]}" | xargs -P 2 -I{} sh -c \
    'out='"$work"'/$(basename {} .cpp).o; "$0" "$@" -isystem '"$work/catch"' -I '"$root/tests"' -c {} -o "$out" || { echo "FAILED: {}"; exit 255; }' \
    "$cxx" "${flags[@]}"
"$cxx" "$work"/*.o -o "$work/sockit_tests.exe" "${link[@]}"
for t in "${own_binary[@]}"; do
    "$cxx" "${flags[@]}" -isystem "$work/catch" -I "$root/tests" "$work/catch_main.o" "$root/tests/$t" \
        -o "$work/$(basename "$t" .cpp).exe" "${link[@]}"
done
"$cxx" "${flags[@]}" "$root/tests/contract.cpp" -o "$work/contract.exe" "${link[@]}"
echo "built sockit_tests.exe, contract.exe and $(printf '%s ' "${own_binary[@]/%.cpp/.exe}")"

say "examples"
# Programs written against POSIX interfaces, with the reason; every other one must build.
posix_only_programs=(
    examples/tcp_chat_client.cpp examples/tcp_chat_server.cpp # examples/common.hpp: sigwait for Ctrl-C
    examples/udp_chat_client.cpp examples/udp_chat_server.cpp
    docs/examples/non_blocking.cpp # shows poll() from <poll.h>
    docs/examples/handles.cpp      # hands descriptors to C code written with <sys/socket.h>
    docs/examples/udp_buffer.cpp   # Linux's SO_RCVBUFFORCE
    docs/examples/unix_sockets.cpp # passes a pipe's descriptor (SCM_RIGHTS); socketpair
)
# Programs that need OpenSSL (sockit::tls), which this cross build does not have.
openssl_programs=(docs/examples/tls.cpp)
# Programs that build for Windows but assert POSIX behaviour, so are not run, with the reason.
posix_behaviour=(
    # stops a server blocked in accept with shutdown() on the listener, which wakes accept on
    # Linux; Winsock does not (close it instead there): docs/reliability.md
    program_accept_loop.exe
    # answers from a datagram's destination (IP_PKTINFO), which sockit does not offer on Windows
    # (it needs WSARecvMsg): there the calls report operation_not_supported
    program_udp_route.exe
)
# Programs that build for Windows but are not run alone, with the reason.
not_standalone=(
    program_chat_room.exe program_chat_room_threads.exe # servers that run until stopped
    program_chat_load.exe # a load generator for a running chat server (tests/chat_room_check.sh pairs them)
)
programs=()
for program in examples/*.cpp docs/examples/*.cpp; do
    [ -e "$program" ] || continue
    [[ " ${posix_only_programs[*]} ${openssl_programs[*]} " == *" $program "* ]] || programs+=("$program")
done
printf '%s\n' "${programs[@]}" | xargs -P 2 -I{} sh -c \
    '"$0" "$@" {} -o '"$work"'/program_$(basename {} .cpp).exe -static -lws2_32 || { echo "FAILED: {}"; exit 255; }' \
    "$cxx" "${flags[@]}"
echo "built ${programs[*]} (POSIX-only: ${posix_only_programs[*]}; OpenSSL: ${openssl_programs[*]})"

say "CMake: install for Windows, then find_package from a Windows consumer"
toolchain=$root/cmake/toolchains/mingw-w64-x86_64.cmake
cmake -S "$root" -B "$work/sockit" -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DSOCKIT_BUILD_TESTS=OFF \
    -DSOCKIT_BUILD_EXAMPLES=OFF -DSOCKIT_INSTALL=ON >/dev/null
cmake --install "$work/sockit" --prefix "$work/prefix" >/dev/null
grep -q 'ws2_32' "$work/prefix/share/cmake/sockit/sockitTargets.cmake" || { echo "sockit::sockit does not link ws2_32" >&2; exit 1; }
grep -q '^Libs: -lws2_32' "$work/prefix/share/pkgconfig/sockit.pc" || { echo "sockit.pc lacks -lws2_32" >&2; exit 1; }
cmake -S tests/consumers/find_package -B "$work/consumer" -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
    -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >/dev/null
cmake --build "$work/consumer" -j2 >/dev/null
echo "built consumer.exe with find_package(sockit) (ws2_32 linked by the target)"

wine=$(command -v wine64 || command -v wine || ls /usr/lib/wine/wine64 2>/dev/null || true)
if [ -z "$wine" ]; then
    echo "wine is not installed (Debian: wine64): the Windows programs were built, not run" >&2
    exit 1
fi
say "running under $("$wine" --version 2>/dev/null || echo wine)"
# A throw-away wine prefix (and wine's temporary files) inside $work; the wine server is
# waited for before $work is removed.
mkdir -p "$work/tmp"
export WINEPREFIX=$work/wine WINEDEBUG=-all TMPDIR=$work/tmp
wineserver=$(command -v wineserver || echo "$(dirname "$wine")/wineserver")
trap '"$wineserver" -w 2>/dev/null; rm -rf "$work"' EXIT
if ! timeout 120 "$wine" "$work/consumer/consumer.exe" >"$work/probe.log" 2>&1; then
    cat "$work/probe.log"
    echo "wine cannot run the Windows programs here: they were built, not run" >&2
    exit 1
fi
grep consumer: "$work/probe.log"
timeout 60 "$wine" "$work/contract.exe"
echo "contract.exe passed"
for program in "$work"/program_*.exe; do
    [ -e "$program" ] || continue
    [[ " ${posix_behaviour[*]} ${not_standalone[*]} " == *" $(basename "$program") "* ]] && continue
    timeout 60 "$wine" "$program" >"$work/program.log" 2>&1 || { cat "$work/program.log"; echo "FAILED under wine: $program" >&2; exit 1; }
done
echo "the programs passed under wine (not run: ${posix_behaviour[*]} ${not_standalone[*]})"
# The test binary: where Windows differs from POSIX, the test cases say so with _WIN32
# (tests/support.hpp's FdLeakCheck checks nothing on Windows: under wine, /proc/self/fd lists
# wine's own descriptors). It decides this step like the programs above. It runs in a network
# namespace of its own whose lo is up with a local route for ff00::/8, as test_multicast.cpp's
# Linux part makes for itself: Linux's lo has no multicast route, so the IPv6 multicast test
# could not deliver under wine and would skip (a failure under SOCKIT_REQUIRE_ALL=1).
multicast_lo() {
    local unshare=(unshare -n)
    [ "$(id -u)" = 0 ] || unshare=(unshare -rn)
    "${unshare[@]}" sh -c 'ip link set lo up && ip -6 route add local ff00::/8 dev lo && exec "$@"' sh "$@"
}
# Wine's sockets are made by the wine server, so the server must run in that namespace too:
# the one the programs above started (outside it) is stopped first.
"$wineserver" -k 2>/dev/null || true
"$wineserver" -w 2>/dev/null || true
if multicast_lo timeout 300 "$wine" "$work/sockit_tests.exe" >"$work/tests.log" 2>&1; then
    echo "sockit_tests.exe under wine: $(tr -d '\r' <"$work/tests.log" | tail -n 2 | head -n 1)"
else
    tr -d '\r' <"$work/tests.log" | grep -E -A3 '^-{79}$' | grep -vE '^(-|\.|/| |$)' | sort -u | sed 's/^/    failed: /'
    echo "FAILED under wine: sockit_tests.exe: $(tr -d '\r' <"$work/tests.log" | grep -E '^test cases:')" >&2
    exit 1
fi
for t in "${own_binary[@]}"; do
    exe=$(basename "$t" .cpp).exe
    timeout 120 "$wine" "$work/$exe" >"$work/tests.log" 2>&1 || { tr -d '\r' <"$work/tests.log"; echo "FAILED under wine: $exe" >&2; exit 1; }
    echo "$exe under wine: $(tr -d '\r' <"$work/tests.log" | tail -n 2 | head -n 1)"
done
