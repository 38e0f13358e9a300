#!/usr/bin/env bash
# tests/scenarios/readme_sample.sh - the README's first command works as written:
# scripts/sample.sh starts cpnetd with samples/ and the console answers commands.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CPNET_SOCKET=$PWD/build/test-logs/readme-sample.sock
out=$(printf 'q vswitch vsw1\nping linux01 10.1.0.2\nping linux02 10.2.0.1\nq xyzzy\n' |
	timeout 120 scripts/sample.sh 2>&1)
echo "$out"
grep -q '^VSWITCH SYSTEM VSW1 ' <<<"$out"
grep -q 'PING 10.1.0.2 from LINUX01 NIC 0600: 3 sent, 3 received' <<<"$out"
grep -q 'PING 10.2.0.1 from LINUX02 NIC 0700: 3 sent, 3 received' <<<"$out"
grep -q '^HCP' <<<"$out"	# the unknown command got a message with an ID
# The console's end stopped cpnetd.
! pgrep -f "cpnetd .*readme-sample.sock" >/dev/null
