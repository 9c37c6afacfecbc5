import * as fs from 'node:fs';
import { mapFile, type MapFileOptions } from 'mmapkit';
import { ensureWarm } from '../data';
import { folioInfo } from '../machine';
import type { BenchTask, Suite } from '../types';
import { jsByteSum, KiB, MiB, nativeLoop, readLoop, streamLoop } from './common';

/** Tasks for one loop (native or JS) over the warm file, every way of getting at its bytes. */
export function scanTasks(file: string, size: number, loopName: string, loop: (b: Uint8Array) => number, prepare: () => void, group: string): BenchTask[] {
  const viaMap = (opts: MapFileOptions) => () => {
    const m = mapFile(file, opts);
    try {
      return loop(m.buffer);
    } finally {
      m.unmap();
    }
  };
  const t = (name: string, fn: () => unknown, baseline = false): BenchTask => ({
    name: `${name}, ${loopName}`,
    group,
    bytes: size,
    fn,
    beforeEach: prepare,
    baseline,
  });
  return [
    t('mmap', viaMap({})),
    t('mmap populate', viaMap({ populate: true })),
    t('mmap sequential advice', viaMap({ advice: 'sequential' })),
    t('mmap huge-page advice', viaMap({ hugePages: true })),
    t('read() 64 KiB', () => readLoop(file, 64 * KiB, loop)),
    t('read() 1 MiB', () => readLoop(file, MiB, loop), true),
    t('read() 16 MiB', () => readLoop(file, 16 * MiB, loop)),
    t('fs.readFileSync', () => loop(fs.readFileSync(file))),
    t('read stream 1 MiB', async () => streamLoop(file, loop)),
  ];
}

export const suite: Suite = {
  name: 'scan-warm',
  title: '1. Sequential scan of a warm file: mmap vs read() vs readFileSync vs a stream',
  async run(ctx) {
    const file = ctx.csvPath;
    const size = fs.statSync(file).size;
    let worst = 100;
    const prepare = (): void => {
      worst = Math.min(worst, ensureWarm(file));
    };
    prepare();
    ctx.fact('folios', folioInfo(file).summary);
    // Every way of reading gives the same byte sum.
    const want = nativeLoop(fs.readFileSync(file));
    const native = scanTasks(file, size, 'native loop', nativeLoop, prepare, 'warm scan, native loop');
    const js = scanTasks(file, size, 'JS loop', jsByteSum, prepare, 'warm scan, JS loop');
    for (const task of [...native, ...js]) {
      const got = await task.fn();
      ctx.check(`byte sum: ${task.name}`, got === want, `got ${String(got)}, want ${want}`);
    }
    await ctx.measure(native);
    await ctx.measure(js);
    // The loop alone over bytes already in hand: a mapping's Buffer vs a readFileSync Buffer.
    const m = mapFile(file, { populate: true });
    const copy = fs.readFileSync(file);
    try {
      await ctx.measure([
        { name: 'JS loop over a readFileSync Buffer', group: 'loop only (bytes in hand)', bytes: size, fn: () => jsByteSum(copy), baseline: true },
        { name: "JS loop over a mapping's Buffer", group: 'loop only (bytes in hand)', bytes: size, fn: () => jsByteSum(m.buffer) },
        { name: 'native loop over a readFileSync Buffer', group: 'loop only (bytes in hand)', bytes: size, fn: () => nativeLoop(copy) },
        { name: "native loop over a mapping's Buffer", group: 'loop only (bytes in hand)', bytes: size, fn: () => nativeLoop(m.buffer) },
      ]);
    } finally {
      m.unmap();
    }
    // Where mmap overtakes read(): the same two ways over warm files of growing size.
    const sizes = ctx.quick ? [16 * KiB, 1 * MiB] : [16 * KiB, 256 * KiB, 4 * MiB, 64 * MiB, size];
    const crossover: string[] = [];
    let first: number | undefined;
    for (const bytes of sizes) {
      const f = bytes === size ? file : `${ctx.dataDir}/crossover-${bytes}.bin`;
      if (f !== file) {
        const fd = fs.openSync(file, 'r');
        const b = Buffer.alloc(bytes);
        fs.readSync(fd, b, 0, bytes, 0);
        fs.closeSync(fd);
        fs.writeFileSync(f, b);
      }
      const warmF = (): void => {
        worst = Math.min(worst, ensureWarm(f));
      };
      warmF();
      const label = bytes >= MiB ? `${+(bytes / MiB).toFixed(1)} MiB` : `${+(bytes / KiB).toFixed(1)} KiB`;
      const g = `crossover: warm file of ${label}, native loop`;
      const rows = await ctx.measure([
        {
          name: `read() 1 MiB, ${label}`,
          group: g,
          bytes,
          fn: () => readLoop(f, Math.min(MiB, Math.max(bytes, 4096)), nativeLoop),
          beforeEach: warmF,
          baseline: true,
        },
        {
          name: `mmap, ${label}`,
          group: g,
          bytes,
          fn: () => {
            const m = mapFile(f);
            try {
              return nativeLoop(m.buffer);
            } finally {
              m.unmap();
            }
          },
          beforeEach: warmF,
        },
        {
          name: `mmap populate, ${label}`,
          group: g,
          bytes,
          fn: () => {
            const m = mapFile(f, { populate: true });
            try {
              return nativeLoop(m.buffer);
            } finally {
              m.unmap();
            }
          },
          beforeEach: warmF,
        },
      ]);
      const rd = rows[0].gbPerSec ?? 0;
      const best = Math.max(rows[1].gbPerSec ?? 0, rows[2].gbPerSec ?? 0);
      crossover.push(`${label}: mmap ${(best / rd).toFixed(2)}x read()`);
      if (first === undefined && best >= rd) first = bytes;
    }
    const where =
      first === undefined
        ? 'mmap did not overtake read() at any size tried'
        : `mmap (best of plain / populate, map + scan + unmap per call) overtakes read() from about ${first >= MiB ? `${first / MiB} MiB` : `${first / KiB} KiB`}`;
    ctx.remark(`crossover: ${where} (${crossover.join('; ')})`);
    ctx.fact('crossover', where);
    ctx.check('file fully resident before every warm run', worst === 100, `lowest residency seen ${worst.toFixed(1)}%`);
  },
};
