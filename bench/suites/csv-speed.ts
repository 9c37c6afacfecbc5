/**
 * The csv-sum suite's rows for thread scaling, the wasm kernel, the source 'auto' picks, and the
 * event loop during an asynchronous sum (called from 03-csv-sum.ts; not a suite of its own).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  chooseCsvSource,
  csvMethods,
  csvSum,
  csvSumFile,
  csvSumFileAsync,
  csvSumFileDetails,
  CSV_READ_CROSSOVER,
  defaultThreads,
  mapFile,
  type Mapping,
} from 'mmapkit';
import { ensureWarm } from '../data';
import { folioInfo } from '../machine';
import type { BenchTask, ResultRow, SuiteContext } from '../types';
import { MiB } from './common';

const load = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** Minor faults of one untimed call, per MiB of the file. */
export function faultsPerMiB(fn: () => unknown, bytes: number): number {
  const before = process.resourceUsage().minorPageFault;
  fn();
  return (process.resourceUsage().minorPageFault - before) / (bytes / MiB);
}

function rowOf(rows: ResultRow[], name: string): ResultRow | undefined {
  return rows.find((r) => r.name === name);
}

function ratio(rows: ResultRow[], a: string, b: string): string {
  const x = rowOf(rows, a)?.gbPerSec;
  const y = rowOf(rows, b)?.gbPerSec;
  return x !== undefined && y !== undefined && y > 0 ? `${(x / y).toFixed(2)}× (${x.toFixed(2)} vs ${y.toFixed(2)} GB/s)` : 'not measured';
}

/** Threads: 1, 2 and all cores, side by side, over read() and a mapping; the load average with them. */
export async function threadScaling(ctx: SuiteContext, file: string, size: number, want: bigint, m: Mapping): Promise<void> {
  const all = defaultThreads();
  const counts = [...new Set([1, 2, all])];
  for (const t of counts) {
    for (const via of ['read', 'mmap'] as const) ctx.check(`csvSumFile threads ${t} via ${via}`, csvSumFile(file, { threads: t, via }) === want);
    ctx.check(`csvSum over the mapping on ${t} threads`, csvSum(m.buffer, { threads: t }) === want);
  }
  ctx.fact('load average before the thread rows (1, 5, 15 min)', load());
  const group = `CSV sum on 1, 2 and all (${all}) cores, warm file of ${(size / MiB).toFixed(0)} MiB`;
  const tasks: BenchTask[] = [];
  for (const t of counts) {
    tasks.push({ name: `warm mapping, ${t} thread${t > 1 ? 's' : ''}`, group, bytes: size, fn: () => csvSum(m.buffer, { threads: t }), baseline: t === 1 });
    tasks.push({
      name: `csvSumFile via read, ${t} thread${t > 1 ? 's' : ''}`,
      group,
      bytes: size,
      fn: () => csvSumFile(file, { threads: t, via: 'read' }),
      beforeEach: () => ensureWarm(file),
    });
    tasks.push({
      name: `csvSumFile via mmap, ${t} thread${t > 1 ? 's' : ''}`,
      group,
      bytes: size,
      fn: () => csvSumFile(file, { threads: t, via: 'mmap' }),
      beforeEach: () => ensureWarm(file),
      note: `${faultsPerMiB(() => csvSumFile(file, { threads: t, via: 'mmap' }), size).toFixed(1)} faults/MiB`,
    });
  }
  const rows = await ctx.measure(tasks);
  ctx.fact('load average after the thread rows (1, 5, 15 min)', load());
  ctx.fact('threads 2 vs 1, warm mapping', ratio(rows, 'warm mapping, 2 threads', 'warm mapping, 1 thread'));
  ctx.fact('threads 2 vs 1, csvSumFile via read', ratio(rows, 'csvSumFile via read, 2 threads', 'csvSumFile via read, 1 thread'));
  ctx.fact('threads 2 vs 1, csvSumFile via mmap', ratio(rows, 'csvSumFile via mmap, 2 threads', 'csvSumFile via mmap, 1 thread'));
}

/** The wasm kernel against the addon's bytewise loop and its AVX2 method (rows of the warm-mapping group). */
export function wasmFacts(ctx: SuiteContext, rows: ResultRow[], label: Record<string, string>): void {
  if (!csvMethods().includes('wasm')) return;
  ctx.fact('wasm vs the bytewise loop in the addon', ratio(rows, label.wasm, label.bytewise));
  if (csvMethods().includes('avx2')) ctx.fact('wasm vs native AVX2', ratio(rows, label.wasm, label.avx2));
}

