#!/usr/bin/env bash
# tests/scenarios/uplink_failover.sh - VSWITCH uplink failover on TAPs: the active controller
# is FORCEd, then the active TAP deleted, under continuous traffic; uplink resumes < 5 s.
# Needs root (netns, bridge, TAP); skips (exit 77) otherwise.
. "$(dirname "$0")/cpnet-lib.bash"
need_net python3

NS=$(tname fons)
BR=$(tname fobr)
TA=$(tname foa)
TB=$(tname fob)
VH=$(tname fovh)
VN=$(tname fovn)
net_cleanup() {
	ip link del "$TA" 2>/dev/null
	ip link del "$TB" 2>/dev/null
	ip link del "$VH" 2>/dev/null
	ip link del "$BR" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
}
ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace here"
set -e
ip link add "$BR" type bridge
ip link set "$BR" up
for t in "$TA" "$TB"; do
	ip tuntap add dev "$t" mode tap
	ip link set "$t" master "$BR"
done
ip link add "$VH" type veth peer name "$VN"
ip link set "$VH" master "$BR"
ip link set "$VH" up
ip link set "$VN" netns "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" addr add 10.9.0.2/24 dev "$VN"
ip -n "$NS" link set "$VN" up
set +e

cat >"$TMP/system.config" <<CFG
RDEVICE 0A00-0A02 TYPE OSA BACKEND TAP $TA
RDEVICE 0B00-0B02 TYPE OSA BACKEND TAP $TB
DEFINE VSWITCH VSWIP RDEV 0A00 0B00 CONTROLLER * IP
MODIFY VSWITCH VSWIP GRANT LINUX01
MODIFY VSWITCH VSWIP GRANT LINUX03
AUTOLOG DTCVSW1 DTCVSW2 LINUX01 LINUX03
CFG
cat >"$TMP/user.direct" <<DIR
USER OPERATOR OPERATOR 64M 1G ABCDEFG
USER DTCVSW1 NOLOG 64M 64M BG
  CONTROLLER
USER DTCVSW2 NOLOG 64M 64M BG
  CONTROLLER
USER LINUX01 NOLOG 1G 1G G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWIP
  IPADDR 0600 10.9.0.1/24
USER LINUX03 NOLOG 1G 1G G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWIP
  IPADDR 0600 10.9.0.3/24
DIR
start_cpnetd "$TMP/system.config" "$TMP/user.direct"
# The active uplink is up and both TAPs have carrier (a bridge forwards only then).
poll 20 grep -q HCPSWU9322I "$TMP/cpnetd.out" || fail "no uplink came up: $(grep HCP "$TMP/cpnetd.out")"
poll 10 link_up "$TA" && poll 10 link_up "$TB" || fail "the TAPs have no carrier"
cp_ query vswitch vswip
echo "$OUT"
expect_line "  RDEV: 0A00.P00 VDEV: 0600 Controller: DTCVSW1  ACTIVE"
expect_line "  RDEV: 0B00.P00 VDEV: 0600 Controller: DTCVSW2  BACKUP"
cp_ ping linux01 10.9.0.2 2
grep -Eq "2 sent, [12] received" <<<"$OUT" || fail "no uplink before the test: $OUT"

# The host pings LINUX01 every 0.1 s for 16 s and reports the longest gap.
ip netns exec "$NS" python3 - 10.9.0.1 16 >"$TMP/host.txt" <<'PY' &
import socket, struct, sys, time
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF
dst, dur = sys.argv[1], float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.setblocking(False)
start = time.time(); last = start; gap = 0.0; sent = got = seq = 0
nxt = start
while time.time() - start < dur:
    now = time.time()
    if now >= nxt:
        body = struct.pack("!BBHHH", 8, 0, 0, 0x4323, seq & 0xFFFF) + b"failover"
        body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
        s.sendto(body, (dst, 0)); sent += 1; seq += 1; nxt = now + 0.1
    try:
        pkt, src = s.recvfrom(2048)
        if src[0] == dst and pkt[20] == 0 and struct.unpack("!H", pkt[24:26])[0] == 0x4323:
            got += 1; gap = max(gap, time.time() - last); last = time.time()
    except BlockingIOError:
        time.sleep(0.005)
gap = max(gap, time.time() - last)
print("host: sent %d got %d maxgap %.2f" % (sent, got, gap))
PY
hp=$!

# Guest <-> guest all along: PING commands in a loop, every reply counted.
g2g_sent=0
g2g_got=0
g2g() {
	cp_ ping linux01 10.9.0.3 5
	g2g_sent=$((g2g_sent + 5))
	r=$(printf '%s\n' "$OUT" | sed -n 's/.*5 sent, \([0-9]*\) received.*/\1/p')
	g2g_got=$((g2g_got + ${r:-0}))
}
for _ in 1 2 3; do g2g; sleep 0.3; done
cp_ force dtcvsw1
echo "FORCE: $OUT"
for _ in 1 2 3 4 5 6 7 8 9 10; do g2g; sleep 0.2; done
cp_ query vswitch vswip
echo "$OUT"
expect_line "  RDEV: 0B00.P00 VDEV: 0600 Controller: DTCVSW2  ACTIVE"
# The active RDEV's TAP goes away.
ip link del "$TB"
for _ in 1 2 3 4 5 6 7 8 9 10; do g2g; sleep 0.2; done
wait $hp
cat "$TMP/host.txt"
grep HCPSWU "$TMP/cpnetd.out"
cp_ query vswitch vswip details
echo "$OUT"
expect_line "  RDEV: 0A00.P00 VDEV: 0610 Controller: DTCVSW2  ACTIVE"
grep -q "HCPSWU9320E TCP/IP Controller DTCVSW1 was logged off" "$TMP/cpnetd.out" || fail "no 9320E"
grep -q "HCPSWU9321E Device 0B00.P00 of VSWITCH SYSTEM VSWIP failed" "$TMP/cpnetd.out" || fail "no 9321E"
echo "guest<->guest: $g2g_sent sent, $g2g_got received"
[ "$g2g_sent" -eq "$g2g_got" ] || fail "guest<->guest lost $((g2g_sent - g2g_got))"
gap=$(sed -n 's/.*maxgap \([0-9.]*\).*/\1/p' "$TMP/host.txt")
[ -n "$gap" ] || fail "host pinger gave no result"
python3 -c "import sys; sys.exit(0 if float('$gap') < 5.0 else 1)" || fail "uplink gap ${gap}s >= 5 s"
cp_ ping linux01 10.9.0.2 2
grep -Eq "2 sent, [12] received" <<<"$OUT" || fail "no uplink after the failovers: $OUT"
echo "uplink_failover: ok"
