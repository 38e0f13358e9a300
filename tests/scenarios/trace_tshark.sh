#!/usr/bin/env bash
# tests/scenarios/trace_tshark.sh - the operator's TRACE on a real exchange: two
# `cpnet-guest connect` VMs ping each other (ARP + ICMP) over an ETHERNET VSWITCH and an IP
# Guest LAN while three traces run (whole VSWITCH to .pcapng.gz, the IP LAN to .pcap, one
# user to .pcap.gz); tshark reads the files back and the frames are counted by field.
. "$(dirname "$0")/cpnet-lib.bash"
command -v tshark >/dev/null || skip "no tshark (scripts/deps.sh installs it)"
VMSOCK=$CPNET_SOCKET.vm

cat >"$TMP/system.config" <<'CFG'
DEFINE VSWITCH VSW1 RDEV NONE ETHERNET
MODIFY VSWITCH VSW1 GRANT TA TB
DEFINE LAN GLAN OWNERID SYSTEM TYPE QDIO IP
CFG
cat >"$TMP/user.direct" <<'DIR'
USER OPERATOR OPERATOR ABCDEFG
USER TA PWA G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSW1
  NICDEF 0700 TYPE QDIO LAN SYSTEM GLAN
USER TB PWB G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSW1
  NICDEF 0700 TYPE QDIO LAN SYSTEM GLAN
DIR
mkdir "$TMP/traces"
start_cpnetd "$TMP/system.config" "$TMP/user.direct" --trace-dir "$TMP/traces"

# Bad use first: a path, an unknown ending, two filters, no FILE, an unknown trace.
cp_ trace start vswitch vsw1 file ../x.pcap; expect_id HCPTRC9602E
cp_ trace start vswitch vsw1 file x.txt; expect_id HCPTRC9602E
cp_ trace start vswitch vsw1 file x.pcap user ta port 1; expect_id HCPCMD013E
cp_ trace start vswitch vsw1 snaplen 100; expect_id HCPCMD1001E
cp_ trace start vswitch nosuch file x.pcap; expect_id HCPLAN9101E
cp_ trace stop 7; expect_id HCPTRC9600E
cp_ q trace; expect_ok; expect_out "HCPTRC9604I No traces are defined"

cp_ trace start vswitch vsw1 file eth.pcapng.gz; expect_ok
expect_out "Trace 1 started on VSWITCH SYSTEM VSW1 (ALL) to $TMP/traces/eth.pcapng.gz"
cp_ trace start lan glan ownerid system file ip.pcap; expect_ok
expect_out "Trace 2 started on LAN SYSTEM GLAN (ALL) to $TMP/traces/ip.pcap"
cp_ trace start vswitch vsw1 file tb.pcap.gz user tb snaplen 60; expect_ok
cp_ trace start vswitch vsw1 file few.pcap count 2; expect_ok

"$BIN/cpnet-guest" connect --socket "$VMSOCK" --user tb --password pwb \
	--ip 10.1.0.2/24 --ip 10.2.0.2/24 --stay 60 >"$TMP/tb.out" 2>&1 &
bg_track $!
wait_for "$TMP/tb.out" "^NIC 0700 online"
# A class G user does not see the command at all.
CPNET_USER=TB CPNET_PASSWORD=PWB cp_ trace start vswitch vsw1 file x.pcap; expect_id HCPCMD001E
timeout 60 "$BIN/cpnet-guest" connect --socket "$VMSOCK" --user ta --password pwa \
	--ip 10.1.0.1/24 --ip 10.2.0.1/24 --ping 10.1.0.2 --ping 10.2.0.2 --count 3 \
	>"$TMP/ta.out" 2>&1 || { cat "$TMP/ta.out" >&2; fail "guest ta"; }
grep -q "^ping 10.1.0.2 from NIC 0600: 3 sent, 3 received" "$TMP/ta.out" || { cat "$TMP/ta.out" >&2; fail "ping on VSW1"; }
grep -q "^ping 10.2.0.2 from NIC 0700: 3 sent, 3 received" "$TMP/ta.out" || { cat "$TMP/ta.out" >&2; fail "ping on GLAN"; }

cp_ q trace; expect_ok
expect_line "TRACE 4 VSWITCH SYSTEM VSW1 ALL FILE $TMP/traces/few.pcap ENDED (limit reached)"
expect_line "TRACE 1 VSWITCH SYSTEM VSW1 ALL FILE $TMP/traces/eth.pcapng.gz ACTIVE"
expect_line "TRACE 3 VSWITCH SYSTEM VSW1 USER TB FILE $TMP/traces/tb.pcap.gz ACTIVE"
cp_ trace stop all; expect_ok
grep -q "^Trace 2 stopped: [1-9][0-9]* frames" <<<"$OUT" || fail "trace 2 stop: $OUT"
[ "$(grep -c "^Trace [1-4] stopped" <<<"$OUT")" -eq 4 ] || fail "stop all: $OUT"
cp_ q trace; expect_out "HCPTRC9604I No traces are defined"

# fields FILE FILTER FIELD...: tshark's decode of a trace file (cpnet-lib.bash).
fields() { tshark_fields "$TMP/traces/$1" "${@:2}"; }
# The VSWITCH: TA's ARP request for 10.1.0.2 and TB's reply, then 3 echo requests and
# 3 replies.
fields eth.pcapng.gz "arp.opcode == 1 && arp.dst.proto_ipv4 == 10.1.0.2" arp.src.proto_ipv4
expect_count 1; expect_out "10.1.0.1"
fields eth.pcapng.gz "arp.opcode == 2" arp.src.proto_ipv4 arp.dst.proto_ipv4
expect_count 1; expect_out "10.1.0.2,10.1.0.1"
fields eth.pcapng.gz "icmp" icmp.type ip.src ip.dst
expect_count 6
[ "$(grep -c "^8,10.1.0.1,10.1.0.2$" <<<"$OUT")" -eq 3 ] || fail "echo requests: $OUT"
[ "$(grep -c "^0,10.1.0.2,10.1.0.1$" <<<"$OUT")" -eq 3 ] || fail "echo replies: $OUT"
fields eth.pcapng.gz "frame" frame.interface_name
grep -qx "VSWITCH SYSTEM VSW1" <<<"$OUT" || fail "interface name: $OUT"
# The IP LAN: raw IP packets, no link layer: the same 6 ICMP, nothing else.
fields ip.pcap "icmp" icmp.type ip.src ip.dst
expect_count 6
fields ip.pcap "!icmp && !ipv6" frame.number
expect_count 0
# TB's trace: all the VSWITCH's ICMP concerns TB; cut at 60 bytes (SNAPLEN 60).
fields tb.pcap.gz "icmp" frame.cap_len
expect_count 6
fields tb.pcap.gz "frame.cap_len > 60" frame.number
expect_count 0
# COUNT 2: exactly two frames.
fields few.pcap "frame" frame.number
expect_count 2
echo "PASS trace_tshark"
