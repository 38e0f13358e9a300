#!/bin/bash
# bench/guest_stream.sh - `make bench-guests`: real guests' TCP through each way cpnet offers, against Hercules's LCS.
# One run, one guest kernel, interleaved rounds; bench/guest_bench.py measures and prints the one table.
#
# Paths (BENCH_PATHS, comma list, default all), each to a host in one network namespace:
#   lcs     Hercules's LCS on a TAP (0E20, 10.77.0.0/24): the baseline every ratio divides by
#   tap     CPNIC port=tap: layer 2 (0A00, 10.78.0.0/24): the NIC alone
#   vswip   CPNIC port=cp: on cpnetd's IP VSWITCH whose uplink is an OSA on a TAP, bridged to
#           the host (0700, 10.73.0.0/24, layer 3): the product path
#   vswipa  vswip's twin NIC with pci=adaptive (0710, 10.74.0.0/24 on the same VSWITCH and
#           bridge): PCI moderation against vswip's default one PCI per input batch
#   vsweth  the same on an ETHERNET VSWITCH (0600, 10.72.0.0/24, layer 2)
#   g2g     guest <-> guest: a second guest in a second Hercules on the ETHERNET VSWITCH
#           (10.72.0.11); the guests stream to each other, the receiver counts
#   g2gw    g2g's twin pair of NICs with siga=worker (0610, 10.75.0.0/24 on the same switch):
#           every SIGA handed to the CPNIC's worker thread, as before inline SIGAs (not in
#           the default BENCH_PATHS)
# Guest 1 carries every NIC (LINUX01), guest 2 only its VSWETH NIC(s) (LINUX02); both boot once,
# side by side, and serve the host's requests (tests/guests/init-bench.sh, bench-agent.sh).
# Per path and MTU: TCP MB/s guest->host (tx) and host->guest (rx) (g2g: guest 1 -> 2 and
# 2 -> 1), echo RTT, the guest's CPU busy share (/proc/stat), host CPU ms per MB of each
# Hercules and of cpnetd (/proc/PID/stat utime+stime), and the ratio to the LCS of the same
# run (Hercules fixes the LCS at MTU 1500: it is the baseline of every MTU group).
# Knobs (all optional):
#   BENCH_SECS=8          seconds per stream
#   BENCH_ROUNDS=3        interleaved rounds; the table shows medians
#   BENCH_PATHS=...       the paths above to run (lcs is needed for the ratios)
#   BENCH_MTUS=1500,8992  guest MTUs on the CPNICs, one group each
#   BENCH_OFFLOADS=1      1: the guests turn their CPNICs' checksum, scatter-gather and TSO
#                         offloads on (ethtool -K through tests/guests/ofl.c, built with the
#                         s390x cross compiler); 0: off, as Linux brings a qeth device up
#   BENCH_PROFILE=0       1: afterwards perf-record Hercules and perf-stat Hercules and cpnetd
#                         (CPU, context switches, syscalls; uprobes on the CPNIC module count
#                         SIGAs, queue scans, PCIs) while vswip, g2g (those in BENCH_PATHS),
#                         then lcs, stream each way at the last MTU (g2g: LINUX01's Hercules
#                         is recorded, LINUX02's counted too); top functions in ms per MB, counts per MB and per frame;
#                         perf data in build/guests/work/bench/profile/
#   BENCH_TIMERINT        unset: Hercules's default timer interval (50 us: its timer thread
#                         wakes 20,000 times a second); N (1..1000000): TIMERINT N in both
#                         guests' configurations, every path alike
#   BENCH_TIMEOUT         bound of the measuring (default from the knobs above, printed)
#   CPNET_GUEST_TIMEOUT   bound of the boots (tests/guests/lib.sh)
# Needs root (namespace, TUN/TAP), python3, and for lcs /usr/libexec/hercules/hercifc.
# Exit: 0 every path carried traffic, 1 one did not (or set-up failed), 2 bad knob.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
GD=$TOP/tests/guests
. "$GD/lib.sh"

