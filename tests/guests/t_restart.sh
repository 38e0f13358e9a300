#!/bin/bash
# tests/guests/t_restart.sh - cpnetd restarts under two real guests (CPNIC port=cp:, Hercules each):
# stopped once with SIGTERM, once with SIGKILL, started again with the same config; the guests
# log on again by themselves, their NICs are coupled again and both pings (layer 2 on an ETHERNET
# VSWITCH, layer 3 on an IP VSWITCH) answer within 5 s of the restart (the time is printed).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
T=t_restart
W="$CPNET_GUEST_WORK/$T"
BIN="$CPNET_TOP/build"
TMP=$(mktemp -d /tmp/cpnet-rst.XXXXXX)
export CPNET_SOCKET="$TMP/cpnetd.sock" CPNET_PASSWORD=OPERATOR
unset CPNET_USER
VMSOCK="$CPNET_SOCKET.vm"
TIMEOUT=${CPNET_GUEST_TIMEOUT:-300}
RECOVER_MAX=5		# seconds from the restart until both pings of both guests answer
CPNETD_PID=
BOOT_PIDS=()
HERC_PIDS=()

fail() { echo "FAIL $T: $*"; exit 1; }
stop_cpnetd() { # stop_cpnetd SIGNAL
	local child
	[ -n "$CPNETD_PID" ] || return 0
	# CPNETD_PID is timeout's: it passes SIGTERM on; SIGKILL must hit cpnetd itself.
	child=$(pgrep -P "$CPNETD_PID" -x cpnetd)
	kill "-$1" "${child:-$CPNETD_PID}" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$CPNETD_PID" 2>/dev/null || break; sleep 0.1; done
	# Never leave cpnetd behind: it would hold the test lock it inherited.
	[ -n "$child" ] && kill -9 "$child" 2>/dev/null
	kill -9 "$CPNETD_PID" 2>/dev/null
	wait "$CPNETD_PID" 2>/dev/null
	CPNETD_PID=
}
cleanup() {
	local p
	for p in "${BOOT_PIDS[@]+"${BOOT_PIDS[@]}"}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${BOOT_PIDS[@]+"${BOOT_PIDS[@]}"}"; do wait "$p" 2>/dev/null; done
	for p in "${HERC_PIDS[@]+"${HERC_PIDS[@]}"}"; do herc_stop "$p"; done
	stop_cpnetd TERM
	[ -f "$TMP/cpnetd.err" ] && cp "$TMP/cpnetd.err" "$W/cpnetd.err" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_cpnetd() {
	timeout $((TIMEOUT + 300)) "$BIN/cpnetd" --config "$TMP/system.config" \
		--directory "$TMP/user.direct" --socket "$CPNET_SOCKET" >> "$TMP/cpnetd.out" 2>> "$TMP/cpnetd.err" &
	CPNETD_PID=$!
}

guest_prep g1 g2
for n in 1 2; do
	o=$((3 - n))
	"$GUESTS_DIR/mkinitrd.sh" -p "cpnet.me=LINUX0$n cpnet.a4=10.1.0.$n/24 cpnet.pa4=10.1.0.$o \
cpnet.b4=10.2.0.$n/24 cpnet.pb4=10.2.0.$o cpnet.wait=$((TIMEOUT - 60))" \
		"$GUESTS_DIR/init-restart.sh" "$W/g$n" 2> "$W/g$n/mkinitrd.log" ||
		{ cat "$W/g$n/mkinitrd.log"; fail "mkinitrd.sh failed"; }
done

cat > "$TMP/system.config" <<'CFG'
DEFINE VSWITCH VSWETH ETHERNET
DEFINE VSWITCH VSWIP IP
MODIFY VSWITCH VSWETH GRANT LINUX01 LINUX02
MODIFY VSWITCH VSWIP GRANT LINUX01 LINUX02
CFG
# MACIDs: a NIC keeps its MAC whatever order the guests log on in after the restart.
cat > "$TMP/user.direct" <<'DIR'
USER OPERATOR OPERATOR ABCDEFG
USER LINUX01 PW1 G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWETH MACID 000106
  NICDEF 0700 TYPE QDIO LAN SYSTEM VSWIP MACID 000107
USER LINUX02 PW2 G
  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWETH MACID 000206
  NICDEF 0700 TYPE QDIO LAN SYSTEM VSWIP MACID 000207
DIR
start_cpnetd
for _ in $(seq 100); do [ -S "$VMSOCK" ] && break; sleep 0.1; done
[ -S "$VMSOCK" ] || fail "cpnetd has no VM socket $VMSOCK: $(cat "$TMP/cpnetd.err")"

t0=$(date +%s)
for n in 1 2; do
	LD_LIBRARY_PATH="$CPNET_TOP/build/hercules${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
		"$GUESTS_DIR/boot.sh" -k -t "$TIMEOUT" -m "CPNET-GUEST: pinging" \
		-c "0600-0602 CPNIC chpid=06 port=cp:$VMSOCK user=linux0$n password=pw$n" \
		-c "0700-0702 CPNIC chpid=07 port=cp:$VMSOCK user=linux0$n password=pw$n" \
		"$W/g$n" "$W/g$n/console.log" > "$W/g$n/boot.pid" 2> "$W/g$n/boot.err" &
	BOOT_PIDS+=($!)
done
rcs=()
for i in 0 1; do
	wait "${BOOT_PIDS[$i]}"
	rcs+=($?)
	p=$(tail -n 1 "$W/g$((i + 1))/boot.pid" 2>/dev/null)
	[ -n "$p" ] && HERC_PIDS+=("$p")
done
BOOT_PIDS=()
for n in 1 2; do
	[ "${rcs[$((n - 1))]}" = 0 ] ||
		fail "guest LINUX0$n did not reach its marker (boot.sh exit ${rcs[$((n - 1))]}, log $W/g$n/console.log): $(tail -n 3 "$W/g$n/boot.err")"
done
[ "${#HERC_PIDS[@]}" = 2 ] || fail "boot.sh did not leave two Hercules processes"
echo "  booted in $(($(date +%s) - t0))s"

LOGS=("$W/g1/console.log" "$W/g2/console.log")
GOOD='^CPNET-GUEST: reach [0-9]+ l2 ok l3 ok carrier 1 1$'

# first_after LOG OFFSET REGEX: the first line after byte OFFSET of LOG matching REGEX.
first_after() { # (no pipe: grep -m 1 ending first would fail the pipeline under pipefail)
	grep -m 1 -E -- "$3" < <(tail -c +"$(($2 + 1))" "$1")
}
# wait_after OFFSETS... : until every log has a line matching $RE after its offset, or
# $LIMIT seconds; sets WHEN[i] (seconds since $T0) for each log.
wait_after() {
	local i t found
	WHEN=("" "")
	while :; do
		found=0
		t=$(date +%s.%N)
		for i in 0 1; do
			if [ -z "${WHEN[$i]}" ] && first_after "${LOGS[$i]}" "${OFFS[$i]}" "$RE" > /dev/null; then
				WHEN[$i]=$(awk -v a="$t" -v b="$T0" 'BEGIN { printf "%.2f", a - b }')
			fi
			[ -n "${WHEN[$i]}" ] && found=$((found + 1))
		done
		[ $found = 2 ] && return 0
		awk -v a="$t" -v b="$T0" -v l="$LIMIT" 'BEGIN { exit !(a - b >= l) }' && return 1
		for i in 0 1; do
			kill -0 "${HERC_PIDS[$i]}" 2>/dev/null || fail "LINUX0$((i + 1))'s Hercules ended (log ${LOGS[$i]})"
		done
		sleep 0.1
	done
}
offsets() { OFFS=("$(wc -c < "${LOGS[0]}")" "$(wc -c < "${LOGS[1]}")"); }

# Steady state first: both guests reach each other on both switches.
offsets
T0=$(date +%s.%N) RE=$GOOD LIMIT=30
wait_after || fail "the guests do not reach each other before the restart (see ${LOGS[*]})"

for sig in TERM KILL; do
	# cpnetd goes: each guest's LAN goes down (carrier 0: STOPLAN) and the pings fail.
	offsets
	stop_cpnetd $sig
	[ $sig = KILL ] && rm -f "$CPNET_SOCKET" "$VMSOCK"	# what a killed cpnetd leaves
	T0=$(date +%s.%N) RE='^CPNET-GUEST: reach [0-9]+ l2 fail l3 fail carrier 0 0$' LIMIT=20
	wait_after || fail "SIG$sig: a guest did not see its LANs go down (see ${LOGS[*]})"
	for i in 0 1; do
		first_after "${LOGS[$i]}" "${OFFS[$i]}" "^CPNIC 0600: session of LINUX0$((i + 1)) lost \\(" > /dev/null ||
			fail "SIG$sig: LINUX0$((i + 1))'s CPNIC did not report the lost session"
	done
	echo "  SIG$sig: both guests saw their LANs go down after ${WHEN[0]}s / ${WHEN[1]}s"

	# Same config again: time until both pings of both guests answer.
	offsets
	T0=$(date +%s.%N)
	start_cpnetd
	RE=$GOOD LIMIT=30
	wait_after || fail "SIG$sig: no traffic 30 s after cpnetd restarted (see ${LOGS[*]})"
	echo "  SIG$sig: traffic again ${WHEN[0]}s (LINUX01) / ${WHEN[1]}s (LINUX02) after cpnetd restarted"
	for i in 0 1; do
		awk -v w="${WHEN[$i]}" -v m=$RECOVER_MAX 'BEGIN { exit !(w <= m) }' ||
			fail "SIG$sig: LINUX0$((i + 1)) needed ${WHEN[$i]}s (more than ${RECOVER_MAX}s)"
		l=$(first_after "${LOGS[$i]}" "${OFFS[$i]}" "^CPNIC cp:LINUX0$((i + 1)): logged on again ") ||
			fail "SIG$sig: LINUX0$((i + 1)) has no logged-on-again line"
		echo "  ${l#CPNIC }"
		first_after "${LOGS[$i]}" "${OFFS[$i]}" '^CPNIC 0700: LAN SYSTEM VSWIP is up$' > /dev/null ||
			fail "SIG$sig: LINUX0$((i + 1))'s 0700 not coupled again"
	done

	# CP's view: both guests' NICs on both switches again, the layer-3 addresses registered
	# again by the guests' qeth (its recovery after STARTLAN).
	for sw in VSWETH VSWIP; do
		OUT=$(timeout 20 "$BIN/cpnet" q vswitch $sw det 2>&1) || fail "SIG$sig: q vswitch $sw: $OUT"
		printf '%s\n' "$OUT" > "$W/q-$sw-$sig.txt"
		vdev=0600
		[ $sw = VSWIP ] && vdev=0700
		grep -qxF "  Adapter Connections: Connected: 2" <<<"$OUT" ||
			fail "SIG$sig: q vswitch $sw: not 2 connected (see $W/q-$sw-$sig.txt)"
		for u in LINUX01 LINUX02; do
			grep -qxF "    Adapter Owner: $u  NIC: $vdev.P00 Name: UNASSIGNED  Type: QDIO" <<<"$OUT" ||
				fail "SIG$sig: q vswitch $sw lacks $u's $vdev (see $W/q-$sw-$sig.txt)"
		done
	done
	for ip in 10.2.0.1 10.2.0.2; do
		grep -qxF "        $ip" <<<"$OUT" || fail "SIG$sig: $ip not registered again on VSWIP"
	done
done

for i in 0 1; do
	kill -0 "${HERC_PIDS[$i]}" 2>/dev/null || fail "LINUX0$((i + 1))'s Hercules ended"
	! grep -qE 'Kernel panic|[Dd]isabled wait' "${LOGS[$i]}" ||
		fail "LINUX0$((i + 1)): a crash in the log"
done
# The frames a guest sent while CP was away were dropped and counted (close line).
for i in 0 1; do
	herc_stop "${HERC_PIDS[$i]}"
done
HERC_PIDS=()
for i in 0 1; do
	l=$(grep -m 1 -E '^CPNIC 0600 closed: ' "${LOGS[$i]}") || { echo "  (LINUX0$((i + 1)): Hercules ended without the close line)"; continue; }
	# Frames sent while cpnetd was away are dropped and counted, but whether the guest
	# sent any in that gap (its LAN was down) is up to its timing: reported, not required.
	echo "  LINUX0$((i + 1)): ${l#CPNIC }"
done
echo "ok $T"
