#!/usr/bin/env bash
# Formatting (.clang-format) of every C++ file in the tree, and clang-tidy (.clang-tidy) on
# every header in include/, each compiled as the only include of a translation unit.
# clang-format and clang-tidy 14 (Debian 12's) are pinned, so that results do not drift.
set -euo pipefail
root=$PWD
format=$(command -v clang-format-14 || command -v clang-format)
tidy=$(command -v clang-tidy-14 || command -v clang-tidy)
status=0

echo "--- $("$format" --version)"
mapfile -t sources < <(git ls-files -co --exclude-standard -- '*.hpp' '*.cpp' '*.h' '*.cc' | sort)
if "$format" --dry-run --Werror "${sources[@]}"; then
    echo "${#sources[@]} files formatted as .clang-format says"
else
    echo "unformatted files above; fix with: $format -i <file>" >&2
    status=1
fi

echo "--- $("$tidy" --version | grep -i version | head -1)"
work=$(mktemp -d "${TMPDIR:-/tmp}/sockit-tidy.XXXXXX")
trap 'rm -rf "$work"' EXIT
{
    echo '['
    sep=''
    for header in $(cd include && find sockit -name '*.hpp' ! -name platform_win.hpp | sort); do
        tu=$work/$(echo "$header" | tr / _ | sed 's/\.hpp$//').cpp
        printf '#include <%s>\n' "$header" >"$tu"
        printf '%s{"directory": "%s", "file": "%s", "command": "clang++ -std=c++17 -I%s/include -c %s"}\n' \
            "$sep" "$work" "$tu" "$root" "$tu"
        sep=','
    done
    echo ']'
} >"$work/compile_commands.json"
if find "$work" -name '*.cpp' -print0 |
    xargs -0 -P 2 -n 1 "$tidy" --quiet --config-file="$root/.clang-tidy" -p "$work" 2>/dev/null; then
    echo "clang-tidy: no findings in include/"
else
    echo "clang-tidy findings above (checks and the reasons for disabled ones: .clang-tidy)" >&2
    status=1
fi
# The Windows code in include/sockit/detail/, through the umbrella header compiled for Windows.
. .ci/lib/mingw.sh
if [ -n "$mingw_cxx" ]; then
    mapfile -t clang_args < <(mingw_clang_args)
    printf '#include <sockit/sockit.hpp>\n' >"$work/windows.cpp"
    if "$tidy" --quiet --config-file="$root/.clang-tidy" "$work/windows.cpp" -- -std=c++17 "${clang_args[@]}" \
        -I "$root/include" 2>/dev/null; then
        echo "clang-tidy: no findings in include/ compiled for Windows"
    else
        echo "clang-tidy findings above, in the code compiled for Windows" >&2
        status=1
    fi
else
    echo "clang-tidy for Windows skipped: MinGW-w64 is not installed (Debian: g++-mingw-w64-x86-64-posix)"
fi
exit $status
