#!/bin/bash
# bench/guest_stream.sh - real-guest throughput and RTT of a CPNIC against Hercules's own LCS (`make bench-guests`).
# One Debian s390x guest under Hercules 3.13 with three NICs, each on its own subnet to a host in a netns.
#
#   LCS       0E20-0E21 LCS on a TAP, 10.77.0.0/24   the baseline (FINDINGS §5)
#   CPNIC L2  0A00-0A02 port=tap:, 10.78.0.0/24      the fair comparison: Ethernet frames on
#                                                   a TAP, guest ARP, exactly like the LCS
#   CPNIC L3  0B00-0B02 port=tun:, 10.79.0.0/24      shown too: what a layer-3 qeth guest gets
#
# The guest (tests/guests/init-bench.sh) opens connections to a Python server in the
# namespace, which measures: bytes a guest `nc </dev/zero` delivers in BENCH_SECS
# (tx), bytes the host gets acknowledged by a guest `nc >/dev/null` in BENCH_SECS
# plus drain (rx), and the mean RTT of 20 ICMP echoes 0.2 s apart from the host (rtt). For every kind the
# NICs run back to back (LCS, L2, L3), so machine load hits them alike. Round 2 repeats
# everything with MTU BENCH_MTU2 (default 8992, the NIC's max MTU) on the CPNICs; the LCS
# stays at 1500 (Hercules forces it) and is re-measured as that round's baseline.
# Output: `guest_<kind>[_l3][_mtuM]: CPNIC X, LCS Y, ratio X/Y` lines (rtt: lower is better).
# Knobs: BENCH_SECS (8), BENCH_MTU2 (8992, 0 = one round), BENCH_TIMEOUT (boot+run, 270 s),
# CPNET_HERCULES. Needs root (netns, TUN/TAP); skips with exit 0 otherwise.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
GD=$TOP/tests/guests
. "$GD/lib.sh"

SECS=${BENCH_SECS:-8}
MTU2=${BENCH_MTU2:-8992}
TMO=${BENCH_TIMEOUT:-270}
if [ "$(id -u)" != 0 ]; then
	echo "guest_stream: SKIP (needs root: network namespace, TUN/TAP)"
	exit 0
fi
for c in python3 ip; do
	command -v $c > /dev/null || { echo "guest_stream: SKIP ($c not found)"; exit 0; }
done
[ -x /usr/libexec/hercules/hercifc ] ||
	{ echo "guest_stream: SKIP (no /usr/libexec/hercules/hercifc: Hercules's LCS cannot open a TAP)"; exit 0; }

W=$CPNET_GUEST_WORK/bench
LOG=$W/console.log
RES=$W/results.txt
NS=cpnet-bench-$$
L2=cpbl2$$
L2=${L2:0:15}
L3=cpbl3$$
L3=${L3:0:15}
SRV_PID=
WATCH_PID=

