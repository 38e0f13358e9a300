#!/usr/bin/env bash
# tests/scenarios/install.sh - `make install` as a user runs it: the programs, library,
# header, man pages (naming every option of every program), docs and samples land under
# PREFIX, no test tool among the programs, the installed cpnetd and cpnet run from the
# installed samples, and a program built from the installed header and library alone
# (C static and shared, C++) runs on them.
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
# Every program in bin has a man page (section 1; cpnetd, a daemon, 8) naming every
# option its parser takes and its --help lists, so that an option added without a man
# entry (or a usage line) fails here. The parser's options come from its C tables:
# getopt_long's struct option rows and short-option string (and the port options,
# APPPORT_OPTIONS), cpnet-guest's own table rows and the strcmp()s of its selftest.
parser_opts() {
	local f
	for f in "$@"; do
		grep -oE '\{ "[a-z0-9-]+", (required|no|optional)_argument' "$f" |
			sed -E 's/^\{ "([^"]*)".*/--\1/'
		if grep -q 'APPPORT_OPTIONS,' "$f"; then
			grep -oE '\{ "[a-z0-9-]+", (required|no|optional)_argument' "$ROOT/apps/appport.h" |
				sed -E 's/^\{ "([^"]*)".*/--\1/'
		fi
		grep -oE '(getopt_long|appport_getopt)\([^"]*"[^"]*"' "$f" | sed -E 's/.*"([^"]*)"$/\1/' |
			tr -d ':+' | grep -o . | sed 's/^/-/'
		grep -oE '^[[:space:]]*\{ "--[a-z0-9-]+", (NULL|"-[a-zA-Z]")' "$f" | grep -oE '"-[^"]*"' | tr -d '"'
		grep -oE 'strcmp\(argv\[[a-z0-9]+\], "-[^"]*"\)' "$f" | grep -oE '"-[^"]*"' | tr -d '"'
	done | sort -u
}
# help_opts: the options a --help text names (long ones, and short ones standing alone).
help_opts() {
	grep -oE -- '--[a-z][a-z0-9-]*' <<<"$1"
	grep -oE '(^|[][ |(,])-[a-zA-Z]([][ |),]|$)' <<<"$1" | tr -d '[]|(), '
}
# has TEXT OPT: OPT in TEXT as a word of its own (--dst is not in --dst-ip).
has() {
	grep -qE -- "(^|[^-a-zA-Z0-9])$2([^a-zA-Z0-9-]|\$)" <<<"$1"
}
nprog=0
for b in "$U"/bin/*; do
	p=${b##*/}
	case $p in port-echo) continue ;; esac	# a sample: cpnetport(3) EXAMPLE describes it
	nprog=$((nprog + 1))
	m=$(ls "$U/share/man/man1/$p.1" "$U/share/man/man8/$p.8" 2>/dev/null)
	[ -n "$m" ] || fail "make install did not install a man page for $p (man1/$p.1 or man8/$p.8)"
	page=$(sed 's/\\-/-/g' $m)
	help=$("$b" --help 2>&1) || fail "$p --help failed: $help"
	src=$(ls "$ROOT"/*/"${p//-/_}_main.c")
	case $p in cpnet-guest) src="$src $ROOT/driver/guest_opts.c" ;; esac
	# shellcheck disable=SC2086 # src: one or two paths without blanks
	popts=$(parser_opts $src)
	[ -n "$popts" ] || fail "no options found in the parser of $p ($src)"
	for o in $popts; do
		case $o in -h | --help) ;; *) has "$help" "$o" || fail "$p --help does not name $o (its parser takes it)" ;; esac
		has "$page" "$o" || fail "$m does not describe $o (the parser of $p takes it)"
	done
	for o in $(help_opts "$help" | sort -u); do
		has "$page" "$o" || fail "$m does not describe $o (in $p --help)"
	done
done
[ "$nprog" -ge 7 ] || fail "only $nprog programs with man pages checked"
# The pages render without warnings (groff -ww), and lint clean where mandoc is.
if command -v groff >/dev/null; then
	for m in "$U"/share/man/man*/*; do
		out=$(groff -man -ww -z "$m" 2>&1) && [ -z "$out" ] || fail "groff -man -ww: $m: $out"
	done
else
	echo "SKIP install: the man pages' rendering (no groff)"
fi
if command -v mandoc >/dev/null; then
	for m in "$U"/share/man/man*/*; do
		out=$(mandoc -T lint -W warning "$m" 2>&1) || fail "mandoc -T lint: $m: $out"
	done
else
	echo "SKIP install: mandoc -T lint of the man pages (no mandoc)"
fi

# The installed programs with the installed samples, as doc/config.md starts.
S=$U/share/cpnet/samples
out=$("$U/bin/cpnetd" --check --config "$S/system.config" --directory "$S/user.direct" 2>&1) ||
	fail "installed cpnetd --check: $out"
[ "$out" = "cpnetd --check: 0 errors" ] || fail "installed cpnetd --check said: $out"
BIN=$U/bin
start_cpnetd "$S/system.config" "$S/user.direct"
cp_ q vswitch vsw1; expect_ok
grep -q '^VSWITCH SYSTEM VSW1 ' <<<"$OUT" || fail "installed cpnet: q vswitch vsw1 said: $OUT"

# A program built from the installed tree alone, as doc/ports.md says: the sample
# port_echo.c against the installed header, static and shared (-Wl,-rpath: /usr under
# DESTDIR is no path the loader searches), and the header in a C++ program.
command -v cc >/dev/null && command -v c++ >/dev/null || fail "no cc / c++ (scripts/deps.sh installs them)"
B=$TMP/user
mkdir -p "$B"
CF=(-std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -I"$U/include")
out=$(cc "${CF[@]}" -o "$B/pe-static" "$S/port_echo.c" "$U/lib/libcpnetport.a" -lpthread 2>&1) ||
	fail "port_echo.c against the installed libcpnetport.a: $out"
out=$(cc "${CF[@]}" -o "$B/pe-shared" "$S/port_echo.c" -L"$U/lib" -Wl,-rpath,"$U/lib" \
	-lcpnetport -lpthread 2>&1) || fail "port_echo.c against the installed libcpnetport.so: $out"
ldd=$(ldd "$B/pe-shared" 2>&1)
grep -qF "$U/lib/libcpnetport.so.1" <<<"$ldd" || fail "pe-shared does not load the installed library: $ldd"
cat >"$B/cxx.cpp" <<'CXX'
#include <cpnetport.h>
#include <cstdio>
int main()
{
	cpnp_reg r = {};
	cpnp_port *p = nullptr;
	r.user = "ALICE";
	r.password = "ALICEPW";
	r.lan = "GLAN1";
	r.lan_owner = "SYSTEM";
	int rc = cpnp_register(&r, &p);
	if (rc < 0) {
		std::printf("register: %s: %s\n", cpnp_strerror(rc), cpnp_last_error(nullptr));
		return 1;
	}
	std::printf("port %u on an %s LAN\n", cpnp_port_number(p),
		    cpnp_transport(p) == CPNP_IP ? "IP" : "ETHERNET");
	return cpnp_deregister(p) < 0;
}
CXX
out=$(c++ -std=c++11 -Wall -Wextra -pedantic -Werror -I"$U/include" -o "$B/cxx" "$B/cxx.cpp" \
	-L"$U/lib" -Wl,-rpath,"$U/lib" -lcpnetport -lpthread 2>&1) || fail "cpnetport.h in C++: $out"
# The header alone, pedantic, in the oldest dialects a program may still use.
printf '#include <cpnetport.h>\n' >"$B/only.c"
for std in c89 c99 c11; do
	out=$(cc -std=$std -pedantic -Wall -Wextra -Werror -I"$U/include" -c -o "$B/only.o" "$B/only.c" 2>&1) ||
		fail "cpnetport.h alone as -std=$std: $out"
done
for std in c++98 c++11 c++17; do
	out=$(c++ -std=$std -pedantic -Wall -Wextra -Werror -I"$U/include" -x c++ -c -o "$B/only.o" "$B/only.c" 2>&1) ||
		fail "cpnetport.h alone as -std=$std: $out"
done
# Every function the installed header declares is in the installed man page.
for f in $(grep -o 'cpnp_[a-z_]*(' "$U/include/cpnetport.h" | tr -d '(' | sort -u); do
	grep -q "$f" "$U/share/man/man3/cpnetport.3" || fail "cpnetport(3) does not describe $f"
done
# They run against the installed cpnetd: ALICE (the sample directory) on the IP Guest
# LAN GLAN1 pings LINUX01 (10.2.0.1), which AUTOLOG started.
for pe in pe-static pe-shared; do
	out=$(timeout 30 "$B/$pe" --socket "$CPNET_SOCKET.vm" --user alice --password alicepw \
		--lan glan1 --owner system --ip 10.2.0.31/24 --ping 10.2.0.1 --seconds 5 2>&1) ||
		fail "$pe: $out"
	grep -q '^port-echo: 3 pings answered' <<<"$out" || fail "$pe did not get 3 answers: $out"
done
out=$(CPNET_VM_SOCKET=$CPNET_SOCKET.vm timeout 30 "$B/cxx" 2>&1) || fail "C++ program: $out"
grep -qx 'port [0-9]* on an IP LAN' <<<"$out" || fail "C++ program said: $out"
echo "ok install"
