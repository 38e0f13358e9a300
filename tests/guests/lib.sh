# tests/guests/lib.sh - paths and helpers shared by the real-guest scripts (sourced, not run).
# Every tests/guests/*.sh sources this so the cache, work and Hercules-source locations agree.

GUESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CPNET_TOP=$(cd "$GUESTS_DIR/../.." && pwd)
# skip (exit 77), tname (unique interface and namespace names), poll, link_up.
. "$CPNET_TOP/tests/testlib.sh"
# Downloaded, unpacked Debian s390x kernel and busybox (reused across runs).
CPNET_GUEST_CACHE=${CPNET_GUEST_CACHE:-$CPNET_TOP/build/guests/cache}
# Configured Hercules 3.13 source tree: only its headers and config.h are used.
CPNET_HERCULES_SRC=${CPNET_HERCULES_SRC:-$CPNET_TOP/build/guests/hercules-src}
# Per-test boot directories (vmlinuz, initrd.gz, .ins, Hercules config, logs).
CPNET_GUEST_WORK=${CPNET_GUEST_WORK:-$CPNET_TOP/build/guests/work}
# Bound of one boot to its marker. A boot is ~35 s of CPU: 37 s on an idle machine, but
# 230 s was seen with the 2 CPUs shared by builds and a second guest; the bound is for
# a hung guest, not a slow one.
CPNET_GUEST_TIMEOUT=${CPNET_GUEST_TIMEOUT:-600}

die() {
	echo "$(basename "$0"): error: $*" >&2
	exit 1
}

note() {
	echo "$(basename "$0"): $*" >&2
}

# The kernel release that fetch.sh unpacked (e.g. 6.1.0-37-s390x), or fail.
guest_kver() {
	local f="$CPNET_GUEST_CACHE/kernel.release"
	[ -s "$f" ] || die "no guest kernel in $CPNET_GUEST_CACHE: run tests/guests/fetch.sh (as root)"
	cat "$f"
}

# Start Hercules headless in directory $1 with its hercules.cnf and hercules.rc,
# log (stdout+stderr) to $2, in its own session so that herc_stop reaches every
# process it made and nothing else. Sets HERC_PID.
herc_start() {
	local dir=$1 log=$2
	: > "$log" || die "cannot write $log"
	(cd "$dir" && HERCULES_RC=hercules.rc exec setsid "${CPNET_HERCULES:-hercules}" -d \
		-f hercules.cnf < /dev/null > "$log" 2>&1) &
	# shellcheck disable=SC2034 # for the caller
	HERC_PID=$!
}

