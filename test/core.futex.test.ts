// futexWait / futexWaitAsync / futexWake where a hang or a crash is possible: each case runs in a
// child process (spawnSync with a timeout) and asserts its exit status and what it printed.
import { describe, expect, it } from 'vitest';
import { ROOT, runNode } from './support/helpers';

// Runs `script` in a child Node process and returns the JSON of its last output line. The child
// must end by itself (no process.exit), with status 0 and no signal, within `timeout` ms.
function probe(script: string, timeout = 30_000): unknown {
  const r = runNode(script, { timeout });
  if (r.status !== 0 || r.signal) {
    throw new Error(`child ended with status ${r.status} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

// Script helpers shared by the children: the count of live waiter threads (named mmapkit-futex),
// a sleep, and a loop that wakes a word until `n` waiters have been woken.
const PRELUDE = `
  const fs = require('fs');
  const { Worker } = require('worker_threads');
  const MK = ${JSON.stringify(ROOT)};
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  function waiterThreads() {
    let n = 0;
    for (const t of fs.readdirSync('/proc/self/task')) {
      try { if (fs.readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim() === 'mmapkit-futex') n++; } catch {}
    }
    return n;
  }
  // Waiter threads name themselves once running: a count taken at once may miss the newest.
  async function threadsUpTo(n) {
    for (let i = 0; i < 500 && waiterThreads() < n; i++) await sleep(10);
    return waiterThreads();
  }
  async function threadsDownTo(n) {
    for (let i = 0; i < 500 && waiterThreads() > n; i++) await sleep(10);
    return waiterThreads();
  }
  async function wakeUntil(a, i, n) {
    let woken = 0;
    for (let tries = 0; woken < n && tries < 5000; tries++) {
      woken += mk.futexWake(a, i);
      if (woken < n) await sleep(2);
    }
    return woken;
  }
`;

describe('futexWaitAsync does not hold libuv pool threads', () => {
  it('with 64 pending infinite waits, fs, crypto and zlib complete; then every wait resolves ok', () => {
    // UV_THREADPOOL_SIZE is 4: if waits sat on the pool, readFile, pbkdf2 and deflate would never
    // run and the child would be killed by the timeout.
    const out = probe(`${PRELUDE}
      const crypto = require('crypto'), zlib = require('zlib');
      const m = mk.mapAnonymous(4096);
      const a = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 4);
      const sab = new Int32Array(new SharedArrayBuffer(16));
      const waits = [];
      for (let i = 0; i < 16; i++) waits.push(mk.futexWaitAsync(a, i % 2, 0));
      for (let i = 0; i < 48; i++) waits.push(mk.futexWaitAsync(sab, i % 3, 0));
      (async () => {
        const threads = await threadsUpTo(64);
        const [file, key, packed] = await Promise.all([
          fs.promises.readFile(MK + '/package.json').then((b) => b.length > 0),
          new Promise((res, rej) => crypto.pbkdf2('secret', 'salt', 1000, 32, 'sha256', (e, k) => (e ? rej(e) : res(k.length)))),
          new Promise((res, rej) => zlib.deflate(Buffer.alloc(1 << 16, 7), (e, b) => (e ? rej(e) : res(zlib.inflateSync(b).length)))),
        ]);
        const settledEarly = await Promise.race([Promise.race(waits).then(() => true, () => true), sleep(50).then(() => false)]);
        const woken = (await wakeUntil(a, 0, 8)) + (await wakeUntil(a, 1, 8)) +
          (await wakeUntil(sab, 0, 16)) + (await wakeUntil(sab, 1, 16)) + (await wakeUntil(sab, 2, 16));
        const results = await Promise.all(waits);
        const after = await threadsDownTo(0);
        console.log(JSON.stringify({ threads, file, key, packed, settledEarly, woken, ok: results.filter((r) => r === 'ok').length, after }));
      })();
    `);
    expect(out).toEqual({ threads: 64, file: true, key: 32, packed: 1 << 16, settledEarly: false, woken: 64, ok: 64, after: 0 });
  });

  it('a word that already differs settles at once, without a thread', () => {
    const out = probe(`${PRELUDE}
      const a = new Int32Array(new SharedArrayBuffer(8));
      a[0] = 5;
      (async () => {
        const r = await Promise.all([mk.futexWaitAsync(a, 0, 4), mk.futexWaitAsync(a, 0, 5, 0), mk.futexWaitAsync(a, 1, 1)]);
        console.log(JSON.stringify({ r, threads: waiterThreads() }));
      })();
    `);
    expect(out).toEqual({ r: ['not-equal', 'timed-out', 'not-equal'], threads: 0 });
  });

  it('a word changed after the call resolves ok, never not-equal, even before its thread sleeps', () => {
    // The store lands before or after the waiter thread is asleep: either it sees the change
    // ('ok', the waker's news) or the wake that follows reaches it ('ok').
    const out = probe(`${PRELUDE}
      const a = new Int32Array(new SharedArrayBuffer(4 * 16));
      (async () => {
        const results = [];
        for (let round = 0; round < 20; round++) {
          const i = round % 16;
          const w = mk.futexWaitAsync(a, i, 0, 10000);
          Atomics.store(a, i, 1);
          mk.futexWake(a, i);
          const r = await Promise.race([w, sleep(20).then(() => 'asleep')]);
          if (r === 'asleep') { mk.futexWake(a, i); results.push(await w); } else results.push(r);
          Atomics.store(a, i, 0);
        }
        console.log(JSON.stringify([...new Set(results)]));
      })();
    `);
    expect(out).toEqual(['ok']);
  });
});

describe('unmap cancels the pending waits on its memory', () => {
  it('rejects them with ERR_MMAPKIT_CLOSED and the process exits by itself', () => {
    // No process.exit: a wait left pending would keep the child alive until the timeout kills it.
    const out = probe(`${PRELUDE}
      const m = mk.mapAnonymous(8192);
      const a = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 2048);
      const other = mk.mapAnonymous(4096);
      const b = new Int32Array(other.buffer.buffer, other.buffer.byteOffset, 1);
      const waits = [mk.futexWaitAsync(a, 0, 0), mk.futexWaitAsync(a, 0, 0), mk.futexWaitAsync(a, 1500, 0, 1e9), mk.futexWaitAsync(a, 2047, 0, Infinity)];
      const untouched = mk.futexWaitAsync(b, 0, 0, 300);
      (async () => {
        const threads = await threadsUpTo(5);
        const unmapped = m.unmap();
        const settled = await Promise.allSettled(waits);
        console.log(JSON.stringify({
          threads, unmapped,
          results: settled.map((s) => s.status + ':' + (s.status === 'rejected' ? s.reason.code : s.value)),
          message: settled[0].reason && settled[0].reason.message,
          untouched: await untouched,
          after: await threadsDownTo(0),
        }));
      })();
    `);
    expect(out).toEqual({
      threads: 5,
      unmapped: true,
      results: Array(4).fill('rejected:ERR_MMAPKIT_CLOSED'),
      message: 'The mapping was unmapped or resized while futexWaitAsync() was waiting on it',
      untouched: 'timed-out',
      after: 0,
    });
  });

  it('close() and using-disposal cancel the same way; a wait started after unmap is refused', () => {
    const out = probe(`
      const fd = mk.createMemfd('futex-close', { size: 4096 });
      const m = fd.map();
      const a = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 1);
      const w = mk.futexWaitAsync(a, 0, 0);
      const n = fd.map();
      const b = new Int32Array(n.buffer.buffer, n.buffer.byteOffset, 1);
      const x = mk.futexWaitAsync(b, 0, 0);
      setTimeout(async () => {
        m.close();
        n[Symbol.dispose]();
        const r = await Promise.allSettled([w, x, mk.futexWaitAsync(a, 0, 0)]);
        fd.close();
        console.log(JSON.stringify(r.map((s) => s.status + ':' + (s.reason ? s.reason.code : s.value))));
      }, 20);
    `);
    expect(out).toEqual(['rejected:ERR_MMAPKIT_CLOSED', 'rejected:ERR_MMAPKIT_CLOSED', 'rejected:ERR_MMAPKIT_CLOSED']);
  });

  it('resize() (which may move the words) ends them the same way', () => {
    const out = probe(`
      const m = mk.mapAnonymous(4096);
      const a = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 1);
      const w = mk.futexWaitAsync(a, 0, 0);
      setTimeout(async () => {
        m.resize(1 << 24, { mayMove: true });
        const b = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 1);
        const after = mk.futexWaitAsync(b, 0, 0, 20);
        const r = await Promise.allSettled([w, after]);
        m.unmap();
        console.log(JSON.stringify(r.map((s) => s.status + ':' + (s.reason ? s.reason.code : s.value))));
      }, 20);
    `);
    expect(out).toEqual(['rejected:ERR_MMAPKIT_CLOSED', 'fulfilled:timed-out']);
  });

  it("wakes neither a futexWait nor another mapping's futexWaitAsync on the same shared word", () => {
    // Two mappings of one memfd share each word (one futex key). Unmapping the first ends its wait
    // only: the second mapping's asynchronous wait has another wake bit, and a futexWait in a
    // worker (over a third mapping) waits with a bit cancellation never uses. Both time out.
    const out = probe(`${PRELUDE}
      const fd = mk.createMemfd('futex-shared', { size: 4096 });
      const m1 = fd.map(), m2 = fd.map();
      const a1 = new Int32Array(m1.buffer.buffer, m1.buffer.byteOffset, 2);
      const a2 = new Int32Array(m2.buffer.buffer, m2.buffer.byteOffset, 2);
      const worker = new Worker(\`
        const mk = require(\${JSON.stringify(MK)});
        const { parentPort, workerData } = require('worker_threads');
        const m = mk.mapFile(workerData, { mode: 'readwrite' });
        const a = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 2);
        Atomics.store(a, 1, 1);
        parentPort.postMessage(mk.futexWait(a, 0, 0, 1500));
        m.unmap();\`, { eval: true, workerData: fd.path });
      const sync = new Promise((r) => worker.once('message', r));
      (async () => {
        while (Atomics.load(a1, 1) !== 1) await sleep(5);
        await sleep(100);
        const cancelled = mk.futexWaitAsync(a1, 0, 0);
        const kept = mk.futexWaitAsync(a2, 0, 0, 1000);
        await sleep(50);
        m1.unmap();
        const r = await Promise.allSettled([cancelled, kept, sync]);
        m2.unmap(); fd.close();
        console.log(JSON.stringify(r.map((s) => s.status + ':' + (s.reason ? s.reason.code : s.value))));
      })();
    `);
    expect(out).toEqual(['rejected:ERR_MMAPKIT_CLOSED', 'fulfilled:timed-out', 'fulfilled:timed-out']);
  });

  it('a worker that ends with waits pending gets their threads out of the kernel', () => {
    const out = probe(`${PRELUDE}
      const worker = new Worker(\`
        const mk = require(\${JSON.stringify(MK)});
        const m = mk.mapAnonymous(4096);
        const a = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 1);
        const s = new Int32Array(new SharedArrayBuffer(4));
        for (let i = 0; i < 4; i++) { mk.futexWaitAsync(a, 0, 0); mk.futexWaitAsync(s, 0, 0); }
        require('worker_threads').parentPort.postMessage('waiting');\`, { eval: true });
      worker.once('message', async () => {
        const during = await threadsUpTo(8);
        await worker.terminate();
        console.log(JSON.stringify({ during, after: await threadsDownTo(0) }));
      });
    `);
    expect(out).toEqual({ during: 8, after: 0 });
  });
});

