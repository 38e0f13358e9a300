#!/usr/bin/env bash
# tests/scenarios/cp_errors.sh - bad commands through the socket: each gets its message
# ID and rc, nothing changes; privilege classes; a 100 KB line and binary garbage.
. "$(dirname "$0")/cpnet-lib.bash"
CFG=$ROOT/samples/system.config
DIRF=$ROOT/samples/user.direct
start_cpnetd "$CFG" "$DIRF"

cp_ q vsw vsw1 details; expect_ok; before=$OUT

cp_ frobnicate;                         expect_id HCPCMD001E
cp_ de vsw x;                           expect_id HCPCMD001E
cp_ define vs x;                        expect_id HCPCMD003E
cp_ define vswitch vsw1;                expect_id HCPLAN9100E
cp_ define vswitch vsw9 bogus;          expect_id HCPCMD003E
cp_ define vswitch vsw9 iptimeout 500;  expect_id HCPCMD9010E
cp_ define vswitch vsw9 iptimeout;      expect_id HCPCMD1001E
cp_ define vswitch vsw9 ip ethernet;    expect_id HCPCMD013E
cp_ define vswitch vsw9 isol on isol on; expect_id HCPCMD9011E
cp_ define lan l1 maxconn 2000;         expect_id HCPCMD9010E
cp_ set vswitch vsw1 revoke alice;      expect_id HCPLAN9106E
cp_ set vswitch nosuch grant alice;     expect_id HCPLAN9101E
cp_ set vswitch vsw1 grant a b c d e f g h i; expect_id HCPLAN9107E
cp_ force nobody;                       expect_id HCPCMD045E
cp_ autolog linux01;                    expect_id HCPLGA054E
cp_ query;                              expect_id HCPCMD026E
cp_ q controller;                       expect_id HCPSWQ9304E
cp_ "$(printf 'q\001\002 vsw')";        expect_id HCPCMD001E
cp_ "$(head -c 300 /dev/urandom | tr -d '\n\000')"
[ "$RC" -eq 1 ] || fail "garbage rc $RC"

# Class G (ALICE): class-B subcommands are invalid options, class-A commands unknown.
export CPNET_USER=ALICE CPNET_PASSWORD=ALICEPW
cp_ define vswitch vswx;   expect_id HCPCMD003E
cp_ force linux01;         expect_id HCPCMD001E
cp_ q vswitch;             expect_id HCPCMD003E
cp_ couple 800 system vsw1; expect_id HCPLAN9103E   # NICDEF 0800 exists, no GRANT
cp_ define lan his ownerid bob; expect_id HCPLAN9108E
CPNET_PASSWORD=WRONG cp_ q vmlan
[ "$RC" -eq 2 ] || fail "bad password rc $RC"
[ -z "$OUT" ] || fail "bad password: stdout has: $OUT"
grep -qx "HCPLGA050E LOGON unsuccessful--incorrect userid and/or password" <<<"$ERR" ||
	fail "bad password: $ERR"
