#!/usr/bin/env bash
# Cross-builds the native addon for Linux arm64 (Raspberry Pi 3/4/5 running a 64-bit OS) with
# Debian's aarch64-linux-gnu-g++, against the host's Node headers, into build-arm64/mmapkit.node.
# Node-API 8, so the result loads in Node 18.17 and later on the target.
#
#   scripts/cross-arm64.sh            build (skipped when up to date)
#   NODE_HEADERS=/path/include/node   use other headers (default /usr/include/node, else node-gyp's cache)
#
# Exit status: 0 built; 77 the cross compiler or the headers are missing (reason on stderr).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
CXX="${CXX_ARM64:-aarch64-linux-gnu-g++}"
OUT="$ROOT/build-arm64/mmapkit.node"

command -v "$CXX" >/dev/null || { echo "SKIP: $CXX not found (apt-get install g++-aarch64-linux-gnu)" >&2; exit 77; }
HDR="${NODE_HEADERS:-}"
if [ -z "$HDR" ]; then
  for d in /usr/include/node "$HOME/.cache/node-gyp/$(node -p process.versions.node)/include/node"; do
    if [ -f "$d/node_api.h" ]; then HDR="$d"; break; fi
  done
fi
[ -n "$HDR" ] && [ -f "$HDR/node_api.h" ] || { echo "SKIP: no Node headers (node_api.h) found; set NODE_HEADERS" >&2; exit 77; }
NAPI_INC="$(node -p "require('node-addon-api').include_dir")"

read -r -a SOURCES <<<"$(node native/sources.js)"
HEADERS=$(find native -name '*.h')
if [ -f "$OUT" ]; then
  stale=0
  for f in "${SOURCES[@]}" $HEADERS "$0"; do [ "$f" -nt "$OUT" ] && stale=1 && break; done
  [ "$stale" = 0 ] && { echo "$OUT (up to date)"; exit 0; }
fi
mkdir -p "$ROOT/build-arm64/obj"
OBJS=()
for src in "${SOURCES[@]}"; do
  obj="$ROOT/build-arm64/obj/$(echo "${src%.cc}" | tr '/' '_').o"
  OBJS+=("$obj")
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find native -name '*.h' -newer "$obj" | head -1)" ]; then
    "$CXX" -c -fPIC -std=gnu++17 -O2 -fexceptions -Wall -Wextra \
      -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 \
      -DBUILDING_NODE_EXTENSION \
      -I"$HDR" -I"$NAPI_INC" -Inative -o "$obj" "$src" &
    # two compilers at a time
    while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
  fi
done
wait
"$CXX" -shared -fPIC -o "$OUT.tmp" "${OBJS[@]}" -static-libstdc++ -static-libgcc
mv "$OUT.tmp" "$OUT"
echo "$OUT"
