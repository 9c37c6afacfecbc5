import * as fs from 'node:fs';
import * as os from 'node:os';
import { fileResidency } from 'mmapkit';
import { ensureCold } from '../data';
import { filesystemOf } from '../machine';
import type { Suite } from '../types';
import { jsByteSum, nativeLoop } from './common';
import { scanTasks } from './01-scan-warm';

export const suite: Suite = {
  name: 'scan-cold',
  title: '2. Sequential scan of a cold file (evicted with posix_fadvise DONTNEED before each run)',
  // The data lives in os.tmpdir(); memory filesystems keep their pages, nothing can be evicted.
  available: () => {
    const where = filesystemOf(os.tmpdir());
    return /^(tmpfs|ramfs) /.test(where) ? `the data folder is on ${where}: its pages cannot be evicted, so there is no cold run (set TMPDIR to a disk)` : true;
  },
  async run(ctx) {
    const file = ctx.csvPath;
    const size = fs.statSync(file).size;
    let leftover = 0;
    const prepare = (): void => {
      leftover = Math.max(leftover, ensureCold(file));
    };
    prepare();
    ctx.check('eviction leaves nothing resident', fileResidency(file).resident === 0, `${fileResidency(file).resident} pages resident`);
    const native = scanTasks(file, size, 'native loop', nativeLoop, prepare, 'cold scan, native loop').filter((t) => !t.name.startsWith('read stream'));
    const js = scanTasks(file, size, 'JS loop', jsByteSum, prepare, 'cold scan, JS loop').filter((t) =>
      /^(mmap,|read\(\) 1 MiB|fs\.readFileSync)/.test(t.name),
    );
    const want = nativeLoop(fs.readFileSync(file));
    if (ctx.quick) {
      for (const task of [...native, ...js]) {
        prepare();
        ctx.check(`byte sum: ${task.name}`, (await task.fn()) === want);
      }
    }
    const opts = { iterations: ctx.quick ? 1 : 3, time: 0, warmup: 0 };
    await ctx.measure(native, opts);
    await ctx.measure(js, opts);
    ctx.check('nothing resident before every cold run', leftover === 0, `most pages left after eviction: ${leftover}`);
  },
};
