#!/bin/bash
# tests/guests/mkinitrd.sh - builds a bootable guest directory: initramfs, parmfile and .ins IPL file.
# Input is the cache fetch.sh filled and a test's own /init; boot.sh IPLs the result under Hercules.
#
# Usage: mkinitrd.sh [-q] [-m MODULE]... [-a SRC:DST]... [-p PARM] INIT OUTDIR
#   INIT     shell script that becomes /init (it may source /etc/cpnet-guest.sh, see below)
#   OUTDIR   receives vmlinuz initrd.gz parmfile initrd.off initrd.siz boot.ins (real
#            copies side by side: Hercules refuses absolute paths and symlinks in a .ins)
#   -m NAME  load module NAME too (its dependencies come from the kernel's modules.dep)
#   -a S:D   copy host file S into the initramfs at D (e.g. a test helper)
#   -p PARM  append PARM to the kernel command line
#   -q       a QEMU s390x guest (tests/guests/qemu-lib.sh): console ttysclp0, and only the
#            -m modules (virtio-ccw is built into the kernel; no qeth stack)
# The default module set is the qeth stack: llc stp bridge ccwgroup qeth qeth_l2 qeth_l3.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	sed -n '4,15p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 64
}

MODULES="ccwgroup qeth qeth_l2 qeth_l3 llc stp bridge"
ADDS=()
PARM="console=ttyS0 rdinit=/init"
EXTRA=
QEMU=0
while getopts "m:a:p:qh" opt; do
	case $opt in
	m) EXTRA="$EXTRA $OPTARG" ;;
	q) QEMU=1 ;;
	a) ADDS+=("$OPTARG") ;;
	p) PARM="$PARM $OPTARG" ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# = 2 ] || usage
if [ $QEMU = 1 ]; then
	MODULES=${EXTRA# }
	PARM="console=ttysclp0 quiet rdinit=/init${PARM#console=ttyS0 rdinit=/init}"
else
	MODULES="$MODULES$EXTRA"
fi
INIT=$1
OUT=$2
[ -f "$INIT" ] || die "init script $INIT not found"
IFS= read -r first < "$INIT" || true
[[ $first == '#!/bin/sh'* ]] || die "$INIT must start with #!/bin/sh (busybox sh is the only shell)"

KVER=$(guest_kver)
KDIR="$CPNET_GUEST_CACHE/kernel"
MDIR="$KDIR/lib/modules/$KVER"
DEPS="$MDIR/modules.dep"
BUSYBOX="$CPNET_GUEST_CACHE/busybox/bin/busybox"
[ -s "$DEPS" ] || die "$DEPS missing: run tests/guests/fetch.sh"
[ -x "$BUSYBOX" ] || die "$BUSYBOX missing: run tests/guests/fetch.sh"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
STAGE="$OUT/stage"
rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,sbin,etc,proc,sys,tmp,root,lib/modules,usr/bin,usr/sbin}

# --- modules: dependency closure in load order ---------------------------------------
# modules.dep lists every (transitive) dependency of a module; loading that list
# backwards, then the module, is the order modprobe uses.
dep_line() {
	# the modules.dep line of module $1 (file name NAME.ko[.xz|.zst|.gz])
	grep -m 1 -E "(^|/)$1\.ko(\.xz|\.zst|\.gz)?:" "$DEPS"
}
ORDER=()
have() {
	local m
	for m in "${ORDER[@]+"${ORDER[@]}"}"; do [ "$m" = "$1" ] && return 0; done
	return 1
}
for mod in $MODULES; do
	line=$(dep_line "$mod") || true
	[ -n "$line" ] || die "module $mod not found in $DEPS"
	read -r -a deps <<<"${line#*:}"
	paths=()
	for ((i = ${#deps[@]} - 1; i >= 0; i--)); do paths+=("${deps[$i]}"); done
	paths+=("${line%%:*}")
	for p in "${paths[@]}"; do
		name=$(basename "$p")
		name=${name%%.ko*}
		have "$name" && continue
		ORDER+=("$name")
		dst="$STAGE/lib/modules/$name.ko"
		# Stored uncompressed: busybox insmod hands the bytes to init_module,
		# which does not decompress.
		case $p in
		*.ko) cp "$MDIR/$p" "$dst" ;;
		*.ko.xz) xz -dc "$MDIR/$p" > "$dst" ;;
		*.ko.zst) zstd -qdc "$MDIR/$p" > "$dst" ;;
		*.ko.gz) gzip -dc "$MDIR/$p" > "$dst" ;;
		*) die "unexpected module file $p" ;;
		esac
	done
