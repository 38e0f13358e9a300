#!/usr/bin/env bash
# bench/vmlink_rings.sh - frames/s between two `cpnet-guest connect` processes through
# cpnetd on one LAN, shared-memory rings vs the socket link, in the same run (make bench).
#
# One cpnetd; per round a receiver and a sender (--flood, UDP frames of SIZE bytes for
# SECS s) with --transport ring or --transport socket, rounds interleaved, the median of
# ROUNDS per case.  frames/s = frames the receiver's NIC took / SECS.  "Under load" is
# that flood: the sender fills the ring as fast as cpnetd empties it for the whole
# round.  Syscalls per frame: the links' own counters (vmlink: every poll, ppoll, recv,
# send, eventfd read/write, full-ring nanosleep it makes, and cpnetd's epoll wake-ups
# for the link), of the three processes, over the frames the receiver took; and per
# second (on the rings they follow the waits -- naps, sleeps on a full ring -- not the
# frames: doc/rings.md).  Prints one `vmlink_ring_SIZE:` line per size in bench/common.c's format.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SECS=${VMLINK_BENCH_SECS:-2}
ROUNDS=${VMLINK_BENCH_ROUNDS:-3}
SIZES=${VMLINK_BENCH_SIZES:-64 1500}
TMP=$(mktemp -d /tmp/cpnet-vmlb.XXXXXX)
DPID=
GPIDS=()
cleanup() {
	local p
	for p in "${GPIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${GPIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ -n "$DPID" ]; then
		kill "$DPID" 2>/dev/null || true
		wait "$DPID" 2>/dev/null || true
	fi
	[ -n "${VMLINK_BENCH_KEEP:-}" ] || rm -rf "$TMP"
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
"$BUILD/cpnetd" --config "$TMP/system.config" --directory "$TMP/user.direct" \
	--socket "$TMP/sock" >"$TMP/cpnetd.out" 2>"$TMP/cpnetd.err" &
DPID=$!
for _ in $(seq 300); do
	grep -q "ready on" "$TMP/cpnetd.out" 2>/dev/null && break
	kill -0 "$DPID" 2>/dev/null || { cat "$TMP/cpnetd.err" >&2; exit 1; }
	sleep 0.1
done
grep -q "ready on" "$TMP/cpnetd.out" || { echo "vmlink_rings: cpnetd did not start" >&2; exit 1; }

# wait_line FILE REGEX: bounded (20 s).
wait_line() {
	for _ in $(seq 200); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$1" >&2
	echo "vmlink_rings: no '$2' in $1" >&2
	exit 1
}

# round TRANSPORT SIZE: prints "FRAMES_PER_S SYSCALLS_PER_FRAME".
round() {
	local t=$1 size=$2 rx sys_g sys_d n
	n=$(wc -l <"$TMP/cpnetd.err")
	: >"$TMP/recv.out"	# not by the redirection: wait_line must not see the last round's
	"$BUILD/cpnet-guest" connect --socket "$TMP/sock.vm" --user recv --password pw \
		--ip 10.9.0.2/24 --transport "$t" --stay 120 --stats >"$TMP/recv.out" 2>&1 &
	GPIDS=($!)
	wait_line "$TMP/recv.out" "^NIC 0600 online"
	"$BUILD/cpnet-guest" connect --socket "$TMP/sock.vm" --user send --password pw \
		--ip 10.9.0.1/24 --ping 10.9.0.2 --count 1 --transport "$t" \
		--flood 10.9.0.2 --size "$size" --seconds "$SECS" --stats >"$TMP/send.out" 2>&1 ||
		{ cat "$TMP/send.out" >&2; echo "vmlink_rings: sender failed" >&2; exit 1; }
	kill "${GPIDS[0]}"
	wait "${GPIDS[0]}" 2>/dev/null || true
	GPIDS=()
	grep -q "^link: frames on the $t," "$TMP/send.out" ||
		{ cat "$TMP/send.out" >&2; echo "vmlink_rings: sender not on the $t" >&2; exit 1; }
	grep -q "^link: frames on the $t," "$TMP/recv.out" ||
		{ cat "$TMP/recv.out" >&2; echo "vmlink_rings: receiver not on the $t" >&2; exit 1; }
	# cpnetd logs each link as it closes; both are closed once the guests are gone.
	for _ in $(seq 100); do
		[ "$(tail -n +"$((n + 1))" "$TMP/cpnetd.err" | grep -c "^cpnetd: link of")" -ge 2 ] && break
		sleep 0.05
	done
	rx=$(awk '/^NIC 0600:/ { print $3 }' "$TMP/recv.out")
	sys_g=$(awk '/^link: frames/ { s += $(NF - 1) } END { print s + 0 }' "$TMP/send.out" "$TMP/recv.out")
	# cpnetd's line: "... N syscalls; ring reader ..."
	sys_d=$(tail -n +"$((n + 1))" "$TMP/cpnetd.err" |
		awk '/^cpnetd: link of/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^syscalls/) s += $i }
		     END { print s + 0 }')
	awk -v rx="$rx" -v s="$SECS" -v sy=$((sys_g + sys_d)) \
		'BEGIN { printf "%.0f %.4f %.0f\n", rx / s, (rx > 0 ? sy / rx : 0), sy / s }'
	[ -z "${VMLINK_BENCH_VERBOSE:-}" ] ||
		tail -n 3 "$TMP/send.out" "$TMP/recv.out" "$TMP/cpnetd.err" >&2
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for size in $SIZES; do
	: >"$TMP/ring.$size"
	: >"$TMP/socket.$size"
	for _ in $(seq "$ROUNDS"); do
		round ring "$size" >>"$TMP/ring.$size"
		round socket "$size" >>"$TMP/socket.$size"
	done
	rr=$(cut -d' ' -f1 "$TMP/ring.$size" | median)
	rs=$(cut -d' ' -f1 "$TMP/socket.$size" | median)
	sr=$(cut -d' ' -f2 "$TMP/ring.$size" | median)
	ss=$(cut -d' ' -f2 "$TMP/socket.$size" | median)
	ps=$(cut -d' ' -f3 "$TMP/ring.$size" | median)
	fmt="%s: %.3f Mpps, ratio %.2f vs socket link %.3f Mpps (frames/s between two"
	fmt="$fmt cpnet-guest through cpnetd under a flood; syscalls/frame ring %.4f"
	fmt="$fmt = 1 per %.0f frames, %.0f/s, socket %.3f)"
	awk -v n="vmlink_ring_$size" -v rr="$rr" -v rs="$rs" -v sr="$sr" -v ss="$ss" -v ps="$ps" \
		-v f="$fmt" 'BEGIN { printf f "\n", n, rr / 1e6, (rs > 0 ? rr / rs : 0), rs / 1e6,
			 sr, (sr > 0 ? 1 / sr : 0), ps, ss }'
	[ -z "${VMLINK_BENCH_VERBOSE:-}" ] || cat "$TMP/ring.$size" "$TMP/socket.$size" >&2
done