fail() { echo "guest_stream: FAIL: $*"; exit 1; }
cleanup() {
	[ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2> /dev/null
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2> /dev/null
	wait 2> /dev/null
	ip netns del "$NS" 2> /dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$GD/fetch.sh" > /dev/null || fail "fetch.sh could not provide the guest pieces"
mkdir -p "$W"
rm -f "$RES"
make -s -C "$TOP/hercules" > "$W/make.log" 2>&1 || { cat "$W/make.log"; fail "make -C hercules failed"; }
"$GD/mkinitrd.sh" -m lcs -p "cpnet.secs=$SECS cpnet.mtu2=$MTU2" "$GD/init-bench.sh" "$W" \
	2> "$W/mkinitrd.log" || { cat "$W/mkinitrd.log"; fail "mkinitrd.sh failed"; }

# --- host side: one namespace holding Hercules, both CPNIC ports and the LCS TAP -------
ip netns add "$NS" || fail "ip netns add failed"
nsx() { ip netns exec "$NS" "$@"; }
nsx ip link set lo up &&
	nsx ip tuntap add dev "$L2" mode tap && nsx ip link set "$L2" mtu 8992 &&
	nsx ip addr add 10.78.0.1/24 dev "$L2" && nsx ip link set "$L2" up &&
	nsx ip tuntap add dev "$L3" mode tun && nsx ip link set "$L3" mtu 8992 &&
	nsx ip addr add 10.79.0.1/24 dev "$L3" && nsx ip link set "$L3" up ||
	fail "could not set up $L2/$L3 in $NS"

# The measuring server: ports R1 sink, R2 source, R3 ping (R = round); the NIC is the
# local address the guest reached. One connection at a time: the guest runs them in turn.
cat > "$W/server.py" << 'EOF'
import fcntl, os, select, socket, struct, sys, termios, time
secs, out = float(sys.argv[1]), sys.argv[2]
nic = {"10.77.0.1": "lcs", "10.78.0.1": "l2", "10.79.0.1": "l3"}
ls = []
for r in (1, 2):
    for k in (1, 2, 3):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", 5000 + 10 * r + k))
        s.listen(4)
        ls.append(s)
def rec(line):
    with open(out, "a") as f:
        f.write(line + "\n")
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xFFFF)
    return ~(t + (t >> 16)) & 0xFFFF
def icmp_rtt(dst, count=20, gap=0.2):  # echo RTTs in ms (no ping binary needed)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident, rtts = os.getpid() & 0xFFFF, []
    for seq in range(count):
        body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"cpnet-bench!" * 4
        body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
        t0 = time.monotonic()
        s.sendto(body, (dst, 0))
        while True:
            left = t0 + 2 - time.monotonic()
            if left <= 0 or not select.select([s], [], [], left)[0]:
                break
            pkt, src = s.recvfrom(2048)
            h = (pkt[0] & 15) * 4
            if src[0] == dst and pkt[h] == 0 and struct.unpack("!HH", pkt[h + 4:h + 8]) == (ident, seq):
                rtts.append((time.monotonic() - t0) * 1000)
                break
        time.sleep(max(0, t0 + gap - time.monotonic()))
    s.close()
    return rtts
def outq(c):
    return struct.unpack("i", fcntl.ioctl(c, termios.TIOCOUTQ, b"\0\0\0\0"))[0]
while True:
    rd, _, _ = select.select(ls, [], [])
    for s in rd:
        c, peer = s.accept()
        port = s.getsockname()[1]
        rnd, kind = (port - 5000) // 10, port % 10
        n = nic.get(c.getsockname()[0], "?")
        tag = "%s %d %s" % (("tx", "rx", "rtt")[kind - 1], rnd, n)
        try:
            if kind == 1:  # guest -> host: bytes received in `secs`
                c.settimeout(1.0)
                got, t0, t1 = 0, None, None
                end = time.monotonic() + secs + 5
                while time.monotonic() < end:
                    try:
                        b = c.recv(1 << 20)
                    except socket.timeout:
                        continue
                    if not b:
                        break
                    now = time.monotonic()
                    if t0 is None:
                        t0, end = now, now + secs
                    got, t1 = got + len(b), now
                if t0 is not None and t1 > t0:
                    rec("%s %.0f %.3f" % (tag, got, t1 - t0))
            elif kind == 2:  # host -> guest: bytes acknowledged, sent for `secs` then drained
                buf = b"\0" * (1 << 16)
                c.settimeout(1.0)
                sent, t0 = 0, time.monotonic()
                while time.monotonic() - t0 < secs:
                    try:
                        sent += c.send(buf)
                    except socket.timeout:
                        pass
                dl = time.monotonic() + 15
                while outq(c) > 0 and time.monotonic() < dl:
                    time.sleep(0.002)
                t1 = time.monotonic()
                rec("%s %.0f %.3f" % (tag, sent - outq(c), t1 - t0))
            else:  # RTT from the host
                r = icmp_rtt(peer[0])
                if r:
                    rec("%s %.3f %d" % (tag, sum(r) / len(r), len(r)))
        except Exception as e:
            rec("# %s error %r" % (tag, e))
        finally:
            c.close()
EOF
ip netns exec "$NS" python3 "$W/server.py" "$SECS" "$RES" 2> "$W/server.log" &  # no function: $! is python
SRV_PID=$!

# Hercules's LCS creates its TAP (tapN) itself and zeroes its address at LCS STARTUP;
# give it the host address once the LCS has started it (IFF_UP), and again if cleared.
(
	end=$(($(date +%s) + TMO + 30))
	while [ "$(date +%s)" -lt "$end" ]; do
		for t in $(nsx ip -o link show 2> /dev/null | sed -n 's/^[0-9]*: \(tap[0-9]*\):.*[<,]UP[,>].*/\1/p'); do
			grep -q 10.77.0.1 <<<"$(nsx ip -4 -o addr show dev "$t")" ||
				nsx ip addr add 10.77.0.1/24 dev "$t" 2> /dev/null
		done
		sleep 0.3
	done
) &
WATCH_PID=$!

# Hercules runs inside the namespace (TUNSETIFF finds the ports there; hercifc, which
# configures the LCS TAP, must be on PATH).
printf '#!/bin/sh\nPATH=/usr/libexec/hercules:$PATH exec ip netns exec %s %s "$@"\n' \
	"$NS" "${CPNET_HERCULES:-hercules}" > "$W/hercules-ns"
chmod +x "$W/hercules-ns"

t0=$(date +%s)
CPNET_HERCULES="$W/hercules-ns" \
LD_LIBRARY_PATH="$TOP/build/hercules${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
	"$GD/boot.sh" -t "$TMO" -m "CPNET-GUEST: bench done" \
	-c "0E20-0E21 LCS -n /dev/net/tun 10.77.0.2" \
	-c "0A00-0A02 CPNIC chpid=0A mac=02:00:00:00:0a:00 port=tap:$L2" \
	-c "0B00-0B02 CPNIC chpid=0B mac=02:00:00:00:0b:00 port=tun:$L3" \
	"$W" "$LOG" 2> "$W/boot.err"
rc=$?
echo "guest_stream: guest ran $(($(date +%s) - t0))s (boot.sh exit $rc; log $LOG)"
grep '^CPNET-GUEST: \(up\|round\|l[23] mtu\|FAIL\)' "$LOG" | sed 's/^/  /'
[ $rc = 0 ] || { cat "$W/boot.err"; echo "guest_stream: incomplete run, partial results follow"; }
[ -s "$RES" ] || fail "no measurements (see $LOG, $W/server.log)"
grep '^#' "$RES" | sed 's/^/  server: /'

# --- report ------------------------------------------------------------------------------
# The guest's own view of each step ("stat ROUND KIND NIC busy ..."), keyed like RES.
sed -n 's/^CPNET-GUEST: stat \([12]\) \([123]\) \([a-z0-9]*\) \(.*\)$/\1 \2 \3 \4/p' "$LOG" > "$W/gueststat.txt"
awk -v mtu2="$MTU2" '
	FILENAME ~ /gueststat/ { g[($2 == 1 ? "tx" : $2 == 2 ? "rx" : "rtt") " " $1 " " $3] = substr($0, index($0, "busy")); next }
	/^#/ { next }
	{
		k = $1 " " $2 " " $3
		v[k] = ($1 == "rtt") ? $4 : $4 / $5 / 1e6
		printf "  raw %-4s round %d %-3s %-38s guest: %s\n", $1, $2, $3, ($1 == "rtt") ? $4 " ms avg" : sprintf("%.2f MB/s (%d B, %.2f s)", $4 / $5 / 1e6, $4, $5), g[k]
	}
	END {
		split("tx rx rtt", kinds, " ")
		for (r = 1; r <= 2; r++) for (i = 1; i <= 3; i++) for (j = 1; j <= 2; j++) {
			kind = kinds[i]; n = (j == 1) ? "l2" : "l3"
			a = kind " " r " " n; b = kind " " r " lcs"
			if (!(a in v) || !(b in v) || v[b] == 0) continue
			name = (kind == "rtt") ? "guest_rtt" : "guest_stream_" kind
			if (n == "l3") name = name "_l3"
			if (r == 2) name = name "_mtu" mtu2
			unit = (kind == "rtt") ? "ms" : "MB/s"
			fmt = (kind == "rtt") ? "%.3f" : "%.2f"
			printf "%s: CPNIC-%s " fmt " %s, LCS " fmt " %s, ratio %.2f\n", name, toupper(n), v[a], unit, v[b], unit, v[a] / v[b]
		}
	}' "$W/gueststat.txt" "$RES"
grep '^CPNIC ....* closed:' "$LOG" | sed 's/^/  hercules: /'
[ $rc = 0 ] || exit 1
