#!/bin/bash
# tests/guests/fetch.sh - installs and caches what the real-guest tests need (idempotent, root).
# Debian s390x kernel + busybox unpacked into the cache, Hercules 3.13 source configured for headers.
#
# Usage: tests/guests/fetch.sh        (CPNET_GUEST_CACHE, CPNET_HERCULES_SRC override locations)
# A second run with everything present returns at once without touching apt.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

# qemu-system-misc: qemu-system-s390x for the QEMU guests (t_qemu, make bench-qemu)
HOST_PKGS="hercules cpio gzip xz-utils zstd kmod dpkg-dev gcc make qemu-system-misc"

host_pkgs_missing() {
	local p missing=""
	for p in $HOST_PKGS; do
		case "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" in
		*"ok installed") ;;
		*) missing="$missing $p" ;;
		esac
	done
	echo "$missing"
}

cache_complete() {
	[ -s "$CPNET_GUEST_CACHE/kernel.release" ] &&
	[ -f "$CPNET_GUEST_CACHE/kernel/boot/vmlinuz-$(cat "$CPNET_GUEST_CACHE/kernel.release")" ] &&
	[ -s "$CPNET_GUEST_CACHE/kernel/lib/modules/$(cat "$CPNET_GUEST_CACHE/kernel.release")/modules.dep" ] &&
	[ -x "$CPNET_GUEST_CACHE/busybox/bin/busybox" ]
}

hsrc_complete() {
	[ -f "$CPNET_HERCULES_SRC/config.h" ] && [ -f "$CPNET_HERCULES_SRC/hercules.h" ] &&
	[ -f "$CPNET_HERCULES_SRC/.cpnet-configured" ]
}

# Fast path: nothing to do, no root needed.
if [ -z "$(host_pkgs_missing)" ] && cache_complete && hsrc_complete; then
	exit 0
fi

[ "$(id -u)" = 0 ] || die "must run as root to install packages (missing:$(host_pkgs_missing); cache complete: $(cache_complete && echo yes || echo no); hercules source: $(hsrc_complete && echo yes || echo no))"
command -v apt-get >/dev/null || die "apt-get not found: a Debian host is required"
export DEBIAN_FRONTEND=noninteractive

apt_updated=0
apt_update() {
	note "apt-get update"
	apt-get update -qq || die "apt-get update failed (network or sources problem)"
	apt_updated=1
}

# --- host packages ------------------------------------------------------------------
missing=$(host_pkgs_missing)
if [ -n "$missing" ]; then
	[ $apt_updated = 1 ] || apt_update
	note "installing:$missing"
	# shellcheck disable=SC2086
	apt-get install -y -qq $missing >/dev/null || die "apt-get install$missing failed"
fi

# --- s390x foreign architecture -----------------------------------------------------
if ! grep -qx s390x <<<"$(dpkg --print-foreign-architectures)"; then
	note "adding the s390x architecture"
	dpkg --add-architecture s390x || die "dpkg --add-architecture s390x failed"
	apt_update
fi

