#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# sockit's mutation test: injects realistic bugs into a copy of include/, one at a time,
# and checks that the tests the documentation cites for each promise catch it.
#
#   scripts/mutation.sh               every mutant (about 20); exit 1 if one survived
#   scripts/mutation.sh --ci          the reduced set .ci/steps/85-mutation.sh runs
#   scripts/mutation.sh --only NAME   one mutant (repeatable); --list names them
#   scripts/mutation.sh --check-docs  only check that every test the docs cite exists
#
# Exit status: 0 every mutant killed, 1 a mutant survived, 2 the run could not be made (a
# mutant's text no longer in the source, a cited test missing, a test failing unmutated).
# The mutants, their killing tests and the method: scripts/lib/mutation.py, docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 -B scripts/lib/mutation.py "$@"
