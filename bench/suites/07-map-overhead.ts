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
    const key =
      lines.find((l) => /error:|#error|ERR!.*(not found|gyp)/i.test(l) && !/npm error code/.test(l)) ??
      lines.find((l) => /error/i.test(l)) ??
      `npm exited with ${r.status}`;
    const reason = `does not build here: ${key
      .replace(/^npm error\s*/, '')
      .trim()
      .slice(0, 240)}`;
    fs.writeFileSync(failed, reason);
    return { error: reason };
  }
  return tryLoad();
}

// The floor under any binding: the same map + read one byte + munmap of the same file, in C.
const RAW_C = `
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
int main(int argc, char** argv) {
  int fd = open(argv[1], O_RDONLY);
  long total = atol(argv[2]), rounds = atol(argv[3]);
  if (fd < 0) return 1;
  for (long r = 0; r < rounds; r++) {
    long sum = 0;
    double t0 = now();
    for (long i = 0; i < total; i++) {
      volatile unsigned char* p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
      if (p == MAP_FAILED) return 2;
      sum += p[100];
      munmap((void*)p, 4096);
    }
    printf("%.1f %ld\\n", (now() - t0) / total, sum);
  }
  return 0;
}
`;

/** Builds and runs RAW_C: nanoseconds per map of each round (the first one a warm-up), or why not. */
function rawC(ctx: SuiteContext, file: string, total: number, rounds: number): { ns: number[]; sums: number[] } | { error: string } {
  const src = path.join(ctx.dataDir, 'raw-map.c');
  const exe = path.join(ctx.dataDir, 'raw-map');
  fs.writeFileSync(src, RAW_C);
  const cc = spawnSync('cc', ['-O2', '-o', exe, src], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) return { error: `no C compiler here (cc: ${cc.error?.message ?? cc.stderr.trim().split('\n')[0]})` };
  const r = spawnSync(exe, [file, String(total), String(rounds)], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) return { error: `the C program failed (status ${r.status})` };
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => l.split(' ').map(Number));
  return { ns: lines.map((l) => l[0]), sums: lines.map((l) => l[1]) };
}

