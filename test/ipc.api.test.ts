// The IPC primitives in one process and in children: bad headers and bad arguments get coded
// errors, a corrupt ring never crashes the reader, a dead mutex owner is reported to the next
// locker, async waits keep the event loop running and honour timeouts and AbortSignal.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Channel, Condition, Event, Mutex, MmapkitError, Semaphore, mapAnonymous } from '../lib';
import * as path from 'node:path';
import { ROOT, expectCode, runNode } from './support/helpers';

const PEER = path.join(ROOT, 'test', 'support', 'ipc-peer.js');

const pair = (capacity = 4096, extra: Partial<Parameters<typeof Channel.create>[1]> = {}): [Channel, Channel, SharedArrayBuffer] => {
  const sab = new SharedArrayBuffer(Channel.bytesFor(capacity));
  const p = Channel.create(sab, { role: 'producer', capacity, ...extra });
  const c = Channel.open(sab, { role: 'consumer' });
  return [p, c, sab];
};

describe('Channel in one process', () => {
  it('copies, zero-copy views and structured clones arrive whole and in order, across the ring end', () => {
    const [p, c] = pair(256);
    for (let i = 0; i < 500; i++) {
      const msg = Buffer.alloc(i % 97, i & 255);
      if (i % 2) p.send(msg);
      else {
        p.reserve(msg.length).set(msg);
        p.commit();
      }
      const got = i % 3 ? c.receive() : Buffer.from(c.acquire());
      if (i % 3 === 0) c.release();
      expect(got.equals(msg)).toBe(true);
    }
    p.sendValue({ a: [1, 2n], m: new Map([[1, 'x']]) });
    expect(c.receiveValue()).toEqual({ a: [1, 2n], m: new Map([[1, 'x']]) });
    expect(c.tryReceive()).toBeNull();
  });

  it('received messages of 4 to 32 KiB are their own bytes though they share a slab, and transferring one copies it', async () => {
    const [p, c] = pair(1 << 20);
    const sizes = [4095, 4096, 5000, 8192, 32768, 32769, 100_000];
    const got: Buffer[] = [];
    for (let round = 0; round < 12; round++) {
      for (const [k, n] of sizes.entries()) {
        p.send(Buffer.alloc(n, (round * 7 + k) & 255));
        got.push(c.receive());
      }
    }
    // Every Buffer keeps its own bytes after later receives filled the slab around it.
    for (const [i, b] of got.entries()) {
      const round = Math.floor(i / sizes.length);
      const k = i % sizes.length;
      expect(b.length).toBe(sizes[k]);
      expect(b.every((x) => x === ((round * 7 + k) & 255))).toBe(true);
    }
    // Those from the slab share an ArrayBuffer; postMessage with that buffer in the transfer list
    // copies it (Node 20) or refuses it (Node 22 and later): the other messages stay attached.
    const slabbed = got.filter((b) => b.length >= 4096 && b.length <= 32768);
    expect(slabbed[0].buffer).toBe(slabbed[1].buffer);
    const { port1, port2 } = new MessageChannel();
    try {
      port1.postMessage(slabbed[0], [slabbed[0].buffer]);
    } catch (err) {
      expect((err as Error).name).toBe('DataCloneError');
    }
    port1.close();
    port2.close();
    expect(slabbed[0].buffer.byteLength).toBeGreaterThan(0);
    expect(slabbed[1].length).toBe(5000);
    expect(slabbed[1].every((x) => x === slabbed[1][0])).toBe(true);
  });

  it('fixed-size slots carry messages up to the slot size', () => {
    const [p, c] = pair(16 * 8, { slotSize: 8 });
    expect(p.maxMessage).toBe(8);
    for (let i = 0; i < 20; i++) expect(p.trySend(Buffer.from([i, i]))).toBe(i < 8);
    for (let i = 0; i < 8; i++) expect([...c.receive()]).toEqual([i, i]);
    expectCode(() => p.send(Buffer.alloc(9)), MmapkitError, 'ERR_MMAPKIT_MESSAGE_TOO_LARGE');
  });

  it("whenFull 'fail' refuses, 'overwrite' drops the oldest", () => {
    const [p] = pair(64, { whenFull: 'fail' });
    p.send(Buffer.alloc(24));
    p.send(Buffer.alloc(24));
    expectCode(() => p.send(Buffer.alloc(8)), MmapkitError, 'ERR_MMAPKIT_FULL');
    const [q, c] = pair(64, { whenFull: 'overwrite' });
    for (let i = 0; i < 10; i++) q.send(Buffer.from([i]));
    const seen: number[] = [];
    for (let m = c.tryReceive(); m; m = c.tryReceive()) seen.push(m[0]);
    expect(seen).toEqual([6, 7, 8, 9]);
    expectCode(() => c.acquire(), MmapkitError, 'ERR_MMAPKIT_UNSUPPORTED');
  });

  it('times out, aborts, and wakes an async receiver without blocking the loop', async () => {
    const [p, c] = pair();
    expectCode(() => c.receive({ timeout: 20 }), MmapkitError, 'ERR_MMAPKIT_TIMEOUT');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    await expect(c.receiveAsync({ signal: ac.signal })).rejects.toMatchObject({ code: 'ABORT_ERR', name: 'AbortError' });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    setTimeout(() => p.send(Buffer.from('late')), 100);
    expect((await c.receiveAsync({ timeout: 5000 })).toString()).toBe('late');
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(3);
  });

  it('spin: validated per end; with no spin or a long one a blocked call still meets its peer and its deadline', async () => {
    expectCode(() => pair(4096, { spin: -1 }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => pair(4096, { spin: 2.5 }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => pair(4096, { spin: '5' as never }), TypeError, 'ERR_INVALID_ARG_TYPE');
    const sab = new SharedArrayBuffer(Channel.bytesFor(4096));
    Channel.create(sab, { role: 'producer', capacity: 4096, spin: 0 });
    expectCode(() => Channel.open(sab, { role: 'consumer', spin: 1e7 }), RangeError, 'ERR_OUT_OF_RANGE');
    // A spin of one second, a deadline of 30 ms: the deadline ends the spin.
    const slow = Channel.open(sab, { role: 'consumer', spin: 1_000_000 });
    const t0 = performance.now();
    expectCode(() => slow.receive({ timeout: 30 }), MmapkitError, 'ERR_MMAPKIT_TIMEOUT');
    expect(performance.now() - t0).toBeLessThan(900);
    slow.close();
    // No spin at all: the consumer sleeps at once and is woken by a producer in a worker.
    const c = Channel.open(sab, { role: 'consumer', spin: 0 });
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(
      `const { workerData } = require('node:worker_threads'); const { Channel } = require(${JSON.stringify(ROOT)});
       const p = Channel.open(workerData, { role: 'producer', spin: 0 });
       for (let i = 0; i < 2000; i++) p.send(Buffer.from([i & 255, i >> 8]));`,
      { eval: true, workerData: sab },
    );
    for (let i = 0; i < 2000; i++) expect([...c.receive({ timeout: 10_000 })]).toEqual([i & 255, i >> 8]);
    await w.terminate();
  });

  it('the last producer closing ends the stream after the messages already sent', () => {
    const [p, c] = pair();
    p.send(Buffer.from('last'));
    p.close();
    expect(c.receive().toString()).toBe('last');
    expectCode(() => c.receive(), MmapkitError, 'ERR_MMAPKIT_CHANNEL_CLOSED');
    expectCode(() => p.send(Buffer.alloc(1)), MmapkitError, 'ERR_MMAPKIT_CLOSED');
  });

  it('wrong role, double reserve, release without acquire: coded errors', () => {
    const [p, c] = pair();
    expectCode(() => c.send(Buffer.alloc(1)), MmapkitError, 'ERR_MMAPKIT_WRONG_ROLE');
    expectCode(() => p.receive(), MmapkitError, 'ERR_MMAPKIT_WRONG_ROLE');
    p.reserve(4);
    expectCode(() => p.reserve(4), MmapkitError, 'ERR_MMAPKIT_BUSY');
    p.cancel();
    expectCode(() => c.release(), MmapkitError, 'ERR_MMAPKIT_NOT_ACQUIRED');
    expectCode(() => p.commit(), MmapkitError, 'ERR_MMAPKIT_NOT_RESERVED');
    expectCode(() => p.send('text' as never), TypeError, 'ERR_INVALID_ARG_TYPE');
  });
});

describe('Channel: bad input gets a coded error', () => {
  it('a header of random bytes', () => {
    for (let i = 0; i < 200; i++) {
      const sab = new SharedArrayBuffer(8192);
      new Uint8Array(sab).set(randomBytes(8192));
      expectCode(() => Channel.open(sab, { role: 'consumer' }), MmapkitError, 'ERR_MMAPKIT_BAD_HEADER');
    }
  });

  it('a ring too small for one message, a message larger than the ring, a wrong version', () => {
    expectCode(() => Channel.create(new SharedArrayBuffer(2048), { role: 'producer', capacity: 32 }), MmapkitError, 'ERR_MMAPKIT_RING_TOO_SMALL');
    expectCode(() => Channel.create(new SharedArrayBuffer(2048), { role: 'producer', capacity: 80, slotSize: 100 }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => Channel.create(new SharedArrayBuffer(2048), { role: 'producer', capacity: 72, slotSize: 100 }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => Channel.create(new SharedArrayBuffer(4096), { role: 'producer', capacity: 108 * 2 - 4, slotSize: 100 }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => Channel.create(new SharedArrayBuffer(2048), { role: 'producer', capacity: 4096 }), RangeError, 'ERR_OUT_OF_RANGE');
    const [p, , sab] = pair(1024);
    expectCode(() => p.send(Buffer.alloc(1024)), MmapkitError, 'ERR_MMAPKIT_MESSAGE_TOO_LARGE', /larger than this channel carries \(504 bytes/);
    new Int32Array(sab)[1] = 2;
    expectCode(() => Channel.open(sab, { role: 'consumer' }), MmapkitError, 'ERR_MMAPKIT_VERSION');
    expectCode(() => Channel.open(new SharedArrayBuffer(16), { role: 'consumer' }), MmapkitError, 'ERR_MMAPKIT_BAD_HEADER');
  });

  it('a peer scribbling over positions and record lengths never crashes the reader (child process)', () => {
    const r = runNode(`
      const { randomBytes, randomInt } = require('crypto');
      const codes = new Set();
      for (let i = 0; i < 3000; i++) {
        const sab = new SharedArrayBuffer(mk.Channel.bytesFor(1024));
        const p = mk.Channel.create(sab, { role: 'producer', capacity: 1024, mode: i % 2 ? 'mpmc' : 'spsc', whenFull: i % 3 === 0 ? 'overwrite' : 'wait' });
        const c = mk.Channel.open(sab, { role: 'consumer' });
        for (let k = 0; k < 5; k++) p.trySend(Buffer.alloc(randomInt(0, 200), k));
        const w = new Int32Array(sab);
        // scribble: the tail, the head, and words of the ring
        const target = [32, 64, 256 + randomInt(0, 256)][i % 3];
        w[target] = randomBytes(4).readInt32LE(0);
        try {
          for (let k = 0; k < 8; k++) { const m = c.tryReceive(); if (m === null) break; if (m.length > 504) throw new Error('oversized'); }
          p.trySend(Buffer.alloc(10));
          codes.add('none');
        } catch (e) { if (!e.code) throw e; codes.add(e.code); }
      }
      console.log(JSON.stringify([...codes].sort()));
    `);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const codes = JSON.parse(r.stdout) as string[];
    expect(codes).toContain('ERR_MMAPKIT_CORRUPT');
    for (const c of codes) expect(['none', 'ERR_MMAPKIT_CORRUPT']).toContain(c);
  });
});

describe('IPC primitives in a Mapping that changes under them (child process: a fault would end it)', () => {
  it('unmap() or protect() under a mutex, semaphore, event or channel: coded errors, never a signal', () => {
    const r = runNode(`
      const out = {};
      const code = (f) => { try { f(); return 'ok'; } catch (e) { return e.code; } };
      let m = mk.mapAnonymous(1 << 16, { shared: true });
      const mu = mk.Mutex.init(m, 0), sem = mk.Semaphore.init(m, 16, 1), ev = mk.Event.init(m, 32, 0);
      const p = mk.Channel.create(m.buffer.subarray(4096), { role: 'producer', capacity: 8192 });
      const c = mk.Channel.open(m.buffer.subarray(4096), { role: 'consumer' });
      p.send(Buffer.from('x'));
      m.protect('read');
      out.readOnly = [code(() => mu.lock()), code(() => sem.wait({ timeout: 10 })), code(() => ev.set(2)), code(() => p.send(Buffer.from('y'))), code(() => c.receive())];
      out.readOnlyGetters = [code(() => mu.ownerPid), code(() => ev.value)];
      m.protect('none');
      out.none = [code(() => mu.ownerPid), code(() => sem.value), code(() => c.pendingBytes), code(() => c.tryReceive())];
      m.protect('readwrite');
      out.again = [code(() => { mu.lock(); mu.unlock(); }), code(() => sem.tryWait()), c.receive().toString()];
      m.unmap();
      out.unmapped = [code(() => mu.tryLock()), code(() => sem.post()), code(() => ev.wait(0, { timeout: 5 })), code(() => p.send(Buffer.alloc(1))), code(() => c.close())];
      // A source buffer of a protected mapping is refused before it is read.
      const src = mk.mapAnonymous(4096); src.protect('none');
      const sab = new SharedArrayBuffer(mk.Channel.bytesFor(4096));
      const q = mk.Channel.create(sab, { role: 'producer', capacity: 4096 });
      out.source = [code(() => q.send(src.buffer)), code(() => q.sendValue({ nested: [src.buffer.subarray(0, 8)] }))];
      console.log(JSON.stringify(out));
    `);
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      readOnly: Array(5).fill('ERR_MMAPKIT_PROTECTED'),
      readOnlyGetters: ['ERR_MMAPKIT_PROTECTED', 'ERR_MMAPKIT_PROTECTED'], // the primitives need their memory writable
      none: Array(4).fill('ERR_MMAPKIT_PROTECTED'),
      again: ['ok', 'ok', 'x'],
      unmapped: ['ERR_MMAPKIT_CLOSED', 'ERR_MMAPKIT_CLOSED', 'ERR_MMAPKIT_CLOSED', 'ERR_MMAPKIT_CLOSED', 'ok'],
      source: ['ERR_MMAPKIT_PROTECTED', 'ERR_MMAPKIT_PROTECTED'],
    });
  });

  it('sendValue of what cannot be cloned, receiveValue of what is not a clone: coded errors, the channel usable after', () => {
    const [p, c] = pair();
    expectCode(() => p.sendValue({ f: () => 1 }), TypeError, 'ERR_INVALID_ARG_VALUE');
    expect(c.tryReceive()).toBeNull();
    p.send(Buffer.from([0xff, 0x0f, 0x99, 0x99]));
    expectCode(() => c.receiveValue(), MmapkitError, 'ERR_MMAPKIT_BAD_MESSAGE');
    p.sendValue({ ok: 1 });
    expect(c.receiveValue()).toEqual({ ok: 1 });
  });
});

describe('Mutex, Semaphore, Event, Condition', () => {
  it('mutex: try, timeout, not-owner, async', async () => {
    const m = mapAnonymous(4096, { shared: true });
    const mu = Mutex.init(m, 0);
    expect(mu.tryLock()).toBe(true);
    expect(mu.held).toBe(true);
    expect(mu.tryLock()).toBe(false);
    expectCode(() => mu.lock(), MmapkitError, 'ERR_MMAPKIT_BUSY'); // not recursive: no self-deadlock
    mu.unlock();
    // Held by another live process (the parent's pid written as the owner): waits time out.
    const words = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 4);
    words[0] = process.ppid;
    expectCode(() => mu.lock({ timeout: 30 }), MmapkitError, 'ERR_MMAPKIT_TIMEOUT');
    await expect(mu.lockAsync({ timeout: 30 })).rejects.toMatchObject({ code: 'ERR_MMAPKIT_TIMEOUT' });
    expect(mu.ownerPid).toBe(process.ppid);
    Atomics.store(words, 0, 0);
    expectCode(() => mu.unlock(), MmapkitError, 'ERR_MMAPKIT_NOT_OWNER');
    await mu.lockAsync();
    mu.unlock();
    expectCode(() => new Mutex(m, 4), MmapkitError, 'ERR_MMAPKIT_UNALIGNED');
    expectCode(() => new Mutex(m, 4090), RangeError, 'ERR_OUT_OF_RANGE');
    m.unmap();
  });

  it('an owner killed holding the mutex is reported to the next locker, who recovers it', () => {
    const name = `/mmapkit-test-dead-${process.pid}`;
    const s = runNode(`
      const { spawn } = require('child_process');
      const name = ${JSON.stringify(name)};
      const shm = mk.openSharedMemory(name, { create: true, size: 4096 });
      const m = shm.map(); shm.close();
      const mu = mk.Mutex.init(m, 0);
      const child = spawn(process.execPath, [${JSON.stringify(PEER)}, 'mutex-hold', name]);
      child.stdout.once('data', () => {
        const holder = mu.ownerPid;
        child.kill('SIGKILL');
        child.on('exit', () => {
          const out = { holder: holder === child.pid };
          const t0 = Date.now();
          // tryLock() is told too (as pthread_mutex_trylock's EOWNERDEAD), and then holds it.
          try { out.try = mu.tryLock(); } catch (e) { out.try = e.code; out.tryHeld = mu.held; mu.markConsistent(); mu.unlock(); }
          child.pid && Atomics.store(new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 4), 0, child.pid);
          try { mu.lock(); out.first = 'acquired'; } catch (e) { out.first = e.code; }
          out.ms = Date.now() - t0;
          out.held = mu.held; out.consistent = mu.consistent;
          mu.markConsistent(); mu.unlock();
          mu.lock(); out.second = 'acquired'; mu.unlock();
          // Unlocked without markConsistent: not recoverable until init.
          const child2 = spawn(process.execPath, [${JSON.stringify(PEER)}, 'mutex-hold', name]);
          child2.stdout.once('data', () => { child2.kill('SIGKILL'); child2.on('exit', async () => {
            try { await mu.lockAsync(); } catch (e) { out.asyncFirst = e.code; }
            mu.unlock();
            try { mu.lock(); } catch (e) { out.third = e.code; }
            mk.Mutex.init(m, 0); mu.lock(); mu.unlock(); out.afterInit = 'ok';
            mk.unlinkSharedMemory(name);
            console.log(JSON.stringify(out));
          }); });
        });
      });
    `);
    expect(s.stderr).toBe('');
    expect(JSON.parse(s.stdout)).toMatchObject({
      holder: true,
      try: 'ERR_MMAPKIT_OWNER_DEAD',
      tryHeld: true,
      first: 'ERR_MMAPKIT_OWNER_DEAD',
      held: true,
      consistent: false,
      second: 'acquired',
      asyncFirst: 'ERR_MMAPKIT_OWNER_DEAD',
      third: 'ERR_MMAPKIT_NOT_RECOVERABLE',
      afterInit: 'ok',
    });
    expect(JSON.parse(s.stdout).ms).toBeLessThan(1000);
  });

  it('no thread starves: 3 workers hammering one mutex for 400 ms all get it', async () => {
    const sab = new SharedArrayBuffer(64);
    Mutex.init(sab, 0);
    const { Worker } = await import('node:worker_threads');
    const counts = await Promise.all(
      [0, 1, 2].map(
        (i) =>
          new Promise<number>((resolve, reject) => {
            const w = new Worker(
              `const { workerData, parentPort } = require('worker_threads');
         const mk = require(${JSON.stringify(ROOT)});
         const mu = new mk.Mutex(workerData, 0), word = new Int32Array(workerData, 16, 1);
         let n = 0; const end = Date.now() + 400;
         while (Date.now() < end) { mu.lock(); word[0]++; for (let k = 0; k < 200; k++); mu.unlock(); n++; }
         parentPort.postMessage(n);`,
              { eval: true, workerData: sab },
            );
            w.once('message', resolve);
            w.once('error', reject);
            void i;
          }),
      ),
    );
    expect(Math.min(...counts)).toBeGreaterThan(0);
    expect(new Int32Array(sab, 16, 1)[0]).toBe(counts.reduce((a, b) => a + b, 0));
  });

  it('semaphore counts, event wakes on change, condition with a mutex (worker threads)', async () => {
    const sab = new SharedArrayBuffer(64);
    const sem = Semaphore.init(sab, 0, 2);
    expect(sem.tryWait() && sem.tryWait()).toBe(true);
    expect(sem.tryWait()).toBe(false);
    expectCode(() => sem.wait({ timeout: 10 }), MmapkitError, 'ERR_MMAPKIT_TIMEOUT');
    setTimeout(() => sem.post(), 30);
    await sem.waitAsync({ timeout: 5000 });
    const ev = Event.init(sab, 8, 5);
    expect(ev.wait(4)).toBe(5);
    setTimeout(() => ev.set(6), 30);
    expect(await ev.waitAsync(5, { timeout: 5000 })).toBe(6);
    const mu = Mutex.init(sab, 16);
    const cond = Condition.init(sab, 32);
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(
      `const { workerData: sab } = require('worker_threads');
       const mk = require(${JSON.stringify(ROOT)});
       const mu = new mk.Mutex(sab, 16), cond = new mk.Condition(sab, 32), flag = new Int32Array(sab, 48, 1);
       mu.lock(); while (flag[0] === 0) cond.wait(mu, { timeout: 5000 }); flag[0] = 2; mu.unlock();`,
      { eval: true, workerData: sab },
    );
    await new Promise((r) => setTimeout(r, 50));
    mu.lock();
    new Int32Array(sab, 48, 1)[0] = 1;
    cond.notifyAll();
    mu.unlock();
    await new Promise((r) => w.on('exit', r));
    expect(new Int32Array(sab, 48, 1)[0]).toBe(2);
  });
});
