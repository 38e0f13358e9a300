#!/bin/bash
# tests/guests/t_osatab.sh - a real guest with more addresses than its VSWITCH's OSA holds (RDEVICE
# ... ADDRESSES 4) is reachable on every one of them from the namespace host (root only).
# The guest (init-osatab.sh) gives its layer-3 NIC 8 IPv4 addresses on an IP VSWITCH whose OSA
# (on a TAP) holds 4: the OSA keeps a cache, the rest is installed on miss through CP and the
# controller (doc/osa.md "The address table"). The host pings every address, twice round with
# its neighbour cache flushed (ARP requests miss too); QUERY VSWITCH DETAILS shows the table full,
# evictions and installs on miss, and no frame lost to the miss queue.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
T=t_osatab
need_net python3 timeout

W="$CPNET_GUEST_WORK/$T"
BIN="$CPNET_TOP/build"
TMP=$(mktemp -d /tmp/cpnet-$T.XXXXXX)
export CPNET_SOCKET="$TMP/cpnetd.sock" CPNET_PASSWORD=OPERATOR
unset CPNET_USER
VMSOCK="$CPNET_SOCKET.vm"
TIMEOUT=$CPNET_GUEST_TIMEOUT
PY=$(python3 -c 'import sys; print(sys.executable)') # not a shim: it runs in the namespace
CPNETD_PID=
BOOT_PID=
HERC_PID=

NS=$(tname otns)
BR=$(tname otb)
TAP=$(tname ott)
VH=$(tname oth)
VN=$(tname otn)
BASE=10.75.0 HOST=10.75.0.2 FIRST=10 COUNT=8 TABLE=4

fail() { echo "FAIL $T: $*"; exit 1; }
cleanup() {
	[ -n "$BOOT_PID" ] && { kill -TERM "$BOOT_PID" 2>/dev/null; wait "$BOOT_PID" 2>/dev/null; }
	[ -n "$HERC_PID" ] && herc_stop "$HERC_PID"
	stop_daemon "$CPNETD_PID"
	for l in "$TAP" "$VH" "$BR"; do ip link del "$l" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	for f in cpnetd.out cpnetd.err; do [ -f "$TMP/$f" ] && cp "$TMP/$f" "$W/" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

guest_prep g
"$GUESTS_DIR/mkinitrd.sh" -p "cpnet.base=$BASE cpnet.first=$FIRST cpnet.count=$COUNT cpnet.h3=$HOST \
cpnet.wait=$((TIMEOUT / 2))" "$GUESTS_DIR/init-osatab.sh" "$W/g" 2> "$W/g/mkinitrd.log" ||
	{ cat "$W/g/mkinitrd.log"; fail "mkinitrd.sh failed"; }

# The host: namespace NS behind a bridge holding the OSA's TAP; its ping.
ns_behind_bridge "$NS" "$BR" "$TAP" "$VH" "$VN" "$HOST/24" ||
	fail "cannot build namespace $NS behind bridge $BR with $TAP and $VH"
write_ping_py "$TMP/ping.py"
nsping() { timeout 60 ip netns exec "$NS" "$PY" "$TMP/ping.py" "$@"; }

cat > "$TMP/system.config" <<CFG
RDEVICE 0A00-0A02 TYPE OSA BACKEND TAP $TAP ADDRESSES $TABLE
DEFINE VSWITCH VSWIP RDEV 0A00 CONTROLLER DTCVSW1 IP
MODIFY VSWITCH VSWIP GRANT LINUX01
AUTOLOG DTCVSW1
CFG
cat > "$TMP/user.direct" <<'DIR'
USER OPERATOR OPERATOR ABCDEFG
USER DTCVSW1 NOLOG 64M 64M BG
  CONTROLLER
USER LINUX01 PW1 G
  NICDEF 0700 TYPE QDIO LAN SYSTEM VSWIP
DIR
cpnetd_up "$TMP" 1 $((TIMEOUT + 120)) "$BIN/cpnetd" --config "$TMP/system.config" \
	--directory "$TMP/user.direct" --socket "$CPNET_SOCKET"
[ -S "$VMSOCK" ] || fail "cpnetd has no VM socket $VMSOCK: $(cat "$TMP/cpnetd.err")"
[ "$(grep -c HCPSWU9322I "$TMP/cpnetd.out")" -ge 1 ] ||
	fail "the uplink did not come up: $(grep HCP "$TMP/cpnetd.out" "$TMP/cpnetd.err" | tail -n 5)"
poll 10 link_up "$TAP" || fail "the uplink TAP has no carrier"

t0=$(date +%s)
guest_boot_bg "$W/g" "CPNET-GUEST: ready" \
	"0700-0702 CPNIC chpid=07 port=cp:$VMSOCK user=linux01 password=pw1"
guest_boot_wait "$BOOT_PID" "$W/g"
rc=$?
BOOT_PID=
LOG="$W/g/console.log"
[ $rc = 0 ] || fail "guest did not reach its marker (boot.sh exit $rc, log $LOG): \
$(grep -m 1 'CPNET-GUEST: FAIL' "$LOG") $(tail -n 3 "$W/g/boot.err")"
secs_boot=$(($(date +%s) - t0))
grep -q "^CPNET-GUEST: addresses $COUNT\$" "$LOG" || fail "the guest does not have its $COUNT addresses (log $LOG)"

# Every address, twice round, the host's neighbour cache flushed before each round: each
# ARP request and echo for an address the OSA does not hold now is a miss answered by CP.
for round in 1 2; do
	ip -n "$NS" neigh flush dev "$VN"
	for i in $(seq 0 $((COUNT - 1))); do
		a="$BASE.$((FIRST + i))"
		out=$(nsping "$a" 3) || fail "round $round: host -> guest $a: $out"
	done
done
secs=$(($(date +%s) - t0))

OUT=$(timeout 20 "$BIN/cpnet" q vswitch vswip det 2>&1) || fail "q vswitch vswip det: $OUT"
printf '%s\n' "$OUT" > "$W/q-VSWIP.txt"
grep -qE "^    Address Table: $TABLE of $TABLE " <<<"$OUT" ||
	fail "q vswitch: the OSA's table is not full at $TABLE (see $W/q-VSWIP.txt)"
ev=$(sed -n 's/^    Address Table: .*  Evictions: \([0-9]*\)$/\1/p' <<<"$OUT")
inst=$(sed -n 's/^    Misses Reported: [0-9]*  Installed: \([0-9]*\) .*/\1/p' <<<"$OUT")
lat=$(sed -n 's/.*  Miss Latency: \(avg [0-9]* ms  max [0-9]* ms\)$/\1/p' <<<"$OUT")
[ "${ev:-0}" -gt 0 ] && [ "${inst:-0}" -ge $((COUNT - TABLE)) ] ||
	fail "q vswitch: evictions '${ev:-}', installs on miss '${inst:-}' (see $W/q-VSWIP.txt)"
! grep -qE "^    OSA discarded \((miss queue full|address not installed in time)\)" <<<"$OUT" ||
	fail "q vswitch: frames lost waiting for their address (see $W/q-VSWIP.txt)"
echo "ok $T (${secs}s, boot to ready ${secs_boot}s; $COUNT addresses on a table of $TABLE: $ev evictions, $inst installs on miss, miss latency $lat)"
