// Packaging: the packed tarball installs into an empty project and loads with require() and
// import, with and without install scripts; a missing binding explains itself.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './support/helpers';

const work = tempDir('mmapkit-pack-');
let tarball = '';
const npm = (args: string[], cwd: string) =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error', npm_config_audit: 'false', npm_config_fund: 'false' } });

const USE = `
  const fs = require('fs'); const p = require('path').join(require('os').tmpdir(), 'mmapkit-pack-' + process.pid);
  fs.writeFileSync(p, '12,34\\n5,6\\n789,1\\n');
  const m = mk.mapFile(p); const sum = mk.seedCsvSum(m); m.unmap(); fs.unlinkSync(p);
  process.stdout.write(String(sum) + ' ' + typeof mk.mapAnonymous);`;

function project(name: string, installArgs: string[]): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, version: '1.0.0', private: true }));
  npm(['install', ...installArgs, tarball], dir);
  return dir;
}

beforeAll(() => {
  const out = npm(['pack', '--json', '--pack-destination', work], ROOT);
  const info = JSON.parse(out.slice(out.indexOf('[')));
  tarball = path.join(work, info[0].filename);
}, 600_000);

describe('the npm package', () => {
  it('ships dist, the native sources and prebuilt binaries, and no build output', () => {
    const list = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(list).toContain('package/dist/index.js');
    expect(list).toContain('package/dist/index.mjs');
    expect(list).toContain('package/dist/index.d.ts');
    expect(list).toContain('package/binding.gyp');
    expect(list).toContain('package/dist/bench/main.js');
    expect(list).toContain('package/native/binding/mapping.cc');
    expect(list).toContain(`package/prebuilds/linux-${process.arch}/mmapkit.node`);
    expect(list.some((f) => f.startsWith('package/build/'))).toBe(false);
    expect(list.some((f) => f.startsWith('package/test/'))).toBe(false);
  });

  it('installs as a dependency and loads with require() and with import', () => {
    const dir = project('plain', []);
    const cjs = spawnSync(process.execPath, ['-e', `const mk = require('mmapkit');${USE}`], { cwd: dir, encoding: 'utf8' });
    expect(cjs.stderr).toBe('');
    expect(cjs.stdout).toBe('847 function');
    const esm = spawnSync(process.execPath, ['--input-type=module', '-e', `import * as mk from 'mmapkit'; import { mapFile } from 'mmapkit'; import { createRequire } from 'module'; const require = createRequire(import.meta.url); if (typeof mapFile !== 'function') throw new Error('no named export');${USE}`], { cwd: dir, encoding: 'utf8' });
    expect(esm.stderr).toBe('');
    expect(esm.stdout).toBe('847 function');
    const bin = spawnSync(path.join(dir, 'node_modules', '.bin', 'mmapkit'), ['--help'], { encoding: 'utf8' });
    expect(bin.stdout).toMatch(/usage: mmapkit <command>/);
  });

  it('works with install scripts blocked (--ignore-scripts) through the prebuilt binary', () => {
    const dir = project('noscripts', ['--ignore-scripts']);
    expect(fs.existsSync(path.join(dir, 'node_modules', 'mmapkit', 'build'))).toBe(false);
    const r = spawnSync(process.execPath, ['-e', `const mk = require('mmapkit');${USE}`], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('847 function');
  });

  it('says what it tried and how to fix it when no binding can be loaded', () => {
    const dir = path.join(work, 'broken');
    fs.mkdirSync(dir);
    fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    const r = spawnSync(process.execPath, ['-e', `try { require('./').mapAnonymous(1); } catch (e) { process.stdout.write(JSON.stringify({ code: e.code, message: e.message })); }`], { cwd: dir, encoding: 'utf8', env: { ...process.env, MMAPKIT_BINDING: path.join(dir, 'missing.node') } });
    const out = JSON.parse(r.stdout);
    expect(out.code).toBe('ERR_MMAPKIT_BINDING');
    expect(out.message).toContain(path.join(dir, 'missing.node'));
    expect(out.message).toContain(path.join(dir, 'build', 'Release', 'mmapkit.node'));
    expect(out.message).toMatch(/npm rebuild mmapkit/);
  });
});
