import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mapFile } from 'mmapkit';
import type { BenchTask, Suite, SuiteContext } from '../types';

interface MmapIo {
  PROT_READ: number;
  MAP_SHARED: number;
  map(size: number, prot: number, flags: number, fd: number, offset?: number): Buffer;
}

/** npm-installs a package into the cache folder (once); returns the module or the reason it failed. */
function install(ctx: SuiteContext, spec: string, dirName: string, moduleName: string): { mod?: MmapIo; error?: string } {
  const dir = path.join(ctx.cacheDir, dirName);
  const modDir = path.join(dir, 'node_modules', moduleName);
  const failed = path.join(dir, 'FAILED');
  const tryLoad = (): { mod?: MmapIo; error?: string } => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const m = require(modDir) as MmapIo & { default?: MmapIo };
      return { mod: typeof m.map === 'function' ? m : m.default };
    } catch (err) {
      return { error: `installed but does not load: ${(err as Error).message.split('\n')[0]}` };
    }
  };
  if (fs.existsSync(failed)) return { error: fs.readFileSync(failed, 'utf8') };
  if (fs.existsSync(modDir)) {
    const r = tryLoad();
    if (r.mod) return r;
  }
  if (ctx.quick) return { error: 'not installed (the --quick mode does not install packages; run without --quick once)' };
  ctx.log(`installing ${spec} into ${dir} …`);
  fs.mkdirSync(dir, { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', dir, spec], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) {
    const lines = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n');
    const key = lines.find((l) => /error:|#error|ERR!.*(not found|gyp)/i.test(l) && !/npm error code/.test(l)) ?? lines.find((l) => /error/i.test(l)) ?? `npm exited with ${r.status}`;
    const reason = `does not build here: ${key.replace(/^npm error\s*/, '').trim().slice(0, 240)}`;
    fs.writeFileSync(failed, reason);
    return { error: reason };
  }
  return tryLoad();
}

export const suite: Suite = {
  name: 'map-overhead',
  title: '7. Mapping overhead: map + unmap of a small file per call, mmapkit vs the mmap-io family',
  async run(ctx) {
    const file = path.join(ctx.dataDir, 'small.bin');
    const size = 4096;
    fs.writeFileSync(file, Buffer.alloc(size, 0x5a));
    const fd = fs.openSync(file, 'r');
    const gc = (globalThis as { gc?: () => void }).gc;
    let calls = 0;
    // mmap-io unmaps when the garbage collector frees its Buffer, and its finalizers run in a
    // later task: collect and yield every 256 calls (untimed), or mappings pile up to ENOMEM.
    const collectNow = async (): Promise<void> => {
      if (++calls % 256 !== 0) return;
      gc?.();
      await new Promise((resolve) => setImmediate(resolve));
    };
    try {
      const buf = Buffer.alloc(size);
      const g = `${size} B file, per call`;
      const tasks: BenchTask[] = [
        { name: 'fs.readSync 4 KiB (fd kept open)', group: g, fn: () => { fs.readSync(fd, buf, 0, size, 0); return buf[100]; } },
        { name: 'mmapkit mapFile(fd) + read 1 byte + unmap()', group: g, fn: () => { const m = mapFile(fd); const v = m.buffer[100]; m.unmap(); return v; } },
        { name: 'mmapkit mapFile(path) + read 1 byte + unmap()', group: g, fn: () => { const m = mapFile(file); const v = m.buffer[100]; m.unmap(); return v; } },
        // The same terms as mmap-io below: the size given, no explicit unmap (the GC unmaps, untimed).
        {
          name: 'mmapkit mapFile(fd, { length }) + read 1 byte (unmapped by GC, not timed)',
          group: g,
          fn: () => mapFile(fd, { length: size }).buffer[100],
          afterEach: collectNow,
          note: 'same terms as mmap-io',
        },
      ];
      // Steady state: batches of 256 maps with an event-loop turn after each, timed whole, so the
      // cost of releasing the mappings is inside the figure whoever releases them (unmap() or the
      // garbage collector and its finalizers; nothing is forced here).
      const batch = 256;
      const steady = `${size} B file, steady state: ${batch} maps per batch + an event-loop turn, release included`;
      const batched = (one: () => number) => async (): Promise<number> => {
        let sum = 0;
        for (let i = 0; i < batch; i++) sum += one();
        await new Promise((resolve) => setImmediate(resolve));
        return sum;
      };
      const steadyTasks: BenchTask[] = [
        { name: 'mmapkit mapFile(fd, { length }) + read 1 byte + unmap()', group: steady, ops: batch, fn: batched(() => { const m = mapFile(fd, { length: size }); const v = m.buffer[100]; m.unmap(); return v; }) },
        { name: 'mmapkit mapFile(fd) + read 1 byte + unmap()', group: steady, ops: batch, fn: batched(() => { const m = mapFile(fd); const v = m.buffer[100]; m.unmap(); return v; }) },
        { name: 'mmapkit mapFile(fd, { length }) + read 1 byte, released by GC', group: steady, ops: batch, fn: batched(() => mapFile(fd, { length: size }).buffer[100]) },
      ];
      const ok = (v: unknown): boolean => v === 0x5a;
      ctx.check('mmapkit reads the mapped byte', ok(tasks[1].fn()) && ok(tasks[2].fn()) && ok(tasks[3].fn()));
      for (const [spec, dirName, modName] of [
        ['@riaskov/mmap-io@1.4.3', 'riaskov-mmap-io-1.4.3', '@riaskov/mmap-io'],
        ['mmap-io@1.1.7', 'mmap-io-1.1.7', 'mmap-io'],
      ] as const) {
        const r = install(ctx, spec, dirName, modName);
        if (!r.mod) {
          ctx.remark(`${spec}: ${r.error}`);
          ctx.fact(spec, r.error ?? 'unavailable');
          continue;
        }
        const mm = r.mod;
        ctx.fact(spec, 'builds and loads');
        const fn = (): number => mm.map(size, mm.PROT_READ, mm.MAP_SHARED, fd, 0)[100];
        ctx.check(`${spec} reads the mapped byte`, ok(fn()));
        tasks.push({
          name: `${spec} map(fd) + read 1 byte (unmapped by GC, not timed)`,
          group: g,
          fn,
          afterEach: collectNow,
          baseline: spec.startsWith('@riaskov'),
          note: 'no explicit unmap in its API',
        });
        steadyTasks.push({ name: `${spec} map(fd) + read 1 byte, released by GC`, group: steady, ops: batch, fn: batched(fn), baseline: spec.startsWith('@riaskov'), note: 'no explicit unmap in its API' });
      }
      if (!tasks.some((t) => t.baseline)) tasks[0].baseline = true;
      if (!steadyTasks.some((t) => t.baseline)) steadyTasks[0].baseline = true;
      const own = tasks.filter((t) => !t.name.includes('mmap-io'));
      await ctx.measure(own, { time: ctx.quick ? 0 : 1000 });
      for (const t of tasks.filter((x) => x.name.includes('mmap-io'))) {
        try {
          await ctx.measure([t], { time: ctx.quick ? 0 : 1000 });
        } catch (err) {
          ctx.remark(`${t.name}: failed while measured: ${(err as Error).message}`);
        }
      }
      for (const t of steadyTasks) {
        try {
          await ctx.measure([t], { time: ctx.quick ? 0 : 1000 });
        } catch (err) {
          ctx.remark(`${t.name}: failed while measured: ${(err as Error).message}`);
        }
      }
    } finally {
      fs.closeSync(fd);
    }
  },
};
