#!/usr/bin/env bash
# tests/scenarios/trace_port_api.sh - cpnet-trace, a promiscuous port of the port API: refused
# without PROMISCUOUS authorization (RESTRICTED VSWITCH, GRANT without it), then, granted,
# it captures two `cpnet-guest connect` VMs' ARP and ICMP into .pcapng.gz; tshark counts them.
. "$(dirname "$0")/cpnet-lib.bash"
command -v tshark >/dev/null || skip "no tshark (scripts/deps.sh installs it)"
VMSOCK=$CPNET_SOCKET.vm
GPIDS=()
stop_guests() {
	local p
	for p in "${GPIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${GPIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
}
trap 'r=$?; stop_guests; (exit $r); cleanup' EXIT
wait_for() {
	poll 20 grep -q -- "$2" "$1" && return 0
	cat "$1" >&2
	fail "no '$2' in $(basename "$1")"
}

cat >"$TMP/system.config" <<'CFG'
DEFINE VSWITCH VSW1 RDEV NONE ETHERNET
MODIFY VSWITCH VSW1 GRANT TA TB NOPROM
MODIFY VSWITCH VSW1 GRANT SNIFF PROMISCUOUS
CFG
cat >"$TMP/user.direct" <<'DIR'
USER OPERATOR OPERATOR ABCDEFG
USER TA PWA G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSW1
USER TB PWB G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSW1
USER NOPROM PWN G
USER SNIFF PWS G
DIR
start_cpnetd "$TMP/system.config" "$TMP/user.direct"

# Granted, but not PROMISCUOUS: refused, nothing written.
if timeout 20 "$BIN/cpnet-trace" --socket "$VMSOCK" --user noprom --password pwn \
	--vswitch vsw1 -w "$TMP/no.pcap" >"$TMP/no.out" 2>&1; then
	fail "cpnet-trace without PROMISCUOUS authorization ran: $(cat "$TMP/no.out")"
fi
grep -q "not authorized" "$TMP/no.out" || { cat "$TMP/no.out" >&2; fail "no clear refusal"; }
[ ! -e "$TMP/no.pcap" ] || fail "a refused trace wrote a file"
# A name the writer does not know: refused before anything else.
if "$BIN/cpnet-trace" --socket "$VMSOCK" --user sniff --password pws --vswitch vsw1 \
	-w "$TMP/x.txt" >"$TMP/bad.out" 2>&1; then fail "cpnet-trace took x.txt"; fi

timeout 60 "$BIN/cpnet-trace" --socket "$VMSOCK" --user sniff --password pws --vswitch vsw1 \
	-w "$TMP/api.pcapng.gz" --seconds 50 >"$TMP/trace.out" 2>&1 &
TPID=$!
GPIDS+=("$TPID")
wait_for "$TMP/trace.out" "^cpnet-trace: port [0-9A-F]* tracing VSWITCH vsw1"
"$BIN/cpnet-guest" connect --socket "$VMSOCK" --user tb --password pwb \
	--ip 10.1.0.2/24 --stay 60 >"$TMP/tb.out" 2>&1 &
GPIDS+=($!)
wait_for "$TMP/tb.out" "^NIC 0600 online"
timeout 60 "$BIN/cpnet-guest" connect --socket "$VMSOCK" --user ta --password pwa \
	--ip 10.1.0.1/24 --ping 10.1.0.2 --count 3 >"$TMP/ta.out" 2>&1 ||
	{ cat "$TMP/ta.out" >&2; fail "guest ta"; }
grep -q "^ping 10.1.0.2 from NIC 0600: 3 sent, 3 received" "$TMP/ta.out" ||
	{ cat "$TMP/ta.out" >&2; fail "ping"; }
# QUERY shows the trace port like an adapter, promiscuous.
cp_ q vswitch vsw1 details; expect_ok
grep -q "Adapter Owner: SNIFF .*Type: APPL" <<<"$OUT" || fail "no APPL port of SNIFF: $OUT"
kill -TERM "$TPID"
wait "$TPID" || { cat "$TMP/trace.out" >&2; fail "cpnet-trace failed"; }
grep -q "^cpnet-trace: [1-9][0-9]* frames" "$TMP/trace.out" || { cat "$TMP/trace.out" >&2; fail "no summary"; }

OUT=$(tshark -n -r "$TMP/api.pcapng.gz" -Y icmp -T fields -E separator=, -e icmp.type -e ip.src \
	-e ip.dst 2>"$TMP/tshark.err") || { cat "$TMP/tshark.err" >&2; fail "tshark"; }
[ "$(grep -c "^8,10.1.0.1,10.1.0.2$" <<<"$OUT")" -eq 3 ] || fail "echo requests: $OUT"
[ "$(grep -c "^0,10.1.0.2,10.1.0.1$" <<<"$OUT")" -eq 3 ] || fail "echo replies: $OUT"
OUT=$(tshark -n -r "$TMP/api.pcapng.gz" -Y "arp" -T fields -E separator=, -e arp.opcode \
	-e arp.src.proto_ipv4 2>"$TMP/tshark.err") || { cat "$TMP/tshark.err" >&2; fail "tshark"; }
grep -qx "1,10.1.0.1" <<<"$OUT" || fail "ARP request: $OUT"
grep -qx "2,10.1.0.2" <<<"$OUT" || fail "ARP reply: $OUT"
echo "PASS trace_port_api"
