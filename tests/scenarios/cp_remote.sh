#!/usr/bin/env bash
# tests/scenarios/cp_remote.sh - virtual machines in other processes: two `cpnet-guest
# connect` VMs LOGON on cpnetd's VM socket and ping over an ETHERNET and an IP VSWITCH.
. "$(dirname "$0")/cpnet-lib.bash"
VMSOCK=$CPNET_SOCKET.vm
# adapter_counts OWNER: the RX and TX packet counts of OWNER's adapter in $OUT.
adapter_counts() {
	printf '%s\n' "$OUT" | awk -v o="$1" '
		/Adapter Owner:/ { mine = ($3 == o) }
		mine && /RX Packets:/ { rx = $3 }
		mine && /TX Packets:/ { tx = $3 }
		END { print rx + 0, tx + 0 }'
}
expect_traffic() {
	local rx tx
	read -r rx tx < <(adapter_counts "$1")
	[ "$rx" -gt 0 ] && [ "$tx" -gt 0 ] || { printf '%s\n' "$OUT" >&2; fail "$1: RX $rx TX $tx"; }
}

cat >"$TMP/system.config" <<'CFG'
DEFINE VSWITCH VSWETH ETHERNET
DEFINE VSWITCH VSWIP IP
MODIFY VSWITCH VSWETH GRANT REMOTE1 REMOTE2
MODIFY VSWITCH VSWIP GRANT REMOTE1 REMOTE2
CFG
cat >"$TMP/user.direct" <<'DIR'
USER OPERATOR OPERATOR ABCDEFG
USER REMOTE1 PW1 G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWETH
  NICDEF 0700 TYPE QDIO LAN SYSTEM VSWIP
USER REMOTE2 PW2 G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWETH
  NICDEF 0700 TYPE QDIO LAN SYSTEM VSWIP
DIR
start_cpnetd "$TMP/system.config" "$TMP/user.direct"
[ -S "$VMSOCK" ] || fail "no VM socket $VMSOCK"
grep -qxF "cpnetd: virtual machines connect on $VMSOCK" "$TMP/cpnetd.out" || fail "$(cat "$TMP/cpnetd.out")"
[ "$(stat -c %a "$VMSOCK")" = 660 ] || fail "VM socket mode $(stat -c %a "$VMSOCK")"

# REMOTE1 answers; REMOTE2 pings it on both switches and stays.
guest r1 --user remote1 --password pw1 --ip 10.1.0.1/24 --ip 10.2.0.1/24 --stay 100
R1=$LASTPID
wait_for "$TMP/r1.out" "^NIC 0700 online: layer 3, MAC .*, IP SYSTEM VSWIP, 10.2.0.1/24$"
grep -q "^LOGON AS  REMOTE1  USERS = 1$" "$TMP/r1.out" || fail "r1: $(cat "$TMP/r1.out")"
grep -q "^NIC 0600 online: layer 2, MAC .*, ETHERNET SYSTEM VSWETH, 10.1.0.1/24$" "$TMP/r1.out" ||
	fail "r1: $(cat "$TMP/r1.out")"
guest r2 --user REMOTE2 --password PW2 --ip 10.1.0.2/24 --ip 10.2.0.2/24 \
	--ping 10.1.0.1 --ping 10.2.0.1 --count 3 --stay 100
R2=$LASTPID
wait_for "$TMP/r2.out" "^ping 10.2.0.1 "
grep -qx "ping 10.1.0.1 from NIC 0600: 3 sent, 3 received" "$TMP/r2.out" || fail "r2: $(cat "$TMP/r2.out")"
grep -qx "ping 10.2.0.1 from NIC 0700: 3 sent, 3 received" "$TMP/r2.out" || fail "r2: $(cat "$TMP/r2.out")"

# CP's view: both adapters, their owners, traffic both ways, the registrations.
cp_ q vswitch vsweth det; expect_ok
expect_line "  Adapter Connections: Connected: 2"
expect_line "    Adapter Owner: REMOTE1  NIC: 0600.P00 Name: UNASSIGNED  Type: QDIO"
expect_line "    Adapter Owner: REMOTE2  NIC: 0600.P00 Name: UNASSIGNED  Type: QDIO"
expect_line "      Port: 0001  Layer: 2  State: Started"
expect_line "      Port: 0002  Layer: 2  State: Started"
expect_traffic REMOTE1
expect_traffic REMOTE2
cp_ q vswitch vswip det; expect_ok
expect_line "  Adapter Connections: Connected: 2"
expect_line "    Adapter Owner: REMOTE1  NIC: 0700.P00 Name: UNASSIGNED  Type: QDIO"
expect_line "    Adapter Owner: REMOTE2  NIC: 0700.P00 Name: UNASSIGNED  Type: QDIO"
expect_line "      Port: 0001  Layer: 3  State: Started"
expect_line "        10.2.0.1"
expect_line "        10.2.0.2"
expect_traffic REMOTE1
expect_traffic REMOTE2
cp_ q names; expect_ok
grep -q "REMOTE1  - DSC , REMOTE2  - DSC" <<<"$OUT" || fail "q names: $OUT"

