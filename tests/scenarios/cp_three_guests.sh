#!/usr/bin/env bash
# tests/scenarios/cp_three_guests.sh - four segments (ETHERNET + IP VSWITCH, ETHERNET + IP
# Guest LAN; half from SYSTEM CONFIG, half by command) and `cpnet-guest connect` VMs
# exchanging IPv4, IPv6, ARP/ND, broadcast and multicast on each; QUERY checked line by line.
. "$(dirname "$0")/cpnet-lib.bash"
GP=()	# the guests' PIDs, by number
# has NAME LINE: guest NAME printed exactly LINE.
has() {
	grep -qxF -- "$2" "$TMP/$1.out" || { cat "$TMP/$1.out" >&2; fail "$1: no line '$2'"; }
}
# ip_args K: guest K's addresses on the four segments (in NICDEF order).
ip_args() {
	local s
	for s in 1 2 3 4; do printf -- '--ip 10.%s.0.%s/24 --ip6 fd00:%s::%s ' "$s" "$1" "$s" "$1"; done
}
# block OWNER: OWNER's adapter lines of $OUT without the counters and the multicast
# groups (checked on their own), sorted (the LAN lists addresses in hash order).
block() {
	printf '%s\n' "$OUT" | awk -v o="$1" '
		/Adapter Owner:/ { mine = ($3 == o) }
		/Multicast .* Addresses:/ { mc = 1; next }
		/Addresses:|Port:|Adapter Owner:/ { mc = 0 }
		mc { next }
		mine && !/RX Packets:|TX Packets:|RX Bytes:/' | sort
}
# expect_block OWNER LINES: OWNER's adapter is exactly LINES (in any order).
expect_block() {
	local got want
	got=$(block "$1")
	want=$(printf '%s\n' "$2" | sort)
	[ "$got" = "$want" ] || { printf 'want:\n%s\ngot:\n%s\nall:\n%s\n' "$want" "$got" "$OUT" >&2; fail "$1 adapter differs"; }
}
# head_of: the switch / LAN lines of $OUT before the adapters.
head_of() { printf '%s\n' "$OUT" | sed '/^  Adapter Connections:/,$d'; }
# expect_counters OWNER: traffic both ways, nothing discarded, no errors.
expect_counters() {
	printf '%s\n' "$OUT" | awk -v o="$1" '
		/Adapter Owner:/ { mine = ($3 == o) }
		mine && /RX Packets:/ { rx = $3; bad += $5 + $7 }
		mine && /TX Packets:/ { tx = $3; bad += $5 + $7 }
		mine && /Discarded \(/ { bad++ }
		END { exit !(rx > 0 && tx > 0 && bad == 0) }' ||
		{ printf '%s\n' "$OUT" >&2; fail "$1: counters"; }
}
# rx_of OWNER: OWNER's RX packet count in $OUT.
rx_of() {
	printf '%s\n' "$OUT" | awk -v o="$1" '/Adapter Owner:/ { mine = ($3 == o) } mine && /RX Packets:/ { print $3 }'
}

# (a) From SYSTEM CONFIG: an ETHERNET VSWITCH and an IP Guest LAN.
cat >"$TMP/system.config" <<'CFG'
DEFINE VSWITCH VSWETH RDEV NONE ETHERNET
MODIFY VSWITCH VSWETH GRANT G1 G2 G3 G4
DEFINE LAN GLANIP OWNERID SYSTEM TYPE QDIO IP
CFG
# G3's 0900 has no LAN: it is coupled by command from G3's terminal.
cat >"$TMP/user.direct" <<'DIR'
USER OPERATOR OPERATOR ABCDEFG
USER G1 PW1 G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWETH
  NICDEF 0700 TYPE QDIO LAN SYSTEM GLANIP
  NICDEF 0800 TYPE QDIO LAN SYSTEM VSWIP
  NICDEF 0900 TYPE QDIO LAN SYSTEM GLANETH
USER G2 PW2 G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWETH
  NICDEF 0700 TYPE QDIO LAN SYSTEM GLANIP
  NICDEF 0800 TYPE QDIO LAN SYSTEM VSWIP
  NICDEF 0900 TYPE QDIO LAN SYSTEM GLANETH
USER G3 PW3 G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWETH
  NICDEF 0700 TYPE QDIO LAN SYSTEM GLANIP
  NICDEF 0800 TYPE QDIO LAN SYSTEM VSWIP
  NICDEF 0900 TYPE QDIO
USER G4 PW4 G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWETH
  NICDEF 0700 TYPE QDIO LAN SYSTEM GLANIP
  NICDEF 0800 TYPE QDIO LAN SYSTEM VSWIP
  NICDEF 0900 TYPE QDIO LAN SYSTEM GLANETH
DIR
start_cpnetd "$TMP/system.config" "$TMP/user.direct"

# (b) By command: an IP VSWITCH (with its GRANTs) and an ETHERNET Guest LAN.
cp_ define vswitch vswip rdev none ip; expect_ok; expect_out "VSWITCH SYSTEM VSWIP is created"
cp_ set vswitch vswip grant g1 g2 g3 g4; expect_ok; expect_out "Command complete"
cp_ define lan glaneth ownerid system ethernet; expect_ok; expect_out "LAN SYSTEM GLANETH is created"
cp_ q vswitch vswip acc; expect_ok
for u in G1 G2 G3 G4; do expect_line "    $u       Porttype: Access VLAN: NONE"; done
cp_ q lan glaneth; expect_ok
expect_out "LAN SYSTEM GLANETH      Type: QDIO    Connected: 0    Maxconn: INFINITE
  PERSISTENT  UNRESTRICTED  ETHERNET                  Accounting: OFF
  IPTimeout: 5                 MAC Protection: Unspecified
  Isolation Status: OFF"

# The guests LOGON one after the other (so the MACs CP assigns are known). G1 and G2
# listen to group 239.1.1.1 on every NIC, G3 does not. Each pings, when told, the
# others on every segment (IPv4 and IPv6), every segment's broadcast address, and
# G1 and G3 the group.
peers() {
	local j s
	for j in 1 2 3; do
		[ "$j" = "$1" ] && continue
		for s in 1 2 3 4; do printf -- '--ping 10.%s.0.%s --ping6 fd00:%s::%s ' "$s" "$j" "$s" "$j"; done
	done
	for s in 1 2 3 4; do printf -- '--ping 10.%s.0.255 ' "$s"; done
}
# shellcheck disable=SC2046
guest g1 --user g1 --password pw1 $(ip_args 1) --join 239.1.1.1 $(peers 1) \
	--ping 239.1.1.1%600 --count 2 --go "$TMP/go1" --stay 200
GP[1]=$LASTPID
wait_for "$TMP/g1.out" "^NIC 0900 online"
# shellcheck disable=SC2046
guest g2 --user g2 --password pw2 $(ip_args 2) --join 239.1.1.1 $(peers 2) \
	--count 2 --go "$TMP/go2" --stay 200
GP[2]=$LASTPID
wait_for "$TMP/g2.out" "^NIC 0900 online"
# shellcheck disable=SC2046
guest g3 --user g3 --password pw3 $(ip_args 3) $(peers 3) --ping 239.1.1.1%600 \
	--ping 239.1.1.1%700 --ping 239.1.1.1%800 --ping 239.1.1.1%900 \
	--count 2 --go "$TMP/go3" --stay 200
GP[3]=$LASTPID
wait_for "$TMP/g3.out" "^NIC 0800 online"
wait_for "$TMP/g3.out" "^NIC 0900 not coupled: left offline$"
OUT=$(printf 'couple 900 to system glaneth\n' | CPNET_USER=G3 CPNET_PASSWORD=PW3 timeout 30 "$BIN/cpnet" 2>&1)
expect_line "NIC 0900 is connected to LAN SYSTEM GLANETH"
wait_for "$TMP/g3.out" "^NIC 0900 online"

# What each guest brought up: layer by transport, CP's MACs, its addresses.
mac() { printf '02-00-00-00-00-%02X' "$1"; }
for k in 1 2 3; do
	b=$((3 + 4 * (k - 1)))	# VSWETH and VSWIP took MACs 1 and 2
	has g$k "LOGON AS  G$k       USERS = $k"
	has g$k "NIC 0600 online: layer 2, MAC $(mac $b), ETHERNET SYSTEM VSWETH, 10.1.0.$k/24, fd00:1::$k/64"
	has g$k "NIC 0700 online: layer 3, MAC $(mac $((b + 1))), IP SYSTEM GLANIP, 10.2.0.$k/24, fd00:2::$k/64"
	has g$k "NIC 0800 online: layer 3, MAC $(mac $((b + 2))), IP SYSTEM VSWIP, 10.3.0.$k/24, fd00:3::$k/64"
	if [ "$k" = 3 ]; then
		has g3 "NIC 0900 defined: devices 0900-0902, LAN * none"
		has g3 "NIC 0900 online: layer 2, MAC $(mac $((b + 3))), coupled by COUPLE, 10.4.0.3/24, fd00:4::3/64"
	else
		has g$k "NIC 0900 online: layer 2, MAC $(mac $((b + 3))), ETHERNET SYSTEM GLANETH, 10.4.0.$k/24, fd00:4::$k/64"
		for v in 0600 0700 0800 0900; do has g$k "NIC $v joined 239.1.1.1"; done
	fi
done
grep -q "joined" "$TMP/g3.out" && fail "g3 joined a group: $(cat "$TMP/g3.out")"

# Round 1: everybody pings at the same time.
touch "$TMP/go1" "$TMP/go2" "$TMP/go3"
for k in 1 2 3; do wait_for "$TMP/g$k.out" "^ping round 1 done$" 60; done
for k in 1 2 3; do
	others=$(for j in 1 2 3; do [ "$j" != "$k" ] && printf '%s ' "$j"; done)
	for s in 1 2 3 4; do
		v=0$((s + 5))00
		for j in $others; do
			# Layer 2 resolved the peer by ARP / ND first: answered = resolved.
			has g$k "ping 10.$s.0.$j from NIC $v: 2 sent, 2 received"
			has g$k "ping fd00:$s::$j from NIC $v: 2 sent, 2 received"
		done
		# Broadcast: the two others answer, on every kind of segment.
		set -- $others
		has g$k "ping 10.$s.0.255 from NIC $v: 2 sent, 2 received"
		has g$k "ping 10.$s.0.255 answered by 10.$s.0.$1 10.$s.0.$2"
	done
done
# Multicast: only the members (G1, G2) answer; G1 does not hear its own request.
for s in 1 2 3 4; do
	has g3 "ping 239.1.1.1 from NIC 0$((s + 5))00: 2 sent, 2 received"
	has g3 "ping 239.1.1.1 answered by 10.$s.0.1 10.$s.0.2"
done
has g1 "ping 239.1.1.1 from NIC 0600: 2 sent, 2 received"
has g1 "ping 239.1.1.1 answered by 10.1.0.2"

# QUERY, line by line: the switch / LAN part exactly, each adapter's lines (counters
# aside: traffic both ways, nothing discarded), its MAC or its IPv4 + IPv6 + link-local
# registrations.
ll() { printf 'fe80:0:0:0:0:ff:fe00:%x' "$1"; }
cp_ q vswitch vsweth det; expect_ok
[ "$(head_of)" = "VSWITCH SYSTEM VSWETH     Type: QDIO    Connected: 3 Maxconn: INFINITE
  PERSISTENT  RESTRICTED    ETHERNET Accounting: OFF
  USERBASED LOCAL
  VLAN Unaware
  MAC address: 02-00-00-00-00-01    MAC Protection: Unspecified
  IPTimeout: 5         QueueStorage: 8
  Isolation Status: OFF
 Uplink Port:
  State: Ready
  RDEV: None" ] || fail "q vswitch vsweth: $OUT"
expect_line "  Adapter Connections: Connected: 3"
for k in 1 2 3; do
	expect_block G$k "    Adapter Owner: G$k       NIC: 0600.P00 Name: UNASSIGNED  Type: QDIO
      Port: 000$k  Layer: 2  State: Started
      Unicast MAC Addresses:
        $(mac $((3 + 4 * (k - 1))))"
	expect_counters G$k
done
# The groups each adapter joined are listed: G1 and G2 joined 239.1.1.1, G3 did not.
mcast() {
	printf '%s\n' "$OUT" | awk -v o="$1" '
		/Adapter Owner:/ { mine = ($3 == o) }
		/Multicast MAC Addresses:/ { mc = mine; next }
		/Addresses:|Port:|Adapter Owner:/ { mc = 0 }
		mc { print $1 }'
}
for k in 1 2; do
	grep -qx 01-00-5E-01-01-01 <<<"$(mcast G$k)" || fail "G$k: group 239.1.1.1 not listed: $OUT"
done
grep -qx 01-00-5E-01-01-01 <<<"$(mcast G3)" && fail "G3 listed in a group it did not join: $OUT"
grep -qx 01-00-5E-00-00-01 <<<"$(mcast G3)" || fail "G3: all-hosts group not listed: $OUT"
cp_ q vswitch vswip det; expect_ok
[ "$(head_of)" = "VSWITCH SYSTEM VSWIP      Type: QDIO    Connected: 3 Maxconn: INFINITE
  PERSISTENT  RESTRICTED    IP NONROUTER Accounting: OFF
  USERBASED LOCAL
  VLAN Unaware
  MAC address: 02-00-00-00-00-02    MAC Protection: Unspecified
  IPTimeout: 5         QueueStorage: 8
  Isolation Status: OFF
 Uplink Port:
  State: Ready
  RDEV: None
  Remote IP Addresses: 0  IPTimeout: 5  Learned: 0  Aged out: 0  Taken by guests: 0  Not learned (table): 0" ] || fail "q vswitch vswip: $OUT"
for k in 1 2 3; do
	expect_block G$k "    Adapter Owner: G$k       NIC: 0800.P00 Name: UNASSIGNED  Type: QDIO
      Port: 000$k  Layer: 3  State: Started
      Unicast IP Addresses:
        10.3.0.$k
        fd00:3:0:0:0:0:0:$k
        $(ll $((5 + 4 * (k - 1))))"
	expect_counters G$k
done
cp_ q lan glanip det; expect_ok
[ "$(head_of)" = "LAN SYSTEM GLANIP       Type: QDIO    Connected: 3    Maxconn: INFINITE
  PERSISTENT  UNRESTRICTED  IP                        Accounting: OFF
  IPTimeout: 5                 MAC Protection: Unspecified
  Isolation Status: OFF" ] || fail "q lan glanip: $OUT"
for k in 1 2 3; do
	expect_block G$k "    Adapter Owner: G$k       NIC: 0700.P00 Name: UNASSIGNED  Type: QDIO
      Port: 000$k  Layer: 3  State: Started
      Unicast IP Addresses:
        10.2.0.$k
        fd00:2:0:0:0:0:0:$k
        $(ll $((4 + 4 * (k - 1))))"
	expect_counters G$k
done
cp_ q lan glaneth det; expect_ok
expect_line "  Adapter Connections: Connected: 3"
for k in 1 2 3; do
	expect_block G$k "    Adapter Owner: G$k       NIC: 0900.P00 Name: UNASSIGNED  Type: QDIO
      Port: 000$k  Layer: 2  State: Started
      Unicast MAC Addresses:
        $(mac $((6 + 4 * (k - 1))))"
	expect_counters G$k
done
cp_ q lan; expect_ok
expect_line "LAN SYSTEM GLANIP       Type: QDIO    Connected: 3    Maxconn: INFINITE"
expect_line "LAN SYSTEM GLANETH      Type: QDIO    Connected: 3    Maxconn: INFINITE"

# QUERY NIC from G3's own terminal: each NIC, its LAN, its devices.
OUT=$(printf 'query nic details\n' | CPNET_USER=G3 CPNET_PASSWORD=PW3 timeout 30 "$BIN/cpnet" 2>&1)
n=0
for v in 0600:VSWITCH:VSWETH 0700:LAN:GLANIP 0800:VSWITCH:VSWIP 0900:LAN:GLANETH; do
	IFS=: read -r d kind name <<<"$v"
	expect_line "Adapter $d.P00 Type: QDIO      Name: UNASSIGNED  Devices: 3"
	expect_line "$(printf '  MAC: %-26s%s: SYSTEM %s' "$(mac $((11 + n)))" "$kind" "$name")"
	expect_line "  Device: $d  Unit: 000   Role: REMOTE"
	expect_line "  Device: ${d%00}01  Unit: 001   Role: REMOTE"
	n=$((n + 1))
done
[ "$(grep -c '^  Connection Name: HALLOLE      State: Session Established (remote)$' <<<"$OUT")" = 4 ] ||
	fail "q nic det: $OUT"
expect_line "    fd00:2:0:0:0:0:0:3"
expect_line "    10.3.0.3"
expect_line "    $(mac 14)"

# Round 2: G4 (not a member) pings the group from each segment. The members answer;
# G3 (not a member either) receives nothing: the switches deliver a group only to
# the ports that registered it (SETGMAC on ETHERNET, SETIPM on IP).
declare -A g3rx
for q in "vswitch vsweth" "lan glanip" "vswitch vswip" "lan glaneth"; do
	cp_ q $q det; g3rx[$q]=$(rx_of G3)
done
guest g4 --user g4 --password pw4 $(ip_args 4) --ping 239.1.1.1%600 --ping 239.1.1.1%700 \
	--ping 239.1.1.1%800 --ping 239.1.1.1%900 --count 3 --stay 200
GP[4]=$LASTPID
for _ in $(seq 200); do
	[ "$(grep -c "answered by" "$TMP/g4.out")" -ge 4 ] && break
	sleep 0.1
done
for s in 1 2 3 4; do
	has g4 "ping 239.1.1.1 from NIC 0$((s + 5))00: 3 sent, 3 received"
	has g4 "ping 239.1.1.1 answered by 10.$s.0.1 10.$s.0.2"
done
[ "$(grep -c "answered by" "$TMP/g4.out")" = 4 ] || fail "g4: $(cat "$TMP/g4.out")"
for q in "vswitch vsweth" "lan glanip" "vswitch vswip" "lan glaneth"; do
	cp_ q $q det
	expect_line "  Adapter Connections: Connected: 4"
	[ "$(rx_of G3)" = "${g3rx[$q]}" ] || fail "G3 received group traffic on $q: $OUT"
done

# Every guest logs off cleanly and exits 0: every NIC came online, every ping of
# its rounds was answered.
for k in 1 2 3 4; do
	p=${GP[$k]}
	kill "$p"
	for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	wait "$p"
	rc=$?
	[ "$rc" -eq 0 ] || fail "G$k exit $rc: $(cat "$TMP/g$k.out")"
done
for _ in $(seq 50); do cp_ q names; case $OUT in *G1*|*G2*|*G3*|*G4*) sleep 0.1 ;; *) break ;; esac; done
grep -q "G[1-4] " <<<"$OUT" && fail "guests still logged on: $OUT"
cp_ q vswitch vsweth; expect_line "VSWITCH SYSTEM VSWETH     Type: QDIO    Connected: 0 Maxconn: INFINITE"
cp_ q lan glaneth; expect_line "LAN SYSTEM GLANETH      Type: QDIO    Connected: 0    Maxconn: INFINITE"
echo "cp_three_guests: ok"
