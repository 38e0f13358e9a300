#!/usr/bin/env bash
# tests/scenarios/cp_system_config.sh - a SYSTEM CONFIG shared by two systems
# (samples/ssi.config): --check passes for each, only this system's records apply.
. "$(dirname "$0")/cpnet-lib.bash"
SSI=$ROOT/samples/ssi.config
DIR=$ROOT/samples/user.direct

# --check: SYSTEM_IDENTIFIER_DEFAULT names an unknown host ZVMTEST; --system-name wins.
for sys in "" ZVMPROD ZVMTEST; do
	out=$("$BIN/cpnetd" --check --config "$SSI" --directory "$DIR" ${sys:+--system-name "$sys"} 2>&1)
	rc=$?
	[ "$rc" -eq 0 ] || fail "--check ${sys:-(default)} rc $rc: $out"
	grep -qxF "cpnetd --check: 0 errors" <<<"$out" || fail "$out"
	grep -qxF "cpnetd: system name ${sys:-ZVMTEST}" <<<"$out" || fail "$out"
done

# A system name is 1-8 characters like a userid.
out=$("$BIN/cpnetd" --check --config "$SSI" --system-name TOOLONGNAME 2>&1)
[ $? -eq 2 ] || fail "--system-name TOOLONGNAME accepted: $out"
grep -q "^cpnetd: --system-name TOOLONGNAME: 1 to 8 of" <<<"$out" || fail "$out"

# SYSTEM_IDENTIFIER LPAR matches this host by its name.
host=$(uname -n | tr '[:lower:]' '[:upper:]')
{ echo "System_Identifier LPAR $host ZVMPROD"; grep -v "^ *System_Identifier " "$SSI"; } >"$TMP/ssi.config"
out=$("$BIN/cpnetd" --check --config "$TMP/ssi.config" --directory "$DIR" 2>&1)
grep -qxF "cpnetd: system name ZVMPROD" <<<"$out" || fail "LPAR $host: $out"
grep -qxF "cpnetd --check: 0 errors" <<<"$out" || fail "$out"

# Block errors name their file:line; another system's statement has its name checked.
cat >"$TMP/bad.config" <<'CFG'
ZVMPROD: BEGIN
   DEFINE VSWITCH P1 FROB
ZVMPROD: END
ZVMTEST: FROBNICATE
ZVMTEST: END
BEGIN
ZVMTEST: BEGIN
CFG
out=$("$BIN/cpnetd" --check --config "$TMP/bad.config" --system-name ZVMPROD 2>&1)
[ $? -eq 1 ] || fail "bad --check rc: $out"
grep -qxF "$TMP/bad.config:2: HCPCMD003E Invalid option - FROB" <<<"$out" || fail "$out"
grep -qxF "$TMP/bad.config:4: HCPCFG9400E Unknown statement - FROBNICATE" <<<"$out" || fail "$out"
grep -qxF "$TMP/bad.config:5: HCPCFG9418E ZVMTEST: END has no matching BEGIN" <<<"$out" || fail "$out"
grep -qxF "$TMP/bad.config:6: HCPCFG9419E BEGIN needs a record qualifier (sysname: BEGIN)" <<<"$out" || fail "$out"
grep -qxF "$TMP/bad.config:7: HCPCFG9417E ZVMTEST: BEGIN at line 7 has no matching END" <<<"$out" || fail "$out"
grep -qxF "cpnetd --check: 5 errors" <<<"$out" || fail "$out"

# Started as ZVMPROD: the common LAN and the production switches, no test switch.
start_cpnetd "$SSI" "$DIR" --system-name ZVMPROD
grep -qxF "cpnetd: system name ZVMPROD" "$TMP/cpnetd.out" || fail "$(cat "$TMP/cpnetd.out")"
cp_ q vswitch; expect_ok
expect_line "VSWITCH SYSTEM PRODSW1    Type: QDIO    Connected: 0 Maxconn: INFINITE"
expect_line "VSWITCH SYSTEM PRODSW2    Type: QDIO    Connected: 0 Maxconn: INFINITE"
grep -q "TESTSW" <<<"$OUT" && fail "a ZVMTEST switch on ZVMPROD: $OUT"
cp_ q lan glan1; expect_ok
cp_ q vswitch testsw1; expect_id HCPLAN9101E
echo "cp_system_config: ok"
