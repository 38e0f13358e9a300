#!/usr/bin/env bash
# tests/scenarios/trace_port_api.sh - cpnet-trace, a trace port of the port API (the switch's
# tap): refused without PROMISCUOUS authorization (RESTRICTED VSWITCH, GRANT without it);
# granted, three traces (the LAN, USER TB, PORT 99 that nobody has) capture two
# `cpnet-guest connect` VMs' ARP and ICMP; tshark counts them.
. "$(dirname "$0")/cpnet-lib.bash"
command -v tshark >/dev/null || skip "no tshark (scripts/deps.sh installs it)"
VMSOCK=$CPNET_SOCKET.vm

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
# One filter, named by its option (not the library's field names); a user ID too long.
OUT=$(timeout 20 "$BIN/cpnet-trace" --socket "$VMSOCK" --user sniff --password pws --vswitch vsw1 \
	-w "$TMP/two.pcap" --trace-port 1 --trace-vlan 2 2>&1)
[ $? = 2 ] && grep -qx "cpnet-trace: --trace-port, --trace-user and --trace-vlan exclude each other: give one" \
	<<<"$OUT" || fail "two filters: $OUT"
OUT=$(timeout 20 "$BIN/cpnet-trace" --socket "$VMSOCK" --user sniff --password pws --vswitch vsw1 \
	-w "$TMP/long.pcap" --trace-user abcdefghij 2>&1)
[ $? = 2 ] && grep -q "^cpnet-trace: --trace-user abcdefghij: a user ID of 1 to 8" <<<"$OUT" ||
	fail "long --trace-user: $OUT"
[ ! -e "$TMP/two.pcap" ] && [ ! -e "$TMP/long.pcap" ] || fail "a refused trace wrote a file"

TPIDS=()
# trace NAME FILTER...: a cpnet-trace in the background into $TMP/NAME.pcap*.
trace() {
	local n=$1 f=$2
	shift 2
	timeout 60 "$BIN/cpnet-trace" --socket "$VMSOCK" --user sniff --password pws --vswitch vsw1 \
		-w "$TMP/$f" --seconds 50 "$@" >"$TMP/$n.out" 2>&1 &
	TPIDS+=($!)
	bg_track $!
	wait_for "$TMP/$n.out" "^cpnet-trace: port [0-9A-F]* tracing VSWITCH vsw1"
}
trace all api.pcapng.gz
trace tb tb.pcap --trace-user tb
trace p99 p99.pcap --trace-port 99
"$BIN/cpnet-guest" connect --socket "$VMSOCK" --user tb --password pwb \
	--ip 10.1.0.2/24 --stay 60 >"$TMP/tb.out" 2>&1 &
bg_track $!
wait_for "$TMP/tb.out" "^NIC 0600 online"
timeout 60 "$BIN/cpnet-guest" connect --socket "$VMSOCK" --user ta --password pwa \
	--ip 10.1.0.1/24 --ping 10.1.0.2 --count 3 >"$TMP/ta.out" 2>&1 ||
	{ cat "$TMP/ta.out" >&2; fail "guest ta"; }
grep -q "^ping 10.1.0.2 from NIC 0600: 3 sent, 3 received" "$TMP/ta.out" ||
	{ cat "$TMP/ta.out" >&2; fail "ping"; }
# QUERY shows the trace ports like adapters.
cp_ q vswitch vsw1 details; expect_ok
grep -q "Adapter Owner: SNIFF .*Type: APPL" <<<"$OUT" || fail "no APPL port of SNIFF: $OUT"
for p in "${TPIDS[@]}"; do kill -TERM "$p"; done
for p in "${TPIDS[@]}"; do wait "$p" || fail "cpnet-trace failed: $(cat "$TMP"/*.out)"; done
grep -q "^cpnet-trace: [1-9][0-9]* frames" "$TMP/all.out" || { cat "$TMP/all.out" >&2; fail "no summary"; }
grep -q "^cpnet-trace: 0 frames" "$TMP/p99.out" || { cat "$TMP/p99.out" >&2; fail "PORT 99 kept frames"; }

OUT=$(tshark -n -r "$TMP/api.pcapng.gz" -Y icmp -T fields -E separator=, -e icmp.type -e ip.src \
	-e ip.dst 2>"$TMP/tshark.err") || { cat "$TMP/tshark.err" >&2; fail "tshark"; }
[ "$(grep -c "^8,10.1.0.1,10.1.0.2$" <<<"$OUT")" -eq 3 ] || fail "echo requests: $OUT"
[ "$(grep -c "^0,10.1.0.2,10.1.0.1$" <<<"$OUT")" -eq 3 ] || fail "echo replies: $OUT"
OUT=$(tshark -n -r "$TMP/api.pcapng.gz" -Y "arp" -T fields -E separator=, -e arp.opcode \
	-e arp.src.proto_ipv4 2>"$TMP/tshark.err") || { cat "$TMP/tshark.err" >&2; fail "tshark"; }
grep -qx "1,10.1.0.1" <<<"$OUT" || fail "ARP request: $OUT"
grep -qx "2,10.1.0.2" <<<"$OUT" || fail "ARP reply: $OUT"
# USER TB: everything here concerns TB too (the same ICMP).
OUT=$(tshark -n -r "$TMP/tb.pcap" -Y icmp -T fields -e icmp.type 2>"$TMP/tshark.err") ||
	{ cat "$TMP/tshark.err" >&2; fail "tshark tb"; }
[ "$(grep -c . <<<"$OUT")" -eq 6 ] || fail "USER TB: $OUT"
echo "PASS trace_port_api"
