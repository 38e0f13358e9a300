#!/bin/sh
# tests/guests/init-osa.sh - /init of t_osa's guest: qeth layer 3 on a dedicated OSA (CPNIC port=osa:),
# address, ping the host, then keep pinging it in the background and report carrier changes (the
# OSA's STOPLAN / STARTLAN), pinging the host once more when the carrier is back.
# Kernel command line: cpnet.ip4=ADDR/LEN cpnet.peer4=HOST [cpnet.ip6=ADDR/LEN cpnet.peer6=HOST]
. /etc/cpnet-guest.sh
guest_setup
arg() { sed -n "s/.*cpnet\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
IP4=$(arg ip4)
PEER4=$(arg peer4)
IP6=$(arg ip6)
PEER6=$(arg peer6)
say "CPNET-GUEST: init started, kernel $(uname -r)"
if ! load_modules > /tmp/insmod.log; then
	cat /tmp/insmod.log
	guest_done "FAIL insmod"
fi
B=/sys/bus/ccwgroup/devices/0.0.0a00
echo 0.0.0a00,0.0.0a01,0.0.0a02 > /sys/bus/ccwgroup/drivers/qeth/group ||
	{ dump_dmesg 10; guest_done "FAIL group"; }
echo 0 > $B/layer2 || guest_done "FAIL layer2=0"
if ! echo 1 > $B/online; then
	dump_dmesg 25
	guest_done "FAIL online"
fi
say "CPNET-GUEST: online $(cat $B/online) layer2 $(cat $B/layer2) state $(cat $B/state)"
IF=$(ls $B/net/ 2>/dev/null)
[ -n "$IF" ] || { dump_dmesg 10; guest_done "FAIL no net device"; }
ip addr add "$IP4" dev "$IF" || guest_done "FAIL ip addr add $IP4"
# No DAD: the address is usable at once (busybox ip has no nodad).
[ -n "$IP6" ] && echo 0 > /proc/sys/net/ipv6/conf/$IF/accept_dad
ip link set "$IF" up || { dump_dmesg 10; guest_done "FAIL link up"; }
if [ -n "$IP6" ]; then
	ip -6 addr add "$IP6" dev "$IF" || guest_done "FAIL ip addr add $IP6"
fi
sleep 1
ip -4 addr show dev "$IF" | grep 'inet ' | while read -r l; do say "CPNET-GUEST: addr $l"; done
out=$(ping -c 3 -W 3 -w 20 "$PEER4" 2>&1)
say "CPNET-GUEST: ping4 $PEER4: $(echo "$out" | grep 'packets transmitted')"
answered "$out" || { dump_dmesg 10; guest_done "FAIL ping"; }
if [ -n "$PEER6" ]; then
	out=$(ping -6 -c 3 -W 3 -w 20 "$PEER6" 2>&1)
	say "CPNET-GUEST: ping6 $PEER6: $(echo "$out" | grep 'packets transmitted')"
	answered "$out" || { dump_dmesg 10; guest_done "FAIL ping6"; }
fi
# Keep sending to the host (every ~0.2 s): the guest transmits in the moment the TAP goes
# down, before STOPLAN reaches it (the wire then answers EIO: link down, not a dead device).
( while :; do ping -c 1 -W 1 "$PEER4" > /dev/null 2>&1; sleep 0.2; done ) &
say "CPNET-GUEST: init ok"

# The host now pulls the OSA's cable (TAP down) and plugs it back: qeth turns the carrier
# off on STOPLAN and on again on STARTLAN (then recovers). Report each change; after the
# carrier came back, ping the host once more.
last=$(cat /sys/class/net/$IF/carrier 2>/dev/null)
while :; do
	c=$(cat /sys/class/net/$IF/carrier 2>/dev/null)
	if [ "$c" != "$last" ]; then
		say "CPNET-GUEST: carrier $c"
		last=$c
		if [ "$c" = 1 ]; then
			out=$(ping -c 2 -W 3 -w 30 "$PEER4" 2>&1)
			say "CPNET-GUEST: relink ping4 $PEER4: $(echo "$out" | grep 'packets transmitted')"
		fi
	fi
	sleep 0.2
done
