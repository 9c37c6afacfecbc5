import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisterIO } from '../lib/interfaces';
import {
  clearBits,
  openRegisterWindow,
  pollUntil,
  pollUntilAsync,
  readField,
  readRegister,
  readRegisters,
  setBits,
  writeField,
  writeRegister,
} from '../lib/regs';

let dir: string;
let file: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmapkit-helpers-'));
  file = path.join(dir, 'regs.bin');
  fs.writeFileSync(file, Buffer.alloc(4096));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * A register block in plain memory that counts accesses and sets STATUS bit 0 after `readyAfter`
 * reads of STATUS, each read advancing a simulated clock by 1 ms: the shape of a device whose
 * status changes while a driver polls it.
 */
class CountingDevice implements RegisterIO {
  readonly size = 64;
  readonly writable = true;
  readonly view = new DataView(new ArrayBuffer(64));
  statusReads = 0;
  clock = 0;
  constructor(readonly readyAfter: number) {}
  read8(o: number): number {
    return this.view.getUint8(o);
  }
  read16(o: number): number {
    return this.view.getUint16(o, true);
  }
  read32(o: number): number {
    if (o === 0x20) {
      this.statusReads++;
      this.clock += 1;
      if (this.statusReads >= this.readyAfter) this.view.setUint32(0x20, this.view.getUint32(0x20, true) | 1, true);
    }
    return this.view.getUint32(o, true);
  }
  read64(o: number): bigint {
    return this.view.getBigUint64(o, true);
  }
  write8(o: number, v: number): void {
    this.view.setUint8(o, v);
  }
  write16(o: number, v: number): void {
    this.view.setUint16(o, v, true);
  }
  write32(o: number, v: number): void {
    this.view.setUint32(o, v >>> 0, true);
  }
  write64(o: number, v: bigint): void {
    this.view.setBigUint64(o, v, true);
  }
}

