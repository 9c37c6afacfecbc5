#!/usr/bin/env bash
# Builds mmapkit's native code with AddressSanitizer and UndefinedBehaviorSanitizer and runs the
# native tests under them:
#   1. the plain C++ syscall layer (native/sys) with its tests in native/test, without Node;
#   2. the addon itself, loaded into Node with the sanitizer runtimes preloaded, under the core
#      test suite.
# Any sanitizer report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=$(mktemp -d /tmp/mmapkit-sanitizers-XXXXXX)
trap 'rm -rf "$out"' EXIT
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"

echo "== native/sys tests under ASan + UBSan"
g++ -std=gnu++17 -Wall -Wextra -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $san -Inative -Inative/test \
  native/sys/*.cc native/test/*.cc -o "$out/sys_test"
ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$out/sys_test"

echo "== the addon under ASan + UBSan"
mkdir -p "$out/addon"
cp binding.gyp package.json "$out/addon/"
cp -r native "$out/addon/native"
ln -s "$root/node_modules" "$out/addon/node_modules"
nodedir=()
[ -f /usr/include/node/node_api.h ] && nodedir=(--nodedir=/usr)
(cd "$out/addon" && CXXFLAGS="$san" CFLAGS="$san" LDFLAGS="-fsanitize=address,undefined" \
  "$root/node_modules/.bin/node-gyp" rebuild "${nodedir[@]}" >/dev/null)
preload="$(g++ -print-file-name=libasan.so):$(g++ -print-file-name=libubsan.so)"
# Node itself is not built with ASan: leak checking would report V8's own allocations.
LD_PRELOAD="$preload" \
  ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:handle_sigbus=0 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  MMAPKIT_BINDING="$out/addon/build/Release/mmapkit.node" \
  MMAPKIT_SANITIZERS=1 \
  "$root/node_modules/.bin/vitest" run test/core.mapfile.test.ts test/core.operations.test.ts \
    test/core.lifetime.test.ts test/core.shm.test.ts test/core.fuzz.test.ts test/core.processes.test.ts \
    test/core.errors.test.ts test/csv.sum.test.ts test/regs.window.test.ts test/regs.helpers.test.ts \
    test/regs.property.test.ts test/regs.barriers.test.ts test/regs.ports.test.ts
echo "sanitizers: clean"
