# Sourced by the CI steps that build for Windows.
# $mingw_cxx: MinGW-w64's g++ with POSIX threads (std::thread), empty if it is not installed.
# mingw_clang_args: prints, one per line, the arguments with which clang++ and clang-tidy
# compile for the same Windows target with MinGW-w64's headers: g++'s include directories,
# except GCC's own intrinsics headers (clang has its own).
mingw_cxx=$(command -v x86_64-w64-mingw32-g++-posix || true)

mingw_clang_args() {
    echo "--target=x86_64-w64-mingw32"
    echo | "$mingw_cxx" -x c++ -E -v - 2>&1 |
        sed -n '/#include <...> search starts here:/,/End of search list\./p' | sed '1d;$d' |
        while read -r dir; do realpath "$dir"; done |
        grep -vE '^/usr/lib/gcc/.*/include(-fixed)?$' |
        while read -r dir; do printf '%s\n' -isystem "$dir"; done
}
