// Channels and the mutex across real processes: a million messages checked one by one (order,
// checksums, no loss, no duplicates), producers SIGKILLed at random moments, a mutex whose owner
// is killed. Peers are test/support/ipc-peer.js, each a process of its own.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createChannel, openSharedMemory, unlinkSharedMemory } from '../lib';
import { ROOT } from './support/helpers';

const PEER = path.join(ROOT, 'test', 'support', 'ipc-peer.js');
const names: string[] = [];
const uniq = (tag: string): string => {
  const n = `/mmapkit-test-${tag}-${process.pid}-${names.length}`;
  names.push(n);
  return n;
};
afterAll(() => {
  for (const n of names) {
    try {
      unlinkSharedMemory(n);
    } catch {
      /* already gone */
    }
  }
});

interface Peer {
  child: ChildProcess;
  lines: AsyncIterator<Record<string, unknown>>;
  done: Promise<{ code: number | null; signal: string | null; stderr: string }>;
}

/** Starts a peer; its stdout is read as JSON lines (or the raw line, as {line}). */
function peer(...args: string[]): Peer {
  const child = spawn(process.execPath, [PEER, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const queue: Record<string, unknown>[] = [];
  const waiting: ((v: IteratorResult<Record<string, unknown>>) => void)[] = [];
  let buf = '';
  let ended = false;
  child.stdout!.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let v: Record<string, unknown>;
      try {
        v = JSON.parse(line);
      } catch {
        v = { line };
      }
      const w = waiting.shift();
      if (w) w({ value: v, done: false });
      else queue.push(v);
    }
  });
  const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => {
      ended = true;
      for (const w of waiting.splice(0)) w({ value: undefined, done: true });
      resolve({ code, signal, stderr });
    });
  });
  const lines: AsyncIterator<Record<string, unknown>> = {
    next: () => {
      const v = queue.shift();
      if (v) return Promise.resolve({ value: v, done: false });
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
  return { child, lines, done };
}

async function line(p: Peer): Promise<Record<string, unknown>> {
  const r = await p.lines.next();
  if (r.done) {
    const d = await p.done;
    throw new Error(`peer ended (${d.code} ${d.signal}) without a line: ${d.stderr}`);
  }
  return r.value;
}

async function finished(p: Peer): Promise<Record<string, unknown>> {
  const v = await line(p);
  const d = await p.done;
  expect(d.stderr).toBe('');
  expect(d.code).toBe(0);
  return v;
}

describe('channel: a million messages between processes', () => {
  it('SPSC, 2 processes x 1 000 000 messages: none lost, duplicated, reordered or torn', async () => {
    const name = uniq('spsc');
    // The test holds a producer end open (sending nothing) until the real producer is done, so the
    // consumer's end-of-stream (ERR_MMAPKIT_CHANNEL_CLOSED) cannot come before the producer attaches.
    const ch = createChannel({ name, role: 'producer', capacity: 1 << 16 });
    const c = peer('consumer', name, '1', '1000000');
    const p = peer('producer', name, '0', '1000000');
    expect(await finished(p)).toEqual({ sent: 1000000 });
    ch.close();
    expect(await finished(c)).toEqual({ got: 1000000, dups: 0 });
  }, 180_000);

  it('MPMC, 4 producers and 2 consumers x 1 000 000 messages: each exactly once, in order per producer', async () => {
    const name = uniq('mpmc');
    const bitsName = uniq('bits');
    const ch = createChannel({ name, role: 'producer', capacity: 1 << 16, mode: 'mpmc' });
    const per = 250000;
    const bits = openSharedMemory(bitsName, { create: true, size: (4 * per) / 8 });
    bits.close();
    const consumers = [peer('consumer', name, '4', String(per), bitsName), peer('consumer', name, '4', String(per), bitsName)];
    const producers = [0, 1, 2, 3].map((id) => peer('producer', name, String(id), String(per)));
    for (const p of producers) expect(await finished(p)).toEqual({ sent: per });
    ch.close();
    const results = await Promise.all(consumers.map(finished));
    expect(results.reduce((s, r) => s + (r.got as number), 0)).toBe(4 * per);
    expect(results.map((r) => r.dups)).toEqual([0, 0]);
    const m = openSharedMemory(bitsName).map();
    const words = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, m.length / 4);
    expect(words.every((w) => w === -1)).toBe(true); // every message was received
    m.unmap();
  }, 240_000);
});

describe('channel: producers SIGKILLed at random moments', () => {
  const TRIALS = Number(process.env.MMAPKIT_KILL_TRIALS ?? 1000);
  const LANES = 8;

  it(`${TRIALS} trials: only whole messages, death noticed within 1 s, channel usable after reset`, async () => {
    const started = performance.now();
    const per = Math.ceil(TRIALS / LANES);
    const latencies: number[] = [];
    const counts: number[] = [];
    await Promise.all(
      Array.from({ length: LANES }, async (_, lane) => {
        const trials = Math.min(per, TRIALS - lane * per);
        if (trials <= 0) return;
        const name = uniq(`kill${lane}`);
        createChannel({ name, role: 'consumer', capacity: 1 << 15, mode: lane % 4 === 3 ? 'mpmc' : 'spsc' }).close();
        const consumer = peer('kill-consumer', name, String(trials));
        expect(await line(consumer)).toEqual({ ready: true });
        let next = peer('kill-producer', name);
        for (let t = 0; t < trials; t++) {
          const p = next;
          if (t + 1 < trials) next = peer('kill-producer', name); // starts while this trial runs
          p.child.stdin!.write('go\n');
          expect((await line(p)).line).toBe('sending');
          await new Promise((r) => setTimeout(r, Math.random() * 20));
          const killedAt = performance.timeOrigin + performance.now();
          p.child.kill('SIGKILL');
          const report = await line(consumer);
          expect(report.trial).toBe(t);
          latencies.push((report.detected as number) - killedAt);
          counts.push(report.messages as number);
          expect((await p.done).signal).toBe('SIGKILL');
        }
        const d = await consumer.done;
        expect(d.stderr).toBe('');
        expect(d.code).toBe(0);
      }),
    );
    latencies.sort((a, b) => a - b);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${TRIALS} kill trials in ${seconds.toFixed(1)} s; detection p50 ${latencies[latencies.length >> 1].toFixed(0)} ms, max ${latencies[latencies.length - 1].toFixed(0)} ms; messages per trial median ${counts.sort((a, b) => a - b)[counts.length >> 1]}`,
    );
    expect(latencies.length).toBe(TRIALS);
    // Consumers re-check their peers every 50 ms: death is noticed well within 1 s. On a machine
    // loaded many times over its cores a process may wait its turn for longer than that, so the
    // bound is on the 99th percentile, and every trial must still notice (none waits forever).
    expect(latencies[Math.floor(latencies.length * 0.99)]).toBeLessThan(1000);
    expect(latencies[latencies.length - 1]).toBeLessThan(5000);
    expect(counts.some((c) => c > 0)).toBe(true);
  }, 900_000);
});

describe('mutex across processes', () => {
  it('2 processes x 1 000 000 lock / increment / unlock: the exact total', async () => {
    const name = uniq('mutex');
    const shm = openSharedMemory(name, { create: true, size: 4096 });
    const m = shm.map();
    shm.close();
    const a = peer('mutex', name, '1000000');
    const b = peer('mutex', name, '1000000');
    expect(await finished(a)).toEqual({ done: 1000000 });
    expect(await finished(b)).toEqual({ done: 1000000 });
    expect(m.buffer.readInt32LE(16)).toBe(2000000);
    m.unmap();
  }, 180_000);
});
