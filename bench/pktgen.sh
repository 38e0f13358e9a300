#!/usr/bin/env bash
# bench/pktgen.sh - frames/s between two cpnet-pktgen processes (make bench): two ports of
# the port API through cpnetd, on an ETHERNET VSWITCH and on an ETHERNET Guest LAN, against
# the Linux bridge (veth pairs in namespaces this script makes, AF_PACKET mmap rings) and
# Open vSwitch when it is installed (its kernel datapath, else its userspace one), at 64 and
# 1500 bytes.
#
# Per case and size: a sink, then a generator at full speed for SECS s; frames/s = the
# distinct frames the sink took / the time from the send of the oldest of them (its
# timestamp, one host's monotonic clock) to the arrival of the last -- frames a switch
# queued and delivered in a burst cannot shorten that window; loss = sent - received.
# Then the generator again at half the rate the sink measured ("below capacity"): its
# loss is printed too.  ROUNDS rounds, cases interleaved, the median of each.
# Prints `pktgen_<case>_<size>: N Mpps ...` lines (bench/common.c's format).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/testlib.sh
BUILD=${BUILD:-build}
SECS=${PKTGEN_BENCH_SECS:-2}
ROUNDS=${PKTGEN_BENCH_ROUNDS:-3}
SIZES=${PKTGEN_BENCH_SIZES:-64 1500}
PG=$BUILD/cpnet-pktgen
GMAC=02:00:00:00:00:01
SMAC=02:00:00:00:00:02

if [ "$(id -u)" -ne 0 ]; then
	echo "pktgen: SKIP (needs root for namespaces and AF_PACKET)"
	exit 0
