// POSIX shared memory, memfd and futex between real processes and threads.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemfd, futexWait, futexWaitAsync, futexWake, openSharedMemory, SharedMemory, unlinkSharedMemory } from '../lib';
import { ROOT } from './support/helpers';

const prefix = `/mmapkit-test-${process.pid}`;
const names: string[] = [];
function uniqueName(tag: string): string {
  const n = `${prefix}-${tag}`;
  names.push(n);
  return n;
}
afterAll(() => {
  for (const n of names) {
    try {
      unlinkSharedMemory(n);
    } catch {
      /* already gone */
    }
  }
});

function runChild(script: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['-e', `const mk = require(${JSON.stringify(ROOT)});\n${script}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('POSIX shared memory', () => {
  it("creates, sizes, maps, reopens and unlinks a named object with mode 0600; the seed's /cp_demo value", () => {
    const name = uniqueName('basic');
    const shm = openSharedMemory(name, { create: true, exclusive: true, size: 4096 });
    expect(shm.size).toBe(4096);
    expect(fs.statSync(`/dev/shm${name}`).mode & 0o777).toBe(0o600);
    const x = shm.map();
    x.store64(0, 0x1122334455667788n);
    expect([...x.read(0, 8)]).toEqual([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
    const again = SharedMemory.open(name);
    const y = again.map({ mode: 'readonly' });
    expect(y.load64(0)).toBe(0x1122334455667788n);
    expect(() => openSharedMemory(name, { create: true, exclusive: true })).toThrow(
      expect.objectContaining({ code: 'EEXIST', syscall: 'shm_open', path: name }),
    );
    shm.close();
    shm.close();
    expect(x.load64(0)).toBe(0x1122334455667788n); // mappings outlive the descriptor
    expect(() => shm.map()).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_CLOSED' }));
    again.unlink();
    expect(() => openSharedMemory(name)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    again.close();
    x.unmap();
    y.unmap();
  });

  it('rejects bad names with a clear error before any syscall', () => {
    for (const bad of ['/', '', '/a/b', '/..', 'x'.repeat(300), '/nul\0']) {
      expect(() => openSharedMemory(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    }
    expect(() => openSharedMemory(42 as unknown as string)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => openSharedMemory('/x', { exclusive: true })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => openSharedMemory('/x', { bogus: 1 } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  it('two processes each do 1 000 000 Atomics.add on one Int32Array; the total is exact', async () => {
    const name = uniqueName('atomics');
    const shm = openSharedMemory(name, { create: true, size: 4096 });
    const m = shm.map();
    const counter = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 1);
    const script = `
      const shm = mk.openSharedMemory(process.argv[1]); const m = shm.map();
      const a = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 1);
      for (let i = 0; i < 1000000; i++) Atomics.add(a, 0, 1);
      process.stdout.write('done');`;
    const results = await Promise.all([runChild(script, [name]), runChild(script, [name])]);
    for (const r of results) expect(r).toMatchObject({ code: 0, out: 'done' });
    expect(Atomics.load(counter, 0)).toBe(2_000_000);
    m.unmap();
    shm.close();
  });

  it('worker_threads open the same object by name', async () => {
    const name = uniqueName('workers');
    const shm = openSharedMemory(name, { create: true, size: 4096 });
    const m = shm.map();
    const src = `
      const mk = require(${JSON.stringify(ROOT)}); const { workerData, parentPort } = require('worker_threads');
      const m = mk.openSharedMemory(workerData).map();
      const a = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 1);
      for (let i = 0; i < 100000; i++) Atomics.add(a, 0, 1);
      m.unmap(); parentPort.postMessage('ok');`;
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const w = new Worker(src, { eval: true, workerData: name });
        w.on('message', resolve);
        w.on('error', reject);
      });
    expect(await Promise.all([run(), run(), run()])).toEqual(['ok', 'ok', 'ok']);
    expect(m.load32(0)).toBe(300000);
    m.unmap();
    shm.close();
  });
});

describe('memfd', () => {
  it('creates an anonymous shareable object, maps it, and enforces seals', () => {
    const fd = createMemfd('mmapkit-seals', { size: 8192 });
    expect(fd.size).toBe(8192);
    const m = fd.map();
    m.write(0, 'sealed soon');
    fd.seal(['shrink', 'grow']);
    expect(fd.seals).toEqual(['shrink', 'grow']);
    expect(() => fd.truncate(4096)).toThrow(expect.objectContaining({ code: 'EPERM', syscall: 'ftruncate' }));
    expect(fs.readFileSync(fd.path).subarray(0, 11).toString()).toBe('sealed soon');
    // F_SEAL_WRITE needs no writable shared mapping to exist.
    expect(() => fd.seal('write')).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    m.unmap();
    fd.seal(['write', 'seal']);
    expect(() => fd.map()).toThrow(expect.objectContaining({ code: 'EPERM', syscall: 'mmap' }));
    expect(fd.map({ mode: 'readonly' }).read(0, 6).toString()).toBe('sealed');
    expect(() => fd.seal('bogus' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    fd.close();
  });

  it('without allowSealing, seals are refused', () => {
    const fd = createMemfd('nosealing', { allowSealing: false });
    expect(() => fd.seal('grow')).toThrow(expect.objectContaining({ code: 'EPERM' }));
    fd.close();
  });

  it('a child process maps the same memfd through the inherited descriptor', async () => {
    const fd = createMemfd('inherit', { size: 4096 });
    const m = fd.map();
    m.write(0, 'from parent');
    const child = spawn(
      process.execPath,
      [
        '-e',
        `
      const mk = require(${JSON.stringify(ROOT)});
      const m = mk.mapFile(3, { mode: 'readwrite' });
      const got = m.read(0, 11).toString(); m.write(0, 'from child!'); m.sync();
      process.stdout.write(got);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit', fd.fd] },
    );
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    await new Promise((r) => child.on('exit', r));
    expect(out).toBe('from parent');
    expect(m.read(0, 11).toString()).toBe('from child!');
    m.unmap();
    fd.close();
  });
});

