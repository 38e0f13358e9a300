#!/usr/bin/env bash
# tests/scenarios/ping_remote.sh - PING from a synthetic guest inside cpnetd to VMs in
# other processes (`cpnet-guest connect`, as a Hercules guest's CPNIC is): the answers
# come back through the VM's ring, or its socket link, while the command waits (they
# came only after it gave up, 0 received, before cpnetd moved them during PING).
. "$(dirname "$0")/cpnet-lib.bash"
# The sample directory and CAROL, whose VM sends its frames over the socket link.
cat "$ROOT/samples/user.direct" - >"$TMP/user.direct" <<'DIR'
USER CAROL CAROLPW 512M 1G G
  NICDEF 0800 TYPE QDIO LAN SYSTEM VSW1
DIR
start_cpnetd "$ROOT/samples/system.config" "$TMP/user.direct"
cp_ set vswitch vsw1 grant alice carol; expect_ok
guest alice --user ALICE --password ALICEPW --ip 10.1.0.6/24 --stay 60
wait_for "$TMP/alice.out" "^NIC 0800 online: layer 2, MAC .*, ETHERNET SYSTEM VSW1, 10.1.0.6/24$"
# Answers, not necessarily all of them: an echo waits at most 16 looks of 10 ms for the
# other process, which a loaded machine may not schedule in time (before: 0, always).
cp_ ping linux01 10.1.0.6 3; expect_ok
grep -qE "^PING 10\.1\.0\.6 from LINUX01 NIC 0600: 3 sent, [123] received$" <<<"$OUT" || fail "ping linux01: $OUT"
# From the other synthetic guest too (its own ARP resolution through ALICE's ring).
cp_ ping linux02 10.1.0.6 2; expect_ok
grep -qE "^PING 10\.1\.0\.6 from LINUX02 NIC 0600: 2 sent, [12] received$" <<<"$OUT" || fail "ping linux02: $OUT"
# A VM on the socket link (`--transport socket`, no ring): its frames are read off its
# socket while the command waits (before: only rings were, and it answered after the
# command had ended, 0 received, always).  Answers within the same bound per echo as
# above, so not necessarily all of them on a loaded machine.
# The VM pings first (cpnetd's loop, no command waiting): answered too.
guest carol --user CAROL --password CAROLPW --ip 10.1.0.7/24 --stay 60 --transport socket \
	--ping 10.1.0.1 --count 3
wait_for "$TMP/carol.out" "^NIC 0800 online: layer 2, MAC .*, ETHERNET SYSTEM VSW1, 10.1.0.7/24$"
wait_for "$TMP/carol.out" "^ping 10.1.0.1 from NIC 0800: 3 sent, 3 received$"
cp_ ping linux01 10.1.0.7 3; expect_ok
grep -qE "^PING 10\.1\.0\.7 from LINUX01 NIC 0600: 3 sent, [123] received$" <<<"$OUT" || fail "ping carol: $OUT"
cp_ ping linux02 10.1.0.7 2; expect_ok
grep -qE "^PING 10\.1\.0\.7 from LINUX02 NIC 0600: 2 sent, [12] received$" <<<"$OUT" || fail "ping carol 2: $OUT"
# A VM in another process is no source for CP's PING: its guest runs in its own
# process, which CP cannot make send (it pings from inside: cpnet-guest --ping).
cp_ ping carol 10.1.0.1; expect_id HCPVMX9303E
expect_out "HCPVMX9303E CAROL is not a synthetic guest with NIC *"
# An address nobody has, with VMs in other processes logged on: the command's wait for
# them is bounded (CP_PING_WAIT_NS, 2 s), so cpnetd's loop is not held for 100 echoes
# (9 s of 5 ms looks without the bound).
t0=$(date +%s)
cp_ ping linux01 10.1.0.99 100; expect_ok
expect_line "PING 10.1.0.99 from LINUX01 NIC 0600: 100 sent, 0 received"
secs=$(($(date +%s) - t0))
[ "$secs" -le 5 ] || fail "PING of an unanswered address held cpnetd for $secs s"
echo "ok ping_remote"
