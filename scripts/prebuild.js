#!/usr/bin/env node
// Builds the prebuilt binaries shipped in the npm package (prebuilds/<platform>-<arch>/), so that
// installing mmapkit needs no compiler where install scripts are blocked. linux-x64 (or the host's
// own platform) always; linux-arm64 too when the cross compiler aarch64-linux-gnu-g++ is
// installed ('apt-get install g++-aarch64-linux-gnu'). Each build runs in a scratch copy of the
// sources, so the development build in build/ is left alone.
'use strict';
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

function build(arch, env) {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mmapkit-prebuild-'));
  try {
    for (const f of ['binding.gyp', 'package.json']) fs.copyFileSync(path.join(root, f), path.join(scratch, f));
    fs.cpSync(path.join(root, 'native'), path.join(scratch, 'native'), { recursive: true });
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(scratch, 'node_modules'));
    const bin = path.join(root, 'node_modules', 'prebuildify', 'bin.js');
    execFileSync(process.execPath, [bin, '--napi', '--strip', '--arch', arch], {
      cwd: scratch,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, ...env, ...(fs.existsSync('/usr/include/node/node_api.h') ? { npm_config_nodedir: '/usr' } : {}) },
    });
    const out = path.join(scratch, 'prebuilds');
    fs.cpSync(out, path.join(root, 'prebuilds'), { recursive: true });
    for (const dir of fs.readdirSync(out)) console.log(`prebuilt ${dir}: ${fs.readdirSync(path.join(out, dir)).join(', ')}`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

build(process.arch, {});
if (process.platform === 'linux' && process.arch === 'x64') {
  if (has('aarch64-linux-gnu-g++')) {
    build('arm64', { CC: 'aarch64-linux-gnu-gcc', CXX: 'aarch64-linux-gnu-g++', LINK: 'aarch64-linux-gnu-g++', PREBUILD_STRIP_BIN: 'aarch64-linux-gnu-strip', AR: 'aarch64-linux-gnu-ar' });
  } else {
    console.warn('prebuild: aarch64-linux-gnu-g++ not found, so no linux-arm64 binary is packed (apt-get install g++-aarch64-linux-gnu)');
  }
}
