import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatValue, parseBusyboxNumber, parseWidth, run } from '../lib/cli/devmem';

let dir: string;
let file: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmapkit-devmem-'));
  file = path.join(dir, 'regs.bin');
  const buf = Buffer.alloc(8192);
  buf.writeUInt32LE(0x010000ed, 0x1000);
  buf.writeBigUInt64LE(0x0123456789abcdefn, 0x1008);
  fs.writeFileSync(file, buf);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the command, collecting what it writes to stdout. */
async function devmem(...args: string[]): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await run(args);
    return { code, out: chunks.join('') };
  } finally {
    process.stdout.write = write;
  }
}

describe('mmapkit devmem', () => {
  it('reads like busybox: 0x-prefixed upper-case hex of the width\'s digits', async () => {
    expect(await devmem('--device', file, '0x1000')).toEqual({ code: 0, out: '0x010000ED\n' });
    expect(await devmem('--device', file, '0x1000', '8')).toEqual({ code: 0, out: '0xED\n' });
    expect(await devmem('--device', file, '4096', '16')).toEqual({ code: 0, out: '0x00ED\n' });
    expect(await devmem('--device', file, '0x1008', '64')).toEqual({ code: 0, out: '0x0123456789ABCDEF\n' });
    expect(await devmem('--device', file, '010020', 'w')).toEqual({ code: 0, out: '0x00000000\n' });
  });

  it('writes silently, with exactly the given width', async () => {
    expect(await devmem('--device', file, '0x1010', '16', '0xbeef')).toEqual({ code: 0, out: '' });
    expect(fs.readFileSync(file).subarray(0x1010, 0x1014).toString('hex')).toBe('efbe0000');
    expect(await devmem('--device', file, '0x1018', '64', '0xfedcba9876543210')).toEqual({ code: 0, out: '' });
    expect(fs.readFileSync(file).readBigUInt64LE(0x1018)).toBe(0xfedcba9876543210n);
    expect((await devmem('--device', file, '0x1018', 'l')).out).toBe('0xFEDCBA9876543210\n');
  });

  it('refuses what cannot be done, with codes', async () => {
    await expect(devmem('--device', file, '0x1001', '32')).rejects.toMatchObject({ code: 'ERR_MMAPKIT_UNALIGNED' });
    await expect(devmem('--device', file, '0x1000', '8', '0x100')).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: 'value 0x100 does not fit in 8 bits' });
    await expect(devmem('--device', file, '0x2000')).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(devmem('--device', file, '0x1000', '12')).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(devmem('--device', file, 'zz')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(devmem('--port', '0x70', '64')).rejects.toMatchObject({ code: 'ERR_MMAPKIT_WIDTH' });
    await expect(devmem('--port', '0x10000')).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });

  it('prints help and usage', async () => {
    const help = await devmem('--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^usage: mmapkit devmem/);
  });

  it('parses numbers and widths the busybox way', () => {
    expect(parseBusyboxNumber('0x10', 'address')).toBe(16n);
    expect(parseBusyboxNumber('010', 'address')).toBe(8n);
    expect(parseBusyboxNumber('10', 'address')).toBe(10n);
    expect(parseWidth('b')).toBe(8);
    expect(parseWidth('H')).toBe(16);
    expect(parseWidth('64')).toBe(64);
    expect(formatValue(0xed, 8)).toBe('0xED');
    expect(formatValue(0n, 64)).toBe('0x0000000000000000');
  });
});