describe('futex on a SharedArrayBuffer across worker threads', () => {
  it('a worker blocked in futexWait is woken by futexWake on the main thread', () => {
    const out = probe(`${PRELUDE}
      const sab = new SharedArrayBuffer(16);
      const a = new Int32Array(sab);
      const early = [mk.futexWake(a, 0), mk.futexWait(a, 0, 1, 1000), mk.futexWait(new Uint32Array(sab), 0, 0, 1)];
      const worker = new Worker(\`
        const mk = require(\${JSON.stringify(MK)});
        const { parentPort, workerData } = require('worker_threads');
        const a = new Int32Array(workerData);
        Atomics.store(a, 1, 1);
        const r = mk.futexWait(a, 0, 0, 20000);
        parentPort.postMessage(r + ':' + Atomics.load(a, 0));\`, { eval: true, workerData: sab });
      const reply = new Promise((r) => worker.once('message', r));
      (async () => {
        while (Atomics.load(a, 1) !== 1) await sleep(2);
        // The word stays 0 until a wake finds the worker asleep (futexWake returns 1).
        const woken = await wakeUntil(a, 0, 1);
        Atomics.store(a, 0, 42);
        console.log(JSON.stringify({ early, woken, reply: await reply }));
      })();
    `);
    expect(out).toEqual({ early: [0, 'not-equal', 'timed-out'], woken: 1, reply: 'ok:42' });
  });

  it('futexWaitAsync on the main thread is woken by futexWake in a worker', () => {
    const out = probe(`${PRELUDE}
      const sab = new SharedArrayBuffer(8);
      const a = new Int32Array(sab);
      const waits = [mk.futexWaitAsync(a, 0, 0), mk.futexWaitAsync(new Uint32Array(sab), 0, 0, 20000)];
      const worker = new Worker(\`
        const mk = require(\${JSON.stringify(MK)});
        const { parentPort, workerData } = require('worker_threads');
        const a = new Int32Array(workerData);
        let woken = 0;
        const start = Date.now();
        while (woken < 2 && Date.now() - start < 20000) woken += mk.futexWake(a, 0);
        parentPort.postMessage(woken);\`, { eval: true, workerData: sab });
      const reply = new Promise((r) => worker.once('message', r));
      (async () => {
        console.log(JSON.stringify({ results: await Promise.all(waits), woken: await reply }));
      })();
    `);
    expect(out).toEqual({ results: ['ok', 'ok'], woken: 2 });
  });
});

