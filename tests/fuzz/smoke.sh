#!/usr/bin/env bash
# tests/fuzz/smoke.sh - a short, bounded libFuzzer run of every target (CI smoke).
# Corpora persist under build/fuzz/corpus so local runs keep what they found.
set -u
secs=${FUZZ_SECONDS:-8}
pass=0
fail=0
for bin in "$@"; do
	name=$(basename "$bin")
	corpus=build/fuzz/corpus/$name
	mkdir -p "$corpus"
	if "$bin" -max_total_time="$secs" -rss_limit_mb=1024 -timeout=5 -print_final_stats=0 \
		-artifact_prefix=build/fuzz/"$name"- "$corpus" >build/fuzz/"$name".log 2>&1; then
		pass=$((pass + 1))
		echo "ok   $name ($(grep -Eo 'Done [0-9]+ runs' build/fuzz/"$name".log | tail -1))"
	else
		fail=$((fail + 1))
		echo "FAIL $name"
		tail -n 30 build/fuzz/"$name".log
	fi
done
echo "fuzz: $pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
