#!/usr/bin/env bash
# tests/scenarios/osa_rings_flood.sh - the OSA's classified receive rings with real
# processes: a namespace host floods one guest of an ETHERNET VSWITCH through a TAP RDEV
# while it pings a second guest; the pings all come back within a bound, and where the
# flood overflows a ring it is the flooded guest's. Needs root (netns, bridge, TAP); skips (77).
. "$(dirname "$0")/cpnet-lib.bash"
need_net python3

# The bound on the second guest's round trip during the flood.  Through cpnetd a ping
# takes ~1 ms; during the flood it waits for at most one poll round of the OSA
# (OSA_READ_AHEAD x 256 frames read, 256 handed on by deficit round robin, so the
# ping's ring gets its turn in that round) plus the switch and the guest: a few ms.
# The floor is the machine: on the shared 2-core machine (load average 12-14) the series
# WITHOUT a flood showed a 266 ms maximum (a scheduler stall), so a tighter bound fails
# with no flood at all.  500 ms is above that and half the 1 s after which the script
# counts a ping as lost; what the test really guards is the loss: a ping dropped in a
# queue it shares with the flood (the TAP's in the kernel, or one ring) never returns.
RTT_BOUND_MS=500
FLOOD_SECS=5
# The flood's rate.  Unbounded, AF_PACKET in the namespace sends 150-400 k frames/s here,
# more than one thread can even read from a TAP: the kernel then drops at the TAP's
# queue, before any classification, whoever the frames are for (measured: 792 k of 1.94 M
# frames, and pings to the other guest with them).  At 100 k frames/s cpnetd reads
# everything (OSA_READ_AHEAD) but hands the flooded guest less than that (the ring drops:
# the guest is overflowed), see doc/rings.md for the numbers.
FLOOD_FPS=100000
PINGS=50

NS=$(tname rgns)
BR=$(tname rgbr)
TC=$(tname rgc)
VH=$(tname rgvh)
VN=$(tname rgvn)
net_cleanup() {
	[ -n "${GEN_PID:-}" ] && kill "$GEN_PID" 2>/dev/null
	ip link del "$TC" 2>/dev/null
	ip link del "$VH" 2>/dev/null
	ip link del "$BR" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
}
ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace here"
set -e
ip link add "$BR" type bridge
ip link set "$BR" up
ip tuntap add dev "$TC" mode tap
# 100 ms of the flood's frames may wait in the kernel for cpnetd (a loaded machine can
# keep it off a core for a scheduler slice); the default 1000 is 10 ms.
ip link set "$TC" txqueuelen 10000
ip link set "$TC" master "$BR"
ip link add "$VH" type veth peer name "$VN"
ip link set "$VH" master "$BR"
ip link set "$VH" up
ip link set "$VN" netns "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" addr add 10.8.0.2/24 dev "$VN"
ip -n "$NS" link set "$VN" up
set +e

cat >"$TMP/system.config" <<CFG
RDEVICE 0C00-0C02 TYPE OSA BACKEND TAP $TC RINGS 2
DEFINE VSWITCH VSWL2 RDEV 0C00 CONTROLLER * ETHERNET
MODIFY VSWITCH VSWL2 GRANT LINUX01
MODIFY VSWITCH VSWL2 GRANT LINUX03
AUTOLOG DTCVSW1 LINUX01 LINUX03
CFG
cat >"$TMP/user.direct" <<DIR
USER OPERATOR OPERATOR 64M 1G ABCDEFG
USER DTCVSW1 NOLOG 64M 64M BG
  CONTROLLER
USER LINUX01 NOLOG 1G 1G G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWL2
  IPADDR 0600 10.8.0.1/24
USER LINUX03 NOLOG 1G 1G G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWL2
  IPADDR 0600 10.8.0.3/24
DIR
start_cpnetd "$TMP/system.config" "$TMP/user.direct"
uplink_up() { grep -q HCPSWU9322I "$TMP/cpnetd.out"; }
poll 20 uplink_up || fail "uplink did not come up"
poll 10 link_up "$TC" || fail "the TAP has no carrier"

# hostping IP COUNT INTERVAL: ICMP echo from the namespace host (raw socket); prints
# "replies N max_ms X avg_ms Y"; a reply later than 1 s counts as lost.
hostping() {
	ip netns exec "$NS" python3 - "$@" <<'PY'
import socket, struct, sys, time
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF
dst, count, gap = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(0.05)
got, rtts = 0, []
for seq in range(count):
    body = struct.pack("!BBHHH", 8, 0, 0, 0x4323, seq) + b"cpnet-rings."
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    t0 = time.monotonic()
    s.sendto(body, (dst, 0))
    end = t0 + 1.0
    while time.monotonic() < end:
        try:
            pkt, src = s.recvfrom(4096)
        except socket.timeout:
            continue
        if (src[0] == dst and pkt[20] == 0 and
                struct.unpack("!HH", pkt[24:28]) == (0x4323, seq)):
            got += 1
            rtts.append((time.monotonic() - t0) * 1000.0)
            break
    time.sleep(max(0.0, gap - (time.monotonic() - t0)))
print("replies %d max_ms %.1f avg_ms %.2f" % (got, max(rtts or [0]),
      sum(rtts) / len(rtts) if rtts else 0))
PY
}

