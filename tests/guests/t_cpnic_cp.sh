#!/bin/bash
# tests/guests/t_cpnic_cp.sh - CPNIC port=cp: in a guest-less Hercules against a real cpnetd:
# LOGON, one shared link per user, NICDEF match/mismatch, refused LOGON, LOGON again after cpnetd
# restarts (SIGTERM, SIGKILL), FORCE (no guest, ~10 s).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
T=t_cpnic_cp
W="$CPNET_GUEST_WORK/$T"
LOG="$W/hercules.log"
MODDIR="$CPNET_TOP/build/hercules"
BIN="$CPNET_TOP/build"
TMP=$(mktemp -d /tmp/cpnet-$T.XXXXXX)
export CPNET_SOCKET="$TMP/cpnetd.sock" CPNET_PASSWORD=OPERATOR
VMSOCK="$CPNET_SOCKET.vm"
CPNETD_PID=
HPID=

fail() { echo "FAIL $T: $*"; [ -f "$LOG" ] && tail -n 25 "$LOG" | sed 's/^/  | /'; exit 1; }
cleanup() {
	[ -n "$HPID" ] && herc_stop "$HPID"
	stop_daemon "$CPNETD_PID"
	rm -rf "$TMP"
}
trap cleanup EXIT

guest_prep

cat > "$TMP/system.config" <<'CFG'
DEFINE VSWITCH VSWETH ETHERNET
DEFINE VSWITCH VSWIP IP
MODIFY VSWITCH VSWETH GRANT LINUX01 LINUX02
MODIFY VSWITCH VSWIP GRANT LINUX01 LINUX02
CFG
cat > "$TMP/user.direct" <<'DIR'
USER OPERATOR OPERATOR ABCDEFG
USER LINUX01 PW1 G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWETH
  NICDEF 0700 TYPE QDIO LAN SYSTEM VSWIP
USER LINUX02 PW2 G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWETH
DIR
printf 'pw1\n' > "$TMP/pw1"
start_cpnetd() {
	timeout 120 "$BIN/cpnetd" --config "$TMP/system.config" --directory "$TMP/user.direct" \
		--socket "$CPNET_SOCKET" > "$TMP/cpnetd.out" 2>> "$TMP/cpnetd.err" &
	CPNETD_PID=$!
	poll 30 test -S "$VMSOCK"
	[ -S "$VMSOCK" ] || fail "cpnetd has no VM socket: $(cat "$TMP/cpnetd.err")"
}
start_cpnetd

# 0600 and 0700 share LINUX01's link (password, then pwfile); 0800 is not in the
# directory; LINUX02's password is wrong; a cp port without a user is refused.
cat > "$W/hercules.cnf" <<CNF
MAINSIZE 64
NUMCPU   1
ARCHMODE z/Arch
0600-0602 CPNIC chpid=06 mac=02:00:00:00:99:99 port=cp:$VMSOCK user=linux01 password=pw1
0700-0702 CPNIC chpid=07 port=cp:$VMSOCK user=LINUX01 pwfile=$TMP/pw1
0800-0802 CPNIC chpid=08 port=cp:$VMSOCK user=linux01 password=pw1
0900-0902 CPNIC chpid=09 port=cp:$VMSOCK user=linux02 password=wrong
0A00 CPNIC port=cp:$VMSOCK
0A01 CPNIC port=none user=linux01
CNF
# The rc script then waits (its thread, in a shell: bounded, 180 s) for the test to
# create $TMP/close, and detaches 0600: the NIC's close is checked on a command, not on
# Hercules's SIGTERM shutdown, which 3.13 can deadlock in its own logger (herc_stop).
# (A script file: Hercules substitutes \$(...) in its commands.)
cat > "$TMP/waitclose.sh" <<'SH'
i=0
while [ ! -e "$1" ] && [ $i -lt 1800 ]; do
	sleep 0.1
	i=$((i + 1))
done
SH
cat > "$W/hercules.rc" <<RC
devlist
message T_CPNIC_CP_UP
sh sh $TMP/waitclose.sh $TMP/close
detach 0600
detach 0601
detach 0602
message T_CPNIC_CP_CLOSED
RC
rm -f "$LOG"
t0=$(date +%s.%N)
LD_LIBRARY_PATH="$MODDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" herc_start "$W" "$LOG"
HPID=$HERC_PID
wait_for "$LOG" "T_CPNIC_CP_UP" 60 "$HPID" || fail "Hercules did not finish its .rc script"
# Each NIC's reader thread applies CP's LINK state on its own time: wait for both.
for v in "0600: LAN SYSTEM VSWETH" "0700: LAN SYSTEM VSWIP"; do
	wait_for "$LOG" "CPNIC $v is up" 30 "$HPID" || fail "no 'CPNIC $v is up'"
