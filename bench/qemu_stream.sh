#!/bin/bash
# bench/qemu_stream.sh - `make bench-qemu`: a QEMU s390x guest's TCP through cpnet (cpnet-vhost on an ETHERNET
# VSWITCH with an OSA uplink) against QEMU's own -netdev tap, the same guest in the same run (issue 13 item 4).
#
# One QEMU guest (tests/guests/qemu-lib.sh) with two virtio-net-ccw NICs, each to the host in
# one network namespace:
#   tap   QEMU's TAP backend (vhost=off: QEMU's own thread copies), 10.79.0.0/24: the baseline
#   vsw   cpnet-vhost (user QEMU01, NICDEF 0600) on cpnetd's ETHERNET VSWITCH VSWQ, whose
#         uplink is an OSA on a TAP bridged to the host, 10.76.0.0/24: the product path
# Interleaved rounds; per path: TCP MB/s guest -> host (tx) and host -> guest (rx) as the
# host's end counts them (tests/guests/xfer.py, 64 KiB writes; the guest streams with dd
# behind busybox nc -e), the ratio to tap, and host CPU ms per MB of QEMU (guest emulation,
# and on tap its net backend) and of cpnet (cpnet-vhost + cpnetd), from /proc/PID/stat, and
# the frames per MB the guest's NIC sent / received (sysfs, read through the control channel).
# Knobs: BENCH_SECS=8 seconds per stream, BENCH_ROUNDS=3 (the table shows medians),
# BENCH_Q2Q=1: a second guest (QEMU02, the same two paths: its own cpnet-vhost on VSWQ, and
# QEMU's TAP bridged with the first guest's) and a stream guest -> guest per path and round,
# where large sends stay whole end to end on both (cpnet: TX and RX offloads of both ports).
# Needs root (namespace, TAPs), python3, qemu-system-s390x, build/cpnet-vhost.
# Exit: 0 the table was printed, 1 a path carried nothing or set-up failed, 2 bad knob.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
GD=$TOP/tests/guests
. "$GD/lib.sh"
. "$GD/qemu-lib.sh"

SECS=${BENCH_SECS:-8}
ROUNDS=${BENCH_ROUNDS:-3}
Q2Q=${BENCH_Q2Q:-0}
knob() { echo "qemu_stream: $*" >&2; exit 2; }
[[ $SECS =~ ^[1-9][0-9]*$ ]] || knob "BENCH_SECS=$SECS: a whole number of seconds"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || knob "BENCH_ROUNDS=$ROUNDS: a positive count"
[[ $Q2Q =~ ^[01]$ ]] || knob "BENCH_Q2Q=$Q2Q: 0 or 1"
if [ "$(id -u)" != 0 ]; then
	echo "qemu_stream: SKIP (needs root: network namespace, TUN/TAP)"
	exit 0
fi
for c in python3 ip timeout setsid; do
	command -v $c > /dev/null || { echo "qemu_stream: SKIP ($c not found)"; exit 0; }
done
qemu_usable || { echo "qemu_stream: SKIP (no usable $CPNET_QEMU: package qemu-system-misc)"; exit 0; }

