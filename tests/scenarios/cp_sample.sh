#!/usr/bin/env bash
# tests/scenarios/cp_sample.sh - the shipped sample: cpnetd --check accepts it, the two
# AUTOLOGged synthetic guests come up on VSW1 (layer 2) and GLAN1 (layer 3) and ping.
. "$(dirname "$0")/cpnet-lib.bash"
CFG=$ROOT/samples/system.config
DIRF=$ROOT/samples/user.direct

out=$("$BIN/cpnetd" --check --config "$CFG" --directory "$DIRF" 2>&1) || fail "--check: $out"
[ "$out" = "cpnetd --check: 0 errors" ] || fail "--check said: $out"

start_cpnetd "$CFG" "$DIRF"
grep -qx "AUTO LOGON  \*\*\*       LINUX01  USERS = 1" "$TMP/cpnetd.out" || fail "LINUX01 not autologged"
grep -qx "AUTO LOGON  \*\*\*       LINUX02  USERS = 2" "$TMP/cpnetd.out" || fail "LINUX02 not autologged"

cp_ q vswitch vsw1; expect_ok
expect_out "VSWITCH SYSTEM VSW1       Type: QDIO    Connected: 2 Maxconn: INFINITE
  PERSISTENT  RESTRICTED    ETHERNET Accounting: OFF
  USERBASED LOCAL
  VLAN Unaware
  MAC address: 02-00-00-00-00-01    MAC Protection: Unspecified
  IPTimeout: 5         QueueStorage: 8
  Isolation Status: OFF
 Uplink Port:
  State: Ready
  RDEV: None"

cp_ q lan glan1; expect_ok
expect_out "LAN SYSTEM GLAN1        Type: QDIO    Connected: 2    Maxconn: INFINITE
  PERSISTENT  UNRESTRICTED  IP                        Accounting: OFF
  IPTimeout: 5                 MAC Protection: Unspecified
  Isolation Status: OFF"

cp_ q vsw vsw1 accesslist; expect_ok
expect_line "  Authorized userids:"
expect_line "    LINUX01  Porttype: Access VLAN: NONE"
expect_line "    LINUX02  Porttype: Access VLAN: NONE"

cp_ ping linux01 10.1.0.2 3; expect_ok
expect_out "PING 10.1.0.2 from LINUX01 NIC 0600: 3 sent, 3 received"
cp_ ping linux02 10.1.0.1; expect_ok
expect_out "PING 10.1.0.1 from LINUX02 NIC 0600: 3 sent, 3 received"
cp_ ping linux02 10.2.0.1 2; expect_ok
expect_out "PING 10.2.0.1 from LINUX02 NIC 0700: 2 sent, 2 received"

cp_ q vsw vsw1 details; expect_ok
expect_line "  Adapter Connections: Connected: 2"
expect_line "    Adapter Owner: LINUX01  NIC: 0600.P00 Name: UNASSIGNED  Type: QDIO"
expect_line "      Port: 0001  Layer: 2  State: Started"
cp_ q lan glan1 details; expect_ok
expect_line "      Port: 0001  Layer: 3  State: Started"
expect_line "        10.2.0.1"

cp_ q vmlan; expect_ok
expect_line "  MACIDRANGE SYSTEM: 000001-00FFFF"
expect_line "             USER:   00F000-00FFFF"
expect_line "  PERSISTENT Limit: INFINITE   Current: 2"

cp_ q names; expect_ok
grep -qx "LINUX01  - DSC , LINUX02  - DSC , OPERATOR - L[0-9]\{4\}" <<<"$OUT" || fail "q names: $OUT"

# A guest is forced: the other keeps running, its pings go unanswered.
cp_ force linux02; expect_ok
cp_ ping linux01 10.1.0.2 1; expect_ok
expect_out "PING 10.1.0.2 from LINUX01 NIC 0600: 1 sent, 0 received"
cp_ q vsw vsw1; expect_line "VSWITCH SYSTEM VSW1       Type: QDIO    Connected: 1 Maxconn: INFINITE"
cp_ autolog linux02; expect_ok
# The new LINUX02 has a new MAC: it resolves LINUX01 afresh and gets answers.
cp_ ping linux02 10.1.0.1 2; expect_out "PING 10.1.0.1 from LINUX02 NIC 0600: 2 sent, 2 received"
echo "cp_sample: ok"
