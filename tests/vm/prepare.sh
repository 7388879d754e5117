#!/bin/bash
# prepare.sh — build (once) the guest kernel + initramfs used by run_in_guest.sh.
#
# Usage: tests/vm/prepare.sh [--refresh] [--quiet]
#   --refresh  re-resolve the Debian kernel package even if one is cached
#   --quiet    print nothing on success (run_in_guest.sh uses this)
#
# Cache dir: ${TE_VM_CACHE:-/var/tmp/te_bench_vm}. Layout:
#   debs/                       downloaded linux-image-*.deb
#   kernel/<ver>/               dpkg-deb -x of it (boot/vmlinuz-<ver>, lib/modules/<ver>)
#   vmlinux-<ver>               the uncompressed kernel (faster boot under TCG, PVH)
#   initrd-<ver>.gz             busybox + /init + the modules below
#   current.env                 KVER= KERNEL= VMLINUX= INITRD= OLDSTAMP=  (read by run_in_guest.sh)
#
# Idempotent: when current.env exists and its stamp matches this script + guest_init.sh,
# it returns at once without touching apt. Concurrent callers serialise on a flock.
# On success prints the kernel version; on failure one line "prepare.sh: <reason>" on
# stderr and a non-zero exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${TE_VM_CACHE:-/var/tmp/te_bench_vm}
REFRESH=0
QUIET=0
for a in "$@"; do
  case $a in
    --refresh) REFRESH=1 ;;
    --quiet) QUIET=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "prepare.sh: unknown argument '$a'" >&2; exit 2 ;;
  esac
done

die() { echo "prepare.sh: $*" >&2; exit 1; }
# depmod / modprobe live in /usr/sbin, which a non-root PATH may lack.
export PATH=$PATH:/usr/sbin:/sbin

# Modules loaded by /init with insmod, in this order (from docs/ENVIRONMENT.md, measured).
# Each is expanded with its dependencies (modprobe --show-depends) at build time, so the
# list stays correct if a later kernel ABI adds a dependency.
#  - crc32_generic is not a symbol dependency of rdma_rxe but rxe asks the crypto API for
#    "crc32" at link-add time: without it "rdma link add" fails with ENOENT.
#  - virtio_net drives both guest NICs (data NIC + user-mode management NIC); a second
#    virtio NIC needs no extra module.
REQUIRED_MODULES=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
  netfs fscache 9pnet 9p 9pnet_virtio failover net_failover virtio_net
  udp_tunnel ip6_udp_tunnel crc32_generic ib_core ib_uverbs rdma_rxe)
# Loaded when the kernel has them: netem (delay/loss on guest NICs; the host has none),
# rdma_ucm (librdmacm / perftest -R), virtio-rng (guest entropy, avoids getrandom stalls).
OPTIONAL_MODULES=(sch_netem rdma_ucm virtio-rng)

for tool in apt-get apt-cache dpkg-deb depmod modprobe cpio gzip flock md5sum; do
  command -v "$tool" >/dev/null 2>&1 || die "missing tool '$tool'"
done
BUSYBOX=""
for b in /bin/busybox /usr/bin/busybox; do
  if [[ -x $b ]] && ! ldd "$b" >/dev/null 2>&1; then BUSYBOX=$b; break; fi  # must be static
done
[[ -n $BUSYBOX ]] || die "no static busybox (apt-get install busybox-static)"
[[ -f $HERE/guest_init.sh ]] || die "missing $HERE/guest_init.sh"

mkdir -p "$CACHE" || die "cannot create cache dir $CACHE"
exec 9>"$CACHE/.lock"
flock -w 600 9 || die "timed out waiting for the lock on $CACHE/.lock"

# The stamp changes when the init script, this script or the module lists change, so an
# edited guest_init.sh rebuilds the initramfs automatically.
STAMP=$(cat "$HERE/guest_init.sh" "${BASH_SOURCE[0]}" | md5sum | cut -d' ' -f1)

# ---- fast path -------------------------------------------------------------------------
if [[ $REFRESH == 0 && -f $CACHE/current.env ]]; then
  # shellcheck disable=SC1091
  KVER="" KERNEL="" INITRD="" OLDSTAMP=""
  # shellcheck source=/dev/null
  . "$CACHE/current.env"
  if [[ $OLDSTAMP == "$STAMP" && -f $KERNEL && -f $INITRD ]]; then
    [[ $QUIET == 1 ]] || echo "$KVER"
    exit 0
  fi
fi

# ---- kernel package --------------------------------------------------------------------
# Name the one package that linux-image-amd64 depends on (a glob would fetch every ABI).
resolve_pkg() {
  apt-cache depends linux-image-amd64 2>/dev/null \
    | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}
download_pkg() {  # $1 = package; downloads into $CACHE/debs, prints nothing
  mkdir -p "$CACHE/debs"
  # apt drops privileges to _apt for downloads: give it the directory to avoid the
  # "couldn't be accessed by user '_apt'" warning.
  if id _apt >/dev/null 2>&1; then chown _apt "$CACHE/debs" 2>/dev/null || true; fi
  (cd "$CACHE/debs" && timeout 600 apt-get download -q "$1") >"$CACHE/apt.log" 2>&1
}

