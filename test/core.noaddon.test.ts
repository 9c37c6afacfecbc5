// mmapkit without its native addon, as on macOS, Windows or a Linux where the install step could
// not build it, made here with MMAPKIT_NO_ADDON=1: importing the package loads no addon, the
// simulator, the JavaScript CSV methods, the CLI's sim / gpio --sim / csv-sum and the benchmark's
// simulator suite work, and every native call throws ERR_MMAPKIT_UNSUPPORTED naming the platform
// and the call. (test/core.package.test.ts does the same with the binaries deleted from an
// installed copy.)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runNode, tempDir } from './support/helpers';
import { NO_ADDON_PROBE, PROBE_CSV, PROBE_CSV_SUM, assertNoAddonProbe } from './support/no-addon';

const work = tempDir('mmapkit-noaddon-');
const csvFile = path.join(work, 'data.csv');
fs.writeFileSync(csvFile, PROBE_CSV);
const NO_ADDON = { MMAPKIT_NO_ADDON: '1' };
const cli = (args: string[], env: NodeJS.ProcessEnv = NO_ADDON) =>
  spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli', 'main.js'), ...args], {
    cwd: work,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
  });

// Counts the native modules Node loads (process.dlopen) from here on.
const COUNT_DLOPEN = `const dl = process.dlopen; let loaded = 0; process.dlopen = function (...a) { loaded++; return dl.apply(this, a); };`;

describe('importing mmapkit', () => {
  it('loads no addon (require and import); the first native call loads it', () => {
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `${COUNT_DLOPEN}
      const mk = require(${JSON.stringify(ROOT)});
      import(${JSON.stringify(path.join(ROOT, 'dist', 'index.mjs'))}).then((esm) => {
        const sim = mk.simUartScenario({ text: 'ok' }).ok && esm.runSimVmScenario('csv-sum', { trace: 0 }).values.sum;
        const before = loaded;
        const page = esm.pageSize();
        process.stdout.write(JSON.stringify({ before, sim, page: page > 0, after: loaded, available: mk.addonAvailable() }));
      });`,
      ],
      { encoding: 'utf8', env: { ...process.env, MMAPKIT_NO_ADDON: '' } },
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ before: 0, sim: 847, page: true, after: 1, available: true });
  });

  it('MMAPKIT_NO_ADDON=0 (or empty) leaves the addon on', () => {
    for (const value of ['0', '', 'false']) {
      const r = runNode(`process.stdout.write(String(mk.addonAvailable() && mk.pageSize() > 0));`, { env: { MMAPKIT_NO_ADDON: value } });
      expect(r.stdout, `MMAPKIT_NO_ADDON=${value}`).toBe('true');
    }
  });
});

