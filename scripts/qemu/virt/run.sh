#!/usr/bin/env bash
# Boots an arm64 QEMU guest on the generic board (qemu-system-aarch64 -M virt -cpu max, TCG) with
# the Debian arm64 kernel, whose PL061 GPIO controller driver is built in, and runs
# scripts/qemu/virt/guest.js there: mmapkit's GPIO character-device API and `mmapkit gpiochip`
# against a real gpiolib chip. QEMU wires PL061 line 3 to its power button; host.js presses it
# (`system_powerdown` on the QEMU monitor) each time the guest asks, which gives a real rising
# edge and, ~100 ms later, a falling one. gpio-keys is never loaded, so line 3 is free.
#
# The host is x86, so the guest cannot run the host's node over 9p: Debian's arm64 Node.js, its
# libraries and busybox (the same packages as the Raspberry Pi rig, cached in .cache/qemu-pi/) and
# the cross-built addon (scripts/cross-arm64.sh) are packed into the initramfs.
#
# Prints the guest console and host.js's @@HOST lines on stdout; test/hw.virt.test.ts checks them.
# Environment: MMAPKIT_VIRT_TIMEOUT (seconds, default 300), MMAPKIT_PI_CACHE (package cache),
# MMAPKIT_VIRT_QEMU (the qemu-system-aarch64 binary).
# Exit status: QEMU's (0 when the guest powered off); 77 only when qemu-system-aarch64 is missing
# (reason on stderr, a line starting with SKIP:); 1 when anything else needed cannot be prepared.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
HERE="$ROOT/scripts/qemu/virt"
PI_CACHE="${MMAPKIT_PI_CACHE:-$ROOT/.cache/qemu-pi}"
CACHE="$ROOT/.cache/qemu-virt"
QEMU="${MMAPKIT_VIRT_QEMU:-qemu-system-aarch64}"
command -v "$QEMU" >/dev/null || { echo "SKIP: $QEMU not installed (apt-get install qemu-system-arm)" >&2; exit 77; }
cd "$ROOT"
mkdir -p "$CACHE"

# With QEMU present the rig must run: a missing package or cross compiler is a failure (exit 1),
# not a skip.
fail() { echo "FAIL: $*" >&2; exit 1; }
MMAPKIT_PI_CACHE="$PI_CACHE" bash "$ROOT/scripts/qemu/pi/fetch.sh" >/dev/null || fail "scripts/qemu/pi/fetch.sh could not prepare the arm64 packages (see above)"
bash "$ROOT/scripts/cross-arm64.sh" >/dev/null || fail "scripts/cross-arm64.sh could not build the arm64 addon (see above)"
[ -f "$ROOT/dist/cli/main.js" ] || npm run -s build:ts >/dev/null
command -v cpio >/dev/null || fail "cpio not installed (apt-get install cpio)"

# The base archive (Node, its libraries, busybox) is the Raspberry Pi rig's.
bash "$ROOT/scripts/qemu/pi/base-archive.sh" "$PI_CACHE" || fail "scripts/qemu/pi/base-archive.sh could not pack the base archive"
BASE="$PI_CACHE/base.cpio"

APP="$CACHE/app"
rm -rf "$APP"; mkdir -p "$APP/opt/mmapkit/build-arm64"
install -m 755 "$HERE/init" "$APP/init"
install -m 644 "$HERE/guest.js" "$APP/guest.js"
cp "$ROOT/package.json" "$APP/opt/mmapkit/"
cp -r "$ROOT/dist" "$APP/opt/mmapkit/dist"
cp "$ROOT/build-arm64/mmapkit.node" "$APP/opt/mmapkit/build-arm64/"
(cd "$APP" && find . | cpio -o -H newc --quiet) > "$CACHE/app.cpio"
INITRD="$CACHE/initrd.cpio"
cp "$BASE" "$INITRD"
pad=$(( (4 - $(stat -c %s "$INITRD") % 4) % 4 ))
head -c "$pad" /dev/zero >> "$INITRD"
cat "$CACHE/app.cpio" >> "$INITRD"

MON="$CACHE/monitor.sock"
rm -f "$MON"
exec timeout --kill-after=10 "${MMAPKIT_VIRT_TIMEOUT:-300}" node "$HERE/host.js" "$MON" \
  "$QEMU" -M virt -cpu max,pauth-impdef=on -accel tcg -smp 1 -m 1024 -nodefaults -display none \
  -kernel "$PI_CACHE/Image" -initrd "$INITRD" \
  -append "console=ttyAMA0 panic=-1 rdinit=/init quiet loglevel=1" \
  -serial stdio -monitor "unix:$MON,server,nowait" -no-reboot
