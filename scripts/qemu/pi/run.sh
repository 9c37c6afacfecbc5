#!/usr/bin/env bash
# Boots the Raspberry Pi 3 QEMU guest (qemu-system-aarch64 -M raspi3b) with mmapkit inside and runs
# scripts/qemu/pi/guest.sh there through /dev/mem (kernel command line iomem=relaxed). Prints the
# guest console on stdout; the host-side checks are in test/hw.pi.test.ts.
#
# Prepares everything first: scripts/qemu/pi/fetch.sh (packages, cached in .cache/qemu-pi/),
# scripts/cross-arm64.sh (the arm64 addon), dist/ (npm run build:ts when missing).
# Usage: run.sh          the normal run (iomem=relaxed)
#        run.sh strict   boots without iomem=relaxed: the kernel's strict /dev/mem checks refuse the
#                        GPIO range its pinctrl driver claims, and the guest checks mmapkit's error
# Environment: MMAPKIT_PI_CACHE (cache folder), MMAPKIT_PI_TIMEOUT (seconds, default 300),
# MMAPKIT_PI_QEMU (the qemu-system-aarch64 binary).
# Exit status: QEMU's (0 when the guest powered off); 77 when the rig cannot run here (reason on
# stderr, a line starting with SKIP:).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
HERE="$ROOT/scripts/qemu/pi"
CACHE="${MMAPKIT_PI_CACHE:-$ROOT/.cache/qemu-pi}"
TIMEOUT="${MMAPKIT_PI_TIMEOUT:-300}"
MODE="${1:-normal}"
case "$MODE" in
  normal) APPEND="iomem=relaxed" ;;
  strict) APPEND="mmapkit.mode=strict" ;;
  *) echo "usage: $0 [normal|strict]" >&2; exit 2 ;;
esac
cd "$ROOT"
t0=$(date +%s%N)
stamp() { local ms=$(( ($(date +%s%N) - t0) / 1000000 )); printf '@@HOST %s %d.%03ds\n' "$1" $((ms / 1000)) $((ms % 1000)); }

bash "$HERE/fetch.sh" >/dev/null || exit $?
stamp fetched
bash "$ROOT/scripts/cross-arm64.sh" >/dev/null || exit $?
stamp addon
[ -f "$ROOT/dist/cli/main.js" ] || npm run -s build:ts >/dev/null
command -v cpio >/dev/null || { echo "SKIP: cpio not installed" >&2; exit 77; }

# The base archive (Node, its libraries, busybox) changes only when the packages do.
bash "$HERE/base-archive.sh" "$CACHE"
BASE="$CACHE/base.cpio"

# The application archive: /init, the guest script, the module, mmapkit (package.json, dist, addon).
APP="$CACHE/app"
rm -rf "$APP"; mkdir -p "$APP/opt/mmapkit/build-arm64" "$APP/lib/modules"
install -m 755 "$HERE/init" "$APP/init"
install -m 644 "$HERE/guest.sh" "$APP/guest.sh"
install -m 644 "$HERE/guest-steps.js" "$APP/guest-steps.js"
cp "$CACHE/bcm2835_wdt.ko" "$APP/lib/modules/"
cp "$ROOT/package.json" "$APP/opt/mmapkit/"
cp -r "$ROOT/dist" "$APP/opt/mmapkit/dist"
cp "$ROOT/build-arm64/mmapkit.node" "$APP/opt/mmapkit/build-arm64/"
(cd "$APP" && find . | cpio -o -H newc --quiet) > "$CACHE/app.cpio"

# Concatenate; each archive padded to 4 bytes, or the kernel rejects the next one.
INITRD="$CACHE/initrd.cpio"
cp "$BASE" "$INITRD"
pad=$(( (4 - $(stat -c %s "$INITRD") % 4) % 4 ))
head -c "$pad" /dev/zero >> "$INITRD"
cat "$CACHE/app.cpio" >> "$INITRD"
stamp initramfs

QEMU="${MMAPKIT_PI_QEMU:-qemu-system-aarch64}"
command -v "$QEMU" >/dev/null || { echo "SKIP: $QEMU not installed (apt-get install qemu-system-arm)" >&2; exit 77; }
set +e
timeout --kill-after=10 "$TIMEOUT" "$QEMU" -M raspi3b -accel tcg,thread=single \
  -kernel "$CACHE/Image" -dtb "$CACHE/bcm2837-rpi-3-b.dtb" -initrd "$INITRD" \
  -append "console=ttyAMA0 $APPEND panic=-1 rdinit=/init quiet loglevel=1" \
  -display none -serial stdio -monitor none -no-reboot </dev/null
rc=$?
set -e
stamp "qemu-exit rc=$rc"
exit $rc
