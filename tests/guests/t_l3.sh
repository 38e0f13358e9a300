#!/bin/bash
# tests/guests/t_l3.sh - real guest on a CPNIC in layer 3: qeth_l3 online, IPv4 ping through a TUN.
# The peer is a network namespace whose TUN is the NIC's port; Hercules runs inside that namespace.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
T=t_l3
W="$CPNET_GUEST_WORK/$T"
LOG="$W/console.log"
# Names unique to this process: guest tests run side by side.
NS=$(tname luns)
TUN=$(tname lu)

fail() { echo "FAIL $T: $*"; exit 1; }
cleanup() { ip netns del "$NS" 2>/dev/null; }

need_net
guest_prep -H
"$GUESTS_DIR/mkinitrd.sh" -p "cpnet.layer2=0 cpnet.ip4=10.99.3.2/24 cpnet.peer4=10.99.3.1" \
	"$GUESTS_DIR/init-nic.sh" "$W" 2> "$W/mkinitrd.log" || { cat "$W/mkinitrd.log"; fail "mkinitrd.sh failed"; }

# The host side: a namespace with the TUN (bare IP, no link header), addressed and up.
trap cleanup EXIT
ip netns add "$NS" || fail "ip netns add failed"
ip netns exec "$NS" ip link set lo up &&
ip netns exec "$NS" ip tuntap add dev "$TUN" mode tun &&
ip netns exec "$NS" ip addr add 10.99.3.1/24 dev "$TUN" &&
ip netns exec "$NS" ip link set "$TUN" up || fail "could not set up $TUN in $NS"
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$NS" "${CPNET_HERCULES:-hercules}" > "$W/hercules-ns"
chmod +x "$W/hercules-ns"

t0=$(date +%s)
CPNET_HERCULES="$W/hercules-ns" \
LD_LIBRARY_PATH="$CPNET_TOP/build/hercules${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
	"$GUESTS_DIR/boot.sh" -t "$CPNET_GUEST_TIMEOUT" \
	-c "0A00-0A02 CPNIC chpid=0A mac=02:00:00:00:0a:00 port=tun:$TUN" "$W" "$LOG"
rc=$?
secs=$(($(date +%s) - t0))
[ $rc = 0 ] || fail "guest did not reach its marker (boot.sh exit $rc, log $LOG)"

need() { grep -qE -- "$1" "$LOG" || fail "log lacks /$1/ ($2)"; }
need "^CPNIC 0A00-0A02 ready: chpid 0A mac 02:00:00:00:0A:00 port tun:$TUN" "the NIC was created"
need '^CPNET-GUEST: online 1 layer2 0 ' "qeth online in layer 3"
need '^CPNET-GUEST: addr inet 10\.99\.3\.2/24 ' "IPv4 address on the interface"
need '^CPNET-GUEST: ping4 10\.99\.3\.1: [0-9]+ packets transmitted, [1-9][0-9]* packets received' "IPv4 ping answered"
need '^CPNET-GUEST: init ok$' "final marker"
echo "ok $T (${secs}s)"
