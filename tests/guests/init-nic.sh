#!/bin/sh
# tests/guests/init-nic.sh - /init of the CPNIC guests (t_l2, t_l3): group, online, address, ping.
# Parameters come from the kernel command line (cpnet.layer2= ip4= peer4= ip6= peer6=); lines paced.
# With cpnet.mb=MB cpnet.bp=PORT and /bin/ofl: TSO and checksum offloads on, then MB of random
# data to peer4:PORT over TCP (md5 on the console): large sends the CPNIC cuts for its TAP.
. /etc/cpnet-guest.sh
guest_setup
arg() { sed -n "s/.*cpnet\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
L2=$(arg layer2)
IP4=$(arg ip4)
PEER4=$(arg peer4)
IP6=$(arg ip6)
PEER6=$(arg peer6)
MB=$(arg mb)
BP=$(arg bp)
say "CPNET-GUEST: init started, kernel $(uname -r), layer2=$L2"
if ! load_modules > /tmp/insmod.log; then
	cat /tmp/insmod.log
	guest_done "FAIL insmod"
fi
B=/sys/bus/ccwgroup/devices/0.0.0a00
echo 0.0.0a00,0.0.0a01,0.0.0a02 > /sys/bus/ccwgroup/drivers/qeth/group ||
	{ dump_dmesg 10; guest_done "FAIL group"; }
echo "$L2" > $B/layer2 || guest_done "FAIL layer2=$L2"
if ! echo 1 > $B/online; then
	dump_dmesg 25
	guest_done "FAIL online"
fi
say "CPNET-GUEST: online $(cat $B/online) layer2 $(cat $B/layer2) state $(cat $B/state)"
IF=$(ls $B/net/ 2>/dev/null)
[ -n "$IF" ] || { dump_dmesg 10; guest_done "FAIL no net device"; }
say "CPNET-GUEST: interface $IF"
if [ -n "$IP6" ]; then
	# No duplicate-address wait: the address must be usable at once.
	echo 0 > /proc/sys/net/ipv6/conf/$IF/accept_dad
fi
ip addr add "$IP4" dev "$IF" || guest_done "FAIL ip addr add $IP4"
if [ -n "$IP6" ]; then
	ip -6 addr add "$IP6" dev "$IF" || guest_done "FAIL ip addr add $IP6"
fi
ip link set "$IF" up || { dump_dmesg 10; guest_done "FAIL link up"; }
sleep 1
ip addr show dev "$IF" | grep -E 'state|inet' | while read -r l; do say "CPNET-GUEST: addr $l"; done
fails=0
out=$(ping -c 4 -W 3 -w 20 "$PEER4" 2>&1)
say "CPNET-GUEST: ping4 $PEER4: $(echo "$out" | grep 'packets transmitted')"
answered "$out" || fails=$((fails + 1))
if [ -n "$PEER6" ]; then
	out=$(ping -6 -c 4 -W 3 -w 20 "$PEER6" 2>&1)
	say "CPNET-GUEST: ping6 $PEER6: $(echo "$out" | grep 'packets transmitted')"
	answered "$out" || fails=$((fails + 1))
fi
dmesg | grep -i 'qeth' | tail -n 6 | while read -r l; do say "dmesg: $l"; done
if [ $fails != 0 ]; then
	dump_dmesg 10
	guest_done "FAIL $fails ping(s) without reply"
fi
if [ -x /bin/ofl ] && [ -n "$MB" ]; then
	# MTU 1500 as the TAP's: every large send must be cut to it on the host.
	/bin/ofl "$IF" on | while read -r l; do say "CPNET-GUEST: $l"; done
	bulk_prepare "$MB"
	bulk_send tap "${PEER4%/*}" "$BP"
	/bin/ofl "$IF" | while read -r l; do say "CPNET-GUEST: $l"; done
fi
guest_done "init ok"