fi
[ -x "$PG" ] || { echo "pktgen: $PG missing; run 'make' first" >&2; exit 1; }
TMP=$(mktemp -d /tmp/cpnet-pgb.XXXXXX)
NSG=$(tname pgg)
NSS=$(tname pgs)
NSB=$(tname pgb)
OVSBR=$(tname pgo)
OG=$(tname pgv)
OS=$(tname pgw)
PIDS=()
SPID=
OVS=
OVSSTARTED=
cleanup() {
	local p
	set +e
	[ -z "$SPID" ] || PIDS+=("$SPID")
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	[ -z "$OVS" ] || ovs-vsctl --timeout=10 --if-exists del-br "$OVSBR" >/dev/null 2>&1
	ip link del "$OG" 2>/dev/null
	ip link del "$OS" 2>/dev/null
	[ -z "$OVSSTARTED" ] || timeout 60 "$OVSCTL" stop >/dev/null 2>&1
	for n in "$NSG" "$NSS" "$NSB"; do ip netns del "$n" 2>/dev/null; done
	[ -n "${PKTGEN_BENCH_KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT

# The Linux bridge: generator namespace -- veth -- bridge namespace -- veth -- sink.
ip netns add "$NSG"
ip netns add "$NSS"
ip netns add "$NSB"
ip -n "$NSB" link add br0 type bridge
ip -n "$NSB" link add gb type veth peer name gx netns "$NSG"
ip -n "$NSB" link add sb type veth peer name sx netns "$NSS"
ip -n "$NSG" link set gx address "$GMAC" up
ip -n "$NSS" link set sx address "$SMAC" up
for l in gb sb; do ip -n "$NSB" link set "$l" master br0 up; done
ip -n "$NSB" link set br0 up
# The sink's MAC is known (it never sends, so the bridge could not learn it): a static
# entry, so that the bridge forwards like a learned switch instead of flooding.
bridge -n "$NSB" fdb replace "$SMAC" dev sb master static

# Open vSwitch between two more veth pairs to the same namespaces: its kernel datapath,
# or, where the kernel has no openvswitch module, its userspace datapath (netdev: the
# daemon's own threads move the frames over AF_PACKET) -- the line says which.  The
# daemon is started (and stopped again) here if it is installed and not running.
OVSDP=
# ovs_dp [ARGS]: the bridge, with a datapath (ovs-vsctl exits 0 and only complains on
# stderr when the datapath cannot be made: the bridge is then in OVS's database without
# one, and taken out again).
ovs_dp() {
	: >"$TMP/ovs.err"
	ovs-vsctl --timeout=10 add-br "$OVSBR" "$@" 2>"$TMP/ovs.err" && ! [ -s "$TMP/ovs.err" ] &&
		return 0
	ovs-vsctl --timeout=10 --if-exists del-br "$OVSBR" >/dev/null 2>&1 || true
	return 1
}
OVSCTL=/usr/share/openvswitch/scripts/ovs-ctl
if command -v ovs-vsctl >/dev/null && ! ovs-vsctl --timeout=5 show >/dev/null 2>&1 && [ -x "$OVSCTL" ]; then
	timeout 60 "$OVSCTL" start --system-id=random >"$TMP/ovs-ctl.out" 2>&1 && OVSSTARTED=1
fi
if ! command -v ovs-vsctl >/dev/null; then
	why="ovs-vsctl not installed; Debian's openvswitch-switch (scripts/deps.sh --bench)"
elif ! ovs-vsctl --timeout=5 show >/dev/null 2>&1; then
	why="ovs-vswitchd does not run and ovs-ctl could not start it: $(tail -n 2 "$TMP/ovs-ctl.out" 2>/dev/null | tr '\n' ' ')"
elif ovs_dp; then
	OVSDP="kernel datapath"
elif ovs_dp -- set bridge "$OVSBR" datapath_type=netdev; then
	OVSDP="userspace datapath (netdev): no kernel datapath here"
	grep -q "failed to create datapath" /var/log/openvswitch/ovs-vswitchd.log 2>/dev/null &&
		OVSDP="userspace datapath (netdev): this kernel has no openvswitch module"
else
	why="no datapath: $(tr '\n' ' ' <"$TMP/ovs.err")"
fi
if [ -n "$OVSDP" ]; then
	OVS=1
	ip link add "$OG" type veth peer name ogx netns "$NSG"
	ip link add "$OS" type veth peer name osx netns "$NSS"
	ip -n "$NSG" link set ogx address "$GMAC" up
	ip -n "$NSS" link set osx address "$SMAC" up
	ovs-vsctl --timeout=10 add-port "$OVSBR" "$OG" -- add-port "$OVSBR" "$OS"
	ip link set "$OG" up
	ip link set "$OS" up
	ip link set "$OVSBR" up
	# A flow like the bridge's static entry: frames to the sink's MAC out of its port.
	ovs-ofctl add-flow "$OVSBR" "dl_dst=$SMAC,actions=output:$OS"
else
	echo "pktgen: SKIP Open vSwitch ($why)"
fi

# cpnetd with the two LANs and the two users of the pktgen ports.  The VSWITCH has
# QUEUESTORAGE 64 (MB): what may wait in cpnetd for a sink that is off the CPU -- 45 ms
# of 1500-byte frames at 1 Mpps (the default 8 MB, which the Guest LAN keeps -- a Guest
# LAN has no such operand -- is 6 ms of it; the bridge's sink has a 16 MB receive ring,
# 85 ms at the bridge's 0.13 Mpps).
cat >"$TMP/system.config" <<'CFG'
DEFINE VSWITCH PGVSW RDEV NONE ETHERNET QUEUESTORAGE 64
MODIFY VSWITCH PGVSW GRANT PGA PGB
DEFINE LAN PGLAN OWNERID SYSTEM TYPE QDIO ETHERNET
CFG
cat >"$TMP/user.direct" <<'DIR'
USER OPERATOR OPERATOR ABCDEFG
USER PGA PW G
USER PGB PW G
DIR
"$BUILD/cpnetd" --config "$TMP/system.config" --directory "$TMP/user.direct" \
	--socket "$TMP/sock" >"$TMP/cpnetd.out" 2>"$TMP/cpnetd.err" &
PIDS+=($!)
poll 30 grep -q "ready on" "$TMP/cpnetd.out" ||
	{ cat "$TMP/cpnetd.err" >&2; echo "pktgen: cpnetd did not start" >&2; exit 1; }
CPN=(--socket "$TMP/sock.vm" --password pw)

# sink CASE SIZE / gen CASE ARGS...: the sink and the generator of a case (background /
# fore).  A port's sink posts buffers of the frame size (AF_PACKET's receive ring packs
# frames as tightly).
sink() {
	local o=(--idle 1000 --seconds $((SECS + 20))) b=(--bufsize "$2")
	case $1 in
	bridge) ip netns exec "$NSS" timeout $((SECS + 30)) "$PG" sink --if sx "${o[@]}" ;;
	ovs) ip netns exec "$NSS" timeout $((SECS + 30)) "$PG" sink --if osx "${o[@]}" ;;
	vswitch) timeout $((SECS + 30)) "$PG" sink "${CPN[@]}" --user pgb --vswitch pgvsw "${o[@]}" "${b[@]}" ;;
	glan) timeout $((SECS + 30)) "$PG" sink "${CPN[@]}" --user pgb --lan pglan --owner system "${o[@]}" "${b[@]}" ;;
	esac
}
gen() {
	local c=$1
	shift
	case $c in
	bridge) ip netns exec "$NSG" timeout $((SECS + 30)) "$PG" gen --if gx --src "$GMAC" "$@" ;;
	ovs) ip netns exec "$NSG" timeout $((SECS + 30)) "$PG" gen --if ogx --src "$GMAC" "$@" ;;
	vswitch) timeout $((SECS + 30)) "$PG" gen "${CPN[@]}" --user pga --vswitch pgvsw "$@" ;;
	glan) timeout $((SECS + 30)) "$PG" gen "${CPN[@]}" --user pga --lan pglan --owner system "$@" ;;
	esac
}
# sink_ready CASE: the sink is taking frames (a port: registered, buffers posted).
sink_ready() {
	case $1 in
	bridge | ovs) sleep 0.3 ;;
	*) poll 20 grep -q "^port: " "$TMP/sink.out" ||
		{ cat "$TMP/sink.out" >&2; echo "pktgen: $1 sink did not register" >&2; exit 1; } ;;
	esac
}

