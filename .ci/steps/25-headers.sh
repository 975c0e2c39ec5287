#!/usr/bin/env bash
# Every header under include/sockit/ must compile on its own, as the only include of a
# translation unit (and included twice), warning-free with g++ and clang++ in C++17 and C++20.
# (detail/platform_win.hpp is Windows-only: .ci/steps/50-windows.sh checks it.)
set -euo pipefail
work=$(mktemp -d "${TMPDIR:-/tmp}/sockit-headers.XXXXXX")
trap 'rm -rf "$work"' EXIT
flags="-Wall -Wextra -Wpedantic -Wconversion -Wshadow -Werror"

jobs=()
for header in $(cd include && find sockit -name '*.hpp' ! -name platform_win.hpp | sort); do
    tu=$work/$(echo "$header" | tr / _ | sed 's/\.hpp$//').cpp
    printf '#include <%s>\n#include <%s>\n' "$header" "$header" >"$tu"
    for cxx in g++ clang++; do
        for std in 17 20; do
            jobs+=("$cxx -std=c++$std $flags -I include -fsyntax-only $tu")
        done
    done
done

# Two at a time; each failure prints its command and the compiler's messages.
printf '%s\n' "${jobs[@]}" |
    xargs -P 2 -I{} sh -c '{} 2>&1 || { echo "FAILED: {}"; exit 255; }' &&
    echo "${#jobs[@]} header compilations clean" ||
    { echo "header self-containment failed" >&2; exit 1; }
