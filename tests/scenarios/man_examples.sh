#!/usr/bin/env bash
# tests/scenarios/man_examples.sh - every `$` line in the EXAMPLES of the man pages
# (doc/man/*) runs as the page shows it, page by page, each from a fresh cpnetd on the
# samples (cpnetd(8)'s own start for that page; /tmp/cpnet replaced, the installed
# samples are samples/).
. "$(dirname "$0")/cpnet-lib.bash"
shopt -s extglob	# step's patterns
D=$TMP/man	# the pages' /tmp/cpnet
# The pages set their own environment.
unset CPNET_SOCKET CPNET_PASSWORD CPNET_VM_SOCKET
export PATH=$BIN:$PATH
cd "$ROOT" || fail "cd $ROOT"

# examples PAGE: the .nf blocks of its EXAMPLES section as text ('\-' is '-', '\e' a
# backslash), with the test's paths.
examples() {
	awk '/^\.SH /{ex = ($2 == "EXAMPLES" || $2 == "EXAMPLE")} ex && /^\.fi/{nf = 0}
	     ex && nf {print} ex && /^\.nf/{nf = 1}' "$1" |
		sed -e 's/\\-/-/g' -e 's/\\e/\\/g' -e "s#/tmp/cpnet#$D#g" \
			-e "s#/usr/local/share/cpnet/samples#$ROOT/samples#g"
}

# BG: the output file of the last program the page started with `&`; SEEN: how many of
# its lines a step has shown.
BG= SEEN=0 STEPS=0 PAGES=0
# bg_has N: BG has N lines.
bg_has() { [ "$(wc -l <"$BG")" -ge "$1" ]; }
# bg_lines N: the next N lines of BG into got, once it has them (at most 20 s).
bg_lines() {
	poll 20 bg_has $((SEEN + $1)) || true
	got=$(sed -n "$((SEEN + 1)),$((SEEN + $1))p" "$BG")
	SEEN=$((SEEN + $1))
}
# step: run the `$` command CMD of page P, compare with WANT.
step() {
	local got rc n
	[ -n "$CMD" ] || return 0
	STEPS=$((STEPS + 1))
	n=$(grep -c '' <<<"$WANT")
	[ -n "$WANT" ] || n=0
	case $CMD in
	export\ *)
		eval "$CMD" || fail "$P: $CMD"
		PAGE_VARS+=" $(sed -e 's/^export //' -e 's/=.*//' <<<"$CMD")"
		;;
	[A-Za-z_]*([A-Za-z0-9_])=+([!\ ]))
		# A shell variable the later lines expand: theirs is a shell of its own.
		eval "export $CMD" || fail "$P: $CMD"
		PAGE_VARS+=" ${CMD%%=*}"
		;;
	kill\ %*)
		stop_bg
		;;
	qemu-system-*)
		echo "SKIP man_examples: $P: a QEMU guest (${CMD%% *})"
		;;
	*\&)
		BG=$TMP/bg$STEPS.out SEEN=0
		timeout 120 bash -c "${CMD%&}" >"$BG" 2>&1 &
		bg_track $!
		bg_lines "$n"
		match "$WANT" "$got" || fail "$P: '$CMD' printed (at first) something else:
want:
$WANT
got:
$got"
		;;
	*)
		got=$(timeout 60 bash -c "$CMD" 2>&1)
		rc=$?
		# Nothing of its own, and lines under it: what the background program said.
		[ -z "$got" ] && [ -n "$BG" ] && [ "$n" -gt 0 ] && bg_lines "$n"
		if [ -z "$WANT" ]; then
			[ $rc -eq 0 ] || fail "$P: '$CMD' exited $rc: $got"
		elif ! match "$WANT" "$got"; then
			fail "$P: '$CMD' printed something else:
want:
$WANT
got:
$got"
		fi
		;;
	esac
	CMD= WANT=
}

# In a fixed order, each page in the environment it sets itself: what an earlier page
# exported is gone (a page must not pass on another's variables).
PAGE_VARS=
for P in $(printf '%s\n' doc/man/*.[1-8] | LC_ALL=C sort); do
	ex=$(examples "$P")
	grep -q '^\$ ' <<<"$ex" || continue	# no commands to run
	PAGES=$((PAGES + 1))
	# shellcheck disable=SC2086
	[ -z "$PAGE_VARS" ] || unset $PAGE_VARS
	PAGE_VARS=
	stop_bg
	stop_daemon "$CPNETD_PID"
	CPNETD_PID= BG= SEEN=0
	rm -rf "$D"
	mkdir -p "$D"
	# The others run with cpnetd as cpnetd(8) starts it (that page starts its own).
	starts=$(grep '^\$ cpnetd ' <<<"$ex")
	if [ -z "$starts" ] || ! grep -qv -- '--check' <<<"$starts"; then
		timeout 240 "$BIN/cpnetd" --config samples/system.config --directory samples/user.direct \
			--socket "$D/cpnetd.sock" --trace-dir "$D" >"$D/cpnetd.log" 2>&1 &
		CPNETD_PID=$!
		poll 30 grep -q "ready on" "$D/cpnetd.log" || fail "$P: cpnetd did not come up: $(cat "$D/cpnetd.log")"
	fi
	CMD= WANT= cont=0
	while IFS= read -r l; do
		if [ $cont -eq 1 ]; then
			CMD+=$'\n'"$l"
		elif [[ $l == '$ '* ]]; then
			step
			CMD=${l#\$ }
		elif [ -n "$CMD" ]; then
			WANT+="${WANT:+$'\n'}$l"
			continue
		fi
		# A command goes on after a trailing backslash or pipe.
		case $l in *\\ | *\|) cont=1 ;; *) cont=0 ;; esac
	done <<<"$ex"
	step
done
stop_bg
# The pages with commands are there (a run without them would pass empty).
[ "$PAGES" -ge 4 ] && [ "$STEPS" -ge 15 ] || fail "only $PAGES pages, $STEPS steps"
echo "man_examples: $PAGES pages, $STEPS steps ok"
