#!/usr/bin/env bash
# bench/adapt_rings.sh - the ring consumers' modes at high load, same run: adaptive vs
# interrupt-only vs poll-only (cpnetd and cpnet-guest --poll-mode), frames/s, wake-ups
# and host CPU per MB, then bench_adapt's idle latencies; one table (make bench).
#
# Two loads: `flood` (the sender as fast as the ring takes frames: every consumer is
# behind, batches are big in any mode) and a steady high rate (--rate RATE frames/s, a
# busy guest's pattern: the consumers keep up, so interrupt-only wakes per small batch).
# Per round, load and mode: one cpnetd --poll-mode MODE, a receiver and a sender (SIZE-
# byte UDP frames for SECS s) with the same --poll-mode, rounds interleaved (adaptive
# interrupt poll adaptive ...), the median of ROUNDS per load and mode.
#   frames/s     frames the receiver's NIC took / SECS
#   wake-ups/MB  the consumers' interrupts (a sleep ended by the ring's doorbell) and
#                naps (a timed sleep while polling, lib/adapt.h) -- the "ring reader"
#                counters of cpnetd's links and of both guests -- per MB the receiver
#                took
#   CPU ms/MB    time on a CPU (/proc/PID/schedstat) of cpnetd, sender and receiver,
#                sampled when the flood starts and when it ends, per MB; all three and
#                each alone (cpnetd: the consumer of the sender's ring, the producer of
#                the receiver's; the receiver: a ring consumer; the sender: the load,
#                its pacing included)
# Ratios are against interrupt-only measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SECS=${ADAPT_BENCH_SECS:-3}
ROUNDS=${ADAPT_BENCH_ROUNDS:-3}
SIZE=${ADAPT_BENCH_SIZE:-1500}
MODES=${ADAPT_BENCH_MODES:-adaptive interrupt poll}
LOADS=${ADAPT_BENCH_LOADS:-"flood ${ADAPT_BENCH_RATE:-100000}"}
TMP=$(mktemp -d /tmp/cpnet-adb.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	[ -n "${ADAPT_BENCH_KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT

cat >"$TMP/system.config" <<'CFG'
DEFINE LAN BENCH OWNERID SYSTEM TYPE QDIO ETHERNET
CFG
cat >"$TMP/user.direct" <<'DIR'
USER OPERATOR OPERATOR ABCDEFG
USER SEND PW G
  NICDEF 0600 TYPE QDIO LAN SYSTEM BENCH
USER RECV PW G
  NICDEF 0600 TYPE QDIO LAN SYSTEM BENCH
DIR

# wait_line FILE REGEX: bounded (20 s).
wait_line() {
	for _ in $(seq 400); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	cat "$1" >&2
	echo "adapt_rings: no '$2' in $1" >&2
	exit 1
}

# cpu PID...: the processes' time on a CPU, ns (/proc/PID/schedstat's first field: exact,
# where utime + stime from /proc/PID/stat count 10 ms ticks).
cpu() {
	local p s=0
	for p in "$@"; do
		s=$((s + $(awk '{ print $1 }' "/proc/$p/schedstat")))
	done
	echo "$s"
}

# round MODE LOAD: prints "FRAMES_PER_S WAKEUPS_PER_MB CPU_S_PER_MB CPNETD_CPU_S_PER_MB".
round() {
	local m=$1 rate=${2#flood} d r s d0 d1 r0 r1 s0 s1 rx wk mb
	# Emptied here, not by the redirections below: a child that has not opened its
	# file yet would let wait_line find the last round's line (and race ahead).
	: >"$TMP/cpnetd.out"
	: >"$TMP/recv.out"
	: >"$TMP/send.out"
	"$BUILD/cpnetd" --config "$TMP/system.config" --directory "$TMP/user.direct" \
		--socket "$TMP/sock" --poll-mode "$m" >"$TMP/cpnetd.out" 2>"$TMP/cpnetd.err" &
	d=$!
	PIDS=("$d")
	wait_line "$TMP/cpnetd.out" "ready on"
	"$BUILD/cpnet-guest" connect --socket "$TMP/sock.vm" --user recv --password pw \
		--ip 10.9.0.2/24 --poll-mode "$m" --stay 120 --stats >"$TMP/recv.out" 2>&1 &
	r=$!
	PIDS+=("$r")
	wait_line "$TMP/recv.out" "^NIC 0600 online"
	"$BUILD/cpnet-guest" connect --socket "$TMP/sock.vm" --user send --password pw \
		--ip 10.9.0.1/24 --ping 10.9.0.2 --count 1 --poll-mode "$m" --stay 1 \
		--flood 10.9.0.2 --size "$SIZE" --seconds "$SECS" ${rate:+--rate "$rate"} \
		--stats >"$TMP/send.out" 2>&1 &
	s=$!
	PIDS+=("$s")
	wait_line "$TMP/send.out" "^flood: start"
	d0=$(cpu "$d") r0=$(cpu "$r") s0=$(cpu "$s")
	wait_line "$TMP/send.out" "^flood: [0-9]"
	d1=$(cpu "$d") r1=$(cpu "$r") s1=$(cpu "$s")
	wait "$s" || { cat "$TMP/send.out" >&2; echo "adapt_rings: sender failed" >&2; exit 1; }
	kill "$r"
	wait "$r" 2>/dev/null || true
	kill "$d"
	wait "$d" 2>/dev/null || true
	PIDS=()
	for f in send recv; do
		grep -q "^link: frames on the ring," "$TMP/$f.out" ||
			{ cat "$TMP/$f.out" >&2; echo "adapt_rings: $f not on the ring" >&2; exit 1; }
		grep -qi "^ring reader: $m " "$TMP/$f.out" ||
			{ cat "$TMP/$f.out" >&2; echo "adapt_rings: $f not in mode $m" >&2; exit 1; }
	done
	rx=$(awk '/^NIC 0600:/ { print $3 }' "$TMP/recv.out")
	wk=$(awk '/ring reader/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^(interrupts|naps)/) s += $i }
		  END { print s + 0 }' "$TMP/send.out" "$TMP/recv.out" "$TMP/cpnetd.err")
	mb=$(awk -v rx="$rx" -v sz="$SIZE" 'BEGIN { print rx * sz / 1e6 }')
	awk -v rx="$rx" -v s="$SECS" -v wk="$wk" -v mb="$mb" -v cd=$((d1 - d0)) \
		-v cr=$((r1 - r0)) -v cs=$((s1 - s0)) \
		'BEGIN { if (mb <= 0) exit 1
			 printf "%.0f %.1f %.6f %.6f %.6f %.6f\n", rx / s, wk / mb,
				(cd + cr + cs) / 1e9 / mb, cd / 1e9 / mb, cr / 1e9 / mb, cs / 1e9 / mb }'
	[ -z "${ADAPT_BENCH_VERBOSE:-}" ] ||
		tail -n 3 "$TMP/send.out" "$TMP/recv.out" "$TMP/cpnetd.err" >&2
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for l in $LOADS; do
	for m in $MODES; do : >"$TMP/$l.$m"; done
done
for _ in $(seq "$ROUNDS"); do
	for l in $LOADS; do
		for m in $MODES; do round "$m" "$l" >>"$TMP/$l.$m"; done
	done
done
for l in $LOADS; do
	for m in $MODES; do
		for k in 1 2 3 4 5 6; do
			cut -d' ' -f"$k" "$TMP/$l.$m" | median
		done | paste -sd' ' >"$TMP/$l.$m.med"
	done
done
[ -x "$BUILD/bench/bench_adapt" ] ||
	{ echo "adapt_rings: $BUILD/bench/bench_adapt missing (bench/run.sh builds it)" >&2; exit 1; }
lat=$("$BUILD/bench/bench_adapt")
echo "$lat"
printf "adapt table (%s-byte frames, %s s x %s rounds; ratios vs interrupt-only, same run and load;\n" \
	"$SIZE" "$SECS" "$ROUNDS"
printf "CPU in ms per MB received: all three processes, then cpnetd, the receiver, the sender):\n"
printf "  %-8s %-10s %9s %14s %13s %13s %13s %13s %9s\n" load mode frames/s wake-ups/MB \
	"CPU all" cpnetd receiver sender "idle lat."
for l in $LOADS; do
	read -r _ wi ci di ri si <"$TMP/$l.interrupt.med"
	for m in $MODES; do
		read -r f w c dc rc sc <"$TMP/$l.$m.med"
		lt=$(echo "$lat" | awk -v m="$m" '$1 == "adapt_idle_latency_" m ":" { print $2 }')
		awk -v l="$l" -v m="$m" -v f="$f" -v w="$w" -v c="$c" -v dc="$dc" -v rc="$rc" \
			-v sc="$sc" -v wi="$wi" -v ci="$ci" -v di="$di" -v ri="$ri" -v si="$si" -v lt="$lt" \
			'function r(a, b) { return b > 0 ? a / b : 0 }
			 BEGIN { printf "  %-8s %-10s %9.0f %7.1f (%4.2f) %6.2f (%4.2f) %6.2f (%4.2f) %6.2f (%4.2f) %6.2f (%4.2f) %6s us\n",
				 l, m, f, w, r(w, wi), c * 1e3, r(c, ci), dc * 1e3, r(dc, di),
				 rc * 1e3, r(rc, ri), sc * 1e3, r(sc, si), lt }'
	done
done
echo "$lat" | awk '$1 == "adapt_idle_latency_adaptive:" { sub(/.* vs /, ""); sub(/ \(.*/, "");
	print "  (baseline: " $0 ", two processes, same run)" }'
for l in $LOADS; do
	read -r fi wi ci di ri si <"$TMP/$l.interrupt.med"
	read -r f w c dc rc sc <"$TMP/$l.adaptive.med"
	awk -v l="$l" -v f="$f" -v w="$w" -v c="$c" -v dc="$dc" -v rc="$rc" -v fi="$fi" -v wi="$wi" \
		-v ci="$ci" -v di="$di" -v ri="$ri" \
		'function r(a, b) { return b > 0 ? a / b : 0 }
		 BEGIN { printf "adapt_rings_%s_%s: %.3f Mpps, ratio %.2f vs interrupt-only %.3f Mpps " \
			 "(wake-ups/MB ratio %.2f, CPU/MB ratio %.2f: cpnetd %.2f, receiver %.2f, both %.2f)\n",
			 "'"$SIZE"'", l, f / 1e6, r(f, fi), fi / 1e6, r(w, wi), r(c, ci), r(dc, di),
			 r(rc, ri), r(dc + rc, di + ri) }'
done
