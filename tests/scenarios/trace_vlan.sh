#!/usr/bin/env bash
# tests/scenarios/trace_vlan.sh - traces on a VLAN-aware VSWITCH: two pairs of
# `cpnet-guest connect` VMs on ACCESS ports (untagged frames) ping each other, one pair
# in VLAN 10, one in VLAN 20.  A trace of the whole VSWITCH (the operator's, and a
# cpnet-trace port of a TRUNK user) writes each frame with the 802.1Q tag of its VLAN
# inside the switch; a trace of VLAN 20 alone writes them untagged.  tshark -r shows it.
. "$(dirname "$0")/cpnet-lib.bash"
command -v tshark >/dev/null || skip "no tshark (scripts/deps.sh installs it)"
VMSOCK=$CPNET_SOCKET.vm

cat >"$TMP/system.config" <<'CFG'
DEFINE VSWITCH VSWV RDEV NONE ETHERNET VLAN 10
MODIFY VSWITCH VSWV GRANT TA TB VLAN 10
MODIFY VSWITCH VSWV GRANT TC TD VLAN 20
MODIFY VSWITCH VSWV GRANT SNIFF PORTTYPE TRUNK VLAN 10 20 PROMISCUOUS
CFG
cat >"$TMP/user.direct" <<'DIR'
USER OPERATOR OPERATOR ABCDEFG
USER TA PWA G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWV
USER TB PWB G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWV
USER TC PWC G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWV
USER TD PWD G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWV
USER SNIFF PWS G
DIR
mkdir "$TMP/traces"
start_cpnetd "$TMP/system.config" "$TMP/user.direct" --trace-dir "$TMP/traces"

cp_ trace start vswitch vswv file all.pcapng; expect_ok
cp_ trace start vswitch vswv file v20.pcap vlan 20; expect_ok
timeout 120 "$BIN/cpnet-trace" --socket "$VMSOCK" --user sniff --password pws --vswitch vswv \
	-w "$TMP/traces/api.pcap" --seconds 100 >"$TMP/trace.out" 2>&1 &
TRACE_PID=$!
bg_track "$TRACE_PID"
wait_for "$TMP/trace.out" "^cpnet-trace: port [0-9A-F]* tracing VSWITCH vswv"

# The answering guests, then the pinging ones: VLAN 10 (TA -> TB), VLAN 20 (TC -> TD).
for g in "tb pwb 10.10.0.2" "td pwd 10.20.0.2"; do
	read -r u pw ip <<<"$g"
	"$BIN/cpnet-guest" connect --socket "$VMSOCK" --user "$u" --password "$pw" \
		--ip "$ip/24" --stay 60 >"$TMP/$u.out" 2>&1 &
	bg_track $!
	wait_for "$TMP/$u.out" "^NIC 0600 online"
done
for g in "ta pwa 10.10.0.1 10.10.0.2" "tc pwc 10.20.0.1 10.20.0.2"; do
	read -r u pw ip peer <<<"$g"
	timeout 60 "$BIN/cpnet-guest" connect --socket "$VMSOCK" --user "$u" --password "$pw" \
		--ip "$ip/24" --ping "$peer" --count 2 >"$TMP/$u.out" 2>&1 ||
		{ cat "$TMP/$u.out" >&2; fail "guest $u"; }
	grep -q "^ping $peer from NIC 0600: 2 sent, 2 received" "$TMP/$u.out" ||
		{ cat "$TMP/$u.out" >&2; fail "ping $peer"; }
done

cp_ trace stop all; expect_ok
kill -TERM "$TRACE_PID"
wait "$TRACE_PID" || fail "cpnet-trace: $(cat "$TMP/trace.out")"

# The whole VSWITCH, both ways of writing it: every ICMP and ARP frame tagged with its
# VLAN (the guests sent them untagged), the VLAN matching the pair.
for f in all.pcapng api.pcap; do
	tshark_fields "$TMP/traces/$f" "icmp" vlan.id ip.src ip.dst icmp.type
	expect_count 8
	[ "$(grep -c '^10,10\.10\.0\.[12],10\.10\.0\.[12],[08]$' <<<"$OUT")" -eq 4 ] || fail "$f VLAN 10: $OUT"
	[ "$(grep -c '^20,10\.20\.0\.[12],10\.20\.0\.[12],[08]$' <<<"$OUT")" -eq 4 ] || fail "$f VLAN 20: $OUT"
	tshark_fields "$TMP/traces/$f" "arp" vlan.id arp.src.proto_ipv4
	grep -qx "10,10.10.0.1" <<<"$OUT" && grep -qx "20,10.20.0.1" <<<"$OUT" || fail "$f ARP: $OUT"
	tshark_fields "$TMP/traces/$f" "!vlan" frame.number
	expect_count 0
done
# VLAN 20 alone: that pair's frames, untagged, as an access port of VLAN 20 sees them.
tshark_fields "$TMP/traces/v20.pcap" "icmp" ip.src ip.dst
expect_count 4
grep -qv '^10\.20\.0\.[12],10\.20\.0\.[12]$' <<<"$OUT" && fail "v20.pcap: $OUT"
tshark_fields "$TMP/traces/v20.pcap" "vlan" frame.number
expect_count 0
echo "PASS trace_vlan"
