import { mapAnonymous, pageSize, scanByteSum, scanStrideSum, scanTouchWrite } from 'mmapkit';
import { smapsFields } from '../machine';
import type { BenchTask, Suite } from '../types';

export const suite: Suite = {
  name: 'tlb',
  title: '6. TLB: one byte per 4 KiB page vs sequential across a large mapping, 4 KiB pages vs transparent huge pages',
  async run(ctx) {
    const ps = pageSize();
    const len = ctx.quick ? 8 << 20 : 1 << 30;
    const pages = len / ps;
    const small = mapAnonymous(len, { populate: true });
    const huge = mapAnonymous(len, { hugePages: 'transparent' });
    try {
      small.advise('nohugepage');
      scanTouchWrite(small.buffer, ps);
      scanTouchWrite(huge.buffer, ps);
      const anonHuge = smapsFields(huge.address).AnonHugePages ?? 0;
      const anonHugeSmall = smapsFields(small.address).AnonHugePages ?? 0;
      ctx.fact('AnonHugePages of the huge-page mapping', `${anonHuge} kB of ${len / 1024} kB`);
      ctx.record({
        group: 'huge pages actually used (smaps AnonHugePages)',
        name: 'huge-page mapping',
        value: Math.round((100 * anonHuge) / (len / 1024)),
        unit: '%',
      });
      ctx.record({
        group: 'huge pages actually used (smaps AnonHugePages)',
        name: '4 KiB mapping (nohugepage)',
        value: Math.round((100 * anonHugeSmall) / (len / 1024)),
        unit: '%',
      });
      ctx.check(
        'both mappings read the same bytes',
        scanStrideSum(small.buffer, ps) === scanStrideSum(huge.buffer, ps) && scanByteSum(small.buffer) === scanByteSum(huge.buffer),
      );
      const g = `${len / 2 ** 20} MiB anonymous mapping, populated (no faults while timed)`;
      const tasks: BenchTask[] = [
        { name: 'one byte per 4 KiB page, 4 KiB pages', group: g + ': stride', ops: pages, fn: () => scanStrideSum(small.buffer, ps), baseline: true },
        { name: 'one byte per 4 KiB page, huge pages', group: g + ': stride', ops: pages, fn: () => scanStrideSum(huge.buffer, ps) },
        {
          name: 'one byte per 4 KiB page + 64 B, 4 KiB pages',
          group: g + ': stride',
          ops: Math.floor(len / (ps + 64)),
          fn: () => scanStrideSum(small.buffer, ps + 64),
        },
        {
          name: 'one byte per 4 KiB page + 64 B, huge pages',
          group: g + ': stride',
          ops: Math.floor(len / (ps + 64)),
          fn: () => scanStrideSum(huge.buffer, ps + 64),
        },
        { name: 'sequential, every byte, 4 KiB pages', group: g + ': sequential', bytes: len, fn: () => scanByteSum(small.buffer), baseline: true },
        { name: 'sequential, every byte, huge pages', group: g + ': sequential', bytes: len, fn: () => scanByteSum(huge.buffer) },
      ];
      await ctx.measure(tasks);
    } finally {
      small.unmap();
      huge.unmap();
    }
  },
};
