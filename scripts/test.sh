#!/usr/bin/env bash
# Builds sockit and runs every test. On Debian/Ubuntu, run as root, it first
# installs what is missing (cmake, a C++ compiler, Catch2); otherwise it says
# what to install. Extra arguments go to ctest (e.g. -L stress, -R address).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
ensure_packages cmake g++ catch2 libasio-dev libssl-dev openssl python3 iproute2

build_dir=${SOCKIT_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${SOCKIT_CMAKE_ARGS:-}
cmake --build "$build_dir" -j"$(nproc)"
cd "$build_dir"
ctest --output-on-failure -j"$(nproc)" "$@"
