#!/usr/bin/env bash
# tests/scenarios/cp_vlan_grant_isolation.sh - a VLAN-aware ETHERNET VSWITCH with remote
# `cpnet-guest connect` VMs: VLAN separation by GRANT, COUPLE refused after REVOKE, ISOLATION;
# a RESTRICTED Guest LAN's access list (SET LAN GRANT / REVOKE).
. "$(dirname "$0")/cpnet-lib.bash"
# wait_count FILE REGEX N: until N lines of FILE match (at most 15 s).
wait_count() {
	for _ in $(seq 150); do
		[ "$(grep -c -- "$2" "$1")" -ge "$3" ] && return 0
		sleep 0.1
	done
	cat "$1" >&2
	fail "not $3 lines '$2' in $(basename "$1")"
}
# round NAME N: make guest NAME run its pings (round N) and wait for the end;
# round_end NAME N only waits (the go file was created already).
round() {
	touch "$TMP/go-$1"
	round_end "$1" "$2"
}
round_end() {
	wait_for "$TMP/$1.out" "^ping round $2 done$" 60
	[ "$(grep -c "^ping round" "$TMP/$1.out")" = "$2" ] || fail "$1: rounds: $(cat "$TMP/$1.out")"
	sed -n "/^ping round $(($2 - 1)) done$/,\$p" "$TMP/$1.out" >"$TMP/$1.r$2"
	[ "$2" -gt 1 ] || cp "$TMP/$1.out" "$TMP/$1.r$2"
}
# in_round NAME N LINE: guest NAME printed LINE in round N.
in_round() {
	grep -qxF -- "$3" "$TMP/$1.r$2" || { cat "$TMP/$1.out" >&2; fail "$1 round $2: no line '$3'"; }
}
# as USER CMD...: USER's terminal session (password = USER's name + PW); output in $OUT.
as() {
	local u=$1
	shift
	OUT=$(printf '%s\n' "$@" | CPNET_USER=$u CPNET_PASSWORD=${u}PW timeout 30 "$BIN/cpnet" 2>&1)
}
block() {
	printf '%s\n' "$OUT" | awk -v o="$1" '
		/Adapter Owner:/ { mine = ($3 == o) }
		/Multicast .* Addresses:/ { mc = 1; next }
		/Addresses:|Port:|Adapter Owner:/ { mc = 0 }
		mc { next }
		mine && !/RX Packets:|TX Packets:|RX Bytes:/'
}
rx_of() {
	printf '%s\n' "$OUT" | awk -v o="$1" '/Adapter Owner:/ { mine = ($3 == o) } mine && /RX Packets:/ { print $3 }'
}

# VLAN aware (default VLAN 1), access ports; V20's GRANT in SYSTEM CONFIG, the VLAN 10
# ones by command below. NOGR has a NICDEF and no GRANT.
cat >"$TMP/system.config" <<'CFG'
DEFINE VSWITCH VSWV RDEV NONE ETHERNET VLAN 1 PORTTYPE ACCESS
MODIFY VSWITCH VSWV GRANT V20 VLAN 20
CFG
cat >"$TMP/user.direct" <<'DIR'
USER OPERATOR OPERATOR ABCDEFG
USER V10A V10APW G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWV
USER V10B V10BPW G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWV
USER V20 V20PW G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWV
USER NOGR NOGRPW G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWV
DIR
start_cpnetd "$TMP/system.config" "$TMP/user.direct"
cp_ set vswitch vswv grant v10a v10b vlan 10; expect_ok; expect_out "Command complete"
cp_ q vswitch vswv acc; expect_ok
expect_line "  VLAN Aware  Default VLAN: 0001    Default Porttype: Access"
expect_line "  Native  VLAN: 0001"
expect_line "    V10A     Porttype: Access VLAN: 0010"
expect_line "    V10B     Porttype: Access VLAN: 0010"
expect_line "    V20      Porttype: Access VLAN: 0020"
grep -q NOGR <<<"$OUT" && fail "NOGR authorized: $OUT"

# Three guests in one subnet, pinging each other when told.
guest v10a --user v10a --password v10apw --ip 10.5.0.1/24 --ping 10.5.0.2 --ping 10.5.0.3 \
	--ping 10.5.0.255 --count 2 --go "$TMP/go-v10a" --stay 200
wait_for "$TMP/v10a.out" "^NIC 0600 online"
guest v10b --user v10b --password v10bpw --ip 10.5.0.2/24 --ping 10.5.0.1 --ping 10.5.0.3 \
	--count 2 --go "$TMP/go-v10b" --stay 200
wait_for "$TMP/v10b.out" "^NIC 0600 online"
guest v20 --user v20 --password v20pw --ip 10.5.0.3/24 --ping 10.5.0.1 --ping 10.5.0.255 \
	--count 2 --go "$TMP/go-v20" --stay 200
wait_for "$TMP/v20.out" "^NIC 0600 online"
grep -qx "NIC 0600 online: layer 2, MAC 02-00-00-00-00-02, ETHERNET SYSTEM VSWV, 10.5.0.1/24" \
	"$TMP/v10a.out" || fail "v10a: $(cat "$TMP/v10a.out")"

