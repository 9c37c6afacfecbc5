#!/usr/bin/env bash
# Prepares the x86-64 QEMU guest that runs mmapkit against QEMU's edu device, /dev/mem and
# /dev/port: installs qemu-system-x86, busybox-static and cpio when missing (as root, with apt),
# fetches the Debian kernel package that linux-image-amd64 depends on, unpacks only the kernel,
# the virtio / 9p modules (into the initramfs) and the UIO modules (loaded by the guest over 9p),
# decompresses the ELF vmlinux out of the bzImage once, and builds a small busybox initramfs
# around scripts/qemu/x86/init. Everything is cached in .cache/qemu-x86/.
#
# Exit status: 0 ready (prints KEY=VALUE lines: VMLINUX, INITRD), 77 cannot run here (the last line
# says why, starting with "SKIP:"), anything else: a real failure.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
CACHE=${MMAPKIT_QEMU_CACHE:-$ROOT/.cache/qemu-x86}
mkdir -p "$CACHE"
# One preparer at a time (several test runs may start together); the boots themselves share
# nothing writable and can run side by side.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.prepare.lock"
  flock -w 900 9 || { echo "prepare: could not lock $CACHE/.prepare.lock" >&2; exit 1; }
fi
log() { echo "prepare: $*" >&2; }
skip() { echo "SKIP: $*"; exit 77; }

if [ "$(uname -m)" != x86_64 ]; then skip "the edu rig boots an x86-64 guest and is only wired up on x86-64 hosts (this is $(uname -m))"; fi

is_static_busybox() { [ -x "$1" ] && ! ldd "$1" >/dev/null 2>&1; }
BUSYBOX=""
for b in /bin/busybox /usr/bin/busybox; do if is_static_busybox "$b"; then BUSYBOX=$b; break; fi; done

missing=()
command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
[ -n "$BUSYBOX" ] || missing+=(busybox-static)
command -v cpio >/dev/null 2>&1 || missing+=(cpio)
command -v xz >/dev/null 2>&1 || missing+=(xz-utils)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    skip "missing ${missing[*]} and cannot install them (needs root and apt-get): apt-get install -y --no-install-recommends ${missing[*]}"
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >&2; then
    apt-get update -qq -o DPkg::Lock::Timeout=300 >&2 || true
    apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >&2 ||
      skip "apt-get could not install ${missing[*]} (no network or no package source?)"
  fi
  for b in /bin/busybox /usr/bin/busybox; do if is_static_busybox "$b"; then BUSYBOX=$b; break; fi; done
  [ -n "$BUSYBOX" ] || skip "no static busybox after installing busybox-static"
fi

# The kernel package: the one linux-image-amd64 depends on, or the newest one already cached.
PKG=""
if command -v apt-cache >/dev/null 2>&1; then
  PKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }' || true)
fi
if [ -z "$PKG" ]; then
  PKG=$(ls "$CACHE"/linux-image-*-amd64_*.deb 2>/dev/null | sed 's#.*/##; s#_.*##' | sort -V | tail -1 || true)
fi
[ -n "$PKG" ] || skip "cannot tell which kernel package to use (no apt-cache, nothing cached in $CACHE)"
DEB=$(ls "$CACHE"/"$PKG"_*.deb 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$DEB" ]; then
  log "downloading $PKG"
  if ! (cd "$CACHE" && apt-get download -qq "$PKG" >&2 2>/dev/null); then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq -o DPkg::Lock::Timeout=300 >&2 || true; fi
    (cd "$CACHE" && apt-get download -qq "$PKG" >&2) || skip "apt-get download $PKG failed (no network?)"
  fi
  DEB=$(ls "$CACHE"/"$PKG"_*.deb | sort -V | tail -1)
fi
KVER=${PKG#linux-image-}
KDIR=$CACHE/$KVER
if [ ! -f "$KDIR/.unpacked" ]; then
  log "unpacking the kernel and the virtio/9p modules of $DEB"
  rm -rf "$KDIR" && mkdir -p "$KDIR"
  M=./lib/modules/$KVER/kernel
  dpkg-deb --fsys-tarfile "$DEB" | tar -x -C "$KDIR" --wildcards \
    "./boot/vmlinuz-$KVER" "./boot/config-$KVER" \
    "$M/drivers/virtio/virtio.ko" "$M/drivers/virtio/virtio_ring.ko" "$M/drivers/virtio/virtio_pci.ko" \
    "$M/drivers/virtio/virtio_pci_legacy_dev.ko" "$M/drivers/virtio/virtio_pci_modern_dev.ko" \
    "$M/fs/9p/9p.ko" "$M/fs/netfs/netfs.ko" "$M/fs/fscache/fscache.ko" \
    "$M/net/9p/9pnet.ko" "$M/net/9p/9pnet_virtio.ko"
  touch "$KDIR/.unpacked"
fi
# The UIO modules (uio.ko, uio_pci_generic.ko): the guest loads them from here, over 9p, with the
# host's busybox. Unpacked on their own so that a kernel unpacked before they were needed gains them.
UIO=./lib/modules/$KVER/kernel/drivers/uio
if [ ! -f "$KDIR/$UIO/uio_pci_generic.ko" ]; then
  log "unpacking the UIO modules of $DEB"
  dpkg-deb --fsys-tarfile "$DEB" | tar -x -C "$KDIR" "$UIO/uio.ko" "$UIO/uio_pci_generic.ko"
fi
VMLINUX=$KDIR/vmlinux
if [ ! -s "$VMLINUX" ]; then
  log "extracting vmlinux from the bzImage"
  node "$HERE/extract-vmlinux.js" "$KDIR/boot/vmlinuz-$KVER" "$VMLINUX.tmp"
  mv "$VMLINUX.tmp" "$VMLINUX"
fi

# The initramfs: busybox, the modules (flat, loaded in dependency order by /init) and /init.
INITRD=$CACHE/initramfs-$KVER.cpio
STAMP=$(cat "$HERE/init" "$HERE/prepare.sh" "$BUSYBOX" | sha256sum | cut -c1-16)
if [ ! -s "$INITRD" ] || [ "$(cat "$INITRD.stamp" 2>/dev/null)" != "$STAMP" ]; then
  log "building the initramfs"
  IR=$CACHE/initramfs-root
  rm -rf "$IR" && mkdir -p "$IR"/{bin,dev,proc,sys,mnt,tmp,modules}
  cp "$BUSYBOX" "$IR/bin/busybox"
  ln -s busybox "$IR/bin/sh"
  cp "$HERE/init" "$IR/init" && chmod 755 "$IR/init"
  for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p; do
    f=$(find "$KDIR/lib/modules" -name "$m.ko" | head -1)
    [ -n "$f" ] && cp "$f" "$IR/modules/"
    echo "$m" >> "$IR/modules/order"
  done
  (cd "$IR" && find . -print0 | sort -z | cpio --null -o -H newc --quiet -R 0:0) > "$INITRD.tmp"
  mv "$INITRD.tmp" "$INITRD"
  echo "$STAMP" > "$INITRD.stamp"
fi
echo "VMLINUX=$VMLINUX"
echo "INITRD=$INITRD"
echo "KERNEL_PACKAGE=$PKG"
echo "UIO_MODULES=$KDIR/${UIO#./}"
