#!/bin/sh
# tests/guests/init-bench.sh - /init of the guests of `make bench-guests` (bench/guest_stream.sh).
# Brings up the NICs it is given, then serves the host's requests (/etc/bench-agent.sh) on TCP 7000.
#
# Kernel command line: cpnet.nics=PATH:ADDR/LEN,...  with PATH one of
#   lcs     0E20-0E21 Hercules's LCS                (the baseline)
#   tap     0A00-0A02 CPNIC port=tap:, layer 2
#   vswip   0700-0702 CPNIC on cpnetd's IP VSWITCH, layer 3
#   vswipa  0710-0712 CPNIC on the same IP VSWITCH with pci=adaptive (PCI moderation)
#   vsweth  0600-0602 CPNIC on cpnetd's ETHERNET VSWITCH, layer 2
#   vswethw 0610-0612 CPNIC on the same ETHERNET VSWITCH with siga=worker (g2gw)
#   cpnet.ofl=1: the CPNICs' checksum, scatter-gather and TSO offloads on (/bin/ofl); the
#   state each interface ends with is printed ("OFL IF rx=1 tx=1 sg=1 tso=1").
# The host drives every measurement (bench/guest_bench.py); this init only prints
# "CPNET-GUEST: agent ready" once all NICs are up and the agent listens.
. /etc/cpnet-guest.sh
guest_setup
NICS=$(sed -n 's/.*cpnet\.nics=\([^ ]*\).*/\1/p' /proc/cmdline | tr ',' ' ')
OFL=$(sed -n 's/.*cpnet\.ofl=\([01]\).*/\1/p' /proc/cmdline)
say "CPNET-GUEST: bench init, kernel $(uname -r), nics $NICS"
if ! load_modules > /tmp/insmod.log; then
	cat /tmp/insmod.log
	guest_done "FAIL insmod"
fi

for n in $NICS; do
	p=${n%%:*}
	addr=${n#*:}
	case $p in
	lcs)
		echo 0.0.0e20,0.0.0e21 > /sys/bus/ccwgroup/drivers/lcs/group &&
			echo 1 > /sys/bus/ccwgroup/devices/0.0.0e20/online ||
			{ dump_dmesg 15; guest_done "FAIL online lcs"; }
		IF=$(ls /sys/bus/ccwgroup/devices/0.0.0e20/net/ 2> /dev/null)
		[ -n "$IF" ] || { dump_dmesg 10; guest_done "FAIL lcs: no net device"; }
		;;
	tap) online 0a00 1 ;;
	vswip) online 0700 0 ;;
	vswipa) online 0710 0 ;;
	vsweth) online 0600 1 ;;
	vswethw) online 0610 1 ;;
	*) guest_done "FAIL unknown path $p" ;;
	esac
	echo "$IF" > "/tmp/if.$p"
	ip addr add "$addr" dev "$IF" || guest_done "FAIL ip addr add $addr on $p"
	ip link set "$IF" up || { dump_dmesg 10; guest_done "FAIL link up $p"; }
	if [ "$OFL" = 1 ] && [ "$p" != lcs ]; then
		/bin/ofl "$IF" on > /tmp/ofl.log 2>&1
		/bin/ofl "$IF" > /tmp/ofl.log 2>&1 || guest_done "FAIL ofl $IF: $(cat /tmp/ofl.log)"
		say "CPNET-GUEST: $p $(cat /tmp/ofl.log)"
	fi
	say "CPNET-GUEST: up $p $IF $addr mtu $(cat "/sys/class/net/$IF/mtu")"
done
nc -ll -p 7000 -e /bin/sh /etc/bench-agent.sh &
sleep 1
guest_done "agent ready"
