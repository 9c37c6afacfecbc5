import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegisterWindow, RegisterWindow, readRegisters } from '../lib/regs';
import { createMemfd } from '../lib/shm';
import { MmapkitError } from '../lib/errors';
import { expectCode } from './support/helpers';

let dir: string;
let file: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmapkit-regs-'));
  file = path.join(dir, 'regs.bin');
  fs.writeFileSync(file, Buffer.alloc(3 * 4096));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('openRegisterWindow over a regular file', () => {
  it('exposes exactly the requested unaligned range, for every width, little-endian', () => {
    using w = openRegisterWindow({ path: file, offset: 4096 + 16, length: 64, writable: true });
    expect(w).toBeInstanceOf(RegisterWindow);
    expect(w.size).toBe(64);
    expect(w.offset).toBe(4112n);
    expect(w.path).toBe(file);
    w.write8(0, 0x12);
    w.write16(2, 0xbeef);
    w.write32(4, 0xdeadbeef);
    w.write64(8, 0x0123456789abcdefn);
    expect(w.read8(0)).toBe(0x12);
    expect(w.read16(2)).toBe(0xbeef);
    expect(w.read32(4)).toBe(0xdeadbeef);
    expect(w.read64(8)).toBe(0x0123456789abcdefn);
    const bytes = fs.readFileSync(file).subarray(4112, 4128);
    expect(bytes.toString('hex')).toBe('1200efbeefbeaddeefcdab8967452301');
  });

  it("accepts negative values as two's complement and reads unsigned", () => {
    using w = openRegisterWindow({ path: file, offset: 0, length: 16, writable: true });
    w.write8(0, -1);
    w.write16(2, -2);
    w.write32(4, ~0x1234);
    w.write64(8, -1n);
    expect(w.read8(0)).toBe(0xff);
    expect(w.read16(2)).toBe(0xfffe);
    expect(w.read32(4)).toBe(~0x1234 >>> 0);
    expect(w.read64(8)).toBe(0xffffffffffffffffn);
  });

  it('sees writes made through the file and other windows (shared mapping)', () => {
    using a = openRegisterWindow({ path: file, offset: 8192, length: 8, writable: true });
    using b = openRegisterWindow({ path: file, offset: 8192, length: 8 });
    a.write32(0, 0xcafef00d);
    expect(b.read32(0)).toBe(0xcafef00d);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from([1, 2, 3, 4]), 0, 4, 8196);
    fs.closeSync(fd);
    expect(b.read32(4)).toBe(0x04030201);
  });

  it('checks bounds before any access', () => {
    using w = openRegisterWindow({ path: file, offset: 100, length: 12, writable: true });
    expectCode(
      () => w.read32(12),
      RangeError,
      'ERR_OUT_OF_RANGE',
      'The value of "offset" is out of range. It must be an integer from 0 to 8 for a 32-bit access to this 12-byte window. Received 12',
    );
    expectCode(() => w.read64(8), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => w.read8(-1), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => w.read8(1.5), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => w.read8(NaN), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => w.write8(12, 0), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => w.read8('1' as unknown as number), TypeError, 'ERR_INVALID_ARG_TYPE', 'The "offset" argument must be of type number');
    const before = fs.readFileSync(file).subarray(100, 120).toString('hex');
    expectCode(() => w.write32(12, 0xffffffff), RangeError, 'ERR_OUT_OF_RANGE');
    expect(fs.readFileSync(file).subarray(100, 120).toString('hex')).toBe(before);
  });

  it('checks alignment of the address before any access', () => {
    using w = openRegisterWindow({ path: file, offset: 200, length: 32, writable: true });
    expectCode(() => w.read16(1), MmapkitError, 'ERR_MMAPKIT_UNALIGNED', '16-bit access at offset 0x1 is unaligned: the address must be a multiple of 2');
    expectCode(() => w.read32(2), MmapkitError, 'ERR_MMAPKIT_UNALIGNED');
    expectCode(() => w.read64(4), MmapkitError, 'ERR_MMAPKIT_UNALIGNED');
    expectCode(() => w.write64(4, 1n), MmapkitError, 'ERR_MMAPKIT_UNALIGNED');
    // The window starts at 200 = 8 × 25: offset 0 is aligned for 64 bits.
    expect(() => w.read64(0)).not.toThrow();
    // A window starting at an odd address: alignment is of the address, not of the offset.
    using odd = openRegisterWindow({ path: file, offset: 301, length: 16 });
    expectCode(() => odd.read16(0), MmapkitError, 'ERR_MMAPKIT_UNALIGNED');
    expect(() => odd.read16(1)).not.toThrow();
  });

  it('checks values', () => {
    using w = openRegisterWindow({ path: file, offset: 0, length: 16, writable: true });
    expectCode(
      () => w.write8(0, 256),
      RangeError,
      'ERR_OUT_OF_RANGE',
      'The value of "value" is out of range. It must be an integer from -128 to 255. Received 256',
    );
    expectCode(() => w.write16(0, -32769), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => w.write32(0, 2 ** 32), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => w.write32(0, 0.5), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => w.write32(0, '1' as unknown as number), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => w.write64(0, 1 as unknown as bigint), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => w.write64(0, 1n << 64n), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => w.write64(0, -(1n << 63n) - 1n), RangeError, 'ERR_OUT_OF_RANGE');
  });

  it('refuses writes to a read-only window without touching the file', () => {
    fs.writeFileSync(file, Buffer.alloc(3 * 4096));
    using w = openRegisterWindow({ path: file, offset: 0, length: 16 });
    expect(w.writable).toBe(false);
    for (const f of [() => w.write8(0, 1), () => w.write16(0, 1), () => w.write32(0, 1), () => w.write64(0, 1n)]) {
      expectCode(f, Error, 'ERR_MMAPKIT_READ_ONLY', 'The register window is read-only; open it with { writable: true } to write');
    }
    expect(w.read64(0)).toBe(0n);
  });

  it('refuses widths the device does not take', () => {
    using w = openRegisterWindow({ path: file, offset: 0, length: 16, writable: true, widths: [32] });
    expect(w.widths).toEqual([32]);
    expect(w.read32(4)).toBe(0);
    expectCode(() => w.read8(0), MmapkitError, 'ERR_MMAPKIT_WIDTH', 'The device behind this window does not take 8-bit accesses (allowed: 32-bit)');
    expectCode(() => w.write64(0, 0n), MmapkitError, 'ERR_MMAPKIT_WIDTH');
  });

  it('throws ERR_MMAPKIT_CLOSED after close, for every call', () => {
    const w = openRegisterWindow({ path: file, offset: 0, length: 16, writable: true });
    expect(w.closed).toBe(false);
    w.close();
    expect(w.closed).toBe(true);
    w.close(); // idempotent
    const calls = [
      () => w.read8(0),
      () => w.read16(0),
      () => w.read32(0),
      () => w.read64(0),
      () => w.write8(0, 0),
      () => w.write16(0, 0),
      () => w.write32(0, 0),
      () => w.write64(0, 0n),
      () => w.readBlock(0, 2),
    ];
    for (const f of calls) expectCode(f, Error, 'ERR_MMAPKIT_CLOSED', 'The register window is closed');
  });

  it('reads blocks of registers natively', () => {
    using w = openRegisterWindow({ path: file, offset: 0, length: 64, writable: true });
    for (let i = 0; i < 16; i++) w.write32(i * 4, i * 0x01010101);
    const words = readRegisters(w, 8, 4);
    expect(words).toBeInstanceOf(Uint32Array);
    expect(Array.from(words)).toEqual([0x02020202, 0x03030303, 0x04040404, 0x05050505]);
    expect(Array.from(w.readBlock(4, 4, 8))).toEqual([1, 1, 1, 1]);
    expect(w.readBlock(0, 2, 64)).toEqual(new BigUint64Array([0x0101010100000000n, 0x0303030302020202n]));
    expect(w.readBlock(0, 0).length).toBe(0);
    expectCode(() => w.readBlock(8, 15), RangeError, 'ERR_OUT_OF_RANGE', '15 registers of 32 bits at offset 0x8 reach past the end of this 64-byte window');
    expectCode(() => w.readBlock(2, 1, 32), MmapkitError, 'ERR_MMAPKIT_UNALIGNED');
  });

  it('validates options with exact messages', () => {
    expectCode(
      () => openRegisterWindow(undefined as never),
      TypeError,
      'ERR_INVALID_ARG_TYPE',
      'The "options" argument must be of type object. Received undefined',
    );
    expectCode(() => openRegisterWindow({ path: file, offset: -1, length: 4 }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => openRegisterWindow({ path: file, offset: '0' as never, length: 4 }), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(
      () => openRegisterWindow({ path: file, offset: 0, length: 0 }),
      RangeError,
      'ERR_OUT_OF_RANGE',
      'The value of "options.length" is out of range. It must be a positive integer. Received 0',
    );
    expectCode(() => openRegisterWindow({ path: file, offset: 0, length: 4, writable: 1 as never }), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => openRegisterWindow({ path: file, offset: 0, length: 4, widths: [12 as never] }), RangeError, 'ERR_OUT_OF_RANGE');
  });

  it('refuses a window past the end of a regular file (like a BAR resource file)', () => {
    expectCode(
      () => openRegisterWindow({ path: file, offset: 3 * 4096 - 2, length: 4 }),
      RangeError,
      'ERR_OUT_OF_RANGE',
      `The window [0x2ffe, 0x3002) reaches past the end of '${file}' (12288 bytes)`,
    );
  });

  it('reports a missing file as a system error', () => {
    let err: { code?: string; syscall?: string; path?: string } = {};
    try {
      openRegisterWindow({ path: path.join(dir, 'missing'), offset: 0, length: 4 });
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.code).toBe('ENOENT');
    expect(err.syscall).toBe('open');
    expect(err.path).toBe(path.join(dir, 'missing'));
  });

  it('works over a memfd', () => {
    using memfd = createMemfd('regs');
    memfd.truncate(4096);
    using w = openRegisterWindow({ path: memfd.path, offset: 64, length: 32, writable: true });
    w.write64(0, 0xfeedfacecafebeefn);
    w.write32(8, 0x11223344);
    const buf = Buffer.alloc(12);
    fs.readSync(memfd.fd, buf, 0, 12, 64);
    expect(buf.toString('hex')).toBe('efbefecacefaedfe44332211');
    expect(w.read16(10)).toBe(0x1122);
  });

  it('turns SIGBUS on a truncated file into ERR_MMAPKIT_SIGBUS', () => {
    const f = path.join(dir, 'trunc.bin');
    fs.writeFileSync(f, Buffer.alloc(3 * 4096, 0xab));
    using w = openRegisterWindow({ path: f, offset: 2 * 4096, length: 4096, writable: true });
    expect(w.read32(0)).toBe(0xabababab);
    fs.truncateSync(f, 4096);
    expectCode(() => w.read32(0), Error, 'ERR_MMAPKIT_SIGBUS', /^Bus error \(SIGBUS\) on a 32-bit read at offset 0x0 of the register window onto/);
    expectCode(() => w.write8(4, 1), Error, 'ERR_MMAPKIT_SIGBUS');
    expectCode(() => w.readBlock(0, 4), Error, 'ERR_MMAPKIT_SIGBUS');
  });

  it('unmaps a window that was never closed once it is garbage-collected (child process)', () => {
    const addon = path.resolve(__dirname, '..', 'build', 'Release', 'mmapkit.node');
    const script = `
      const b = require(${JSON.stringify(addon)});
      const fs = require('fs');
      const file = ${JSON.stringify(file)};
      const count = () => fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => l.endsWith(file)).length;
      let keep = b.regsOpen(file, 0n, 16, true, 15);
      const read = keep.read32;           // a method alone keeps the window alive
      for (let i = 0; i < 50; i++) b.regsOpen(file, 4096n, 16, false, 15);
      const before = count();
      keep = null;
      for (let i = 0; i < 5; i++) global.gc();
      setTimeout(() => {
        for (let i = 0; i < 5; i++) global.gc();
        const after = count();
        read(0);
        process.stdout.write(JSON.stringify({ before, after }));
      }, 50);
    `;
    const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const { before, after } = JSON.parse(r.stdout);
    expect(before).toBe(51);
    expect(after).toBe(1);
  });
});
