import { spawnSync } from 'node:child_process';
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
  it("reads like busybox: 0x-prefixed upper-case hex of the width's digits", async () => {
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
    await expect(devmem('--device', file, '0x1001', '32')).rejects.toMatchObject({
      code: 'ERR_MMAPKIT_UNALIGNED',
      message: 'ADDRESS 0x1001 is not aligned for a 32-bit access: it must be a multiple of 4',
    });
    await expect(devmem('--device', file, '0x1000', '8', '0x100')).rejects.toMatchObject({
      code: 'ERR_OUT_OF_RANGE',
      message: 'value 0x100 does not fit in 8 bits',
    });
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

describe('mmapkit devmem as a user runs it (child processes)', () => {
  const MAIN = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
  const cli = (...args: string[]) => spawnSync(process.execPath, [MAIN, 'devmem', ...args], { encoding: 'utf8', timeout: 60_000 });

  it('an unaligned address names the address given (0x9), not an offset in the window; exit 2', () => {
    const r = cli('--device', file, '0x9', '32');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('mmapkit devmem: ADDRESS 0x9 is not aligned for a 32-bit access: it must be a multiple of 4 [ERR_MMAPKIT_UNALIGNED]\n');
    expect(r.stderr).not.toContain('offset 0x0');
    expect(cli('--device', file, '9', '16').stderr).toMatch(
      /^mmapkit devmem: ADDRESS 9 \(0x9\) is not aligned for a 16-bit access: it must be a multiple of 2/,
    );
  });

  it('--json for reads and writes', () => {
    const rd = cli('--device', file, '0x1000', '--json');
    expect(rd.status, rd.stderr).toBe(0);
    expect(JSON.parse(rd.stdout)).toEqual({ device: file, address: '0x1000', width: 32, value: '0x010000ED' });
    const wr = cli('--device', file, '0x1020', '8', '0x7f', '--json');
    expect(wr.status, wr.stderr).toBe(0);
    expect(JSON.parse(wr.stdout)).toEqual({ device: file, address: '0x1020', width: 8, written: '0x7F' });
    expect(fs.readFileSync(file)[0x1020]).toBe(0x7f);
  });

  it('exit statuses: 2 for what was typed wrong, 1 for what failed, usage on stderr with no arguments', () => {
    expect(cli('--device', file, 'zz').status).toBe(2);
    expect(cli('--device', file, '0x1000', '12').status).toBe(2);
    expect(cli('--device', file, '0x1000', '8', '0x100').status).toBe(2);
    expect(cli('--device', file, '0x1000', '8', '1', 'extra').status).toBe(2);
    const past = cli('--device', file, '0x2000');
    expect(past.status).toBe(1);
    expect(past.stderr).toMatch(/\[ERR_OUT_OF_RANGE\]/);
    const bare = cli();
    expect(bare.status).toBe(2);
    expect(bare.stderr).toMatch(/^usage: mmapkit devmem/);
  });
});