# A terminal session to a remote VM: QUERY NIC shows the remote NIC; ending the
# session leaves the VM running (it lives as long as its link).
OUT=$(printf 'query nic 600 details\nquery virtual osa\n' |
	CPNET_USER=REMOTE1 CPNET_PASSWORD=PW1 timeout 30 "$BIN/cpnet" 2>&1)
expect_line "Adapter 0600.P00 Type: QDIO      Name: UNASSIGNED  Devices: 3"
grep -q "^  MAC: 02-00-00-00-00-.*VSWITCH: SYSTEM VSWETH$" <<<"$OUT" || fail "q nic: $OUT"
expect_line "  Connection Name: HALLOLE      State: Session Established (remote)"
expect_line "  Device: 0602  Unit: 002   Role: REMOTE     vPort: 0001  Index: 0001"
expect_line "OSA  0600 ON NIC  0600  UNIT 000 SUBCHANNEL = REMOTE"
grep -q "^  TX Packets: [1-9]" <<<"$OUT" || fail "q nic counters: $OUT"
cp_ q names; grep -q "REMOTE1  - DSC" <<<"$OUT" || fail "REMOTE1 gone after its terminal: $OUT"

# Commands of the VM's own terminal reach its process: DEFINE NIC, COUPLE, DETACH NIC.
OUT=$(printf 'define nic 800 type qdio\ncouple 800 to system vsweth\n' |
	CPNET_USER=REMOTE1 CPNET_PASSWORD=PW1 timeout 30 "$BIN/cpnet" 2>&1)
expect_line "NIC 0800 is connected to VSWITCH SYSTEM VSWETH"
wait_for "$TMP/r1.out" "^NIC 0800 defined: devices 0800-0802, LAN \* none$"
wait_for "$TMP/r1.out" "^NIC 0800 online: layer 2, MAC .*, coupled by COUPLE$"
cp_ q vswitch vsweth det; expect_line "  Adapter Connections: Connected: 3"
expect_line "    Adapter Owner: REMOTE1  NIC: 0800.P00 Name: UNASSIGNED  Type: QDIO"
OUT=$(printf 'detach nic 800\n' | CPNET_USER=REMOTE1 CPNET_PASSWORD=PW1 timeout 30 "$BIN/cpnet" 2>&1)
[ "$(sed -n 3,4p <<<"$OUT")" = "NIC 0800 is disconnected from VSWITCH SYSTEM VSWETH
NIC 0800 is destroyed; devices 0800-0802 detached" ] || fail "detach nic 800: $OUT"
wait_for "$TMP/r1.out" "^NIC 0800 detached by CP$"
cp_ q vswitch vsweth det; expect_line "  Adapter Connections: Connected: 2"

# REMOTE2's process dies: its NICs leave both switches, REMOTE1 is untouched.
{ kill -9 "$R2"; wait "$R2"; } 2>/dev/null
for _ in $(seq 100); do
	cp_ q vswitch vsweth det
	case $OUT in *"Adapter Owner: REMOTE2"*) sleep 0.1 ;; *) break ;; esac
done
expect_line "  Adapter Connections: Connected: 1"
grep -q "REMOTE2" <<<"$OUT" && fail "REMOTE2 still on VSWETH: $OUT"
cp_ q vswitch vswip det; expect_line "  Adapter Connections: Connected: 1"
grep -q "REMOTE2" <<<"$OUT" && fail "REMOTE2 still on VSWIP: $OUT"
cp_ q names; grep -q "REMOTE2" <<<"$OUT" && fail "REMOTE2 still logged on: $OUT"
grep -q "REMOTE1  - DSC" <<<"$OUT" || fail "REMOTE1 gone: $OUT"

# REMOTE1 still answers: a new REMOTE2 logs on and pings it (and logs off at exit).
timeout 60 "$BIN/cpnet-guest" connect --socket "$VMSOCK" --user remote2 --password pw2 \
	--ip 10.1.0.2/24 --ip 10.2.0.2/24 --ping 10.1.0.1 --ping 10.2.0.1 --count 2 \
	>"$TMP/r2b.out" 2>&1 || fail "second REMOTE2: $(cat "$TMP/r2b.out")"
grep -qx "ping 10.1.0.1 from NIC 0600: 2 sent, 2 received" "$TMP/r2b.out" || fail "$(cat "$TMP/r2b.out")"
grep -qx "ping 10.2.0.1 from NIC 0700: 2 sent, 2 received" "$TMP/r2b.out" || fail "$(cat "$TMP/r2b.out")"
for _ in $(seq 50); do
	cp_ q names
	case $OUT in *REMOTE2*) sleep 0.1 ;; *) break ;; esac
done
grep -q "REMOTE2" <<<"$OUT" && fail "REMOTE2 not logged off at exit: $OUT"

