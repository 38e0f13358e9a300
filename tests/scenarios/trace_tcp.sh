#!/usr/bin/env bash
# tests/scenarios/trace_tcp.sh - traces of a real TCP exchange: two Linux stacks in
# network namespaces are ports of an ETHERNET VSWITCH (cpnet-tap), one connects to a
# server on the other (ARP, SYN, data both ways, FIN) while the operator's TRACE and a
# cpnet-trace port capture the VSWITCH; tshark -r decodes the handshake, the bytes and
# the close from both files.  Needs root (netns, TAP); skips (exit 77) otherwise.
. "$(dirname "$0")/cpnet-lib.bash"
need_net python3 timeout
command -v tshark >/dev/null || skip "no tshark (scripts/deps.sh installs it)"
VMSOCK=$CPNET_SOCKET.vm

NA=$(tname tcpna)
NB=$(tname tcpnb)
TA=$(tname tcpa)
TB=$(tname tcpb)
net_cleanup() {
	ip netns del "$NA" 2>/dev/null
	ip netns del "$NB" 2>/dev/null
}
ip netns add "$NA" 2>/dev/null || skip "cannot create a network namespace here"
ip netns add "$NB" || fail "netns $NB"

cat >"$TMP/system.config" <<'CFG'
DEFINE VSWITCH VSW1 RDEV NONE ETHERNET
MODIFY VSWITCH VSW1 GRANT HA HB
MODIFY VSWITCH VSW1 GRANT SNIFF PROMISCUOUS
CFG
cat >"$TMP/user.direct" <<'DIR'
USER OPERATOR OPERATOR ABCDEFG
USER HA PWA G
USER HB PWB G
USER SNIFF PWS G
DIR
mkdir "$TMP/traces"
start_cpnetd "$TMP/system.config" "$TMP/user.direct" --trace-dir "$TMP/traces"

# The two traces first: the operator's to a file, and a trace port of the port API.
cp_ trace start vswitch vsw1 file op.pcapng; expect_ok
timeout 120 "$BIN/cpnet-trace" --socket "$VMSOCK" --user sniff --password pws --vswitch vsw1 \
	-w "$TMP/traces/api.pcap.gz" --seconds 100 >"$TMP/trace.out" 2>&1 &
TRACE_PID=$!
bg_track "$TRACE_PID"
wait_for "$TMP/trace.out" "^cpnet-trace: port [0-9A-F]* tracing VSWITCH vsw1"

# --tap names that are no TAP of that name: a pattern the kernel would fill in, an
# interface that is not a TAP; refused saying so.
for bad in "" "cp%d" lo; do
	OUT=$(timeout 20 "$BIN/cpnet-tap" --socket "$VMSOCK" --user ha --password pwa --vswitch vsw1 \
		--tap "$bad" --seconds 1 2>&1) && fail "cpnet-tap took --tap '$bad': $OUT"
	case $bad in
	lo) want="cpnet-tap: TAP lo: an interface of that name exists and is not a TAP" ;;
	*) want="cpnet-tap: --tap '$bad': an interface name (no %, /, : or blanks)" ;;
	esac
	grep -qxF -- "$want" <<<"$OUT" || fail "--tap '$bad': $OUT"
done

# host NAME USER PW TAP NS IP: cpnet-tap makes TAP a port of VSW1 for USER; TAP goes to
# namespace NS with address IP (IPv6 off: the trace holds just the exchange).
host() {
	timeout 120 "$BIN/cpnet-tap" --socket "$VMSOCK" --user "$2" --password "$3" \
		--vswitch vsw1 --tap "$4" --seconds 100 >"$TMP/$1.out" 2>&1 &
	bg_track $!
	wait_for "$TMP/$1.out" "^cpnet-tap: port [0-9A-F]* on VSWITCH vsw1, port number [0-9]*, MAC .*, interface $4$"
	ip link set "$4" netns "$5" || fail "move $4 to $5"
	ip netns exec "$5" sysctl -qw "net.ipv6.conf.$4.disable_ipv6=1"
	ip -n "$5" addr add "$6/24" dev "$4" || fail "address on $4"
	ip -n "$5" link set "$4" up || fail "$4 up"
}
host ha HA PWA "$TA" "$NA" 10.7.0.1
host hb HB PWB "$TB" "$NB" 10.7.0.2