# Both guests answer; the host learns LINUX01's MAC (the flood's destination).
out=$(hostping 10.8.0.1 3 0.05)
[[ $out == "replies "[1-3]* ]] || fail "host -> LINUX01: $out"
out=$(hostping 10.8.0.3 3 0.05)
[[ $out == "replies "[1-3]* ]] || fail "host -> LINUX03: $out"
MAC1=$(ip -n "$NS" neigh show 10.8.0.1 | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')
[ -n "$MAC1" ] || fail "no ARP entry for LINUX01"
MAC3=$(ip -n "$NS" neigh show 10.8.0.3 | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')
echo "LINUX01 $MAC1  LINUX03 $MAC3"

# dest_frames MAC: QUERY OSA DETAILS into $OUT, and in $FRAMES the frames queued ever
# for that destination (empty if it has none).
dest_frames() {
	cp_ query osa details
	FRAMES=$(sed -n "s/^ *[0-9A-F]* DEST $1 VLAN .* FRAMES \([0-9]*\) BYTES.*/\1/p" <<<"$OUT" |
		head -n 1)
}
# flood_arrives: LINUX01's ring has taken 1000 frames more than before the flood.
flood_arrives() {
	dest_frames "${MAC1^^}"
	[ -n "$FRAMES" ] && [ "$FRAMES" -ge $((FRAMES_BEFORE + 1000)) ]
}
# osa_settled: nothing waits in any receive ring and LINUX01's count stopped moving
# since the last look (the flood's tail has been read from the TAP and handed on).
osa_settled() {
	local was=$LAST_FRAMES
	dest_frames "${MAC1^^}"
	LAST_FRAMES=$FRAMES
	! grep -E " RING [0-9]+ .* QUEUED [1-9]" <<<"$OUT" >/dev/null && [ "$FRAMES" = "$was" ]
}

# Baseline in the same run: the ping series without a flood.
base=$(hostping 10.8.0.3 "$PINGS" 0.02)
echo "no flood:   $base"
dest_frames "${MAC1^^}"
FRAMES_BEFORE=${FRAMES:-0}

# The flood: AF_PACKET rings in the namespace, as fast as they go, to LINUX01's MAC.
ip netns exec "$NS" "$BIN/cpnet-pktgen" gen --if "$VN" --dst "$MAC1" --size 128 \
	--batch 256 --rate "$FLOOD_FPS" --seconds "$FLOOD_SECS" >"$TMP/gen.out" 2>&1 &
GEN_PID=$!
# The pings start once the flood is seen arriving in LINUX01's ring (bounded wait).
poll 10 flood_arrives || fail "the flood did not reach LINUX01's ring within 10 s"
during=$(hostping 10.8.0.3 "$PINGS" 0.07)
echo "with flood: $during"
wait "$GEN_PID"
GEN_PID=
cat "$TMP/gen.out"
# The counters are read once cpnetd has read and handed on the flood's tail.
LAST_FRAMES=
poll 20 osa_settled || fail "the OSA's receive rings did not settle within 20 s"
# Frames the kernel could not queue on the TAP for cpnetd (lost before classification).
kdrop=$(ip -s link show "$TC" | awk '/TX:/ { getline; print $4 }')
cp_ query vswitch vswl2 details
echo "$OUT" | grep -E "Packets|discarded|Discarded"

cp_ query osa details
echo "$OUT"
expect_ok

mac_up=${MAC1^^}
mac3_up=${MAC3^^}
dest1=$(grep -F "DEST $mac_up VLAN" <<<"$OUT")
dest3=$(grep -F "DEST $mac3_up VLAN" <<<"$OUT")
[ -n "$dest1" ] && [ -n "$dest3" ] || fail "QUERY OSA DETAILS lacks the guests' destinations"
read -r sent secs <<<"$(sed -n 's/^gen: sent=\([0-9]*\) secs=\([0-9.]*\).*/\1 \2/p' "$TMP/gen.out")"
f1=$(sed -n 's/.* FRAMES \([0-9]*\) BYTES.*/\1/p' <<<"$dest1")
d1=$(sed -n 's/.* DROPS \([0-9]*\)$/\1/p' <<<"$dest1")
d3=$(sed -n 's/.* DROPS \([0-9]*\)$/\1/p' <<<"$dest3")
echo "flood: sent ${sent:-?} frames in ${secs:-?} s; lost at the TAP's queue ${kdrop:-?};" \
	"LINUX01's ring got ${f1:-?}, dropped ${d1:-?}; LINUX03's dropped ${d3:-?}"
# Where the flood overflowed a ring (it came faster than it was delivered: seen on a
# loaded machine), it was the flooded guest's: nobody else's ring dropped.  On a quiet
# machine the guest keeps up with FLOOD_FPS and nothing overflows (seen in CI after the
# ring and doorbell work of session 7); this scenario then shows the pings' isolation
# from a full-rate stream only, and the overflow's isolation stays with the unit test
# rxring_bounds_drop_on_the_full_ring_only, which fills a ring by construction.
if [ "${d1:-0}" -gt 0 ]; then
	echo "the flood overflowed LINUX01's ring (${d1} dropped there)"
else
	echo "note: LINUX01 kept up with ${FLOOD_FPS} frames/s: no ring overflowed"
fi
[ "${d3:-1}" -eq 0 ] || fail "LINUX03's ring dropped frames"
# Every ping came back, none later than the bound.
read -r _ n _ max _ <<<"$during"
[ "$n" -eq "$PINGS" ] || fail "LINUX03 lost pings during the flood: $during"
awk -v m="$max" -v b="$RTT_BOUND_MS" 'BEGIN { exit !(m <= b) }' ||
	fail "LINUX03's max RTT $max ms over the bound $RTT_BOUND_MS ms"
echo "osa_rings_flood: ok"
