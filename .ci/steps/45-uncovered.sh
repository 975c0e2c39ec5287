#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every public function of sockit, in each of its forms, is called by some test:
# scripts/uncovered.sh lists those that are not (and the few excepted, with the reason).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/uncovered.sh
