# SPDX-License-Identifier: MIT
# ensure_packages PKG...: makes sure the Debian packages' tools are present.
# Installs the missing ones with apt-get when running as root; otherwise prints
# the command to run and exits.

have_package() {
    case "$1" in
        cmake) command -v cmake >/dev/null ;;
        g++) command -v c++ >/dev/null || command -v g++ >/dev/null ;;
        clang) command -v clang++ >/dev/null ;;
        catch2) # found if any of the places holds it (ls of them all fails when one is missing)
                local f
                for f in /usr/lib/cmake/Catch2/Catch2Config.cmake /usr/lib/*/cmake/Catch2/Catch2Config.cmake \
                         /usr/local/lib/cmake/Catch2/Catch2Config.cmake /usr/local/lib/*/cmake/Catch2/Catch2Config.cmake \
                         /usr/share/cmake/Catch2/Catch2Config.cmake; do
                    [ -e "$f" ] && return 0
                done
                return 1 ;;
        *) dpkg -s "$1" >/dev/null 2>&1 ;;
    esac
}

ensure_packages() {
    local missing=() p
    for p in "$@"; do have_package "$p" || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Installing missing packages: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "Missing: ${missing[*]}. Install them first, e.g.:" >&2
        echo "    sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
}
