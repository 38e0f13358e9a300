# tests/testlib.sh - helpers every shell test shares (sourced): skip with exit 77, names of
# root-namespace objects unique to the test process, bounded polls instead of fixed sleeps.
# tests/guests/lib.sh and tests/scenarios/cpnet-lib.bash source it; see doc/hacking.md.

# The exit status that tells a runner "skipped" (automake's convention).
CPNET_SKIP_RC=77

# skip REASON: this test cannot run here (no root, no TAP, a missing tool). Prints
# "SKIP NAME: REASON" and exits 77; the runners count it as skipped, never as passed.
skip() {
	echo "SKIP ${T:-$(basename "$0" .sh)}: $*"
	exit "$CPNET_SKIP_RC"
}

# need_net [COMMAND...]: skip unless this test can build networks: root, /dev/net/tun,
# the ip command, and each COMMAND given (python3, timeout, ...).
need_net() {
	local c
	[ "$(id -u)" -eq 0 ] || skip "needs root for TAPs, bridges and network namespaces"
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
	for c in ip "$@"; do
		command -v "$c" > /dev/null || skip "no $c command"
	done
}

# tname TAG: the name for a TAP, bridge, veth or netns of this test: "cp" TAG PID. The PID
# makes it unique among the tests running at the same time; TAG is letters only so that
# no two (TAG, PID) pairs spell the same name. At most 15 characters (IFNAMSIZ - 1), or
# the test stops with an error.
tname() {
	local n="cp$1$$"
	case $1 in '' | *[!a-z]*) echo "tname: tag '$1' must be lower-case letters" >&2; exit 1 ;; esac
	[ ${#n} -le 15 ] || { echo "tname: '$n' is longer than 15 characters" >&2; exit 1; }
	printf '%s\n' "$n"
}

# poll SECS CMD...: run CMD every 0.1 s until it succeeds, for at most SECS (whole)
# seconds by the clock, not by a count of sleeps that a loaded machine stretches.
# 0 once CMD succeeded, 1 if it never did.
poll() {
	local end=$((${EPOCHREALTIME//[!0-9]/} + $1 * 1000000))
	shift
	while :; do
		"$@" && return 0
		[ "${EPOCHREALTIME//[!0-9]/}" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# stop_daemon PID: stop a daemon started as `timeout SECS PROGRAM ... &` (PID is timeout's):
# SIGTERM to timeout and to the program behind it, SIGKILL to what is left after 5 s.
# Killing only timeout would orphan the program, and with it every file descriptor it
# inherited (the shared lock's included: an orphan blocks everyone's tests).
stop_daemon() {
	local pid=$1 kids
	[ -n "$pid" ] || return 0
	kids=$(pgrep -P "$pid" 2>/dev/null)
	# shellcheck disable=SC2086 # kids: zero or more PIDs
	kill -TERM "$pid" $kids 2>/dev/null
	# shellcheck disable=SC2086
	poll 5 gone "$pid" $kids || kill -KILL "$pid" $kids 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# gone PID...: none of the processes exists any more.
gone() {
	local p
	for p; do kill -0 "$p" 2>/dev/null && return 1; done
	return 0
}

# link_up IFNAME: the interface has carrier (a TAP: someone holds it open and it is up).
link_up() {
	local s
	s=$(ip link show "$1" 2>/dev/null) || return 1
	[[ $s == *LOWER_UP* ]]
}

# uplink_packets RX|TX TEXT: that packet count of the "Uplink Port Connection" section
# of TEXT (a QUERY VSWITCH ... DETAILS), empty if there is none.
uplink_packets() {
	awk -v k="$1" '/Uplink Port Connection/ { up = 1 }
		up && $1 == k && $2 == "Packets:" { print $3; exit }' <<<"$2"
}
