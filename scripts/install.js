#!/usr/bin/env node
// mmapkit's install step. On Linux it runs node-gyp-build: a prebuilt binary from prebuilds/ that
// loads here is used as it is, otherwise the addon is built from source with node-gyp. It never
// fails the install: where there is no binary and no compiler (macOS, Windows, a Linux without a
// toolchain) mmapkit installs without its addon, prints a note saying so, and exits 0. There the
// simulator and the JavaScript CSV methods work, and every native call throws
// ERR_MMAPKIT_UNSUPPORTED naming the platform and the call. (In a development checkout, not inside
// node_modules, a failed build still fails the install, so it is seen.)
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

const platform = `${process.platform}-${process.arch}`;
const works =
  "installed without it: the simulator ('mmapkit sim', 'mmapkit gpio --sim', the Sim* classes) and the JavaScript " +
  'CSV methods work; native calls (mapFile, mapAnonymous, SharedMemory …) throw ERR_MMAPKIT_UNSUPPORTED.';

function note(lines) {
  process.stderr.write(lines.map((l) => `mmapkit: ${l}\n`).join(''));
}

function main() {
  if (process.platform !== 'linux') {
    note([`no native addon for ${platform}: it is built for Linux only (it maps memory with Linux system calls).`, works]);
    return 0;
  }
  let bin;
  try {
    bin = require.resolve('node-gyp-build/bin.js');
  } catch {
    note([`node-gyp-build is missing, so the native addon was neither checked nor built for ${platform}.`, works]);
    return 0;
  }
  const root = path.join(__dirname, '..');
  const r = spawnSync(process.execPath, [bin], { cwd: root, stdio: 'inherit' });
  if (r.status === 0) return 0;
  const why = r.error ? r.error.message : r.signal ? `signal ${r.signal}` : `exit code ${r.status}`;
  // In a development checkout (not inside node_modules) a failed build is an error worth stopping for.
  if (!root.split(path.sep).includes('node_modules')) {
    note([`building the native addon failed (node-gyp-build ended with ${why}).`]);
    return 1;
  }
  note([
    `the native addon for ${platform} could not be built from source (node-gyp-build ended with ${why}), and no prebuilt binary loads here.`,
    works,
    "To build it: install python3, make and a C++17 compiler (Debian/Ubuntu: 'apt-get install python3 make g++'), then run 'npm rebuild mmapkit'.",
  ]);
  return 0;
}

process.exitCode = main();
