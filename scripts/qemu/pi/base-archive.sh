#!/usr/bin/env bash
# Packs the arm64 guests' base archive, CACHE/base.cpio (Node, its libraries, busybox: the rootfs
# scripts/qemu/pi/fetch.sh unpacked into CACHE/rootfs), again only when the packages changed.
# Shared by the Raspberry Pi rig and the arm64 virt rig, which keep their packages in one cache.
# Usage: base-archive.sh CACHE   (prints nothing; exit status 1 on failure)
set -euo pipefail
CACHE="$1"
BASE="$CACHE/base.cpio"
if [ ! -f "$BASE" ] || [ "$CACHE/rootfs.done" -nt "$BASE" ]; then
  R="$CACHE/rootfs"
  rm -rf "$R/usr/lib/aarch64-linux-gnu/gconv"
  mkdir -p "$R/dev" "$R/proc" "$R/sys" "$R/tmp" "$R/opt" "$R/lib/modules"
  [ -e "$R/dev/console" ] || mknod -m 600 "$R/dev/console" c 5 1 2>/dev/null || true
  (cd "$R" && find . | cpio -o -H newc --quiet) > "$BASE.tmp.$$"
  mv "$BASE.tmp.$$" "$BASE"
fi