W=$CPNET_GUEST_WORK/qbench
BIN=$TOP/build
TMP=$(mktemp -d /tmp/cpnet-qbench.XXXXXX)
export CPNET_SOCKET="$TMP/cpnetd.sock" CPNET_PASSWORD=OPERATOR
unset CPNET_USER
VMSOCK=$CPNET_SOCKET.vm
NS=$(tname qbns)
TQ=$(tname qbtq)  # QEMU's own TAP
BR=$(tname qbbr)  # VSWITCH's LAN: bridge, OSA's TAP
TO=$(tname qbto)
TQ2=$(tname qbtr) # BENCH_Q2Q: the second guest's TAP, and the bridge of the two
BQ=$(tname qbbq)
CPNETD_PID=
VPID=
QPID=
VPID2=
QPID2=
fail() { echo "qemu_stream: FAIL: $*"; exit 1; }
cleanup() {
	qemu_stop "$QPID"
	qemu_stop "$QPID2"
	stop_daemon "$VPID"
	stop_daemon "$VPID2"
	stop_daemon "$CPNETD_PID"
	ip netns del "$NS" 2> /dev/null
	for f in cpnetd.out cpnetd.err; do [ -f "$TMP/$f" ] && cp "$TMP/$f" "$W/" 2> /dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

T0=$(date +%s)
"$GD/fetch.sh" > /dev/null || fail "fetch.sh could not provide the guest pieces"
for p in cpnetd cpnet cpnet-vhost; do [ -x "$BIN/$p" ] || fail "build/$p missing: make all"; done
rm -rf "$W"
mkdir -p "$W"
MV=02:00:00:76:00:02 MT=02:00:00:79:00:02
qemu_initrd "$W" "$MV+10.76.0.2/24,$MT+10.79.0.2/24" || { cat "$W/mkinitrd.log"; fail "mkinitrd.sh failed"; }
MV2=02:00:00:76:00:03 MT2=02:00:00:79:00:03
if [ "$Q2Q" = 1 ]; then
	qemu_initrd "$W/q2" "$MV2+10.76.0.3/24,$MT2+10.79.0.3/24" ||
		{ cat "$W/q2/mkinitrd.log"; fail "mkinitrd.sh (QEMU02) failed"; }
fi

ip netns add "$NS" || fail "ip netns add $NS"
ip -n "$NS" link set lo up || fail "lo up in $NS"
if [ "$Q2Q" = 1 ]; then
	# The two guests' QEMU TAPs on one bridge, the host's address on it.
	{ uplink_lan "$NS" "$BQ" "$TQ" 10.79.0.1/24 1500 && ip -n "$NS" tuntap add dev "$TQ2" mode tap &&
		ip -n "$NS" link set "$TQ2" master "$BQ" && ip -n "$NS" link set "$TQ2" up; } ||
		fail "could not build $BQ with $TQ and $TQ2 in $NS"
else
	{ ip -n "$NS" tuntap add dev "$TQ" mode tap && ip -n "$NS" addr add 10.79.0.1/24 dev "$TQ" &&
		ip -n "$NS" link set "$TQ" up; } || fail "could not set up $TQ in $NS"
fi
uplink_lan "$NS" "$BR" "$TO" 10.76.0.1/24 1500 || fail "could not build $BR with $TO in $NS"
cat > "$TMP/system.config" <<CFG
RDEVICE 0C00-0C02 TYPE OSA BACKEND TAP $TO
DEFINE VSWITCH VSWQ RDEV 0C00 CONTROLLER DTCVSW2 ETHERNET
MODIFY VSWITCH VSWQ GRANT QEMU01 QEMU02
AUTOLOG DTCVSW2
CFG
printf 'USER OPERATOR OPERATOR ABCDEFG\nUSER DTCVSW2 NOLOG 64M 64M BG\n  CONTROLLER\nUSER QEMU01 PWQ1 G\n  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWQ\nUSER QEMU02 PWQ2 G\n  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWQ\n' > "$TMP/user.direct"
BUDGET=$((2 * CPNET_QEMU_BOOT + ROUNDS * 6 * (SECS + 40) + 120))
cpnetd_up "$TMP" 1 "$BUDGET" ip netns exec "$NS" "$BIN/cpnetd" \
	--config "$TMP/system.config" --directory "$TMP/user.direct" --socket "$CPNET_SOCKET" ||
	fail "cpnetd or its uplink did not come up: $(grep HCP "$TMP/cpnetd.out" "$TMP/cpnetd.err" | tail -n 5)"
CPD=$(pgrep -P "$CPNETD_PID")
CPD=${CPD%%$'\n'*}
[ "$(cat "/proc/$CPD/comm" 2> /dev/null)" = cpnetd ] || fail "no cpnetd process under $CPNETD_PID"
printf 'pwq1\n' > "$TMP/pw"
timeout "$BUDGET" "$BIN/cpnet-vhost" --vhost "$TMP/vh.sock" --user qemu01 --pwfile "$TMP/pw" --nic 0600 \
	--socket "$VMSOCK" > "$W/vhost.out" 2> "$W/vhost.err" &
VPID=$!
poll 20 test -S "$TMP/vh.sock" || fail "cpnet-vhost made no socket: $(tail -n 3 "$W/vhost.err")"
VH=$(pgrep -P "$VPID")
VH=${VH%%$'\n'*}
[ "$(cat "/proc/$VH/comm" 2> /dev/null)" = cpnet-vhost ] || fail "no cpnet-vhost process under $VPID"
mapfile -t NA < <(qemu_vhost_args nv "$TMP/vh.sock" "$MV" fe.0.0600
	qemu_tap_args nt "$TQ" "$MT" fe.0.0700)
QEMU_NETNS=$NS qemu_start "$W" 512 "${NA[@]}"
QPID=$QEMU_PID
if [ "$Q2Q" = 1 ]; then
	printf 'pwq2\n' > "$TMP/pw2"
	timeout "$BUDGET" "$BIN/cpnet-vhost" --vhost "$TMP/vh2.sock" --user qemu02 --pwfile "$TMP/pw2" \
		--nic 0600 --socket "$VMSOCK" > "$W/q2/vhost.out" 2> "$W/q2/vhost.err" &
	VPID2=$!
	poll 20 test -S "$TMP/vh2.sock" || fail "QEMU02's cpnet-vhost made no socket: $(tail -n 3 "$W/q2/vhost.err")"
	mapfile -t NA < <(qemu_vhost_args nv "$TMP/vh2.sock" "$MV2" fe.0.0600
		qemu_tap_args nt "$TQ2" "$MT2" fe.0.0700)
	QEMU_NETNS=$NS qemu_start "$W/q2" 256 "${NA[@]}"
	QPID2=$QEMU_PID
fi
qemu_wait "$W" "$QPID" "$CPNET_QEMU_BOOT" ||
	fail "the guest did not come up (log $W/console.log): $(tail -n 2 "$W/qemu.out" "$W/vhost.err")"
if [ "$Q2Q" = 1 ]; then
	qemu_wait "$W/q2" "$QPID2" "$CPNET_QEMU_BOOT" ||
		fail "QEMU02 did not come up (log $W/q2/console.log): $(tail -n 2 "$W/q2/qemu.out" "$W/q2/vhost.err")"
fi
# QEMU runs under ip netns exec, which execs it: the pid is QEMU's own
echo "qemu_stream: guest up in $(($(date +%s) - T0))s; $ROUNDS round(s) x tap,vsw x tx,rx, ${SECS}s streams"
grep -h '^CPNET-GUEST: up ' "$W/console.log" | sed 's/^/  /'

ticks() { # ticks PID: utime + stime of PID in clock ticks
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2> /dev/null || echo 0
}
HZ=$(getconf CLK_TCK)
RES=$W/results.txt
: > "$RES"
# gstat DIR MAC STAT: a statistics counter (tx_packets, rx_bytes, ...) of the NIC with MAC
# of guest DIR, from sysfs through the control channel (not the network under test).
gstat() {
	local n
	n=$(qemu_ctl "$1" 10 "cat \$(dirname \$(grep -il $2 /sys/class/net/*/address))/statistics/$3") || n=
	echo "${n//[^0-9]/}"
}
# since A B: B - A, or -1 when either read failed (the table then says nan, not a count
# made up of a failed read).
since() { if [ -n "$1" ] && [ -n "$2" ]; then echo $(($2 - $1)); else echo -1; fi; }
# one PATH DIR HOSTADDR GUESTADDR: one stream; appends "PATH DIR MBps qemu_ms_per_MB
# cpnet_ms_per_MB guest_frames_per_MB" (the frames the guest's NIC sent or received: what
# it handles per MB, one per 64 KiB large send or per 1500-byte segment).
one() {
	local path=$1 dir=$2 host=$3 guest=$4 out q0 v0 c0 q1 v1 c1 xp f0 f1 mac=$MV
	[ "$path" = tap ] && mac=$MT
	f0=$(gstat "$W" "$mac" "${dir}_packets")
	q0=$(ticks "$QPID") v0=$(ticks "$VH") c0=$(ticks "$CPD")
	if [ "$dir" = tx ]; then
		timeout $((SECS + 60)) ip netns exec "$NS" python3 "$GD/xfer.py" recv 5001 $((SECS + 40)) count > "$TMP/x" 2>&1 &
		xp=$!
		sleep 0.3
		qemu_ctl "$W" $((SECS + 30)) "timeout $SECS nc $host 5001 -e /bin/xzero" > /dev/null
		wait "$xp" || { echo "qemu_stream: $path $dir: $(cat "$TMP/x")"; return 1; }
		out=$(cat "$TMP/x")
	else
		qemu_ctl "$W" 10 "nc -l -p 5002 -e /bin/xnull > /dev/null 2>&1 &" > /dev/null || return 1
		out=$(timeout $((SECS + 60)) ip netns exec "$NS" python3 "$GD/xfer.py" send "$guest" 5002 "zero:$SECS" 30 2>&1) ||
			{ echo "qemu_stream: $path $dir: $out"; return 1; }
	fi
	q1=$(ticks "$QPID") v1=$(ticks "$VH") c1=$(ticks "$CPD")
	f1=$(gstat "$W" "$mac" "${dir}_packets")
	awk -v p="$path" -v d="$dir" -v hz="$HZ" -v q=$((q1 - q0)) -v c=$((v1 - v0 + c1 - c0)) \
		-v f="$(since "$f0" "$f1")" '
		{ mb = $2 / 1048576; if ($4 <= 0 || mb <= 0) exit 1
		  printf "%s %s %.2f %.2f %.2f %s\n", p, d, mb / $4, q * 1000 / hz / mb, c * 1000 / hz / mb,
			 f < 0 ? "nan" : sprintf("%.1f", f / mb) }' <<<"$out" >> "$RES" ||
		{ echo "qemu_stream: $path $dir carried nothing: $out"; return 1; }
}
# q2q PATH: one stream QEMU01 -> QEMU02 (BENCH_Q2Q); appends "PATH q2q MBps frames_per_MB"
# from the bytes and frames QEMU02's NIC received meanwhile.
q2q() {
	local path=$1 dst=10.76.0.3 mac=$MV2 b0 b1 f0 f1 s0 s1
	[ "$path" = tap ] && dst=10.79.0.3 mac=$MT2
	qemu_ctl "$W/q2" 10 "nc -l -p 5003 -e /bin/xnull > /dev/null 2>&1 &" > /dev/null || return 1
	b0=$(gstat "$W/q2" "$mac" rx_bytes) f0=$(gstat "$W/q2" "$mac" rx_packets)
	s0=$EPOCHREALTIME
	qemu_ctl "$W" $((SECS + 30)) "timeout $SECS nc $dst 5003 -e /bin/xzero" > /dev/null
	s1=$EPOCHREALTIME
	b1=$(gstat "$W/q2" "$mac" rx_bytes) f1=$(gstat "$W/q2" "$mac" rx_packets)
	awk -v p="$path" -v b="$(since "$b0" "$b1")" -v f="$(since "$f0" "$f1")" -v t0="$s0" -v t1="$s1" 'BEGIN {
		mb = b / 1048576; if (mb <= 1 || t1 <= t0) exit 1
		printf "%s q2q %.2f %s\n", p, mb / (t1 - t0), f < 0 ? "nan" : sprintf("%.1f", f / mb) }' >> "$RES" ||
		{ echo "qemu_stream: $path guest -> guest carried $(since "$b0" "$b1") bytes (-1: unreadable)"; return 1; }
}
for r in $(seq 1 "$ROUNDS"); do
	for path in tap vsw; do
		if [ $path = tap ]; then h=10.79.0.1 g=10.79.0.2; else h=10.76.0.1 g=10.76.0.2; fi
		for dir in tx rx; do
			one $path $dir $h $g || fail "round $r: $path $dir failed"
		done
		[ "$Q2Q" = 1 ] && { q2q $path || fail "round $r: $path guest -> guest failed"; }
	done
	echo "qemu_stream: round $r done"
