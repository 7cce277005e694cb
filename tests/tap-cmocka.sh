#!/bin/bash
# tap-cmocka.sh TEST [ARGS...] — run a cmocka test executable in TAP mode.
# cmocka 1.1 reports a skipped case as "not ok N # SKIP name", which TAP
# readers (meson, scripts/count-tests.py) take as a failure; TAP spells a
# skip "ok N # SKIP reason". Everything else passes through unchanged, and
# the test's own exit status is kept.
set -o pipefail
CMOCKA_MESSAGE_OUTPUT=TAP "$@" | sed -u 's/^not ok \([0-9][0-9]*\) # SKIP/ok \1 # SKIP/'
