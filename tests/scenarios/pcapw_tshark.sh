#!/usr/bin/env bash
# tests/scenarios/pcapw_tshark.sh - tshark opens what the capture writer writes: pcap, pcapng
# and both gzip-compressed, Ethernet and IP (LINKTYPE_RAW) link types, decoded field by field.
. "$(dirname "$0")/cpnet-lib.bash"
command -v tshark >/dev/null || skip "no tshark (scripts/deps.sh installs it)"

CPNET_PCAPW_SAMPLES=$TMP "$BIN/cpnet-test" pcapw_tshark_samples >"$TMP/unit.out" 2>&1 ||
	{ cat "$TMP/unit.out" >&2; fail "cpnet-test pcapw_tshark_samples"; }

# fields FILE FIELD...: tshark's decode of FILE, one line per frame, fields by ','.
fields() {
	local f=$1 a=()
	shift
	for x in "$@"; do a+=(-e "$x"); done
	OUT=$(tshark -n -r "$f" -T fields -E separator=, "${a[@]}" 2>"$TMP/tshark.err") ||
		{ cat "$TMP/tshark.err" >&2; fail "tshark -r $(basename "$f")"; }
}
for ext in pcap pcapng pcap.gz pcapng.gz; do
	fields "$TMP/eth.$ext" frame.number eth.src eth.type arp.opcode arp.dst.proto_ipv4 ip.dst icmp.type
	expect_out "1,02:00:00:00:00:01,0x0806,1,10.1.0.2,,
2,02:00:00:00:00:01,0x0800,,,10.1.0.2,8"
	fields "$TMP/ip.$ext" frame.number frame.len ip.dst udp.dstport ipv6.dst icmpv6.type
	expect_out "1,32,10.2.0.2,53,,
2,48,,,fd00::2,128"
	# nanosecond stamps survive (pcap's ns magic, pcapng's if_tsresol 9)
	fields "$TMP/eth.$ext" frame.time_epoch
	expect_out "1700000000.000000000
1700000000.001000000"
done
# pcapng carries the LAN's name as the interface name.
fields "$TMP/eth.pcapng.gz" frame.interface_name
expect_out "SYSTEM SAMPLE
SYSTEM SAMPLE"
echo "PASS pcapw_tshark"