# round CASE SIZE RATE: one generator run into a fresh sink; prints
# "FPS LOSS_FRACTION SENT LOST". RATE 0 = full speed.
round() {
	local c=$1 size=$2 rate=$3 sent rx dups late e2e dst=$SMAC ra=()
	# Emptied here, not by the background job's redirection: sink_ready must not find
	# the previous round's "port:" line before the new sink's shell truncates the file.
	: >"$TMP/sink.out"
	sink "$c" "$size" >>"$TMP/sink.out" 2>&1 &
	SPID=$!
	sink_ready "$c"
	[ "$c" = bridge ] || [ "$c" = ovs ] || dst=$(sed -n 's/^port: [0-9A-F]* MAC //p' "$TMP/sink.out")
	[ "$rate" = 0 ] || ra=(--rate "$rate")
	gen "$c" --size "$size" --seconds "$SECS" --dst "$dst" "${ra[@]}" >"$TMP/gen.out" 2>&1 ||
		{ cat "$TMP/gen.out" >&2; echo "pktgen: generator failed ($c)" >&2; exit 1; }
	wait "$SPID" || { cat "$TMP/sink.out" >&2; echo "pktgen: sink failed ($c)" >&2; exit 1; }
	SPID=
	sent=$(sed -n 's/^gen: sent=\([0-9]*\).*/\1/p' "$TMP/gen.out")
	rx=$(sed -n 's/^sink: received=\([0-9]*\).*/\1/p' "$TMP/sink.out")
	dups=$(sed -n 's/.* duplicates=\([0-9]*\).*/\1/p' "$TMP/sink.out")
	late=$(sed -n 's/.* late=\([0-9]*\).*/\1/p' "$TMP/sink.out")
	e2e=$(sed -n 's/.* e2e_secs=\([0-9.]*\) .*/\1/p' "$TMP/sink.out")
	awk -v s="$sent" -v r="$rx" -v d="$dups" -v l="$late" -v e="$e2e" \
		'BEGIN { u = r - d - l; printf "%.0f %.6f %d %d\n", (e > 0 ? u / e : 0), (s > 0 ? (s - u) / s : 1), s, s - u }'
	[ -z "${PKTGEN_BENCH_VERBOSE:-}" ] || cat "$TMP/gen.out" "$TMP/sink.out" >&2
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

CASES=(bridge vswitch glan)
[ -z "$OVS" ] || CASES+=(ovs)
for size in $SIZES; do
	for c in "${CASES[@]}"; do : >"$TMP/$c.$size"; : >"$TMP/$c.$size.half"; done
	for _ in $(seq "$ROUNDS"); do
		for c in "${CASES[@]}"; do
			round "$c" "$size" 0 >>"$TMP/$c.$size"
		done
	done
	for c in "${CASES[@]}"; do
		fps=$(cut -d' ' -f1 "$TMP/$c.$size" | median)
		loss=$(cut -d' ' -f2 "$TMP/$c.$size" | median)
		# Below capacity: half the rate the sink took, one round.
		round "$c" "$size" "$(awk -v f="$fps" 'BEGIN { printf "%.0f", (f / 2 > 1 ? f / 2 : 1) }')" \
			>"$TMP/$c.$size.half"
		hloss=$(awk '{ print $4 "/" $3 }' "$TMP/$c.$size.half")
		echo "$c $size $fps $loss $hloss" >>"$TMP/results"
	done
done

base() { awk -v s="$1" '$1 == "bridge" && $2 == s { print $3 }' "$TMP/results"; }
while read -r c size fps loss hloss; do
	b=$(base "$size")
	name="pktgen_${c}_$size"
	if [ "$c" = bridge ]; then
		awk -v n="$name" -v f="$fps" -v l="$loss" -v h="$hloss" 'BEGIN {
			printf "%s: %.3f Mpps (Linux bridge, veth, AF_PACKET rings; loss %.2f%% at full speed; at half: %s frames lost of sent)\n",
				n, f / 1e6, l * 100, h }'
	else
		case $c in
		vswitch) what="cpnet ETHERNET VSWITCH, two port-API ports" ;;
		glan) what="cpnet ETHERNET Guest LAN, two port-API ports" ;;
		*) what="Open vSwitch $OVSDP, veth, AF_PACKET rings" ;;
		esac
		awk -v n="$name" -v f="$fps" -v b="$b" -v l="$loss" -v h="$hloss" -v c="$what" 'BEGIN {
			printf "%s: %.3f Mpps, ratio %.2f vs linux bridge %.3f Mpps (%s; loss %.2f%% at full speed; at half: %s frames lost of sent)\n",
				n, f / 1e6, (b > 0 ? f / b : 0), b / 1e6, c, l * 100, h }'
	fi
done <"$TMP/results"
