#!/usr/bin/env bash
# Fetches and unpacks what the Raspberry Pi 3 QEMU guest needs into a cache folder (default
# .cache/qemu-pi/): the arm64 Debian kernel (Image, the Pi 3 device tree, the watchdog module),
# busybox, and Debian's arm64 Node.js with its libraries. Installs the host tools it needs when it
# runs as root and they are missing. Idempotent: finished steps are skipped.
#
# Exit status: 0 ready; 77 cannot prepare here (reason on stderr).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
CACHE="${MMAPKIT_PI_CACHE:-$ROOT/.cache/qemu-pi}"
mkdir -p "$CACHE/debs"
skip() { echo "SKIP: $*" >&2; exit 77; }

need_tools=()
command -v qemu-system-aarch64 >/dev/null || need_tools+=(qemu-system-arm)
command -v aarch64-linux-gnu-g++ >/dev/null || need_tools+=(g++-aarch64-linux-gnu)
command -v cpio >/dev/null || need_tools+=(cpio)
command -v apt-get >/dev/null || skip "no apt-get: this rig needs a Debian host (found $(uname -sr))"

arm64_ready() { dpkg --print-foreign-architectures | grep -qx arm64 && apt-cache policy nodejs:arm64 2>/dev/null | grep -q Candidate; }
if [ ${#need_tools[@]} -gt 0 ] || ! arm64_ready; then
  [ "$(id -u)" = 0 ] || skip "needs root to install ${need_tools[*]:-} and enable the arm64 architecture"
  export DEBIAN_FRONTEND=noninteractive
  dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
  apt-get -o DPkg::Lock::Timeout=300 update -qq || skip "apt-get update failed (no network to the Debian mirrors?)"
  if [ ${#need_tools[@]} -gt 0 ]; then
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${need_tools[@]}" >/dev/null \
      || skip "apt-get install ${need_tools[*]} failed"
  fi
fi

if [ ! -f "$CACHE/rootfs.done" ]; then
  KPKG="$(apt-cache depends linux-image-arm64:arm64 | sed -n 's/.*Depends: \(linux-image-[0-9].*-arm64\).*/\1/p' | head -1)"
  [ -n "$KPKG" ] || skip "cannot resolve the arm64 kernel package (apt-cache depends linux-image-arm64:arm64)"
  PKGS=("$KPKG:arm64" busybox-static:arm64 nodejs:arm64 libnode108:arm64 libuv1:arm64 libicu72:arm64 libssl3:arm64
        libc-ares2:arm64 libnghttp2-14:arm64 libbrotli1:arm64 zlib1g:arm64 libstdc++6:arm64 libgcc-s1:arm64
        libc6:arm64 node-cjs-module-lexer node-acorn node-undici node-busboy node-xtend)
  (cd "$CACHE/debs" && apt-get download "${PKGS[@]}" >/dev/null 2>"$CACHE/download.log") \
    || { cat "$CACHE/download.log" >&2; skip "apt-get download of the arm64 packages failed"; }
  rm -rf "$CACHE/kernel" "$CACHE/rootfs"; mkdir -p "$CACHE/kernel" "$CACHE/rootfs"
  for deb in "$CACHE"/debs/*.deb; do
    case "$(basename "$deb")" in
      linux-image-*)
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$CACHE/kernel" --wildcards \
          './boot/vmlinuz-*' './usr/lib/linux-image-*/broadcom/bcm2837-rpi-3-b.dtb' \
          './lib/modules/*/kernel/drivers/watchdog/bcm2835_wdt.ko' ;;
      *) dpkg-deb -x "$deb" "$CACHE/rootfs" ;;
    esac
  done
  cp "$(ls "$CACHE"/kernel/boot/vmlinuz-* | head -1)" "$CACHE/Image"
  cp "$(ls "$CACHE"/kernel/usr/lib/linux-image-*/broadcom/bcm2837-rpi-3-b.dtb | head -1)" "$CACHE/bcm2837-rpi-3-b.dtb"
  cp "$(find "$CACHE/kernel/lib/modules" -name bcm2835_wdt.ko | head -1)" "$CACHE/bcm2835_wdt.ko"
  # What Node does not need: docs, locales, headers.
  rm -rf "$CACHE/rootfs/usr/share/doc" "$CACHE/rootfs/usr/share/man" "$CACHE/rootfs/usr/share/locale" \
         "$CACHE/rootfs/usr/include" "$CACHE/rootfs/usr/share/lintian"
  touch "$CACHE/rootfs.done"
fi
echo "$CACHE"
