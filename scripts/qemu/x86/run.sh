#!/usr/bin/env bash
# Boots the x86-64 test guest once (preparing it first) and runs a guest script in it with the
# host's node: run.sh SCRIPT [ARG...]. SCRIPT and ARGs are host paths/words without spaces; the
# guest sees the host's / read-only. The serial console (the script's output, between the
# MMAPKIT-BOOTED and MMAPKIT-EXIT markers) goes to stdout. Exits 77 with a "SKIP:" line when QEMU
# cannot run here; the boot is cut off after MMAPKIT_QEMU_TIMEOUT seconds (default 300).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 SCRIPT [ARG...]" >&2; exit 2; }
set +e
prep=$("$HERE/prepare.sh")
rc=$?
set -e
if [ $rc -ne 0 ]; then echo "$prep"; exit $rc; fi
VMLINUX=$(echo "$prep" | sed -n 's/^VMLINUX=//p')
INITRD=$(echo "$prep" | sed -n 's/^INITRD=//p')
NODE=$(readlink -f "$(command -v node)")
append="console=ttyS0 panic=-1 mmapkit.node=$NODE mmapkit.script=$(readlink -f "$1") mmapkit.cwd=$ROOT"
shift
for a in "$@"; do append+=" mmapkit.arg=$a"; done
exec timeout --kill-after=10 "${MMAPKIT_QEMU_TIMEOUT:-300}" \
  qemu-system-x86_64 -accel tcg -cpu max -m 1024 -nodefaults -vga none -display none \
  -serial stdio -no-reboot \
  -kernel "$VMLINUX" -initrd "$INITRD" -append "$append" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -device edu </dev/null
