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

# qeth device group BASE..BASE+2 online in layer 2 (LAYER2=1) or 3 (0); sets IF to its
# interface and prints "CPNET-GUEST: online BASE layer2 N state S if IF".
online() {
	b=/sys/bus/ccwgroup/devices/0.0.$1
	d1=$(printf '%04x' $((0x$1 + 1)))
	d2=$(printf '%04x' $((0x$1 + 2)))
	echo "0.0.$1,0.0.$d1,0.0.$d2" > /sys/bus/ccwgroup/drivers/qeth/group ||
		{ dump_dmesg 10; guest_done "FAIL group $1"; }
	echo "$2" > $b/layer2 || guest_done "FAIL $1 layer2=$2"
	if ! echo 1 > $b/online; then
		dump_dmesg 25
		guest_done "FAIL online $1"
	fi
	IF=$(ls $b/net/ 2>/dev/null)
	[ -n "$IF" ] || { dump_dmesg 10; guest_done "FAIL $1: no net device"; }
	say "CPNET-GUEST: online $1 layer2 $(cat $b/layer2) state $(cat $b/state) if $IF"
}

# Show the last kernel messages, paced (for failures).
dump_dmesg() {
	dmesg | tail -n "${1:-20}" | while read -r l; do say "dmesg: $l"; done
}

# The end of every test init: the marker boot.sh waits for, then idle forever
# (boot.sh stops Hercules; a guest that exits init would panic).
guest_done() {
	say "CPNET-GUEST: $*"
	while :; do sleep 3600; done
}
