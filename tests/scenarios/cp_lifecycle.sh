#!/usr/bin/env bash
# tests/scenarios/cp_lifecycle.sh - DEFINE/GRANT/COUPLE/QUERY/DETACH, a dropped session
# releasing its transient LAN and NICs, --check with file:line errors (the examples of
# doc/commands.md are doc_examples.sh's).
. "$(dirname "$0")/cpnet-lib.bash"
cat >"$TMP/system.config" <<'CFG'
/* an empty switch to start with */
DEFINE VSWITCH VSW2 ETHERNET VLAN 10 PORTTYPE ACCESS
CFG
cat >"$TMP/user.direct" <<'DIR'
USER OPERATOR OPERATOR ABCDEFG
USER ALICE ALICEPW G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSW2
USER BOB BOBPW G
DIR
start_cpnetd "$TMP/system.config" "$TMP/user.direct"

# A switch, a grant, a NIC, a couple.
cp_ define vswitch vsw1 rdev none ethernet; expect_ok
expect_out "VSWITCH SYSTEM VSW1 is created"
cp_ set vswitch vsw1 grant bob; expect_ok; expect_out "Command complete"
cp_ set vswitch vsw2 grant alice vlan 20-22; expect_ok
cp_ q vsw vsw2 acc; expect_line "    ALICE    Porttype: Access VLAN: 0020-0022"
cp_ set vswitch vsw1 disconnect; expect_out "HCPSWU2830I VSWITCH SYSTEM VSW1 status is disconnected."
cp_ q vsw vsw1; expect_line "  State: Disconnected"
cp_ set vswitch vsw1 connect; expect_out "HCPSWU2830I VSWITCH SYSTEM VSW1 status is ready."

# An interactive BOB session: DEFINE NIC, COUPLE, a transient LAN; then the connection drops.
{
	echo "define nic 700 type qdio"
	echo "couple 700 to system vsw1"
	echo "define lan bobnet"
	echo "query nic"
} | CPNET_USER=BOB CPNET_PASSWORD=BOBPW timeout 30 "$BIN/cpnet" >"$TMP/bob.out" 2>&1
grep -qx "NIC 0700 is created; devices 0700-0702 defined" "$TMP/bob.out" || fail "bob: $(cat "$TMP/bob.out")"
grep -qx "NIC 0700 is connected to VSWITCH SYSTEM VSW1" "$TMP/bob.out" || fail "bob couple"
grep -qx "LAN BOB BOBNET is created" "$TMP/bob.out" || fail "bob lan"
grep -q "^  MAC: 02-00-00-00-00-.*VSWITCH: SYSTEM VSW1$" "$TMP/bob.out" || fail "bob q nic"
for _ in $(seq 50); do cp_ q names; case $OUT in *BOB*) sleep 0.1 ;; *) break ;; esac; done
grep -qx "OPERATOR - L[0-9]\{4\}" <<<"$OUT" || fail "BOB still logged on: $OUT"
cp_ q lan; expect_out "HCPLAN9111I No LAN is defined"
cp_ q vsw vsw1; expect_line "VSWITCH SYSTEM VSW1       Type: QDIO    Connected: 0 Maxconn: INFINITE"

# ALICE logs on: her NICDEF couples to VSW2 with the granted VLANs.
export CPNET_USER=ALICE CPNET_PASSWORD=ALICEPW
cp_ q nic 600; expect_ok
grep -qx "  MAC: 02-00-00-00-00-0[0-9A-F]         VSWITCH: SYSTEM VSW2" <<<"$OUT" || fail "q nic: $OUT"
cp_ q virtual osa; expect_ok; expect_line "     0600 DEVTYPE OSA         CHPID 00 OSD"
cp_ uncouple 600; expect_out "NIC 0600 is disconnected from VSWITCH SYSTEM VSW2"
# (A new session: ALICE's LOGON coupled her NICDEF again; DETACH uncouples it first.)
cp_ detach nic 600; expect_out "NIC 0600 is disconnected from VSWITCH SYSTEM VSW2
NIC 0600 is destroyed; devices 0600-0602 detached"
export CPNET_USER=OPERATOR CPNET_PASSWORD=OPERATOR
cp_ detach vswitch vsw1; expect_out "VSWITCH SYSTEM VSW1 is destroyed"
cp_ q vsw vsw1; expect_id HCPLAN9101E

# --check: every error with its file:line, exit status 1.
cat >"$TMP/bad.config" <<'CFG'
DEFINE VSWITCH VSW1 ETHERNET
DEFINE VSWITCH VSW1 IP
DEFINE VSWITCH VSW3 IPTIMEOUT 999
FROB
AUTOLOG NOSUCH
CFG
out=$("$BIN/cpnetd" --check --config "$TMP/bad.config" --directory "$TMP/user.direct" 2>&1)
rc=$?
[ "$rc" -eq 1 ] || fail "--check rc $rc"
grep -qxF "$TMP/bad.config:2: HCPCFG9401E VSWITCH VSW1 was already defined at line 1; this statement is ignored" <<<"$out" || fail "$out"
grep -qxF "$TMP/bad.config:3: HCPCMD9010E Value 999 for IPTIMEOUT is out of range (1-240)" <<<"$out" || fail "$out"
grep -qxF "$TMP/bad.config:4: HCPCFG9400E Unknown statement - FROB" <<<"$out" || fail "$out"
grep -qxF "$TMP/bad.config:5: HCPCFG9413E NOSUCH is not in the user directory" <<<"$out" || fail "$out"
grep -qxF "cpnetd --check: 4 errors" <<<"$out" || fail "$out"

# cpnetd leaves none of its sockets behind when it stops: SIGTERM, and SIGHUP (its
# terminal closed).
for sig in TERM HUP; do
	sock=$TMP/stop-$sig.sock
	"$BIN/cpnetd" --config "$TMP/system.config" --directory "$TMP/user.direct" \
		--socket "$sock" >"$TMP/stop.out" 2>&1 &
	pid=$!
	poll 30 test -S "$sock.vm" || { stop_daemon "$pid"; fail "cpnetd ($sig) did not come up"; }
	kill -"$sig" "$pid"
	poll 10 gone "$pid" || { stop_daemon "$pid"; fail "cpnetd did not stop on SIG$sig"; }
	wait "$pid" || fail "cpnetd exited with $? on SIG$sig: $(cat "$TMP/stop.out")"
	[ ! -e "$sock" ] && [ ! -e "$sock.vm" ] || fail "SIG$sig left $(ls "$TMP"/stop-*)"
done
echo "cp_lifecycle: ok"