# SIGTERM the Hercules process group started by herc_start; 3.13 may hang in
# "Releasing configuration", so SIGKILL whatever is left after ~15 s.  (5 s was too
# short on a loaded machine: a Hercules still closing its devices lost their close
# lines, which tests check, to the SIGKILL.)
herc_stop() {
	local pid=$1
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	# Hercules shuts down only when its main thread takes the SIGTERM (the handler returns
	# on any other thread, and the kernel may give a process's signal to any thread that
	# does not block it), so it is sent again every 2 s.
	for i in $(seq 30); do
		[ $((i % 4)) = 1 ] && { kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null; }
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then
		note "Hercules $pid ignored SIGTERM; SIGKILL"
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# Wait up to $3 seconds for fixed string $2 in file $1 while Hercules $4 runs.
# Returns 0 found, 2 timeout, 3 Hercules ended without it.
wait_for() {
	local file=$1 str=$2 secs=$3 pid=$4 end
	end=$(($(date +%s) + secs))
	while [ "$(date +%s)" -lt "$end" ]; do
		grep -qF -- "$str" "$file" && return 0
		kill -0 "$pid" 2>/dev/null || { grep -qF -- "$str" "$file" && return 0; return 3; }
		sleep 0.2
	done
	return 2
}

# guest_boot_bg BOOTDIR MARKER CONFIGLINE...: boot.sh -k of BOOTDIR in the background (log
# BOOTDIR/console.log, the Hercules pid it prints in BOOTDIR/boot.pid) with the CPNIC
# module on the library path; sets BOOT_PID. guest_boot_wait collects it.
guest_boot_bg() {
	local dir=$1 marker=$2 a=()
	shift 2
	for l in "$@"; do a+=(-c "$l"); done
	LD_LIBRARY_PATH="$CPNET_TOP/build/hercules${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
		"$GUESTS_DIR/boot.sh" -k -t "$CPNET_GUEST_TIMEOUT" -m "$marker" "${a[@]}" \
		"$dir" "$dir/console.log" > "$dir/boot.pid" 2> "$dir/boot.err" &
	BOOT_PID=$!
}

# guest_boot_wait BOOTPID BOOTDIR: wait for a guest_boot_bg; sets HERC_PID to the pid boot.sh
# printed (empty when it printed none). 0 when the marker came, boot.sh's status otherwise.
guest_boot_wait() {
	local rc
	wait "$1"
	rc=$?
	HERC_PID=$(tail -n 1 "$2/boot.pid" 2>/dev/null)
	return $rc
}

# uplink_lan NS BRIDGE TAP HOSTADDR/LEN MTU: in namespace NS, a bridge holding the TAP that
# an OSA (RDEVICE ... BACKEND TAP) opens, with the namespace host's address on the bridge.
uplink_lan() {
	local ns=$1 br=$2 tap=$3 addr=$4 mtu=$5
	ip -n "$ns" link add "$br" type bridge && ip -n "$ns" link set "$br" mtu "$mtu" &&
		ip -n "$ns" tuntap add dev "$tap" mode tap && ip -n "$ns" link set "$tap" mtu "$mtu" &&
		ip -n "$ns" link set "$tap" master "$br" && ip -n "$ns" link set "$tap" up &&
		ip -n "$ns" addr add "$addr" dev "$br" && ip -n "$ns" link set "$br" up
}

# cpnetd_up OUTDIR NUPLINKS SECS ARGS...: start `timeout SECS cpnetd ARGS...` (ARGS may begin
# with `ip netns exec NS`: the program is then the last word before the cpnetd arguments),
# output in OUTDIR/cpnetd.out and .err; sets CPNETD_PID (timeout's, for stop_daemon). Waits
# up to 30 s for the VM socket ($CPNET_SOCKET.vm) and NUPLINKS "uplink up" messages
# (HCPSWU9322I). 0 when both came.
cpnetd_up() {
	local out=$1 n=$2 secs=$3
	shift 3
	timeout "$secs" "$@" > "$out/cpnetd.out" 2> "$out/cpnetd.err" &
	CPNETD_PID=$!
	cpnetd_ready_n() {
		[ -S "$CPNET_SOCKET.vm" ] && [ "$(grep -c HCPSWU9322I "$out/cpnetd.out")" -ge "$n" ] && return 0
		kill -0 "$CPNETD_PID" 2>/dev/null || return 0 # gone: the caller's checks say why
		return 1
	}
	poll 30 cpnetd_ready_n
	[ -S "$CPNET_SOCKET.vm" ] && [ "$(grep -c HCPSWU9322I "$out/cpnetd.out")" -ge "$n" ]
}

# ns_behind_bridge NS BR TAP VH VN ADDR/LEN: namespace NS (lo up) whose veth end VN holds
# ADDR/LEN; the other end VH and the TAP an OSA opens (RDEVICE ... BACKEND TAP, CPNIC
# port=osa:) on bridge BR. 0 when all of it came up (the caller deletes TAP, VH, BR, NS).
ns_behind_bridge() {
	local ns=$1 br=$2 tap=$3 vh=$4 vn=$5 addr=$6
	ip netns add "$ns" && ip -n "$ns" link set lo up &&
		ip link add "$br" type bridge && ip link set "$br" up &&
		ip tuntap add dev "$tap" mode tap && ip link set "$tap" master "$br" &&
		ip link add "$vh" type veth peer name "$vn" && ip link set "$vh" master "$br" &&
		ip link set "$vh" up && ip link set "$vn" netns "$ns" &&
		ip -n "$ns" addr add "$addr" dev "$vn" && ip -n "$ns" link set "$vn" up
}

# write_ping_py FILE: the namespace host's ping (it may lack one): `python3 FILE DST COUNT`
# sends COUNT echoes (ICMPv6 for an IPv6 DST) from a raw socket, waits up to 1 s for each,
# prints "replies N" and exits 0 when any came back.
write_ping_py() {
	cat > "$1" <<'PY'
import socket, struct, sys, time
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF
dst, count = sys.argv[1], int(sys.argv[2])
v6 = ":" in dst  # ICMPv6: the kernel fills the checksum, replies come without the IP header
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6) if v6 else \
    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(0.2)
got = 0
for seq in range(count):
    body = struct.pack("!BBHHH", 128 if v6 else 8, 0, 0, 0x4350, seq) + b"cpnet-guests"
    if not v6:
        body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    s.sendto(body, (dst, 0))
    end = time.time() + 1.0
    while time.time() < end:
        try:
            pkt, src = s.recvfrom(2048)
        except socket.timeout:
            continue
        h = 0 if v6 else 20
        if src[0] == dst and pkt[h] == (129 if v6 else 0) and \
                struct.unpack("!HH", pkt[h + 4:h + 8]) == (0x4350, seq):
            got += 1
            break
print("replies %d" % got)
sys.exit(0 if got else 1)
PY
}

# guest_prep [-H] [SUBDIR...]: a guest test's preamble: the cached guest pieces, the built
# programs ($BIN/cpnetd and cpnet; not with -H, for a test of Hercules alone), a fresh work
# directory $W with the subdirectories named, the CPNIC module built (log $W/make.log).
# Uses the test's own fail() (its message, its log tail).
guest_prep() {
	local d progs=1
	if [ "${1:-}" = -H ]; then
		progs=0
		shift
	fi
	"$GUESTS_DIR/fetch.sh" || fail "fetch.sh could not provide the guest pieces"
	[ $progs = 0 ] || { [ -x "$BIN/cpnetd" ] && [ -x "$BIN/cpnet" ]; } ||
		fail "build/cpnetd or build/cpnet missing: make all"
	rm -rf "$W"
	mkdir -p "$W" || fail "cannot make $W"
	for d in "$@"; do mkdir -p "$W/$d" || fail "cannot make $W/$d"; done
	make -s -C "$CPNET_TOP/hercules" > "$W/make.log" 2>&1 || { cat "$W/make.log"; fail "make -C hercules failed"; }
}
