#!/usr/bin/env bash
# tests/scenarios/bandwidth_cap.sh - a bandwidth cap measured with real processes: cpnetd,
# one cpnet-pktgen generator broadcasting on a VSWITCH and two sinks (application ports).
# Without a cap both sinks get the offered rate; with SET VSWITCH ... PORTNUMBER n
# BANDWIDTH 20M on one sink's port, that sink's received rate over 10 s is within 5% of
# 20 Mbit/s and the uncapped neighbour's is within 5% of its own rate without the cap.
. "$(dirname "$0")/cpnet-lib.bash"
PG=$BIN/cpnet-pktgen
PIDS=()
stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	PIDS=()
}
trap 'r=$?; stop_all; (exit $r); cleanup' EXIT

# 1400-byte frames at 3000 frames/s: 33.6 Mbit/s offered, a cap of 20 Mbit/s (1786
# frames/s): well below what a loaded 2-core machine forwards, and the sinks' 256
# buffers last 85 ms at the offered rate.
SIZE=1400
FPS=3000
CAP=20000000

cat >"$TMP/system.config" <<'CFG'
DEFINE VSWITCH BWVSW RDEV NONE ETHERNET
MODIFY VSWITCH BWVSW GRANT BWGEN BWCAP BWFREE
CFG
cat >"$TMP/user.direct" <<'DIR'
USER OPERATOR OPERATOR ABCDEFG
USER BWGEN PWG G
USER BWCAP PWC G
USER BWFREE PWF G
DIR
start_cpnetd "$TMP/system.config" "$TMP/user.direct"
VMS=$CPNET_SOCKET.vm

# sink NAME USER PW: a sink port in the background until 4 s after its last frame.
sink() {
	timeout 40 "$PG" sink --socket "$VMS" --user "$2" --password "$3" --vswitch bwvsw \
		--idle 4000 --seconds 30 >"$TMP/$1.out" 2>&1 &
	PIDS+=($!)
	poll 20 grep -qs "^port: " "$TMP/$1.out" || { cat "$TMP/$1.out" >&2; fail "sink $1 port"; }
}
# phase TAG SECONDS [RATE]: both sinks (BWCAP's first: ports are numbered lowest free
# first), with RATE the cap on BWCAP's port number, set once its port is coupled (it
# applies at once), then the generator broadcasting for SECONDS; results in
# $TMP/TAG-cap.out and $TMP/TAG-free.out, and QUERY VSWITCH DETAILS taken while the
# sinks are still coupled in $QOUT.
phase() {
	sink "$1-cap" bwcap pwc
	sink "$1-free" bwfree pwf
	if [ $# -gt 2 ]; then
		cp_ query vswitch bwvsw details
		PORT=$(awk '/Adapter Owner: BWCAP /{f = 1} f && /Port: /{print $2 + 0; exit}' <<<"$OUT")
		[ -n "$PORT" ] || { printf '%s\n' "$OUT" >&2; fail "no port number of BWCAP"; }
		cp_ set vswitch bwvsw portnumber "$PORT" bandwidth "$3"
		expect_ok
	fi
	timeout 40 "$PG" gen --socket "$VMS" --user bwgen --password pwg --vswitch bwvsw \
		--seconds "$2" --rate "$FPS" --size "$SIZE" --batch 8 >"$TMP/$1-gen.out" 2>&1 ||
		{ cat "$TMP/$1-gen.out" >&2; fail "gen $1"; }
	cp_ query vswitch bwvsw details
	QOUT=$OUT
	for p in "${PIDS[@]}"; do wait "$p" || { cat "$TMP/$1"-*.out >&2; fail "sink $1"; }; done
	PIDS=()
}
# bps FILE: the sink's received rate in bits per second (frames x size x 8 / seconds
# between its first and last frame).
bps() {
	awk -v s="$SIZE" '/^sink: /{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		if (v["secs"] > 0) printf "%.0f\n", (v["received"] - 1) * s * 8 / v["secs"]
	}' "$1"
}
# within A B PCT: |A - B| <= PCT% of B.
within() {
	awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= b * p / 100) }'
}

# (1) No cap: the baseline of both sinks, same frames, same rate.
phase base 5
B_CAP=$(bps "$TMP/base-cap.out")
B_FREE=$(bps "$TMP/base-free.out")
[ -n "$B_CAP" ] && [ -n "$B_FREE" ] || { cat "$TMP"/base-*.out >&2; fail "baseline: no rates"; }

# (2) 20 Mbit/s on BWCAP's port, 10 s.
phase cap 10 20M
C_CAP=$(bps "$TMP/cap-cap.out")
C_FREE=$(bps "$TMP/cap-free.out")
echo "offered: $((SIZE * FPS * 8)) bit/s; no cap: $B_CAP / $B_FREE bit/s;" \
	"cap $CAP: capped $C_CAP bit/s, neighbour $C_FREE bit/s"
within "$C_CAP" "$CAP" 5 ||
	{ cat "$TMP"/cap-*.out >&2; printf '%s\n' "$QOUT" >&2; fail "capped sink at $C_CAP bit/s, cap $CAP"; }
within "$C_FREE" "$B_FREE" 5 ||
	{ cat "$TMP"/cap-*.out "$TMP"/base-*.out >&2; fail "neighbour at $C_FREE bit/s, $B_FREE without the cap"; }
# Without the cap the same sink took more than the cap: the cap did the limiting.
within "$B_CAP" "$CAP" 5 && fail "baseline $B_CAP bit/s already at the cap: offer more"

# QUERY showed the cap and what it dropped, with the reason; the port number keeps
# its cap after the sink went.
OUT=$QOUT
grep -qE "^      Bandwidth: 20M bit/s  Burst: 250000 bytes  \(PORTNUMBER 20M, APPL OFF\)$" <<<"$OUT" ||
	{ printf '%s\n' "$OUT" >&2; fail "no Bandwidth line"; }
grep -qE "^      Discarded \(bandwidth cap, received\): [1-9][0-9]*$" <<<"$OUT" ||
	{ printf '%s\n' "$OUT" >&2; fail "no capped drops counted"; }
grep -qE "^      Capped: TX 0 frames 0 bytes  RX [1-9][0-9]* frames [1-9][0-9]* bytes$" <<<"$OUT" ||
	{ printf '%s\n' "$OUT" >&2; fail "no Capped line"; }
cp_ query vswitch bwvsw details
grep -qxF "  Port caps:  $(printf '%04u' "$PORT") 20M" <<<"$OUT" ||
	{ printf '%s\n' "$OUT" >&2; fail "no Port caps line"; }
# Bad operands: HCP messages, nothing changed.
cp_ set vswitch bwvsw portnumber "$PORT" bandwidth 20Mbit
expect_id HCPCMD002E
cp_ set vswitch bwvsw portnumber 4000 bandwidth 20M
expect_id HCPCMD9010E
echo "PASS bandwidth_cap"
