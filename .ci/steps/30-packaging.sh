#!/usr/bin/env bash
# Builds and runs each way of consuming sockit (tests/consumers/): find_package after
# cmake --install, a too-new version request that must fail, add_subdirectory, FetchContent,
# pkg-config, and a plain compiler command line. Each consumer exchanges a byte over loopback.
set -euo pipefail
root=$PWD
consumers=$root/tests/consumers
work=$(mktemp -d "${TMPDIR:-/tmp}/sockit-packaging.XXXXXX")
trap 'rm -rf "$work"' EXIT
cxxflags="-Wall -Wextra -Wpedantic -Werror"
jobs=$(($(nproc) < 2 ? $(nproc) : 2))

say() { echo "--- $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
run_consumer() { timeout 30 "$1" || fail "$1 exited with status $?"; }
# cmake_consumer NAME SOURCE_DIR [cmake args...]: configures, builds and runs one consumer.
cmake_consumer() {
    local name=$1 src=$2
    shift 2
    say "$name"
    cmake -S "$src" -B "$work/$name" -DCMAKE_CXX_FLAGS="$cxxflags" "$@" >"$work/$name.log" 2>&1 ||
        { cat "$work/$name.log"; fail "$name: configure failed"; }
    grep -E '^-- (found sockit|sockit as a subproject)' "$work/$name.log" || true
    cmake --build "$work/$name" -j"$jobs" >>"$work/$name.log" 2>&1 || { cat "$work/$name.log"; fail "$name: build failed"; }
    run_consumer "$work/$name/consumer"
}

# 1. Install to a prefix chosen at install time, and look at exactly what was installed.
say "install"
prefix=$work/prefix
cmake -S "$root" -B "$work/sockit" -DSOCKIT_BUILD_TESTS=OFF -DSOCKIT_BUILD_EXAMPLES=OFF >/dev/null
cmake --install "$work/sockit" --prefix "$prefix" >/dev/null
unexpected=$(cd "$prefix" && find . -type f | sort |
    grep -vE '^\./(include/sockit/.+\.hpp|share/cmake/sockit/sockit(Config|ConfigVersion|Targets|TlsTargets)\.cmake|share/pkgconfig/sockit(-tls)?\.pc|share/doc/sockit/LICENSE)$' || true)
[ -z "$unexpected" ] || fail "installed files that are not part of the library: $unexpected"
for h in "$root"/include/sockit/*.hpp "$root"/include/sockit/detail/*.hpp; do
    cmp -s "$h" "$prefix/include/sockit/${h#"$root"/include/sockit/}" || fail "not installed: $h"
done
echo "installed $(cd "$prefix" && find . -type f | wc -l) files, all of them library files"

# An install from a configuration that also has tests and examples installs the same files.
cmake -S "$root" -B "$work/sockit-all" -DSOCKIT_BUILD_TESTS=ON -DSOCKIT_BUILD_EXAMPLES=ON >/dev/null
cmake --install "$work/sockit-all" --prefix "$work/prefix-all" >/dev/null
diff <(cd "$prefix" && find . | sort) <(cd "$work/prefix-all" && find . | sort) ||
    fail "with SOCKIT_BUILD_TESTS/EXAMPLES on, the install differs (above)"

# 2. find_package, and version requests: compatible ones configure, newer or other majors fail.
cmake_consumer find_package "$consumers/find_package" -DCMAKE_PREFIX_PATH="$prefix"
cmake_consumer find_package_tls "$consumers/find_package_tls" -DCMAKE_PREFIX_PATH="$prefix"
say "version requests"
request() {
    cmake -S "$consumers/find_package_version" -B "$work/version-$1" -DCMAKE_PREFIX_PATH="$prefix" \
        -DREQUESTED_VERSION="$1" >"$work/version-$1.log" 2>&1
}
for ok in 2 2.0 2.0.0; do
    request "$ok" || { cat "$work/version-$ok.log"; fail "find_package(sockit $ok) was refused"; }
done
for bad in 3.0 2.1 1.0; do
    if request "$bad"; then fail "find_package(sockit $bad) configured, but the installed sockit is 2.0"; fi
    grep -q 'considered but not accepted' "$work/version-$bad.log" || { cat "$work/version-$bad.log"; fail "find_package(sockit $bad) failed for another reason"; }
done
echo "accepted 2, 2.0, 2.0.0; refused 3.0, 2.1, 1.0"

# 3. add_subdirectory: by default nothing but the library; options set by the parent are honoured.
cmake_consumer add_subdirectory "$consumers/add_subdirectory" -DSOCKIT_SOURCE_DIR="$root"
cmake --install "$work/add_subdirectory" --prefix "$work/prefix-sub" >/dev/null
[ ! -e "$work/prefix-sub" ] || fail "as a subproject, sockit installed: $(cd "$work/prefix-sub" && find . -type f)"
say "add_subdirectory with the parent's SOCKIT_BUILD_TESTS/EXAMPLES/INSTALL on (configure only)"
cmake -S "$consumers/add_subdirectory" -B "$work/add_subdirectory_all" -DSOCKIT_SOURCE_DIR="$root" \
    -DPARENT_WANTS_ALL=ON >"$work/add_subdirectory_all.log" 2>&1 || { cat "$work/add_subdirectory_all.log"; fail "add_subdirectory with options: configure failed"; }
cmake --install "$work/add_subdirectory_all" --prefix "$work/prefix-sub-all" >/dev/null
[ -f "$work/prefix-sub-all/share/cmake/sockit/sockitConfig.cmake" ] || fail "SOCKIT_INSTALL=ON from the parent installed no package"

# 4. FetchContent from an archive of the source tree (what git tracks, as it is on disk).
say "archive for FetchContent"
(cd "$root" && git ls-files -co --exclude-standard -z | xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\0" "$f"; done' sh |
    tar --null -T - --transform 's,^,sockit/,' -czf "$work/sockit.tar.gz")
sha=$(sha256sum "$work/sockit.tar.gz" | cut -d' ' -f1)
cmake_consumer fetchcontent "$consumers/fetchcontent" -DSOCKIT_URL="file://$work/sockit.tar.gz" -DSOCKIT_SHA256="$sha"

# 5. pkg-config against the installed sockit.pc.
say "pkg-config"
export PKG_CONFIG_PATH=$prefix/share/pkgconfig
[ "$(pkg-config --modversion sockit)" = 2.0.0 ] || fail "pkg-config --modversion sockit: $(pkg-config --modversion sockit)"
cflags=$(pkg-config --cflags sockit | xargs)
[ "$(realpath -m "${cflags#-I}")" = "$(realpath "$prefix/include")" ] || fail "pkg-config --cflags sockit gave '$cflags'"
echo "pkg-config --cflags sockit: $cflags"
# shellcheck disable=SC2046,SC2086
g++ -std=c++17 $cxxflags $cflags "$consumers/consumer.cpp" $(pkg-config --libs sockit) -o "$work/pkg-config-consumer"
run_consumer "$work/pkg-config-consumer"
# shellcheck disable=SC2046
g++ -std=c++17 $cxxflags $(pkg-config --cflags sockit-tls) "$consumers/consumer_tls.cpp" $(pkg-config --libs sockit-tls) \
    -o "$work/pkg-config-tls-consumer"
run_consumer "$work/pkg-config-tls-consumer"

# 6. No build system at all: the command line the README promises.
say "g++ -std=c++17 -I include"
# shellcheck disable=SC2086
g++ -std=c++17 $cxxflags -I "$root/include" "$consumers/consumer.cpp" -o "$work/plain-consumer"
run_consumer "$work/plain-consumer"
