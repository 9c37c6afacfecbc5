// The CSV sum: every method (native bytewise / SWAR / AVX2 / AVX-512 / NEON, JavaScript word and byte
// loops) against the bytewise reference loop, on random inputs with adversarial bytes, long digit runs that
// wrap 64 bits, and chunk splits; the documented edge cases; SIGBUS on a truncated mapping.
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  csvMethods,
  csvSum,
  csvSumFile,
  CsvSummer,
  mapFile,
  bytewiseCsvSum,
  type CsvMethod,
  scanByteSum,
  scanStrideSum,
  scanRandomRead32,
  randomOffsets,
  scanTouchWrite,
} from '../lib';
import { referenceCsvSum as reference, runNode, tempDir, TINY_CSV } from './support/helpers';

const METHODS = csvMethods();
const dir = tempDir('mmapkit-csv-');

// Bytes biased towards what matters: digits, separators, other bytes (CR, space, '-', '.', high bytes).
const csvByte = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0x30, max: 0x39 }) },
  { weight: 3, arbitrary: fc.constantFrom(0x2c, 0x0a) },
  { weight: 1, arbitrary: fc.constantFrom(0x0d, 0x20, 0x2d, 0x2e, 0x22, 0x00, 0xff, 0xb0, 0x3a, 0x2f) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
);
// Clean CSV pieces: runs of digits (short, 8-16 digits, and long enough to wrap 64 bits).
const digitRun = fc.oneof(fc.stringMatching(/^[0-9]{1,8}$/), fc.stringMatching(/^[0-9]{9,17}$/), fc.stringMatching(/^[0-9]{18,70}$/));
const cleanCsv = fc
  .array(fc.tuple(digitRun, fc.constantFrom(',', '\n', '\r\n', ',,', ' ,')), { maxLength: 200 })
  .map((parts) => Buffer.from(parts.map(([d, s]) => d + s).join(''), 'latin1'));
const anyBytes = fc.oneof(
  fc.array(csvByte, { maxLength: 700 }).map((a) => Uint8Array.from(a)),
  cleanCsv,
  fc.uint8Array({ maxLength: 300 }),
);

