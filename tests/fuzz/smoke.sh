#!/usr/bin/env bash
# tests/fuzz/smoke.sh - CI smoke of every libFuzzer target: replay the committed corpus
# (tests/fuzz/corpus/<target>, read only) as regression cases, then a short bounded run.
# The short run works on a copy under build/fuzz/smoke; the committed corpus is never written.
set -u
secs=${FUZZ_SECONDS:-6}
scratch=build/fuzz/smoke
pass=0
fail=0
mkdir -p "$scratch"
for bin in "$@"; do
	name=$(basename "$bin")
	seeds=tests/fuzz/corpus/$name
	log=$scratch/$name.log
	nseed=0
	rm -rf "${scratch:?}/$name"
	mkdir -p "$scratch/$name"
	# Replay: each committed input run once, by file; any crash, leak or timeout fails.
	if [ -d "$seeds" ]; then
		nseed=$(find "$seeds" -type f | wc -l)
		if [ "$nseed" -gt 0 ] &&
		   ! find "$seeds" -type f -print0 |
		     xargs -0 "$bin" -rss_limit_mb=1024 -timeout=10 >"$log.replay" 2>&1; then
			fail=$((fail + 1))
			echo "FAIL $name (replay of $seeds)"
			tail -n 30 "$log.replay"
			continue
		fi
		cp -r "$seeds"/. "$scratch/$name"/
	fi
	if "$bin" -max_total_time="$secs" -rss_limit_mb=1024 -timeout=5 -print_final_stats=0 \
		-artifact_prefix="$scratch/$name"- "$scratch/$name" >"$log" 2>&1; then
		pass=$((pass + 1))
		echo "ok   $name (replayed $nseed, $(grep -Eo 'Done [0-9]+ runs' "$log" | tail -1))"
	else
		fail=$((fail + 1))
		echo "FAIL $name"
		tail -n 30 "$log"
	fi
done
echo "fuzz: $pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
