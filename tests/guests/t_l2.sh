#!/bin/bash
# tests/guests/t_l2.sh - real guest on a CPNIC in layer 2: qeth_l2 online, IPv4 and IPv6 pings.
# The peer is a network namespace whose TAP is the NIC's port; Hercules runs inside that namespace.
# With the s390x cross compiler (tests/guests/ofl.c) the guest then turns TSO and checksum
# offloads on and sends MB MiB over TCP to the host: md5 equal, and no frame the host reads from
# the TAP is longer than the MTU (the CPNIC cut every large send itself: its TAP has no
# IFF_VNET_HDR).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
T=t_l2
W="$CPNET_GUEST_WORK/$T"
LOG="$W/console.log"
# Names unique to this process: guest tests run side by side.
NS=$(tname ltns)
TAP=$(tname lt)

MB=${CPNET_T_L2_MB:-2}
BP=$((20000 + $$ % 20000))
PY=$(python3 -c 'import sys; print(sys.executable)')	# not a shim: it runs in the namespace
TMP=$(mktemp -d /tmp/cpnet-t_l2.XXXXXX)
RX_PID=

fail() { echo "FAIL $T: $*"; exit 1; }
cleanup() {
	[ -n "$RX_PID" ] && kill "$RX_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}

need_net
guest_prep -H
OFL="$CPNET_TOP/build/guests/ofl"
ADD=()
BULK=
if command -v "${S390X_CC:-s390x-linux-gnu-gcc}" > /dev/null || [ -x "$OFL" ]; then
	make -s -C "$CPNET_TOP" "build/guests/ofl" >> "$W/make.log" 2>&1 ||
		{ cat "$W/make.log"; fail "building the offload helper failed"; }
	ADD=(-a "$OFL:/bin/ofl")
	BULK=" cpnet.mb=$MB cpnet.bp=$BP"
else
	echo "note $T: no s390x cross compiler: the large-send transfer is not tested"
fi
"$GUESTS_DIR/mkinitrd.sh" "${ADD[@]+"${ADD[@]}"}" \
	-p "cpnet.layer2=1 cpnet.ip4=10.99.2.2/24 cpnet.peer4=10.99.2.1 cpnet.ip6=fd99:2::2/64 cpnet.peer6=fd99:2::1$BULK" \
	"$GUESTS_DIR/init-nic.sh" "$W" 2> "$W/mkinitrd.log" || { cat "$W/mkinitrd.log"; fail "mkinitrd.sh failed"; }

# The host side: a namespace with the TAP, addressed and up (no DAD wait).
trap cleanup EXIT
ip netns add "$NS" || fail "ip netns add failed"
ip netns exec "$NS" ip link set lo up &&
ip netns exec "$NS" ip tuntap add dev "$TAP" mode tap &&
ip netns exec "$NS" ip addr add 10.99.2.1/24 dev "$TAP" &&
ip netns exec "$NS" ip -6 addr add fd99:2::1/64 dev "$TAP" nodad &&
ip netns exec "$NS" ip link set "$TAP" up || fail "could not set up $TAP in $NS"
# The host's receiver: one TCP connection's bytes until EOF ("MD5 BYTES"), and meanwhile the
# longest frame that came in on the TAP (a packet socket: what the CPNIC wrote, before any
# reassembly; the host's own frames are not counted).
cat > "$TMP/rx.py" <<'PY'
import hashlib, select, socket, sys, time
tap, port, secs, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
pk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
pk.bind((tap, 0))
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.99.2.1", port))
s.listen(1)
print("listening", flush=True)
h, n, big, frames, c, end = hashlib.md5(), 0, 0, 0, None, time.time() + secs
while time.time() < end:
    rl = [pk, s] if c is None else [pk, c]
    r, _, _ = select.select(rl, [], [], 1.0)
    for x in r:
        if x is pk:
            b, a = pk.recvfrom(65536, socket.MSG_TRUNC)
            if a[2] != socket.PACKET_OUTGOING:
                big = max(big, len(b))
                frames += 1
        elif x is s:
            c, _ = s.accept()
        else:
            b = c.recv(1 << 16)
            if not b:
                end = 0
                break
            h.update(b)
            n += len(b)
with open(out, "w") as f:
    f.write("%s %d %d %d\n" % (h.hexdigest(), n, big, frames))
PY
if [ -n "$BULK" ]; then
	timeout $((CPNET_GUEST_TIMEOUT + 30)) ip netns exec "$NS" "$PY" "$TMP/rx.py" "$TAP" "$BP" \
		"$CPNET_GUEST_TIMEOUT" "$TMP/rx.out" > "$TMP/rx.log" 2>&1 &
	RX_PID=$!
fi
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
if [ -n "$BULK" ]; then
	need '^CPNET-GUEST: OFL [a-z0-9]* rx=1 tx=1 sg=1 tso=1' "TSO and checksum offloads on"
	need '^CPNET-GUEST: sent tap in ' "the transfer ended"
	wait "$RX_PID"
	RX_PID=
	gmd5=$(sed -n 's/^CPNET-GUEST: data md5 \([0-9a-f]*\) bytes.*/\1/p' "$LOG")
	read -r hmd5 hbytes big frames < "$TMP/rx.out" || fail "host receiver: $(cat "$TMP/rx.log")"
	[ -n "$gmd5" ] && [ "$hmd5 $hbytes" = "$gmd5 $((MB * 1048576))" ] ||
		fail "guest -> host: host got '$hmd5 $hbytes', guest sent md5 '$gmd5'"
	# 1514: the MTU and the Ethernet header (the guest sends untagged).
	[ "$big" -le 1514 ] || fail "a $big-byte frame reached the TAP: a large send was not cut"
	echo "note $T: $MB MiB with TSO on, md5 equal, $frames frames in, the longest $big bytes"
fi
echo "ok $T (${secs}s)"
