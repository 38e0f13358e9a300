#!/bin/sh
# tests/guests/init-osatab.sh - /init of t_osatab's guest: NIC 0700 layer 3 on an IP VSWITCH whose
# OSA holds 4 addresses; the guest gives itself more than that and stays up answering the host.
# Kernel command line: cpnet.base=A.B.C cpnet.first=N cpnet.count=N (addresses A.B.C.N ... /24)
#   cpnet.h3=HOST cpnet.wait=SECONDS (bound of the wait for the host, and of the stay)
. /etc/cpnet-guest.sh
guest_setup
arg() { sed -n "s/.*cpnet\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
BASE=$(arg base)
FIRST=$(arg first)
COUNT=$(arg count)
H3=$(arg h3)
WAIT=$(arg wait)
WAIT=${WAIT:-90}
say "CPNET-GUEST: init started, kernel $(uname -r)"
if ! load_modules > /tmp/insmod.log; then
	cat /tmp/insmod.log
	guest_done "FAIL insmod"
fi
online 0700 0
i=0
while [ "$i" -lt "$COUNT" ]; do
	ip addr add "$BASE.$((FIRST + i))/24" dev "$IF" || guest_done "FAIL ip addr add $BASE.$((FIRST + i))"
	i=$((i + 1))
done
ip link set "$IF" up || { dump_dmesg 10; guest_done "FAIL link up $IF"; }
say "CPNET-GUEST: addresses $(ip -4 addr show dev "$IF" | grep -c 'inet ')"
# Registrations travel through the controller: wait (bounded) for the host to answer.
t0=$(date +%s)
while ! ping -c 1 -W 1 "$H3" > /dev/null 2>&1; do
	[ $(($(date +%s) - t0)) -lt "$WAIT" ] || { dump_dmesg 10; guest_done "FAIL host $H3 silent"; }
	sleep 0.5
done
say "CPNET-GUEST: ready"
# The host now reaches each address; stay up (bounded) while it does.
sleep "$WAIT"
guest_done "init ok"
