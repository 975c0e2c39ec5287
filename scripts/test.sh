#!/usr/bin/env bash
# Builds sockit and runs every test. On Debian/Ubuntu, run as root, it first
# installs what is missing (cmake, a C++ compiler, Catch2); otherwise it says
# what to install. Extra arguments go to ctest (e.g. -L stress, -R address).
# Ends with the number of tests skipped and each one's reason (docs/reliability.md, "Skips");
# with SOCKIT_REQUIRE_ALL=1 in the environment a skip is a failure instead.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
ensure_packages cmake g++ catch2 libasio-dev libssl-dev openssl python3 iproute2

build_dir=${SOCKIT_BUILD_DIR:-build}
mkdir -p "$build_dir"
# Every skip of this run, one line each (tests/support.hpp, tests/skip.sh); emptied first.
SOCKIT_SKIP_LOG=$(cd "$build_dir" && pwd)/skipped.log
export SOCKIT_SKIP_LOG
: >"$SOCKIT_SKIP_LOG"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${SOCKIT_CMAKE_ARGS:-}
cmake --build "$build_dir" -j"$(nproc)"
cd "$build_dir"
status=0
ctest --output-on-failure -j"$(nproc)" "$@" || status=$?
echo "skipped: $(wc -l <"$SOCKIT_SKIP_LOG")"
sed 's/^/    /' "$SOCKIT_SKIP_LOG"
exit "$status"
