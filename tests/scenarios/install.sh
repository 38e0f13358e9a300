#!/usr/bin/env bash
# tests/scenarios/install.sh - `make install` as a user runs it: the programs, library,
# header, man page, docs and samples land under PREFIX, no test tool among the programs,
# the installed cpnetd and cpnet run from the installed samples, and a program built
# from the installed header and library alone (C static and shared, C++) runs on them.
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
# The programs on the port API have man pages naming every option their --help names
# (the roff spells '-' as '\-').
for p in cpnet-trace cpnet-tap cpnet-pktgen; do
	m=$U/share/man/man1/$p.1
	[ -f "$m" ] || fail "make install did not install the man page of $p"
	page=$(sed 's/\\-/-/g' "$m")
	for o in $("$U/bin/$p" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -qF -- "$o" <<<"$page" || fail "$p(1) does not describe $o (in $p --help)"
	done
done

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
