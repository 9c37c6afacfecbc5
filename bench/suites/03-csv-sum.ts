import * as fs from 'node:fs';
import { csvMethods, csvSum, CsvSummer, mapFile, bytewiseCsvSum, type CsvMethod } from 'mmapkit';
import { ensureWarm, generateCsv } from '../data';
import type { BenchTask, Suite } from '../types';
import { MiB } from './common';
import { autoSource, eventLoopDelay, faultsPerMiB, threadScaling, wasmFacts } from './csv-speed';

/** The bytewise loop in plain JS over a Buffer (numbers, as a C loop with a long). */
function bytewiseLoopJs(b: Uint8Array): number {
  let sum = 0;
  let x = 0;
  const n = b.length;
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c >= 48 && c <= 57) x = 10 * x + (c - 48);
    else if (c === 44 || c === 10) {
      sum += x;
      x = 0;
    }
  }
  return sum;
}

function readChunks(file: string, chunk: number, method: CsvMethod): bigint {
  const s = new CsvSummer({ method });
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafeSlow(chunk);
    for (;;) {
      const got = fs.readSync(fd, buf, 0, chunk, null);
      if (got === 0) break;
      s.update(got === chunk ? buf : buf.subarray(0, got));
    }
  } finally {
    fs.closeSync(fd);
  }
  return s.sum;
}

const LABEL: Record<string, string> = {
  bytewise: 'bytewise loop in the addon',
  swar: 'native word-at-a-time (SWAR)',
  avx2: 'native AVX2',
  avx512: 'native AVX-512',
  neon: 'native NEON',
  wasm: 'WebAssembly SIMD128 (wasm)',
  js: 'JS word-at-a-time',
  'js-bytewise': 'JS bytewise loop (exact)',
};

export const suite: Suite = {
  name: 'csv-sum',
  title:
    "3. CSV-sum: the bytewise loop in JS and in the addon, SWAR, SIMD and wasm parsers, over a mapping and over read(), on 1, 2 and all cores, the source 'auto' picks, the event loop during an async sum",
  async run(ctx) {
    const file = ctx.csvPath;
    const size = fs.statSync(file).size;
    const want = BigInt(ctx.csvSum);
    const methods = csvMethods();
    ctx.fact('methods', methods.join(' '));
    const prepare = (): void => {
      ensureWarm(file);
    };
    prepare();
    const m = mapFile(file, { populate: true });
    try {
      // Every method, over the mapping and over read() chunks, must give the generator's sum.
      for (const method of methods) {
        ctx.check(`sum over the mapping: ${method}`, csvSum(m.buffer, { method }) === want, `want ${want}`);
        ctx.check(`sum over read() 1 MiB chunks: ${method}`, readChunks(file, MiB, method) === want);
        ctx.check(`sum over read() 4093-byte chunks: ${method}`, readChunks(file, 4093, method) === want);
      }
      if (ctx.quick) ctx.check('sum through the MemoryView (bytewiseCsvSum)', bytewiseCsvSum(m) === want);
      const plain = bytewiseLoopJs(m.buffer);
      ctx.check('the plain JS bytewise loop (doubles) agrees while the sum stays below 2^53', plain >= 2 ** 53 || BigInt(plain) === want);

      const overMap: BenchTask[] = [
        { name: 'JS bytewise loop (doubles, as in C)', group: 'CSV sum over a warm mapping', bytes: size, fn: () => bytewiseLoopJs(m.buffer) },
        ...methods.map((method): BenchTask => ({
          name: LABEL[method] ?? method,
          group: 'CSV sum over a warm mapping',
          bytes: size,
          fn: () => csvSum(m.buffer, { method }),
          baseline: method === 'bytewise',
        })),
      ];
      wasmFacts(ctx, await ctx.measure(overMap), LABEL);
      await threadScaling(ctx, file, size, want, m);
      const best = methods.filter((x) => !x.startsWith('js') && x !== 'wasm').pop() as CsvMethod;
      const perCall: BenchTask[] = [
        ...(['bytewise', best, 'js'] as CsvMethod[]).map((method): BenchTask => ({
          name: `read() 1 MiB chunks, ${LABEL[method]}`,
          group: 'CSV sum of the file per call (open + read or map + parse)',
          bytes: size,
          fn: () => readChunks(file, MiB, method),
          beforeEach: prepare,
          baseline: method === best,
        })),
        ...([false, true] as const).map((populate): BenchTask => {
          const fn = (): bigint => {
            const mm = mapFile(file, { populate, hugePages: true });
            try {
              return csvSum(mm.buffer, { method: best });
            } finally {
              mm.unmap();
            }
          };
          return {
            name: `mmap${populate ? ' populate' : ''} + ${LABEL[best]}`,
            group: 'CSV sum of the file per call (open + read or map + parse)',
            bytes: size,
            fn,
            beforeEach: prepare,
            note: `${faultsPerMiB(fn, size).toFixed(1)} faults/MiB`,
          };
        }),
        {
          name: 'mmap + JS bytewise loop',
          group: 'CSV sum of the file per call (open + read or map + parse)',
          bytes: size,
          fn: () => {
            const mm = mapFile(file);
            try {
              return bytewiseLoopJs(mm.buffer);
            } finally {
              mm.unmap();
            }
          },
          beforeEach: prepare,
        },
      ];
      await ctx.measure(perCall);
    } finally {
      m.unmap();
    }
    await autoSource(ctx, file, size);
    await eventLoopDelay(ctx, file, size, want);
    // Windows line ends: every line carries a '\r' the parsers must skip.
    const crlfFile = `${ctx.dataDir}/crlf.csv`;
    const crlfSum = BigInt(generateCsv(crlfFile, Math.min(size, 64 << 20), undefined, 0x1234567, true));
    const crlfSize = fs.statSync(crlfFile).size;
    ensureWarm(crlfFile);
    const mc = mapFile(crlfFile, { populate: true });
    try {
      for (const method of methods) ctx.check(`CRLF file, sum over the mapping: ${method}`, csvSum(mc.buffer, { method }) === crlfSum);
      await ctx.measure(
        methods
          .filter((x) => x !== 'js-bytewise')
          .map((method): BenchTask => ({
            name: `${LABEL[method] ?? method}, CRLF`,
            group: `CSV sum over a warm mapping, CRLF file of ${(crlfSize / 2 ** 20).toFixed(0)} MiB`,
            bytes: crlfSize,
            fn: () => csvSum(mc.buffer, { method }),
            baseline: method === 'bytewise',
          })),
      );
    } finally {
      mc.unmap();
    }
  },
};
