import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createChannel, openSharedMemory, unlinkSharedMemory, type OwnedChannel } from 'mmapkit';
import type { Suite, SuiteContext } from '../types';
import type { PeerConfig, Transport } from './ipc-peer';

const PEER = path.join(__dirname, 'ipc-peer.js');
const SIZES = [8, 64, 4096, 1 << 20];
const sizeName = (s: number): string => (s >= 1 << 20 ? `${s >> 20} MiB` : s >= 1024 ? `${s >> 10} KiB` : `${s} B`);

interface Result {
  msgsPerSec: number;
  bytesPerSec: number;
  p50: number;
  p99: number;
}

/** The control link to a peer: its messages as a queue, and how to stop it. */
interface Link {
  next(): Promise<unknown>;
  post(m: unknown, transfer?: ArrayBuffer[]): void;
  stop(): Promise<void>;
}

function linkTo(where: 'process' | 'worker', cfg: PeerConfig): Link {
  const queue: unknown[] = [];
  const waiters: ((m: unknown) => void)[] = [];
  const push = (m: unknown): void => {
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  };
  const next = (): Promise<unknown> => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r)));
  if (where === 'worker') {
    const w = new Worker(PEER, { workerData: { ipcPeer: cfg } });
    w.on('message', push);
    w.on('error', (e) => push(e));
    return { next, post: (m, t) => w.postMessage(m, t ?? []), stop: async () => void (await w.terminate()) };
  }
  const c = fork(PEER, [JSON.stringify(cfg)], {
    serialization: cfg.transport === 'json' ? 'json' : 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  c.on('message', push);
  return {
    next,
    post: (m) => c.send(m as never),
    stop: () =>
      new Promise((r) => {
        if (c.exitCode !== null || c.signalCode !== null) return r();
        c.once('exit', () => r());
        c.kill();
      }),
  };
}

const now = (): number => performance.now();
function percentiles(ns: number[]): [number, number] {
  ns.sort((a, b) => a - b);
  return [ns[Math.floor(ns.length * 0.5)], ns[Math.min(ns.length - 1, Math.floor(ns.length * 0.99))]];
}

let unique = 0;
async function runOne(
  ctx: SuiteContext,
  where: 'process' | 'worker',
  transport: Transport,
  size: number,
  count: number,
  rounds: number,
  rtts: number,
): Promise<Result | undefined> {
  const cfg: PeerConfig = { transport, size, count: transport === 'futex' ? 0 : count, rounds, rtts };
  const payload = Buffer.alloc(size, 1);
  const rtt: number[] = [];
  /** Milliseconds of each throughput round; the first warms up (JIT, the ring's first faults). */
  const times: number[] = [];
  const cleanup: (() => void)[] = [];
  try {
    if (transport === 'channel' || transport === 'channel-zc') {
      const capacity = Math.max(1 << 20, 4 * size + 64);
      // Workers too use POSIX shared memory, as processes do: a channel over a SharedArrayBuffer
      // works the same, but V8 copies into one with word-wide relaxed stores (25 GB/s here, against
      // 43 GB/s into a mapping), which would be what the 1 MiB rows measured.
      const names: [string, string] = [`/mmapkit-bench-${process.pid}-${unique++}`, `/mmapkit-bench-${process.pid}-${unique++}`];
      const out: OwnedChannel = createChannel({ name: names[0], role: 'producer', capacity });
      const back: OwnedChannel = createChannel({ name: names[1], role: 'consumer', capacity });
      cleanup.push(() => names.forEach((n) => unlinkSharedMemory(n)));
      cfg.names = names;
      cleanup.push(() => {
        out.close();
        back.close();
      });
      const link = linkTo(where, cfg);
      cleanup.push(() => void link.stop());
      await link.next();
      const zc = transport === 'channel-zc';
      for (let r = 0; r < rounds; r++) {
        const t0 = now();
        for (let i = 0; i < count; i++) {
          if (zc) {
            out.reserve(size).set(payload);
            out.commit();
          } else out.send(payload);
        }
        back.receive();
        times.push(now() - t0);
      }
      for (let i = 0; i < rtts; i++) {
        const s = now();
        if (zc) {
          out.reserve(size).set(payload);
          out.commit();
          back.acquire();
          back.release();
        } else {
          out.send(payload);
          back.receive();
        }
        rtt.push(now() - s);
      }
    } else if (transport === 'futex') {
      let words: Int32Array;
      if (where === 'worker') {
        const sab = new SharedArrayBuffer(4);
        words = new Int32Array(sab);
        cfg.word = sab;
      } else {
        const name = `/mmapkit-bench-${process.pid}-${unique++}`;
        const shm = openSharedMemory(name, { create: true, size: 4096 });
        const m = shm.map();
        shm.close();
        cleanup.push(() => {
          unlinkSharedMemory(name);
          m.unmap();
        });
        words = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 1);
        cfg.word = name;
      }
      const link = linkTo(where, cfg);
      cleanup.push(() => void link.stop());
      await link.next();
      const { futexWait, futexWake } = await import('mmapkit');
      for (let i = 0; i < rtts; i++) {
        const s = now();
        Atomics.store(words, 0, 2 * i + 1);
        futexWake(words, 0);
        while (Atomics.load(words, 0) !== 2 * i + 2) futexWait(words, 0, 2 * i + 1);
        rtt.push(now() - s);
      }
    } else if (transport === 'uds') {
      const sockPath = path.join(os.tmpdir(), `mmapkit-bench-${process.pid}-${unique++}.sock`);
      const server = net.createServer();
      await new Promise<void>((r) => server.listen(sockPath, r));
      cleanup.push(() => {
        server.close();
        fs.rmSync(sockPath, { force: true });
      });
      cfg.socket = sockPath;
      const link = linkTo(where, cfg);
      cleanup.push(() => void link.stop());
      const conn = await new Promise<net.Socket>((r) => server.once('connection', r));
      await link.next();
      let want = 0;
      let have = 0;
      let wake: (() => void) | null = null;
      conn.on('data', (d: Buffer) => {
        have += d.length;
        if (wake && have >= want) {
          const w = wake;
          wake = null;
          w();
        }
      });
      const until = (bytes: number): Promise<void> =>
        new Promise((r) => {
          want = bytes;
          if (have >= want) r();
          else wake = r;
        });
      const frame = Buffer.alloc(4 + size, 1);
      frame.writeUInt32LE(size, 0);
      for (let r = 0; r < rounds; r++) {
        const t0 = now();
        for (let i = 0; i < count; i++) if (!conn.write(frame)) await new Promise((resolve) => conn.once('drain', resolve));
        await until(5 * (r + 1));
        times.push(now() - t0);
      }
      for (let i = 0; i < rtts; i++) {
        const s = now();
        conn.write(frame);
        await until(5 * rounds + (i + 1) * frame.length);
        rtt.push(now() - s);
      }
      conn.destroy();
    } else {
      const link = linkTo(where, cfg);
      cleanup.push(() => void link.stop());
      await link.next();
      const msg = (): unknown => {
        if (transport === 'json') return 'x'.repeat(size);
        if (transport === 'post-transfer') return new Uint8Array(size).fill(1);
        return payload;
      };
      const transfer = transport === 'post-transfer';
      for (let r = 0; r < rounds; r++) {
        const t0 = now();
        for (let i = 0; i < count; i++) {
          const m = msg();
          link.post(m, transfer ? [(m as Uint8Array).buffer as ArrayBuffer] : undefined);
        }
        await link.next();
        times.push(now() - t0);
      }
      for (let i = 0; i < rtts; i++) {
        const m = msg();
        const s = now();
        link.post(m, transfer ? [(m as Uint8Array).buffer as ArrayBuffer] : undefined);
        await link.next();
        rtt.push(now() - s);
      }
    }
  } finally {
    for (const f of cleanup.reverse()) f();
  }
  const [p50, p99] = percentiles(rtt.map((ms) => ms * 1000));
  // The median of the rounds after the warm-up (a single round under --quick counts as it is).
  const measured = times.length > 1 ? times.slice(1) : times;
  const elapsed = percentiles(measured)[0];
  const msgsPerSec = transport === 'futex' ? 0 : count / (elapsed / 1000);
  return { msgsPerSec, bytesPerSec: msgsPerSec * size, p50, p99 };
}

