#!/usr/bin/env bash
# tests/scenarios/vhost_port.sh - cpnet-vhost without a QEMU: vhost_front.py plays QEMU's
# part (memfd guest RAM, the rings) and pings a `cpnet-guest connect` VM through the port;
# refusals (IP VSWITCH, NICDEF), QUERY's Type VIRTIO, FORCE, a hostile memory table.
. "$(dirname "$0")/cpnet-lib.bash"
need() { command -v "$1" >/dev/null || skip "no $1"; }
need python3
python3 -c 'import os; os.memfd_create, os.eventfd' 2>/dev/null || skip "python3 without memfd_create/eventfd"
VMSOCK=$CPNET_SOCKET.vm

cat >"$TMP/system.config" <<'CFG'
DEFINE VSWITCH VVSW RDEV NONE ETHERNET
MODIFY VSWITCH VVSW GRANT G1 Q1 Q2
DEFINE VSWITCH VIP RDEV NONE IP
MODIFY VSWITCH VIP GRANT Q1
CFG
cat >"$TMP/user.direct" <<'DIR'
USER OPERATOR OPERATOR ABCDEFG
USER G1 PW1 G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VVSW
USER Q1 PWQ1 G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VVSW
  NICDEF 0700 TYPE QDIO
USER Q2 PWQ2 G
DIR
start_cpnetd "$TMP/system.config" "$TMP/user.direct"

# vhost NAME ARGS...: cpnet-vhost for Q1 (or $VUSER / $VPW) in the background, output
# in $TMP/NAME.out.
vhost() {
	local name=$1
	shift
	timeout 120 "$BIN/cpnet-vhost" --socket "$VMSOCK" --user "${VUSER:-q1}" \
		--password "${VPW:-pwq1}" --vhost "$TMP/$name.sock" "$@" >"$TMP/$name.out" 2>&1 &
	LASTPID=$!
	bg_track "$LASTPID"
}

# Refusals, said with cpnetd's message; no socket made.
OUT=$(timeout 20 "$BIN/cpnet-vhost" --socket "$VMSOCK" --user q1 --password pwq1 --vswitch vip \
	--vhost "$TMP/r.sock" 2>&1) && fail "a virtio port on an IP VSWITCH"
grep -q "HCPAPL9505E Virtio-net port of Q1 carries Ethernet frames; VSWITCH SYSTEM VIP is transport IP" \
	<<<"$OUT" || fail "IP VSWITCH: $OUT"
[ -e "$TMP/r.sock" ] && fail "a refused cpnet-vhost left its socket"
OUT=$(timeout 20 "$BIN/cpnet-vhost" --socket "$VMSOCK" --user q1 --password pwq1 --nic 0800 \
	--vhost "$TMP/r.sock" 2>&1) && fail "a NICDEF that does not exist"
grep -q "HCPCMD040E Device 0800 does not exist" <<<"$OUT" || fail "NIC 0800: $OUT"
OUT=$(timeout 20 "$BIN/cpnet-vhost" --socket "$VMSOCK" --user q1 --password pwq1 --nic 700 \
	--vhost "$TMP/r.sock" 2>&1) && fail "a NICDEF without a LAN"
grep -q "HCPNIC9207E NIC 0700 has no LAN in the directory" <<<"$OUT" || fail "NIC 0700: $OUT"
OUT=$(timeout 20 "$BIN/cpnet-vhost" --socket "$VMSOCK" --user q1 --password nope --nic 600 \
	--vhost "$TMP/r.sock" 2>&1) && fail "a wrong password"
grep -q "HCPLGA050E" <<<"$OUT" || fail "password: $OUT"
OUT=$(timeout 20 "$BIN/cpnet-vhost" --socket "$VMSOCK" --user q1 --password pwq1 --nic 600 \
	--vswitch vvsw --vhost "$TMP/r.sock" 2>&1) && fail "--nic and --vswitch together"
grep -q "^usage: cpnet-vhost" <<<"$OUT" || fail "two LANs: $OUT"
OUT=$(timeout 20 "$BIN/cpnet-vhost" --socket "$VMSOCK" --user q1 --password pwq1 --vswitch vvsw \
	--mac 01:00:5e:00:00:01 --vhost "$TMP/r.sock" 2>&1) && fail "a multicast --mac"
grep -q "^cpnet-vhost: --mac 01:00:5e:00:00:01: not a unicast MAC" <<<"$OUT" || fail "--mac: $OUT"
# --nic takes a device number as CP's commands do: 1 to 4 hex digits, nothing else.
for bad in 0x600 " 600" 10600 ""; do
	OUT=$(timeout 20 "$BIN/cpnet-vhost" --socket "$VMSOCK" --user q1 --password pwq1 --nic "$bad" \
		--vhost "$TMP/r.sock" 2>&1) && fail "--nic '$bad' taken"
	grep -qxF "cpnet-vhost: --nic $bad: not a device number (1 to 4 hex digits)" <<<"$OUT" ||
		fail "--nic '$bad': $OUT"
