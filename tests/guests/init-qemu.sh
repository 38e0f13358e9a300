#!/bin/sh
# tests/guests/init-qemu.sh - /init of the QEMU s390x guests (tests/guests/qemu-lib.sh): virtio-net NICs
# by MAC, then a command agent on the virtio-serial port "cpnet.ctl" that the host drives (qemu-ctl.py).
#
# Kernel command line: cpnet.nics=MAC+ADDR/LEN,...  each virtio-net interface with that MAC gets
# ADDR/LEN and goes up ("CPNET-GUEST: up IF MAC ADDR mtu M"). The agent reads one shell command
# line at a time from the port, runs it (stdin /dev/null, output to a file, so that a command
# left running in the background never holds the port), then writes the output and
# "CPNET-RC STATUS". The last console line is "CPNET-GUEST: agent ready" (or "... FAIL ...").
# /bin/xsend, xrecv, xzero, xnull, xstore: busybox nc -e programs (64 KiB blocks, no pipe);
# /bin/xmd5 the md5 and size of what xrecv received, once it is whole.
# shellcheck disable=SC2034 # read by /etc/cpnet-guest.sh
CPNET_PACE=0 # QEMU's SCLP console prints every line: no pause needed
. /etc/cpnet-guest.sh
guest_setup
NICS=$(sed -n 's/.*cpnet\.nics=\([^ ]*\).*/\1/p' /proc/cmdline | tr ',' ' ')
say "CPNET-GUEST: qemu init, kernel $(uname -r), nics $NICS"
if ! load_modules > /tmp/insmod.log; then
	cat /tmp/insmod.log
	guest_done "FAIL insmod"
fi
ip link set lo up

for n in $NICS; do
	mac=${n%%+*}
	addr=${n#*+}
	IF=
	i=0
	# virtio_net probes asynchronously: give the interface up to 10 s to appear
	while [ -z "$IF" ] && [ $i -lt 100 ]; do
		for d in /sys/class/net/*; do
			[ "$(cat "$d/address" 2> /dev/null)" = "$mac" ] && IF=${d##*/}
		done
		[ -n "$IF" ] || { sleep 0.1; i=$((i + 1)); }
	done
	[ -n "$IF" ] || { dump_dmesg 15; guest_done "FAIL no interface with mac $mac"; }
	ip addr add "$addr" dev "$IF" || guest_done "FAIL ip addr add $addr on $IF"
	ip link set "$IF" up || { dump_dmesg 10; guest_done "FAIL link up $IF"; }
	say "CPNET-GUEST: up $IF $mac $addr mtu $(cat "/sys/class/net/$IF/mtu")"
done

# nc -e takes a program without arguments: one script per direction
printf '#!/bin/sh\nexec dd if=/tmp/data bs=65536 2> /dev/null\n' > /bin/xsend
# xrecv keeps what it reads in /tmp/rx.part and names it /tmp/rx once the sender's EOF came
# and every byte is written: the sender ends before its last bytes arrive here (its
# socket's buffer), so /tmp/rx is looked at by xmd5 only when it is whole.
printf '#!/bin/sh\ndd of=/tmp/rx.part bs=65536 2> /dev/null && mv /tmp/rx.part /tmp/rx\n' > /bin/xrecv
# xmd5: "MD5\nBYTES" of /tmp/rx once xrecv completed it (waits up to 120 s), else FAIL
printf '#!/bin/sh\ni=0\nwhile [ ! -f /tmp/rx ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done\n[ -f /tmp/rx ] || { echo "FAIL no complete /tmp/rx ($(wc -c < /tmp/rx.part 2> /dev/null) bytes so far)"; exit 1; }\nmd5sum < /tmp/rx | cut -d" " -f1\nwc -c < /tmp/rx\n' > /bin/xmd5
printf '#!/bin/sh\nexec dd if=/dev/zero bs=65536 2> /dev/null\n' > /bin/xzero
printf '#!/bin/sh\nexec dd of=/dev/null bs=65536 2> /dev/null\n' > /bin/xnull
# the data to a Hercules guest's bench agent (bench-agent.sh `store q`, then `md5 q`)
printf '#!/bin/sh\necho store q\nexec dd if=/tmp/data bs=65536 2> /dev/null\n' > /bin/xstore
chmod 755 /bin/xsend /bin/xrecv /bin/xmd5 /bin/xzero /bin/xnull /bin/xstore

PORT=
i=0
while [ -z "$PORT" ] && [ $i -lt 100 ]; do
	for p in /sys/class/virtio-ports/*; do
		[ "$(cat "$p/name" 2> /dev/null)" = cpnet.ctl ] && PORT=/dev/${p##*/}
	done
	[ -n "$PORT" ] || { sleep 0.1; i=$((i + 1)); }
done
if [ -z "$PORT" ] || [ ! -c "$PORT" ]; then
	dump_dmesg 10
	guest_done "FAIL no virtio-serial port cpnet.ctl"
fi

# One connection of the host: commands until it goes away (the port reads EOF then).
session() {
	while read -r line; do
		sh -c "$line" > /tmp/agent.out 2>&1 < /dev/null
		rc=$?
		cat /tmp/agent.out
		echo "CPNET-RC $rc"
	done
}
(while :; do
	# one open for both ways: the port admits one opener at a time
	session <> "$PORT" >&0
	sleep 0.2
done) &
guest_done "agent ready"
