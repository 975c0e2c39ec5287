# Builds everything warning-free with -Werror under g++ and clang++ (C++17 and C++20).
set -euo pipefail
for cxx in g++ clang++; do
    for std in 17 20; do
        dir=build-ci-$cxx-$std
        cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER=$cxx -DCMAKE_CXX_STANDARD=$std -DSOCKIT_WERROR=ON >/dev/null
        cmake --build "$dir" -j"$(nproc)"
    done
done