KVER=""
if [[ $REFRESH == 0 ]]; then
  # Reuse a previously extracted kernel when apt is not needed (offline-friendly).
  for d in "$CACHE"/kernel/*/; do
    [[ -d $d ]] || continue
    v=$(basename "$d")
    [[ -f $d/boot/vmlinuz-$v && -f $d/lib/modules/$v/modules.dep ]] && KVER=$v
  done
fi

if [[ -z $KVER ]]; then
  have_deb() { [[ -n $PKG ]] && ls "$CACHE/debs/${PKG}_"*.deb >/dev/null 2>&1; }
  PKG=$(resolve_pkg || true)
  if ! have_deb && ! { [[ -n $PKG ]] && download_pkg "$PKG"; }; then
    # Most likely no package lists yet (fresh container): update once and retry.
    timeout 600 apt-get update -q >"$CACHE/apt-update.log" 2>&1 \
      || die "apt-get update failed (see $CACHE/apt-update.log)"
    PKG=$(resolve_pkg || true)
    [[ -n $PKG ]] || die "apt-cache depends linux-image-amd64 names no kernel package"
    have_deb || download_pkg "$PKG" || die "apt-get download $PKG failed (see $CACHE/apt.log)"
  fi
  KVER=${PKG#linux-image-}
  DEB=$(ls "$CACHE/debs/${PKG}_"*.deb | head -n1)
  KDIR=$CACHE/kernel/$KVER
  rm -rf "$KDIR.tmp"
  mkdir -p "$KDIR.tmp"
  dpkg-deb -x "$DEB" "$KDIR.tmp" || die "dpkg-deb -x $DEB failed"
  depmod -b "$KDIR.tmp" "$KVER" || die "depmod -b failed for $KVER"
  rm -rf "$KDIR"
  mv "$KDIR.tmp" "$KDIR"
fi

KDIR=$CACHE/kernel/$KVER
KERNEL=$KDIR/boot/vmlinuz-$KVER
[[ -f $KERNEL ]] || die "no kernel image $KERNEL"
[[ -f $KDIR/lib/modules/$KVER/modules.dep ]] || depmod -b "$KDIR" "$KVER" || die "depmod failed"

# ---- uncompressed kernel for PVH boot ---------------------------------------------------
# Under TCG the bzImage's self-decompression (xz) runs emulated and costs ~4 s per boot;
# QEMU boots the ELF vmlinux directly through its PVH entry (CONFIG_PVH=y) instead.
# (Not usable with TE_VM_ACCEL=kvm here: kvm_pvm fails on an uncompressed kernel.)
VMLINUX=$CACHE/vmlinux-$KVER
if [[ ! -s $VMLINUX ]] && grep -q '^CONFIG_PVH=y' "$KDIR/boot/config-$KVER" 2>/dev/null \
   && command -v xz >/dev/null; then
  rm -f "$VMLINUX.tmp"
  for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$KERNEL" | cut -d: -f1 | head -n 3); do
    # Trailing bytes after the xz stream make xz complain; the ELF check decides.
    tail -c +$((off + 1)) "$KERNEL" | xz -dcq >"$VMLINUX.tmp" 2>/dev/null || true
    if [[ $(head -c 4 "$VMLINUX.tmp" | od -An -tx1 | tr -d ' ') == 7f454c46 ]]; then
      mv "$VMLINUX.tmp" "$VMLINUX"; break
    fi
  done
  rm -f "$VMLINUX.tmp"
fi
[[ -s $VMLINUX ]] || VMLINUX=""

# ---- initramfs -------------------------------------------------------------------------
WORK=$(mktemp -d "$CACHE/initrd.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,mnt/root,mnt/te_run,lib/modules}
cp "$BUSYBOX" "$WORK/bin/busybox"
# Applet links (/bin/sh, mount, ...) are made by /init itself with
# "/bin/busybox --install -s": made here they would point at this host's path.
install -m 0755 "$HERE/guest_init.sh" "$WORK/init"

# Expand the module list with dependencies, de-duplicated, order preserved.
declare -A seen=()
: >"$WORK/etc/modules.order"
add_module() {  # $1 = module name, $2 = required|optional
  local out line path name
  if ! out=$(modprobe -d "$KDIR" -S "$KVER" --show-depends "$1" 2>/dev/null); then
    [[ $2 == optional ]] && return 0
    die "kernel $KVER has no module $1"
  fi
  while read -r line; do
    [[ $line == insmod\ * ]] || continue          # "builtin foo" needs nothing
    path=$(awk '{print $2}' <<<"$line")
    name=$(basename "$path")
    [[ -n ${seen[$name]:-} ]] && continue
    seen[$name]=1
    cp "$path" "$WORK/lib/modules/$name"
    echo "$name" >>"$WORK/etc/modules.order"
  done <<<"$out"
}
for m in "${REQUIRED_MODULES[@]}"; do add_module "$m" required; done
for m in "${OPTIONAL_MODULES[@]}"; do add_module "$m" optional; done

INITRD=$CACHE/initrd-$KVER.gz
(cd "$WORK" && find . -print0 | cpio --null -o -H newc --quiet | gzip -6) >"$INITRD.tmp" \
  || die "cpio/gzip of the initramfs failed"
mv "$INITRD.tmp" "$INITRD"

cat >"$CACHE/current.env.tmp" <<EOF
KVER=$KVER
KERNEL=$KERNEL
INITRD=$INITRD
VMLINUX=$VMLINUX
OLDSTAMP=$STAMP
EOF
mv "$CACHE/current.env.tmp" "$CACHE/current.env"
[[ $QUIET == 1 ]] || echo "$KVER"