export const suite: Suite = {
  name: 'map-overhead',
  title: '7. Mapping overhead: map + unmap of a small file per call, mmapkit vs the mmap-io family',
  async run(ctx) {
    const file = path.join(ctx.dataDir, 'small.bin');
    const size = 4096;
    fs.writeFileSync(file, Buffer.alloc(size, 0x5a));
    const fd = fs.openSync(file, 'r');
    const gc = (globalThis as { gc?: (options?: { type?: 'minor' | 'major' }) => void }).gc;
    let calls = 0;
    // mmap-io unmaps when the garbage collector frees its Buffer, and its finalizers run in a
    // later task: collect and yield every 256 calls (untimed), or mappings pile up to ENOMEM.
    // A young-generation collection frees them all (they are young), as it would unforced; a
    // forced full collection every 256 calls would also throw away V8's type feedback for the
    // JavaScript side of a call (mapFile's and the Mapping's), and time re-optimizing it.
    const collectNow = async (): Promise<void> => {
      if (++calls % 256 !== 0) return;
      gc?.({ type: 'minor' });
      await new Promise((resolve) => setImmediate(resolve));
    };
    try {
      const buf = Buffer.alloc(size);
      const g = `${size} B file, per call`;
      const tasks: BenchTask[] = [
        {
          name: 'fs.readSync 4 KiB (fd kept open)',
          group: g,
          fn: () => {
            fs.readSync(fd, buf, 0, size, 0);
            return buf[100];
          },
        },
        {
          name: 'mmapkit mapFile(fd) + read 1 byte + unmap()',
          group: g,
          fn: () => {
            const m = mapFile(fd);
            const v = m.buffer[100];
            m.unmap();
            return v;
          },
        },
        {
          name: 'mmapkit mapFile(fd, { length }) + read 1 byte + unmap()',
          group: g,
          fn: () => {
            const m = mapFile(fd, { length: size });
            const v = m.buffer[100];
            m.unmap();
            return v;
          },
        },
        {
          name: 'mmapkit mapFile(path) + read 1 byte + unmap()',
          group: g,
          fn: () => {
            const m = mapFile(file);
            const v = m.buffer[100];
            m.unmap();
            return v;
          },
        },
        // The same terms as mmap-io below: the size given, no explicit unmap (the GC unmaps, untimed).
        {
          name: 'mmapkit mapFile(fd, { length }) + read 1 byte (unmapped by GC, not timed)',
          group: g,
          fn: () => mapFile(fd, { length: size }).buffer[100],
          afterEach: collectNow,
          note: 'same terms as mmap-io',
        },
      ];
      // Steady state: many maps in batches of 256 with an event-loop turn after each, timed whole
      // and then drained (collect and turn until none of them is mapped any more, also timed), so
      // releasing the mappings is inside the figure whoever releases them: unmap(), or the garbage
      // collector and its finalizers. The mean over all maps, not a median call, is reported.
      const batch = 256;
      const steady = `${size} B file, steady state: ${batch} maps per batch + an event-loop turn, then drained; release included`;
      const stillMapped = (): number =>
        fs
          .readFileSync('/proc/self/maps', 'utf8')
          .split('\n')
          .filter((l) => l.endsWith(file)).length;
      const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
      const steadyRuns: { name: string; one: () => number; baseline?: boolean; note?: string }[] = [
        {
          name: 'mmapkit mapFile(fd, { length }) + read 1 byte + unmap()',
          one: () => {
            const m = mapFile(fd, { length: size });
            const v = m.buffer[100];
            m.unmap();
            return v;
          },
        },
        {
          name: 'mmapkit mapFile(fd) + read 1 byte + unmap()',
          one: () => {
            const m = mapFile(fd);
            const v = m.buffer[100];
            m.unmap();
            return v;
          },
        },
        { name: 'mmapkit mapFile(fd, { length }) + read 1 byte, released by GC', one: () => mapFile(fd, { length: size }).buffer[100] },
      ];
      // One run of one variant: total nanoseconds per map, and how many were still mapped when its
      // loop ended (what the drain had left to release).
      const steadyMedians = new Map<string, number>();
      const steadyRun = async (one: () => number, total: number): Promise<{ ns: number; left: number; sum: number }> => {
        let sum = 0;
        let ns = 0n;
        let t0 = process.hrtime.bigint();
        for (let done = 0; done < total; done += batch) {
          for (let i = 0; i < batch; i++) sum += one();
          await turn();
        }
        ns += process.hrtime.bigint() - t0;
        const left = stillMapped();
        for (let round = 0; round < 100; round++) {
          t0 = process.hrtime.bigint();
          gc?.();
          await turn();
          await turn();
          ns += process.hrtime.bigint() - t0;
          if (stillMapped() === 0) break;
        }
        return { ns: Number(ns) / total, left, sum };
      };
      // The variants take turns, round after round (the first round warms up), so that whatever
      // the machine or the heap does over time falls on all of them alike; the median is kept.
      const measureSteady = async (): Promise<void> => {
        const total = ctx.quick ? 2 * batch : 200 * batch;
        const rounds = ctx.quick ? 1 : 6;
        const runs = steadyRuns.map(() => [] as number[]);
        const left = steadyRuns.map(() => 0);
        for (let round = 0; round < rounds; round++) {
          for (const [i, r] of steadyRuns.entries()) {
            const got = await steadyRun(r.one, total);
            if (got.sum !== total * 0x5a) ctx.check(`steady state, ${r.name}: every map reads the file's byte`, false, `sum ${got.sum}, want ${total * 0x5a}`);
            left[i] = Math.max(left[i], got.left);
            if (round > 0 || ctx.quick) runs[i].push(got.ns);
          }
        }
        for (const [i, r] of steadyRuns.entries()) {
          const sorted = runs[i].sort((a, b) => a - b);
          const median = sorted[Math.floor(sorted.length / 2)];
          steadyMedians.set(r.name, median);
          ctx.record({
            group: steady,
            name: r.name,
            nsPerOp: median,
            ops: total,
            samples: sorted.length,
            ...(r.baseline ? { baseline: true } : {}),
            note: `${r.note ? `${r.note}; ` : ''}${sorted.length} runs of ${total} maps, ${(sorted[0] / 1000).toFixed(2)}–${(sorted[sorted.length - 1] / 1000).toFixed(2)} µs; up to ${left[i]} still mapped as a loop ended`,
          });
          ctx.log(
            `${steady} | ${r.name}: ${(median / 1000).toFixed(2)} µs per map (runs ${sorted.map((x) => (x / 1000).toFixed(2)).join(' ')}), up to ${left[i]} left for the drain`,
          );
        }
      };
      const ok = (v: unknown): boolean => v === 0x5a;
      ctx.check(
        'mmapkit reads the mapped byte',
        tasks.slice(1).every((t) => ok(t.fn())),
      );
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
        steadyRuns.push({
          name: `${spec} map(fd) + read 1 byte, released by GC`,
          one: fn,
          baseline: spec.startsWith('@riaskov'),
          note: 'no explicit unmap in its API',
        });
      }
      if (!tasks.some((t) => t.baseline)) tasks[0].baseline = true;
      if (!steadyRuns.some((t) => t.baseline)) steadyRuns[0].baseline = true;
      try {
        await measureSteady();
      } catch (err) {
        ctx.remark(`steady state: failed while measured: ${(err as Error).message}`);
      }
      // The C floor, in rounds of the same size as the steady state's (the first one warms up).
      const cTotal = ctx.quick ? 2 * batch : 200 * batch;
      const c = rawC(ctx, file, cTotal, ctx.quick ? 1 : 6);
      if ('error' in c) {
        ctx.remark(`raw C map + unmap: ${c.error}`);
      } else {
        ctx.check(
          'the C program reads the mapped byte',
          c.sums.every((x) => x === cTotal * 0x5a),
          `sums ${c.sums.join(' ')}`,
        );
        const sorted = (ctx.quick ? c.ns : c.ns.slice(1)).sort((a, b) => a - b);
        const median = sorted[Math.floor(sorted.length / 2)];
        ctx.record({
          group: steady,
          name: 'C: mmap + read 1 byte + munmap (no JavaScript, the floor)',
          nsPerOp: median,
          ops: cTotal,
          samples: sorted.length,
          note: `${sorted.length} runs of ${cTotal} maps, ${(sorted[0] / 1000).toFixed(2)}–${(sorted[sorted.length - 1] / 1000).toFixed(2)} µs`,
        });
        const own = steadyMedians.get(steadyRuns[0].name);
        if (own !== undefined) {
          ctx.fact('map + unmap vs raw C', `${(own / median).toFixed(2)}× (${(own / 1000).toFixed(2)} vs ${(median / 1000).toFixed(2)} µs)`);
          ctx.log(`map-overhead | ${steadyRuns[0].name}: ${(own / median).toFixed(2)}× the C floor`);
        }
      }
      const own = tasks.filter((t) => !t.name.includes('mmap-io'));
      await ctx.measure(own, { time: ctx.quick ? 0 : 1000 });
      for (const t of tasks.filter((x) => x.name.includes('mmap-io'))) {
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