describe('process-shared futex', () => {
  it('reports not-equal and timed-out like Atomics.wait', () => {
    const fd = createMemfd('futex-local', { size: 4096 });
    const m = fd.map();
    const a = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 4);
    a[0] = 5;
    expect(futexWait(a, 0, 4, 10)).toBe('not-equal');
    expect(futexWait(a, 0, 5, 20)).toBe('timed-out');
    expect(futexWake(a, 0)).toBe(0);
    expect(() => futexWait(a, 9, 0, 1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => futexWait(new Float64Array(2) as never, 0, 0, 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => futexWait(a, 0, 5, -1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    m.unmap();
    expect(() => futexWait(a, 0, 5, 1)).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_CLOSED' }));
    fd.close();
  });

  it('a child process blocked in futexWait is woken by the parent across processes', async () => {
    const name = uniqueName('futex');
    const shm = openSharedMemory(name, { create: true, size: 4096 });
    const m = shm.map();
    const a = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 2);
    const child = runChild(
      `
      const m = mk.openSharedMemory(process.argv[1]).map();
      const a = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 2);
      Atomics.store(a, 1, 1); // ready
      const r = mk.futexWait(a, 0, 0, 20000);
      // The parent stores 42 only after its wake reached this waiter; spin until it shows.
      for (let i = 0; i < 1e9 && Atomics.load(a, 0) !== 42; i++);
      process.stdout.write(r + ':' + Atomics.load(a, 0));`,
      [name],
    );
    // Wait (asynchronously, in this process too) until the child says it is ready.
    while (Atomics.load(a, 1) !== 1) await futexWaitAsync(a, 1, 0, 10);
    // The word stays 0 until a wake finds the child blocked in the kernel (wake returns 1); a
    // change before that would make the child's wait return 'not-equal' instead of sleeping.
    let woken = 0;
    for (let tries = 0; woken === 0 && tries < 2000; tries++) {
      woken = futexWake(a, 0);
      if (woken === 0) await new Promise((r) => setTimeout(r, 5));
    }
    Atomics.store(a, 0, 42);
    const r = await child;
    expect(r.out).toBe('ok:42');
    expect(woken).toBe(1);
    m.unmap();
    shm.close();
  });

  it('futexWaitAsync resolves on wake without blocking the event loop', async () => {
    const fd = createMemfd('futex-async', { size: 4096 });
    const m = fd.map();
    const a = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 1);
    const waiting = futexWaitAsync(a, 0, 0, 10000);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    let woken = 0;
    while (woken === 0) {
      await new Promise((r) => setTimeout(r, 5));
      woken = futexWake(a, 0);
    }
    clearInterval(timer);
    expect(await waiting).toBe('ok');
    expect(ticks).toBeGreaterThan(0);
    expect(await futexWaitAsync(a, 0, 0, 5)).toBe('timed-out');
    m.unmap();
    fd.close();
  });
});
