#!/bin/bash
# tests/guests/t_boot.sh - real-guest smoke test: Debian s390x boots to our /init under Hercules.
# Proves the test bed (kernel, initramfs, .ins IPL, console capture) and that the qeth stack loads.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
T=t_boot
W="$CPNET_GUEST_WORK/$T"
LOG="$W/console.log"

fail() { echo "FAIL $T: $*"; exit 1; }

guest_prep -H
"$GUESTS_DIR/mkinitrd.sh" "$GUESTS_DIR/init-boot.sh" "$W" 2> "$W/mkinitrd.log" ||
	{ cat "$W/mkinitrd.log"; fail "mkinitrd.sh failed"; }
t0=$(date +%s)
# The probe device type from hercules/ rides along: its module's SENSE ID answer
# must reach the guest's channel subsystem.
LD_LIBRARY_PATH="$CPNET_TOP/build/hercules${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
	"$GUESTS_DIR/boot.sh" -t "$CPNET_GUEST_TIMEOUT" -c "0A00 CPNETNOP trace" "$W" "$LOG"
rc=$?
secs=$(($(date +%s) - t0))
[ $rc = 0 ] || fail "guest did not reach its marker (boot.sh exit $rc, log $LOG)"

# Every module of the load order must report a successful insmod, in that order.
expect=$(sed 's/^/CPNET-GUEST: insmod /; s/$/ ok/' <<'MODS'
ccwgroup
qeth
llc
stp
bridge
qeth_l2
qeth_l3
MODS
)
got=$(grep -o 'CPNET-GUEST: insmod .*' "$LOG")
[ "$got" = "$expect" ] || fail "insmod lines differ from the expected order:
$got"
grep -q '^CPNET-GUEST: init started, kernel 6\.1\.0-[0-9]*-s390x' "$LOG" || fail "no init start line with a 6.1 kernel"
grep -qx 'CPNET-GUEST: qeth driver registered' "$LOG" || fail "qeth ccwgroup driver not registered"
grep -qx 'CPNET-GUEST: ccw 0.0.0a00 cutype 9001/01 devtype 9002/01' "$LOG" ||
	fail "guest did not see the CPNETNOP device with our SENSE ID data"
grep -qx 'CPNETNOP 0:0A00 CCW E4 count [0-9]*' "$LOG" || fail "module traced no SENSE ID CCW"
grep -qx 'CPNET-GUEST: init ok' "$LOG" || fail "no final marker"
echo "ok $T (${secs}s)"
