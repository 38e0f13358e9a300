#!/usr/bin/env bash
# tests/fuzz/long.sh - `make fuzz-long`: the fuzzing campaign. Each target runs FUZZ_RUNS
# executions (one process, niced) from its committed corpus; what it found is merged back,
# minimized with -merge=1, into tests/fuzz/corpus/<target> for CI to replay; hand-made seeds
# (any name that is not libFuzzer's SHA-1) stay.
# FUZZ_MAX_TIME (seconds per target, default 0 = none) bounds a campaign by time instead.
set -u
runs=${FUZZ_RUNS:-10000000}
maxt=${FUZZ_MAX_TIME:-0}
work=build/fuzz/long
pass=0
fail=0
mkdir -p "$work"
printf '%-18s %12s %9s %8s %s\n' target executions seconds exec/s corpus
for bin in "$@"; do
	name=$(basename "$bin")
	seeds=tests/fuzz/corpus/$name
	log=$work/$name.log
	rm -rf "${work:?}/$name" "${work:?}/$name.min"
	mkdir -p "$work/$name" "$work/$name.min" "$seeds"
	cp -r "$seeds"/. "$work/$name"/
	t0=$(date +%s)
	nice -n 10 "$bin" -runs="$runs" -max_total_time="$maxt" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$work/$name"- "$work/$name" >"$log" 2>&1
	rc=$?
	t1=$(date +%s)
	execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1)
	execs=${execs:-0}
	secs=$((t1 - t0))
	if [ "$rc" -ne 0 ]; then
		fail=$((fail + 1))
		printf '%-18s %12s %9s %8s %s\n' "$name" "$execs" "$secs" - CRASH
		tail -n 40 "$log"
		ls "$work/$name"-* 2>/dev/null
		continue
	fi
	# Minimize: keep only the inputs (old and new) that add coverage.
	nice -n 10 "$bin" -merge=1 -rss_limit_mb=2048 -timeout=10 "$work/$name.min" \
		"$seeds" "$work/$name" >"$work/$name.merge.log" 2>&1 || {
		fail=$((fail + 1))
		echo "FAIL $name (merge, see $work/$name.merge.log)"
		continue
	}
	# libFuzzer names what it keeps by content (40 hex digits of SHA-1): those are replaced
	# by the merge's choice. Seeds written by hand (a repro-* of a fixed bug, a named
	# example of a format) keep their names whatever the merge kept; a merged file with
	# the same bytes as one of them is not added twice.
	find "$seeds" -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' -delete
	named=$(find "$seeds" -type f -exec sha1sum {} + | cut -d' ' -f1)
	for f in "$work/$name.min"/*; do
		[ -f "$f" ] || continue
		grep -qxF "$(sha1sum < "$f" | cut -d' ' -f1)" <<<"$named" || cp "$f" "$seeds"/
	done
	pass=$((pass + 1))
	printf '%-18s %12s %9s %8s %s\n' "$name" "$execs" "$secs" "$((execs / (secs ? secs : 1)))" \
		"$(find "$seeds" -type f | wc -l) files, $(cat "$seeds"/* 2>/dev/null | wc -c) bytes"
done
echo "fuzz-long: $pass passed, $fail failed (FUZZ_RUNS=$runs FUZZ_MAX_TIME=$maxt)"
[ "$fail" -eq 0 ]
