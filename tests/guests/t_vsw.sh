#!/bin/bash
# tests/guests/t_vsw.sh - two real guests in two Hercules processes on cpnetd's VSWITCHes (CPNIC
# port=cp:): 0600 layer 2 on an ETHERNET switch, 0700 layer 3 on an IP switch, pinging each other.
# Then (with the s390x cross compiler for tests/guests/ofl.c) MTU 8992, checksum/TSO offloads on,
# and 50 MB each way over IPv6 on both switches at once, md5 equal on both ends.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
T=t_vsw
W="$CPNET_GUEST_WORK/$T"
BIN="$CPNET_TOP/build"
TMP=$(mktemp -d /tmp/cpnet-$T.XXXXXX)
export CPNET_SOCKET="$TMP/cpnetd.sock" CPNET_PASSWORD=OPERATOR
unset CPNET_USER
VMSOCK="$CPNET_SOCKET.vm"
TIMEOUT=$CPNET_GUEST_TIMEOUT
CPNETD_PID=
BOOT_PIDS=()
HERC_PIDS=()

fail() { echo "FAIL $T: $*"; exit 1; }
cleanup() {
	local p
	# A boot.sh still waiting stops its own Hercules on SIGTERM.
	for p in "${BOOT_PIDS[@]+"${BOOT_PIDS[@]}"}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${BOOT_PIDS[@]+"${BOOT_PIDS[@]}"}"; do wait "$p" 2>/dev/null; done
	for p in "${HERC_PIDS[@]+"${HERC_PIDS[@]}"}"; do herc_stop "$p"; done
	stop_daemon "$CPNETD_PID"
	[ -f "$TMP/cpnetd.err" ] && cp "$TMP/cpnetd.err" "$W/cpnetd.err" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

guest_prep g1 g2
# The offload helper (ethtool -K/-k for busybox) needs the s390x cross compiler.
OFL="$BIN/guests/ofl"
MB=${CPNET_OFFLOAD_MB:-50}
ADD=()
EXTRA=0 # seconds the offload part may add (boot.sh's wait, cpnetd's life): ~10 s per MB here
if command -v "${S390X_CC:-s390x-linux-gnu-gcc}" > /dev/null || [ -x "$OFL" ]; then
	make -s -C "$CPNET_TOP" "build/guests/ofl" >> "$W/make.log" 2>&1 ||
		{ cat "$W/make.log"; fail "building the offload helper failed"; }
	ADD=(-a "$OFL:/bin/ofl")
	EXTRA=$((MB * 10))
else
	echo "note $T: no s390x cross compiler: offloads and the ${MB} MB transfers are not tested"
fi
# Guest N: 10.1.0.N on the ETHERNET switch (and fd01::N), 10.2.0.N and fd02::N on the IP switch.
for n in 1 2; do
	o=$((3 - n))
	"$GUESTS_DIR/mkinitrd.sh" "${ADD[@]+"${ADD[@]}"}" -p "cpnet.me=LINUX0$n cpnet.a4=10.1.0.$n/24 cpnet.pa4=10.1.0.$o \
cpnet.a6=fd01::$n/64 cpnet.pa6=fd01::$o cpnet.b4=10.2.0.$n/24 cpnet.pb4=10.2.0.$o \
cpnet.b6=fd02::$n/64 cpnet.pb6=fd02::$o cpnet.mb=$MB cpnet.wait=$((TIMEOUT - 60))" \
		"$GUESTS_DIR/init-vsw.sh" "$W/g$n" 2> "$W/g$n/mkinitrd.log" ||
		{ cat "$W/g$n/mkinitrd.log"; fail "mkinitrd.sh failed"; }
done

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
  NICDEF 0700 TYPE QDIO LAN SYSTEM VSWIP
DIR
timeout $((TIMEOUT + EXTRA + 120)) "$BIN/cpnetd" --config "$TMP/system.config" --directory "$TMP/user.direct" \
	--socket "$CPNET_SOCKET" > "$TMP/cpnetd.out" 2> "$TMP/cpnetd.err" &
CPNETD_PID=$!
poll 30 test -S "$VMSOCK"
[ -S "$VMSOCK" ] || fail "cpnetd has no VM socket $VMSOCK: $(cat "$TMP/cpnetd.err")"

# Both guests at once; boot.sh -k leaves each Hercules running after its marker (the
# other guest still pings it) and prints its pid.  LINUX02 reads its password from a file.
printf 'pw2\n' > "$TMP/pw2"
t0=$(date +%s)
for n in 1 2; do
	if [ $n = 1 ]; then pw="password=pw1"; else pw="pwfile=$TMP/pw2"; fi
	CPNET_GUEST_TIMEOUT=$((TIMEOUT + EXTRA)) guest_boot_bg "$W/g$n" "CPNET-GUEST: init ok" \
		"0600-0602 CPNIC chpid=06 port=cp:$VMSOCK user=linux0$n $pw" \
		"0700-0702 CPNIC chpid=07 port=cp:$VMSOCK user=linux0$n $pw"
	BOOT_PIDS+=("$BOOT_PID")
done
rcs=()
for i in 0 1; do
	guest_boot_wait "${BOOT_PIDS[$i]}" "$W/g$((i + 1))"
	rcs+=($?)
	[ -n "$HERC_PID" ] && HERC_PIDS+=("$HERC_PID")
done
BOOT_PIDS=()
secs=$(($(date +%s) - t0))
for n in 1 2; do
	[ "${rcs[$((n - 1))]}" = 0 ] ||
		fail "guest LINUX0$n did not reach its marker (boot.sh exit ${rcs[$((n - 1))]}, log $W/g$n/console.log): $(tail -n 3 "$W/g$n/boot.err")"
done

for n in 1 2; do
	o=$((3 - n))
	LOG="$W/g$n/console.log"
	need() { grep -qE -- "$1" "$LOG" || fail "LINUX0$n: log lacks /$1/ ($2)"; }
	need "^CPNIC 0600: logged on to cpnetd at $VMSOCK: LOGON AS  LINUX0$n " "LOGON"
	need "^CPNIC 0600-0602 ready: chpid 06 mac 02:00:00:.* port cp:LINUX0$n$" "NIC 0600 on the link"
	need "^CPNIC 0700-0702 ready: chpid 07 mac 02:00:00:.* port cp:LINUX0$n$" "NIC 0700 on the link"
	need '^CPNIC 0600: LAN SYSTEM VSWETH is up$' "0600 coupled"
	need '^CPNIC 0700: LAN SYSTEM VSWIP is up$' "0700 coupled"
	need '^CPNET-GUEST: online 0600 layer2 1 ' "qeth online in layer 2"
	need '^CPNET-GUEST: online 0700 layer2 0 ' "qeth online in layer 3"
	need "^CPNET-GUEST: addr eth0 inet 10\.1\.0\.$n/24 " "IPv4 on the layer-2 interface"
	need "^CPNET-GUEST: ping4 10\.1\.0\.$o l2: [0-9]+ packets transmitted, [1-9][0-9]* packets received" "IPv4 over the ETHERNET switch"
	need "^CPNET-GUEST: ping6 fd01::$o l2: [0-9]+ packets transmitted, [1-9][0-9]* packets received" "IPv6 over the ETHERNET switch"
	need "^CPNET-GUEST: ping4 10\.2\.0\.$o l3: [0-9]+ packets transmitted, [1-9][0-9]* packets received" "IPv4 over the IP switch"
	need '^CPNET-GUEST: init ok$' "final marker"
done

# Offloads: all of them on in both layers (CPNIC is no z/VM NIC by default, so Linux offers
# IPv4 and IPv6 checksums and TSO), the assists it started (its own dmesg lines), and every
# byte across, both ways, both layers.
xfer=
if [ ${#ADD[@]} -gt 0 ]; then
	val() { sed -n "s/^CPNET-GUEST: $2 \([0-9a-f]*\).*/\1/p" "$W/g$1/console.log" | tail -n 1; }
	for n in 1 2; do
		o=$((3 - n))
		LOG="$W/g$n/console.log"
		need() { grep -qE -- "$1" "$LOG" || fail "LINUX0$n: log lacks /$1/ ($2)"; }
		need '^CPNET-GUEST: OFL eth0 rx=1 tx=1 sg=1 tso=1$' "layer 2: checksums both ways and TSO on"
		need '^CPNET-GUEST: OFL eth1 rx=1 tx=1 sg=1 tso=1$' "layer 3: checksums both ways and TSO on"
		for d in 0600 0700; do
			for v in 4 6; do
				need "^CPNET-GUEST: dmesg .*qeth 0\.0\.$d: HW Checksumming \(inbound IPv$v\) enabled" "$d inbound checksum IPv$v"
				need "^CPNET-GUEST: dmesg .*qeth 0\.0\.$d: HW Checksumming \(outbound IPv$v\) enabled" "$d outbound checksum IPv$v"
			done
			need "^CPNET-GUEST: dmesg .*qeth 0\.0\.$d: TSOv4 enabled \(MSS: 8952\)" "$d TSO IPv4"
			need "^CPNET-GUEST: dmesg .*qeth 0\.0\.$d: TSOv6 enabled \(MSS: 8932\)" "$d TSO IPv6"
		done
		need "^CPNET-GUEST: data md5 [0-9a-f]{32} bytes $((MB * 1048576))\$" "test data"
		for l in l2 l3; do
			need "^CPNET-GUEST: sent $l in [0-9]+s$" "$l sent"
			need "^CPNET-GUEST: got $l md5 [0-9a-f]{32} bytes $((MB * 1048576))\$" "$l received whole"
			[ "$(val $n "got $l md5")" = "$(val $o "data md5")" ] ||
				fail "LINUX0$n received on $l md5 $(val $n "got $l md5"), LINUX0$o sent $(val $o "data md5")"
		done
	done
	xfer=", ${MB} MB each way in both layers with offloads: $(sed -n 's/^CPNET-GUEST: sent \(l[23] in [0-9]*s\)$/\1/p' "$W/g1/console.log" | tr '\n' ' ')"
fi

# CP's view: both adapters with their owners, traffic both ways, layer-3 registrations.
counts() { # counts OWNER: RX and TX packets of OWNER's adapter in $OUT
	printf '%s\n' "$OUT" | awk -v o="$1" '
		/Adapter Owner:/ { mine = ($3 == o) }
		mine && /RX Packets:/ { rx = $3 }
		mine && /TX Packets:/ { tx = $3 }
		END { print rx + 0, tx + 0 }'
}
for sw in VSWETH VSWIP; do
	OUT=$(timeout 20 "$BIN/cpnet" q vswitch $sw det 2>&1) || fail "q vswitch $sw: $OUT"
	printf '%s\n' "$OUT" > "$W/q-$sw.txt"
	line() { grep -qxF -- "$1" <<<"$OUT" || fail "q vswitch $sw lacks '$1' (see $W/q-$sw.txt)"; }
	line "  Adapter Connections: Connected: 2"
	vdev=0600 layer=2
	[ $sw = VSWIP ] && vdev=0700 layer=3
	for u in LINUX01 LINUX02; do
		line "    Adapter Owner: $u  NIC: $vdev.P00 Name: UNASSIGNED  Type: QDIO"
		read -r rx tx < <(counts $u)
		[ "$rx" -gt 0 ] && [ "$tx" -gt 0 ] || fail "q vswitch $sw: $u RX $rx TX $tx (see $W/q-$sw.txt)"
	done
	grep -qE "Port: [0-9]+  Layer: $layer  State: Started" <<<"$OUT" ||
		fail "q vswitch $sw: no started layer-$layer port (see $W/q-$sw.txt)"
done
OUT=$(cat "$W/q-VSWIP.txt")
for ip in 10.2.0.1 10.2.0.2; do
	grep -qxF "        $ip" <<<"$OUT" || fail "q vswitch VSWIP lacks registered $ip"
done

# FORCE ends LINUX02's session: its Hercules hears it, its NICs lose their port.
OUT=$(timeout 20 "$BIN/cpnet" force linux02 2>&1) || fail "force linux02: $OUT"
wait_for "$W/g2/console.log" "CPNIC 0600: cpnetd ended the session of LINUX02" 30 "${HERC_PIDS[1]}" ||
	fail "LINUX02's Hercules did not report the FORCE"
echo "ok $T (${secs}s${xfer% })"