done
# --vhost naming a file that is not a socket: refused, the file left as it was.
echo "not a socket" >"$TMP/plain"
OUT=$(timeout 20 "$BIN/cpnet-vhost" --socket "$VMSOCK" --user q1 --password pwq1 --vswitch vvsw \
	--vhost "$TMP/plain" 2>&1) && fail "--vhost over a regular file"
grep -q "^cpnet-vhost: --vhost $TMP/plain: exists and is not a socket; not replaced" <<<"$OUT" ||
	fail "--vhost over a file: $OUT"
[ "$(cat "$TMP/plain" 2>/dev/null)" = "not a socket" ] || fail "--vhost removed or changed a regular file"

# The VM G1 (synthetic, 10.1.0.2) and the port of Q1's NICDEF 0600; QEMU's part played
# by vhost_front.py: ARP and ICMP echo through the port, in the guest's little-endian rings.
guest g1 --user g1 --password pw1 --ip 10.1.0.2/24 --stay 100
wait_for "$TMP/g1.out" "0600 online"
vhost v1 --nic 600
wait_for "$TMP/v1.out" "^cpnet-vhost: port [0-9A-F]* on NIC 0600, port number [0-9]*, MAC .*, vhost-user socket $TMP/v1.sock$"
cp_ q vswitch vvsw details
grep -q "Adapter Owner: Q1       APPL: [0-9A-F]* Name: UNASSIGNED  Type: VIRTIO" <<<"$OUT" ||
	fail "QUERY does not show the port as VIRTIO: $OUT"
FRONT=$(timeout 60 python3 "$ROOT/tests/scenarios/vhost_front.py" "$TMP/v1.sock" ping 10.1.0.9 10.1.0.2 2>&1) ||
	{ cat "$TMP/v1.out" >&2; fail "front end: $FRONT"; }
grep -q "^arp reply from 02-" <<<"$FRONT" || fail "no ARP reply: $FRONT"
grep -q "^echo reply from 10.1.0.2" <<<"$FRONT" || fail "no echo reply: $FRONT"
grep -q "^tx returned 2$" <<<"$FRONT" || fail "TX chains: $FRONT"
grep -q "^tx base 2$" <<<"$FRONT" || fail "GET_VRING_BASE: $FRONT"
# The guest's MAC (the first frame's source) replaced the assigned one on the port.
grep -q "guest MAC 52-54-00-12-34-56: registered" "$TMP/v1.out" || fail "MAC: $(cat "$TMP/v1.out")"
# The front end went: cpnet-vhost ends and the port is gone.
poll 10 gone "$LASTPID" || fail "cpnet-vhost still runs after its QEMU went"
grep -q "QEMU closed the connection" "$TMP/v1.out" || fail "end: $(cat "$TMP/v1.out")"
grep -q "guest sent 2 frames" "$TMP/v1.out" || fail "counts: $(cat "$TMP/v1.out")"
cp_ q vswitch vvsw details
grep -q "Adapter Owner: Q1" <<<"$OUT" && fail "the port outlived cpnet-vhost: $OUT"

# FORCE while it waits for QEMU: it ends cleanly, its socket removed.
vhost v2 --vswitch vvsw
wait_for "$TMP/v2.out" "^cpnet-vhost: port .* vhost-user socket"
[ -S "$TMP/v2.sock" ] || fail "no socket $TMP/v2.sock"
cp_ force q1
poll 10 gone "$LASTPID" || fail "cpnet-vhost still runs after FORCE"
rc=0
wait "$LASTPID" || rc=$?
[ "$rc" = 0 ] || fail "cpnet-vhost after FORCE: exit $rc ($(cat "$TMP/v2.out"))"
grep -q "the port was ended" "$TMP/v2.out" || fail "FORCE: $(cat "$TMP/v2.out")"
[ -e "$TMP/v2.sock" ] && fail "FORCE left the socket"

# --mac: that MAC is registered at start, and frames from any other source are dropped
# (counted): the front end's ARP request (from 52:54:00:12:34:56) gets no answer.
vhost v6 --vswitch vvsw --mac 52:54:00:00:00:66
wait_for "$TMP/v6.out" "^cpnet-vhost: port .* vhost-user socket"
grep -q "guest MAC 52-54-00-00-00-66: registered" "$TMP/v6.out" || fail "--mac: $(cat "$TMP/v6.out")"
FRONT=$(timeout 60 python3 "$ROOT/tests/scenarios/vhost_front.py" "$TMP/v6.sock" ping 10.1.0.9 10.1.0.2 2>&1) &&
	fail "a frame from another MAC than --mac went through: $FRONT"
