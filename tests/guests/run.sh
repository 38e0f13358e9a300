#!/bin/bash
# tests/guests/run.sh - runs every real-guest test tests/guests/t_*.sh, or the named ones
# (make check-guests), CPNET_GUEST_JOBS (default 2) at a time; logs in build/test-logs/guests/.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$CPNET_TOP/tests/runner.bash"

# optional filter: run.sh t_boot ...
tests=$(runner_pick "$GUESTS_DIR" 't_*.sh' "$@") || exit 2
mapfile -t tests <<<"$tests"
# Once, before the tests run side by side: fetch (a missing network or root shows as one
# clear error) and the Hercules modules (each test's own `make -C hercules` is then a
# no-op instead of two compilers writing the same .so).
if ! "$GUESTS_DIR/fetch.sh"; then
	echo "FAIL fetch: the guest kernel, busybox or Hercules headers are missing"
	echo "guests: 0 passed, 1 failed, 0 skipped"
	exit 1
fi
mkdir -p "$CPNET_TOP/build/test-logs"
if ! make -s -C "$CPNET_TOP/hercules" > "$CPNET_TOP/build/test-logs/hercules-make.log" 2>&1; then
	cat "$CPNET_TOP/build/test-logs/hercules-make.log"
	echo "FAIL make -C hercules"
	echo "guests: 0 passed, 1 failed, 0 skipped"
	exit 1
fi
# A test's own "ok NAME (...)" line carries its measurements (boot time, counters).
RUNNER_DETAIL='^ok ' RUNNER_TAIL=40 \
	runner_run guests "${CPNET_GUEST_JOBS:-2}" "$CPNET_TOP/build/test-logs/guests" $((CPNET_GUEST_TIMEOUT * 2 + 300)) "${tests[@]}"