done
printf '%s\n' "${ORDER[@]}" > "$STAGE/lib/modules/load.order"

# --- busybox, helpers, init ------------------------------------------------------------
cp "$BUSYBOX" "$STAGE/bin/busybox"
ln -s busybox "$STAGE/bin/sh"
cp "$GUESTS_DIR/guest-lib.sh" "$STAGE/etc/cpnet-guest.sh"
echo "$KVER" > "$STAGE/etc/kernel.release"
install -m 0755 "$INIT" "$STAGE/init"
for a in "${ADDS[@]+"${ADDS[@]}"}"; do
	src=${a%%:*}
	dst=${a#*:}
	[ -f "$src" ] || die "-a $a: $src not found"
	case $dst in /*) ;; *) die "-a $a: destination must be absolute" ;; esac
	mkdir -p "$STAGE$(dirname "$dst")"
	cp -p "$src" "$STAGE$dst"
done

# --- initramfs ---------------------------------------------------------------------------
# A first tiny archive, written by hand, holds /dev and the /dev/console node (the
# kernel opens it before /init runs); no root or mknod needed. The kernel unpacks
# concatenated newc archives in turn.
cpio_hdr() { # name mode nlink rdevmajor rdevminor
	local name=$1 n=$((${#1} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		"$RANDOM" "$2" 0 0 "$3" 0 0 0 0 "$4" "$5" "$n" 0
	printf '%s\0' "$name"
	# header (110 bytes) + name padded to a multiple of 4
	local pad=$(((4 - (110 + n) % 4) % 4))
	[ $pad = 0 ] || head -c $pad /dev/zero
}
{
	cpio_hdr dev $((0040755)) 2 0 0
	cpio_hdr dev/console $((0020600)) 1 5 1
	cpio_hdr TRAILER!!! 0 1 0 0
} > "$OUT/dev.cpio"
(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet) > "$OUT/main.cpio" || die "cpio failed"
cat "$OUT/dev.cpio" "$OUT/main.cpio" | gzip -9n > "$OUT/initrd.gz"
rm -f "$OUT/dev.cpio" "$OUT/main.cpio"

# --- IPL pieces -----------------------------------------------------------------------
# The .ins loads each file at an absolute address: the kernel at 0, the initrd at
# 16 MiB, and the low words of the boot parameter area's INITRD_START (0x10408) and
# INITRD_SIZE (0x10410), both 8-byte big-endian, plus the command line at 0x10480.
be32() {
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((($1 >> 24) & 255)) $((($1 >> 16) & 255)) \
		$((($1 >> 8) & 255)) $(($1 & 255)))"
}
INITRD_ADDR=$((0x01000000))
cp "$KDIR/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
ksize=$(stat -c %s "$OUT/vmlinuz")
[ "$ksize" -lt $INITRD_ADDR ] || die "vmlinuz ($ksize bytes) would overlap the initrd at 16 MiB"
isize=$(stat -c %s "$OUT/initrd.gz")
be32 $INITRD_ADDR > "$OUT/initrd.off"
be32 "$isize" > "$OUT/initrd.siz"
[ ${#PARM} -lt 896 ] || die "kernel command line too long"
printf '%s' "$PARM" > "$OUT/parmfile"
cat > "$OUT/boot.ins" <<EOF
* cpnet guest: Debian $KVER + busybox initramfs (tests/guests/mkinitrd.sh)
vmlinuz 0x00000000
initrd.off 0x0001040c
initrd.siz 0x00010414
parmfile 0x00010480
initrd.gz 0x01000000
EOF
rm -rf "$STAGE"
note "$OUT: kernel $KVER, initrd $isize bytes, modules: ${ORDER[*]}"