done

need() { grep -qE -- "$1" "$LOG" || fail "log lacks /$1/ ($2)"; }
refuse() { ! grep -qE -- "$1" "$LOG" || fail "log has /$1/ ($2)"; }
refuse 'HHCHD00[0-9]E|HHCHD01[0-9]E' "an HDL load error"
refuse 'pw1|wrong' "a password in the log"
need '^CPNIC 0600: logged on to cpnetd at .*: LOGON AS  LINUX01' "LOGON"
need '^CPNIC 0600: cpnetd NICDEF 0600 of LINUX01: 3 devices, MAC 02:00:00:.*, ETHERNET SYSTEM VSWETH$' "the NICDEF"
need '^CPNIC 0600-0602 ready: chpid 06 mac 02:00:00:00:00:.. port cp:LINUX01$' "CP's MAC overrides mac="
need '^CPNIC 0600: LAN SYSTEM VSWETH is up$' "CP's LINK up applied"
need '^CPNIC 0700: LAN SYSTEM VSWIP is up$' "LINK up that came before the group was attached"
need '^CPNIC 0700: cpnetd NICDEF 0700 of LINUX01: 3 devices, MAC .*, IP SYSTEM VSWIP$' "second NIC on the link"
[ "$(grep -c 'logged on to cpnetd' "$LOG")" = 1 ] || fail "LINUX01 logged on more than once (one link per user)"
need '^CPNIC 0800: port cp:.*: cpnetd defines no NIC 0800 for LINUX01 \(its NICs: 0600 0700\); the CPNIC device numbers must be the NICDEF.s; the NIC has no port$' "vdev mismatch"
need '^CPNIC 0800-0802 ready: .* port cp:LINUX01 \(no port\)$' "NIC without port"
need '^CPNIC 0900: port cp:.*: LOGON LINUX02 refused by cpnetd \(rc [0-9]+\): ' "wrong password"
need '^CPNIC 0:0A00 refused: port=cp: needs user= and password= or pwfile=' "cp port without user"
need '^CPNIC 0:0A01 refused: user=, password=, pwfile= go with port=cp: only' "user without cp port"
need '^0:0601 1732 CPNIC 0600/1 idle L0 port cp:LINUX01 link up ' "devlist: link up"
need '^0:0801 1732 CPNIC 0800/1 idle L0 port cp:LINUX01 link unattached ' "devlist: no link"

