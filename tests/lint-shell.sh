#!/usr/bin/env bash
# tests/lint-shell.sh - the shell rules of doc/hacking.md that a machine can check, over every
# shell file in tests/ bench/ scripts/ .ci/ (a suite of tests/run-all.sh: one case per file).
#
# Rule 1, everywhere: no pipe into a grep that stops reading early (-q, --quiet, --silent,
#   -m, --max-count). Under `set -o pipefail` the writer then dies of SIGPIPE and the
#   pipeline fails although grep matched; without pipefail it is the same trap waiting for
#   someone to add it. Write `grep -q PAT <<<"$OUT"` or `grep -q PAT FILE`.
# Rule 2, in files that set pipefail: no pipe into head (the same early exit).
set -u
cd "$(dirname "$0")/.."

# A pipe (not ||) into grep whose options (before the pattern) end reading early.
R1='(^|[^|])\|[[:space:]]*grep([[:space:]]+-[-a-zA-Z0-9=]*)*[[:space:]]+(-[a-zA-Z]*[qm][a-zA-Z0-9]*|--quiet|--silent|--max-count)\b'
R2='(^|[^|])\|[[:space:]]*head\b'

files=()
while IFS= read -r -d '' f; do
	case $f in
	*.sh | *.bash) files+=("$f") ;;
	*) [[ $(head -c 64 "$f") == '#!'*sh* ]] && files+=("$f") ;;
	esac
done < <(find tests bench scripts .ci -type f ! -path '*/corpus/*' -print0 2>/dev/null | sort -z)

pass=0
fail=0
for f in "${files[@]}"; do
	[ "$f" = tests/lint-shell.sh ] && { pass=$((pass + 1)); continue; }
	bad=$(grep -nE -- "$R1" "$f" | grep -vE '^[0-9]+:[[:space:]]*#' | sed 's/$/  [pipe into grep -q\/-m]/')
	if grep -qE 'set -[a-z]*o pipefail|set -o pipefail|pipefail' "$f"; then
		bad2=$(grep -nE -- "$R2" "$f" | grep -vE '^[0-9]+:[[:space:]]*#' | sed 's/$/  [pipe into head under pipefail]/')
		bad=${bad:+$bad${bad2:+$'\n'}}$bad2
	fi
	if [ -n "$bad" ]; then
		fail=$((fail + 1))
		sed "s|^|FAIL $f:|" <<<"$bad"
	else
		pass=$((pass + 1))
	fi
done
[ "$fail" = 0 ] || echo "lint: capture the output first, then grep -q PAT <<<\"\$OUT\" (doc/hacking.md, Tests)"
echo "lint: $pass passed, $fail failed, 0 skipped"
[ "$fail" = 0 ]
