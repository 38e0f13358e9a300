# tests/runner.bash - runs a suite's test scripts, up to JOBS at a time, each into its own log
# (sourced by tests/run-scenarios.sh and tests/guests/run.sh); one report block per test.
#
# A test script exits 0 (passed), 77 (skipped: it printed "SKIP NAME: reason") or anything
# else (failed). Tests that run at the same time must not share names in the root network
# namespace, sockets or work directories: tests/testlib.sh's tname gives unique ones.

declare -A RUNNER_NAME=() RUNNER_START=()
RUNNER_PASSED=0
RUNNER_FAILED=0
RUNNER_SKIPPED=0

# runner_run SUITE JOBS LOGDIR SECS SCRIPT...: runs every SCRIPT as `bash SCRIPT` bounded by
# SECS, stdout and stderr in LOGDIR/NAME.log, at most JOBS at a time, the slowest of the
# last run first (so a long one does not end up running alone at the end). As each ends:
#   ok   NAME (Ns)                   plus the log's lines matching RUNNER_DETAIL, if set
#   SKIP NAME: reason                the test's own SKIP line
#   FAIL NAME (exit N, Ns; log F)    plus the last RUNNER_TAIL (30) lines of its log
# and at the end "SUITE: ran in Ns (JOBS at a time)" and, the last line,
# "SUITE: N passed, N failed, N skipped". Returns 1 if any test failed.
runner_run() {
	local suite=$1 jobs=$2 secs=$4 s name order t0=$SECONDS
	RUNNER_LOGDIR=$3
	shift 4
	mkdir -p "$RUNNER_LOGDIR"
	[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
	# Interrupted: each test's `timeout` passes the signal on to the test, whose traps
	# clean up (TAPs, namespaces, Hercules).
	trap 'runner_stop; exit 130' INT TERM
	mapfile -t order < <(runner_order "$@")
	for s in "${order[@]}"; do
		[ -n "$s" ] || continue
		while [ "${#RUNNER_NAME[@]}" -ge "$jobs" ]; do runner_reap; done
		name=$(basename "$s" .sh)
		runner_exec "$secs" "$s" > "$RUNNER_LOGDIR/$name.log" 2>&1 < /dev/null &
		RUNNER_NAME[$!]=$name
		RUNNER_START[$!]=$SECONDS
	done
	while [ "${#RUNNER_NAME[@]}" -gt 0 ]; do runner_reap; done
	trap - INT TERM
	echo "$suite: ran in $((SECONDS - t0))s ($jobs at a time)"
	echo "$suite: $RUNNER_PASSED passed, $RUNNER_FAILED failed, $RUNNER_SKIPPED skipped"
	[ "$RUNNER_FAILED" = 0 ]
}

# runner_pick DIR PATTERN [NAME...]: the scripts DIR/PATTERN (a glob), or only the NAMEd
# ones, one per line; a NAME without a script is an error (a typo must not pass).
runner_pick() {
	local dir=$1 pat=$2 s n
	shift 2
	for n in "$@"; do
		[ -e "$dir/$n.sh" ] || { echo "no test $dir/$n.sh" >&2; return 1; }
	done
	for s in "$dir"/$pat; do
		[ -e "$s" ] || continue
		if [ $# -gt 0 ]; then
			case " $* " in *" $(basename "$s" .sh) "*) ;; *) continue ;; esac
		fi
		printf '%s\n' "$s"
	done
}

# runner_exec SECS SCRIPT: becomes `timeout SECS bash SCRIPT`, with no file descriptor
# above 2 left open: a daemon the test forgets must not keep what this runner inherited
# (`flock /tmp/cpnet-net.lock make test`: the lock stays held while such an orphan lives).
runner_exec() {
	local fd
	for fd in /proc/"$BASHPID"/fd/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
	done
	exec timeout -k 20 "$1" bash "$2"
}

# runner_reap: waits for one running test to end and reports it.
runner_reap() {
	local pid= rc name secs log line
	wait -n -p pid
	rc=$?
	[ -n "$pid" ] && [ -n "${RUNNER_NAME[$pid]+set}" ] || return 0
	name=${RUNNER_NAME[$pid]}
	secs=$((SECONDS - RUNNER_START[$pid]))
	unset "RUNNER_NAME[$pid]" "RUNNER_START[$pid]"
	log="$RUNNER_LOGDIR/$name.log"
	runner_note_time "$name" "$secs"
	case $rc in
	0)
		RUNNER_PASSED=$((RUNNER_PASSED + 1))
		echo "ok   $name (${secs}s)"
		[ -z "${RUNNER_DETAIL:-}" ] || grep -E -- "$RUNNER_DETAIL" "$log" | sed 's/^/     /'
		;;
	77)
		RUNNER_SKIPPED=$((RUNNER_SKIPPED + 1))
		line=$(grep -m 1 '^SKIP ' "$log")
		echo "${line:-SKIP $name: (exit 77, no reason printed)}"
		;;
	*)
		RUNNER_FAILED=$((RUNNER_FAILED + 1))
		[ "$rc" = 124 ] && rc="124 = killed at the ${secs}s bound"
		echo "FAIL $name (exit $rc, ${secs}s; log $log)"
		tail -n "${RUNNER_TAIL:-30}" "$log" | sed 's/^/  | /'
		;;
	esac
}

# runner_stop: SIGTERM every running test and wait for them.
runner_stop() {
	local pid
	for pid in "${!RUNNER_NAME[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	wait
}

# runner_order SCRIPT...: the scripts, slowest first by the durations of earlier runs
# (LOGDIR/.durations, "NAME SECS" lines); never timed ones first, in the order given.
runner_order() {
	local s name t
	for s in "$@"; do
		[ -n "$s" ] || continue
		name=$(basename "$s" .sh)
		t=$(sed -n "s/^$name \([0-9]*\)$/\1/p" "$RUNNER_LOGDIR/.durations" 2>/dev/null)
		printf '%s %s\n' "${t:-999999}" "$s"
	done | sort -s -k1,1nr | cut -d' ' -f2-
}

# runner_note_time NAME SECS: remember how long NAME took, for runner_order.
runner_note_time() {
	local f="$RUNNER_LOGDIR/.durations"
	{ grep -v "^$1 " "$f" 2>/dev/null; echo "$1 $2"; } > "$f.new" && mv "$f.new" "$f"
}
