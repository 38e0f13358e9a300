#!/usr/bin/env bash
# scripts/sample.sh - the README's first command: build cpnet, start cpnetd with the
# sample SYSTEM CONFIG and directory, and put the operator console in front of you.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
make -s -j"$(nproc 2>/dev/null || echo 2)" all

dir=build/sample
mkdir -p "$dir"
sock=${CPNET_SOCKET:-$PWD/$dir/cpnetd.sock}
rm -f "$sock"
# As root, VSW1 gets an uplink: an OSA on the TAP cpnt0 (attach it to a bridge to
# reach the outside).  Without root it stays RDEV NONE: guests talk locally.
config=samples/system.config
uplink="none (not root: RDEV NONE)"
made_tap=
if [ "$(id -u)" -eq 0 ] && [ -c /dev/net/tun ] && command -v ip >/dev/null; then
	# The TAP is the sample's own when it made it: it goes when the sample ends.
	if ! ip link show cpnt0 >/dev/null 2>&1; then
		ip tuntap add dev cpnt0 mode tap
		made_tap=1
	fi
	cat samples/system.config samples/uplink.config >"$dir/system.config"
	config=$dir/system.config
	uplink="OSA 0A00 on TAP cpnt0 (controllers DTCVSW1, DTCVSW2)"
fi
build/cpnetd --config "$config" --directory samples/user.direct \
	--socket "$sock" >"$dir/cpnetd.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
      [ -z "$made_tap" ] || ip link del cpnt0 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
	[ -S "$sock" ] && break
	kill -0 "$pid" 2>/dev/null || { cat "$dir/cpnetd.log"; exit 1; }
	sleep 0.1
done
[ -S "$sock" ] || { echo "cpnetd did not start; see $dir/cpnetd.log"; exit 1; }

cat <<MSG
cpnetd is running (pid $pid, log $dir/cpnetd.log, socket $sock).
You are logged on as OPERATOR. LINUX01 and LINUX02 are up on VSWITCH VSW1 and
Guest LAN GLAN1. VSW1 uplink: $uplink. Try:
  q vswitch vsw1 det
  q lan glan1 det
  q nic
  ping linux01 10.1.0.2
  q vmlan
  q controller          q osa
End with Ctrl-D (an empty line does nothing, as on a 3270); cpnetd stops with
this console.
MSG
CPNET_PASSWORD=${CPNET_PASSWORD:-OPERATOR} build/cpnet --socket "$sock" --user OPERATOR || true
