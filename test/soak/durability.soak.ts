// 1 000 trials of MAP_SHARED write + msync, then SIGKILL at a random moment (test/core.processes
// .test.ts's durability check, at full size): every byte synced before the kill is in the file.
//
// Each trial's child maps a 64-page file MAP_SHARED and, round after round, writes the round's
// number into every 32-bit word, syncs (msync MS_SYNC) and only then reports the round on stdout.
// The parent kills it with SIGKILL at a random moment (0 to 60 ms after its first report), then
// reads the file: every word must hold at least the last reported round (a later round may have
// been cut short by the kill, which is fine). Trials run two at a time.
//
// MMAPKIT_SOAK_DURABILITY_TRIALS sets the number of trials (default 1 000), MMAPKIT_SOAK_SEED
// the seed of the kill moments.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../support/helpers';
import { report } from './report';

const TRIALS = Number(process.env.MMAPKIT_SOAK_DURABILITY_TRIALS ?? 1000);
const SEED = process.env.MMAPKIT_SOAK_SEED !== undefined ? Number(process.env.MMAPKIT_SOAK_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
const PARALLEL = 2;
const SIZE = 64 * 4096;
const dir = tempDir('mmapkit-soak-durable-');
const script = path.join(dir, 'writer.js');
fs.writeFileSync(
  script,
  `
  const mk = require(${JSON.stringify(ROOT)});
  const m = mk.mapFile(process.argv[2], { mode: 'readwrite' });
  const words = new Uint32Array(m.buffer.buffer, m.buffer.byteOffset, m.length / 4);
  let round = 0;
  const step = () => {
    round++;
    words.fill(round);
    m.sync();
    process.stdout.write(round + '\\n');
    setImmediate(step);
  };
  step();
`,
);

/** mulberry32: the kill moments, reproducible from the seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Trial {
  n: number;
  delayMs: number;
  last: number;
  signal: string | null;
  lost: number;
  firstBad: number;
  stderr: string;
}

function trial(n: number, delayMs: number): Promise<Trial> {
  const file = path.join(dir, `durable-${n}.bin`);
  fs.writeFileSync(file, Buffer.alloc(SIZE));
  const child = spawn(process.execPath, [script, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let last = 0;
  let pending = '';
  let stderr = '';
  let timer: NodeJS.Timeout | undefined;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.on('data', (d: Buffer) => {
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) if (l) last = Math.max(last, Number(l));
    if (!timer && last > 0) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
  });
  return new Promise((resolve) => {
    child.on('close', () => {
      if (timer) clearTimeout(timer);
      const data = fs.readFileSync(file);
      const words = new Uint32Array(data.buffer, data.byteOffset, SIZE / 4);
      let lost = 0;
      let firstBad = -1;
      for (let i = 0; i < words.length; i++) {
        if (words[i] < last) {
          lost += 4;
          if (firstBad < 0) firstBad = i * 4;
        }
      }
      fs.rmSync(file, { force: true });
      resolve({ n, delayMs, last, signal: child.signalCode, lost, firstBad, stderr });
    });
  });
}

describe('soak: durability of synced writes across SIGKILL', () => {
  it(`${TRIALS} trials of MAP_SHARED write + msync, SIGKILL at a random moment: no synced byte lost`, async () => {
    const t0 = Date.now();
    const random = rng(SEED);
    const delays = Array.from({ length: TRIALS }, () => Math.floor(random() * 61));
    const results: Trial[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < TRIALS) {
        const n = next++;
        results.push(await trial(n, delays[n]));
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    const killed = results.filter((r) => r.signal === 'SIGKILL').length;
    const bad = results.filter((r) => r.lost > 0 || r.signal !== 'SIGKILL' || r.last < 1);
    const lost = results.reduce((a, r) => a + r.lost, 0);
    const rounds = results.reduce((a, r) => a + r.last, 0);
    const secs = ((Date.now() - t0) / 1000).toFixed(0);
    const line = `soak: ${TRIALS} SIGKILL trials of MAP_SHARED write + msync (${rounds} synced rounds of ${SIZE / 1024} KiB, seed ${SEED}), ${lost} synced bytes lost, ${killed} processes killed mid-run (${secs} s)`;
    const detail = bad
      .slice(0, 10)
      .map(
        (r) =>
          `  trial ${r.n} (kill ${r.delayMs} ms after the first round): ended by ${r.signal ?? 'exit'}, last synced round ${r.last}, ${r.lost} bytes below it${r.firstBad >= 0 ? ` from offset ${r.firstBad}` : ''}${r.stderr ? `; stderr: ${r.stderr.slice(0, 200)}` : ''}`,
      )
      .join('\n');
    report(line, detail);
    expect(bad.length, `${line}\n${detail}`).toBe(0);
    expect(lost).toBe(0);
  }, 3_600_000);
});
