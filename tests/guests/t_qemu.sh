#!/bin/bash
# tests/guests/t_qemu.sh - a QEMU s390x guest (virtio-net-ccw) on cpnetd's ETHERNET VSWITCH through cpnet-vhost,
# next to a Hercules guest and the namespace host behind the VSWITCH's OSA uplink (issue 13 item 3).
#
# One boot of each guest: QEMU01 (cpnet-vhost --nic 0600, its NICDEF's VSWITCH) pings and moves
# 20 MB each way, md5 equal, with the namespace host (through the OSA uplink) and with the
# Hercules guest LINUX01, then 20 MB to a second QEMU guest (QEMU02), whose Linux driver took
# the receive offloads: QEMU01's TCP large sends reach it whole; QUERY VSWITCH DETAILS shows
# the VIRTIO ports with traffic; FORCE QEMU01 ends its cpnet-vhost and the port while QEMU
# keeps running; QEMU02, killed with SIGKILL in the middle of a ping, leaves no port behind.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$GUESTS_DIR/qemu-lib.sh"
T=t_qemu
W="$CPNET_GUEST_WORK/$T"
BIN="$CPNET_TOP/build"
MB=${CPNET_QEMU_MB:-20}
need_net python3 timeout setsid
qemu_usable || skip "no usable $CPNET_QEMU (Debian package qemu-system-misc: scripts/deps.sh)"
[ -x "$BIN/cpnet-vhost" ] || skip "no build/cpnet-vhost (the vhost-user backend): make all"
TMP=$(mktemp -d /tmp/cpnet-$T.XXXXXX)
export CPNET_SOCKET="$TMP/cpnetd.sock" CPNET_PASSWORD=OPERATOR
unset CPNET_USER
VMSOCK="$CPNET_SOCKET.vm"
NS=$(tname qns)
BR=$(tname qbr)
TP=$(tname qtap)
CPNETD_PID=
BOOT_PID=
HERC_PID=
QPIDS=()
VPIDS=()

