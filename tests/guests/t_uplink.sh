#!/bin/bash
# tests/guests/t_uplink.sh - a real guest reaches the host's network through VSWITCH uplinks: one
# Debian guest (CPNIC port=cp:) on an IP and an ETHERNET VSWITCH whose OSAs sit on TAPs (root only).
# The host is a network namespace behind two bridges (one per switch and subnet): ping, TCP both
# ways, uplink counters, and an unregistered IP on the IP switch's subnet left unanswered. IPv6 on
# the IP switch too: ping6 and TCP both ways, the host's neighbour entry is the OSA's MAC.
# Then (with the s390x cross compiler for tests/guests/ofl.c) the guest turns its checksum/TSO
# offloads on (MTU 8992) and 50 MB go each way over IPv6 through both uplinks, md5 equal.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
T=t_uplink
need_net python3 timeout

W="$CPNET_GUEST_WORK/$T"
BIN="$CPNET_TOP/build"
TMP=$(mktemp -d /tmp/cpnet-$T.XXXXXX)
export CPNET_SOCKET="$TMP/cpnetd.sock" CPNET_PASSWORD=OPERATOR
unset CPNET_USER
VMSOCK="$CPNET_SOCKET.vm"
TIMEOUT=$CPNET_GUEST_TIMEOUT
# The real interpreter, not a version-manager shim: it runs in the namespace too.
PY=$(python3 -c 'import sys; print(sys.executable)')
CPNETD_PID=
BOOT_PID=
HERC_PID=
LISTEN_PID=
counts=

# Names unique to this process: guest tests run side by side.
NS=$(tname guns)
B3=$(tname gubi) # bridge of the IP switch: TAP T3 + veth V3H, namespace end V3N
B2=$(tname gube) # bridge of the ETHERNET switch
T3=$(tname guti)
T2=$(tname gute)
V3H=$(tname guhi)
V3N=$(tname guni)
V2H=$(tname guhe)
V2N=$(tname gune)
# Subnets: 10.73.0.0/24 behind the IP switch, 10.72.0.0/24 behind the ETHERNET switch.
HOST3=10.73.0.2 GUEST3=10.73.0.10 HOST2=10.72.0.2 GUEST2=10.72.0.10
HPORT=5017 GPORT3=6013 GPORT2=6012
# IPv6 behind the IP switch; the OSA's MAC (RDEVICE default 02-00-C9-<chpid>-<rdev>).
HOST6=fd73::2 GUEST6=fd73::10 GPORT6=6016 OSAMAC3=02:00:c9:0a:0a:00
# Bulk data (offloads): IPv6 behind the ETHERNET switch too; host ports BP+2/3, guest BP+12/13.
HOST26=fd72::2 GUEST26=fd72::10 BP=7000 MB=${CPNET_OFFLOAD_MB:-50}
TOK=tok$$$RANDOM

