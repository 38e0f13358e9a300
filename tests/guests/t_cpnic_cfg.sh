#!/bin/bash
# tests/guests/t_cpnic_cfg.sh - the CPNIC module in a guest-less Hercules: device groups from
# config lines, peer joining, refused arguments, devlist text and clean close (no guest, ~2 s).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
T=t_cpnic_cfg
W="$CPNET_GUEST_WORK/$T"
LOG="$W/hercules.log"
MODDIR="$CPNET_TOP/build/hercules"

fail() { echo "FAIL $T: $*"; [ -f "$LOG" ] && tail -n 20 "$LOG" | sed 's/^/  | /'; exit 1; }

guest_prep -H
cat > "$W/hercules.cnf" <<'CNF'
# t_cpnic_cfg: three NICs (one alone, two peered), a bad line, a 4-device NIC.
MAINSIZE 64
NUMCPU   1
ARCHMODE z/Arch
0A00-0A02 CPNIC chpid=0A
0B00-0B02 CPNIC chpid=0B mac=02:00:00:00:0b:99 port=peer:0C00
0C00-0C02 CPNIC chpid=0C port=peer:0B01
0D00-0D03 CPNIC devs=4
0E00 CPNIC mac=03:00:00:00:00:01
0E01 CPNIC port=tap:
0E02 CPNIC bogus
CNF
cat > "$W/hercules.rc" <<'RC'
devlist
detach 0A00
detach 0A01
detach 0A02
message T_CPNIC_DONE
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
need '^CPNIC 0A00-0A02 ready: chpid 0A mac 02:00:00:00:0A:00 port none' "a default NIC"
need '^CPNIC 0B00-0B02 ready: chpid 0B mac 02:00:00:00:0B:99 port peer \(waiting for the peer\)' "first of a peer pair waits"
need '^CPNIC 0C00 joined to peer NIC 0B00$' "second of the pair joins"
need '^CPNIC 0D00-0D03 ready: ' "devs=4 makes one four-device NIC"
need "^CPNIC 0:0E00 refused: bad argument 'mac=03:00:00:00:00:01'" "group MAC refused"
need "^CPNIC 0:0E01 refused: bad argument 'port=tap:'" "empty TAP name refused"
need "^CPNIC 0:0E02 refused: bad argument 'bogus'" "unknown argument refused"
need '^0:0A01 1732 CPNIC 0A00/1 idle L0 port none ' "devlist shows the NIC state"
need '^0:0D03 1732 CPNIC 0D00/3 ' "devlist shows the fourth device"
need '^CPNIC 0A00 closed: idle, tx 0 rx 0 ' "detaching the group closes the NIC"
echo "ok $T (${secs}s)"
