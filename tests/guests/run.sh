#!/bin/bash
# tests/guests/run.sh - runs every real-guest test tests/guests/t_*.sh (make check-guests).
# Each test prints ok/FAIL and exits with its status; the last line is the tally.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

passed=0
failed=0
start=$(date +%s)
# Fetch once up front so a missing network or root shows as one clear error.
if ! "$GUESTS_DIR/fetch.sh"; then
	echo "FAIL fetch: the guest kernel, busybox or Hercules headers are missing"
	failed=1
else
	for t in "$GUESTS_DIR"/t_*.sh; do
		[ -e "$t" ] || continue
		if [ $# -gt 0 ]; then # optional filter: run.sh t_boot ...
			case " $* " in *" $(basename "$t" .sh) "*) ;; *) continue ;; esac
		fi
		bash "$t"
		rc=$?
		if [ $rc = 0 ]; then
			passed=$((passed + 1))
		else
			echo "FAIL $(basename "$t" .sh) (exit $rc)"
			failed=$((failed + 1))
		fi
	done
fi
echo "guests: ran in $(($(date +%s) - start))s"
echo "guests: $passed passed, $failed failed"
[ $failed = 0 ]
