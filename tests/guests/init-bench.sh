#!/bin/sh
# tests/guests/init-bench.sh - /init of bench/guest_stream.sh: one guest with an LCS and two CPNICs.
# Brings all three up, then drives the host's measuring server (nc in, nc out, ping) NIC by NIC.
#
# The host measures everything (bytes and time on its side of each TCP stream, ping
# RTT from the host); the guest only opens the connections, in an order that
# alternates the NICs so machine load hits them alike. Kernel command line:
#   cpnet.secs=S      length of each stream (the host enforces it; default 8)
#   cpnet.mtu2=M      second round with this MTU on the CPNICs (0 = no second round)
#   cpnet.nics=LIST   comma list out of lcs,l2,l3 (default all three)
. /etc/cpnet-guest.sh
guest_setup
arg() { sed -n "s/.*cpnet\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
SECS=$(arg secs)
SECS=${SECS:-8}
MTU2=$(arg mtu2)
MTU2=${MTU2:-0}
NICS=$(arg nics | tr ',' ' ')
NICS=${NICS:-lcs l2 l3}
# Bound on one step: the host ends a stream after SECS, a drain or ping takes < 20 s.
STEP=$((SECS + 25))
say "CPNET-GUEST: bench init, kernel $(uname -r), nics $NICS, ${SECS}s streams, mtu2 $MTU2"
if ! load_modules > /tmp/insmod.log; then
	cat /tmp/insmod.log
	guest_done "FAIL insmod"
fi

# name -> first device, driver, subnet (host .1, guest .2)
nic_dev() { case $1 in lcs) echo 0.0.0e20 ;; l2) echo 0.0.0a00 ;; l3) echo 0.0.0b00 ;; esac; }
nic_net() { case $1 in lcs) echo 10.77.0 ;; l2) echo 10.78.0 ;; l3) echo 10.79.0 ;; esac; }

up_lcs() {
	echo 0.0.0e20,0.0.0e21 > /sys/bus/ccwgroup/drivers/lcs/group || return 1
	echo 1 > /sys/bus/ccwgroup/devices/0.0.0e20/online || return 1
}
up_qeth() { # base layer2
	b=$(printf '%04x' $((0x$1)))
	echo "0.0.$b,0.0.$(printf '%04x' $((0x$1 + 1))),0.0.$(printf '%04x' $((0x$1 + 2)))" \
		> /sys/bus/ccwgroup/drivers/qeth/group || return 1
	echo "$2" > "/sys/bus/ccwgroup/devices/0.0.$b/layer2" || return 1
	echo 1 > "/sys/bus/ccwgroup/devices/0.0.$b/online" || return 1
}
for n in $NICS; do
	case $n in
	lcs) up_lcs ;;
	l2) up_qeth a00 1 ;;
	l3) up_qeth b00 0 ;;
	*) false ;;
	esac || { dump_dmesg 15; guest_done "FAIL online $n"; }
	d=/sys/bus/ccwgroup/devices/$(nic_dev "$n")
	IF=$(ls "$d/net/" 2>/dev/null)
	[ -n "$IF" ] || { dump_dmesg 10; guest_done "FAIL no net device for $n"; }
	eval "IF_$n=$IF"
	ip addr add "$(nic_net "$n").2/24" dev "$IF" || guest_done "FAIL ip addr add on $n"
	ip link set "$IF" up || { dump_dmesg 10; guest_done "FAIL link up $n"; }
	say "CPNET-GUEST: up $n $IF mtu $(cat /sys/class/net/$IF/mtu)"
done

# The host gives the LCS TAP its address only once the LCS is started: wait for
# every peer to answer (bounded).
for n in $NICS; do
	i=0
	until ping -c 1 -W 1 "$(nic_net "$n").1" > /dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 60 ] || { dump_dmesg 10; guest_done "FAIL no answer from the host on $n"; }
	done
done
say "CPNET-GUEST: all peers answer"

# One measurement: open the host's port P on NIC n and wait (bounded) for the host to end it.
# Port numbers: round*10 + 1 (host sinks the guest's stream), +2 (host streams to the
# guest), +3 (host pings the guest).
# Each step also reports the guest's side: CPU busy share and interrupts taken
# (all I/O interrupts, and the LCS class of them), the evidence of
# what limits a NIC (per-byte CPU cost or per-frame interrupts).
snap() {
	{ cat /proc/stat; cat /proc/interrupts; } | awk '
		/^cpu / { for (i = 2; i <= NF; i++) t += $i; id = $5 + $6 }
		$1 == "I/O:" { io = $2 } $1 == "LCS:" { lc = $2 }
		END { print id + 0, t + 0, io + 0, lc + 0 }'
}
step() { # nic port
	h="$(nic_net "$1").1"
	s0=$(snap)
	case $(($2 % 10)) in
	1) timeout "$STEP" nc "$h" "$2" < /dev/zero > /dev/null 2>&1 ;;
	*) timeout "$STEP" nc "$h" "$2" < /dev/null > /dev/null 2>&1 ;;
	esac
	s1=$(snap)
	say "CPNET-GUEST: stat $(($2 / 10 % 10)) $(($2 % 10)) $1 $(echo "$s0 $s1" | awk '{
		dt = $6 - $2; b = dt > 0 ? 100 * (1 - ($5 - $1) / dt) : 0
		printf "busy %.0f%% io %d lcs %d", b, $7 - $3, $8 - $4 }')"
	# the stream's last ACKs and FINs settle before the next NIC starts
	sleep 1
}
round() { # round-number
	for kind in 3 1 2; do
		for n in $NICS; do step "$n" $((5000 + $1 * 10 + kind)); done
	done
	say "CPNET-GUEST: round $1 done"
}
round 1
if [ "$MTU2" != 0 ]; then
	for n in $NICS; do
		[ "$n" = lcs ] && continue # Hercules's LCS fixes its TAP at 1500
		eval "IF=\$IF_$n"
		ip link set "$IF" mtu "$MTU2" || say "CPNET-GUEST: mtu $MTU2 refused on $n"
		say "CPNET-GUEST: $n mtu $(cat /sys/class/net/$IF/mtu)"
	done
	round 2
fi
guest_done "bench done"
