#!/usr/bin/env bash
# tests/scenarios/ping_remote.sh - PING from a synthetic guest inside cpnetd to a VM in
# another process (`cpnet-guest connect`, as a Hercules guest's CPNIC is): the answers
# come back through the VM's ring, or its socket (--transport socket), while the command
# waits (until cpnetd moved them during PING they came only after it gave up: 0
# received; frames on a socket so until cp/server.c's pump_links took them too).
. "$(dirname "$0")/cpnet-lib.bash"
start_cpnetd "$ROOT/samples/system.config" "$ROOT/samples/user.direct"
cp_ set vswitch vsw1 grant alice; expect_ok
guest alice --user ALICE --password ALICEPW --ip 10.1.0.6/24 --stay 60
ALICE=$LASTPID
wait_for "$TMP/alice.out" "^NIC 0800 online: layer 2, MAC .*, ETHERNET SYSTEM VSW1, 10.1.0.6/24$"
# Answers, not necessarily all of them: an echo waits at most 16 looks of 10 ms for the
# other process, which a loaded machine may not schedule in time (before: 0, always).
cp_ ping linux01 10.1.0.6 3; expect_ok
grep -qE "^PING 10\.1\.0\.6 from LINUX01 NIC 0600: 3 sent, [123] received$" <<<"$OUT" || fail "ping linux01: $OUT"
# From the other synthetic guest too (its own ARP resolution through ALICE's ring).
cp_ ping linux02 10.1.0.6 2; expect_ok
grep -qE "^PING 10\.1\.0\.6 from LINUX02 NIC 0600: 2 sent, [12] received$" <<<"$OUT" || fail "ping linux02: $OUT"
# An address nobody has, with VMs in other processes logged on: the command's wait for
# them is bounded (CP_PING_WAIT_NS, 2 s), so cpnetd's loop is not held for 100 echoes
# (9 s of 5 ms looks without the bound).
t0=$(date +%s)
cp_ ping linux01 10.1.0.99 100; expect_ok
expect_line "PING 10.1.0.99 from LINUX01 NIC 0600: 100 sent, 0 received"
secs=$(($(date +%s) - t0))
[ "$secs" -le 5 ] || fail "PING of an unanswered address held cpnetd for $secs s"
# ALICE again, its frames on the socket: PING's pump moves those too.  (A new address:
# its new LOGON may bring a new MAC, which the synthetic guests' neighbour caches,
# never aged, would not know.)
{ kill "$ALICE"; wait "$ALICE"; } 2>/dev/null
for _ in $(seq 100); do
	cp_ q names
	case $OUT in *ALICE*) sleep 0.1 ;; *) break ;; esac
done
guest alice2 --user ALICE --password ALICEPW --ip 10.1.0.7/24 --stay 60 --transport socket
wait_for "$TMP/alice2.out" "^NIC 0800 online: layer 2, MAC .*, ETHERNET SYSTEM VSW1, 10.1.0.7/24$"
cp_ ping linux01 10.1.0.7 3; expect_ok
grep -qE "^PING 10\.1\.0\.7 from LINUX01 NIC 0600: 3 sent, [123] received$" <<<"$OUT" || fail "ping linux01 (socket): $OUT"
echo "ok ping_remote"
