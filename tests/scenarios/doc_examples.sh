#!/usr/bin/env bash
# tests/scenarios/doc_examples.sh - every `$` line of doc/commands.md runs as the page
# shows it, in page order, from the page's start (samples/ with /tmp/cpnet replaced).
. "$(dirname "$0")/cpnet-lib.bash"
DOC=$ROOT/doc/commands.md
D=$TMP/doc	# the page's /tmp/cpnet
cd "$ROOT" || fail "cd $ROOT"

# The page's text with its paths made this test's: /tmp/cpnet, and build/ the build
# this test runs (CPNET_BUILD).
page() { sed -e "s#/tmp/cpnet#$D#g" -e "s#\\\$PWD/build#$BIN#g" -e "s#^\\\$ build/#\$ $BIN/#" "$DOC"; }

STEPS=0
# step: run the `$` line in CMD with the typed lines in IN, compare with WANT.
step() {
	local got rc
	[ -n "$CMD" ] || return 0
	STEPS=$((STEPS + 1))
	case $CMD in
	export\ *)
		eval "$CMD" || fail "doc: $CMD"
		;;
	*cpnetd\ *\&)
		# The start: cpnetd in the background, under the test's bound and cleanup.
		eval "timeout 240 ${CMD%&} &"
		CPNETD_PID=$!
		poll 30 test -S "$D/cpnetd.sock" || fail "doc: cpnetd did not come up: $(cat "$D/cpnetd.log")"
		;;
	*)
		got=$(printf '%s' "$IN" | timeout 30 bash -c "$CMD" 2>&1)
		rc=$?
		if [ -z "$WANT" ]; then
			[ $rc -eq 0 ] || fail "doc: '$CMD' exited $rc: $got"
		elif ! match "$WANT" "$got"; then
			printf 'doc: %s\nwant:\n%s\ngot:\n%s\n' "$CMD" "$WANT" "$got" >&2
			fail "doc: '$CMD' printed something else"
		fi
		;;
	esac
	CMD= IN= WANT=
}

# Fenced blocks only; in them a `$` line starts a step, `cpnet> ` lines are its input,
# other lines its output.
CMD= IN= WANT= fence=0
while IFS= read -r l; do
	case $l in
	'```'*)
		step
		fence=$((1 - fence))
		;;
	'$ '*)
		[ $fence -eq 1 ] || continue
		step
		CMD=${l#\$ }
		;;
	'cpnet> '*)
		[ $fence -eq 1 ] && [ -n "$CMD" ] && IN+="${l#cpnet> }"$'\n'
		;;
	*)
		[ $fence -eq 1 ] && [ -n "$CMD" ] && WANT+="${WANT:+$'\n'}$l"
		;;
	esac
done < <(page)
step
[ -n "$CPNETD_PID" ] || fail "doc: no cpnetd start on the page"
# The page's start and walk-through are there (a page without them would pass empty).
[ "$STEPS" -ge 20 ] || fail "doc: only $STEPS steps"
echo "doc_examples: $STEPS steps ok"
