#!/usr/bin/env bash
# tests/scenarios/port_api.sh - application ports (api/cpnetport.h) through the example
# program port-echo: on a VSWITCH and an IP Guest LAN, with a `cpnet-guest connect` VM
# and with each other; refusals, QUERY's type APPL, FORCE ending them.
. "$(dirname "$0")/cpnet-lib.bash"
VMSOCK=$CPNET_SOCKET.vm

# app NAME PROG ARGS...: port-echo (PROG: port-echo, or port-echo-shared on
# libcpnetport.so) in the background, output in $TMP/NAME.out.
app() {
	local name=$1 prog=$2
	shift 2
	LD_LIBRARY_PATH=$BIN "$BIN/$prog" --socket "$VMSOCK" "$@" >"$TMP/$name.out" 2>&1 &
	bg_track $!
}

cat >"$TMP/system.config" <<'CFG'
DEFINE VSWITCH PVSW RDEV NONE ETHERNET
MODIFY VSWITCH PVSW GRANT G1 APP1 APP2
MODIFY VSWITCH PVSW PORTNUMBER 20 USERID APP2
DEFINE VSWITCH RSW RDEV NONE ETHERNET
DEFINE LAN PLAN OWNERID SYSTEM TYPE QDIO IP
DEFINE LAN RLAN OWNERID SYSTEM TYPE QDIO ETHERNET RESTRICTED
CFG
cat >"$TMP/user.direct" <<'DIR'
USER OPERATOR OPERATOR ABCDEFG
USER G1 PW1 G
  NICDEF 0600 TYPE QDIO LAN SYSTEM PVSW
  NICDEF 0700 TYPE QDIO LAN SYSTEM PLAN
USER APP1 APW1 G
USER APP2 APW2 G
DIR
printf 'APW2\n' >"$TMP/app2.pw"
start_cpnetd "$TMP/system.config" "$TMP/user.direct"

# The shared library exports the API and nothing else.
SYMS=$(nm -D --defined-only "$BIN/libcpnetport.so" | awk '{ print $3 }')
grep -qv '^cpnp_' <<<"$SYMS" && fail "libcpnetport.so exports more than cpnp_*: $SYMS"
grep -qx 'cpnp_register' <<<"$SYMS" || fail "libcpnetport.so does not export cpnp_register"

# Refusals: clear codes and cpnetd's message, nothing left behind.
OUT=$(timeout 20 "$BIN/port-echo" --socket "$VMSOCK" --user app1 --password apw1 \
	--vswitch rsw --ip 10.9.0.1 --seconds 1 2>&1) && fail "a port on RSW without GRANT"
grep -q "register: not authorized: HCPLAN9103E APP1 is not authorized" <<<"$OUT" || fail "RSW: $OUT"
OUT=$(timeout 20 "$BIN/port-echo" --socket "$VMSOCK" --user app1 --password apw1 \
	--lan rlan --owner system --ip 10.9.0.1 --seconds 1 2>&1) && fail "a port on RESTRICTED RLAN"
grep -q "HCPLAN9103E APP1 is not authorized to couple to LAN SYSTEM RLAN" <<<"$OUT" || fail "RLAN: $OUT"
OUT=$(timeout 20 "$BIN/port-echo" --socket "$VMSOCK" --user app1 --password apw1 \
	--vswitch nosuch --ip 10.9.0.1 --seconds 1 2>&1) && fail "a port on an unknown VSWITCH"
grep -q "register: no such LAN or VSWITCH: HCPLAN9101E VSWITCH SYSTEM NOSUCH does not exist" \
	<<<"$OUT" || fail "NOSUCH: $OUT"
OUT=$(timeout 20 "$BIN/port-echo" --socket "$VMSOCK" --user app1 --password wrong \
	--vswitch pvsw --ip 10.9.0.1 --seconds 1 2>&1) && fail "a wrong password"
grep -q "HCPLGA050E" <<<"$OUT" || fail "password: $OUT"
# A password file that is not there: the file named, not "no such LAN or VSWITCH".
OUT=$(timeout 20 "$BIN/port-echo" --socket "$VMSOCK" --user app1 --pwfile "$TMP/none.pw" \
	--vswitch pvsw --ip 10.9.0.1 --seconds 1 2>&1) && fail "a missing pwfile"
grep -qF "register: invalid argument: password file $TMP/none.pw: No such file or directory" \
	<<<"$OUT" || fail "missing pwfile: $OUT"
# Its command line as a new user gets it wrong: --help, an option left without its
# value (it was ignored: the default ran), a number that is not one.
OUT=$(timeout 5 "$BIN/port-echo" --help 2>&1) || fail "port-echo --help failed: $OUT"
grep -q "^usage: port-echo " <<<"$OUT" || fail "port-echo --help: $OUT"
OUT=$(timeout 5 "$BIN/port-echo" --socket "$VMSOCK" --user app1 --password apw1 \
	--vswitch pvsw --ip 10.9.0.1 --seconds 2>&1)
[ $? = 2 ] && grep -q "^port-echo: --seconds needs a value$" <<<"$OUT" ||
	fail "port-echo with --seconds last: $OUT"
OUT=$(timeout 5 "$BIN/port-echo" --socket "$VMSOCK" --user app1 --password apw1 \
	--vswitch pvsw --ip 10.9.0.1 --count three 2>&1)
[ $? = 2 ] && grep -q "^port-echo: --count three: not a whole number" <<<"$OUT" ||
	fail "port-echo --count three: $OUT"

# Two ports: APP1 on the VSWITCH with the port number it asks for, APP2 (password
# from a file, the shared library) on the IP Guest LAN.
app a1 port-echo --user app1 --password apw1 --vswitch pvsw --ip 10.1.0.21/24 --seconds 60 \
	--portnumber 12
