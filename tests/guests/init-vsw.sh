#!/bin/sh
# tests/guests/init-vsw.sh - /init of t_vsw's two guests: NIC 0600 layer 2 on an ETHERNET VSWITCH,
# NIC 0700 layer 3 on an IP VSWITCH (cpnetd, port=cp:), then pings to the other guest on both.
# With /bin/ofl (t_vsw's offload helper): MTU 8992, checksum and TSO offloads on, and 50 MB each
# way over IPv6 on both switches, md5 of what was sent and what came in on the console.
# Parameters from the kernel command line: cpnet.me= a4= pa4= a6= pa6= b4= pb4= b6= pb6= mb=
# wait= (seconds).
. /etc/cpnet-guest.sh
guest_setup
arg() { sed -n "s/.*cpnet\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
ME=$(arg me)
A4=$(arg a4)
PA4=$(arg pa4)
A6=$(arg a6)
PA6=$(arg pa6)
B4=$(arg b4)
PB4=$(arg pb4)
B6=$(arg b6)
PB6=$(arg pb6)
MB=$(arg mb)
WAIT=$(arg wait)
say "CPNET-GUEST: init started on $ME, kernel $(uname -r)"
if ! load_modules > /tmp/insmod.log; then
	cat /tmp/insmod.log
	guest_done "FAIL insmod"
fi

online 0600 1
IFA=$IF
echo 0 > /proc/sys/net/ipv6/conf/$IFA/accept_dad
ip addr add "$A4" dev "$IFA" || guest_done "FAIL ip addr add $A4"
ip -6 addr add "$A6" dev "$IFA" || guest_done "FAIL ip addr add $A6"
ip link set "$IFA" up || { dump_dmesg 10; guest_done "FAIL link up $IFA"; }
online 0700 0
IFB=$IF
ip addr add "$B4" dev "$IFB" || guest_done "FAIL ip addr add $B4"
ip link set "$IFB" up || { dump_dmesg 10; guest_done "FAIL link up $IFB"; }
sleep 1
for i in "$IFA" "$IFB"; do
	ip addr show dev "$i" | grep -E 'inet' | while read -r l; do say "CPNET-GUEST: addr $i $l"; done
done

# The other guest boots in another Hercules at the same time: wait (bounded) for it.
t0=$(date +%s)
while ! ping -c 1 -W 1 "$PA4" > /dev/null 2>&1; do
	t=$(($(date +%s) - t0))
	[ "$t" -lt "${WAIT:-240}" ] || { dump_dmesg 10; guest_done "FAIL peer $PA4 silent for ${t}s"; }
	sleep 0.5
done
t=$(($(date +%s) - t0))
say "CPNET-GUEST: peer $PA4 answers after ${t}s"

fails=0
p() { # p TAG ARGS... : one bounded ping, its summary line on the console
	tag=$1
	shift
	out=$(ping -c 3 -W 3 -w 20 "$@" 2>&1)
	say "CPNET-GUEST: $tag: $(echo "$out" | grep 'packets transmitted')"
	answered "$out" || fails=$((fails + 1))
}
p "ping4 $PA4 l2" "$PA4"
p "ping6 $PA6 l2" -6 "$PA6"
p "ping4 $PB4 l3" "$PB4"
dmesg | grep -i 'qeth' | grep -iE 'MAC address|registered|layer' | tail -n 6 |
	while read -r l; do say "dmesg: $l"; done
if [ $fails != 0 ]; then
	dump_dmesg 15
	guest_done "FAIL $fails ping(s) without reply"
fi
[ -x /bin/ofl ] && [ -n "$MB" ] || guest_done "init ok"

# ---- offloads and bulk data ---------------------------------------------------------------
# Linux 6.1 offers checksum (IPv4, IPv6, both ways) and TSO in both layers on a NIC that is
# not a z/VM NIC (CPNIC's default), all off until asked for (ethtool -K).
offloads_on "$IFA" "$IFB"
ip -6 addr add "$B6" dev "$IFB" || guest_done "FAIL ip addr add $B6"
dmesg | grep -E 'HW Checksumming|TSOv' | while read -r l; do say "CPNET-GUEST: dmesg $l"; done
bulk_prepare "$MB"
bulk_listen 5001 l2
bulk_listen 5002 l3
sleep 2
bulk_send l2 "$PA6" 5001
bulk_send l3 "$PB6" 5002
bulk_finish l2 l3
for i in "$IFA" "$IFB"; do
	/bin/ofl "$i" | while read -r l; do say "CPNET-GUEST: $l"; done
done
guest_done "init ok"