describe('read-modify-write helpers on a native window', () => {
  it('setBits / clearBits change only the given bits, one read and one write each', () => {
    using w = openRegisterWindow({ path: file, offset: 0, length: 64, writable: true });
    w.write32(0, 0xf0f0f0f0);
    expect(setBits(w, 0, 0x0000000f)).toBe(0xf0f0f0ff);
    expect(clearBits(w, 0, 0xf0000000)).toBe(0x00f0f0ff);
    expect(w.read32(0)).toBe(0x00f0f0ff);
    expect(setBits(w, 8, 1n << 63n, 64)).toBe(1n << 63n);
    expect(w.read64(8)).toBe(1n << 63n);
    w.write8(16, 0x81);
    expect(clearBits(w, 16, 0x80, 8)).toBe(0x01);
  });

  it('writeField replaces a field and keeps the rest (a GPIO function select, say)', () => {
    using w = openRegisterWindow({ path: file, offset: 64, length: 16, writable: true });
    w.write32(0, 0xffffffff);
    // GPIO 4 → output: FSEL bits 14..12 = 0b001
    expect(writeField(w, 0, 12, 3, 0b001)).toBe(0xffff9fff);
    expect(readField(w, 0, 12, 3)).toBe(1);
    expect(readField(w, 0, 15, 17)).toBe(0x1ffff);
    expect(() => writeField(w, 0, 30, 3, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => writeField(w, 0, 0, 3, 8)).toThrow(
      expect.objectContaining({
        code: 'ERR_OUT_OF_RANGE',
        message: 'The value of "value" is out of range. It must be from 0 to 7 for a 3-bit field. Received 8',
      }),
    );
  });

  it('refuses read-modify-write on a read-only window before writing', () => {
    using w = openRegisterWindow({ path: file, offset: 0, length: 16 });
    expect(() => setBits(w, 0, 1)).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_READ_ONLY' }));
  });
});

describe('pollUntil', () => {
  it('returns the value, the reads and the elapsed time on a device with a simulated clock', () => {
    const dev = new CountingDevice(5);
    const r = pollUntil(dev, 0x20, 0x1, 0x1, { timeoutMs: 100, now: () => dev.clock });
    expect(r).toEqual({ value: 1, reads: 5, elapsedMs: 5 });
  });

  it('times out with ERR_MMAPKIT_TIMEOUT carrying reads and elapsed time', () => {
    const dev = new CountingDevice(1000);
    let err: { code?: string; message?: string; reads?: number; elapsedMs?: number; lastValue?: number } = {};
    try {
      pollUntil(dev, 0x20, 0x1, 0x1, { timeoutMs: 10, now: () => dev.clock });
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.code).toBe('ERR_MMAPKIT_TIMEOUT');
    expect(err.reads).toBe(10);
    expect(err.elapsedMs).toBe(10);
    expect(err.lastValue).toBe(0);
    expect(err.message).toBe('Register 0x20 did not reach (value & 0x1) === 0x1: last value 0x0 after 10 reads in 10.000 ms (timeout 10 ms)');
  });

  it('stops after maxReads when the clock does not move', () => {
    const dev = new CountingDevice(1000);
    expect(() => pollUntil(dev, 0x20, 1, 1, { now: () => 0, maxReads: 3 })).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_TIMEOUT', reads: 3 }));
  });

  it('waits for another process to change a shared file register', async () => {
    using w = openRegisterWindow({ path: file, offset: 128, length: 8, writable: true });
    w.write32(0, 0);
    const child = spawn(process.execPath, [
      '-e',
      `
      const fs = require('fs');
      setTimeout(() => { const fd = fs.openSync(${JSON.stringify(file)}, 'r+'); fs.writeSync(fd, Buffer.from([0x80, 0, 0, 0]), 0, 4, 128); fs.closeSync(fd); }, 200);
    `,
    ]);
    const r = await pollUntilAsync(w, 0, 0x80, 0x80, { timeoutMs: 20_000, intervalMs: 5 });
    expect(r.value).toBe(0x80);
    expect(r.reads).toBeGreaterThan(1);
    await new Promise((resolve) => child.on('exit', resolve));
  });

  it('polls 64-bit registers with bigint masks', () => {
    using w = openRegisterWindow({ path: file, offset: 256, length: 8, writable: true });
    w.write64(0, 0x8000000000000001n);
    expect(pollUntil(w, 0, 1n << 63n, 1n << 63n, { width: 64 })).toMatchObject({ value: 0x8000000000000001n, reads: 1 });
  });
});

describe('readRegisters', () => {
  it('reads N consecutive registers from any RegisterIO', () => {
    const dev = new CountingDevice(0);
    for (let i = 0; i < 4; i++) dev.write32(i * 4, 0x11111111 * (i + 1));
    expect(Array.from(readRegisters(dev, 0, 4))).toEqual([0x11111111, 0x22222222, 0x33333333, 0x44444444]);
    expect(Array.from(readRegisters(dev, 0, 4, 16))).toEqual([0x1111, 0x1111, 0x2222, 0x2222]);
    expect(readRegisters(dev, 0, 2, 64)).toEqual(new BigUint64Array([0x2222222211111111n, 0x4444444433333333n]));
    expect(() => readRegisters(dev, 60, 2)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('gives the same values through the native fast path', () => {
    using w = openRegisterWindow({ path: file, offset: 512, length: 32, writable: true });
    for (let i = 0; i < 8; i++) w.write32(i * 4, i + 1);
    expect(Array.from(readRegisters(w, 4, 3))).toEqual([2, 3, 4]);
  });
});

describe('argument checks of the helpers (before any register access)', () => {
  function codeOf(fn: () => unknown): string | undefined {
    try {
      fn();
    } catch (err) {
      return (err as { code?: string }).code;
    }
    return undefined;
  }

  it('an io without the RegisterIO methods is ERR_INVALID_ARG_TYPE naming "io", not "io.readN is not a function"', () => {
    for (const bad of [null, undefined, 5, 'window', {}, { read32: () => 0 }, Buffer.alloc(8)]) {
      let err: (Error & { code?: string }) | undefined;
      try {
        readRegister(bad as unknown as RegisterIO, 0);
      } catch (e) {
        err = e as Error & { code?: string };
      }
      expect(err).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' });
      expect(err!.message).toMatch(/^The "io" argument must be a RegisterIO/);
    }
    const dev = new CountingDevice(1);
    expect(codeOf(() => setBits({} as RegisterIO, 0, 1))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => writeRegister(null as unknown as RegisterIO, 0, 1))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => pollUntil([] as unknown as RegisterIO, 0x20, 1, 1))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => readRegister(dev, '0' as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => readRegister(dev, 0, 33 as 32))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => readRegister(dev, 0, Buffer.alloc(4) as unknown as 32))).toBe('ERR_INVALID_ARG_TYPE');
    expect(dev.statusReads).toBe(0);
  });

  it('pollUntilAsync rejects a non-RegisterIO with ERR_INVALID_ARG_TYPE', async () => {
    await expect(pollUntilAsync(new Uint8Array(4) as unknown as RegisterIO, 0, 1, 1)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('setBits / clearBits: an unsafe integer is ERR_OUT_OF_RANGE, a BigInt is taken exactly, other types ERR_INVALID_ARG_TYPE', () => {
    const dev = new CountingDevice(1);
    expect(codeOf(() => setBits(dev, 0, 2 ** 60))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => clearBits(dev, 0, -1.5e273))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => setBits(dev, 0, 1.5))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => setBits(dev, 0, '1' as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => setBits(dev, 0, 1, 15984700781007712955n as unknown as 32))).toBe('ERR_INVALID_ARG_TYPE');
    expect(setBits(dev, 0, (1n << 70n) | 0x5n)).toBe(5); // masked to the 32-bit register
    expect(clearBits(dev, 0, 1n)).toBe(4);
  });

  it('readRegisters refuses an io whose size is not a number', () => {
    const dev = new CountingDevice(1);
    const odd = Object.assign(Object.create(dev) as CountingDevice, { size: Infinity });
    expect(codeOf(() => readRegisters(odd, 0, 4))).toBe('ERR_INVALID_ARG_TYPE');
  });
});