app a2 port-echo-shared --user app2 --pwfile "$TMP/app2.pw" --lan plan --owner system --ip 10.2.0.22/24 --seconds 60
wait_for "$TMP/a1.out" "^port-echo: port [0-9A-F]* on VSWITCH pvsw (ETHERNET), port number 12$"
wait_for "$TMP/a2.out" "^port-echo: port [0-9A-F]* on LAN plan (IP), port number 1$"

# Port numbers refused through cpnetd's socket: in use, defined for another user (SYSTEM
# CONFIG's PORTNUMBER 20 USERID APP2), out of range.
OUT=$(timeout 20 "$BIN/port-echo" --socket "$VMSOCK" --user app2 --password apw2 \
	--vswitch pvsw --ip 10.1.0.29 --portnumber 12 --seconds 1 2>&1) && fail "port number 12 twice"
grep -q "register: address or port number in use by another port: HCPLAN9105E Port number 12 is in use on VSWITCH SYSTEM PVSW$" \
	<<<"$OUT" || fail "port 12 in use: $OUT"
OUT=$(timeout 20 "$BIN/port-echo" --socket "$VMSOCK" --user app1 --password apw1 \
	--vswitch pvsw --ip 10.1.0.29 --portnumber 20 --seconds 1 2>&1) && fail "APP1 took APP2's port 20"
grep -q "register: not authorized: HCPLAN9112E Port number 20 on VSWITCH SYSTEM PVSW is defined for APP2, not for APP1$" \
	<<<"$OUT" || fail "port 20 of APP2: $OUT"
OUT=$(timeout 20 "$BIN/port-echo" --socket "$VMSOCK" --user app1 --password apw1 \
	--vswitch pvsw --ip 10.1.0.29 --portnumber 2049 --seconds 1 2>&1) && fail "port number 2049"
grep -q "HCPCMD9010E Value 2049 for PORTNUMBER is out of range (1-2048)$" <<<"$OUT" ||
	fail "port 2049: $OUT"

# Port to port: a third port on the VSWITCH pings APP1's (ARP, then ICMP).
OUT=$(timeout 30 "$BIN/port-echo" --socket "$VMSOCK" --user app2 --password apw2 \
	--vswitch pvsw --ip 10.1.0.23 --ping 10.1.0.21 --count 3 --seconds 4 2>&1)
grep -q "^port-echo: 3 pings answered" <<<"$OUT" || fail "port to port: $OUT"

# A VM and the ports: G1 pings both, on the VSWITCH (layer 2) and the IP LAN (layer 3).
"$BIN/cpnet-guest" connect --socket "$VMSOCK" --user g1 --password pw1 \
	--ip 10.1.0.1/24 --ip 10.2.0.1/24 --ping 10.1.0.21 --ping 10.2.0.22 --count 3 \
	--stay 1 >"$TMP/g1.out" 2>&1 || { cat "$TMP/g1.out" >&2; fail "cpnet-guest"; }
grep -qxF "ping 10.1.0.21 from NIC 0600: 3 sent, 3 received" "$TMP/g1.out" ||
	{ cat "$TMP/g1.out" >&2; fail "G1 -> APP1 on the VSWITCH"; }
grep -qxF "ping 10.2.0.22 from NIC 0700: 3 sent, 3 received" "$TMP/g1.out" ||
	{ cat "$TMP/g1.out" >&2; fail "G1 -> APP2 on the IP LAN"; }

# QUERY lists the ports like adapters: owner, APPL id, type, counters, addresses.
cp_ q vswitch pvsw details; expect_ok
grep -q "^    Adapter Owner: APP1     APPL: [0-9A-F]\{8\} Name: UNASSIGNED  Type: APPL$" <<<"$OUT" ||
	{ printf '%s\n' "$OUT" >&2; fail "no APPL adapter on PVSW"; }
A1=$(grep -A1 "Adapter Owner: APP1 .*Type: APPL$" <<<"$OUT")
[[ $A1 == *$'\n      Port: 0012  Layer: 2  State: Started'* ]] ||
	{ printf '%s\n' "$OUT" >&2; fail "APP1's port is not number 12"; }
grep -qx "  Port users:  0020 APP2" <<<"$OUT" || { printf '%s\n' "$OUT" >&2; fail "no Port users line"; }
cp_ q lan plan details; expect_ok
grep -q "^    Adapter Owner: APP2     APPL: [0-9A-F]\{8\} Name: UNASSIGNED  Type: APPL$" <<<"$OUT" ||
	{ printf '%s\n' "$OUT" >&2; fail "no APPL adapter on PLAN"; }
grep -q "10.2.0.22" <<<"$OUT" || { printf '%s\n' "$OUT" >&2; fail "APP2's address not listed"; }

# FORCE ends the ports; their programs get a clear error.
cp_ force app1; expect_ok
grep -q "^HCPAPL9502I Application port [0-9A-F]\{8\} of APP1 on VSWITCH SYSTEM PVSW ended$" <<<"$OUT" ||
	fail "FORCE APP1: $OUT"
cp_ force app2; expect_ok
wait_for "$TMP/a1.out" "the port was ended by cpnetd (port .* was ended by cpnetd: FORCE of its user)"
wait_for "$TMP/a2.out" "the port was ended by cpnetd"
cp_ q vswitch pvsw details; expect_ok
grep -q "Type: APPL" <<<"$OUT" && fail "APP1's port still listed after FORCE: $OUT"
cp_ force app1; expect_id HCPCMD045E
exit 0
