#!/usr/bin/env bash
# The mutation test's reduced set (scripts/mutation.sh --ci): a deliberate bug of each of the
# main families (SIGPIPE, close-on-exec, EINTR, timeouts, partial sends, end of stream,
# truncation, error mapping, descriptor leaks), each of which its test must catch; and every
# test docs/features.md and docs/reliability.md cite must exist. About a minute on 2 cores.
set -euo pipefail
./scripts/mutation.sh --ci
