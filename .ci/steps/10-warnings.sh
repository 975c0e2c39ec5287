# Builds everything — library, tests, examples, guide programs, benchmarks — warning-free with
# -Werror, once under g++ in C++17 and once under clang++ in C++20. (Every header alone is
# compiled with both compilers in both standards by 25-headers.sh.)
set -euo pipefail
for config in g++:17 clang++:20; do
    cxx=${config%:*}
    std=${config#*:}
    dir=build-ci-$cxx-$std
    cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER=$cxx -DCMAKE_CXX_STANDARD=$std -DSOCKIT_WERROR=ON >/dev/null
    cmake --build "$dir" -j"$(nproc)"
done
