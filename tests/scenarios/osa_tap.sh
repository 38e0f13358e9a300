#!/usr/bin/env bash
# tests/scenarios/osa_tap.sh - the OSA model on a real TAP: a synthetic guest on a layer-3
# OSA pings a host in a network namespace through a bridge, then the TAP link flaps.
# Needs root (netns, bridge, TAP); skips (exit 77) otherwise.
set -u
cd "$(dirname "$0")/../.."
. tests/testlib.sh
BUILD=${CPNET_BUILD:-$PWD/build}
PROG=$BUILD/osa-tap-test

need_net
if [ ! -x "$PROG" ]; then
	echo "osa_tap: FAIL ($PROG not built: make all)"
	exit 1
fi

# Names unique to this process: tests run side by side.
NS=$(tname ntns)
BR=$(tname ntbr)
TAP=$(tname nt)
VH=$(tname ntvh)
VN=$(tname ntvn)

cleanup() {
	ip link del "$TAP" 2>/dev/null
	ip link del "$VH" 2>/dev/null
	ip link del "$BR" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
}
trap cleanup EXIT

ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace here"
set -e
ip link add "$BR" type bridge
ip link set "$BR" up
ip tuntap add dev "$TAP" mode tap
ip link set "$TAP" master "$BR"
ip link add "$VH" type veth peer name "$VN"
ip link set "$VH" master "$BR"
ip link set "$VH" up
ip link set "$VN" netns "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" addr add 10.9.0.2/24 dev "$VN"
ip -n "$NS" link set "$VN" up
set +e

# The guest is 10.9.0.1 behind the OSA; the namespace host is 10.9.0.2.  The guest
# pings the host (the OSA resolves it by ARP), the TAP flaps, then the host pings the
# guest (the OSA answers the host's ARP for 10.9.0.1, the guest the echo). The program
# serves for 12 s: room for a loaded machine to start the host's pings, which run until
# 3 replies or 8 s.
LOG=$(mktemp)
BLOG=$(mktemp)
trap 'cleanup; rm -f "$LOG" "$BLOG"' EXIT
# A burst each way after the pings: the guest queues BURST numbered UDP datagrams and
# flushes once (one SIGA-w over several SBALs, batches to the TAP); the host checks
# they all came in order, then sends BURST back as fast as it can (the OSA reads them
# in batches) and the guest checks the same.
BURST=200
BURST_ARGS=()
bpid=
if command -v python3 >/dev/null; then
	BURST_ARGS=(--burst "$BURST")
	ip netns exec "$NS" python3 - "$BURST" >"$BLOG" 2>&1 <<'PY' &
import socket, struct, sys, time
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)   # SO_RCVBUFFORCE: the whole burst fits
s.bind(("10.9.0.2", 9999))
print("host: burst: listening")
sys.stdout.flush()
s.settimeout(40)
got, nxt, bad, first = 0, 0, 0, True
while got < n:
    try:
        d = s.recv(4096)
    except socket.timeout:
        break
    if first:
        s.settimeout(3)
        first = False
    seq = struct.unpack("!I", d[:4])[0]
    if seq != nxt or len(d) != 1004 or d[4:] != bytes([seq & 0xFF]) * 1000:
        bad += 1
    nxt, got = seq + 1, got + 1
print("host: burst: %d of %d datagrams from the guest, %d out of order or damaged" % (got, n, bad))
sys.stdout.flush()
for k in range(n):
    s.sendto(struct.pack("!I", k) + bytes([k & 0xFF]) * 100, ("10.9.0.1", 9998))
    if k == 0:
        time.sleep(0.2)   # let the first one settle the neighbour entry
print("host: burst: %d datagrams sent" % n)
PY
	bpid=$!
	# The guest sends its burst right after its pings: the host must listen by then.
	host_ready() { grep -q "listening" "$BLOG" || ! kill -0 "$bpid" 2>/dev/null; }
	poll 30 host_ready
else
	echo "osa_tap: no python3: the burst check is left out"
fi
timeout 60 "$PROG" "$TAP" 10.9.0.1/24 10.9.0.2 5 "${BURST_ARGS[@]}" --flap --serve 12 >"$LOG" 2>&1 &
pid=$!
serving() { grep -q "serving" "$LOG" || ! kill -0 $pid 2>/dev/null; }
poll 30 serving
# After the flap the TAP's carrier (IFF_RUNNING) trails IFF_UP by up to a second, longer
# on a busy machine, and until then the bridge drops what the host sends it.
if grep -q "serving" "$LOG" && poll 10 link_up "$TAP"; then
	ip -n "$NS" neigh flush dev "$VN"
	if command -v ping >/dev/null; then
		ip netns exec "$NS" ping -c 3 -i 0.3 -w 8 10.9.0.1
	elif command -v python3 >/dev/null; then
		# No ping here: ICMP echo requests from a raw socket (we are root), one every
		# 0.3 s until 3 replies or 8 s (the first ones wait for ARP).
		ip netns exec "$NS" python3 - <<'PY'
import socket, struct, time
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(0.1)
got, seq, end = 0, 0, time.time() + 8
nxt = 0
while got < 3 and time.time() < end:
    if time.time() >= nxt:
        body = struct.pack("!BBHHH", 8, 0, 0, 0x4321, seq) + b"cpnet-osa"
        body = body[:2] + struct.pack("!H", csum(body + b"\0")) + body[4:]
        s.sendto(body, ("10.9.0.1", 0))
        seq, nxt = seq + 1, time.time() + 0.3
    try:
        pkt = s.recv(2048)
    except socket.timeout:
        continue
    if pkt[20] == 0 and struct.unpack("!H", pkt[24:26])[0] == 0x4321:
        got += 1
print("host: %d echo replies from 10.9.0.1 (%d sent)" % (got, seq))
PY
	fi
fi
wait $pid
rc=$?
cat "$LOG"
if [ -n "$bpid" ]; then
	wait "$bpid"
	cat "$BLOG"
fi
echo "osa_tap: host's neighbour table:"
ip -n "$NS" neigh show dev "$VN"
if [ $rc -ne 0 ]; then
	echo "osa_tap: FAIL (osa-tap-test exit $rc)"
	exit 1
fi
if ! grep -q "5 of 5 echo replies" "$LOG"; then
	echo "osa_tap: FAIL (guest -> host ping)"
	exit 1
fi
# The host's pings reached the guest, after the OSA answered the host's ARP.
if ! grep -Eq "served: ([3-9]|[1-9][0-9]+) echo requests, [1-9][0-9]* ARP replies" "$LOG"; then
	echo "osa_tap: FAIL (host -> guest ping or ARP reply missing)"
	exit 1
fi
if ! grep -qi "02:00:c9:0a:0a:00" <<<"$(ip -n "$NS" neigh show 10.9.0.1 dev "$VN")"; then
	echo "osa_tap: FAIL (host has no ARP entry with the OSA's MAC for 10.9.0.1)"
	exit 1
fi
if [ -n "$bpid" ]; then
	if ! grep -q "host: burst: $BURST of $BURST datagrams from the guest, 0 out of order" "$BLOG"; then
		echo "osa_tap: FAIL (the guest's burst did not reach the host complete and in order)"
		exit 1
	fi
	if ! grep -q "burst: $BURST of $BURST datagrams from the host, 0 out of order" "$LOG"; then
		echo "osa_tap: FAIL (the host's burst did not reach the guest complete and in order)"
		exit 1
	fi
fi
echo "osa_tap: ok"
