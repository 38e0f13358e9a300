#!/usr/bin/env bash
# tests/run-all.sh - `make test`: every suite (shell lint, unit, ASan, s390x, fuzz smoke,
# scenarios, real guests), each suite's "N passed, N failed, N skipped" added up into the
# closing line, which is always the last line and has exactly that shape.
# CPNET_NO_SKIP=1 (.ci/run sets it in CI): any skipped test makes the run fail.
# CPNET_SKIP_GUESTS=1: the real-guest suite is not run; its tests count as skipped.
set -u
cd "$(dirname "$0")/.."

MAKE=${MAKE:-make}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
LOGDIR=build/test-logs
mkdir -p "$LOGDIR"
total_pass=0
total_fail=0
total_skip=0

# count WORD LINE: the number before WORD ("passed", "failed", "skipped") in LINE, or 0.
count() {
	local n
	n=$(sed -n "s/.*\b\([0-9][0-9]*\) $1\b.*/\1/p" <<<"$2")
	echo "${n:-0}"
}

# tally NAME PASSED FAILED SKIPPED SECS: adds a suite's counts, prints its line.
tally() {
	total_pass=$((total_pass + $2))
	total_fail=$((total_fail + $3))
	total_skip=$((total_skip + $4))
	printf '%-10s %4d passed, %3d failed, %3d skipped  (%ds)\n' "$1" "$2" "$3" "$4" "$5"
}

# run_suite NAME CMD...: runs CMD, takes the counts of its last "N passed, N failed[, N
# skipped]" line, shows the failures and the tail of its log when it failed.
run_suite() {
	local name=$1 log="$LOGDIR/$1.log" start=$SECONDS rc line p f s
	shift
	"$@" >"$log" 2>&1
	rc=$?
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	p=$(count passed "$line")
	f=$(count failed "$line")
	s=$(count skipped "$line")
	# A suite that failed without saying how many cases failed counts as one failure.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	tally "$name" "$p" "$f" "$s" $((SECONDS - start))
	if [ "$rc" -ne 0 ]; then
		echo "---- $name failed (rc=$rc); failures and last lines of $log:"
		grep -E '^(FAIL|SKIP)|error|Error|ERROR|FAILED' "$log" | head -n 40
		tail -n 20 "$log"
		echo "----"
	elif [ "$s" -ne 0 ]; then
		grep -E '^SKIP ' "$log" | sed 's/^/  /'
	fi
}

build_all() { $MAKE -j"$JOBS" all && echo "build: 1 passed, 0 failed, 0 skipped"; }

run_suite lint     tests/lint-shell.sh
run_suite build    build_all
run_suite unit     $MAKE -s check-unit
run_suite asan     $MAKE -s -j"$JOBS" check-asan
run_suite s390x    $MAKE -s -j"$JOBS" check-s390x
run_suite fuzz     $MAKE -s -j"$JOBS" fuzz-smoke
run_suite scenario tests/run-scenarios.sh
if [ "${CPNET_SKIP_GUESTS:-0}" = 1 ]; then
	n=$(find tests/guests -maxdepth 1 -name 't_*.sh' | wc -l)
	tally guests 0 0 "$n" 0
	echo "  SKIP guests: CPNET_SKIP_GUESTS=1, $n real-guest tests not run"
else
	run_suite guests   $MAKE -s check-guests
fi

echo
rc=0
[ "$total_fail" -eq 0 ] || rc=1
if [ "$total_skip" -ne 0 ] && [ "${CPNET_NO_SKIP:-0}" = 1 ]; then
	echo "run-all: $total_skip skipped with CPNET_NO_SKIP=1 (CI runs everything): failing"
	rc=1
fi
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
exit $rc
