#!/usr/bin/env bash
# tests/scenarios/uplink_tap.sh - cpnetd with TAP-backed RDEVs: controllers bring the OSAs
# up, AUTOLOG'd guests on an IP and an ETHERNET VSWITCH reach a namespace host and back.
# Needs root (netns, bridge, TAP); skips (exit 77) otherwise.
. "$(dirname "$0")/cpnet-lib.bash"
need_net python3

NS=$(tname upns)
BR=$(tname upbr)
TA=$(tname upa)
TC=$(tname upc)
VH=$(tname upvh)
VN=$(tname upvn)
net_cleanup() {
	ip link del "$TA" 2>/dev/null
	ip link del "$TC" 2>/dev/null
	ip link del "$VH" 2>/dev/null
	ip link del "$BR" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
}
ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace here"
set -e
ip link add "$BR" type bridge
ip link set "$BR" up
for t in "$TA" "$TC"; do
	ip tuntap add dev "$t" mode tap
	ip link set "$t" master "$BR"
done
ip link add "$VH" type veth peer name "$VN"
ip link set "$VH" master "$BR"
ip link set "$VH" up
ip link set "$VN" netns "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" addr add 10.9.0.2/24 dev "$VN"
ip -n "$NS" addr add 10.8.0.2/24 dev "$VN"
ip -n "$NS" link set "$VN" up
set +e

cat >"$TMP/system.config" <<CFG
RDEVICE 0A00-0A02 TYPE OSA BACKEND TAP $TA
RDEVICE 0C00-0C02 TYPE OSA BACKEND TAP $TC
DEFINE VSWITCH VSWIP RDEV 0A00 CONTROLLER * IP
DEFINE VSWITCH VSWL2 RDEV 0C00 CONTROLLER * ETHERNET
MODIFY VSWITCH VSWIP GRANT LINUX01
MODIFY VSWITCH VSWL2 GRANT LINUX02
AUTOLOG DTCVSW1 DTCVSW2 LINUX01 LINUX02
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
USER LINUX02 NOLOG 1G 1G G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWL2
  IPADDR 0600 10.8.0.1/24
DIR
start_cpnetd "$TMP/system.config" "$TMP/user.direct"
uplinks_up() { [ "$(grep -c HCPSWU9322I "$TMP/cpnetd.out")" -ge 2 ]; }
poll 20 uplinks_up
grep HCPSWU "$TMP/cpnetd.out"
uplinks_up || fail "uplinks did not come up"
# A bridge forwards to a TAP only once its operstate is up.
poll 10 link_up "$TA" && poll 10 link_up "$TC" || fail "the TAPs have no carrier"

cp_ query controller
echo "$OUT"
expect_ok
grep -q "SYSTEM   VSWIP" <<<"$OUT" || fail "QUERY CONTROLLER lacks VSWIP"
cp_ query osa
echo "$OUT"
grep -Eq "^OSA  0A00 ATTACHED TO DTCVSW[12] +0600 DEVTYPE OSA CHPID 0A OSD" <<<"$OUT" ||
	fail "QUERY OSA shape"

# Guests -> namespace host (the IP switch's OSA resolves the host by ARP).
cp_ ping linux01 10.9.0.2 3
echo "$OUT"
grep -Eq "3 sent, [23] received" <<<"$OUT" || fail "LINUX01 -> host"
cp_ ping linux02 10.8.0.2 3
echo "$OUT"
grep -Eq "3 sent, [23] received" <<<"$OUT" || fail "LINUX02 -> host"

# hostping IP COUNT: ICMP echo from the namespace host (raw socket: no ping binary
# needed); prints "replies N", succeeds when at least one came back.
hostping() {
	ip netns exec "$NS" python3 - "$1" "$2" <<'PY'
import socket, struct, sys, time
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF
dst, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(0.2)
got = 0
for seq in range(count):
    body = struct.pack("!BBHHH", 8, 0, 0, 0x4322, seq) + b"cpnet-uplink"
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    s.sendto(body, (dst, 0))
    end = time.time() + 1.0
    while time.time() < end:
        try:
            pkt, src = s.recvfrom(2048)
        except socket.timeout:
            continue
        if src[0] == dst and pkt[20] == 0 and struct.unpack("!H", pkt[24:26])[0] == 0x4322:
            got += 1
            break
print("replies %d" % got)
sys.exit(0 if got else 1)
PY
}

# Host -> guests.
hostping 10.9.0.1 3 || fail "host -> LINUX01 (IP VSWITCH)"
hostping 10.8.0.1 3 || fail "host -> LINUX02 (ETHERNET VSWITCH)"

# ARP for an address nobody registered is not answered.
hostping 10.9.0.98 1 && fail "10.9.0.98 answered"
neigh=$(ip -n "$NS" neigh show 10.9.0.98)
[[ $neigh != *lladdr* ]] || fail "ARP for an unregistered IP was answered: $neigh"
# Inbound for an unknown IP (the host is told the OSA's MAC): discarded and counted.
OSAMAC=$(ip -n "$NS" neigh show 10.9.0.1 | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')
[ -n "$OSAMAC" ] || fail "host has no ARP entry for 10.9.0.1"
ip -n "$NS" neigh replace 10.9.0.99 lladdr "$OSAMAC" dev "$VN"
hostping 10.9.0.99 3 && fail "10.9.0.99 answered"

cp_ query vswitch vswip details
echo "$OUT"
expect_ok
expect_line "  RDEV: 0A00.P00 VDEV: 0600 Controller: DTCVSW1  ACTIVE"
n=$(printf '%s\n' "$OUT" | sed -n 's/.*OSA discarded (IP not registered): \([0-9]*\).*/\1/p')
[ "${n:-0}" -ge 3 ] || fail "unknown inbound IP not counted (got '${n:-}')"
rx=$(uplink_packets RX "$OUT")
tx=$(uplink_packets TX "$OUT")
# 3 echo replies + 3 echo requests from the host at least; the same out.
[ "${rx:-0}" -ge 5 ] && [ "${tx:-0}" -ge 5 ] || fail "uplink counters rx=${rx:-} tx=${tx:-}"
# The wire reader (cpnetd's, of OSA 0A00): woken by the host's frames, and asleep
# again (interrupt mode) once they stop: every poll phase it entered has ended.
wr=$(printf '%s\n' "$OUT" | grep "Wire Reader:" || true)
[[ $wr =~ Wire\ Reader:\ ADAPTIVE\ +Mode:\ INTERRUPT\ +Switches:\ ([0-9]+)\ +Interrupts:\ ([0-9]+) ]] ||
	fail "no idle Wire Reader line: '$wr'"
[ $((BASH_REMATCH[1] % 2)) -eq 0 ] || fail "a poll phase did not end: $wr"
[ "${BASH_REMATCH[2]}" -ge 3 ] || fail "the wire reader was not woken by the host's frames: $wr"
cp_ query vswitch vswl2 details
echo "$OUT"
expect_line "  RDEV: 0C00.P00 VDEV: 0600 Controller: DTCVSW2  ACTIVE"
echo "uplink_tap: ok"
