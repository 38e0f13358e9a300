#!/bin/bash
# tests/guests/t_osa.sh - a real guest on a dedicated OSA-Express (CPNIC port=osa:TAP, the osa/ model)
# in layer 3: the OSA answers ARP for the guest's address on a bridge to a namespace host (root only).
#
# One boot: the guest (init-osa.sh, layer2=0) adds its address and pings the host; then the host,
# whose ARP entry for the guest is flushed first, pings the guest and must have learnt the OSA's
# MAC from the OSA's ARP reply; an unregistered address on the subnet gets no ARP answer; the TAP
# set down and up again gives STOPLAN / STARTLAN (the guest reports its carrier going off and on),
# after which the guest reaches the host and the host the guest again. IPv6: the guest pings the
# host, and the host (neighbour cache flushed) pings the guest and must have the OSA's MAC for it.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
T=t_osa
need_net python3 timeout

W="$CPNET_GUEST_WORK/$T"
TIMEOUT=$CPNET_GUEST_TIMEOUT
PY=$(python3 -c 'import sys; print(sys.executable)')	# not a shim: it runs in the namespace
BOOT_PID=
HERC_PID=
# Names unique to this process: guest tests run side by side.
NS=$(tname osns)
BR=$(tname osb)
TAP=$(tname ost)
VH=$(tname osh)
VN=$(tname osn)
HOST=10.74.0.1 GUEST=10.74.0.2 UNREG=10.74.0.99
HOST6=fd74::1 GUEST6=fd74::2
OSAMAC=02:00:00:00:0a:00

