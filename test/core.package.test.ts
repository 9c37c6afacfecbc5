// Packaging: the packed tarball installs into an empty project and loads with require() and
// import, with and without install scripts; every CLI command runs from the installed package; its
// runtime imports are exactly its dependencies; TypeScript consumers compile against it (node16
// CommonJS and ESM, bundler); without its binaries (deleted, or never built because there is no
// compiler) the install succeeds, the simulator and the JS CSV methods work and native calls say
// what is missing; a binding that is there but does not load explains itself.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './support/helpers';
import { NO_ADDON_PROBE, PROBE_CSV, PROBE_CSV_SUM, assertNoAddonProbe } from './support/no-addon';

const work = tempDir('mmapkit-pack-');
let tarball = '';
const npmEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_loglevel: 'error', npm_config_audit: 'false', npm_config_fund: 'false', ...extra };
  delete env.MMAPKIT_NO_ADDON;
  delete env.MMAPKIT_BINDING;
  return env;
};
const npm = (args: string[], cwd: string, env?: NodeJS.ProcessEnv) =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: npmEnv(env) });

const USE = `
  const fs = require('fs'); const p = require('path').join(require('os').tmpdir(), 'mmapkit-pack-' + process.pid);
  fs.writeFileSync(p, '12,34\\n5,6\\n789,1\\n');
  const m = mk.mapFile(p); const sum = mk.bytewiseCsvSum(m); m.unmap(); fs.unlinkSync(p);
  process.stdout.write(String(sum) + ' ' + typeof mk.mapAnonymous);`;

function project(name: string, installArgs: string[], from = tarball, env?: NodeJS.ProcessEnv): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, version: '1.0.0', private: true }));
  npm(['install', ...installArgs, from], dir, env);
  return dir;
}

/** The project with the package installed normally (install scripts on), made once. */
let plainDir = '';
function plain(): string {
  if (!plainDir) plainDir = project('plain', []);
  return plainDir;
}

/** Runs node with a script in `cwd` (the package resolved from there), without the test switches. */
const node = (cwd: string, args: string[], timeout = 120_000) => spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout, env: npmEnv() });
/** Runs the installed `mmapkit` command in `cwd`. */
const mmapkit = (cwd: string, args: string[], timeout = 120_000) =>
  spawnSync(path.join(cwd, 'node_modules', '.bin', 'mmapkit'), args, { cwd, encoding: 'utf8', timeout, env: npmEnv() });