describe('csvSum', () => {
  it('lists the methods available here, native and JavaScript', () => {
    expect(METHODS).toContain('bytewise');
    expect(METHODS).toContain('swar');
    expect(METHODS).toContain('js');
    expect(METHODS).toContain('js-bytewise');
    if (process.arch === 'arm64') expect(METHODS).toContain('neon');
  });

  it('gives the reference answer for tiny.csv (847) with every method', () => {
    for (const method of [...METHODS, 'auto' as const]) expect(csvSum(TINY_CSV, { method })).toBe(847n);
    expect(bytewiseCsvSum(mapLike(TINY_CSV))).toBe(847n);
  });

  it('does not add a final number with no newline after it (as the bytewise loop)', () => {
    for (const method of METHODS) {
      expect(csvSum(Buffer.from('1,2\n30'), { method })).toBe(3n);
      expect(csvSum(Buffer.from('1,2\n30\n'), { method })).toBe(33n);
      expect(csvSum(Buffer.from('99'), { method })).toBe(0n);
    }
    const s = new CsvSummer();
    s.update(Buffer.from('1,2\n30'));
    expect(s.sum).toBe(3n);
    expect(s.pending).toBe(30n);
  });

  it('skips other bytes without ending the number, and wraps at 64 bits', () => {
    for (const method of METHODS) {
      expect(csvSum(Buffer.from('1 2\r\n-3.5,x7y\n'), { method })).toBe(12n + 35n + 7n);
      // 2^64 + 5 wraps to 5; 2^63 is negative as a signed sum.
      expect(csvSum(Buffer.from('18446744073709551621\n'), { method })).toBe(5n);
      expect(csvSum(Buffer.from('9223372036854775808\n'), { method })).toBe(-(2n ** 63n));
    }
  });

  it('every method equals the bytewise loop on random inputs (differential fuzz)', () => {
    fc.assert(
      fc.property(anyBytes, fc.nat(3), (bytes, shift) => {
        // Any alignment: copy to an offset inside a larger buffer.
        const host = new Uint8Array(bytes.length + shift);
        host.set(bytes, shift);
        const view = host.subarray(shift);
        const want = reference(view).sum;
        for (const method of METHODS) {
          const got = csvSum(view, { method });
          if (got !== want) throw new Error(`${method}: got ${got}, want ${want}`);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('every method equals the bytewise loop when the input is split into chunks (CsvSummer)', () => {
    fc.assert(
      fc.property(anyBytes, fc.array(fc.nat(800), { maxLength: 6 }), (bytes, cutsRaw) => {
        const cuts = [...new Set(cutsRaw.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const want = reference(bytes);
        for (const method of METHODS) {
          const s = new CsvSummer({ method });
          let at = 0;
          for (const c of [...cuts, bytes.length]) {
            s.update(bytes.subarray(at, c));
            at = c;
          }
          if (s.sum !== want.sum || s.pending !== want.pending) {
            throw new Error(`${method}: got ${s.sum}/${s.pending}, want ${want.sum}/${want.pending}`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('agrees across methods on a large clean file, over a mapping and over read()', () => {
    const file = path.join(dir, 'big.csv');
    const lines: string[] = [];
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let i = 0; i < 40000; i++) {
      const row: string[] = [];
      for (let c = 0; c < 6; c++) row.push(String(rnd(10 ** (1 + rnd(9)))));
      lines.push(row.join(','));
    }
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const want = reference(fs.readFileSync(file)).sum;
    for (const method of METHODS) {
      expect(csvSumFile(file, { method, via: 'mmap' })).toBe(want);
      expect(csvSumFile(file, { method, via: 'read', chunkSize: 4093 })).toBe(want);
      // The mapping parsed in windows (as files larger than one Buffer are).
      expect(csvSumFile(file, { method, via: 'mmap', chunkSize: 65537 })).toBe(want);
    }
  });

  it('sums an empty file to 0n, over a mapping and over read()', () => {
    const file = path.join(dir, 'empty.csv');
    fs.writeFileSync(file, '');
    for (const method of METHODS) {
      expect(csvSumFile(file, { method })).toBe(0n);
      expect(csvSumFile(file, { method, via: 'read' })).toBe(0n);
    }
  });

  it('accepts a mapping buffer, TypedArrays, DataViews and ArrayBuffers', () => {
    const file = path.join(dir, 'tiny.csv');
    fs.writeFileSync(file, TINY_CSV);
    const m = mapFile(file);
    try {
      expect(csvSum(m.buffer)).toBe(847n);
      expect(bytewiseCsvSum(m)).toBe(847n);
    } finally {
      m.unmap();
    }
    const ab = TINY_CSV.buffer.slice(TINY_CSV.byteOffset, TINY_CSV.byteOffset + TINY_CSV.length);
    expect(csvSum(ab)).toBe(847n);
    expect(csvSum(new DataView(ab))).toBe(847n);
    expect(csvSum(new Uint32Array(ab, 0, 4), { method: 'js' })).toBe(847n);
  });

  it('rejects bad arguments with stable codes', () => {
    expect(() => csvSum('12,3\n' as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => csvSum(TINY_CSV, { method: 'fast' as CsvMethod })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    const missing = (['neon', 'avx2', 'avx512'] as CsvMethod[]).find((m) => !METHODS.includes(m));
    if (missing) expect(() => csvSum(TINY_CSV, { method: missing })).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_UNSUPPORTED' }));
    expect(() => csvSumFile(path.join(dir, 'nope.csv'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => csvSumFile(path.join(dir, 'x'), { via: 'pipe' as 'read' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  it('reports SIGBUS on a mapping whose file was truncated, instead of crashing (child process)', () => {
    const file = path.join(dir, 'trunc.csv');
    const r = runNode(
      `const fs = require('fs');
       fs.writeFileSync(process.argv[1], Buffer.alloc(65536, '12,'));
       const m = mk.mapFile(process.argv[1]);
       fs.truncateSync(process.argv[1], 100);
       for (const method of mk.csvMethods().filter((x) => !x.startsWith('js'))) {
         try { mk.csvSum(m.buffer, { method }); console.log(method, 'no error'); }
         catch (e) { console.log(method, e.code); }
       }
       try { mk.scanByteSum(m.buffer); } catch (e) { console.log('scan', e.code); }`,
      { args: [file] },
    );
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBe(METHODS.filter((x) => !x.startsWith('js')).length + 1);
    for (const line of lines) expect(line).toMatch(/ ERR_MMAPKIT_SIGBUS$/);
  });
});

describe('native scans', () => {
  it('sum bytes, stride reads, random reads, and write touches', () => {
    const b = Buffer.alloc(10000);
    for (let i = 0; i < b.length; i++) b[i] = (i * 7) & 255;
    let want = 0;
    for (const v of b) want += v;
    expect(scanByteSum(b)).toBe(want);
    expect(scanByteSum(b, { plain: true })).toBe(want);
    let stride = 0;
    for (let i = 0; i < b.length; i += 4096) stride += b[i];
    expect(scanStrideSum(b, 4096)).toBe(stride);
    const offs = randomOffsets(b.length, 100, 9);
    let r = 0;
    for (const o of offs) r += b.readUInt32LE(o);
    expect(scanRandomRead32(b, 100, 9)).toBe(r);
    const c = Buffer.alloc(8192);
    scanTouchWrite(c, 4096);
    expect([c[0], c[1], c[4096]]).toEqual([1, 0, 1]);
  });
});

/** A MemoryView over a Buffer, for bytewiseCsvSum. */
function mapLike(b: Buffer) {
  return {
    length: b.length,
    load8: (o: number) => b[o],
    load16: (o: number) => b.readUInt16LE(o),
    load32: (o: number) => b.readUInt32LE(o),
    load64: (o: number) => b.readBigUInt64LE(o),
    store8: () => {},
    store16: () => {},
    store32: () => {},
    store64: () => {},
  };
}
