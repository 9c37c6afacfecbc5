// Arguments of the register-window functions and the driver helpers: unknown or mistyped options
// and fractional widths throw before any access, with exact codes.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisterIO } from '../lib/interfaces';
import { expectCode } from './support/helpers';
import {
  clearBits,
  findPciDevices,
  openPciBar,
  parsePciResources,
  openPorts,
  openRegisterWindow,
  openUio,
  pollUntil,
  pollUntilAsync,
  readField,
  readRegisters,
  setBits,
  writeField,
} from '../lib/regs';

let dir: string;
let file: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmapkit-regsargs-'));
  file = path.join(dir, 'regs.bin');
  fs.writeFileSync(file, Buffer.alloc(4096));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Registers in plain memory (not a RegisterWindow), for the helpers' own checks. */
class MemoryDevice implements RegisterIO {
  readonly size = 64;
  readonly writable = true;
  readonly view = new DataView(new ArrayBuffer(64));
  read8(o: number): number {
    return this.view.getUint8(o);
  }
  read16(o: number): number {
    return this.view.getUint16(o, true);
  }
  read32(o: number): number {
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
    this.view.setUint32(o, v, true);
  }
  write64(o: number, v: bigint): void {
    this.view.setBigUint64(o, v, true);
  }
}

describe('openRegisterWindow options', () => {
  it('refuses unknown options', () => {
    expectCode(
      () => openRegisterWindow({ path: file, offset: 0, length: 4, writeable: true } as never),
      TypeError,
      'ERR_INVALID_ARG_VALUE',
      'Unknown option "writeable" in "options". Known options: path, offset, length, writable, widths',
    );
    expectCode(() => openRegisterWindow({ path: file, offset: 0, length: 4, width: [32] } as never), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectCode(() => openRegisterWindow([] as never), TypeError, 'ERR_INVALID_ARG_TYPE');
  });

  it('still opens with every known option', () => {
    using w = openRegisterWindow({ path: file, offset: 8, length: 8, writable: true, widths: [32] });
    w.write32(0, 7);
    expect(w.read32(0)).toBe(7);
  });
});

describe('RegisterWindow.readBlock width', () => {
  it('refuses a fractional or unknown width', () => {
    using w = openRegisterWindow({ path: file, offset: 0, length: 64 });
    expectCode(() => w.readBlock(0, 1, 32.5 as never), RangeError, 'ERR_OUT_OF_RANGE', 'The access width must be 8, 16, 32 or 64 bits. Received 32.5');
    expectCode(() => w.readBlock(0, 1, 33 as never), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => w.readBlock(0, 1, 0 as never), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(
      () => w.readBlock(0, 1, '32' as never),
      TypeError,
      'ERR_INVALID_ARG_TYPE',
      `The "width" argument must be 8, 16, 32 or 64. Received type string ('32')`,
    );
    expect(w.readBlock(0, 2, 16).length).toBe(2);
    expect(w.readBlock(0, 2).length).toBe(2); // default 32
  });
});

describe('PCI, UIO and port options', () => {
  it('findPciDevices refuses unknown or mistyped filter fields', () => {
    expectCode(() => findPciDevices({ vendr: 0x1234 } as never), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectCode(() => findPciDevices({ vendor: '0x1234' } as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => findPciDevices({ device: 0x10000 }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => findPciDevices({ sysfs: 5 } as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => findPciDevices(5 as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expect(findPciDevices({ sysfs: path.join(dir, 'nowhere') })).toEqual([]);
  });

  it('parsePciResources refuses what is not resource text', () => {
    expectCode(() => parsePciResources(5 as never), TypeError, 'ERR_INVALID_ARG_TYPE', 'The "text" argument must be of type string. Received type number (5)');
    expectCode(
      () => parsePciResources('0x1000 0x1fff 0x200\nx y z\n'),
      TypeError,
      'ERR_INVALID_ARG_VALUE',
      "Line 2 of the PCI resource text is not three numbers (start end flags). Received 'x y z'",
    );
    expect(parsePciResources('0x1000 0x1fff 0x200\n\n')).toHaveLength(1);
  });

  it('openPciBar and openUio refuse unknown options and mistyped numbers', () => {
    const sysfs = path.join(dir, 'nowhere');
    expectCode(() => openPciBar('00:03.0', 0, { sysfs, bogus: 1 } as never), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectCode(() => openPciBar('00:03.0', '0' as never, { sysfs }), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => openPciBar('00:03.0', 0.5, { sysfs }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => openUio(0, 0, { sysfs, device: '/dev/uio0' } as never), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectCode(() => openUio(0, '1' as never, { sysfs }), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => openUio(0, 1.5, { sysfs }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => openUio(0, 0, { sysfs, dev: 3 } as never), TypeError, 'ERR_INVALID_ARG_TYPE');
  });

  it('openPorts refuses unknown options and a non-boolean writable before opening anything', () => {
    expectCode(() => openPorts({ mode: 'devport' } as never), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectCode(() => openPorts({ writable: 1 } as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => openPorts({ method: 'ioperm', writable: 'no' } as never), TypeError, 'ERR_INVALID_ARG_TYPE');
  });
});

describe('driver helper arguments', () => {
  it('pollUntil and pollUntilAsync refuse unknown or mistyped options', async () => {
    const dev = new MemoryDevice();
    expectCode(() => pollUntil(dev, 0, 1, 0, { timeout: 5 } as never), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectCode(() => pollUntil(dev, 0, 1, 0, { intervalMs: 5 } as never), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectCode(() => pollUntil(dev, 0, 1, 0, { timeoutMs: '5' } as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => pollUntil(dev, 0, 1, 0, { maxReads: '3' } as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    for (const bad of [0, -1, 1.5, NaN]) expectCode(() => pollUntil(dev, 0, 1, 0, { maxReads: bad }), RangeError, 'ERR_OUT_OF_RANGE');
    expect(pollUntil(dev, 0, 1, 0, { maxReads: 1 }).reads).toBe(1);
    await expect(pollUntilAsync(dev, 0, 1, 0, { intervalMs: 'x' } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(pollUntilAsync(dev, 0, 1, 0, { intervalMs: 1, bogus: 1 } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(pollUntilAsync(dev, 0, 1, 0, { intervalMs: 1 })).resolves.toMatchObject({ reads: 1 });
  });

  it('writeField, readField, setBits and clearBits check the width and value types before any access', () => {
    const dev = new MemoryDevice();
    expectCode(() => setBits(dev, 0, 1, 32.5 as never), RangeError, 'ERR_OUT_OF_RANGE', 'The access width must be 8, 16, 32 or 64 bits. Received 32.5');
    expectCode(() => clearBits(dev, 0, 1, 12 as never), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => writeField(dev, 0, 0, 4, 1.5), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => writeField(dev, 0, 0, 4, '3' as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => writeField(dev, 0, '0' as never, 4, 3), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => readField(dev, 0, 0, '4' as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expect(dev.read32(0)).toBe(0); // nothing was written
    expect(writeField(dev, 0, 4, 4, 0xa)).toBe(0xa0);
  });

  it('readRegisters checks offset and count on any RegisterIO', () => {
    const dev = new MemoryDevice();
    expectCode(() => readRegisters(dev, '0' as never, 2), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => readRegisters(dev, -4, 2), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => readRegisters(dev, 0, '2' as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => readRegisters(dev, 0, 1.5), RangeError, 'ERR_OUT_OF_RANGE');
    expect(readRegisters(dev, 0, 2, 16).length).toBe(2);
  });
});
