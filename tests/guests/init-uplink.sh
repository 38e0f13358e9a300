#!/bin/sh
# tests/guests/init-uplink.sh - /init of t_uplink's guest: NIC 0700 layer 3 on an IP VSWITCH and
# NIC 0600 layer 2 on an ETHERNET VSWITCH whose uplinks (OSA on a TAP) lead to a namespace host.
# Pings the host on both subnets, sends TCP to the host's listeners and then listens for the host.
# Kernel command line: cpnet.l3=ADDR/LEN cpnet.h3=HOST cpnet.l2=ADDR/LEN cpnet.h2=HOST
#   cpnet.hp=PORT (host listener) cpnet.g3=PORT cpnet.g2=PORT (our listeners) cpnet.tok=TOKEN
#   cpnet.wait=SECONDS (bound of each wait for the host)
#   cpnet.l6=ADDR/LEN cpnet.h6=HOST cpnet.g6=PORT: IPv6 on the layer-3 NIC too (optional)
#   cpnet.mb=MB cpnet.l26=ADDR/LEN cpnet.h26=HOST cpnet.bp=PORT: with /bin/ofl, offloads on, MTU
#   8992, then MB of random data each way over IPv6 on both NICs (host listens on bp+2 for the
#   layer-2 NIC and bp+3 for layer 3, we on bp+12 / bp+13); md5 of both on the console
. /etc/cpnet-guest.sh
guest_setup
arg() { sed -n "s/.*cpnet\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
L3=$(arg l3)
H3=$(arg h3)
L2=$(arg l2)
H2=$(arg h2)
HP=$(arg hp)
G3=$(arg g3)
G2=$(arg g2)
TOK=$(arg tok)
WAIT=$(arg wait)
WAIT=${WAIT:-90}
L6=$(arg l6)
H6=$(arg h6)
G6=$(arg g6)
MB=$(arg mb)
L26=$(arg l26)
H26=$(arg h26)
BP=$(arg bp)
say "CPNET-GUEST: init started, kernel $(uname -r)"
if ! load_modules > /tmp/insmod.log; then
	cat /tmp/insmod.log
	guest_done "FAIL insmod"
fi

online 0700 0
IF3=$IF
ip addr add "$L3" dev "$IF3" || guest_done "FAIL ip addr add $L3"
# No DAD: the address is usable at once (busybox ip has no nodad).
[ -n "$L6" ] && echo 0 > /proc/sys/net/ipv6/conf/$IF3/accept_dad
ip link set "$IF3" up || { dump_dmesg 10; guest_done "FAIL link up $IF3"; }
if [ -n "$L6" ]; then
	ip -6 addr add "$L6" dev "$IF3" || guest_done "FAIL ip addr add $L6"
fi
online 0600 1
IF2=$IF
ip addr add "$L2" dev "$IF2" || guest_done "FAIL ip addr add $L2"
ip link set "$IF2" up || { dump_dmesg 10; guest_done "FAIL link up $IF2"; }
for i in "$IF3" "$IF2"; do
	ip -4 addr show dev "$i" | grep 'inet ' | while read -r l; do say "CPNET-GUEST: addr $i $l"; done
done

# The uplinks are up before the IPL, but the registrations of our addresses travel
# through the controllers: wait (bounded) for the first answer on each switch.
for h in "$H3" "$H2"; do
	t0=$(date +%s)
	while ! ping -c 1 -W 1 "$h" > /dev/null 2>&1; do
		t=$(($(date +%s) - t0))
		[ "$t" -lt "$WAIT" ] || { dump_dmesg 10; guest_done "FAIL host $h silent for ${t}s"; }
		sleep 0.5
	done
	say "CPNET-GUEST: host $h answers after $(($(date +%s) - t0))s"
done
if [ -n "$H6" ]; then
	t0=$(date +%s)
	while ! ping -6 -c 1 -W 1 "$H6" > /dev/null 2>&1; do
		t=$(($(date +%s) - t0))
		[ "$t" -lt "$WAIT" ] || { dump_dmesg 10; guest_done "FAIL host $H6 silent for ${t}s"; }
		sleep 0.5
	done
	say "CPNET-GUEST: host $H6 answers after $(($(date +%s) - t0))s"
fi

fails=0
p() { # p TAG HOST: one bounded ping, its summary line on the console
	out=$(ping -c 3 -W 3 -w 20 "$2" 2>&1)
	say "CPNET-GUEST: $1: $(echo "$out" | grep 'packets transmitted')"
	answered "$out" || fails=$((fails + 1))
}
p "ping $H3 l3" "$H3"
p "ping $H2 l2" "$H2"
p6() { # p6 TAG HOST
	out=$(ping -6 -c 3 -W 3 -w 20 "$2" 2>&1)
	say "CPNET-GUEST: $1: $(echo "$out" | grep 'packets transmitted')"
	answered "$out" || fails=$((fails + 1))
}
[ -n "$H6" ] && p6 "ping $H6 l6" "$H6"

# TCP out: one line to the host's listener, which answers one line (busybox nc
# half-closes after our stdin ends and exits when the host closes).
o() { # o TAG HOST
	echo "cpnet-guest-to-host $1 $TOK" | timeout 30 nc -w 10 "$2" "$HP" > /tmp/reply.$1 2>&1
	say "CPNET-GUEST: tcp-out $1 reply: $(head -n 1 /tmp/reply.$1 | tr -cd 'a-zA-Z0-9 ._:-')"
	grep -q "^cpnet-host-ack " /tmp/reply.$1 || fails=$((fails + 1))
}
o l3 "$H3"
o l2 "$H2"
[ -n "$H6" ] && o l6 "$H6"

# TCP in: the host connects to each listener once it reads the marker below.
nc -l -p "$G3" < /dev/null > /tmp/in.l3 2>&1 &
N3=$!
nc -l -p "$G2" < /dev/null > /tmp/in.l2 2>&1 &
N2=$!
TAGS="l3 l2"
N6=
if [ -n "$G6" ]; then
	nc -l -p "$G6" < /dev/null > /tmp/in.l6 2>&1 &
	N6=$!
	TAGS="l3 l2 l6"
fi
sleep 0.5
say "CPNET-GUEST: tcp listening $G3 $G2 $G6"
t0=$(date +%s)
while :; do
	# All done when every file holds a line (each nc ended when the host closed).
	n=0
	for t in $TAGS; do [ -s /tmp/in.$t ] || n=$((n + 1)); done
	[ $n = 0 ] && break
	[ $(($(date +%s) - t0)) -lt "$WAIT" ] || break
	sleep 0.5
done
sleep 0.5
kill "$N3" "$N2" $N6 2>/dev/null
for t in $TAGS; do
	say "CPNET-GUEST: tcp-in $t: $(head -n 1 /tmp/in.$t | tr -cd 'a-zA-Z0-9 ._:-')"
	[ -s /tmp/in.$t ] || fails=$((fails + 1))
done
if [ $fails != 0 ]; then
	dump_dmesg 15
	guest_done "FAIL $fails check(s) failed"
fi
[ -x /bin/ofl ] && [ -n "$MB" ] || guest_done "init ok"

# ---- offloads and bulk data to and from the host -------------------------------------------
offloads_on "$IF3" "$IF2"
echo 0 > /proc/sys/net/ipv6/conf/$IF2/accept_dad
ip -6 addr add "$L26" dev "$IF2" || guest_done "FAIL ip addr add $L26"
bulk_prepare "$MB"
bulk_listen $((BP + 12)) l2
bulk_listen $((BP + 13)) l3
sleep 0.5
say "CPNET-GUEST: bulk listening"
bulk_send l2 "$H26" $((BP + 2))
bulk_send l3 "$H6" $((BP + 3))
bulk_finish l2 l3
for i in "$IF3" "$IF2"; do
	/bin/ofl "$i" | while read -r l; do say "CPNET-GUEST: $l"; done
done
guest_done "init ok"