fail() { echo "FAIL $T: $*"; exit 1; }
cleanup() {
	[ -n "$LISTEN_PID" ] && { kill "$LISTEN_PID" 2>/dev/null; wait "$LISTEN_PID" 2>/dev/null; }
	for p in "${BULK_PIDS[@]+"${BULK_PIDS[@]}"}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	# A boot.sh still waiting stops its own Hercules on SIGTERM.
	[ -n "$BOOT_PID" ] && { kill -TERM "$BOOT_PID" 2>/dev/null; wait "$BOOT_PID" 2>/dev/null; }
	[ -n "$HERC_PID" ] && herc_stop "$HERC_PID"
	stop_daemon "$CPNETD_PID"
	for l in "$T3" "$T2" "$V3H" "$V2H" "$B3" "$B2"; do ip link del "$l" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	for f in cpnetd.out cpnetd.err listen.log; do [ -f "$TMP/$f" ] && cp "$TMP/$f" "$W/" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

guest_prep g
OFL="$BIN/guests/ofl"
ADD=()
EXTRA=0 # seconds the offload part may add (cpnetd's life, the final wait): ~10 s per MB here
if command -v "${S390X_CC:-s390x-linux-gnu-gcc}" > /dev/null || [ -x "$OFL" ]; then
	make -s -C "$CPNET_TOP" "build/guests/ofl" >> "$W/make.log" 2>&1 ||
		{ cat "$W/make.log"; fail "building the offload helper failed"; }
	ADD=(-a "$OFL:/bin/ofl")
	EXTRA=$((MB * 10))
else
	echo "note $T: no s390x cross compiler: offloads and the ${MB} MB transfers are not tested"
fi
"$GUESTS_DIR/mkinitrd.sh" "${ADD[@]+"${ADD[@]}"}" -p "cpnet.l3=$GUEST3/24 cpnet.h3=$HOST3 cpnet.l2=$GUEST2/24 cpnet.h2=$HOST2 \
cpnet.hp=$HPORT cpnet.g3=$GPORT3 cpnet.g2=$GPORT2 cpnet.tok=$TOK cpnet.wait=90 \
cpnet.l6=$GUEST6/64 cpnet.h6=$HOST6 cpnet.g6=$GPORT6 \
cpnet.mb=$MB cpnet.l26=$GUEST26/64 cpnet.h26=$HOST26 cpnet.bp=$BP" \
	"$GUESTS_DIR/init-uplink.sh" "$W/g" 2> "$W/g/mkinitrd.log" ||
	{ cat "$W/g/mkinitrd.log"; fail "mkinitrd.sh failed"; }

# --- the host's network: namespace NS with one leg on each bridge ----------------------
# Two bridges rather than one: the guest answers ARP for any of its addresses on any
# interface, so on a shared segment the IP switch's subnet could be served through the
# ETHERNET switch and the test would not prove which uplink carried what.
ip netns add "$NS" || fail "cannot create network namespace $NS"
ip -n "$NS" link set lo up || fail "lo up in $NS"
while read -r br tap vh vn host; do
	{ ip link add "$br" type bridge && ip link set "$br" up &&
		ip tuntap add dev "$tap" mode tap && ip link set "$tap" master "$br" &&
		ip link add "$vh" type veth peer name "$vn" && ip link set "$vh" master "$br" &&
		ip link set "$vh" up && ip link set "$vn" netns "$NS" &&
		ip -n "$NS" addr add "$host/24" dev "$vn" && ip -n "$NS" link set "$vn" up; } ||
		fail "cannot build bridge $br with $tap and $vh"
done <<NET
$B3 $T3 $V3H $V3N $HOST3
$B2 $T2 $V2H $V2N $HOST2
NET
ip -n "$NS" addr add "$HOST6/64" dev "$V3N" nodad || fail "cannot add $HOST6 in $NS"
ip -n "$NS" addr add "$HOST26/64" dev "$V2N" nodad || fail "cannot add $HOST26 in $NS"

# Python helpers run in the namespace (the host may lack nc and ping).
# listen.py PORT SECS ADDR... DIR: one TCP connection per ADDR: the peer's bytes until EOF (or
# 20 s) go to DIR/in-ADDR as "PEER DATA", answered by "cpnet-host-ack ADDR"; ends after all or
# SECS (it must outlive the guest's boot, however slow the machine).
cat > "$TMP/listen.py" <<'PY'
import select, socket, sys, time
port, secs, addrs, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:-1], sys.argv[-1]
ls = {}
for a in addrs:
    s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a, port))
    s.listen(2)
    ls[s] = a
print("listening", flush=True)
end = time.time() + secs
while ls and time.time() < end:
    r, _, _ = select.select(list(ls), [], [], 1.0)
    for s in r:
        c, peer = s.accept()
        c.settimeout(20)
        data = b""
        try:
            while True:
                b = c.recv(4096)
                if not b:
                    break
                data += b
            c.sendall(b"cpnet-host-ack " + ls[s].encode() + b"\n")
            c.shutdown(socket.SHUT_WR)
        except OSError as e:
            print("error", ls[s], e, flush=True)
        c.close()
        with open("%s/in-%s" % (out, ls[s]), "w") as f:
            f.write("%s %s\n" % (peer[0], data.decode(errors="replace").strip()))
        print("got", ls[s], peer[0], flush=True)
        s.close()
        del ls[s]
PY
# send.py ADDR PORT LINE: connect (retrying while refused, 20 s), send LINE, half-close, print the
# answer; exit 0 when connected and sent.
cat > "$TMP/send.py" <<'PY'
import socket, sys, time
dst, port, line = sys.argv[1], int(sys.argv[2]), sys.argv[3]
end = time.time() + 20
while True:
    try:
        c = socket.create_connection((dst, port), timeout=5)
        break
    except OSError as e:
        if time.time() > end:
            print("connect failed:", e)
            sys.exit(1)
        time.sleep(0.5)
