#!/bin/bash
# tests/guests/boot.sh - IPLs a guest directory made by mkinitrd.sh under headless Hercules 3.13.
# Waits (bounded) for the init's marker line in the console log, then stops Hercules; used by t_*.sh.
#
# Usage: boot.sh [-t SECONDS] [-m MARKER] [-f FAILMARKER] [-c CONFIGLINE]... [-C FILE]...
#                [-r RCLINE]... [-k] BOOTDIR LOGFILE
#   -t  give up after SECONDS (default 240)
#   -m  success marker, a fixed string (default "CPNET-GUEST: init ok")
#   -f  failure marker, a fixed string (default "CPNET-GUEST: FAIL"); a kernel panic also fails
#   -c  extra Hercules configuration line (devices), -C a file of them
#   -r  extra Hercules command run after the IPL (in the .rc file)
#   -k  keep Hercules running after the marker (prints its pid; the caller stops it)
# Environment: CPNET_HERCULES (default hercules), LD_LIBRARY_PATH for out-of-tree modules.
# Exit: 0 marker seen, 1 failure marker or panic, 2 timeout, 3 Hercules ended early, 64 usage.

set -uo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	sed -n '4,15p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 64
}

TIMEOUT=240
MARKER="CPNET-GUEST: init ok"
FAILMARK="CPNET-GUEST: FAIL"
CFG=()
RC=()
KEEP=0
while getopts "t:m:f:c:C:r:kh" opt; do
	case $opt in
	t) TIMEOUT=$OPTARG ;;
	m) MARKER=$OPTARG ;;
	f) FAILMARK=$OPTARG ;;
	c) CFG+=("$OPTARG") ;;
	C) [ -f "$OPTARG" ] || die "config file $OPTARG not found"
	   while IFS= read -r l; do CFG+=("$l"); done < "$OPTARG" ;;
	r) RC+=("$OPTARG") ;;
	k) KEEP=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# = 2 ] || usage
BOOTDIR=$(cd "$1" 2>/dev/null && pwd) || die "boot directory $1 not found"
LOG=$2
[ -f "$BOOTDIR/boot.ins" ] || die "$BOOTDIR/boot.ins missing: build it with mkinitrd.sh"
HERC=${CPNET_HERCULES:-hercules}
command -v "$HERC" >/dev/null || die "$HERC not found: run tests/guests/fetch.sh"
command -v setsid >/dev/null || die "setsid (util-linux) not found"
export CPNET_HERCULES="$HERC"

{
	echo "# cpnet guest (tests/guests/boot.sh)"
	echo "CPUSERIAL 000611"
	echo "MAINSIZE  512"
	echo "NUMCPU    1"
	echo "ARCHMODE  z/Arch"
	echo "OSTAILOR  LINUX"
	echo "PANRATE   SLOW"
	echo "# Hercules refuses a configuration without devices; Linux ignores a 1403."
	echo "000E 1403 /dev/null"
	for l in "${CFG[@]+"${CFG[@]}"}"; do echo "$l"; done
} > "$BOOTDIR/hercules.cnf"
{
	echo "ipl boot.ins"
	for l in "${RC[@]+"${RC[@]}"}"; do echo "$l"; done
} > "$BOOTDIR/hercules.rc"

: > "$LOG" || die "cannot write $LOG"
LOG=$(cd "$(dirname "$LOG")" && pwd)/$(basename "$LOG")
start=$(date +%s.%N)
herc_start "$BOOTDIR" "$LOG"
HPID=$HERC_PID
trap 'herc_stop "$HPID"; exit 130' INT TERM

elapsed() { echo "$(date +%s.%N) $start" | awk '{printf "%.1f", $1 - $2}'; }

status=2
deadline=$(($(date +%s) + TIMEOUT))
while [ "$(date +%s)" -lt "$deadline" ]; do
	if grep -qF -- "$MARKER" "$LOG"; then status=0; break; fi
	if grep -qF -- "$FAILMARK" "$LOG"; then status=1; break; fi
	if grep -qE 'Kernel panic|disabled wait|HHCCP011I' "$LOG"; then status=1; break; fi
	if ! kill -0 "$HPID" 2>/dev/null; then
		grep -qF -- "$MARKER" "$LOG" && status=0 || status=3
		break
	fi
	sleep 0.5
done
t=$(elapsed)

case $status in
0) note "marker \"$MARKER\" after ${t}s" ;;
1) note "guest failed after ${t}s (see $LOG)" ;;
2) note "timeout: no \"$MARKER\" within ${TIMEOUT}s (see $LOG)" ;;
3) note "Hercules ended after ${t}s without the marker (see $LOG)" ;;
esac
if [ $status != 0 ]; then
	echo "---- last lines of $LOG" >&2
	tail -n 15 "$LOG" >&2
fi

if [ $KEEP = 1 ] && [ $status = 0 ]; then
	trap - INT TERM
	echo "$HPID"  # the caller stops it: . lib.sh; herc_stop PID
	exit 0
fi
herc_stop "$HPID"
exit $status