# expect_exit RC WANT ARG...: cpnet-guest connect ARG... exits RC, its first line
# starting with WANT.
expect_exit() {
	local want_rc=$1 want=$2
	shift 2
	out=$(timeout 30 "$BIN/cpnet-guest" connect --socket "$VMSOCK" "$@" 2>&1)
	rc=$?
	[ "$rc" -eq "$want_rc" ] || fail "rc $rc (want $want_rc): $out"
	case $(head -n 1 <<<"$out") in "$want"*) ;; *) fail "want $want, got: $out" ;; esac
}
# Refused LOGONs: the message ID comes back, the process exits 1.
expect_exit 1 "HCPLGA050E " --user remote2 --password wrong
expect_exit 1 "HCPLGA053E " --user nobody --password x
expect_exit 1 "HCPLGA054E " --user remote1 --password pw1

# A refused argument is named (exit 2), not left to be found in a page of usage.
expect_exit 2 "cpnet-guest connect: --ip 10.1.0.300/24: invalid value, or one too many" \
	--user remote2 --password pw2 --ip 10.1.0.300/24
expect_exit 2 "cpnet-guest connect: unknown option --pign" --user remote2 --password pw2 --pign 10.1.0.1
expect_exit 2 "cpnet-guest connect: --count needs a value" --user remote2 --password pw2 --count
expect_exit 2 "cpnet-guest connect: --socket, --user and --password are required" --user remote2
expect_exit 2 "cpnet-guest connect: --flood needs --size and --seconds; --size, --seconds and --rate need --flood" \
	--user remote2 --password pw2 --size 100
# An option that would be accepted and do nothing is refused, before the LOGON.
expect_exit 2 "cpnet-guest connect: --go needs --stay (its rounds run while the VM stays)" \
	--user remote2 --password pw2 --ping 10.1.0.1 --go "$TMP/never"
# What cannot be done once logged on is named, and the run fails (exit 1): a NIC the
# user does not have, an IPv6 ping with no IPv6 address on any NIC.
# expect_run_fails LINE ARG...: cpnet-guest connect ARG... exits 1 and says LINE.
expect_run_fails() {
	local want=$1
	shift
	out=$(timeout 30 "$BIN/cpnet-guest" connect --socket "$VMSOCK" --user remote2 --password pw2 \
		--ip 10.1.0.2/24 "$@" 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] || fail "rc $rc (want 1): $out"
	grep -qxF "$want" <<<"$out" || fail "want '$want', got: $out"
}
expect_run_fails "cpnet-guest: ping 10.1.0.1%0999: the user has no NIC 0999" --ping 10.1.0.1%0999 --count 1
expect_run_fails "cpnet-guest: ping fd00::1: no NIC online has an IPv6 address (--ip6)" --ping6 fd00::1 --count 1
expect_run_fails "cpnet-guest: --join 239.1.1.1%0999: the user has no NIC 0999" --join 239.1.1.1%0999
cp_ q vswitch vsweth det; expect_line "  Adapter Connections: Connected: 1"

# DETACH VSWITCH with REMOTE1 coupled: z/VM does not refuse; the NIC is uncoupled (the
# VM's NIC gives its guest an unsolicited STOPLAN) and stays defined. A new VSWETH and
# COUPLE again: STARTLAN, and the guest recovers and registers its MAC again.
cp_ detach vswitch vsweth; expect_ok
expect_out "NIC 0600 of REMOTE1 is disconnected from VSWITCH SYSTEM VSWETH
VSWITCH SYSTEM VSWETH is destroyed"
OUT=$(printf 'query nic 600\n' | CPNET_USER=REMOTE1 CPNET_PASSWORD=PW1 timeout 30 "$BIN/cpnet" 2>&1)
grep -q "LAN: \* None$" <<<"$OUT" || fail "q nic after DETACH VSWITCH: $OUT"
cp_ define vswitch vsweth ethernet; expect_ok
cp_ set vswitch vsweth grant remote1; expect_ok
OUT=$(printf 'couple 600 to system vsweth\n' | CPNET_USER=REMOTE1 CPNET_PASSWORD=PW1 timeout 30 "$BIN/cpnet" 2>&1)
expect_line "NIC 0600 is connected to VSWITCH SYSTEM VSWETH"
wait_for "$TMP/r1.out" "^NIC 0600 LAN restored: recovery$"
for _ in $(seq 100); do
	cp_ q vswitch vsweth det
	grep -q "Unicast MAC Addresses:" <<<"$OUT" && break
	sleep 0.1
done
expect_line "      Port: 0001  Layer: 2  State: Started"
expect_line "      Unicast MAC Addresses:"

# FORCE: CP tells the VM LOGOFF; its process ends by itself, status 0.
cp_ force remote1; expect_ok
for _ in $(seq 100); do kill -0 "$R1" 2>/dev/null || break; sleep 0.1; done
kill -0 "$R1" 2>/dev/null && fail "REMOTE1 still running after FORCE"
wait "$R1"
rc=$?
[ "$rc" -eq 0 ] || fail "REMOTE1 exit $rc: $(cat "$TMP/r1.out")"
grep -qx "LOGOFF by CP (link closed)" "$TMP/r1.out" || fail "r1: $(cat "$TMP/r1.out")"
cp_ q vswitch vsweth det; expect_line "  Adapter Connections: Connected: 0"
echo "cp_remote: ok"