fail() { echo "FAIL $T: $*"; exit 1; }
cleanup() {
	[ -n "$BOOT_PID" ] && { kill -TERM "$BOOT_PID" 2>/dev/null; wait "$BOOT_PID" 2>/dev/null; }
	[ -n "$HERC_PID" ] && herc_stop "$HERC_PID"
	for l in "$TAP" "$VH" "$BR"; do ip link del "$l" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

guest_prep -H
"$GUESTS_DIR/mkinitrd.sh" -p "cpnet.ip4=$GUEST/24 cpnet.peer4=$HOST cpnet.ip6=$GUEST6/64 cpnet.peer6=$HOST6" \
	"$GUESTS_DIR/init-osa.sh" "$W" 2> "$W/mkinitrd.log" || { cat "$W/mkinitrd.log"; fail "mkinitrd.sh failed"; }

# The wire: bridge BR joins the OSA's TAP (Hercules attaches to it by name) and a veth whose
# other end is the host in namespace NS.
ip netns add "$NS" || fail "cannot create network namespace $NS"
{ ip -n "$NS" link set lo up && ip link add "$BR" type bridge && ip link set "$BR" up &&
	ip tuntap add dev "$TAP" mode tap && ip link set "$TAP" master "$BR" &&
	ip link add "$VH" type veth peer name "$VN" && ip link set "$VH" master "$BR" &&
	ip link set "$VH" up && ip link set "$VN" netns "$NS" &&
	ip -n "$NS" addr add "$HOST/24" dev "$VN" && ip -n "$NS" link set "$VN" up; } ||
	fail "cannot build bridge $BR with $TAP and $VH"
ip -n "$NS" addr add "$HOST6/64" dev "$VN" nodad || fail "cannot add $HOST6 in $NS"

write_ping_py "$W/ping.py"	# lib.sh: ICMP/ICMPv6 echo from a raw socket
nsping() { timeout 60 ip netns exec "$NS" "$PY" "$W/ping.py" "$@"; }
lladdr() { ip -n "$NS" neigh show "$1" dev "$VN" | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p'; }

t0=$(date +%s)
LD_LIBRARY_PATH="$CPNET_TOP/build/hercules${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
	"$GUESTS_DIR/boot.sh" -k -t "$TIMEOUT" \
	-c "0A00-0A02 CPNIC chpid=0A mac=$OSAMAC port=osa:$TAP" \
	"$W" "$W/console.log" > "$W/boot.pid" 2> "$W/boot.err" &
BOOT_PID=$!
wait "$BOOT_PID"
rc=$?
BOOT_PID=
HERC_PID=$(tail -n 1 "$W/boot.pid" 2>/dev/null)
LOG="$W/console.log"
[ $rc = 0 ] || fail "guest did not reach its marker (boot.sh exit $rc, log $LOG): \
$(grep -m 1 'CPNET-GUEST: FAIL' "$LOG") $(tail -n 3 "$W/boot.err")"
secs_boot=$(($(date +%s) - t0))

need() { grep -qE -- "$1" "$LOG" || fail "log lacks /$1/ ($2; log $LOG)"; }
need "^CPNIC 0A00-0A02 ready: chpid 0A mac ${OSAMAC^^} port osa:$TAP \(OSA-Express, link up\)" \
	"the OSA was created on the TAP"
need '^CPNET-GUEST: online 1 layer2 0 ' "qeth online in layer 3"
need "^CPNET-GUEST: addr inet ${GUEST//./\\.}/24 " "IPv4 address on the interface"
need "^CPNET-GUEST: ping4 ${HOST//./\\.}: [0-9]+ packets transmitted, [1-9][0-9]* packets received" \
	"guest -> host: the OSA resolved the host with ARP and framed the packets"

# The host knows the guest from the OSA's ARP request (sender = the guest's address, the
# OSA's MAC).  Forget it: the next entry can only come from the OSA's ARP reply.
mac=$(lladdr "$GUEST")
[ "$mac" = "$OSAMAC" ] || fail "host's neighbour entry for $GUEST is '$mac', want the OSA's $OSAMAC"
ip -n "$NS" neigh flush dev "$VN" || fail "neigh flush"
out=$(nsping "$GUEST" 3) || fail "host -> guest $GUEST: $out"
mac=$(lladdr "$GUEST")
[ "$mac" = "$OSAMAC" ] || fail "after the host's ping, $GUEST is at '$mac' (want the OSA's $OSAMAC)"

# IPv6: the guest reached the host; the host, its neighbour cache flushed, reaches the
# guest through the OSA's Neighbor Advertisement: the entry is the OSA's MAC.
need "^CPNET-GUEST: ping6 $HOST6: [0-9]+ packets transmitted, [1-9][0-9]* packets received" \
	"guest -> host over IPv6: the OSA solicited the host and framed the packets"
ip -n "$NS" -6 neigh flush dev "$VN" || fail "neigh flush -6"
out=$(nsping "$GUEST6" 3) || fail "host -> guest $GUEST6: $out"
mac=$(lladdr "$GUEST6")
[ "$mac" = "$OSAMAC" ] || fail "after the host's ping6, $GUEST6 is at '$mac' (want the OSA's $OSAMAC)"

# An address the guest did not register: the OSA stays silent.
out=$(nsping "$UNREG" 1) && fail "unregistered $UNREG answered: $out"
mac=$(lladdr "$UNREG")
[ -z "$mac" ] || fail "ARP for unregistered $UNREG answered with $mac"

# Link: the TAP set down is a cable pulled (STOPLAN to the guest), set up plugs it back
# (STARTLAN; qeth recovers and registers its address again).
ip link set "$TAP" down || fail "ip link set $TAP down"
wait_for "$LOG" "CPNIC 0A00: OSA port TAP $TAP link down (STOPLAN)" 30 "$HERC_PID" ||
	fail "no link-down line within 30 s after the TAP went down"
wait_for "$LOG" "CPNET-GUEST: carrier 0" 60 "$HERC_PID" ||
	fail "the guest did not see its carrier go off (STOPLAN) within 60 s"
ip link set "$TAP" up || fail "ip link set $TAP up"
wait_for "$LOG" "CPNIC 0A00: OSA port TAP $TAP link up (STARTLAN)" 30 "$HERC_PID" ||
	fail "no link-up line within 30 s after the TAP came up"
t1=$(date +%s)
wait_for "$LOG" "CPNET-GUEST: carrier 1" 60 "$HERC_PID" ||
	fail "the guest did not see its carrier come back (STARTLAN) within 60 s"
wait_for "$LOG" "CPNET-GUEST: relink ping4" 90 "$HERC_PID" || fail "no ping from the guest after STARTLAN"
need "^CPNET-GUEST: relink ping4 ${HOST//./\\.}: [0-9]+ packets transmitted, [1-9][0-9]* packets received" \
	"guest -> host after STARTLAN"
until out=$(nsping "$GUEST" 1); do
	[ $(($(date +%s) - t1)) -lt 60 ] || fail "host -> guest after the link came back: $out"
done
relink=$(($(date +%s) - t1))
secs=$(($(date +%s) - t0))
echo "ok $T (${secs}s, boot to marker ${secs_boot}s, host reaches the guest ${relink}s after STARTLAN)"
