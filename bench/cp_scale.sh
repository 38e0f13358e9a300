#!/usr/bin/env bash
# bench/cp_scale.sh - control-plane scale and footprint (run by bench/run.sh): cpnetd
# --check and start with 1k and 10k DEFINE LANs (the 10k/1k ratio shows linearity,
# ~10), and cpnetd's resident size at start with the README's sample.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CPNETD=$BUILD/cpnetd
TMP=$(mktemp -d /tmp/cpnet-bench.XXXXXX)
PID=
cleanup() {
	if [ -n "$PID" ]; then
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

# lans N FILE: a SYSTEM CONFIG of N persistent Guest LANs.
lans() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
		printf "DEFINE LAN L%05d OWNERID SYSTEM TYPE QDIO MAXCONN INFINITE\n", i }' >"$2"
}

# CPU seconds (user + system) of the command's process: on a machine shared with
# other work, wall time mostly measures waiting for a CPU.
TIMEFORMAT='%3R %3U %3S'
cpu_of() {
	local t
	t=$( { time "$@" >/dev/null 2>&1; } 2>&1 ) || { echo "cp_scale: $* failed" >&2; exit 1; }
	awk -v t="$t" 'BEGIN { split(t, a, " "); printf "%.3f", a[2] + a[3] }'
}

# A whole cpnetd start: from exec to "ready on", then SIGTERM (its CPU time includes
# freeing everything; the event loop idles).  Prints the CPU seconds; the wall time
# to "ready on" is appended to CONFIG.wall.
start_stop() {
	local child t t0
	rm -f "$TMP/sock" "$TMP/sock.vm" "$TMP/out" "$TMP/time"
	t0=$(date +%s%N)
	( time "$CPNETD" --config "$1" --directory samples/user.direct --socket "$TMP/sock" \
		>"$TMP/out" 2>&1 ) 2>"$TMP/time" &
	PID=$!
	for _ in $(seq 3000); do
		grep -q "ready on" "$TMP/out" 2>/dev/null && break
		kill -0 "$PID" 2>/dev/null || { cat "$TMP/out" >&2; exit 1; }
		sleep 0.01
	done
	grep -q "ready on" "$TMP/out" || { echo "cp_scale: cpnetd did not start" >&2; exit 1; }
	echo $(($(date +%s%N) - t0)) >>"$1.wall"
	child=$(pgrep -P "$PID" -x cpnetd)
	kill "$child"
	wait "$PID" 2>/dev/null || true
	PID=
	t=$(cat "$TMP/time")
	awk -v t="$t" 'BEGIN { split(t, a, " "); printf "%.3f", a[2] + a[3] }'
}

# best N FUNCTION ARG...: the smallest CPU time of N runs.
best() {
	local n=$1 b="" c
	shift
	for _ in $(seq "$n"); do
		c=$("$@")
		if [ -z "$b" ] || awk -v c="$c" -v b="$b" 'BEGIN { exit !(c < b) }'; then
			b=$c
		fi
	done
	echo "$b"
}
# The cost of N LANs: over an empty SYSTEM CONFIG (process start, libc, sockets).
ratio() { awk -v z="$1" -v a="$2" -v b="$3" 'BEGIN {
	if (a - z <= 0) { print "n/a"; exit } printf "%.1f", (b - z) / (a - z) }'; }

: >"$TMP/l0.config"
lans 1000 "$TMP/l1k.config"
lans 10000 "$TMP/l10k.config"
for f in 0 1k 10k; do
	best 5 cpu_of "$CPNETD" --check --config "$TMP/l$f.config" >"$TMP/c$f"
done
c0=$(cat "$TMP/c0") c1=$(cat "$TMP/c1k") c10=$(cat "$TMP/c10k")
echo "cp_check_lans: cpnetd --check CPU 0 LANs $c0 s, 1k $c1 s, 10k $c10 s; 10k/1k over 0 LANs $(ratio "$c0" "$c1" "$c10")"
for f in 0 1k 10k; do
	best 3 start_stop "$TMP/l$f.config" >"$TMP/s$f"
done
s0=$(cat "$TMP/s0") s1=$(cat "$TMP/s1k") s10=$(cat "$TMP/s10k")
echo "cp_start_lans: cpnetd start+stop CPU 0 LANs $s0 s, 1k $s1 s, 10k $s10 s; 10k/1k over 0 LANs $(ratio "$s0" "$s1" "$s10")"
echo "cp_start_wall: 10k LANs ready in $(sort -n "$TMP/l10k.config.wall" | awk 'NR == 1 { printf "%.3f", $1 / 1e9 }') s wall (best of 3; polled every 10 ms)"

# The README's sample with its uplink, as two OSAs on in-memory wires (no root, no
# TAP) and the two controllers: VmRSS once it is ready.
{
	cat samples/system.config
	sed 's/^RDEVICE 0A00-0A02 TYPE OSA BACKEND TAP cpnt0$/RDEVICE 0A00-0A05 TYPE OSA BACKEND MEM cpbench%d/' \
		samples/uplink.config
} >"$TMP/sample.config"
grep -q "^RDEVICE 0A00-0A05" "$TMP/sample.config" || { echo "cp_scale: samples/uplink.config changed" >&2; exit 1; }
rm -f "$TMP/sock" "$TMP/sock.vm"
"$CPNETD" --config "$TMP/sample.config" --directory samples/user.direct --socket "$TMP/sock" \
	>"$TMP/out" 2>&1 &
PID=$!
for _ in $(seq 3000); do
	grep -q "ready on" "$TMP/out" && break
	kill -0 "$PID" 2>/dev/null || { cat "$TMP/out" >&2; exit 1; }
	sleep 0.01
done
sleep 0.5	# let AUTOLOG's guests and controllers settle
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status")
kill "$PID"
wait "$PID" 2>/dev/null || true
PID=
echo "cp_sample_rss: ${rss} kB resident at start (sample + 2 OSAs, 2 controllers, 4 users)"