describe('timeouts and refusals', () => {
  it('timed waits time out, a pending timed wait keeps the process alive, huge timeouts wait for a wake', () => {
    // The only thing keeping the child's event loop alive is the pending wait: without the
    // reference it holds, the child would exit before printing.
    const out = probe(`${PRELUDE}
      const m = mk.mapAnonymous(4096);
      const a = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 2);
      const sync = [mk.futexWait(a, 0, 0, 20), mk.futexWait(a, 0, 0, 0), mk.futexWait(a, 0, 1, 0)];
      const huge = mk.futexWaitAsync(a, 1, 0, 1e300);
      const pending = [mk.futexWaitAsync(a, 0, 0, 30), mk.futexWaitAsync(a, 0, 0, 300)];
      Promise.all(pending).then(async (timed) => {
        const woken = await wakeUntil(a, 1, 1);
        console.log(JSON.stringify({ sync, timed, huge: await huge, woken }));
      });
    `);
    expect(out).toEqual({ sync: ['timed-out', 'timed-out', 'not-equal'], timed: ['timed-out', 'timed-out'], huge: 'ok', woken: 1 });
  });

  it('an unaligned word is refused with ERR_MMAPKIT_UNALIGNED by all three functions', () => {
    // A mapping made at file offset 2 starts 2 bytes into a page: its Int32Array words are not
    // 4-byte aligned in memory, which the kernel refuses for a futex (EINVAL).
    const out = probe(`
      const fd = mk.createMemfd('futex-unaligned', { size: 8192 });
      const m = fd.map({ offset: 2, length: 64 });
      const a = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 4);
      const codes = [];
      for (const f of [() => mk.futexWait(a, 1, 0, 10), () => mk.futexWake(a, 1)]) {
        try { f(); codes.push('no error'); } catch (e) { codes.push(e.name + ':' + e.code + ':' + /not 4-byte aligned/.test(e.message)); }
      }
      mk.futexWaitAsync(a, 1, 0, 10).then((v) => codes.push(v), (e) => codes.push(e.name + ':' + e.code + ':' + /not 4-byte aligned/.test(e.message)))
        .then(() => { m.unmap(); fd.close(); console.log(JSON.stringify(codes)); });
    `);
    expect(out).toEqual(Array(3).fill('MmapkitError:ERR_MMAPKIT_UNALIGNED:true'));
  });
});