# 1. VLAN separation: 10 <-> 10 works, 10 <-> 20 does not (not even ARP crosses: the
#    VLAN 10 broadcast is answered by V10B alone, V20's by nobody, V20 receives nothing).
touch "$TMP/go-v10a" "$TMP/go-v10b" "$TMP/go-v20"
for g in v10a v10b v20; do round_end "$g" 1; done
in_round v10a 1 "ping 10.5.0.2 from NIC 0600: 2 sent, 2 received"
in_round v10a 1 "ping 10.5.0.3 from NIC 0600: 2 sent, 0 received"
in_round v10a 1 "ping 10.5.0.255 from NIC 0600: 2 sent, 2 received"
in_round v10a 1 "ping 10.5.0.255 answered by 10.5.0.2"
in_round v10b 1 "ping 10.5.0.1 from NIC 0600: 2 sent, 2 received"
in_round v10b 1 "ping 10.5.0.3 from NIC 0600: 2 sent, 0 received"
in_round v20 1 "ping 10.5.0.1 from NIC 0600: 2 sent, 0 received"
in_round v20 1 "ping 10.5.0.255 from NIC 0600: 2 sent, 0 received"
in_round v20 1 "ping 10.5.0.255 answered by nobody"
cp_ q vswitch vswv det; expect_ok
expect_line "  Adapter Connections: Connected: 3"
expect_line "      Porttype: Access   VLAN: 0010"
[ "$(grep -c "^      Porttype: Access   VLAN: 0010$" <<<"$OUT")" = 2 ] || fail "VLAN 10 ports: $OUT"
[ "$(rx_of V20)" = 0 ] || fail "V20 received VLAN 10 traffic: $OUT"
[ "$(rx_of V10A)" -gt 0 ] && [ "$(rx_of V10B)" -gt 0 ] || fail "no VLAN 10 traffic: $OUT"
[ "$(block V20)" = "    Adapter Owner: V20      NIC: 0600.P00 Name: UNASSIGNED  Type: QDIO
      Porttype: Access   VLAN: 0020
      Port: 0003  Layer: 2  State: Started
      Unicast MAC Addresses:
        02-00-00-00-00-04" ] || fail "V20 adapter: $OUT"

# 2. ISOLATION ON: guest <-> guest traffic stops (V10A knows V10B's MAC: its
#    unicasts are dropped by the switch); OFF: it flows again.
cp_ set vswitch vswv isolation on; expect_ok
cp_ q vswitch vswv; expect_line "  Isolation Status: ON"
cp_ q vswitch vswv det; rx_b=$(rx_of V10B)
round v10a 2
in_round v10a 2 "ping 10.5.0.2 from NIC 0600: 2 sent, 0 received"
in_round v10a 2 "ping 10.5.0.255 answered by nobody"
cp_ q vswitch vswv det
[ "$(rx_of V10B)" = "$rx_b" ] || fail "V10B received under ISOLATION: $OUT"
grep -q "Discarded (isolation" <<<"$OUT" || fail "no isolation drops: $OUT"
cp_ set vswitch vswv isolation off; expect_ok
cp_ q vswitch vswv; expect_line "  Isolation Status: OFF"
round v10a 3
in_round v10a 3 "ping 10.5.0.2 from NIC 0600: 2 sent, 2 received"
in_round v10a 3 "ping 10.5.0.255 answered by 10.5.0.2"

# 3. GRANT / REVOKE. NOGR's NICDEF cannot couple; after a GRANT it can.
guest nogr --user nogr --password nogrpw --ip 10.5.0.9/24 --stay 200
wait_for "$TMP/nogr.out" "^NIC 0600 not coupled: left offline$"
as NOGR "couple 600"
expect_line "HCPLAN9103E NOGR is not authorized to couple to VSWITCH SYSTEM VSWV"
cp_ q vswitch vswv; expect_line "VSWITCH SYSTEM VSWV       Type: QDIO    Connected: 3 Maxconn: INFINITE"
cp_ set vswitch vswv grant nogr vlan 30; expect_ok
as NOGR "couple 600"
expect_line "NIC 0600 is connected to VSWITCH SYSTEM VSWV"
wait_for "$TMP/nogr.out" "^NIC 0600 online: layer 2, MAC .*, coupled by COUPLE, 10.5.0.9/24$"
cp_ q vswitch vswv; expect_line "VSWITCH SYSTEM VSWV       Type: QDIO    Connected: 4 Maxconn: INFINITE"

# REVOKE leaves V10B's coupled NIC working ...
cp_ set vswitch vswv revoke v10b; expect_ok; expect_out "Command complete"
cp_ q vswitch vswv acc
grep -q "V10B" <<<"$OUT" && fail "V10B still authorized: $OUT"
expect_line "    V10A     Porttype: Access VLAN: 0010"
round v10a 4
in_round v10a 4 "ping 10.5.0.2 from NIC 0600: 2 sent, 2 received"
# ... but once uncoupled V10B cannot couple again, while the granted V10A can.
as V10B "uncouple 600" "couple 600 to system vswv"
expect_line "NIC 0600 is disconnected from VSWITCH SYSTEM VSWV"
expect_line "HCPLAN9103E V10B is not authorized to couple to VSWITCH SYSTEM VSWV"
expect_line "Ready(09103);"
as V10A "uncouple 600" "couple 600 to system vswv"
expect_line "NIC 0600 is disconnected from VSWITCH SYSTEM VSWV"
expect_line "NIC 0600 is connected to VSWITCH SYSTEM VSWV"
grep -q "^HCP" <<<"$OUT" && fail "V10A: $OUT"
# The adapter told V10A's driver STOPLAN, then STARTLAN: like Linux it recovers and
# registers its MAC again (the LAN forgot it at UNCOUPLE).
wait_for "$TMP/v10a.out" "^NIC 0600 LAN restored: recovery$"
wait_count "$TMP/v10a.out" "^NIC 0600 online: layer 2, MAC 02-00-00-00-00-02, ETHERNET SYSTEM VSWV, 10.5.0.1/24$" 2
for _ in $(seq 50); do
	cp_ q vswitch vswv det
	grep -q "Layer: 2  State: Started" <<<"$(block V10A)" && break
	sleep 0.1
done
grep -qx "        02-00-00-00-00-02" <<<"$(block V10A)" || fail "V10A not registered again: $OUT"
expect_line "  Adapter Connections: Connected: 3"
grep -q "Adapter Owner: V10B" <<<"$OUT" && fail "V10B still coupled: $OUT"
round v10a 5
in_round v10a 5 "ping 10.5.0.2 from NIC 0600: 2 sent, 0 received"
in_round v10a 5 "ping 10.5.0.255 answered by nobody"

# A new GRANT (on VLAN 10 again): V10B couples, and V10A (re-coupled itself) reaches it.
cp_ set vswitch vswv grant v10b vlan 10; expect_ok
as V10B "couple 600 to system vswv"
expect_line "NIC 0600 is connected to VSWITCH SYSTEM VSWV"
wait_for "$TMP/v10b.out" "^NIC 0600 LAN restored: recovery$"
wait_count "$TMP/v10b.out" "^NIC 0600 online: layer 2, MAC 02-00-00-00-00-03, ETHERNET SYSTEM VSWV, 10.5.0.2/24$" 2
round v10a 6
in_round v10a 6 "ping 10.5.0.2 from NIC 0600: 2 sent, 2 received"
in_round v10a 6 "ping 10.5.0.3 from NIC 0600: 2 sent, 0 received"
in_round v10a 6 "ping 10.5.0.255 answered by 10.5.0.2"
round v10b 2
in_round v10b 2 "ping 10.5.0.1 from NIC 0600: 2 sent, 2 received"
cp_ q vswitch vswv det
expect_line "  Adapter Connections: Connected: 4"
for u in V10A V10B V20 NOGR; do expect_line "$(printf '    Adapter Owner: %-8s NIC: 0600.P00 Name: UNASSIGNED  Type: QDIO' "$u")"; done

# 4. A RESTRICTED Guest LAN: NOGR owns it, V20 needs a SET LAN GRANT to couple, and a
# REVOKE uncouples it.
as NOGR "define lan priv restricted"
expect_line "LAN NOGR PRIV is created"
as V20 "define nic 800" "couple 800 nogr priv"
expect_line "NIC 0800 is created; devices 0800-0802 defined"
expect_line "HCPLAN9103E V20 is not authorized to couple to LAN NOGR PRIV"
as V20 "set lan priv ownerid nogr grant v20"
expect_line "HCPLAN9108E V20 is not authorized for LANs owned by NOGR"
as NOGR "set lan priv grant v20 vlan 5" "set lan priv revoke v20" "set lan priv grant v20" "q lan priv details"
expect_line "HCPLAN9110E Option VLAN is valid only for a VSWITCH"
expect_line "HCPLAN9106E V20 is not in the access list of LAN NOGR PRIV"
expect_line "Command complete"
expect_line "  Authorized userids:"
expect_line "    V20"
as V20 "couple 800 nogr priv"
expect_line "NIC 0800 is connected to LAN NOGR PRIV"
as NOGR "q lan priv details"
expect_line "LAN NOGR PRIV         Type: QDIO    Connected: 1    Maxconn: INFINITE"
grep -q "Adapter Owner: V20" <<<"$OUT" || fail "V20 not coupled: $OUT"
cp_ set lan priv ownerid nogr revoke v20; expect_ok
expect_line "NIC 0800 is disconnected from LAN NOGR PRIV"
expect_line "Command complete"
as NOGR "q lan priv details"
expect_line "LAN NOGR PRIV         Type: QDIO    Connected: 0    Maxconn: INFINITE"
expect_line "    None"
as V20 "couple 800 nogr priv"
expect_line "HCPLAN9103E V20 is not authorized to couple to LAN NOGR PRIV"
echo "cp_vlan_grant_isolation: ok"
