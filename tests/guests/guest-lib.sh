# tests/guests/guest-lib.sh - shell helpers for a guest's /init, installed as /etc/cpnet-guest.sh.
# Runs inside the s390x busybox guest (sourced by the test's init); boot.sh reads what say() prints.
#
# Console defect: Hercules 3.13 prints only the first event buffer of each SCLP write,
# and Linux packs lines written within ~100 ms into one write, so every line that must
# reach the host log is followed by a pause (CPNET_PACE seconds).

CPNET_PACE=${CPNET_PACE:-0.3}

# Print one line to the console, then pause so the next line gets its own SCLP write.
say() {
	echo "$*"
	sleep "$CPNET_PACE"
}

# The usual first steps of an init: file systems, busybox applets, a quiet console.
guest_setup() {
	/bin/busybox mkdir -p /proc /sys /dev /tmp /usr/bin /usr/sbin /sbin
	/bin/busybox --install -s
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev 2>/dev/null || true
	# Kernel messages would share SCLP writes with ours and swallow them: keep
	# only emergencies on the console (dmesg still has everything).
	echo 1 > /proc/sys/kernel/printk
	sleep "$CPNET_PACE"
}

# insmod every module of /lib/modules/load.order (mkinitrd.sh wrote it in
# dependency order); one line per module: "CPNET-GUEST: insmod NAME ok|FAIL".
# Returns the number of failures.
load_modules() {
	_lm_fails=0
	while read -r _lm_mod; do
		if _lm_out=$(insmod "/lib/modules/$_lm_mod.ko" 2>&1); then
			say "CPNET-GUEST: insmod $_lm_mod ok"
		else
			say "CPNET-GUEST: insmod $_lm_mod FAIL: $_lm_out"
			_lm_fails=$((_lm_fails + 1))
		fi
	done < /lib/modules/load.order
	return $_lm_fails
}

# answered PINGOUTPUT: ping's summary says at least one reply came back
# ("N packets transmitted, M packets received" with M > 0).
answered() {
	case $1 in
	*" 0 packets received"*) return 1 ;;
	*" packets received"*) return 0 ;;
	esac
	return 1
}

# Show the last kernel messages, paced (for failures).
dump_dmesg() {
	dmesg | tail -n "${1:-20}" | while read -r l; do say "dmesg: $l"; done
}

# online BASE LAYER2: group qeth devices BASE..BASE+2, set them online in that layer
# (1 layer 2, 0 layer 3) and set IF to the new interface; any failure ends the init
# (guest_done "FAIL ...").  Prints "CPNET-GUEST: online BASE layer2 L state S if IF".
online() {
	_on_b=/sys/bus/ccwgroup/devices/0.0.$1
	_on_d1=$(printf '%04x' $((0x$1 + 1)))
	_on_d2=$(printf '%04x' $((0x$1 + 2)))
	echo "0.0.$1,0.0.$_on_d1,0.0.$_on_d2" > /sys/bus/ccwgroup/drivers/qeth/group ||
		{ dump_dmesg 10; guest_done "FAIL group $1"; }
	echo "$2" > $_on_b/layer2 || guest_done "FAIL $1 layer2=$2"
	if ! echo 1 > $_on_b/online; then
		dump_dmesg 25
		guest_done "FAIL online $1"
	fi
	IF=$(ls $_on_b/net/ 2>/dev/null)
	[ -n "$IF" ] || { dump_dmesg 10; guest_done "FAIL $1: no net device"; }
	say "CPNET-GUEST: online $1 layer2 $(cat $_on_b/layer2) state $(cat $_on_b/state) if $IF"
}

# The end of every test init: the marker boot.sh waits for, then idle forever
# (boot.sh stops Hercules; a guest that exits init would panic).
guest_done() {
	say "CPNET-GUEST: $*"
	while :; do sleep 3600; done
}

# ---- bulk data (the offload tests) -------------------------------------------------------
# bulk_prepare MB: /tmp/data of MB random MiB ("CPNET-GUEST: data md5 M bytes N"), and the
# receivers' stdin: a FIFO a silent writer holds open (busybox nc half-closes on stdin EOF
# and a sender stops at its peer's EOF), so a receiver ends only after the sender's last byte.
bulk_prepare() {
	dd if=/dev/urandom of=/tmp/data bs=1M count="$1" 2> /dev/null || guest_done "FAIL dd"
	say "CPNET-GUEST: data md5 $(md5sum < /tmp/data | cut -d' ' -f1) bytes $(wc -c < /tmp/data)"
	mkfifo /tmp/hold
	sleep 900 > /tmp/hold &
	_bk_hold=$!
	_bk_rx=
}
# bulk_listen PORT TAG: receive one connection into /tmp/rx.TAG.
bulk_listen() {
	timeout 900 nc -l -p "$1" < /tmp/hold > "/tmp/rx.$2" &
	_bk_rx="$_bk_rx $!"
}
# bulk_send TAG ADDR PORT: /tmp/data to ADDR, retried until its receiver listens (60 s);
# "CPNET-GUEST: sent TAG in Ns".
bulk_send() {
	_bk_t0=$(date +%s)
	_bk_n=0
	until timeout 600 nc "$2" "$3" < /tmp/data; do
		_bk_n=$((_bk_n + 1))
		[ $_bk_n -lt 60 ] || guest_done "FAIL send $1: no receiver at $2 port $3"
		sleep 1
	done
	say "CPNET-GUEST: sent $1 in $(($(date +%s) - _bk_t0))s"
}
# bulk_finish TAG...: wait for the receivers, then "CPNET-GUEST: got TAG md5 M bytes N".
bulk_finish() {
	for _bk_p in $_bk_rx; do wait "$_bk_p"; done
	kill "$_bk_hold" 2> /dev/null
	for _bk_t in "$@"; do
		say "CPNET-GUEST: got $_bk_t md5 $(md5sum < "/tmp/rx.$_bk_t" | cut -d' ' -f1) bytes $(wc -c < "/tmp/rx.$_bk_t")"
	done
}
# offloads_on IF...: MTU 8992 and ethtool -K rx tx sg tso on (/bin/ofl), the result shown.
offloads_on() {
	for _of_i in "$@"; do
		ip link set "$_of_i" mtu 8992 || guest_done "FAIL mtu 8992 on $_of_i"
		/bin/ofl "$_of_i" on | while read -r _of_l; do say "CPNET-GUEST: $_of_l"; done
	done
}
