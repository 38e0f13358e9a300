#!/usr/bin/env bash
# tests/scenarios/guest_selftest.sh - `cpnet-guest selftest` in both layers, its
# arguments refused as its usage says, and --help / no arguments (cpnet-guest(1)).
. "$(dirname "$0")/cpnet-lib.bash"
G=$BIN/cpnet-guest

for l in --layer2 --layer3; do
	out=$(timeout 60 "$G" selftest "$l" --count 2 -v 2>&1) || fail "selftest $l: $out"
	grep -qx "ping 10.1.0.2: 2 sent, 2 received" <<<"$out" || fail "selftest $l: $out"
	grep -q "IPA STARTLAN" <<<"$out" || fail "selftest $l -v: no IPA exchanges: $out"
	grep -qx "selftest passed" <<<"$out" || fail "selftest $l: $out"
done
# The default count is 4, and IPv6 is pinged in layer 2 only.
out=$(timeout 60 "$G" selftest 2>&1) || fail "selftest: $out"
grep -qx "ping fd00::2: 4 sent, 4 received" <<<"$out" || fail "selftest default count: $out"
out=$(timeout 60 "$G" selftest --layer3 2>&1) || fail "selftest --layer3: $out"
grep -q "fd00::2" <<<"$out" && fail "selftest --layer3 pinged IPv6: $out"

# --count: 1-100000, digits only (as connect's); anything else is the usage, exit 2.
for bad in 0 100001 " 3" +3 3x "" -1; do
	out=$(timeout 10 "$G" selftest --count "$bad" 2>&1)
	rc=$?
	[ $rc -eq 2 ] || fail "selftest --count '$bad': rc $rc: $out"
	grep -q "^usage: cpnet-guest selftest" <<<"$out" || fail "selftest --count '$bad': $out"
done
for args in "selftest --count" "selftest --bogus" "bogus" ""; do
	# shellcheck disable=SC2086 # args: words
	out=$(timeout 10 "$G" $args 2>/dev/null)
	rc=$?
	[ $rc -eq 2 ] && [ -z "$out" ] || fail "cpnet-guest $args: rc $rc, stdout: $out"
done
out=$(timeout 10 "$G" --help 2>/dev/null) || fail "cpnet-guest --help: rc $?"
grep -q "^usage: cpnet-guest selftest" <<<"$out" || fail "cpnet-guest --help: $out"
grep -q "^  --poll-mode MODE " <<<"$out" || fail "cpnet-guest --help lists no connect options: $out"
echo "guest_selftest: ok"