describe('with MMAPKIT_NO_ADDON=1', () => {
  it('the simulator and the JS CSV methods work, every native call throws ERR_MMAPKIT_UNSUPPORTED', () => {
    const r = runNode(
      `${COUNT_DLOPEN} const csvFile = ${JSON.stringify(csvFile)};\n${NO_ADDON_PROBE}\nif (loaded !== 0) throw new Error('an addon was loaded');`,
      { env: NO_ADDON },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    assertNoAddonProbe(r.stdout, /\(MMAPKIT_NO_ADDON=1 is set\)/);
    expect(JSON.parse(r.stdout).errors.mapFile.message).toContain('Unset MMAPKIT_NO_ADDON to use the addon.');
  });

  it('an ES module import works the same', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `
      import { mapFile, simEduScenario, csvSum } from ${JSON.stringify(path.join(ROOT, 'dist', 'index.mjs'))};
      let code; try { mapFile(${JSON.stringify(csvFile)}); } catch (e) { code = e.code + ' ' + e.message.split('\\n')[0]; }
      process.stdout.write(JSON.stringify({ edu: simEduScenario().ok, sum: String(csvSum(Buffer.from('1,2\\n'), { method: 'js-bytewise' })), code }));`,
      ],
      { encoding: 'utf8', env: { ...process.env, ...NO_ADDON } },
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      edu: true,
      sum: '3',
      code: `ERR_MMAPKIT_UNSUPPORTED mmapkit's native addon is not available on ${process.platform}-${process.arch} (MMAPKIT_NO_ADDON=1 is set): mapFile needs it; the simulator and the JS CSV methods work without it.`,
    });
  });

  it('names the public method a native call came through', () => {
    // The message names what the user called: a static method, a constructor, a function that
    // validates its options before it needs the addon.
    const r = runNode(
      `
      const names = [];
      for (const fn of [() => mk.SharedMemory.open('/mmapkit-x'), () => new mk.CsvSummer({ method: 'seed' }), () => mk.openPorts()]) {
        try { fn(); names.push('returned'); } catch (e) { names.push(e.code + ': ' + /: (.*) needs it;/.exec(e.message)?.[1]); }
      }
      process.stdout.write(JSON.stringify(names));`,
      { env: NO_ADDON },
    );
    expect(JSON.parse(r.stdout)).toEqual([
      'ERR_MMAPKIT_UNSUPPORTED: SharedMemory.open',
      'ERR_MMAPKIT_UNSUPPORTED: new CsvSummer()',
      'ERR_MMAPKIT_UNSUPPORTED: openPorts',
    ]);
  });
});