c.settimeout(10)
c.sendall(line.encode() + b"\n")
c.shutdown(socket.SHUT_WR)
try:
    while c.recv(4096):
        pass
except OSError:
    pass
c.close()
print("sent")
PY
write_ping_py "$TMP/ping.py"	# lib.sh: ICMP/ICMPv6 echo from a raw socket
nsx() { timeout 60 ip netns exec "$NS" "$PY" "$@"; }
# bulk.py recv ADDR PORT SECS OUT: one connection's bytes until EOF; "MD5 BYTES" into OUT.
# bulk.py send ADDR PORT FILE: connect (retrying 60 s), the file, half-close, wait for EOF.
cat > "$TMP/bulk.py" <<'PY'
import hashlib, socket, sys, time
mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode == "recv":
    secs, out = float(sys.argv[4]), sys.argv[5]
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    s.settimeout(secs)
    c, _ = s.accept()
    c.settimeout(120)
    h, n = hashlib.md5(), 0
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        h.update(b)
        n += len(b)
    c.close()
    with open(out, "w") as f:
        f.write("%s %d\n" % (h.hexdigest(), n))
else:
    end = time.time() + 60
    while True:
        try:
            c = socket.create_connection((addr, port), timeout=5)
            break
        except OSError as e:
            if time.time() > end:
                print("connect failed:", e)
                sys.exit(1)
            time.sleep(0.5)
    c.settimeout(120)
    t0 = time.time()
    with open(sys.argv[4], "rb") as f:
        while True:
            b = f.read(1 << 16)
            if not b:
                break
            c.sendall(b)
    c.shutdown(socket.SHUT_WR)
    while c.recv(4096):
        pass
    c.close()
    print("sent in %.1fs" % (time.time() - t0))
