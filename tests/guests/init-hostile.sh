#!/bin/sh
# tests/guests/init-hostile.sh - /init of t_hostile's two guests: NIC 0600 layer 2 on an ETHERNET
# VSWITCH (MACPROTECT ON), NIC 0700 layer 3 on an IP VSWITCH; one attacks, one measures.
# cpnet.role=hostile: forged sources, oversized frames, a flood (/bin/hostile), until told to stop.
# cpnet.role=bystander: ping series to the other guest on both switches during the attack, 0% loss.
# Parameters: cpnet.role= me= a4= pa4= a6= pa6= b4= pb4= b6= pb6= wait= (seconds).
. /etc/cpnet-guest.sh
guest_setup
arg() { sed -n "s/.*cpnet\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
ROLE=$(arg role)
ME=$(arg me)
A4=$(arg a4)
PA4=$(arg pa4)
A6=$(arg a6)
PA6=$(arg pa6)
B4=$(arg b4)
PB4=$(arg pb4)
B6=$(arg b6)
PB6=$(arg pb6)
QA4=$(arg qa4)
QB4=$(arg qb4)
WAIT=$(arg wait)
GO=7001	  # bystander -> hostile: measuring, attack now
STOP=7002 # bystander -> hostile: done, stop the flood
say "CPNET-GUEST: init started on $ME ($ROLE), kernel $(uname -r)"
if ! load_modules > /tmp/insmod.log; then
	cat /tmp/insmod.log
	guest_done "FAIL insmod"
fi

# up IF A4 A6: addresses, link up.
up() {
	echo 0 > /proc/sys/net/ipv6/conf/$1/accept_dad
	ip addr add "$2" dev "$1" || guest_done "FAIL ip addr add $2"
	ip -6 addr add "$3" dev "$1" || guest_done "FAIL ip addr add $3"
	ip link set "$1" up || { dump_dmesg 10; guest_done "FAIL link up $1"; }
}
online 0600 1
IFA=$IF
up "$IFA" "$A4" "$A6"
online 0700 0
IFB=$IF
up "$IFB" "$B4" "$B6"
sleep 1

# reach ADDR [-6]: wait (bounded) until ADDR answers.
reach() {
	t0=$(date +%s)
	while ! ping $2 -c 1 -W 1 "$1" > /dev/null 2>&1; do
		t=$(($(date +%s) - t0))
		[ "$t" -lt "${WAIT:-240}" ] || { dump_dmesg 10; guest_done "FAIL peer $1 silent for ${t}s"; }
		sleep 0.5
	done
	say "CPNET-GUEST: peer $1 answers after $(($(date +%s) - t0))s"
}
reach "$PA4"
reach "$PB4"
reach "$PB6" -6

# run CMD...: one helper command, its output lines on the console.
run() {
	/bin/hostile "$@" > /tmp/h.out 2>&1
	rc=$?
	while read -r l; do say "CPNET-GUEST: $l"; done < /tmp/h.out
	return $rc
}

if [ "$ROLE" = bystander ]; then
	# Ping series on both switches, in parallel, while the hostile guest attacks (it
	# starts once told and floods until told to stop).  Required: 0% loss to HSTPEER,
	# a guest inside cpnetd on both switches — what the switch does to a bystander.
	# Reported only: the series to the attacker itself, whose own link the flood fills
	# (its replies are its own traffic; on a loaded host they come late or not at all).
	ping -c 40 -i 0.5 -W 20 "$QA4" > /tmp/q2 2>&1 &
	Q2=$!
	ping -c 40 -i 0.5 -W 20 "$QB4" > /tmp/q3 2>&1 &
	Q3=$!
	ping -c 40 -i 0.5 -W 20 "$PB4" > /tmp/p3 2>&1 &
	P3=$!
	ping -6 -c 40 -i 0.5 -W 20 "$PB6" > /tmp/p36 2>&1 &
	P36=$!
	run tell "$PA4" $GO || guest_done "FAIL the hostile guest did not answer on port $GO"
	ping -c 40 -i 0.5 -W 20 "$PA4" > /tmp/p2 2>&1
	wait $Q2 $Q3 $P3 $P36
	run tell "$PA4" $STOP || guest_done "FAIL the hostile guest did not answer on port $STOP"
	lost=0
	for f in q2:"$QA4 l2 peer" q3:"$QB4 l3 peer" p2:"$PA4 l2 attacker" p3:"$PB4 l3 attacker" \
		p36:"$PB6 l3 attacker"; do
		s=$(grep 'packets transmitted' "/tmp/${f%%:*}")
		say "CPNET-GUEST: series ${f#*:}: $s"
		case $f:$s in *peer*" 0% packet loss"*) ;; *peer*) lost=$((lost + 1)) ;; esac
	done
	[ $lost = 0 ] || guest_done "FAIL $lost ping series to the peer lost packets"
	guest_done "init ok"
fi

# The hostile guest.  Its own MAC and the bystander's (learnt by the pings above).
MYMAC=$(cat /sys/class/net/$IFA/address)
BYMAC=$(ip neigh show "$PA4" dev "$IFA" | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')
say "CPNET-GUEST: macs own $MYMAC bystander ${BYMAC:-unknown}"
[ -n "$BYMAC" ] || guest_done "FAIL no neighbour entry for $PA4"
run wait $GO "${WAIT:-240}" || guest_done "FAIL the bystander never said go"
# Layer 2, MACPROTECT ON: a made-up source MAC, then the bystander's.
run mac "$IFA" 02:00:00:ee:00:01 ff:ff:ff:ff:ff:ff 200
run mac "$IFA" "$BYMAC" ff:ff:ff:ff:ff:ff 200
# Layer 3: unregistered IPv4 source, the bystander's IPv4 address, unregistered IPv6.
run ip4 10.2.0.77 "$PB4" 200
run ip4 "$PB4" "$PB4" 200
run ip6 fd02::77 "$PB6" 200
# Frames past the MTU the NIC reported (8992): the kernel refuses a plain one; GSO
# segments of 9554 bytes pass it.
run big "$IFA" "$BYMAC" "${A4%/*}" "$PA4" 9554 20
# Unknown unicast as fast as the driver takes it, until the bystander is done.
run flood "$IFA" 02:00:00:ee:00:02 "${WAIT:-240}" $STOP
guest_done "init ok"
