// Splitting the CSV sum: a number cut at a seam is a small partial result, so any split gives the
// one-pass answer. Random splits against the reference loop (the native combiner directly, and
// csvSum / csvSumFile on real threads), every native method and the wasm kernel; whole-file byte
// sums and the threaded touch.
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  csvMethods,
  csvSum,
  csvSumFile,
  csvSumFileDetails,
  CsvSummer,
  fileByteSum,
  fileResidency,
  touchFile,
  evictFile,
  CSV_READ_CROSSOVER,
  chooseCsvSource,
} from '../lib';
import { binding } from '../lib/native';
import { referenceCsvSum as reference, tempDir } from './support/helpers';

const NATIVE = csvMethods().filter((m) => m !== 'wasm' && !m.startsWith('js'));
const NATIVE_INDEX: Record<string, number> = { bytewise: 0, swar: 1, avx2: 2, avx512: 3, neon: 4 };
const dir = tempDir('mmapkit-csv-parallel-');

const csvByte = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0x30, max: 0x39 }) },
  { weight: 3, arbitrary: fc.constantFrom(0x2c, 0x0a) },
  { weight: 1, arbitrary: fc.constantFrom(0x0d, 0x20, 0x2d, 0x00, 0xff) },
);
// Long digit runs (numbers that wrap 64 bits, pieces with no separator at all) and plain CSV.
const digitRun = fc.oneof(fc.stringMatching(/^[0-9]{1,8}$/), fc.stringMatching(/^[0-9]{9,25}$/), fc.stringMatching(/^[0-9]{60,200}$/));
const cleanCsv = fc
  .array(fc.tuple(digitRun, fc.constantFrom(',', '\n', '\r\n', ',,')), { maxLength: 120 })
  .map((parts) => Uint8Array.from(Buffer.from(parts.map(([d, s]) => d + s).join(''), 'latin1')));
const bytes = fc.oneof(
  fc.array(csvByte, { maxLength: 1500 }).map((a) => Uint8Array.from(a)),
  cleanCsv,
);
/** Bytes and sorted cut points inside them (repeats and the ends included). */
const split = bytes.chain((b) =>
  fc.tuple(
    fc.constant(b),
    fc.array(fc.integer({ min: 0, max: b.length }), { maxLength: 12 }).map((c) => c.sort((x, y) => x - y)),
  ),
);

describe('a split CSV sum', () => {
  it('gives the one-pass sum and open number for any cuts, with every native method', () => {
    fc.assert(
      fc.property(split, ([b, cuts]) => {
        const want = reference(b);
        for (const m of NATIVE) {
          const [sum, pending] = binding().csvSumPieces(b, NATIVE_INDEX[m], Float64Array.from(cuts)) as [bigint, bigint];
          expect([m, sum, pending]).toEqual([m, want.sum, want.pending]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('csvSum({ threads }) on real threads gives the reference sum for 1 to 8 threads', () => {
    fc.assert(
      fc.property(bytes, fc.integer({ min: 1, max: 8 }), (b, threads) => {
        const want = reference(b).sum;
        for (const method of NATIVE) expect([method, threads, csvSum(b, { method, threads })]).toEqual([method, threads, want]);
      }),
      { numRuns: 150 },
    );
  });

  it('the wasm kernel and the JavaScript loops agree with the native methods over the same chunk splits', () => {
    fc.assert(
      fc.property(split, ([b, cuts]) => {
        const want = reference(b);
        for (const method of csvMethods()) {
          const s = new CsvSummer({ method });
          let at = 0;
          for (const c of [...cuts, b.length]) {
            s.update(b.subarray(at, c));
            at = c;
          }
          expect([method, s.sum, s.pending]).toEqual([method, want.sum, want.pending]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('reports the threads of the native scan, and falls back to one piece for tiny inputs by default', () => {
    const b = Buffer.from('12,34\n'.repeat(1000));
    const r = binding().scanThreads(new Uint8Array(b.buffer, b.byteOffset, b.length), 0, 0, 4, 1, 1 << 20);
    expect(r.threads).toBe(4);
    expect(r.sum).toBe(46000n);
    const d = binding().scanThreads(new Uint8Array(b.buffer, b.byteOffset, b.length), 0, 0, 4, 4 << 20, 1 << 20);
    expect(d.threads).toBe(1);
    expect(d.sum).toBe(46000n);
  });
});

describe('csvSumFile over threads and sources', () => {
  const file = path.join(dir, 'big.csv');
  // ~9 MiB of numbers (above the read() crossover) with long numbers here and there.
  const parts: string[] = [];
  let seed = 7;
  let size = 0;
  while (size < 9 << 20) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const s = seed % 97 === 0 ? '123456789012345678901234567' : String(seed % 1000003);
    const line = s + (seed & 1 ? ',' : '\n');
    parts.push(line);
    size += line.length;
  }
  fs.writeFileSync(file, parts.join(''));
  const data = fs.readFileSync(file);
  const want = reference(data).sum;

  it('every thread count and source gives the same sum, and the details say which', () => {
    for (const via of ['auto', 'mmap', 'read'] as const) {
      for (const threads of [undefined, 1, 2, 3, 7]) {
        const d = csvSumFileDetails(file, { via, threads });
        expect([via, threads, d.sum]).toEqual([via, threads, want]);
        expect(d.bytes).toBe(data.length);
        expect(d.threads).toBe(threads ?? d.threads);
        expect(d.via).toBe(via === 'auto' ? 'read' : via);
      }
    }
    expect(csvSumFileDetails(file).reason).toMatch(/crossover/);
    expect(csvSumFile(file, { method: 'bytewise', threads: 2, via: 'mmap' })).toBe(want);
    expect(csvSumFile(file, { method: 'wasm' })).toBe(want);
  });

  it('by descriptor, from its offset, split over threads', () => {
    const fd = fs.openSync(file, 'r');
    try {
      const skip = 1000;
      fs.readSync(fd, Buffer.alloc(skip), 0, skip, null);
      expect(csvSumFile(fd, { threads: 3 })).toBe(reference(data.subarray(skip)).sum);
    } finally {
      fs.closeSync(fd);
    }
  });

  it("'auto' maps small files and reads large ones", () => {
    expect(chooseCsvSource(CSV_READ_CROSSOVER - 1, 'auto').via).toBe('mmap');
    expect(chooseCsvSource(CSV_READ_CROSSOVER, 'auto').via).toBe('read');
    const small = path.join(dir, 'small.csv');
    fs.writeFileSync(small, '1,2\n3\n');
    expect(csvSumFileDetails(small)).toMatchObject({ sum: 6n, via: 'mmap', threads: 1 });
  });

  it('fileByteSum sums every byte, over a mapping or read(), on any number of threads', () => {
    let s = 0;
    for (const c of data) s += c;
    for (const via of ['auto', 'mmap', 'read'] as const)
      for (const threads of [1, 2, 5]) expect(fileByteSum(file, { via, threads })).toMatchObject({ sum: s, bytes: data.length, threads });
  });

  it('touchFile({ threads }) brings every page in', () => {
    evictFile(file);
    const r = touchFile(file, { threads: 2 });
    expect(r.resident).toBe(r.pages);
    expect(fileResidency(file).percent).toBe(100);
  });
});
