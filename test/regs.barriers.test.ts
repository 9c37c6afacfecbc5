import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { barriers, compilerBarrier, dsbSt, dsbSy, fullBarrier, loadBarrier, openRegisterWindow, storeBarrier } from '../lib/regs';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmapkit-barriers-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('barriers', () => {
  it('are callable native functions and a Barriers object', () => {
    for (const f of [compilerBarrier, fullBarrier, storeBarrier, loadBarrier, dsbSy, dsbSt]) expect(f()).toBeUndefined();
    for (const f of [barriers.compiler, barriers.full, barriers.store, barriers.load, barriers.dsbSy, barriers.dsbSt]) expect(f()).toBeUndefined();
    expect(barriers.arch).toBe(process.arch === 'x64' ? 'x86-64' : process.arch === 'arm64' ? 'aarch64' : process.arch === 'arm' ? 'armv7' : 'generic');
  });

  it("order the seed's descriptor-then-doorbell sequence, seen by another process", async () => {
    // Descriptor ring and doorbell register in a shared file; a second process plays the device:
    // it waits for the doorbell, then fetches the descriptor.
    const ring = path.join(dir, 'ring.bin');
    const bell = path.join(dir, 'doorbell.bin');
    fs.writeFileSync(ring, Buffer.alloc(4096));
    fs.writeFileSync(bell, Buffer.alloc(4096));
    const device = spawn(
      process.execPath,
      [
        '-e',
        `
      const fs = require('fs');
      const bell = fs.openSync(${JSON.stringify(bell)}, 'r'), ring = fs.openSync(${JSON.stringify(ring)}, 'r');
      const b = Buffer.alloc(4), d = Buffer.alloc(16);
      process.stdout.write('ready\\n');
      const until = Date.now() + 20000;
      for (;;) { fs.readSync(bell, b, 0, 4, 0); if (b.readUInt32LE(0) === 1 || Date.now() > until) break; }
      fs.readSync(ring, d, 0, 16, 0);
      process.stdout.write(JSON.stringify({ addr: d.readBigUInt64LE(0).toString(16), len: d.readUInt32LE(8), flags: d.readUInt32LE(12) }) + '\\n');
    `,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    device.stdout.on('data', (c) => {
      out += String(c);
    });
    await new Promise<void>((resolve) => device.stdout.once('data', () => resolve()));

    using desc = openRegisterWindow({ path: ring, offset: 0, length: 16, writable: true });
    using doorbell = openRegisterWindow({ path: bell, offset: 0, length: 4, writable: true });
    // struct desc { uint64_t addr; uint32_t len; uint32_t flags; }
    desc.write64(0, 0x12345000n);
    desc.write32(8, 1500);
    desc.write32(12, 1);
    compilerBarrier();
    dsbSt(); // store barrier: descriptor stores visible before the doorbell store
    doorbell.write32(0, 1);

    await new Promise((resolve) => device.on('exit', resolve));
    expect(JSON.parse(out.split('\n')[1])).toEqual({ addr: '12345000', len: 1500, flags: 1 });
  });

  it('work with a descriptor in a plain Buffer', () => {
    const d = Buffer.alloc(16);
    d.writeBigUInt64LE(0xabc000n, 0);
    d.writeUInt32LE(64, 8);
    d.writeUInt32LE(1, 12);
    storeBarrier();
    using doorbell = openRegisterWindow({ path: path.join(dir, 'doorbell.bin'), offset: 0, length: 4, writable: true });
    doorbell.write32(0, 2);
    fullBarrier();
    expect(doorbell.read32(0)).toBe(2);
  });
});