# --- deb-src entry (only when no source index at all is configured) -----------------
# Written to a file of our own; debian.sources is never edited.
DEBSRC_FILE=/etc/apt/sources.list.d/cpnet-deb-src.sources
have_debsrc() {
	grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list ||
	grep -Eqsi '^[[:space:]]*Types:.*deb-src' /etc/apt/sources.list.d/*.sources
}

# --- kernel + busybox -----------------------------------------------------------------
if ! cache_complete; then
	# (grep on captured text: with pipefail, grep -q closing a pipe early would fail it)
	if ! grep -q 'Candidate: [0-9]' <<<"$(apt-cache policy busybox-static:s390x 2>/dev/null)"; then
		[ $apt_updated = 1 ] || apt_update
	fi
	# The newest 6.1 flavour apt offers: the s390x meta package names it; fall back
	# to the highest-numbered linux-image-6.1.0-N-s390x (s390x has no -unsigned twin).
	kpkg=$(apt-cache depends linux-image-s390x:s390x 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-s390x\)\(:s390x\)\{0,1\}$/\1/p' | sed -n 1p)
	if [ -z "$kpkg" ]; then
		kpkg=$(apt-cache pkgnames linux-image-6.1.0- | grep -E '^linux-image-6\.1\.0-[0-9]+-s390x$' |
			sort -V | tail -n1)
	fi
	[ -n "$kpkg" ] || die "no linux-image-6.1.0-*-s390x package known to apt (is s390x in the sources?)"
	kver=${kpkg#linux-image-}
	note "kernel package $kpkg"

	dl="$CPNET_GUEST_CACHE/debs"
	mkdir -p "$dl"
	rm -rf "$CPNET_GUEST_CACHE/kernel" "$CPNET_GUEST_CACHE/busybox" "$CPNET_GUEST_CACHE/kernel.release"
	(cd "$dl" && rm -f ./*.deb &&
		apt-get download -q -o APT::Sandbox::User=root "$kpkg:s390x" busybox-static:s390x) ||
		die "apt-get download $kpkg:s390x busybox-static:s390x failed"
	dpkg-deb -x "$dl"/linux-image-*_s390x.deb "$CPNET_GUEST_CACHE/kernel" || die "cannot unpack $kpkg"
	dpkg-deb -x "$dl"/busybox-static_*_s390x.deb "$CPNET_GUEST_CACHE/busybox" || die "cannot unpack busybox-static"
	[ -f "$CPNET_GUEST_CACHE/kernel/boot/vmlinuz-$kver" ] || die "$kpkg has no boot/vmlinuz-$kver"
	# The package ships no modules.dep (its postinst runs depmod): build it here.
	depmod -b "$CPNET_GUEST_CACHE/kernel" "$kver" || die "depmod for $kver failed"
	[ -s "$CPNET_GUEST_CACHE/kernel/lib/modules/$kver/modules.dep" ] || die "depmod wrote no modules.dep"
	[ -x "$CPNET_GUEST_CACHE/busybox/bin/busybox" ] || die "busybox-static has no bin/busybox"
	rm -f "$dl"/*.deb
	echo "$kver" > "$CPNET_GUEST_CACHE/kernel.release"
	note "cached kernel $kver and busybox in $CPNET_GUEST_CACHE"
fi

# --- Hercules 3.13 source, configured once for config.h ----------------------------
if ! hsrc_complete; then
	if ! grep -q '^Version: 3\.13' <<<"$(apt-cache showsrc hercules 2>/dev/null)"; then
		if ! have_debsrc; then
			note "adding deb-src entry $DEBSRC_FILE"
			cat > "$DEBSRC_FILE" <<-'EOF'
			# Added by cpnet tests/guests/fetch.sh: source index, for the Hercules 3.13 headers.
			Types: deb-src
			URIs: http://deb.debian.org/debian
			Suites: bookworm
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
			EOF
		fi
		apt_update
		grep -q '^Version: 3\.13' <<<"$(apt-cache showsrc hercules 2>/dev/null)" ||
			die "apt has no hercules 3.13 source package even with deb-src configured"
	fi
	srcdl="$CPNET_TOP/build/guests/hercules-dl"
	rm -rf "$srcdl" "$CPNET_HERCULES_SRC"
	mkdir -p "$srcdl"
	# Only the upstream .orig tarball matters; the Debian part may fail to download.
	(cd "$srcdl" && apt-get source -q --download-only -o APT::Sandbox::User=root hercules) ||
		note "apt-get source reported an error; continuing if the .orig tarball arrived"
	orig=$(find "$srcdl" -maxdepth 1 -name 'hercules_3.13*.orig.tar.*' -print -quit)
	[ -n "$orig" ] || die "hercules 3.13 .orig tarball not downloaded (see apt-get source output above)"
	mkdir -p "$CPNET_HERCULES_SRC"
	tar -xf "$orig" -C "$CPNET_HERCULES_SRC" --strip-components=1 || die "cannot unpack $orig"
	[ -x "$CPNET_HERCULES_SRC/configure" ] || die "$orig has no configure script"
	note "configuring Hercules source (for config.h only)"
	(cd "$CPNET_HERCULES_SRC" && ./configure --prefix=/usr --libdir=/usr/lib > configure.out 2>&1) ||
		die "hercules ./configure failed, see $CPNET_HERCULES_SRC/configure.out"
	[ -f "$CPNET_HERCULES_SRC/config.h" ] || die "configure produced no config.h"
	touch "$CPNET_HERCULES_SRC/.cpnet-configured"
	rm -rf "$srcdl"
	note "Hercules headers ready in $CPNET_HERCULES_SRC"
fi

if ! hsrc_complete || ! cache_complete; then die "incomplete after fetch (this is a bug)"; fi
exit 0
