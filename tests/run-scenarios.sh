#!/usr/bin/env bash
# tests/run-scenarios.sh - runs every tests/scenarios/*.sh against the built programs.
# A scenario exits 0 on success; its last lines are shown when it fails.
set -u
cd "$(dirname "$0")/.."
export CPNET_BUILD=${CPNET_BUILD:-$PWD/build}
pass=0
fail=0
for s in tests/scenarios/*.sh; do
	[ -e "$s" ] || continue
	name=$(basename "$s" .sh)
	log=build/test-logs/scenario-$name.log
	mkdir -p build/test-logs
	if timeout 300 bash "$s" >"$log" 2>&1; then
		pass=$((pass + 1))
		echo "ok   $name"
	else
		fail=$((fail + 1))
		echo "FAIL $name"
		tail -n 20 "$log"
	fi
done
echo "scenarios: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
