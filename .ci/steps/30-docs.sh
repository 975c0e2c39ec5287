#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Keeps the guides honest: every C++ block in README.md and docs/*.md must say which
# program it is quoted from (<!-- quoted from docs/examples/x.cpp -->) and appear there
# word for word. Those programs are compiled and run as tests, so the guides cannot rot.
set -uo pipefail
cd "$(dirname "$0")/../.."
python3 - README.md docs/*.md <<'PY'
import re, sys

failed = 0
for md in sys.argv[1:]:
    text = open(md, encoding="utf-8").read()
    for m in re.finditer(r"(?:<!-- quoted from (\S+) -->\n)?```cpp\n(.*?)```", text, re.S):
        source, block = m.group(1), m.group(2)
        line = text.count("\n", 0, m.start()) + 1
        if source is None:
            print(f"FAIL - {md}:{line}: a C++ block without <!-- quoted from ... -->")
            failed += 1
            continue
        try:
            program = open(source, encoding="utf-8").read()
        except OSError as e:
            print(f"FAIL - {md}:{line}: {source}: {e.strerror}")
            failed += 1
            continue
        if block in program:
            print(f"ok   - {md}:{line} is in {source}")
        else:
            print(f"FAIL - {md}:{line}: the block is not in {source} as written")
            failed += 1
sys.exit(1 if failed else 0)
PY
