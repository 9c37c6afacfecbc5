import * as fs from 'node:fs';
import { mapFile, type MapFileOptions } from 'mmapkit';
import { ensureWarm, folioInfo } from '../harness';
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
  const t = (name: string, fn: () => unknown, baseline = false): BenchTask => ({ name: `${name}, ${loopName}`, group, bytes: size, fn, beforeEach: prepare, baseline });
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
    ctx.check('file fully resident before every warm run', worst === 100, `lowest residency seen ${worst.toFixed(1)}%`);
  },
};
