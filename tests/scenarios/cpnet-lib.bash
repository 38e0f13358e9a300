# tests/scenarios/cpnet-lib.bash - helpers the cp_*.sh scenarios source: start cpnetd on
# a temporary socket with bounded waits, run cpnet, compare output; always clean up.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/tests/testlib.sh"
BIN=${CPNET_BUILD:-$ROOT/build}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
TMP=$(mktemp -d /tmp/cpnet-scn.XXXXXX)
export CPNET_SOCKET=$TMP/cpnetd.sock
export CPNET_PASSWORD=OPERATOR
unset CPNET_USER
CPNETD_PID=

BG_PIDS=()

# cleanup (the EXIT trap): the test's background programs (bg_track), its networks
# (net_cleanup, when the test defines it), cpnetd, the temporary directory.
cleanup() {
	local rc=$?
	set +e
	stop_bg
	declare -F net_cleanup >/dev/null && net_cleanup
	stop_daemon "$CPNETD_PID"
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# bg_track PID...: programs this test started in the background (guests, ports,
# traces); cleanup ends them.
bg_track() { BG_PIDS+=("$@"); }
# stop_bg: SIGTERM to every tracked program, SIGKILL to what is left after 5 s.
stop_bg() {
	[ ${#BG_PIDS[@]} -gt 0 ] || return 0
	kill -TERM "${BG_PIDS[@]}" 2>/dev/null
	poll 5 gone "${BG_PIDS[@]}" || kill -KILL "${BG_PIDS[@]}" 2>/dev/null
	BG_PIDS=()
	return 0
}
# guest NAME ARGS...: a `cpnet-guest connect` VM on cpnetd's VM socket, in the
# background, output in $TMP/NAME.out, its PID in LASTPID (tracked: $! is the guest
# itself, no `timeout` in between; bounded by its own --stay and by cleanup).
guest() {
	local name=$1
	shift
	"$BIN/cpnet-guest" connect --socket "$CPNET_SOCKET.vm" "$@" >"$TMP/$name.out" 2>&1 &
	LASTPID=$!
	bg_track "$LASTPID"
}
# wait_for FILE TEXT [SECS]: FILE gets a line matching TEXT (grep) within SECS seconds
# (default 20), or the test fails showing FILE.
wait_for() {
	poll "${3:-20}" grep -q -- "$2" "$1" && return 0
	cat "$1" >&2
	fail "no '$2' in $(basename "$1")"
}

# match WANT GOT: GOT's lines are WANT's, where a WANT line "..." stands for any lines
# (none or more) up to the line after it.
match() {
	local -a w g
	local i=0 j=0
	mapfile -t w <<<"$1"
	mapfile -t g <<<"$2"
	while [ $i -lt ${#w[@]} ]; do
		if [ "${w[$i]}" = "..." ]; then
			i=$((i + 1))
			[ $i -lt ${#w[@]} ] || return 0
			while [ $j -lt ${#g[@]} ] && [ "${g[$j]}" != "${w[$i]}" ]; do j=$((j + 1)); done
		fi
		[ $j -lt ${#g[@]} ] && [ "${g[$j]}" = "${w[$i]}" ] || return 1
		i=$((i + 1))
		j=$((j + 1))
	done
	[ $j -eq ${#g[@]} ]
}

# start_cpnetd CONFIG DIRECTORY [OPTION...]: starts it and waits (at most 30 s) for the
# socket.
start_cpnetd() {
	timeout 240 "$BIN/cpnetd" --config "$1" --directory "$2" --socket "$CPNET_SOCKET" \
		"${@:3}" >"$TMP/cpnetd.out" 2>"$TMP/cpnetd.err" &
	CPNETD_PID=$!
	poll 30 cpnetd_up && kill -0 "$CPNETD_PID" 2>/dev/null && return 0
	cat "$TMP/cpnetd.err" >&2
	fail "cpnetd did not come up"
}
# cpnetd_up: cpnetd said it is ready, or it is gone (no use waiting).
cpnetd_up() {
	[ -S "$CPNET_SOCKET" ] && grep -q "ready on" "$TMP/cpnetd.out" && return 0
	! kill -0 "$CPNETD_PID" 2>/dev/null
}

# cp CMD...: one command as $CPNET_USER (default OPERATOR); its output (stdout) in $OUT,
# status in $RC; what CP answered the LOGON before it and cpnet's own errors (stderr)
# in $ERR.
cp_() {
	OUT=$(timeout 30 "$BIN/cpnet" "$@" 2>"$TMP/cp_.err")
	RC=$?
	ERR=$(cat "$TMP/cp_.err")
}

# expect_out TEXT: the whole output equals TEXT.
expect_out() {
	[ "$OUT" = "$1" ] || { printf 'want:\n%s\ngot:\n%s\n' "$1" "$OUT" >&2; fail "output differs"; }
}
# expect_line TEXT: some output line equals TEXT.
expect_line() {
	grep -qxF -- "$1" <<<"$OUT" || { printf 'got:\n%s\n' "$OUT" >&2; fail "no line '$1'"; }
}
# expect_id ID: the command failed and its first line starts with the message ID.
expect_id() {
	[ "$RC" -eq 1 ] || fail "rc $RC for a failing command (want 1): $OUT"
	case $OUT in "$1 "*) ;; *) fail "want $1, got: $OUT" ;; esac
}
expect_ok() { [ "$RC" -eq 0 ] || fail "rc $RC: $OUT"; }

# tshark_fields FILE FILTER FIELD...: tshark's decode of FILE, the frames FILTER keeps,
# one line each with the FIELDs separated by ',', in $OUT.
tshark_fields() {
	local f=$1 flt=$2 a=() x
	shift 2
	for x in "$@"; do a+=(-e "$x"); done
	OUT=$(tshark -n -r "$f" -Y "$flt" -T fields -E separator=, "${a[@]}" 2>"$TMP/tshark.err") ||
		{ cat "$TMP/tshark.err" >&2; fail "tshark -r $f"; }
}
# expect_count N: $OUT has N (non-empty) lines.
expect_count() {
	local n
	n=$(grep -c . <<<"$OUT" || true)
	[ "$n" -eq "$1" ] || { printf '%s\n' "$OUT" >&2; fail "want $1 lines, got $n"; }
}
