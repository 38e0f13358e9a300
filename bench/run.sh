#!/bin/sh
# bench/run.sh - build the benchmarks against $BUILD/libcpnet.a and run them (`make bench`).
# Every data-path line is a rate with its ratio against a baseline measured in the same
# process; the control-plane lines (cp_*) are times for 1k and 10k LANs with their ratio
# (linear: ~10) and cpnetd's resident size with the sample (bench/cp_scale.sh); frames/s
# between two cpnet-guest processes through cpnetd, rings vs socket (bench/vmlink_rings.sh);
# the ring consumers' modes, adaptive vs interrupt-only vs poll-only, and their idle
# latency against an eventfd wake-up (bench/adapt_rings.sh, bench/bench_adapt.c);
# frames/s between two cpnet-pktgen processes, Linux bridge and Open vSwitch (bench/pktgen.sh);
# one VSWITCH with 16 vs 8,192 registered addresses, its decision cache on and off
# (bench/bench_addrs.c); 8,192 guest addresses reached from the wire through an OSA
# table of 1,024 (the miss protocol) vs one that holds them all (bench/bench_osatab.c).
set -eu

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
OUT=$BUILD/bench
LIB=$BUILD/libcpnet.a
CFLAGS="-std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-missing-field-initializers"

if [ ! -f "$LIB" ]; then
	echo "bench: $LIB missing; run 'make' first" >&2
	exit 1
fi
mkdir -p "$OUT"
for src in bench/bench_*.c; do
	name=$(basename "$src" .c)
	# shellcheck disable=SC2086
	$CC $CFLAGS -I. -o "$OUT/$name" "$src" bench/common.c "$LIB" -lpthread -lz
done

log=$OUT/results.txt
: >"$log"
fail=0
for bin in "$OUT"/bench_*; do
	[ -x "$bin" ] || continue
	case $bin in *.txt) continue ;; esac
	echo "== $(basename "$bin")"
	if ! "$bin" | tee -a "$log"; then
		echo "FAIL $(basename "$bin")"
		fail=1
	fi
done

echo "== cp_scale"
if ! BUILD=$BUILD bench/cp_scale.sh | tee -a "$log"; then
	echo "FAIL cp_scale"
	fail=1
fi

echo "== vmlink_rings"
if ! BUILD=$BUILD bench/vmlink_rings.sh | tee -a "$log"; then
	echo "FAIL vmlink_rings"
	fail=1
fi

echo "== adapt_rings"
if ! BUILD=$BUILD bench/adapt_rings.sh | tee -a "$log"; then
	echo "FAIL adapt_rings"
	fail=1
fi

echo "== pktgen"
if ! BUILD=$BUILD bench/pktgen.sh | tee -a "$log"; then
	echo "FAIL pktgen"
	fail=1
fi

echo "== summary (host: $(uname -m), $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo ?) cpus; ratios are the point, rates vary with load)"
awk -F': ' '
	/^adapt_idle_latency_/ { split($2, a, " "); printf "  %-22s %10s us    ratio %s vs eventfd\n", $1, a[1], a[5]; next }
	/^osatab_latency_/ { split($2, a, " "); printf "  %-22s %10s us    ratio %s vs table holding all\n", $1, a[1], a[4]; next }
	/ vs / {
		split($2, a, " ")
		r = $2; sub(/.*ratio /, "", r); sub(/ \(.*/, "", r)
		printf "  %-22s %10s Mpps  ratio %s\n", $1, a[1], r
	}
	/^cp_/ { print "  " $0 }
	/^pktgen_/ && !/ vs / { print "  " $0 }' "$log"
[ "$fail" -eq 0 ] || { echo "bench: some benchmarks failed" >&2; exit 1; }