fail() {
	echo "FAIL $T: $*"
	exit 1
}
cleanup() {
	local p
	for p in "${QPIDS[@]+"${QPIDS[@]}"}"; do qemu_stop "$p"; done
	for p in "${VPIDS[@]+"${VPIDS[@]}"}"; do stop_daemon "$p"; done
	[ -n "$BOOT_PID" ] && { kill -TERM "$BOOT_PID" 2> /dev/null; wait "$BOOT_PID" 2> /dev/null; }
	[ -n "$HERC_PID" ] && herc_stop "$HERC_PID"
	stop_daemon "$CPNETD_PID"
	ip netns del "$NS" 2> /dev/null
	for f in cpnetd.out cpnetd.err; do [ -f "$TMP/$f" ] && cp "$TMP/$f" "$W/" 2> /dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

guest_prep herc q1 q2
MAC1=02:00:00:51:00:01
MAC2=02:00:00:51:00:02
qemu_initrd "$W/q1" "$MAC1+10.75.0.20/24" || { cat "$W/q1/mkinitrd.log"; fail "mkinitrd.sh (QEMU01) failed"; }
qemu_initrd "$W/q2" "$MAC2+10.75.0.21/24" || { cat "$W/q2/mkinitrd.log"; fail "mkinitrd.sh (QEMU02) failed"; }
"$GUESTS_DIR/mkinitrd.sh" -a "$GUESTS_DIR/bench-agent.sh:/etc/bench-agent.sh" -p "cpnet.nics=vsweth:10.75.0.10/24" \
	"$GUESTS_DIR/init-bench.sh" "$W/herc" 2> "$W/herc/mkinitrd.log" || { cat "$W/herc/mkinitrd.log"; fail "mkinitrd.sh (LINUX01) failed"; }

# The namespace host 10.75.0.1 on a bridge with the OSA's TAP; cpnetd in the namespace.
{ ip netns add "$NS" && ip -n "$NS" link set lo up; } || fail "ip netns add $NS"
uplink_lan "$NS" "$BR" "$TP" 10.75.0.1/24 1500 || fail "could not build $BR with $TP in $NS"
cat > "$TMP/system.config" <<CFG
RDEVICE 0C00-0C02 TYPE OSA BACKEND TAP $TP
DEFINE VSWITCH VSWQ RDEV 0C00 CONTROLLER DTCVSW2 ETHERNET
MODIFY VSWITCH VSWQ GRANT LINUX01 QEMU01 QEMU02
AUTOLOG DTCVSW2
CFG
cat > "$TMP/user.direct" <<'DIR'
USER OPERATOR OPERATOR ABCDEFG
USER DTCVSW2 NOLOG 64M 64M BG
  CONTROLLER
USER LINUX01 PW1 G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWQ
USER QEMU01 PWQ1 G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWQ
USER QEMU02 PWQ2 G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWQ
DIR
cpnetd_up "$TMP" 1 $((CPNET_GUEST_TIMEOUT + 300)) ip netns exec "$NS" "$BIN/cpnetd" \
	--config "$TMP/system.config" --directory "$TMP/user.direct" --socket "$CPNET_SOCKET" ||
	fail "cpnetd or its uplink did not come up: $(grep HCP "$TMP/cpnetd.out" "$TMP/cpnetd.err" | tail -n 5)"

# Hercules runs in the namespace as well (its CPNIC reaches cpnetd by the socket either way).
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$NS" "${CPNET_HERCULES:-hercules}" > "$TMP/hercules-ns"
chmod +x "$TMP/hercules-ns"
t0=$(date +%s)
CPNET_HERCULES="$TMP/hercules-ns" guest_boot_bg "$W/herc" "CPNET-GUEST: agent ready" \
	"0600-0602 CPNIC chpid=06 port=cp:$VMSOCK user=linux01 password=pw1"

# vhost_start N USER PW: cpnet-vhost for USER's NICDEF 0600 on $TMP/vhN.sock (output
# $W/qN/vhost.err), then QEMU guest N on it. Sets VPID (timeout's) and QPID.
vhost_start() {
	local n=$1 user=$2 pw=$3 mac sock="$TMP/vh$1.sock" na
	printf '%s\n' "$pw" > "$TMP/pw$n"
	timeout $((CPNET_GUEST_TIMEOUT + 300)) "$BIN/cpnet-vhost" --vhost "$sock" --user "$user" \
		--pwfile "$TMP/pw$n" --nic 0600 --socket "$VMSOCK" > "$W/q$n/vhost.out" 2> "$W/q$n/vhost.err" &
	VPID=$!
	VPIDS+=("$VPID")
	poll 20 test -S "$sock" || fail "cpnet-vhost $user made no socket $sock: $(tail -n 3 "$W/q$n/vhost.err")"
	mac=$MAC1
	[ "$n" = 2 ] && mac=$MAC2
	mapfile -t na < <(qemu_vhost_args n0 "$sock" "$mac" fe.0.0600)
	qemu_start "$W/q$n" 256 "${na[@]}"
	QPID=$QEMU_PID
	QPIDS+=("$QPID")
}
vhost_start 1 qemu01 pwq1
V1=$VPID Q1=$QPID
vhost_start 2 qemu02 pwq2
V2=$VPID Q2=$QPID
for n in 1 2; do
	p=$Q1
	[ $n = 2 ] && p=$Q2
	qemu_wait "$W/q$n" "$p" "$CPNET_QEMU_BOOT" ||
		fail "QEMU0$n did not come up (log $W/q$n/console.log): $(grep -m 1 'CPNET-GUEST: FAIL' "$W/q$n/console.log") $(tail -n 2 "$W/q$n/qemu.out" "$W/q$n/vhost.err")"
done
qsecs=$(($(date +%s) - t0))
guest_boot_wait "$BOOT_PID" "$W/herc"
rc=$?
BOOT_PID=
[ $rc = 0 ] || fail "LINUX01 did not come up (boot.sh exit $rc, log $W/herc/console.log): $(tail -n 3 "$W/herc/boot.err")"
hsecs=$(($(date +%s) - t0))

q() { qemu_ctl "$W/q1" "$@"; }
ask() { timeout 400 ip netns exec "$NS" python3 "$GUESTS_DIR/xfer.py" ask 10.75.0.10 7000 300 "$*"; }
md5of() { sed -n 's/.*md5 \([0-9a-f]\{32\}\) bytes \([0-9]*\).*/\1 \2/p' <<<"$1" | tail -n 1; }
# "MD5 BYTES" of xfer.py's "bytes B secs S md5 M"
xmd5of() { sed -n 's/^bytes \([0-9]*\) secs [0-9.]* md5 \([0-9a-f]\{32\}\)$/\2 \1/p' <<<"$1"; }

# Ping the host (through the OSA uplink) and the Hercules guest (on the VSWITCH).
answered() { [[ $1 == *" packets received"* && $1 != *" 0 packets received"* ]]; }
for dst in 10.75.0.1 10.75.0.10; do
	OUT=$(q 30 "ping -c 3 -W 2 $dst") || fail "QEMU01 ping $dst: $OUT"
	answered "$OUT" || fail "QEMU01 ping $dst: $OUT"
done
# One set of random data, made on the host (urandom in a TCG guest is slow): host ->
# QEMU01, QEMU01 -> host, QEMU01 -> LINUX01, LINUX01 -> QEMU01; each leg's receiver starts
# empty and its md5 and size are checked.
head -c $((MB * 1048576)) /dev/urandom > "$TMP/hdata"
DMD5="$(md5sum < "$TMP/hdata" | cut -d' ' -f1) $((MB * 1048576))"
rate() { awk -v a="$1" -v b="$EPOCHREALTIME" -v m="$MB" 'BEGIN { printf "%.1f", m / (b - a) }'; }
qmd5() { # the md5 and size of QEMU01's /tmp/rx, once xrecv has it whole
	OUT=$(q 150 xmd5) || fail "QEMU01 md5: $OUT"
	echo "$(sed -n 1p <<<"$OUT" | cut -d' ' -f1) $(sed -n 2p <<<"$OUT")"
}
# differ: where QEMU01's /tmp/rx differs from what was sent (it comes back to the host over
# QEMU01 -> host, a leg checked above), and whether LINUX01's own copy still has the md5 it
# had before it sent: a changed payload says where it was changed by its offsets and sizes
# (a 4 KiB page of a guest, a 2 KiB ring slot, an ACK-sized stray write...).
differ() {
	local l
	l=$(ask "md5 q")
	q 10 "printf '#!/bin/sh\\nexec dd if=/tmp/rx bs=65536 2> /dev/null\\n' > /bin/xsendrx; chmod 755 /bin/xsendrx" > /dev/null
	timeout 300 ip netns exec "$NS" python3 "$GUESTS_DIR/xfer.py" recv 5001 120 "$W/rx.back" > /dev/null 2>&1 &
	local xp=$!
	sleep 0.5
	q 200 "nc 10.75.0.1 5001 -e /bin/xsendrx" > /dev/null
	wait "$xp"
	cp "$TMP/hdata" "$W/sent"
	printf 'LINUX01 now has %s; back on the host %s %s; ' "$(md5of "$l")" \
		"$(md5sum < "$W/rx.back" | cut -d' ' -f1)" "$(wc -c < "$W/rx.back")"
	cmp -l "$W/sent" "$W/rx.back" 2> /dev/null | awk '
		{ o = $1 - 1; if (o != last + 1) { if (n) r = r sprintf(" %d+%d", s, last - s + 1); s = o; n++ } last = o; b++ }
		END { if (n) r = r sprintf(" %d+%d", s, last - s + 1); printf "%d bytes differ in %d ranges (offset+length):%s", b, n, substr(r, 1, 600) }'
	echo " (files $W/sent, $W/rx.back)"
}
RATES=()
# host -> QEMU01
OUT=$(q 10 "rm -f /tmp/rx /tmp/rx.part; nc -l -p 5002 -e /bin/xrecv > /dev/null 2>&1 &") || fail "QEMU01 listen: $OUT"
OUT=$(timeout 400 ip netns exec "$NS" python3 "$GUESTS_DIR/xfer.py" send 10.75.0.20 5002 "$TMP/hdata" 300 2>&1) ||
	fail "host -> QEMU01: $OUT"
RATES+=("host>q $(awk '{ printf "%.1f", $2 / $4 / 1048576 }' <<<"$OUT")")
got=$(qmd5)
[ "$got" = "$DMD5" ] || fail "host -> QEMU01: QEMU01 has $got, the host sent $DMD5"
OUT=$(q 20 "mv /tmp/rx /tmp/data") || fail "QEMU01 mv: $OUT"
# QEMU01 -> host
timeout 400 ip netns exec "$NS" python3 "$GUESTS_DIR/xfer.py" recv 5001 300 > "$TMP/rx1" 2>&1 &
xp=$!
sleep 0.3
OUT=$(q 300 "nc 10.75.0.1 5001 -e /bin/xsend") || fail "QEMU01 -> host: $OUT"
wait "$xp" || fail "host receive: $(cat "$TMP/rx1")"
[ "$(xmd5of "$(cat "$TMP/rx1")")" = "$DMD5" ] || fail "QEMU01 -> host: received '$(cat "$TMP/rx1")', sent $DMD5"
RATES+=("q>host $(awk '{ printf "%.1f", $2 / $4 / 1048576 }' "$TMP/rx1")")
# QEMU01 -> LINUX01 (its agent stores what follows "store q")
s0=$EPOCHREALTIME
OUT=$(q 300 "nc 10.75.0.10 7000 -e /bin/xstore") || fail "QEMU01 -> LINUX01: $OUT"
RATES+=("q>herc $(rate "$s0")")
OUT=$(ask "md5 q") || fail "LINUX01 md5: $OUT"
[ "$(md5of "$OUT")" = "$DMD5" ] || fail "QEMU01 -> LINUX01: LINUX01 has '$OUT', QEMU01 sent $DMD5"
# LINUX01 -> QEMU01 (what it stored)
OUT=$(q 10 "rm -f /tmp/rx /tmp/rx.part; nc -l -p 5003 -e /bin/xrecv > /dev/null 2>&1 &") || fail "QEMU01 listen: $OUT"
s0=$EPOCHREALTIME
OUT=$(ask "sendfile 10.75.0.20 5003 q") || fail "LINUX01 sendfile: $OUT"
[ "$OUT" = sent ] || fail "LINUX01 sendfile: $OUT"
RATES+=("herc>q $(rate "$s0")")
got=$(qmd5)
[ "$got" = "$DMD5" ] || fail "LINUX01 -> QEMU01: QEMU01 has $got, LINUX01 sent $DMD5; $(differ)"

# QEMU01 -> QEMU02: both Linux drivers took the receive offloads (GUEST_CSUM, GUEST_TSO4/6,
# mergeable buffers), so QEMU01's large sends reach QEMU02 whole (up to 64 KiB over its
# mergeable buffers) with their checksums open.
for n in 1 2; do
	grep -q "the guest takes checksums open, TCP large sends whole over IPv4, over IPv6; mergeable buffers" \
		"$W/q$n/vhost.err" || fail "QEMU0$n's driver did not take the receive offloads: $(cat "$W/q$n/vhost.err")"
done
OUT=$(qemu_ctl "$W/q2" 10 "rm -f /tmp/rx /tmp/rx.part; nc -l -p 5004 -e /bin/xrecv > /dev/null 2>&1 &") || fail "QEMU02 listen: $OUT"
s0=$EPOCHREALTIME
OUT=$(q 300 "nc 10.75.0.21 5004 -e /bin/xsend") || fail "QEMU01 -> QEMU02: $OUT"
RATES+=("q>q $(rate "$s0")")
OUT=$(qemu_ctl "$W/q2" 150 xmd5) || fail "QEMU02 md5: $OUT"
got="$(sed -n 1p <<<"$OUT" | cut -d' ' -f1) $(sed -n 2p <<<"$OUT")"
[ "$got" = "$DMD5" ] || fail "QEMU01 -> QEMU02: QEMU02 has $got, QEMU01 sent $DMD5"

# CP's view: QEMU01's and QEMU02's ports of type VIRTIO, QEMU01's with traffic both ways.
counts() { # counts OWNER: RX and TX packets and bytes of OWNER's adapter in $OUT
	printf '%s\n' "$OUT" | awk -v o="$1" '
		/Adapter Owner:/ { mine = ($3 == o) }
		mine && /RX Packets:/ { rx = $3 }
		mine && /TX Packets:/ { tx = $3 }
		mine && /RX Bytes:/ { rxb = $3; txb = $6 }
		END { print rx + 0, tx + 0, rxb + 0, txb + 0 }'
}
query() {
	OUT=$(timeout 20 "$BIN/cpnet" q vswitch vswq det 2>&1) || fail "q vswitch vswq det: $OUT"
	printf '%s\n' "$OUT" > "$W/q-$1.txt"
}
query traffic
grep -qE "Adapter Owner: QEMU01 .*Type: VIRTIO" <<<"$OUT" || fail "no VIRTIO port of QEMU01 (see $W/q-traffic.txt)"
grep -qE "Adapter Owner: QEMU02 .*Type: VIRTIO" <<<"$OUT" || fail "no VIRTIO port of QEMU02 (see $W/q-traffic.txt)"
grep -qxF "  Adapter Connections: Connected: 3" <<<"$OUT" || fail "not 3 adapters connected (see $W/q-traffic.txt)"
read -r rx tx rxb txb < <(counts QEMU01)
# 20 MB each way is > 14000 full frames towards the guest; what it sends goes as TCP
# large sends (cpnet-vhost's TX offloads: one frame on the port per up to 64 KiB), so
# that direction is checked in bytes: 2 x 20 MB were sent, and more than MB came back.
{ [ "$rx" -gt $((MB * 700)) ] && [ "$txb" -gt $((MB * 2000000)) ] && [ "$tx" -gt $((MB * 16)) ]; } ||
	fail "QEMU01's port RX $rx TX $tx frames, RX $rxb TX $txb bytes (see $W/q-traffic.txt)"

# FORCE QEMU01: its cpnet-vhost ends, the port goes; QEMU itself keeps running.
OUT=$(timeout 20 "$BIN/cpnet" force qemu01 2>&1) || fail "force qemu01: $OUT"
poll 15 gone "$V1" || fail "cpnet-vhost of QEMU01 still runs 15 s after FORCE: $(tail -n 3 "$W/q1/vhost.err")"
wait "$V1"
vrc=$?
[ $vrc = 0 ] || fail "cpnet-vhost of QEMU01 ended with status $vrc after FORCE: $(tail -n 3 "$W/q1/vhost.err")"
grep -q "the port was ended" "$W/q1/vhost.err" || fail "cpnet-vhost of QEMU01 did not say why it ended: $(tail -n 3 "$W/q1/vhost.err")"
kill -0 "$Q1" 2> /dev/null || fail "QEMU01's QEMU ended with its backend (see $W/q1/qemu.out)"
OUT=$(q 20 "echo alive") || fail "QEMU01's guest does not answer after FORCE: $OUT"
query force
grep -q "Adapter Owner: QEMU01 " <<<"$OUT" && fail "QEMU01's port is still there after FORCE (see $W/q-force.txt)"

# SIGKILL QEMU02 while it pings the host: its cpnet-vhost sees the connection go and ends,
# and with it the port.
OUT=$(qemu_ctl "$W/q2" 20 "ping -c 300 -i 0.1 10.75.0.1 > /dev/null 2>&1 &") || fail "QEMU02 ping: $OUT"
sleep 1
kill -KILL "$Q2"
wait "$Q2" 2> /dev/null
poll 15 gone "$V2" || fail "cpnet-vhost of QEMU02 still runs 15 s after QEMU was killed: $(tail -n 3 "$W/q2/vhost.err")"
query kill
grep -q "Adapter Owner: QEMU02 " <<<"$OUT" && fail "QEMU02's port is still there after QEMU was killed (see $W/q-kill.txt)"
grep -qxF "  Adapter Connections: Connected: 1" <<<"$OUT" || fail "not 1 adapter left (see $W/q-kill.txt)"
# What QEMU02's cpnet-vhost delivered: QEMU01's large sends whole (its final line).
large=$(sed -n 's/.*received [0-9]* ([0-9]* bytes; \([0-9]*\) large sends.*/\1/p' "$W/q2/vhost.out")
[ "${large:-0}" -gt $((MB * 4)) ] || fail "QEMU02 got ${large:-no} large sends whole: $(cat "$W/q2/vhost.out")"
echo "ok $T (QEMU up ${qsecs}s, Hercules ${hsecs}s, ${MB} MB md5-equal each way, MB/s $(printf '%s, ' "${RATES[@]}")port RX $rx TX $tx frames, QEMU02 took $large large sends whole)"