grep -q "no ARP reply" <<<"$FRONT" || fail "--mac front end: $FRONT"
poll 10 gone "$LASTPID" || fail "cpnet-vhost still runs after its QEMU went"
grep -q "guest sent 0 frames .* 1 not from --mac" "$TMP/v6.out" || fail "--mac counts: $(cat "$TMP/v6.out")"
grep -q "guest MAC 52-54-00-12-34-56" "$TMP/v6.out" && fail "--mac: another MAC registered: $(cat "$TMP/v6.out")"

# A hostile memory table (overlapping regions): the connection is closed, the port goes.
vhost v3 --vswitch vvsw
wait_for "$TMP/v3.out" "^cpnet-vhost: port .* vhost-user socket"
FRONT=$(timeout 60 python3 "$ROOT/tests/scenarios/vhost_front.py" "$TMP/v3.sock" overlap 2>&1)
grep -q "closed by the backend" <<<"$FRONT" || fail "overlap: $FRONT"
poll 10 gone "$LASTPID" || fail "cpnet-vhost still runs after a refused message"
grep -q "vhost-user message 5 refused" "$TMP/v3.out" || fail "overlap: $(cat "$TMP/v3.out")"
cp_ q vswitch vvsw details
grep -q "Adapter Owner: Q1" <<<"$OUT" && fail "the port outlived the refused connection: $OUT"

# Offloads: Q1's guest sends one TCP large send (4000 bytes of payload, segments of 1000,
# checksum left open) to Q2's; the switch cuts it and completes each checksum.
VUSER=q2 VPW=pwq2 vhost v5 --vswitch vvsw
SINK_PID=$LASTPID
wait_for "$TMP/v5.out" "^cpnet-vhost: port .* vhost-user socket"
timeout 60 python3 "$ROOT/tests/scenarios/vhost_front.py" "$TMP/v5.sock" sink 52:54:00:00:00:22 4 \
	>"$TMP/sink.out" 2>&1 &
bg_track $!
wait_for "$TMP/sink.out" "^ready"
vhost v6 --vswitch vvsw
wait_for "$TMP/v6.out" "^cpnet-vhost: port .* vhost-user socket"
FRONT=$(timeout 60 python3 "$ROOT/tests/scenarios/vhost_front.py" "$TMP/v6.sock" lso 52:54:00:00:00:11 \
	52:54:00:00:00:22 4000 1000 2>&1)
grep -q "^large send of 4054 bytes returned 1$" <<<"$FRONT" || fail "large send: $FRONT"
wait_for "$TMP/sink.out" "^segments 4 ok, payload 4000$"
poll 10 gone "$LASTPID" "$SINK_PID" || fail "cpnet-vhost still runs after its front ends went"
grep -q "guest sent 1 frames (4054 bytes; 1 large sends, 0 bad" "$TMP/v6.out" ||
	fail "sender: $(cat "$TMP/v6.out")"
grep -q "received 4 " "$TMP/v5.out" || fail "sink: $(cat "$TMP/v5.out")"

# Receive offloads: Q2's guest now takes checksums open and TCP large sends whole
# (GUEST_CSUM, GUEST_TSO4/6): the same large send reaches it as one frame over two of
# its 2 KiB mergeable buffers, with its segment size and the checksum left open.
VUSER=q2 VPW=pwq2 vhost v7 --vswitch vvsw
SINK_PID=$LASTPID
wait_for "$TMP/v7.out" "^cpnet-vhost: port .* vhost-user socket"
timeout 60 python3 "$ROOT/tests/scenarios/vhost_front.py" "$TMP/v7.sock" lro 52:54:00:00:00:22 \
	>"$TMP/lro.out" 2>&1 &
bg_track $!
wait_for "$TMP/lro.out" "^ready"
vhost v8 --vswitch vvsw
wait_for "$TMP/v8.out" "^cpnet-vhost: port .* vhost-user socket"
FRONT=$(timeout 60 python3 "$ROOT/tests/scenarios/vhost_front.py" "$TMP/v8.sock" lso 52:54:00:00:00:11 \
	52:54:00:00:00:22 4000 1000 2>&1)
grep -q "^large send of 4054 bytes returned 1$" <<<"$FRONT" || fail "large send: $FRONT"
wait_for "$TMP/lro.out" "^frame 4054 bytes, payload 4000, num_buffers 2, flags 1, gso_type 1, hdr_len 54, gso_size 1000, csum_start 34, csum_offset 16, checksum ok$"
poll 10 gone "$LASTPID" "$SINK_PID" || fail "cpnet-vhost still runs after its front ends went"
grep -q "received 1 (4054 bytes; 1 large sends, 1 checksums open" "$TMP/v7.out" ||
	fail "lro sink: $(cat "$TMP/v7.out")"
echo "vhost_port: ok"
