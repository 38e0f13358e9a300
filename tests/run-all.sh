#!/usr/bin/env bash
# tests/run-all.sh - `make test`: every suite (unit, ASan, s390x, fuzz smoke, scenarios,
# real guests), each suite's "N passed, N failed" added up into one closing line.
set -u
cd "$(dirname "$0")/.."

MAKE=${MAKE:-make}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
LOGDIR=build/test-logs
mkdir -p "$LOGDIR"
total_pass=0
total_fail=0
summary=()

# run_suite NAME CMD...: runs CMD, shows its tail on failure, takes its counts.
run_suite() {
	local name=$1 log="$LOGDIR/$1.log" start rc line p f
	shift
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	line=$(grep -E '(^|[a-z-]+: )[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
		f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
	else
		p=0
		f=0
	fi
	# A suite that failed without saying how many cases failed counts as one failure.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	summary+=("$(printf '%-10s %4d passed, %3d failed  (%ds)' "$name" "$p" "$f" $(( $(date +%s) - start )))")
	printf '%-10s %4d passed, %3d failed  (%ds)\n' "$name" "$p" "$f" $(( $(date +%s) - start ))
	if [ "$rc" -ne 0 ]; then
		echo "---- $name failed (rc=$rc); last lines of $log:"
		grep -E 'FAIL|error|Error|ERROR|failed|FAILED' "$log" | head -n 40
		tail -n 20 "$log"
		echo "----"
	fi
}

build_all() { $MAKE -j"$JOBS" all && echo "build: 1 passed, 0 failed"; }

run_suite build    build_all
run_suite unit     $MAKE -s check-unit
run_suite asan     $MAKE -s -j"$JOBS" check-asan
run_suite s390x    $MAKE -s -j"$JOBS" check-s390x
run_suite fuzz     $MAKE -s -j"$JOBS" fuzz-smoke
run_suite scenario tests/run-scenarios.sh
if [ "${CPNET_SKIP_GUESTS:-0}" = 1 ]; then
	echo "guests     skipped (CPNET_SKIP_GUESTS=1)"
else
	run_suite guests   $MAKE -s check-guests
fi

echo
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
