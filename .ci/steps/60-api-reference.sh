#!/usr/bin/env bash
# Generates the API reference (CMake target sockit_docs, Doxygen); any warning, such as an
# undocumented public member, fails the step.
set -euo pipefail
command -v doxygen >/dev/null || { echo "doxygen not found (Debian: doxygen)" >&2; exit 1; }
dir=build-ci-docs
cmake -S . -B "$dir" -DSOCKIT_BUILD_TESTS=OFF -DSOCKIT_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$dir" --target sockit_docs
echo "API reference: $dir/docs/html/index.html ($(find "$dir/docs/html" -name '*.html' | wc -l) pages)"
