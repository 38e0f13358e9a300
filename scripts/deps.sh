#!/usr/bin/env bash
# scripts/deps.sh - installs, with apt, every tool cpnet's build and tests need.
# Idempotent and quick when all is present; `make test` and .ci/run call it first.
# `--bench` (make bench) adds what the benchmarks compare against, best effort: Open
# vSwitch (bench/pktgen.sh measures it where it installs and skips it, saying why, where not).
set -euo pipefail
bench=
[ "${1:-}" != --bench ] || bench=1

# command-to-check  debian-package
need=(
	"gcc gcc"
	"make make"
	"clang clang"
	"s390x-linux-gnu-gcc gcc-s390x-linux-gnu"
	"qemu-s390x-static qemu-user-static"
	"qemu-system-s390x qemu-system-misc"
	"hercules hercules"
	"cpio cpio"
	"ip iproute2"
	"python3 python3"
	"tshark tshark"
)
# files that come with packages that have no command
need_files=(
	"/usr/s390x-linux-gnu/lib/libc.a libc6-dev-s390x-cross"
	"/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a libclang-rt-14-dev"
	"/usr/include/zlib.h zlib1g-dev"
)

missing=()
for entry in "${need[@]}"; do
	set -- $entry
	command -v "$1" >/dev/null 2>&1 || missing+=("$2")
done
arch=$(uname -m)
for entry in "${need_files[@]}"; do
	set -- $entry
	case "$1" in *x86_64*) [ "$arch" = x86_64 ] || continue ;; esac
	[ -e "$1" ] || missing+=("$2")
done

optional=()
[ -z "$bench" ] || command -v ovs-vsctl >/dev/null 2>&1 || optional+=(openvswitch-switch)

if [ ${#missing[@]} -eq 0 ] && [ ${#optional[@]} -eq 0 ]; then
	exit 0
fi
echo "deps: installing ${missing[*]} ${optional[*]}"
if [ "$(id -u)" -ne 0 ]; then
	[ ${#missing[@]} -eq 0 ] && { echo "deps: not root; the benchmarks skip ${optional[*]}" >&2; exit 0; }
	echo "deps: missing packages and not root; run: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
[ ${#missing[@]} -eq 0 ] || apt-get install -y -qq "${missing[@]}" >/dev/null
if [ ${#optional[@]} -gt 0 ]; then
	apt-get install -y -qq "${optional[@]}" >/dev/null ||
		echo "deps: could not install ${optional[*]}; the benchmarks skip it" >&2
fi
echo "deps: done"