/** Package names a file loads: require(), require.resolve(), import() and import … from of a bare name. */
function bareImports(text: string): string[] {
  const names: string[] = [];
  const patterns = [
    /\brequire(?:\.resolve)?\(\s*(['"`])([^'"`]+)\1/g,
    /\bimport\(\s*(['"`])([^'"`]+)\1\s*\)/g,
    /\bfrom\s*(['"])([^'"]+)\1/g,
    /^\s*import\s*(['"])([^'"]+)\1/gm,
  ];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      const spec = m[2];
      if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) continue;
      const parts = spec.split('/');
      names.push(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
    }
  }
  return names;
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
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
    expect(list).toContain('package/dist/index.d.mts');
    expect(list).toContain('package/scripts/install.js');
    // The simulator's entry point (exports "./sim", and sim/package.json for node10 resolution).
    for (const f of ['dist/sim/index.js', 'dist/sim/index.mjs', 'dist/sim/index.d.ts', 'dist/sim/index.d.mts', 'sim/package.json'])
      expect(list).toContain(`package/${f}`);
    expect(list).toContain('package/LICENSE');
    expect(list).toContain('package/CHANGELOG.md');
  });

  it('declares as dependencies exactly the packages its shipped code loads', () => {
    const dir = path.join(work, 'unpacked');
    fs.mkdirSync(dir);
    execFileSync('tar', ['-xzf', tarball, '-C', dir]);
    const pkgDir = path.join(dir, 'package');
    const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
    // What runs: dist/ (the library, the CLI, the benchmark), the install script and what
    // binding.gyp loads when the install step builds the addon from source.
    const files = [
      ...filesUnder(path.join(pkgDir, 'dist')).filter((f) => /\.(c|m)?js$/.test(f)),
      path.join(pkgDir, 'scripts', 'install.js'),
      path.join(pkgDir, 'binding.gyp'),
    ];
    const loaded = new Map<string, string>();
    for (const f of files) for (const name of bareImports(fs.readFileSync(f, 'utf8'))) if (name !== pkg.name) loaded.set(name, path.relative(pkgDir, f));
    expect([...loaded.keys()].sort()).toEqual(Object.keys(pkg.dependencies).sort());
    // The ones found where expected (so the scan itself is known to work).
    expect(loaded.get('tinybench')).toMatch(/^dist\/bench\//);
    expect(loaded.get('node-gyp-build')).toBe('scripts/install.js');
    expect(loaded.get('node-addon-api')).toBe('binding.gyp');
    for (const dev of Object.keys(pkg.devDependencies ?? {})) expect(loaded.has(dev), `devDependency ${dev} loaded by ${loaded.get(dev)}`).toBe(false);
    expect(pkg.os).toBeUndefined();
  });

  it('installs as a dependency and loads with require() and with import', () => {
    const dir = plain();
    const cjs = spawnSync(process.execPath, ['-e', `const mk = require('mmapkit');${USE}`], { cwd: dir, encoding: 'utf8' });
    expect(cjs.stderr).toBe('');
    expect(cjs.stdout).toBe('847 function');
    const esm = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import * as mk from 'mmapkit'; import { mapFile } from 'mmapkit'; import { createRequire } from 'module'; const require = createRequire(import.meta.url); if (typeof mapFile !== 'function') throw new Error('no named export');${USE}`,
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(esm.stderr).toBe('');
    expect(esm.stdout).toBe('847 function');
    // mmapkit/sim from the installed package, both ways, the same objects as the root's.
    const sim = spawnSync(
      process.execPath,
      ['-e', `const s = require('mmapkit/sim'); process.stdout.write(String(s.SimVm === require('mmapkit').SimVm && Object.keys(s).length > 100))`],
      { cwd: dir, encoding: 'utf8' },
    );
    expect([sim.stderr, sim.stdout]).toEqual(['', 'true']);
    const simEsm = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `import { SimVm } from 'mmapkit/sim'; import * as root from 'mmapkit'; process.stdout.write(String(SimVm === root.SimVm))`],
      { cwd: dir, encoding: 'utf8' },
    );
    expect([simEsm.stderr, simEsm.stdout]).toEqual(['', 'true']);
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
    const r = spawnSync(
      process.execPath,
      ['-e', `try { require('./').mapAnonymous(1); } catch (e) { process.stdout.write(JSON.stringify({ code: e.code, message: e.message })); }`],
      { cwd: dir, encoding: 'utf8', env: { ...process.env, MMAPKIT_BINDING: path.join(dir, 'missing.node') } },
    );
    const out = JSON.parse(r.stdout);
    expect(out.code).toBe('ERR_MMAPKIT_BINDING');
    expect(out.message).toContain(path.join(dir, 'missing.node'));
    expect(out.message).toContain(path.join(dir, 'build', 'Release', 'mmapkit.node'));
    expect(out.message).toMatch(/npm rebuild mmapkit/);
  });
});

describe('the installed package', () => {
  it('runs every CLI command', () => {
    const dir = plain();
    const csv = path.join(dir, 'data.csv');
    fs.writeFileSync(csv, PROBE_CSV);
    const version = mmapkit(dir, ['--version']);
    expect(version.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);

    const sum = mmapkit(dir, ['csv-sum', csv]);
    expect(sum.stderr).toBe('');
    expect(sum.stdout).toBe(`${PROBE_CSV_SUM}\n`);
    const all = mmapkit(dir, ['csv-sum', '--all', '--json', csv]);
    expect(all.status).toBe(0);
    const methods = JSON.parse(all.stdout).results as { method: string; sum: string }[];
    expect(methods.map((r) => r.method)).toEqual(expect.arrayContaining(['bytewise', 'swar', 'js', 'js-bytewise']));
    expect(new Set(methods.map((r) => r.sum))).toEqual(new Set([PROBE_CSV_SUM]));

    const residency = mmapkit(dir, ['residency', '--touch', '--json', csv]);
    expect(residency.status).toBe(0);
    expect(residency.stdout).toMatch(/"pages":\s*1\b/);

    // devmem on a file standing in for a device: write a register, read it back.
    const regs = path.join(dir, 'regs.bin');
    fs.writeFileSync(regs, Buffer.alloc(64));
    expect(mmapkit(dir, ['devmem', '--device', regs, '0x10', '32', '0x12345678']).status).toBe(0);
    const read = mmapkit(dir, ['devmem', '--device', regs, '0x10', '32']);
    expect(read.stdout).toBe('0x12345678\n');
    expect(fs.readFileSync(regs).readUInt32LE(0x10)).toBe(0x12345678);

    const gpio = mmapkit(dir, ['gpio', 'get', '14', '--sim', 'pi4', '--json']);
    expect(gpio.status).toBe(0);
    expect(JSON.parse(gpio.stdout)).toMatchObject({ soc: 'BCM2711' });

    const sim = mmapkit(dir, ['sim', 'all']);
    expect(sim.status).toBe(0);
    expect(sim.stdout).toContain('transmitted:');
    const vm = mmapkit(dir, ['sim', 'vm', 'csv-sum', '--json']);
    expect(JSON.parse(vm.stdout)).toMatchObject({ values: { sum: 847 } });
  });

  it('runs the benchmark: bench --quick (every suite) and bench (timed, one small suite)', () => {
    const dir = plain();
    const quickOut = path.join(dir, 'bench-quick');
    const quick = mmapkit(dir, ['bench', '--quick', '--out', quickOut, '--cache', path.join(dir, 'bench-cache')], 300_000);
    expect(quick.stderr).not.toMatch(/Cannot find (module|package)/);
    expect(quick.status).toBe(0);
    const q = JSON.parse(fs.readFileSync(path.join(quickOut, 'report.json'), 'utf8')) as {
      ok: boolean;
      suites: { suite: string; error?: string; rows: unknown[] }[];
    };
    expect(q.ok).toBe(true);
    expect(q.suites.length).toBeGreaterThanOrEqual(9);
    for (const s of q.suites) expect(s.error, s.suite).toBeUndefined();
    expect(q.suites.find((s) => s.suite === 'simulator')!.rows.length).toBeGreaterThan(0);
    // Without --quick: tinybench times every task (warm-up and three iterations); one small suite.
    const timedOut = path.join(dir, 'bench-timed');
    const timed = mmapkit(
      dir,
      ['bench', '--suite', 'csv-sum', '--size', '64k', '--time', '1', '--out', timedOut, '--cache', path.join(dir, 'bench-cache')],
      300_000,
    );
    expect(timed.status).toBe(0);
    const t = JSON.parse(fs.readFileSync(path.join(timedOut, 'report.json'), 'utf8')) as {
      ok: boolean;
      options: { quick: boolean };
      suites: { rows: { nsPerOp?: number }[]; checks: unknown[] }[];
    };
    expect(t.ok).toBe(true);
    expect(t.options.quick).toBe(false);
    expect(t.suites[0].rows.length).toBeGreaterThan(0);
    expect(t.suites[0].rows.some((r) => (r.nsPerOp ?? 0) > 0)).toBe(true);
  }, 600_000);

  it('compiles strict TypeScript consumers: node16 CommonJS, node16 ESM, bundler', () => {
    const dir = plain();
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const compilerOptions = (o: Record<string, unknown>) => ({
      target: 'es2022',
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      skipLibCheck: false,
      types: ['node'],
      typeRoots: [path.join(ROOT, 'node_modules', '@types')],
      ...o,
    });
    const body = `
const m: Mapping = mapAnonymous(4096);
m.buffer.write('12,30\\n');
const method: CsvMethod = 'js';
const sum: bigint = csvSum(m.buffer, { method });
m.unmap();
const vm: SimVm = new SimVm({ frames: 16 });
let code: MmapkitErrorCode | undefined;
try { mapFile('/nonexistent/mmapkit'); } catch (e) { if (e instanceof MmapkitSystemError) code = e.code; }
`;
    const imports = 'mapAnonymous, mapFile, csvSum, SimVm, MmapkitSystemError, type Mapping, type CsvMethod, type MmapkitErrorCode';
    const consumers = {
      cjs: {
        pkg: { type: 'commonjs' },
        options: { module: 'node16', moduleResolution: 'node16', outDir: 'out' },
        src: `import { ${imports} } from 'mmapkit';\nimport mk = require('mmapkit');\n${body}console.log(String(sum), typeof vm.spawn, code, mk.csvSum === csvSum);\n`,
      },
      esm: {
        pkg: { type: 'module' },
        options: { module: 'node16', moduleResolution: 'node16', outDir: 'out' },
        src: `import mk, { ${imports} } from 'mmapkit';\nimport * as ns from 'mmapkit';\n${body}console.log(String(sum), typeof vm.spawn, code, mk.csvSum === csvSum && ns.csvSum === csvSum);\n`,
      },
      bundler: {
        pkg: { type: 'module' },
        options: { module: 'esnext', moduleResolution: 'bundler', noEmit: true },
        src: `import { ${imports} } from 'mmapkit';\n${body}console.log(String(sum), typeof vm.spawn, code);\n`,
      },
    };
    for (const [name, c] of Object.entries(consumers)) {
      const cdir = path.join(dir, `ts-${name}`);
      fs.mkdirSync(cdir);
      fs.symlinkSync(path.join(dir, 'node_modules'), path.join(cdir, 'node_modules'));
      fs.writeFileSync(path.join(cdir, 'package.json'), JSON.stringify({ name: `ts-${name}`, private: true, ...c.pkg }));
      fs.writeFileSync(path.join(cdir, 'tsconfig.json'), JSON.stringify({ compilerOptions: compilerOptions(c.options), files: ['index.ts'] }));
      fs.writeFileSync(path.join(cdir, 'index.ts'), c.src);
      const r = node(cdir, [tsc, '-p', 'tsconfig.json']);
      expect(`${r.stdout}${r.stderr}`, `tsc in ts-${name}`).toBe('');
      expect(r.status).toBe(0);
      if (name === 'bundler') continue;
      const run = node(cdir, [path.join('out', 'index.js')]);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe('42 function ENOENT true\n');
    }
  }, 300_000);
});

describe('without its native addon', () => {
  /** The plain project copied with the package's binaries (build/ and prebuilds/) deleted. */
  let bare = '';
  const bareCopy = (): string => {
    if (bare) return bare;
    bare = path.join(work, 'no-binaries');
    fs.cpSync(plain(), bare, { recursive: true, verbatimSymlinks: true });
    for (const d of ['build', 'prebuilds']) fs.rmSync(path.join(bare, 'node_modules', 'mmapkit', d), { recursive: true, force: true });
    fs.writeFileSync(path.join(bare, 'data.csv'), PROBE_CSV);
    return bare;
  };

  it('a copy with its binaries deleted runs the simulator and the JS CSV methods; native calls say what is missing', () => {
    const dir = bareCopy();
    expect(fs.existsSync(path.join(dir, 'node_modules', 'mmapkit', 'prebuilds'))).toBe(false);
    const r = node(dir, ['-e', `const mk = require('mmapkit'); const csvFile = ${JSON.stringify(path.join(dir, 'data.csv'))};\n${NO_ADDON_PROBE}`]);
    expect(r.stderr).toBe('');
    assertNoAddonProbe(r.stdout, /\(no prebuilt binary and the source build failed or was skipped\)/);
    expect(JSON.parse(r.stdout).errors.mapFile.message).toContain("'npm rebuild mmapkit'");
  });

  it('its CLI runs sim, gpio --sim, csv-sum --method js and the simulator benchmark', () => {
    const dir = bareCopy();
    const sim = mmapkit(dir, ['sim', 'all']);
    expect(sim.status).toBe(0);
    const vm = mmapkit(dir, ['sim', 'vm', 'private-shared', '--json']);
    expect(JSON.parse(vm.stdout)).toMatchObject({ values: { cowCopies: 1 } });
    const gpio = mmapkit(dir, ['gpio', 'set', '17', 'op', 'dh', '--sim', 'pi3']);
    expect(gpio.stderr).toBe('');
    expect(gpio.status).toBe(0);
    const csv = mmapkit(dir, ['csv-sum', '--method', 'js', 'data.csv']);
    expect(csv.status).toBe(0);
    expect(csv.stdout).toBe(`${PROBE_CSV_SUM}\n`);
    const out = path.join(dir, 'bench-sim');
    const bench = mmapkit(dir, ['bench', '--quick', '--suite', 'simulator,csv-sum', '--out', out, '--cache', path.join(dir, 'bench-cache')], 300_000);
    expect(bench.status).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as {
      suites: { suite: string; skipped?: string; error?: string; rows: unknown[] }[];
    };
    expect(report.suites.map((s) => [s.suite, s.error, s.skipped === undefined, s.rows.length > 0])).toEqual([
      ['csv-sum', undefined, false, false],
      ['simulator', undefined, true, true],
    ]);
    const native = mmapkit(dir, ['csv-sum', '--method', 'swar', 'data.csv']);
    expect(native.status).toBe(1);
    expect(native.stderr).toMatch(
      /native addon is not available on .* \(no prebuilt binary and the source build failed or was skipped\): csvSumFile(Details)? needs it/,
    );
    expect(native.stderr).not.toMatch(/\n\s+at /);
  }, 300_000);

  it('installs where there is no prebuilt binary and no working compiler, and says so', () => {
    // The package as it would reach a platform it has no binary for: packed without prebuilds/;
    // the compiler is 'false', so the source build fails as it does where there is none.
    const src = path.join(work, 'repack');
    fs.cpSync(path.join(bareCopy(), 'node_modules', 'mmapkit'), src, { recursive: true });
    const dest = path.join(work, 'repacked');
    fs.mkdirSync(dest);
    const out = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dest], src);
    const repacked = path.join(dest, JSON.parse(out.slice(out.indexOf('[')))[0].filename);
    expect(execFileSync('tar', ['-tzf', repacked], { encoding: 'utf8' })).not.toContain('prebuilds/');
    const dir = path.join(work, 'no-compiler');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer-no-compiler', version: '1.0.0', private: true }));
    const r = spawnSync('npm', ['install', '--foreground-scripts', repacked], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 300_000,
      env: npmEnv({ CC: 'false', CXX: 'false', npm_config_loglevel: 'warn' }),
    });
    expect(r.status).toBe(0);
    const said = `${r.stdout}${r.stderr}`;
    expect(said).toContain(`mmapkit: the native addon for ${process.platform}-${process.arch} could not be built from source`);
    expect(said).toContain("then run 'npm rebuild mmapkit'");
    expect(fs.existsSync(path.join(dir, 'node_modules', 'mmapkit', 'build', 'Release', 'mmapkit.node'))).toBe(false);
    const use = node(dir, [
      '-e',
      `const mk = require('mmapkit'); let code; try { mk.mapAnonymous(4096); } catch (e) { code = e.code; }
      process.stdout.write(JSON.stringify({ code, edu: mk.simEduScenario().ok, sum: String(mk.csvSum(Buffer.from('4,5\\n'), { method: 'js' })) }));`,
    ]);
    expect(use.stderr).toBe('');
    expect(JSON.parse(use.stdout)).toEqual({ code: 'ERR_MMAPKIT_UNSUPPORTED', edu: true, sum: '9' });
  }, 600_000);
});
