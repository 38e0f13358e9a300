# tests/scenarios/cpnet-lib.bash - helpers the cp_*.sh scenarios source: start cpnetd on
# a temporary socket with bounded waits, run cpnet, compare output; always clean up.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${CPNET_BUILD:-$ROOT/build}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
TMP=$(mktemp -d /tmp/cpnet-scn.XXXXXX)
export CPNET_SOCKET=$TMP/cpnetd.sock
export CPNET_PASSWORD=OPERATOR
unset CPNET_USER
CPNETD_PID=

cleanup() {
	local rc=$?
	set +e
	if [ -n "$CPNETD_PID" ] && kill -0 "$CPNETD_PID" 2>/dev/null; then
		kill "$CPNETD_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$CPNETD_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$CPNETD_PID" 2>/dev/null
		# CPNETD_PID is timeout's; make sure the daemon behind it is gone too.
		pkill -9 -f -- "--socket $CPNET_SOCKET" 2>/dev/null
	fi
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# start_cpnetd CONFIG DIRECTORY [OPTION...]: starts it and waits (at most 10 s) for the
# socket.
start_cpnetd() {
	timeout 240 "$BIN/cpnetd" --config "$1" --directory "$2" --socket "$CPNET_SOCKET" \
		"${@:3}" >"$TMP/cpnetd.out" 2>"$TMP/cpnetd.err" &
	CPNETD_PID=$!
	for _ in $(seq 100); do
		[ -S "$CPNET_SOCKET" ] && grep -q "ready on" "$TMP/cpnetd.out" && return 0
		kill -0 "$CPNETD_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$TMP/cpnetd.err" >&2
	fail "cpnetd did not come up"
}

# cp CMD...: one command as $CPNET_USER (default OPERATOR); output in $OUT, status in $RC.
cp_() {
	OUT=$(timeout 30 "$BIN/cpnet" "$@" 2>&1)
	RC=$?
}

# expect_out TEXT: the whole output equals TEXT.
expect_out() {
	[ "$OUT" = "$1" ] || { printf 'want:\n%s\ngot:\n%s\n' "$1" "$OUT" >&2; fail "output differs"; }
}
# expect_line TEXT: some output line equals TEXT.
expect_line() {
	printf '%s\n' "$OUT" | grep -qxF -- "$1" || { printf 'got:\n%s\n' "$OUT" >&2; fail "no line '$1'"; }
}
# expect_id ID: the command failed and its first line starts with the message ID.
expect_id() {
	[ "$RC" -eq 1 ] || fail "rc $RC for a failing command (want 1): $OUT"
	case $OUT in "$1 "*) ;; *) fail "want $1, got: $OUT" ;; esac
}
expect_ok() { [ "$RC" -eq 0 ] || fail "rc $RC: $OUT"; }
