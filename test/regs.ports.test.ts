import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ports } from '../lib/regs';
import { binding } from '../lib/native';

// The 'devport' method is pread/pwrite at offset = port on /dev/port. This machine has no
// /dev/port (and its real ports are not ours to poke), so these tests give the same code a 64 KiB
// regular file as the port space; the real /dev/port and ioperm paths run in test/hw.edu.test.ts.
let dir: string;
let file: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmapkit-ports-'));
  file = path.join(dir, 'ports.bin');
  fs.writeFileSync(file, Buffer.alloc(0x10000));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function open(): Ports {
  return new Ports('devport', fs.openSync(file, 'r+'), binding());
}

describe('Ports (devport method) over a file', () => {
  it('does 8/16/32-bit in and out at offset = port, little-endian', () => {
    using p = open();
    p.outb(0x70, 0x0a);
    p.outw(0x80, 0xbeef);
    p.outl(0xcf8, 0x80001234);
    expect(p.inb(0x70)).toBe(0x0a);
    expect(p.inw(0x80)).toBe(0xbeef);
    expect(p.inl(0xcf8)).toBe(0x80001234);
    expect(p.inb(0x81)).toBe(0xbe);
    p.outb(0xffff, -1);
    expect(p.inb(0xffff)).toBe(0xff);
    const raw = fs.readFileSync(file);
    expect(raw.subarray(0xcf8, 0xcfc).toString('hex')).toBe('34120080');
  });

  it('validates ports and values before any access', () => {
    using p = open();
    expect(() => p.inl(0xfffd)).toThrow(
      expect.objectContaining({
        code: 'ERR_OUT_OF_RANGE',
        message: 'The value of "port" is out of range. It must be an integer from 0 to 65532 for a 32-bit access. Received 65533',
      }),
    );
    expect(() => p.inb(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => p.inb('0x70' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => p.outb(0x70, 256)).toThrow(
      expect.objectContaining({
        code: 'ERR_OUT_OF_RANGE',
        message: 'The value of "value" is out of range. It must be an integer from -128 to 255. Received 256',
      }),
    );
    expect(() => p.outw(0x70, 1.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('throws ERR_MMAPKIT_CLOSED after close', () => {
    const p = open();
    p.close();
    p.close();
    expect(p.closed).toBe(true);
    for (const f of [() => p.inb(0), () => p.inw(0), () => p.inl(0), () => p.outb(0, 0), () => p.outw(0, 0), () => p.outl(0, 0)]) {
      expect(f).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_CLOSED', message: 'The port space is closed' }));
    }
  });
});
