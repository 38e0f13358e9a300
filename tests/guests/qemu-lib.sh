# tests/guests/qemu-lib.sh - QEMU s390x guests for the real-guest tests and benchmarks (sourced after lib.sh).
# The same Debian kernel and busybox as the Hercules guests, booted by qemu-system-s390x (TCG) with
# virtio-net-ccw NICs; a command agent on a virtio-serial port (init-qemu.sh, qemu-ctl.py) drives it.
#
# Facts these helpers rely on (QEMU 7.2, doc/qemu.md): -smp 1 alone can freeze a virtio RX
# queue under heavy TCP (fixed in 8.1), so every guest gets -smp 1,maxcpus=2; guest RAM is
# a shared memfd so the same guest can use a vhost-user backend (cpnet-vhost); QEMU waits
# at start until a vhost-user backend's socket accepts it.

# shellcheck shell=bash
CPNET_QEMU=${CPNET_QEMU:-qemu-system-s390x}
# Bound of one QEMU boot to "agent ready": 5-8 s of kernel on an idle machine, but the
# 2 CPUs are shared with Hercules guests and builds.
CPNET_QEMU_BOOT=${CPNET_QEMU_BOOT:-180}

# qemu_usable: qemu-system-s390x exists and knows the machine and devices used here.
qemu_usable() {
	command -v "$CPNET_QEMU" > /dev/null || return 1
	local devs
	devs=$("$CPNET_QEMU" -M s390-ccw-virtio -device help 2> /dev/null) || return 1
	[[ $devs == *'"virtio-net-ccw"'* && $devs == *'"virtio-serial-ccw"'* ]]
}

# qemu_initrd DIR NICS [MKINITRD-ARGS...]: DIR gets vmlinuz and initrd.gz of a QEMU guest whose
# init is init-qemu.sh, NICS its cpnet.nics= (MAC+ADDR/LEN,...). 0 or mkinitrd's status
# (its log in DIR/mkinitrd.log).
qemu_initrd() {
	local dir=$1 nics=$2
	shift 2
	mkdir -p "$dir"
	"$GUESTS_DIR/mkinitrd.sh" -q -m virtio_net -m virtio_console "$@" -p "cpnet.nics=$nics" \
		"$GUESTS_DIR/init-qemu.sh" "$dir" 2> "$dir/mkinitrd.log"
}

# qemu_start DIR MEM NETARGS...: boot DIR's kernel and initrd in QEMU with MEM MiB of shared
# memfd RAM, the agent's port on DIR/ctl.sock, the console in DIR/console.log, and NETARGS
# (-netdev/-device/-chardev words of the NICs). In its own session (qemu_stop reaches it
# and nothing else); sets QEMU_PID. Does not wait: QEMU may wait for a vhost-user backend.
# With QEMU_NETNS set, QEMU runs in that network namespace (where its TAPs are).
qemu_start() {
	local dir=$1 mem=$2 ns=()
	shift 2
	[ -n "${QEMU_NETNS:-}" ] && ns=(ip netns exec "$QEMU_NETNS")
	: > "$dir/console.log"
	rm -f "$dir/ctl.sock"
	setsid "${ns[@]}" "$CPNET_QEMU" -M s390-ccw-virtio,memory-backend=mem -nodefaults -display none \
		-object "memory-backend-memfd,id=mem,size=${mem}M,share=on" -m "${mem}M" \
		-smp 1,maxcpus=2 -kernel "$dir/vmlinuz" -initrd "$dir/initrd.gz" \
		-append "$(cat "$dir/parmfile")" \
		-chardev "file,id=con,path=$dir/console.log" -device sclpconsole,chardev=con \
		-chardev "socket,id=ctl,path=$dir/ctl.sock,server=on,wait=off" \
		-device virtio-serial-ccw,devno=fe.0.00f0 -device virtserialport,chardev=ctl,name=cpnet.ctl \
		"$@" < /dev/null > "$dir/qemu.out" 2>&1 &
	# shellcheck disable=SC2034 # for the caller
	QEMU_PID=$!
}

# qemu_wait DIR PID SECS: wait for the guest's final line; 0 "agent ready", 1 a FAIL line
# or QEMU ended, 2 nothing in SECS.
qemu_wait() {
	local dir=$1 pid=$2 end=$(($(date +%s) + $3))
	while [ "$(date +%s)" -lt "$end" ]; do
		grep -qF "CPNET-GUEST: agent ready" "$dir/console.log" && return 0
		grep -qE "^CPNET-GUEST: FAIL|Kernel panic" "$dir/console.log" && return 1
		kill -0 "$pid" 2> /dev/null || return 1
		sleep 0.2
	done
	return 2
}

# qemu_ctl DIR SECS COMMAND...: run COMMAND (one shell line) in the guest of DIR; its output,
# its status (124 no answer in SECS, 125 the port closed).
qemu_ctl() {
	local dir=$1 secs=$2
	shift 2
	python3 "$GUESTS_DIR/qemu-ctl.py" "$dir/ctl.sock" "$secs" "$@"
}

# qemu_stop PID: SIGTERM QEMU's session, SIGKILL after 5 s; 0 always.
qemu_stop() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill -TERM -- "-$pid" 2> /dev/null || kill -TERM "$pid" 2> /dev/null
	poll 5 gone "$pid" || kill -KILL -- "-$pid" 2> /dev/null || kill -KILL "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null
	return 0
}

# qemu_tap_args ID TAP MAC DEVNO: NETARGS of a virtio-net-ccw on QEMU's own TAP backend
# (the TAP exists; QEMU opens it, no scripts).
qemu_tap_args() {
	printf '%s\n' -netdev "tap,id=$1,ifname=$2,script=no,downscript=no,vhost=off" \
		-device "virtio-net-ccw,netdev=$1,mac=$3,devno=$4"
}

# qemu_vhost_args ID SOCKET MAC DEVNO: NETARGS of a virtio-net-ccw on a vhost-user backend
# listening on SOCKET (cpnet-vhost --vhost SOCKET).
qemu_vhost_args() {
	printf '%s\n' -chardev "socket,id=$1c,path=$2" -netdev "vhost-user,id=$1,chardev=$1c" \
		-device "virtio-net-ccw,netdev=$1,mac=$3,devno=$4"
}