SECS=${BENCH_SECS:-8}
ROUNDS=${BENCH_ROUNDS:-3}
PATHS=${BENCH_PATHS:-lcs,tap,vswip,vswipa,vsweth,g2g}
MTUS=${BENCH_MTUS:-1500,8992}
PROFILE=${BENCH_PROFILE:-0}
OFFLOADS=${BENCH_OFFLOADS:-1}
knob() { echo "guest_stream: $*" >&2; exit 2; }
[[ $SECS =~ ^[1-9][0-9]*$ ]] || knob "BENCH_SECS=$SECS: a whole number of seconds"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || knob "BENCH_ROUNDS=$ROUNDS: a positive count"
[[ $MTUS =~ ^[0-9]+(,[0-9]+)*$ ]] || knob "BENCH_MTUS=$MTUS: comma list of MTUs"
for m in ${MTUS//,/ }; do
	[ "$m" -ge 576 ] && [ "$m" -le 8992 ] || knob "BENCH_MTUS: $m outside 576..8992"
done
[[ $PROFILE =~ ^[01]$ ]] || knob "BENCH_PROFILE=$PROFILE: 0 or 1"
[[ $OFFLOADS =~ ^[01]$ ]] || knob "BENCH_OFFLOADS=$OFFLOADS: 0 or 1"
TIMERINT=${BENCH_TIMERINT:-}
[ -z "$TIMERINT" ] || { [[ $TIMERINT =~ ^[1-9][0-9]{0,6}$ ]] && [ "$TIMERINT" -le 1000000 ]; } ||
	knob "BENCH_TIMERINT=$TIMERINT: microseconds, 1..1000000"
has() { [[ ,$PATHS, == *,$1,* ]]; }
for p in ${PATHS//,/ }; do
	case $p in lcs | tap | vswip | vswipa | vsweth | g2g | g2gw) ;; *) knob "BENCH_PATHS: unknown path '$p' (lcs,tap,vswip,vswipa,vsweth,g2g,g2gw)" ;; esac
done
g2any() { has g2g || has g2gw; }
[ "$PROFILE" = 0 ] || has vswip || g2any || knob "BENCH_PROFILE=1 profiles vswip and g2g: put one in BENCH_PATHS"
NPATHS=$(tr ',' '\n' <<<"$PATHS" | sort -u | grep -c .)
NMTUS=$(tr ',' '\n' <<<"$MTUS" | grep -c .)
# Per step: a stream, its drain (up to 15 s) and the agents' counters; an RTT is 20 echoes.
BUDGET=${BENCH_TIMEOUT:-$((180 + ROUNDS * NMTUS * NPATHS * (2 * SECS + 45) + PROFILE * (6 * SECS + 700)))}
[[ $BUDGET =~ ^[1-9][0-9]*$ ]] || knob "BENCH_TIMEOUT=$BUDGET: seconds"

if [ "$(id -u)" != 0 ]; then
	echo "guest_stream: SKIP (needs root: network namespace, TUN/TAP)"
	exit 0
fi
for c in python3 ip timeout; do
	command -v $c > /dev/null || { echo "guest_stream: SKIP ($c not found)"; exit 0; }
done
if has lcs && [ ! -x /usr/libexec/hercules/hercifc ]; then
	echo "guest_stream: FAIL: no /usr/libexec/hercules/hercifc: Hercules's LCS cannot open a TAP (drop lcs from BENCH_PATHS)"
	exit 1
fi
[ "$PROFILE" = 0 ] || command -v perf > /dev/null || knob "BENCH_PROFILE=1 needs perf"

W=$CPNET_GUEST_WORK/bench
BIN=$TOP/build
TMP=$(mktemp -d /tmp/cpnet-bench.XXXXXX)
export CPNET_SOCKET="$TMP/cpnetd.sock" CPNET_PASSWORD=OPERATOR
unset CPNET_USER
VMSOCK=$CPNET_SOCKET.vm
PY=$(python3 -c 'import sys; print(sys.executable)')
NS=$(tname bns)
TP=$(tname btap)   # CPNIC port=tap:
B3=$(tname bbri)   # IP VSWITCH's LAN: bridge, OSA's TAP
T3=$(tname btai)
B2=$(tname bbre)   # ETHERNET VSWITCH's LAN
T2=$(tname btae)
CPNETD_PID=
WATCH_PID=
BOOT_PIDS=()
HERC_PIDS=()

