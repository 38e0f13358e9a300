#!/bin/bash
# tests/guests/t_hostile.sh - a hostile real guest and a bystander (two Hercules, cpnetd VSWITCHes):
# forged MACs/IPs, frames past the MTU and a flood are dropped and counted with a reason; the
# bystander's ping series lose nothing; cpnetd and both Hercules stay up.  Needs the s390x
# cross compiler for the helper (tests/guests/hostile.c); SKIP without it.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
T=t_hostile
W="$CPNET_GUEST_WORK/$T"
BIN="$CPNET_TOP/build"
HELPER="$BIN/guests/hostile"
TMP=$(mktemp -d /tmp/cpnet-$T.XXXXXX)
export CPNET_SOCKET="$TMP/cpnetd.sock" CPNET_PASSWORD=OPERATOR
unset CPNET_USER
VMSOCK="$CPNET_SOCKET.vm"
TIMEOUT=${CPNET_GUEST_TIMEOUT:-300}
CPNETD_PID=
BOOT_PIDS=()
HERC_PIDS=()
USERS=(HSTEVIL HSTBYST)

fail() { echo "FAIL $T: $*"; exit 1; }
cleanup() {
	local p
	for p in "${BOOT_PIDS[@]+"${BOOT_PIDS[@]}"}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${BOOT_PIDS[@]+"${BOOT_PIDS[@]}"}"; do wait "$p" 2>/dev/null; done
	for p in "${HERC_PIDS[@]+"${HERC_PIDS[@]}"}"; do herc_stop "$p"; done
	if [ -n "$CPNETD_PID" ]; then
		kill "$CPNETD_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$CPNETD_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$CPNETD_PID" 2>/dev/null
		wait "$CPNETD_PID" 2>/dev/null
	fi
	[ -f "$TMP/cpnetd.err" ] && cp "$TMP/cpnetd.err" "$W/cpnetd.err" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! command -v "${S390X_CC:-s390x-linux-gnu-gcc}" > /dev/null && [ ! -x "$HELPER" ]; then
	echo "SKIP $T: no s390x cross compiler for the helper ($HELPER)"
	exit 0
fi
guest_prep g1 g2
make -s -C "$CPNET_TOP" "build/guests/hostile" >> "$W/make.log" 2>&1 ||
	{ cat "$W/make.log"; fail "building the helper failed"; }
# Guest 1 attacks, guest 2 measures: 10.1.0.N/fd01::N on the ETHERNET switch,
# 10.2.0.N/fd02::N on the IP switch.
for n in 1 2; do
	o=$((3 - n))
	role=hostile
	[ $n = 2 ] && role=bystander
	"$GUESTS_DIR/mkinitrd.sh" -a "$HELPER:/bin/hostile" -p "cpnet.role=$role cpnet.me=${USERS[$((n - 1))]} \
cpnet.a4=10.1.0.$n/24 cpnet.pa4=10.1.0.$o cpnet.a6=fd01::$n/64 cpnet.pa6=fd01::$o \
cpnet.b4=10.2.0.$n/24 cpnet.pb4=10.2.0.$o cpnet.b6=fd02::$n/64 cpnet.pb6=fd02::$o cpnet.wait=$((TIMEOUT - 90)) \
cpnet.qa4=10.1.0.9 cpnet.qb4=10.2.0.9" \
		"$GUESTS_DIR/init-hostile.sh" "$W/g$n" 2> "$W/g$n/mkinitrd.log" ||
		{ cat "$W/g$n/mkinitrd.log"; fail "mkinitrd.sh failed"; }
done

cat > "$TMP/system.config" <<'CFG'
DEFINE VSWITCH HSTETH ETHERNET MACPROTECT ON
DEFINE VSWITCH HSTIP IP
MODIFY VSWITCH HSTETH GRANT HSTEVIL HSTBYST HSTPEER
MODIFY VSWITCH HSTIP GRANT HSTEVIL HSTBYST HSTPEER
AUTOLOG HSTPEER
CFG
cat > "$TMP/user.direct" <<'DIR'
USER OPERATOR OPERATOR ABCDEFG
USER HSTEVIL PW1 G
  NICDEF 0600 TYPE QDIO LAN SYSTEM HSTETH
  NICDEF 0700 TYPE QDIO LAN SYSTEM HSTIP
USER HSTBYST PW2 G
  NICDEF 0600 TYPE QDIO LAN SYSTEM HSTETH
  NICDEF 0700 TYPE QDIO LAN SYSTEM HSTIP
* The bystander's ping partner: a synthetic guest inside cpnetd, so that what the
* series measure is the switch, not the attacker's own (flooded) link.
USER HSTPEER NOLOG G
  NICDEF 0600 TYPE QDIO LAN SYSTEM HSTETH
  IPADDR 0600 10.1.0.9/24
  NICDEF 0700 TYPE QDIO LAN SYSTEM HSTIP
  IPADDR 0700 10.2.0.9/24
DIR
timeout $((TIMEOUT + 120)) "$BIN/cpnetd" --config "$TMP/system.config" --directory "$TMP/user.direct" \
	--socket "$CPNET_SOCKET" > "$TMP/cpnetd.out" 2> "$TMP/cpnetd.err" &
CPNETD_PID=$!
for _ in $(seq 100); do [ -S "$VMSOCK" ] && break; sleep 0.1; done
[ -S "$VMSOCK" ] || fail "cpnetd has no VM socket $VMSOCK: $(cat "$TMP/cpnetd.err")"

t0=$(date +%s)
for n in 1 2; do
	u=${USERS[$((n - 1))]}
	LD_LIBRARY_PATH="$CPNET_TOP/build/hercules${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
		"$GUESTS_DIR/boot.sh" -k -t "$TIMEOUT" \
		-c "0600-0602 CPNIC chpid=06 port=cp:$VMSOCK user=$u password=pw$n" \
		-c "0700-0702 CPNIC chpid=07 port=cp:$VMSOCK user=$u password=pw$n" \
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
secs=$(($(date +%s) - t0))
for n in 1 2; do
	[ "${rcs[$((n - 1))]}" = 0 ] ||
		fail "guest ${USERS[$((n - 1))]} did not reach its marker (boot.sh exit ${rcs[$((n - 1))]}, log $W/g$n/console.log): $(tail -n 3 "$W/g$n/boot.err")"
done

# Nothing fell over: cpnetd and both Hercules are alive.
kill -0 "$CPNETD_PID" 2>/dev/null || fail "cpnetd died (see $W/cpnetd.err)"
for p in "${HERC_PIDS[@]}"; do kill -0 "$p" 2>/dev/null || fail "Hercules $p died"; done

EVIL="$W/g1/console.log"
BYST="$W/g2/console.log"
# The bystander: its series to the peer inside cpnetd (layer 2 and layer 3) lose
# nothing; those to the attacker are reported (the flood fills the attacker's own link).
for s in "10.1.0.9 l2 peer" "10.2.0.9 l3 peer"; do
	grep -qE "^CPNET-GUEST: series $s: 40 packets transmitted, 40 packets received, 0% packet loss" "$BYST" ||
		fail "bystander series $s lost packets: $(grep "series $s" "$BYST")"
done
ATTACKER_SERIES=$(grep -h "series .* attacker:" "$BYST" | sed 's/^CPNET-GUEST: series //' | tr '\n' ';')

# What the hostile guest's kernel accepted: the switch must count exactly that.
sum() { # sum CMD: total "sent" of the helper's lines for CMD
	awk -v c="$1" '$2 == "HOSTILE" && $3 == c && $4 == "sent" { n += $5 } END { print n + 0 }' "$EVIL"
}
MACS=$(sum mac)
IP4=$(sum ip4)
IP6=$(sum ip6)
BIG=$(awk '$2 == "HOSTILE" && $3 == "big" && $4 == "gso" && $5 == "sent" { n += 2 * $6 }
	$2 == "HOSTILE" && $3 == "big" && $4 == "plain" && $6 == "sent" { n++ } END { print n + 0 }' "$EVIL")
FLOOD=$(awk '$2 == "HOSTILE" && $3 == "flood" { print $5 }' "$EVIL")
[ "$MACS" -gt 0 ] && [ "$IP4" -gt 0 ] && [ "$IP6" -gt 0 ] && [ "$BIG" -gt 0 ] && [ "${FLOOD:-0}" -gt 0 ] ||
	fail "the helper sent too little: mac $MACS ip4 $IP4 ip6 $IP6 big $BIG flood ${FLOOD:-none} (see $EVIL)"
grep -E '^CPNET-GUEST: HOSTILE (big plain|flood)' "$EVIL" > "$W/attack.txt"

# block OWNER: OWNER's adapter section of $OUT (from its Adapter Owner line to the next).
block() {
	awk -v o="$1" '/Adapter Owner:/ { mine = ($3 == o) } /Switch discarded/ { mine = 0 } mine' <<<"$OUT"
}
# count TEXT REASON: the value of "TEXT (REASON): n" in the text on stdin, 0 when absent.
count() {
	awk -v t="$1 ($2):" 'index($0, t) { print $NF; f = 1 } END { if (!f) print 0 }'
}
query() { # query SWITCH: QUERY VSWITCH SWITCH DETAILS into $OUT and a file
	OUT=$(timeout 20 "$BIN/cpnet" q vswitch "$1" det 2>&1) || fail "q vswitch $1: $OUT"
	printf '%s\n' "$OUT" > "$W/q-$1.txt"
}
expect() { # expect WHAT GOT WANT
	[ "$2" = "$3" ] || fail "$1: $2, expected $3 (see $W/q-*.txt, $W/nic-*.txt)"
}
within() { # within WHAT GOT MIN MAX
	[ "$2" -ge "$3" ] && [ "$2" -le "$4" ] || fail "$1: $2, expected $3..$4 (see $W/q-*.txt)"
}
# reasons: every discard of the adapter section on stdin has a reason (RX + TX Discarded
# equals the sum of its "Discarded (reason)" lines).
reasons() {
	awk '/RX Packets:/ { d += $5 } /TX Packets:/ { d += $5 } /Discarded \(/ { r += $NF }
		END { if (d != r) { print d " discarded, " r " with a reason"; exit 1 } }'
}
SPOOF="source address not owned"
query HSTETH
expect "HSTETH switch spoof drops" "$(count "Switch discarded" "$SPOOF" <<<"$OUT")" "$MACS"
expect "HSTETH switch too-large drops" "$(count "Switch discarded" "frame too large" <<<"$OUT")" "$BIG"
# The flood outruns Hercules' socket to cpnetd: CPNIC drops (and counts, in Hercules)
# what does not fit, so the switch sees part of it (65-96% measured), never more.
NOPORT=$(count "Switch discarded" "no destination" <<<"$OUT")
within "HSTETH switch no-destination drops" "$NOPORT" $((FLOOD / 4)) "$FLOOD"
B=$(block HSTEVIL)
expect "HSTEVIL 0600 spoof drops" "$(count Discarded "$SPOOF" <<<"$B")" "$MACS"
expect "HSTEVIL 0600 too-large drops" "$(count Discarded "frame too large" <<<"$B")" "$BIG"
expect "HSTEVIL 0600 no-destination drops" "$(count Discarded "no destination" <<<"$B")" "$NOPORT"
r=$(reasons <<<"$B") || fail "HSTEVIL 0600: $r"
B=$(block HSTBYST)
[ -n "$B" ] || fail "q vswitch HSTETH lacks HSTBYST's adapter"
for r in "$SPOOF" "frame too large" "no destination" "no receive buffer"; do
	expect "HSTBYST 0600 '$r' drops" "$(count Discarded "$r" <<<"$B")" 0
done
query HSTIP
expect "HSTIP switch spoof drops" "$(count "Switch discarded" "$SPOOF" <<<"$OUT")" "$((IP4 + IP6))"
B=$(block HSTEVIL)
expect "HSTEVIL 0700 spoof drops" "$(count Discarded "$SPOOF" <<<"$B")" "$((IP4 + IP6))"
r=$(reasons <<<"$B") || fail "HSTEVIL 0700: $r"
B=$(block HSTBYST)
expect "HSTBYST 0700 spoof drops" "$(count Discarded "$SPOOF" <<<"$B")" 0
# The owner's own view: QUERY NIC DETAILS (another session of the logged-on user).
OUT=$(CPNET_USER=HSTEVIL CPNET_PASSWORD=PW1 timeout 20 "$BIN/cpnet" q nic 0600 det 2>&1) ||
	fail "q nic 0600 det as HSTEVIL: $OUT"
printf '%s\n' "$OUT" > "$W/nic-0600.txt"
expect "QUERY NIC 0600 spoof drops" "$(count Discarded "$SPOOF" <<<"$OUT")" "$MACS"
expect "QUERY NIC 0600 too-large drops" "$(count Discarded "frame too large" <<<"$OUT")" "$BIG"
OUT=$(CPNET_USER=HSTEVIL CPNET_PASSWORD=PW1 timeout 20 "$BIN/cpnet" q nic 0700 det 2>&1) ||
	fail "q nic 0700 det as HSTEVIL: $OUT"
printf '%s\n' "$OUT" > "$W/nic-0700.txt"
expect "QUERY NIC 0700 spoof drops" "$(count Discarded "$SPOOF" <<<"$OUT")" "$((IP4 + IP6))"

# Still serving: cpnetd answers, both guests stay logged on, nobody died meanwhile.
OUT=$(timeout 20 "$BIN/cpnet" q names 2>&1) || fail "q names after the attack: $OUT"
for u in "${USERS[@]}"; do grep -q "$u" <<<"$OUT" || fail "$u no longer logged on: $OUT"; done
kill -0 "$CPNETD_PID" 2>/dev/null || fail "cpnetd died (see $W/cpnetd.err)"
for p in "${HERC_PIDS[@]}"; do kill -0 "$p" 2>/dev/null || fail "Hercules $p died"; done
echo "ok $T (${secs}s: mac $MACS ip4 $IP4 ip6 $IP6 big $BIG flood $FLOOD, $NOPORT reached the switch; $(sed -n 's/.*HOSTILE flood sent [0-9]* .*(\(.*\)).*/\1/p' "$EVIL")); attacker series: ${ATTACKER_SERIES:-none}"