/**
 * The source 'auto' takes, against each source measured, per call, on the main file and on a
 * file below the crossover; beside each mmap row its faults per MiB, and the folios seen.
 */
export async function autoSource(ctx: SuiteContext, file: string, size: number): Promise<void> {
  const small = `${ctx.dataDir}/below-crossover.csv`;
  const smallSize = Math.max(4096, Math.min(size >> 1, CSV_READ_CROSSOVER >> 1));
  const fdIn = fs.openSync(file, 'r');
  const buf = Buffer.alloc(smallSize);
  fs.readSync(fdIn, buf, 0, smallSize, 0);
  fs.closeSync(fdIn);
  fs.writeFileSync(small, buf);
  let folios = 'unknown';
  try {
    folios = folioInfo(file).summary;
  } catch (err) {
    folios = `unknown (${(err as Error).message})`;
  }
  ctx.fact('page-cache folios of the data file', folios);
  for (const [f, bytes] of [
    [file, size],
    [small, smallSize],
  ] as const) {
    ensureWarm(f);
    const chosen = chooseCsvSource(bytes, 'auto');
    const want = csvSumFile(f, { via: 'read' });
    for (const via of ['auto', 'mmap', 'read'] as const) ctx.check(`${(bytes / MiB).toFixed(1)} MiB file via ${via}`, csvSumFile(f, { via }) === want);
    const group = `CSV sum per call, source chosen by size: ${(bytes / MiB).toFixed(1)} MiB warm file (crossover ${(CSV_READ_CROSSOVER / MiB).toFixed(0)} MiB)`;
    const fpm = (fn: () => unknown): string => `${faultsPerMiB(fn, bytes).toFixed(1)} faults/MiB; folios: ${folios.split(':')[0]}`;
    const populated = (): bigint => {
      const mm = mapFile(f, { populate: true });
      try {
        return csvSum(mm.buffer);
      } finally {
        mm.unmap();
      }
    };
    const tasks: BenchTask[] = [
      { name: `auto (${chosen.via}), ${(bytes / MiB).toFixed(1)} MiB`, group, bytes, fn: () => csvSumFile(f), note: csvSumFileDetails(f).reason },
      { name: `read() chunks, ${(bytes / MiB).toFixed(1)} MiB`, group, bytes, fn: () => csvSumFile(f, { via: 'read' }), baseline: true },
      {
        name: `mmap, ${(bytes / MiB).toFixed(1)} MiB`,
        group,
        bytes,
        fn: () => csvSumFile(f, { via: 'mmap' }),
        note: fpm(() => csvSumFile(f, { via: 'mmap' })),
      },
      { name: `mmap populate, one thread, ${(bytes / MiB).toFixed(1)} MiB`, group, bytes, fn: populated, note: fpm(populated) },
    ];
    const rows = await ctx.measure(tasks, { iterations: ctx.quick ? 1 : 5 });
    const best = [...rows].sort((a, b) => (b.gbPerSec ?? 0) - (a.gbPerSec ?? 0))[0];
    ctx.fact(`auto at ${(bytes / MiB).toFixed(1)} MiB`, `chose ${chosen.via}; fastest measured: ${best?.name ?? '?'}`);
  }
}

/** perf_hooks.monitorEventLoopDelay p99 while csvSumFileAsync sums the file, and while csvSumFile blocks. */
export async function eventLoopDelay(ctx: SuiteContext, file: string, size: number, want: bigint): Promise<void> {
  const group = `event loop delay (p99) while the ${(size / MiB).toFixed(0)} MiB file is summed`;
  const rounds = ctx.quick ? 1 : 5;
  const measure = async (name: string, run: () => Promise<unknown>): Promise<void> => {
    const h = monitorEventLoopDelay({ resolution: 1 });
    // A timer keeps the loop ticking so a blocked turn shows as delay.
    const timer = setInterval(() => undefined, 1);
    h.enable();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) await run();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    h.disable();
    clearInterval(timer);
    ctx.record({
      group,
      name,
      value: h.percentile(99) / 1e6,
      unit: 'ms p99',
      gbPerSec: (size * rounds) / seconds / 1e9,
      bytes: size,
      note: `max ${(h.max / 1e6).toFixed(1)} ms over ${rounds} sums; load ${load()}`,
    });
  };
  ctx.check('csvSumFileAsync gives the sum', (await csvSumFileAsync(file)).sum === want);
  await measure('csvSumFileAsync (off the main thread)', () => csvSumFileAsync(file));
  await measure('csvSumFile (blocks the main thread)', async () => {
    csvSumFile(file);
    await new Promise((r) => setImmediate(r));
  });
}