done
# Round trips: 20 pings of the host per path, 0.1 s apart (each hop wakes from idle):
# what one TCP window's turn costs on each path, apart from the bytes.
for path in tap vsw; do
	if [ $path = tap ]; then h=10.79.0.1; else h=10.76.0.1; fi
	OUT=$(qemu_ctl "$W" 30 "ping -q -c 20 -i 0.1 $h") || OUT=
	echo "qemu_stream: $path ping RTT min/avg/max $(sed -n 's/.*= \([0-9.\/]*\) ms.*/\1/p' <<<"$OUT") ms"
done
echo "qemu_stream: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), ran $(($(date +%s) - T0))s"
python3 - "$RES" <<'PY'
import math, statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]


def median(vals):
    # The guest's frame counts are nan where its sysfs could not be read: left out.
    v = [x for x in vals if not math.isnan(x)]
    return statistics.median(v) if v else float("nan")


med = {}
for p in ("tap", "vsw"):
    for d in ("tx", "rx"):
        sel = [r for r in rows if r[0] == p and r[1] == d]
        med[p, d] = [median(float(r[i]) for r in sel) for i in (2, 3, 4, 5)]
print("path  tx MB/s (x tap)   rx MB/s (x tap)   host ms/MB tx qemu+cpnet   rx qemu+cpnet"
      "   guest frames/MB tx  rx")
for p in ("tap", "vsw"):
    tx, rx = med[p, "tx"], med[p, "rx"]
    rt = "" if p == "tap" else " (%.2fx)" % (tx[0] / med["tap", "tx"][0])
    rr = "" if p == "tap" else " (%.2fx)" % (rx[0] / med["tap", "rx"][0])
    print("%-4s %8.2f%-9s %8.2f%-9s %8.1f+%-6.1f           %6.1f+%-6.1f %14.1f %6.1f" %
          (p, tx[0], rt, rx[0], rr, tx[1], tx[2], rx[1], rx[2], tx[3], rx[3]))
q = {p: [r for r in rows if r[0] == p and r[1] == "q2q"] for p in ("tap", "vsw")}
if q["tap"] and q["vsw"]:
    m = {p: [median(float(r[i]) for r in q[p]) for i in (2, 3)] for p in q}
    print("guest -> guest (QEMU01 -> QEMU02)   MB/s (x tap)   QEMU02's frames/MB")
    for p in ("tap", "vsw"):
        x = "" if p == "tap" else " (%.2fx)" % (m[p][0] / m["tap"][0])
        print("%-4s %30.2f%-9s %10.1f" % (p, m[p][0], x, m[p][1]))
PY