describe('the CLI with MMAPKIT_NO_ADDON=1', () => {
  it('sim and sim vm run', () => {
    const uart = cli(['sim', 'uart', '--text', 'hi']);
    expect(uart.status).toBe(0);
    expect(uart.stdout).toContain('transmitted: "hi"');
    const vm = cli(['sim', 'vm', 'csv-sum', '--json']);
    expect(vm.status).toBe(0);
    expect(JSON.parse(vm.stdout)).toMatchObject({ values: { sum: 847 } });
  });

  it('gpio --sim drives and reads a simulated board', () => {
    const set = cli(['gpio', 'set', '17', 'op', 'dh', '--sim', 'pi4']);
    expect(set.stderr).toBe('');
    expect(set.status).toBe(0);
    const get = cli(['gpio', 'get', '14', '--sim', 'pi4', '--json']);
    expect(get.status).toBe(0);
    expect(JSON.parse(get.stdout)).toMatchObject({ soc: 'BCM2711' });
  });

  it('csv-sum --method js sums the file; without options it defaults to wasm over read()', () => {
    const js = cli(['csv-sum', '--method', 'js', csvFile]);
    expect(js.status).toBe(0);
    expect(js.stdout).toBe(`${PROBE_CSV_SUM}\n`);
    const plain = cli(['csv-sum', '--json', csvFile]);
    expect(plain.status).toBe(0);
    expect(JSON.parse(plain.stdout)).toMatchObject({ method: 'wasm', via: 'read', sum: PROBE_CSV_SUM });
    expect(plain.stderr).toContain('the native addon is not available here, so the defaults are --method wasm --via read');
    const all = cli(['csv-sum', '--all', '--via', 'read', csvFile]);
    expect(all.status).toBe(0);
    expect(
      all.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(/\s+/).slice(0, 2)),
    ).toEqual([
      ['wasm', PROBE_CSV_SUM],
      ['js', PROBE_CSV_SUM],
      ['js-bytewise', PROBE_CSV_SUM],
    ]);
    // Asking for the mapping or a native method is refused, with the reason.
    const mmap = cli(['csv-sum', '--method', 'js', '--via', 'mmap', csvFile]);
    expect(mmap.status).toBe(1);
    expect(mmap.stderr).toMatch(
      /^mmapkit csv-sum: mmapkit's native addon is not available on .*csvSumFile(?:Details)? needs it.*\[ERR_MMAPKIT_UNSUPPORTED\]\n$/s,
    );
  });

  it('a native command says what is missing, with no stack', () => {
    const r = cli(['residency', csvFile]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `mmapkit's native addon is not available on ${process.platform}-${process.arch} (MMAPKIT_NO_ADDON=1 is set): fileResidency needs it`,
    );
    expect(r.stderr).toContain('[ERR_MMAPKIT_UNSUPPORTED]');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('bench --quick runs the simulator suite and skips the native ones, saying why', () => {
    const out = path.join(work, 'bench');
    const r = cli(['bench', '--quick', '--out', out, '--cache', path.join(work, 'cache')]);
    expect(r.status).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as {
      ok: boolean;
      suites: { suite: string; skipped?: string; error?: string; rows: unknown[]; checks: { ok: boolean }[] }[];
    };
    expect(report.ok).toBe(true);
    // The suites that need no addon: the simulator's and the simulated GPIO chip's edge events.
    const simulated = ['simulator', 'gpio-events'];
    for (const name of simulated) {
      const sim = report.suites.find((s) => s.suite === name)!;
      expect(sim, name).toBeDefined();
      expect(sim.error).toBeUndefined();
      expect(sim.skipped).toBeUndefined();
      expect(sim.rows.length).toBeGreaterThan(0);
      expect(sim.checks.length).toBeGreaterThan(0);
      expect(sim.checks.every((c) => c.ok)).toBe(true);
    }
    const others = report.suites.filter((s) => !simulated.includes(s.suite));
    expect(others.length).toBeGreaterThanOrEqual(8);
    for (const s of others) expect(s.skipped, s.suite).toBe(`needs mmapkit's native addon, which is not available on ${process.platform}-${process.arch}`);
  }, 180_000);
});

describe('on a platform the addon is not built for', () => {
  // A copy of the package with no build/ and no prebuilds/, run with process.platform and
  // process.arch reporting darwin-arm64 and win32-x64 (what the loader and the install step see
  // on those machines).
  const copy = path.join(work, 'copy');
  fs.mkdirSync(copy);
  fs.cpSync(path.join(ROOT, 'dist'), path.join(copy, 'dist'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'scripts'), path.join(copy, 'scripts'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'wasm'), path.join(copy, 'wasm'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(copy, 'package.json'));
  const as = (platform: string, arch: string) =>
    `Object.defineProperty(process, 'platform', { value: '${platform}' }); Object.defineProperty(process, 'arch', { value: '${arch}' });`;

  it('native calls name the platform and say the addon is Linux-only; the simulator runs', () => {
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `${as('darwin', 'arm64')}
      const mk = require('./');
      let e; try { mk.mapFile(${JSON.stringify(csvFile)}); } catch (err) { e = err; }
      process.stdout.write(JSON.stringify({ code: e.code, message: e.message, sim: mk.simByteLanesScenario().ok, methods: mk.csvMethods() }));`,
      ],
      { cwd: copy, encoding: 'utf8', env: { ...process.env, MMAPKIT_NO_ADDON: '', MMAPKIT_BINDING: '' } },
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      code: 'ERR_MMAPKIT_UNSUPPORTED',
      message:
        "mmapkit's native addon is not available on darwin-arm64 (no prebuilt binary and the source build failed or was skipped): " +
        'mapFile needs it; the simulator and the JS CSV methods work without it.\nThe addon is built for Linux only (it maps memory with Linux system calls).',
      sim: true,
      methods: ['wasm', 'js', 'js-bytewise'],
    });
  });

  it('the install step builds nothing, says why, and exits 0', () => {
    for (const [platform, arch] of [
      ['darwin', 'arm64'],
      ['win32', 'x64'],
    ]) {
      const r = spawnSync(process.execPath, ['-e', `${as(platform, arch)} require('./scripts/install.js');`], { cwd: copy, encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stderr).toContain(`mmapkit: no native addon for ${platform}-${arch}: it is built for Linux only`);
      expect(r.stderr).toContain('ERR_MMAPKIT_UNSUPPORTED');
      expect(fs.existsSync(path.join(copy, 'build'))).toBe(false);
    }
  });
});