const PROCESS: Transport[] = ['channel', 'channel-zc', 'json', 'advanced', 'uds', 'futex'];
const WORKER: Transport[] = ['channel', 'channel-zc', 'post', 'post-transfer', 'futex'];
const LABEL: Record<Transport, string> = {
  channel: 'mmapkit Channel send/receive (copying)',
  'channel-zc': 'mmapkit Channel reserve/commit + acquire/release (zero-copy)',
  json: "process.send (serialization 'json', a string)",
  advanced: "process.send (serialization 'advanced', a Buffer)",
  post: 'worker postMessage (structured clone)',
  'post-transfer': 'worker postMessage (ArrayBuffer transferred)',
  uds: 'Unix domain socket (length-prefixed frames)',
  futex: 'naive futex ping-pong (futexWait / futexWake, no data)',
};

export const suite: Suite = {
  name: 'ipc',
  title: '10. IPC: mmapkit channels against process.send, postMessage, a Unix socket and a futex ping-pong',
  async run(ctx) {
    const results = new Map<string, Result>();
    // --quick: the smallest and the largest size (every code path, fewer processes to start).
    const sizes = ctx.quick ? [SIZES[0], SIZES[SIZES.length - 1]] : SIZES;
    for (const size of sizes) {
      const big = size >= 1 << 20;
      const count = ctx.quick ? (big ? 4 : 500) : big ? 300 : size >= 4096 ? 50_000 : 200_000;
      const rtts = ctx.quick ? (big ? 4 : 100) : big ? 100 : 5000;
      // Throughput: a warm-up round, then the median of three (two rounds under --quick).
      const rounds = ctx.quick ? 2 : 4;
      for (const where of ['process', 'worker'] as const) {
        for (const t of where === 'process' ? PROCESS : WORKER) {
          if (t === 'futex' && size !== 8) continue;
          // JSON strings of 1 MiB take long: fewer of them. The zero-copy channel moves 300 of them
          // in under 10 ms, too short a round to time against the memcpy goal: ten times as many.
          const n = t === 'json' && big ? Math.min(count, 50) : t === 'channel-zc' && big && !ctx.quick ? count * 10 : count;
          ctx.log(`${where} ${t} ${sizeName(size)} …`);
          const r = await runOne(ctx, where, t, size, n, rounds, rtts);
          if (!r) continue;
          results.set(`${where}/${t}/${size}`, r);
          const group = `${sizeName(size)} messages, ${where} ↔ ${where}`;
          const note = `${(r.bytesPerSec / 2 ** 20).toFixed(1)} MiB/s; round trip p50 ${r.p50.toFixed(1)} µs, p99 ${r.p99.toFixed(1)} µs`;
          if (t !== 'futex')
            ctx.record({
              group: `${group}: throughput`,
              name: LABEL[t],
              value: Math.round(r.msgsPerSec),
              unit: 'msg/s',
              note,
              baseline: t === 'json' || t === 'post',
            });
          ctx.record({ group: `${group}: round trip p50`, name: LABEL[t], value: Number(r.p50.toFixed(2)), unit: 'µs', note: `p99 ${r.p99.toFixed(1)} µs` });
        }
      }
    }
    // memcpy of the same sizes, for the zero-copy goal.
    const src = Buffer.alloc(1 << 20, 3);
    const dst = Buffer.alloc(1 << 20);
    const reps = ctx.quick ? 20 : 2000;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) src.copy(dst);
    const memcpy = ((1 << 20) * reps) / ((performance.now() - t0) / 1000);
    ctx.record({ group: 'memcpy baseline', name: 'Buffer.copy of 1 MiB', value: Math.round(memcpy / 2 ** 20), unit: 'MiB/s' });
    const get = (k: string): Result | undefined => results.get(k);
    const ratio = (name: string, a: number | undefined, b: number | undefined, goal: string): void => {
      if (a === undefined || b === undefined || !Number.isFinite(a / b)) return;
      ctx.record({ group: 'goals (ratios from this run)', name, value: Number((a / b).toFixed(2)), unit: '×', note: `goal ${goal}` });
    };
    for (const size of [8, 64]) {
      ratio(
        `${sizeName(size)}: channel msg/s ÷ process.send (advanced) msg/s`,
        get(`process/channel/${size}`)?.msgsPerSec,
        get(`process/advanced/${size}`)?.msgsPerSec,
        '>= 20',
      );
      ratio(
        `${sizeName(size)}: channel msg/s ÷ process.send (json) msg/s`,
        get(`process/channel/${size}`)?.msgsPerSec,
        get(`process/json/${size}`)?.msgsPerSec,
        '>= 20',
      );
      ratio(
        `${sizeName(size)}: zero-copy channel msg/s ÷ process.send (json) msg/s`,
        get(`process/channel-zc/${size}`)?.msgsPerSec,
        get(`process/json/${size}`)?.msgsPerSec,
        '>= 20',
      );
      ratio(
        `${sizeName(size)}: channel msg/s ÷ postMessage msg/s (workers)`,
        get(`worker/channel/${size}`)?.msgsPerSec,
        get(`worker/post/${size}`)?.msgsPerSec,
        '>= 5',
      );
      ratio(
        `${sizeName(size)}: channel round trip p50 ÷ process.send (advanced) p50`,
        get(`process/channel/${size}`)?.p50,
        get(`process/advanced/${size}`)?.p50,
        '<= 0.2',
      );
    }
    const zc = get('process/channel-zc/1048576');
    ratio('1 MiB: memcpy bytes/s ÷ zero-copy channel bytes/s (process)', memcpy, zc?.bytesPerSec, '<= 2');
    ratio('1 MiB: memcpy bytes/s ÷ zero-copy channel bytes/s (worker)', memcpy, get('worker/channel-zc/1048576')?.bytesPerSec, '<= 2');
    ctx.check('every transport ran for every size', results.size === sizes.length * (PROCESS.length + WORKER.length - 2) + 2, `${results.size} runs`);
  },
};
