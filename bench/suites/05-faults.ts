import * as fs from 'node:fs';
import * as path from 'node:path';
import { mapAnonymous, mapFile, pageSize, scanStrideSum, scanTouchWrite, type Mapping } from 'mmapkit';
import { ensureCold, ensureWarm } from '../data';
import type { BenchTask, Suite } from '../types';

export const suite: Suite = {
  name: 'faults',
  title: '5. Page faults: one byte per page of a fresh mapping, file-backed and anonymous, with and without populate',
  async run(ctx) {
    const ps = pageSize();
    const len = ctx.quick ? 1 << 20 : 64 << 20;
    const pages = len / ps;
    const file = path.join(ctx.dataDir, 'faults.bin');
    fs.writeFileSync(file, Buffer.alloc(len, 1));
    const warm = (): void => {
      ensureWarm(file);
    };
    const cold = (): void => {
      ensureCold(file);
    };
    const once = (make: () => Mapping, touch: (m: Mapping) => unknown) => () => {
      const m = make();
      try {
        return touch(m);
      } finally {
        m.unmap();
      }
    };
    const read = (m: Mapping): number => scanStrideSum(m.buffer, ps);
    const write = (m: Mapping): void => scanTouchWrite(m.buffer, ps);
    const g = `one byte per page of ${len / 2 ** 20} MiB (${pages} pages), map + touch + unmap`;
    const tasks: BenchTask[] = [
      { name: 'file (warm), read touch', group: g, ops: pages, fn: once(() => mapFile(file), read), beforeEach: warm, baseline: true },
      { name: 'file (warm), populate, read touch', group: g, ops: pages, fn: once(() => mapFile(file, { populate: true }), read), beforeEach: warm },
      { name: 'file (warm), private, write touch (COW)', group: g, ops: pages, fn: once(() => mapFile(file, { mode: 'private' }), write), beforeEach: warm },
      { name: 'file (cold), read touch', group: g, ops: pages, fn: once(() => mapFile(file), read), beforeEach: cold },
      { name: 'anonymous, read touch (zero page)', group: g, ops: pages, fn: once(() => mapAnonymous(len), read) },
      { name: 'anonymous, write touch', group: g, ops: pages, fn: once(() => mapAnonymous(len), write) },
      { name: 'anonymous, populate, write touch', group: g, ops: pages, fn: once(() => mapAnonymous(len, { populate: true }), write) },
      { name: 'anonymous, huge-page advice, write touch', group: g, ops: pages, fn: once(() => mapAnonymous(len, { hugePages: 'transparent' }), write) },
    ];
    // Sanity: the touches read what the file holds.
    ctx.check('read touch sees the file bytes', once(() => mapFile(file), read)() === pages);
    const rows = await ctx.measure(tasks, { iterations: ctx.quick ? 1 : 5, time: ctx.quick ? 0 : 500 });
    for (const r of rows) {
      const faults = (r.minorFaults ?? 0) + (r.majorFaults ?? 0);
      if (faults >= 1 && r.nsPerOp !== undefined) {
        ctx.record({
          group: 'cost per fault (time per call / faults per call)',
          name: r.name,
          value: Math.round((r.nsPerOp * pages) / faults),
          unit: 'ns/fault',
          note: `${Math.round(r.minorFaults ?? 0)} minor + ${Math.round(r.majorFaults ?? 0)} major per call`,
        });
      }
    }
    const fileRow = rows.find((r) => r.name === 'file (warm), read touch');
    ctx.check('a fresh file mapping faults when touched (getrusage minor faults > 0)', (fileRow?.minorFaults ?? 0) > 0);
  },
};
