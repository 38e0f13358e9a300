#!/bin/sh
# tests/guests/init-restart.sh - /init of t_restart's two guests: NIC 0600 layer 2 on an ETHERNET
# VSWITCH, NIC 0700 layer 3 on an IP VSWITCH (cpnetd, port=cp:), then pings to the other guest forever.
# Parameters from the kernel command line: cpnet.me= a4= pa4= b4= pb4= wait= (seconds).
# One console line per round: "CPNET-GUEST: reach N l2 ok|fail l3 ok|fail carrier C2 C3"; the host
# restarts cpnetd under the guest and times how long until both pings answer again.
. /etc/cpnet-guest.sh
guest_setup
arg() { sed -n "s/.*cpnet\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
ME=$(arg me)
A4=$(arg a4)
PA4=$(arg pa4)
B4=$(arg b4)
PB4=$(arg pb4)
WAIT=$(arg wait)
say "CPNET-GUEST: init started on $ME, kernel $(uname -r)"
if ! load_modules > /tmp/insmod.log; then
	cat /tmp/insmod.log
	guest_done "FAIL insmod"
fi

online 0600 1
IFA=$IF
ip addr add "$A4" dev "$IFA" || guest_done "FAIL ip addr add $A4"
ip link set "$IFA" up || { dump_dmesg 10; guest_done "FAIL link up $IFA"; }
online 0700 0
IFB=$IF
ip addr add "$B4" dev "$IFB" || guest_done "FAIL ip addr add $B4"
ip link set "$IFB" up || { dump_dmesg 10; guest_done "FAIL link up $IFB"; }

# The other guest boots in another Hercules at the same time: wait (bounded) for it.
t0=$(date +%s)
while ! ping -c 1 -W 1 "$PA4" > /dev/null 2>&1 || ! ping -c 1 -W 1 "$PB4" > /dev/null 2>&1; do
	t=$(($(date +%s) - t0))
	[ "$t" -lt "${WAIT:-240}" ] || { dump_dmesg 10; guest_done "FAIL peer $PA4/$PB4 silent for ${t}s"; }
	sleep 0.5
done
say "CPNET-GUEST: pinging $PA4 l2 $PB4 l3"

# Forever (the host stops Hercules): one round of both pings at once (a round lasts at
# most ~1 s, which bounds the error of the host's timing), one line.  The CPNIC's SERVC
# fix prints every line, so no pacing beyond the round's own pause.
n=0
while :; do
	n=$((n + 1))
	r2=fail
	r3=fail
	ping -c 1 -W 1 "$PA4" > /dev/null 2>&1 &
	p2=$!
	ping -c 1 -W 1 "$PB4" > /dev/null 2>&1 &
	p3=$!
	wait $p2 && r2=ok
	wait $p3 && r3=ok
	echo "CPNET-GUEST: reach $n l2 $r2 l3 $r3 carrier $(cat /sys/class/net/$IFA/carrier 2>/dev/null) $(cat /sys/class/net/$IFB/carrier 2>/dev/null)"
	sleep 0.1
done
