#!/bin/bash
# tests/guests/t_l2.sh - real guest on a CPNIC in layer 2: qeth_l2 online, IPv4 and IPv6 pings.
# The peer is a network namespace whose TAP is the NIC's port; Hercules runs inside that namespace.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
T=t_l2
W="$CPNET_GUEST_WORK/$T"
LOG="$W/console.log"
# Names unique to this process: guest tests run side by side.
NS=$(tname ltns)
TAP=$(tname lt)

fail() { echo "FAIL $T: $*"; exit 1; }
cleanup() { ip netns del "$NS" 2>/dev/null; }

need_net
"$GUESTS_DIR/fetch.sh" || fail "fetch.sh could not provide the guest pieces"
mkdir -p "$W"
make -s -C "$CPNET_TOP/hercules" > "$W/make.log" 2>&1 || { cat "$W/make.log"; fail "make -C hercules failed"; }
"$GUESTS_DIR/mkinitrd.sh" -p "cpnet.layer2=1 cpnet.ip4=10.99.2.2/24 cpnet.peer4=10.99.2.1 cpnet.ip6=fd99:2::2/64 cpnet.peer6=fd99:2::1" \
	"$GUESTS_DIR/init-nic.sh" "$W" 2> "$W/mkinitrd.log" || { cat "$W/mkinitrd.log"; fail "mkinitrd.sh failed"; }

# The host side: a namespace with the TAP, addressed and up (no DAD wait).
trap cleanup EXIT
ip netns add "$NS" || fail "ip netns add failed"
ip netns exec "$NS" ip link set lo up &&
ip netns exec "$NS" ip tuntap add dev "$TAP" mode tap &&
ip netns exec "$NS" ip addr add 10.99.2.1/24 dev "$TAP" &&
ip netns exec "$NS" ip -6 addr add fd99:2::1/64 dev "$TAP" nodad &&
ip netns exec "$NS" ip link set "$TAP" up || fail "could not set up $TAP in $NS"
# Hercules runs inside the namespace so that its TUNSETIFF finds the TAP there.
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$NS" "${CPNET_HERCULES:-hercules}" > "$W/hercules-ns"
chmod +x "$W/hercules-ns"

t0=$(date +%s)
CPNET_HERCULES="$W/hercules-ns" \
LD_LIBRARY_PATH="$CPNET_TOP/build/hercules${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
	"$GUESTS_DIR/boot.sh" -t "$CPNET_GUEST_TIMEOUT" \
	-c "0A00-0A02 CPNIC chpid=0A mac=02:00:00:00:0a:00 port=tap:$TAP" "$W" "$LOG"
rc=$?
secs=$(($(date +%s) - t0))
[ $rc = 0 ] || fail "guest did not reach its marker (boot.sh exit $rc, log $LOG)"

need() { grep -qE -- "$1" "$LOG" || fail "log lacks /$1/ ($2)"; }
need "^CPNIC 0A00-0A02 ready: chpid 0A mac 02:00:00:00:0A:00 port tap:$TAP" "the NIC was created"
need '^CPNET-GUEST: online 1 layer2 1 ' "qeth online in layer 2"
need 'qeth 0\.0\.0a00: MAC address 02:00:00:00:0a:00 successfully registered' "SETVMAC accepted"
need '^CPNET-GUEST: addr inet 10\.99\.2\.2/24 ' "IPv4 address on the interface"
need '^CPNET-GUEST: addr inet6 fd99:2::2/64 ' "IPv6 address on the interface"
need '^CPNET-GUEST: ping4 10\.99\.2\.1: [0-9]+ packets transmitted, [1-9][0-9]* packets received' "IPv4 ping answered"
need '^CPNET-GUEST: ping6 fd99:2::1: [0-9]+ packets transmitted, [1-9][0-9]* packets received' "IPv6 ping answered"
need '^CPNET-GUEST: init ok$' "final marker"
echo "ok $T (${secs}s)"