PY
BULK_PIDS=()
if [ ${#ADD[@]} -gt 0 ]; then
	head -c $((MB * 1048576)) /dev/urandom > "$TMP/bulk.data" || fail "no bulk data"
	BULK_MD5=$(md5sum < "$TMP/bulk.data" | cut -d' ' -f1)
	for x in "2 $HOST26" "3 $HOST6"; do
		read -r l h <<< "$x"
		timeout $((TIMEOUT + EXTRA + 120)) ip netns exec "$NS" "$PY" "$TMP/bulk.py" recv "$h" $((BP + l)) \
			$((TIMEOUT + EXTRA)) "$TMP/bulk-in.l$l" > "$TMP/bulk-recv.l$l" 2>&1 &
		BULK_PIDS+=($!)
	done
fi

timeout $((TIMEOUT + 150)) ip netns exec "$NS" "$PY" "$TMP/listen.py" $HPORT $((TIMEOUT + 120)) \
	$HOST3 $HOST2 $HOST6 "$TMP" > "$TMP/listen.log" 2>&1 &
LISTEN_PID=$!
poll 30 grep -q listening "$TMP/listen.log"
grep -q listening "$TMP/listen.log" || fail "namespace listener did not start: $(cat "$TMP/listen.log")"

# --- cpnetd: two uplinked switches, their controllers, one real guest ------------------
cat > "$TMP/system.config" <<CFG
RDEVICE 0A00-0A02 TYPE OSA BACKEND TAP $T3
RDEVICE 0C00-0C02 TYPE OSA BACKEND TAP $T2
DEFINE VSWITCH VSWIP RDEV 0A00 CONTROLLER DTCVSW1 IP
DEFINE VSWITCH VSWETH RDEV 0C00 CONTROLLER DTCVSW2 ETHERNET
MODIFY VSWITCH VSWIP GRANT LINUX01
MODIFY VSWITCH VSWETH GRANT LINUX01
AUTOLOG DTCVSW1 DTCVSW2
CFG
cat > "$TMP/user.direct" <<'DIR'
USER OPERATOR OPERATOR ABCDEFG
USER DTCVSW1 NOLOG 64M 64M BG
  CONTROLLER
USER DTCVSW2 NOLOG 64M 64M BG
  CONTROLLER
USER LINUX01 PW1 G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWETH
  NICDEF 0700 TYPE QDIO LAN SYSTEM VSWIP
DIR
cpnetd_up "$TMP" 2 $((TIMEOUT + EXTRA + 120)) "$BIN/cpnetd" --config "$TMP/system.config" \
	--directory "$TMP/user.direct" --socket "$CPNET_SOCKET"
[ -S "$VMSOCK" ] || fail "cpnetd has no VM socket $VMSOCK: $(cat "$TMP/cpnetd.err")"
[ "$(grep -c HCPSWU9322I "$TMP/cpnetd.out")" -ge 2 ] ||
	fail "the uplinks did not come up: $(grep HCP "$TMP/cpnetd.out" "$TMP/cpnetd.err" | tail -n 5)"
# A bridge forwards to a TAP only once its carrier is up (cpnetd holds it open).
poll 10 link_up "$T3" && poll 10 link_up "$T2" || fail "the uplink TAPs have no carrier"

t0=$(date +%s)
guest_boot_bg "$W/g" "CPNET-GUEST: tcp listening" \
	"0600-0602 CPNIC chpid=06 port=cp:$VMSOCK user=linux01 password=pw1" \
	"0700-0702 CPNIC chpid=07 port=cp:$VMSOCK user=linux01 password=pw1"
guest_boot_wait "$BOOT_PID" "$W/g"
rc=$?
BOOT_PID=
LOG="$W/g/console.log"
[ $rc = 0 ] || fail "guest did not reach its listening marker (boot.sh exit $rc, log $LOG): \
$(grep -m 1 'CPNET-GUEST: FAIL' "$LOG") $(tail -n 3 "$W/g/boot.err")"
secs_boot=$(($(date +%s) - t0))

# TCP in: the host connects to each of the guest's listeners and sends one line.
for x in "3 $GUEST3 $GPORT3" "2 $GUEST2 $GPORT2" "6 $GUEST6 $GPORT6"; do
	read -r sw g port <<< "$x"
	out=$(nsx "$TMP/send.py" "$g" "$port" "cpnet-host-to-guest l$sw $TOK") ||
		fail "host -> guest $g:$port over TCP: $out"
done
# The guest prints what it got, then (offloads) sends its data to the host and listens for
# the host's, then its final marker (or FAIL).
bulk=
if [ ${#ADD[@]} -gt 0 ]; then
	wait_for "$LOG" "CPNET-GUEST: bulk listening" $((TIMEOUT / 2)) "$HERC_PID" ||
		fail "guest did not start its bulk receivers: $(grep -m 1 'CPNET-GUEST: FAIL' "$LOG") (log $LOG)"
	for x in "2 $GUEST26" "3 $GUEST6"; do
		read -r l g <<< "$x"
		out=$(timeout $((EXTRA + 60)) ip netns exec "$NS" "$PY" "$TMP/bulk.py" send "$g" $((BP + 10 + l)) "$TMP/bulk.data") ||
			fail "host -> guest $g bulk: $out"
		bulk="$bulk host->l$l ${out#sent in }"
	done
fi
end=$(($(date +%s) + 60 + EXTRA))
while [ "$(date +%s)" -lt "$end" ]; do
	grep -qE 'CPNET-GUEST: (init ok|FAIL)' "$LOG" && break
	kill -0 "$HERC_PID" 2>/dev/null || break
	sleep 0.3
done
grep -q 'CPNET-GUEST: init ok' "$LOG" ||
	fail "guest did not finish: $(grep -m 1 'CPNET-GUEST: FAIL' "$LOG") (log $LOG)"
secs=$(($(date +%s) - t0))

need() { grep -qE -- "$1" "$LOG" || fail "guest log lacks /$1/ ($2; log $LOG)"; }
need "^CPNIC 0600: logged on to cpnetd at $VMSOCK: LOGON AS  LINUX01 " "LOGON"
need '^CPNIC 0600: LAN SYSTEM VSWETH is up$' "0600 coupled to the ETHERNET switch"
need '^CPNIC 0700: LAN SYSTEM VSWIP is up$' "0700 coupled to the IP switch"
need '^CPNET-GUEST: online 0700 layer2 0 ' "qeth online in layer 3"
need '^CPNET-GUEST: online 0600 layer2 1 ' "qeth online in layer 2"
need "^CPNET-GUEST: ping ${HOST3//./\\.} l3: [0-9]+ packets transmitted, [1-9][0-9]* packets received" \
	"guest -> host over the IP switch's uplink"
need "^CPNET-GUEST: ping ${HOST2//./\\.} l2: [0-9]+ packets transmitted, [1-9][0-9]* packets received" \
	"guest -> host over the ETHERNET switch's uplink"
need "^CPNET-GUEST: tcp-out l3 reply: cpnet-host-ack ${HOST3//./\\.}$" "TCP reply from the host (IP switch)"
need "^CPNET-GUEST: tcp-out l2 reply: cpnet-host-ack ${HOST2//./\\.}$" "TCP reply from the host (ETHERNET switch)"
need "^CPNET-GUEST: tcp-in l3: cpnet-host-to-guest l3 $TOK$" "TCP host -> guest (IP switch)"
need "^CPNET-GUEST: tcp-in l2: cpnet-host-to-guest l2 $TOK$" "TCP host -> guest (ETHERNET switch)"
need "^CPNET-GUEST: ping $HOST6 l6: [0-9]+ packets transmitted, [1-9][0-9]* packets received" \
	"guest -> host IPv6 over the IP switch's uplink"
need "^CPNET-GUEST: tcp-out l6 reply: cpnet-host-ack $HOST6$" "TCP reply from the host over IPv6"
need "^CPNET-GUEST: tcp-in l6: cpnet-host-to-guest l6 $TOK$" "TCP host -> guest over IPv6"
# What the host's listener got, and from whom (the guest's address on that subnet).
for x in "3 $HOST3 $GUEST3" "2 $HOST2 $GUEST2" "6 $HOST6 $GUEST6"; do
	read -r sw h g <<< "$x"
	got=$(cat "$TMP/in-$h" 2>/dev/null)
	[ "$got" = "$g cpnet-guest-to-host l$sw $TOK" ] ||
		fail "host listener $h:$HPORT got '$got' (want '$g cpnet-guest-to-host l$sw $TOK')"
done

# Bulk data both ways, both uplinks, with the guest's offloads on.
if [ ${#ADD[@]} -gt 0 ]; then
	need '^CPNET-GUEST: OFL eth1 rx=1 tx=1 sg=1 tso=1$' "layer 2: checksums both ways and TSO on"
	need '^CPNET-GUEST: OFL eth0 rx=1 tx=1 sg=1 tso=1$' "layer 3: checksums both ways and TSO on"
	gmd5=$(sed -n 's/^CPNET-GUEST: data md5 \([0-9a-f]*\) bytes.*/\1/p' "$LOG")
	for p in "${BULK_PIDS[@]}"; do wait "$p"; done
	BULK_PIDS=()
	for l in 2 3; do
		need "^CPNET-GUEST: got l$l md5 $BULK_MD5 bytes $((MB * 1048576))\$" "host -> guest l$l whole"
		got=$(cat "$TMP/bulk-in.l$l" 2>/dev/null)
		[ -n "$gmd5" ] && [ "$got" = "$gmd5 $((MB * 1048576))" ] ||
			fail "guest -> host l$l: host got '$got', guest sent md5 '$gmd5' ($(cat "$TMP/bulk-recv.l$l"))"
	done
	bulk=", ${MB} MB each way with offloads:$bulk $(sed -n 's/^CPNET-GUEST: sent \(l[23]\) in \([0-9]*s\)$/\1->host \2/p' "$LOG" | tr '\n' ' ')"
fi

# Host -> guest ICMP on both subnets.
for g in "$GUEST3" "$GUEST2"; do
	out=$(nsx "$TMP/ping.py" "$g" 3) || fail "host -> guest $g: $out"
done
# Host -> guest ICMPv6 from a cold neighbour cache: the OSA answers the solicitation, and
# the host's entry for the guest's IPv6 address is the OSA's MAC (not the guest NIC's).
ip -n "$NS" -6 neigh flush dev "$V3N"
out=$(nsx "$TMP/ping.py" "$GUEST6" 3) || fail "host -> guest $GUEST6: $out"
N6=$(ip -n "$NS" -6 neigh show "$GUEST6" dev "$V3N")
[ "$(sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p' <<< "$N6")" = "$OSAMAC3" ] ||
	fail "host's neighbour entry for $GUEST6 is '$N6', not the OSA's MAC $OSAMAC3"

# An unregistered IP on the IP switch's subnet: its ARP goes unanswered, and an echo sent
# straight to the OSA's MAC (learned for the guest's address) is dropped by the OSA.
# osa_unreg: the IP switch's "OSA discarded (IP not registered)" count now.
osa_unreg() {
	timeout 20 "$BIN/cpnet" q vswitch vswip det 2>/dev/null |
		sed -n 's/^    OSA discarded (IP not registered): \([0-9]*\)$/\1/p' | grep . || echo 0
}
unreg0=$(osa_unreg)
out=$(nsx "$TMP/ping.py" 10.73.0.98 1) && fail "unregistered 10.73.0.98 answered: $out"
neigh=$(ip -n "$NS" neigh show 10.73.0.98)
[[ $neigh != *lladdr* ]] || fail "ARP for unregistered 10.73.0.98 answered: $neigh"
OSAMAC=$(ip -n "$NS" neigh show "$GUEST3" | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')
[ -n "$OSAMAC" ] || fail "the host has no ARP entry for $GUEST3"
ip -n "$NS" neigh replace 10.73.0.99 lladdr "$OSAMAC" dev "$V3N" || fail "neigh replace"
out=$(nsx "$TMP/ping.py" 10.73.0.99 3) && fail "unregistered 10.73.0.99 answered: $out"

# CP's view: each uplink ACTIVE with its controller and traffic both ways; the IP
# switch counted the OSA's discards of the unregistered address.
for sw in VSWIP VSWETH; do
	OUT=$(timeout 20 "$BIN/cpnet" q vswitch $sw det 2>&1) || fail "q vswitch $sw det: $OUT"
	printf '%s\n' "$OUT" > "$W/q-$sw.txt"
	rdev=0A00 ctl=DTCVSW1
	[ $sw = VSWETH ] && rdev=0C00 ctl=DTCVSW2
	grep -qE "^  RDEV: $rdev\.P00 VDEV: [0-9A-F]{4} Controller: $ctl +ACTIVE$" <<<"$OUT" ||
		fail "q vswitch $sw: $rdev not ACTIVE with $ctl (see $W/q-$sw.txt)"
	grep -qxF "    Adapter Owner: LINUX01  NIC: $([ $sw = VSWIP ] && echo 0700 || echo 0600).P00 Name: UNASSIGNED  Type: QDIO" <<<"$OUT" ||
		fail "q vswitch $sw: LINUX01's NIC missing (see $W/q-$sw.txt)"
	rx=$(uplink_packets RX "$OUT")
	tx=$(uplink_packets TX "$OUT")
	# At least: 3+3 pings, the TCP exchanges, the host's pings (some dozen frames).
	[ "${rx:-0}" -ge 10 ] && [ "${tx:-0}" -ge 10 ] ||
		fail "q vswitch $sw: uplink RX '${rx:-}' TX '${tx:-}' (see $W/q-$sw.txt)"
	counts="${counts:+$counts, }$sw rx $rx tx $tx"
	if [ ${#ADD[@]} -gt 0 ]; then
		# Offloads on: the guest's large sends and checksums went to the OSA as they
		# came (its assists on), for the host kernel to finish (IFF_VNET_HDR).
		ofl=$(sed -n 's/^    TX Offloads: \([0-9]*\) to the OSA .*/\1/p' <<<"$OUT")
		[ "${ofl:-0}" -gt 0 ] ||
			fail "q vswitch $sw: nothing handed to the OSA with offloads on (see $W/q-$sw.txt)"
		counts="$counts offloaded $ofl"
	fi
done
n=$(sed -n 's/^    OSA discarded (IP not registered): \([0-9]*\)$/\1/p' "$W/q-VSWIP.txt")
n=$((${n:-0} - unreg0))
[ "$n" -ge 3 ] || fail "q vswitch VSWIP: 3 echoes to an unregistered IP, $n more OSA discards (IP not registered)"
grep -qxF "        $GUEST3" "$W/q-VSWIP.txt" || fail "q vswitch VSWIP lacks the guest's $GUEST3"
echo "ok $T (${secs}s, boot to listening ${secs_boot}s; uplink packets $counts; unregistered IP discards $n${bulk% })"
