#!/bin/bash
# tests/guests/t_hdl.sh - builds hercules/ modules and loads them into a guest-less Hercules 3.13.
# Proves the out-of-tree tool chain: HDL dependency check, device-type autoload, init/query/close.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
T=t_hdl
W="$CPNET_GUEST_WORK/$T"
LOG="$W/hercules.log"
MODDIR="$CPNET_TOP/build/hercules"

fail() { echo "FAIL $T: $*"; [ -f "$LOG" ] && tail -n 20 "$LOG" | sed 's/^/  | /'; exit 1; }

guest_prep -H
# Every symbol a module needs must resolve (a source file missing from hercules/Makefile
# links fine and only shows at device init: "HHCCF042E Device type CPNIC not recognized").
# (ldd -r also lists what Hercules's own libraries take from the executable: only the
# module's own lines count.)
for so in "$MODDIR"/hdt*.so; do
	rep=$(ldd -r "$so" 2>&1)
	undef=$(grep -F "undefined symbol" <<<"$rep" | grep -F "($so)")
	[ -z "$undef" ] || fail "$(basename "$so") has undefined symbols: ${undef:0:400}"
done
cat > "$W/hercules.cnf" <<'CNF'
# t_hdl: no guest, only the probe device type (autoloaded as hdtcpnetnop.so).
MAINSIZE 64
NUMCPU   1
ARCHMODE z/Arch
0A00 CPNETNOP
0A01 CPNETNOP trace
CNF
# attach with a bad argument must be refused; detach must call close; with no
# device left the module can be unloaded. The last line is the end marker.
cat > "$W/hercules.rc" <<'RC'
devlist
attach 0A02 CPNETNOP bogus
lsmod
detach 0A00
detach 0A01
rmmod hdtcpnetnop
message T_HDL_DONE
RC
t0=$(date +%s.%N)
LD_LIBRARY_PATH="$MODDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" herc_start "$W" "$LOG"
pid=$HERC_PID
wait_for "$LOG" "HHCPN013I" 60 "$pid"
rc=$?
sleep 0.5
herc_stop "$pid"
secs=$(echo "$(date +%s.%N) $t0" | awk '{printf "%.1f", $1 - $2}')
[ $rc = 0 ] || fail "Hercules did not finish its .rc script (wait rc $rc)"

need() { grep -qE -- "$1" "$LOG" || fail "log lacks /$1/ ($2)"; }
refuse() { ! grep -qE -- "$1" "$LOG" || fail "log has /$1/ ($2)"; }
refuse 'HHCHD00[0-9]E|HHCHD01[0-9]E' "an HDL load error"
refuse 'HHCCF04[0-9]E.*0A0[01]' "a device statement error for 0A00/0A01"
need '^CPNETNOP 0:0A00 initialised$' "init of a plain device"
need '^CPNETNOP 0:0A01 initialised \(trace\)$' "init with an argument"
need '^0:0A00 9002 cpnet build probe open ?$' "devlist shows the query handler's text"
need '^0:0A01 9002 cpnet build probe trace open ?$' "devlist per-device state"
need "^CPNETNOP 0:0A02 refused: unknown argument 'bogus'" "bad argument refused by init"
refuse '^0:0A02 ' "the refused device is not attached"
need 'hdtcpnetnop' "lsmod lists the module"
need '^CPNETNOP 0:0A00 closed after 0 CCWs$' "detach calls close"
need '^CPNETNOP 0:0A01 closed after 0 CCWs$' "detach calls close (trace device)"
need '^CPNETNOP module unloaded$' "rmmod runs the final section"
echo "ok $T (${secs}s)"
