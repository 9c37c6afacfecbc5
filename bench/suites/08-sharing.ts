import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureWarm } from '../data';
import type { Suite } from '../types';

/** Reads /proc/<pid>/smaps_rollup: field → KiB. */
function rollup(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** A worker: maps (or reads) the file, reads every byte, says "ready <sum>", waits for stdin to close. */
function workerScript(mode: 'mmap' | 'read' | 'idle'): string {
  return `
const mk = require(${JSON.stringify(ROOT)});
const file = process.argv[1];
let sum = 0, keep;
if (${JSON.stringify(mode)} === 'mmap') { keep = mk.mapFile(file); sum = mk.scanByteSum(keep.buffer); }
else if (${JSON.stringify(mode)} === 'read') { keep = require('fs').readFileSync(file); sum = mk.scanByteSum(keep); }
process.stdout.write('ready ' + sum + '\\n');
process.stdin.on('data', () => {});
process.stdin.on('end', () => { if (keep && keep.unmap) keep.unmap(); process.exit(0); });
`;
}

async function startAll(n: number, mode: 'mmap' | 'read' | 'idle', file: string): Promise<{ children: ChildProcess[]; sums: string[] }> {
  const children: ChildProcess[] = [];
  const ready: Promise<string>[] = [];
  for (let i = 0; i < n; i++) {
    const c = spawn(process.execPath, ['-e', workerScript(mode), file], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(c);
    ready.push(
      new Promise((resolve, reject) => {
        let text = '';
        c.stdout!.on('data', (d: Buffer) => {
          text += d.toString();
          const m = /ready (\d+)/.exec(text);
          if (m) resolve(m[1]);
        });
        c.on('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
      }),
    );
  }
  return { children, sums: await Promise.all(ready) };
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve();
          c.on('exit', () => resolve());
          c.stdin!.end();
        }),
    ),
  );
}

export const suite: Suite = {
  name: 'sharing',
  title: "8. Sharing a large read-only file across N processes (the seed's model-file case): total PSS, mapping vs readFileSync",
  available: () => (fs.existsSync('/proc/self/smaps_rollup') ? true : 'needs /proc/<pid>/smaps_rollup (Linux 4.14+)'),
  async run(ctx) {
    const file = ctx.csvPath;
    const size = fs.statSync(file).size;
    const n = ctx.quick ? 2 : 4;
    ensureWarm(file);
    const results: Record<string, number> = {};
    for (const mode of ['idle', 'mmap', 'read'] as const) {
      ctx.log(`${n} workers, ${mode} …`);
      const { children, sums } = await startAll(n, mode, file);
      try {
        if (mode !== 'idle')
          ctx.check(
            `every ${mode} worker read the same bytes`,
            sums.every((s) => s === sums[0]),
            sums.join(' '),
          );
        let pss = 0;
        let pssFile = 0;
        let pssAnon = 0;
        for (const c of children) {
          const r = rollup(c.pid!);
          pss += r.Pss ?? 0;
          pssFile += r.Pss_File ?? 0;
          pssAnon += r.Pss_Anon ?? 0;
        }
        results[mode] = pss;
        const label =
          mode === 'idle' ? `${n} idle Node workers (no file)` : mode === 'mmap' ? `${n} workers that map the file` : `${n} workers that readFileSync the file`;
        ctx.record({
          group: `total PSS of ${n} processes, file ${(size / 2 ** 20).toFixed(0)} MiB`,
          name: label,
          value: Math.round(pss / 1024),
          unit: 'MiB',
          note: `Pss_File ${Math.round(pssFile / 1024)} MiB, Pss_Anon ${Math.round(pssAnon / 1024)} MiB`,
          baseline: mode === 'read',
        });
      } finally {
        await stopAll(children);
      }
    }
    const mmapExtra = (results.mmap - results.idle) / 1024;
    const readExtra = (results.read - results.idle) / 1024;
    ctx.record({
      group: 'memory the file costs all N processes together (PSS above idle workers)',
      name: 'mapping',
      value: Math.round(mmapExtra),
      unit: 'MiB',
      note: `file ${(size / 2 ** 20).toFixed(0)} MiB; ideal: 1× the file`,
    });
    ctx.record({
      group: 'memory the file costs all N processes together (PSS above idle workers)',
      name: 'readFileSync',
      value: Math.round(readExtra),
      unit: 'MiB',
      note: `ideal for copies: ${n}× the file`,
    });
    if (size >= 16 << 20)
      ctx.check(
        'mapped pages are shared: the mapping costs less than the copies',
        mmapExtra < readExtra,
        `${mmapExtra.toFixed(0)} vs ${readExtra.toFixed(0)} MiB`,
      );
  },
};