# The server on 10.7.0.2:7007 answers "pong:" + what it got; the client sends one line.
ip netns exec "$NB" timeout 60 python3 - >"$TMP/server.out" 2>&1 <<'PY' &
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.7.0.2", 7007))
s.listen(1)
print("listening", flush=True)
s.settimeout(40)
c, _ = s.accept()
c.settimeout(20)
data = c.recv(100)
c.sendall(b"pong:" + data)
c.close()
print("served %r" % data, flush=True)
PY
bg_track $!
wait_for "$TMP/server.out" "^listening"
OUT=$(ip netns exec "$NA" timeout 40 python3 - 2>&1 <<'PY'
import socket
c = socket.create_connection(("10.7.0.2", 7007), timeout=20)
c.sendall(b"cpnet-tcp-hello")
got = b""
while True:
    d = c.recv(100)
    if not d:
        break
    got += d
c.close()
print(got.decode())
PY
) || fail "TCP client: $OUT"
[ "$OUT" = "pong:cpnet-tcp-hello" ] || fail "TCP client got: $OUT"
wait_for "$TMP/server.out" "^served b'cpnet-tcp-hello'"

# Stop the traces (the operator's by command, cpnet-trace by SIGTERM, as a user would).
cp_ trace stop all; expect_ok
kill -TERM "$TRACE_PID"
wait "$TRACE_PID" || fail "cpnet-trace: $(cat "$TMP/trace.out")"
grep -q "^cpnet-trace: [1-9][0-9]* frames" "$TMP/trace.out" || fail "$(cat "$TMP/trace.out")"

HELLO=$(printf 'cpnet-tcp-hello' | od -An -tx1 | tr -d ' \n')
PONG=$(printf 'pong:cpnet-tcp-hello' | od -An -tx1 | tr -d ' \n')
for f in op.pcapng api.pcap.gz; do
	tshark_fields "$TMP/traces/$f" "arp.opcode == 1 && arp.dst.proto_ipv4 == 10.7.0.2" arp.src.proto_ipv4
	expect_count 1; expect_out "10.7.0.1"
	# The handshake: SYN, SYN-ACK, and the ACK of the SYN-ACK.
	tshark_fields "$TMP/traces/$f" "tcp.flags.syn == 1 && tcp.flags.ack == 0" ip.src ip.dst tcp.dstport
	expect_count 1; expect_out "10.7.0.1,10.7.0.2,7007"
	tshark_fields "$TMP/traces/$f" "tcp.flags.syn == 1 && tcp.flags.ack == 1" ip.src tcp.srcport
	expect_count 1; expect_out "10.7.0.2,7007"
	tshark_fields "$TMP/traces/$f" "tcp.seq == 1 && tcp.ack == 1 && tcp.len == 0 && ip.src == 10.7.0.1" tcp.flags.fin
	[ -n "$OUT" ] || fail "$f: no ACK of the SYN-ACK"
	# The bytes, each way, in one segment.
	tshark_fields "$TMP/traces/$f" "tcp.len > 0" ip.src tcp.payload
	expect_count 2
	grep -qx "10.7.0.1,$HELLO" <<<"$OUT" || fail "$f: no hello: $OUT"
	grep -qx "10.7.0.2,$PONG" <<<"$OUT" || fail "$f: no pong: $OUT"
	# The close: a FIN from each side.
	tshark_fields "$TMP/traces/$f" "tcp.flags.fin == 1" ip.src
	[ "$(grep -c '^10.7.0.2$' <<<"$OUT")" -ge 1 ] && [ "$(grep -c '^10.7.0.1$' <<<"$OUT")" -ge 1 ] ||
		fail "$f: FINs: $OUT"
	# Nothing tshark calls malformed, no bad checksum.
	tshark_fields "$TMP/traces/$f" "_ws.malformed || _ws.expert.severity == error" frame.number
	expect_count 0
done
# cpnet-tap ends with its port (FORCE of its user), saying why.
cp_ force ha; expect_ok
wait_for "$TMP/ha.out" "^cpnet-tap: port: the port was ended by cpnetd (.*FORCE"
wait_for "$TMP/ha.out" "^cpnet-tap: [0-9]* frames in, [0-9]* out"
echo "PASS trace_tcp"