fail() { echo "guest_stream: FAIL: $*"; exit 1; }
cleanup() {
	local p
	[ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2> /dev/null
	for p in "${BOOT_PIDS[@]+"${BOOT_PIDS[@]}"}"; do kill -TERM "$p" 2> /dev/null; done
	for p in "${BOOT_PIDS[@]+"${BOOT_PIDS[@]}"}"; do wait "$p" 2> /dev/null; done
	for p in "${HERC_PIDS[@]+"${HERC_PIDS[@]}"}"; do herc_stop "$p"; done
	stop_daemon "$CPNETD_PID"
	wait 2> /dev/null
	ip netns del "$NS" 2> /dev/null
	for f in cpnetd.out cpnetd.err; do [ -f "$TMP/$f" ] && cp "$TMP/$f" "$W/"; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

T0=$(date +%s)
"$GD/fetch.sh" > /dev/null || fail "fetch.sh could not provide the guest pieces"
{ [ -x "$BIN/cpnetd" ] && [ -x "$BIN/cpnet" ]; } || fail "build/cpnetd or build/cpnet missing: make all"
rm -rf "$W"
mkdir -p "$W/g1" "$W/g2"
make -s -C "$TOP/hercules" > "$W/make.log" 2>&1 || { cat "$W/make.log"; fail "make -C hercules failed"; }
# The offload helper (ethtool -K for busybox): tests/guests/ofl.c, s390x cross compiler.
ADD=()
if [ "$OFFLOADS" = 1 ]; then
	make -s -C "$TOP" build/guests/ofl >> "$W/make.log" 2>&1 ||
		{ cat "$W/make.log"; fail "building the offload helper failed (BENCH_OFFLOADS=0 runs without)"; }
	ADD=(-a "$BIN/guests/ofl:/bin/ofl" -p cpnet.ofl=1)
fi

# --- guest 1 (every NIC) and guest 2 (g2g's peer): NICs, addresses, Hercules devices -------
NICS1=() CFG1=() CFG2=()
[ -z "$TIMERINT" ] || CFG1+=("TIMERINT $TIMERINT") CFG2+=("TIMERINT $TIMERINT")
has lcs && NICS1+=(lcs:10.77.0.2/24) CFG1+=("0E20-0E21 LCS -n /dev/net/tun 10.77.0.2")
has tap && NICS1+=(tap:10.78.0.2/24) CFG1+=("0A00-0A02 CPNIC chpid=0A mac=02:00:00:00:0a:00 port=tap:$TP")
has vswip && NICS1+=(vswip:10.73.0.10/24) CFG1+=("0700-0702 CPNIC chpid=07 port=cp:$VMSOCK user=linux01 password=pw1")
has vswipa && NICS1+=(vswipa:10.74.0.10/24) CFG1+=("0710-0712 CPNIC chpid=07 port=cp:$VMSOCK user=linux01 password=pw1 pci=adaptive")
if has vsweth || has g2g; then
	NICS1+=(vsweth:10.72.0.10/24) CFG1+=("0600-0602 CPNIC chpid=06 port=cp:$VMSOCK user=linux01 password=pw1")
fi
has g2g && CFG2+=("0600-0602 CPNIC chpid=06 port=cp:$VMSOCK user=linux02 password=pw2")
if has g2gw; then
	NICS1+=(vswethw:10.75.0.10/24)
	CFG1+=("0610-0612 CPNIC chpid=06 port=cp:$VMSOCK user=linux01 password=pw1 siga=worker")
	CFG2+=("0610-0612 CPNIC chpid=06 port=cp:$VMSOCK user=linux02 password=pw2 siga=worker")
fi
nics() { local IFS=,; echo "$*"; }
for g in 1 2; do
	[ $g = 2 ] && ! g2any && continue
	n=$(nics "${NICS1[@]}")
	if [ $g = 2 ]; then
		n=
		has g2g && n=vsweth:10.72.0.11/24
		has g2gw && n=$n${n:+,}vswethw:10.75.0.11/24
	fi
	"$GD/mkinitrd.sh" -m lcs -a "$GD/bench-agent.sh:/etc/bench-agent.sh" "${ADD[@]}" -p "cpnet.nics=$n" \
		"$GD/init-bench.sh" "$W/g$g" 2> "$W/g$g/mkinitrd.log" || { cat "$W/g$g/mkinitrd.log"; fail "mkinitrd.sh failed"; }
done

# --- the host: one namespace with the TAPs, the uplinks' bridges, cpnetd and Hercules ------
ip netns add "$NS" || fail "ip netns add failed"
ip -n "$NS" link set lo up || fail "lo up in $NS"
if has tap; then
	{ ip -n "$NS" tuntap add dev "$TP" mode tap && ip -n "$NS" link set "$TP" mtu 8992 &&
		ip -n "$NS" addr add 10.78.0.1/24 dev "$TP" && ip -n "$NS" link set "$TP" up; } ||
		fail "could not set up $TP in $NS"
fi
NUP=0
SYSCFG=
if has vswip || has vswipa; then
	uplink_lan "$NS" "$B3" "$T3" 10.73.0.1/24 8992 || fail "could not build $B3 with $T3 in $NS"
	ip -n "$NS" addr add 10.74.0.1/24 dev "$B3" || fail "could not add 10.74.0.1 to $B3"
	NUP=$((NUP + 1))
	SYSCFG+="RDEVICE 0A00-0A02 TYPE OSA BACKEND TAP $T3
DEFINE VSWITCH VSWIP RDEV 0A00 CONTROLLER DTCVSW1 IP
MODIFY VSWITCH VSWIP GRANT LINUX01
"
fi
if has vsweth || g2any; then
	uplink_lan "$NS" "$B2" "$T2" 10.72.0.1/24 8992 || fail "could not build $B2 with $T2 in $NS"
	if has g2gw; then	# the host reaches g2gw's agents on the same bridge
		ip -n "$NS" addr add 10.75.0.1/24 dev "$B2" || fail "could not add 10.75.0.1 to $B2"
	fi
	NUP=$((NUP + 1))
	SYSCFG+="RDEVICE 0C00-0C02 TYPE OSA BACKEND TAP $T2
DEFINE VSWITCH VSWETH RDEV 0C00 CONTROLLER DTCVSW2 ETHERNET
MODIFY VSWITCH VSWETH GRANT LINUX01 LINUX02
"
fi
PROCS=()
if [ $NUP -gt 0 ]; then
	printf '%sAUTOLOG DTCVSW1 DTCVSW2\n' "$SYSCFG" > "$TMP/system.config"
	{
		printf 'USER OPERATOR OPERATOR ABCDEFG\n'
		printf 'USER %s NOLOG 64M 64M BG\n  CONTROLLER\n' DTCVSW1 DTCVSW2
		printf 'USER LINUX01 PW1 G\n'
		has vswip && printf '  NICDEF 0700 TYPE QDIO LAN SYSTEM VSWIP\n'
		has vswipa && printf '  NICDEF 0710 TYPE QDIO LAN SYSTEM VSWIP\n'
		{ has vsweth || has g2g; } && printf '  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWETH\n'
		has g2gw && printf '  NICDEF 0610 TYPE QDIO LAN SYSTEM VSWETH\n'
		if g2any; then
			printf 'USER LINUX02 PW2 G\n'
			has g2g && printf '  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWETH\n'
			has g2gw && printf '  NICDEF 0610 TYPE QDIO LAN SYSTEM VSWETH\n'
		fi
	} > "$TMP/user.direct"
	# cpnetd in the namespace: its OSAs open the TAPs there.
	cpnetd_up "$TMP" "$NUP" $((CPNET_GUEST_TIMEOUT + BUDGET + 120)) ip netns exec "$NS" "$BIN/cpnetd" \
		--config "$TMP/system.config" --directory "$TMP/user.direct" --socket "$CPNET_SOCKET" ||
		fail "cpnetd or its $NUP uplink(s) did not come up: $(grep HCP "$TMP/cpnetd.out" "$TMP/cpnetd.err" | tail -n 5)"
	p=$(pgrep -P "$CPNETD_PID")
	p=${p%%$'\n'*}
	[ "$(cat "/proc/$p/comm" 2> /dev/null)" = cpnetd ] || fail "no cpnetd process under $CPNETD_PID"
	PROCS+=(--proc "cpnetd=$p")
fi

# Hercules's LCS creates its TAP (tapN) itself and zeroes its address at LCS STARTUP;
# give it the host address once the LCS has started it (IFF_UP), and again if cleared.
if has lcs; then
	(
		end=$(($(date +%s) + CPNET_GUEST_TIMEOUT + BUDGET))
		while [ "$(date +%s)" -lt "$end" ]; do
			for t in $(ip -n "$NS" -o link show 2> /dev/null | sed -n 's/^[0-9]*: \(tap[0-9]*\):.*[<,]UP[,>].*/\1/p'); do
				grep -q 10.77.0.1 <<<"$(ip -n "$NS" -4 -o addr show dev "$t")" ||
					ip -n "$NS" addr add 10.77.0.1/24 dev "$t" 2> /dev/null
			done
			sleep 0.3
		done
	) &
	WATCH_PID=$!
fi

# Hercules runs in the namespace (TUNSETIFF finds the TAPs there; hercifc, which
# configures the LCS TAP, must be on PATH).
printf '#!/bin/sh\nPATH=/usr/libexec/hercules:$PATH exec ip netns exec %s %s "$@"\n' \
	"$NS" "${CPNET_HERCULES:-hercules}" > "$TMP/hercules-ns"
chmod +x "$TMP/hercules-ns"
export CPNET_HERCULES="$TMP/hercules-ns"
t0=$(date +%s)
guest_boot_bg "$W/g1" "CPNET-GUEST: agent ready" "${CFG1[@]}"
BOOT_PIDS+=("$BOOT_PID")
if g2any; then
	guest_boot_bg "$W/g2" "CPNET-GUEST: agent ready" "${CFG2[@]}"
	BOOT_PIDS+=("$BOOT_PID")
fi
g=0
for b in "${BOOT_PIDS[@]}"; do
	g=$((g + 1))
	guest_boot_wait "$b" "$W/g$g"
	rc=$?
	h=$HERC_PID
	[ -n "$h" ] && HERC_PIDS+=("$h")
	[ $rc = 0 ] || fail "guest $g did not get its NICs up (boot.sh exit $rc, log $W/g$g/console.log): \
$(grep -m 1 'CPNET-GUEST: FAIL' "$W/g$g/console.log") $(tail -n 3 "$W/g$g/boot.err")"
	# the process the statistics come from: Hercules itself (the wrappers exec it)
	[ "$(cat "/proc/$h/comm" 2> /dev/null)" = hercules ] || fail "pid $h of guest $g is not Hercules"
	PROCS+=(--proc "herc$g=$h")
done
BOOT_PIDS=()
echo "guest_stream: guests up in $(($(date +%s) - t0))s; measuring: $ROUNDS round(s) x MTU $MTUS x $PATHS, ${SECS}s streams, budget ${BUDGET}s"
grep -h '^CPNET-GUEST: up ' "$W"/g*/console.log | sed 's/^/  /'

ARGS=(--secs "$SECS" --rounds "$ROUNDS" --mtus "$MTUS" --out "$W/records.jsonl" "${PROCS[@]}")
has lcs && ARGS+=(--path lcs=10.77.0.2)
has tap && ARGS+=(--path tap=10.78.0.2)
has vswip && ARGS+=(--path vswip=10.73.0.10)
has vswipa && ARGS+=(--path vswipa=10.74.0.10)
has vsweth && ARGS+=(--path vsweth=10.72.0.10)
has g2g && ARGS+=(--path g2g=10.72.0.10,10.72.0.11)
has g2gw && ARGS+=(--path g2gw=10.75.0.10,10.75.0.11)
if [ "$PROFILE" = 1 ]; then
	mkdir -p "$W/profile"
	pp=
	for p in vswip g2g g2gw lcs; do has $p && pp=$pp${pp:+,}$p; done
	ARGS+=(--profile "$pp:${MTUS##*,}:$W/profile:$TOP/build/hercules/hdtcpnic.so")
fi
timeout "$BUDGET" ip netns exec "$NS" "$PY" "$TOP/bench/guest_bench.py" "${ARGS[@]}" > "$W/table.txt" 2> "$W/bench.log"
rc=$?
[ $rc = 124 ] && echo "guest_stream: the measuring took longer than its budget (${BUDGET}s, BENCH_TIMEOUT)"
sed 's/^/  /' "$W/bench.log"
echo "guest_stream: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), ran $(($(date +%s) - T0))s"
cat "$W/table.txt"
# PCIs the CPNICs raised (their close lines, once Hercules has stopped): adaptive vs every.
for h in "${HERC_PIDS[@]+"${HERC_PIDS[@]}"}"; do herc_stop "$h"; done
HERC_PIDS=()
pcis=$(grep -ho 'CPNIC 0[67][01]0 closed: .*found)' "$W"/g*/*.log 2> /dev/null | sort -u |
	sed -n 's/^CPNIC \(....\) closed: [a-z-]*, tx [0-9]* rx \([0-9]*\) .* pci \([a-z]*\) \([0-9]*\) for \([0-9]*\) batches.*/\1 \3: \4 PCIs for \5 input batches, \2 frames in/p')
[ -n "$pcis" ] && { echo "guest_stream: PCIs (whole run, per NIC):"; sed 's/^/  /' <<<"$pcis"; }
[ -s "$W/table.txt" ] || fail "no table (see $W/bench.log)"
exit $((rc != 0))
