// The `mmapkit/sim` entry point: loaded by its package name (package.json "exports") with require()
// and with import, it gives exactly the simulator's names, the same objects the package root gives.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/helpers';

/** Runs an ES module or CommonJS script from the package folder, where the package name resolves to itself. */
function run(source: string, ext: 'cjs' | 'mjs'): unknown {
  const file = path.join(ROOT, 'dist', `subpath-probe-${process.pid}.${ext}`);
  fs.writeFileSync(file, source);
  try {
    const r = spawnSync(process.execPath, [file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

const isSim = (n: string) => /^(Sim|sim|SIM_)/.test(n) || n === 'createSimMachine' || n === 'runSimVmScenario' || n === 'openSimGpioChip';

describe('mmapkit/sim', () => {
  it('require("mmapkit/sim") and import "mmapkit/sim" give the same names, the simulator part of the root', () => {
    const cjs = run(
      `const sim = require('mmapkit/sim'); const root = require('mmapkit');
       const names = Object.keys(sim).sort();
       console.log(JSON.stringify({ names, same: names.every((n) => root[n] === sim[n]), root: Object.keys(root).sort(), file: require.resolve('mmapkit/sim') }));`,
      'cjs',
    ) as { names: string[]; same: boolean; root: string[]; file: string };
    const esm = run(
      `import * as sim from 'mmapkit/sim'; import * as root from 'mmapkit'; import simDefault from 'mmapkit/sim';
       import { SimVm } from 'mmapkit/sim'; import { createRequire } from 'node:module';
       const require = createRequire(import.meta.url);
       const names = Object.keys(sim).filter((n) => n !== 'default').sort();
       console.log(JSON.stringify({ names, same: names.every((n) => root[n] === sim[n]), sameAsCjs: SimVm === require('mmapkit/sim').SimVm && simDefault.SimVm === SimVm,
         vm: typeof new SimVm({ frames: 16 }).spawn, file: import.meta.resolve('mmapkit/sim') }));`,
      'mjs',
    ) as { names: string[]; same: boolean; sameAsCjs: boolean; vm: string; file: string };
    expect(cjs.file).toBe(path.join(ROOT, 'dist', 'sim', 'index.js'));
    expect(esm.file).toBe('file://' + path.join(ROOT, 'dist', 'sim', 'index.mjs'));
    expect(esm.names).toEqual(cjs.names);
    expect(cjs.same).toBe(true);
    expect(esm.same).toBe(true);
    expect(esm.sameAsCjs).toBe(true);
    expect(esm.vm).toBe('function');
    // Exactly the simulator: every Sim* name of the root, and nothing else.
    expect(cjs.names).toEqual(cjs.root.filter(isSim));
    expect(cjs.names.length).toBeGreaterThan(100);
    for (const n of ['SimVm', 'SimBus', 'createSimMachine', 'simEduScenario']) expect(cjs.names).toContain(n);
    expect(cjs.names).not.toContain('mapFile');
  });

  it('resolves for TypeScript without "exports" support too (node10): sim/package.json points into dist/', () => {
    const stub = JSON.parse(fs.readFileSync(path.join(ROOT, 'sim', 'package.json'), 'utf8')) as { main: string; types: string };
    expect(fs.existsSync(path.join(ROOT, 'sim', stub.main))).toBe(true);
    expect(fs.existsSync(path.join(ROOT, 'sim', stub.types))).toBe(true);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { files: string[]; exports: Record<string, unknown> };
    expect(pkg.files).toContain('sim/');
    expect(Object.keys(pkg.exports)).toEqual(['.', './sim', './package.json']);
  });
});