grep -qx "cpnet: LOGON ALICE failed (rc 50)" <<<"$ERR" || fail "bad password: $ERR"
# A LOGON that succeeds is shown too (stderr: stdout is the command's): ALICE's
# NICDEF cannot couple without a GRANT, and she is told so.
cp_ q nic 800; expect_ok
expect_line "Adapter 0800.P00 Type: QDIO      Name: UNASSIGNED  Devices: 3"
[ "$ERR" = "HCPLAN9103E ALICE is not authorized to couple to VSWITCH SYSTEM VSW1
LOGON AS  ALICE    USERS = 3" ] || fail "LOGON's answer: '$ERR'"
# In a session the LOGON's answer opens the transcript, with its Ready line.
OUT=$(printf 'q nic 800\n' | timeout 30 "$BIN/cpnet" 2>&1)
[ "$(sed -n 1,3p <<<"$OUT")" = "HCPLAN9103E ALICE is not authorized to couple to VSWITCH SYSTEM VSW1
LOGON AS  ALICE    USERS = 3
Ready;" ] || fail "session LOGON: $OUT"
export CPNET_USER=OPERATOR CPNET_PASSWORD=OPERATOR

# A command given as arguments that fill the client's line and go on past it: the
# client sends it cut (the server answers "too long"), never writes past its buffer.
long=$(head -c 8190 /dev/zero | tr '\0' 'A')
cp_ "$long" b c d;     expect_id HCPCMD9002E
cp_ q "$long$long" c;  expect_id HCPCMD9002E

# A 100 KB line and a binary line in one interactive session; the session survives.
{
	head -c 102400 /dev/zero | tr '\0' 'A'; echo
	printf 'q \377\376\375 vmlan\n'
	echo "q vmlan"
} | timeout 30 "$BIN/cpnet" >"$TMP/inter.out" 2>&1 || true
grep -q "^HCPCMD9002E Command line too long" "$TMP/inter.out" || fail "no 9002E: $(head -c 300 "$TMP/inter.out")"
grep -qx "Ready(09002);" "$TMP/inter.out" || fail "no Ready(09002);"
grep -q "^HCPCMD003E Invalid option - \.\.\.$" "$TMP/inter.out" || fail "no 003E for binary operand"
grep -qx "VMLAN general activity:" "$TMP/inter.out" || fail "session died after bad lines"
grep -qx "Ready;" "$TMP/inter.out" || fail "no Ready;"

# A NUL byte inside a line: the client sends nothing of it (not "q vsw"), says so and
# goes on with the next line; exit status 1.
printf 'q vsw \0 nosuch\nq vmlan\n' | timeout 30 "$BIN/cpnet" >"$TMP/nul.out" 2>"$TMP/nul.err"
rc=$?
[ "$rc" -eq 1 ] || fail "NUL line: rc $rc"
grep -qx "cpnet: line 1: a NUL byte at column 7; not sent" "$TMP/nul.err" ||
	fail "NUL line: no client error: $(cat "$TMP/nul.err")"
! grep -q "^VSWITCH " "$TMP/nul.out" || fail "NUL line ran as Q VSW: $(cat "$TMP/nul.out")"
grep -qx "VMLAN general activity:" "$TMP/nul.out" || fail "NUL line: the next line did not run"
# The server refuses such a line from a client that does send it (peers are hostile).
if command -v python3 >/dev/null; then
	python3 - "$CPNET_SOCKET" >"$TMP/nulraw.out" 2>&1 <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"LOGON OPERATOR OPERATOR\nq vsw \0 nosuch\nq vmlan\n")
s.settimeout(10)
data, end = b"", time.time() + 10
while data.count(b"Ready") < 3 and time.time() < end:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode("latin-1"))
PY
	grep -qx "HCPCMD9004E Command line contains a NUL character (column 7); not executed" "$TMP/nulraw.out" ||
		fail "server ran a NUL line: $(cat "$TMP/nulraw.out")"
	grep -qx "Ready(09004);" "$TMP/nulraw.out" || fail "NUL line: no Ready(09004);"
	! grep -q "^VSWITCH " "$TMP/nulraw.out" || fail "server ran the NUL line as Q VSW"
	grep -qx "VMLAN general activity:" "$TMP/nulraw.out" || fail "session died after the NUL line"
	# A server that answers the LOGON and then drops the connection: the one-shot
	# command and the session both say so (not exit 2 alone) and exit 2.
	python3 - "$TMP/drop.sock" 2>&1 <<'PY' &
import os, socket, sys
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1])
srv.listen(2)
open(sys.argv[1] + ".up", "w").close()
for _ in range(2):
    c, _ = srv.accept()
    c.settimeout(10)
    c.recv(4096)                  # LOGON: Ready
    c.sendall(b"LOGON AS  OPERATOR USERS = 1\nReady;\n")
    c.recv(4096)                  # the command: dropped unanswered
    c.close()
PY
	DROP=$!
	for _ in $(seq 50); do [ -e "$TMP/drop.sock.up" ] && break; sleep 0.1; done
	OUT=$(timeout 30 "$BIN/cpnet" --socket "$TMP/drop.sock" q names 2>&1)
	rc=$?
	[ "$rc" -eq 2 ] || fail "one-shot, connection dropped: rc $rc: $OUT"
	grep -qx "cpnet: connection lost" <<<"$OUT" || fail "one-shot, connection dropped: $OUT"
	OUT=$(printf 'q names\n' | timeout 30 "$BIN/cpnet" --socket "$TMP/drop.sock" 2>&1)
	rc=$?
	[ "$rc" -eq 2 ] || fail "session, connection dropped: rc $rc: $OUT"
	grep -qx "cpnet: connection lost" <<<"$OUT" || fail "session, connection dropped: $OUT"
	wait "$DROP"
else
	echo "SKIP cp_errors: raw NUL line to the server, a dropped connection (no python3)"
fi

cp_ q vsw vsw1 details; expect_ok
[ "$OUT" = "$before" ] || fail "state changed: $OUT"
cp_ q vsw; expect_ok
[ "$(grep -c '^VSWITCH ' <<<"$OUT")" -eq 1 ] || fail "a VSWITCH appeared"
echo "cp_errors: ok"
