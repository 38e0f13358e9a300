#!/usr/bin/env bash
# tests/scenarios/install.sh - `make install` as a user runs it: the programs, library,
# header, man page, docs and samples land under PREFIX, no test tool among the programs,
# and the installed cpnetd and cpnet run from the installed samples.
. "$(dirname "$0")/cpnet-lib.bash"
DEST=$TMP/root
out=$(make -s -C "$ROOT" BUILD="$BIN" install DESTDIR="$DEST" PREFIX=/usr 2>&1) ||
	fail "make install: $out"
U=$DEST/usr
for f in bin/cpnetd bin/cpnet bin/cpnet-guest bin/port-echo include/cpnetport.h \
	lib/libcpnetport.so.1 share/man/man3/cpnetport.3 share/doc/cpnet/README.md \
	share/cpnet/samples/system.config share/cpnet/samples/user.direct share/cpnet/samples/port_echo.c; do
	[ -e "$U/$f" ] || fail "make install did not install $f (under $U: $(cd "$U" && find . -type f | sort | tr '\n' ' '))"
done
[ ! -e "$U/bin/osa-tap-test" ] || fail "make install put the test tool osa-tap-test into bin"

# The installed programs with the installed samples, as doc/config.md starts.
S=$U/share/cpnet/samples
out=$("$U/bin/cpnetd" --check --config "$S/system.config" --directory "$S/user.direct" 2>&1) ||
	fail "installed cpnetd --check: $out"
[ "$out" = "cpnetd --check: 0 errors" ] || fail "installed cpnetd --check said: $out"
BIN=$U/bin
start_cpnetd "$S/system.config" "$S/user.direct"
cp_ q vswitch vsw1; expect_ok
grep -q '^VSWITCH SYSTEM VSW1 ' <<<"$OUT" || fail "installed cpnet: q vswitch vsw1 said: $OUT"
echo "ok install"