# The module's threads carry names and block SIGTERM: Hercules shuts down only when its
# main thread takes the signal, and a module thread that took it would swallow it.
nthr=0
for t in /proc/"$HPID"/task/*; do
	case $(cat "$t/comm" 2> /dev/null) in cpnic-*) ;; *) continue ;; esac
	nthr=$((nthr + 1))
	blk=$(awk '$1 == "SigBlk:" { print $2 }' "$t/status")
	(((16#$blk >> 14) & 1)) || fail "module thread $(cat "$t/comm") does not block SIGTERM (SigBlk $blk)"
done
[ "$nthr" -ge 3 ] || fail "$nthr named cpnic- threads in Hercules $HPID (the link's reader, 0600's and 0700's SIGA workers at least)"

OUT=$(timeout 20 "$BIN/cpnet" q vswitch vsweth det 2>&1)
grep -qF "Adapter Owner: LINUX01  NIC: 0600.P00" <<<"$OUT" || fail "CP lacks LINUX01's 0600: $OUT"
OUT=$(timeout 20 "$BIN/cpnet" q names 2>&1)
grep -q "LINUX01" <<<"$OUT" || fail "LINUX01 not logged on: $OUT"
grep -q "LINUX02" <<<"$OUT" && fail "LINUX02 logged on with a wrong password: $OUT"

# cpnetd restarts under the running Hercules (SIGTERM: it says LOGOFF "shutdown"; SIGKILL:
# the socket just closes): the link logs on again by itself and both NICs are back.
for sig in TERM KILL; do
	n0=$(grep -c 'logged on again' "$LOG")
	up0=$(grep -c '^CPNIC 0700: LAN SYSTEM VSWIP is up$' "$LOG")
	# CPNETD_PID is timeout's: it passes SIGTERM on; SIGKILL must hit cpnetd itself.
	child=$(pgrep -P "$CPNETD_PID" -x cpnetd) || fail "SIG$sig: no cpnetd under timeout $CPNETD_PID"
	kill -$sig "$child"
	wait "$CPNETD_PID" 2>/dev/null
	CPNETD_PID=
	why="cpnetd stopped"
	[ $sig = KILL ] && why="the connection to cpnetd broke"
	wait_for "$LOG" "CPNIC 0700: session of LINUX01 lost ($why): link down (STOPLAN), logging on again" 10 "$HPID" ||
		fail "SIG$sig: no session-lost message"
	[ $sig = KILL ] && rm -f "$CPNET_SOCKET" "$VMSOCK"	# what a killed cpnetd leaves
	sleep 1		# a few attempts fail while cpnetd is away
	start_cpnetd
	for _ in $(seq 50); do
		[ "$(grep -c 'logged on again' "$LOG")" -gt "$n0" ] &&
			[ "$(grep -c '^CPNIC 0700: LAN SYSTEM VSWIP is up$' "$LOG")" -gt "$up0" ] && break
		sleep 0.1
	done
	[ "$(grep -c 'logged on again' "$LOG")" = $((n0 + 1)) ] || fail "SIG$sig: LINUX01 did not log on again (once)"
	[ "$(grep -c '^CPNIC 0700: LAN SYSTEM VSWIP is up$' "$LOG")" -gt "$up0" ] || fail "SIG$sig: 0700 not coupled again"
	need "^CPNIC cp:LINUX01: LOGON again, attempt 1: cannot reach cpnetd at $VMSOCK: " "SIG$sig: failed attempts logged"
	need "^CPNIC cp:LINUX01: logged on again to cpnetd at $VMSOCK after [1-9][0-9]* failed attempt\(s\), [0-9.]+ s without CP: LOGON AS  LINUX01 " "SIG$sig: LOGON again logged"
	need '^CPNIC 0600: NIC 0600 of LINUX01 is on cpnetd again \(MAC 02:00:00:' "SIG$sig: 0600 attached again"
	OUT=$(timeout 20 "$BIN/cpnet" q vswitch vsweth det 2>&1)
	grep -qF "Adapter Owner: LINUX01  NIC: 0600.P00" <<<"$OUT" || fail "SIG$sig: CP lacks LINUX01's 0600 again: $OUT"
	OUT=$(timeout 20 "$BIN/cpnet" q vswitch vswip det 2>&1)
	grep -qF "Adapter Owner: LINUX01  NIC: 0700.P00" <<<"$OUT" || fail "SIG$sig: CP lacks LINUX01's 0700 again: $OUT"
done
# The group that had no NICDEF stays without a port; nothing was refused on the way.
refuse 'defines NIC 0[67]00 of LINUX01 again' "a NIC refused after the restart"

# FORCE ends the session for good: both NICs of the link lose their port, no LOGON again.
n0=$(grep -c 'logged on again' "$LOG")
OUT=$(timeout 20 "$BIN/cpnet" force linux01 2>&1) || fail "force: $OUT"
wait_for "$LOG" "CPNIC 0700: cpnetd ended the session of LINUX01" 30 "$HPID" ||
	fail "no session-ended message after FORCE"
need '^CPNIC 0600: cpnetd ended the session of LINUX01 \(LOGOFF or FORCE\): link down, no port$' "0600 told"
sleep 1
[ "$(grep -c 'logged on again' "$LOG")" = "$n0" ] || fail "LINUX01 logged on again after FORCE"
OUT=$(timeout 20 "$BIN/cpnet" q names 2>&1)
! grep -q "LINUX01" <<<"$OUT" || fail "LINUX01 logged on after FORCE: $OUT"
touch "$TMP/close"
wait_for "$LOG" "T_CPNIC_CP_CLOSED" 30 "$HPID" || fail "Hercules did not detach 0600 (rc script)"
need '^CPNIC 0600 closed: ' "close after FORCE"
herc_stop "$HPID"
HPID=
secs=$(echo "$(date +%s.%N) $t0" | awk '{printf "%.1f", $1 - $2}')
echo "ok $T (${secs}s)"
