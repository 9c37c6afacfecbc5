#!/usr/bin/env node
// `npm run lint:package [-- file.tgz]`: checks the packed package the way consumers meet it, with
// publint (package.json fields, exports, files) and @arethetypeswrong/cli (the TypeScript types
// under every module resolution: node10, node16 from CommonJS and from ESM, bundler). Both must
// report nothing. Without an argument it compiles lib/ and packs the package (without the
// prebuilt binaries' build, which neither tool looks at) into a temporary folder.
'use strict';
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function pack(dir) {
  execFileSync(npm, ['run', 'build:ts'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const out = execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return path.join(dir, JSON.parse(out.slice(out.indexOf('[')))[0].filename);
}

function run(label, args) {
  process.stdout.write(`\n== ${label}\n`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  return r.status === 0 ? 0 : (r.status ?? 1);
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mmapkit-lint-'));
let status;
try {
  const tarball = process.argv[2] ? path.resolve(process.argv[2]) : pack(scratch);
  const bin = (pkg, file) => path.join(root, 'node_modules', pkg, file);
  const publint = run(`publint ${path.basename(tarball)}`, [bin('publint', 'src/cli.js'), 'run', '--strict', '--level', 'suggestion', tarball]);
  const attw = run(`attw ${path.basename(tarball)}`, [
    bin('@arethetypeswrong/cli', 'dist/index.js'),
    '--profile',
    'strict',
    '--format',
    'table-flipped',
    '--no-emoji',
    '--no-color',
    tarball,
  ]);
  status = publint || attw;
  process.stdout.write(`\nlint:package: publint ${publint === 0 ? 'ok' : 'FAILED'}, attw ${attw === 0 ? 'ok' : 'FAILED'}\n`);
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
process.exitCode = status;
