import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADVICE, evictFile, fileResidency, mapAnonymous, mapFile, scanByteSum, touchFile, type Advice } from '../lib';
import { mappingTracker, tempDir } from './support/helpers';

const dir = tempDir();
const track = mappingTracker();

describe('operations on a mapping', () => {
  it('a 1 MiB anonymous map reads as zeros and its residency grows as pages are touched', () => {
    const m = track(mapAnonymous(1 << 20));
    expect(m.residency().pages).toBe(256);
    expect(m.residency().resident).toBe(0);
    expect(m.buffer.every((b) => b === 0)).toBe(true);
    // Reading maps the shared zero page; writing gives each page its own frame.
    for (let i = 0; i < 10; i++) m.store8(i * 4096, 1);
    expect(m.residency().resident).toBeGreaterThanOrEqual(10);
    const r = m.residency(0, 10 * 4096);
    expect(r.pages).toBe(10);
    expect(r.resident).toBe(10);
  });

  it('populate faults every page in at map time', () => {
    const m = track(mapAnonymous(64 * 4096, { populate: true }));
    expect(m.residency().resident).toBe(64);
  });

  it('shared anonymous memory and noReserve map', () => {
    const m = track(mapAnonymous(8192, { shared: true, noReserve: true }));
    m.store32(4096, 42);
    expect(m.load32(4096)).toBe(42);
    expect(m.mode).toBe('readwrite');
  });

  it('huge pages: true falls back to transparent huge pages when none are reserved', () => {
    const m = track(mapAnonymous(4 << 20, { hugePages: true }));
    expect(['explicit', 'transparent']).toContain(m.hugePages);
    m.store8(0, 1);
    expect(m.load8(0)).toBe(1);
    const t = track(mapAnonymous(4 << 20, { hugePages: 'transparent' }));
    expect(t.hugePages).toBe('transparent');
    const reserved = Number(fs.readFileSync('/proc/sys/vm/nr_hugepages', 'utf8'));
    if (reserved === 0) {
      expect(() => mapAnonymous(2 << 20, { hugePages: 'explicit' })).toThrow(expect.objectContaining({ syscall: 'mmap' }));
    }
  });

  it('sync writes a shared mapping back to the file, whole or ranged, sync and async', async () => {
    const p = path.join(dir, 'sync.bin');
    fs.writeFileSync(p, Buffer.alloc(3 * 4096));
    const m = track(mapFile(p, { mode: 'readwrite' }));
    m.write(0, 'first');
    m.sync();
    m.write(4096, 'second');
    m.sync({ offset: 4096, length: 6 });
    m.write(8192, 'third');
    m.sync({ async: true });
    m.sync({ invalidate: true });
    await m.syncAsync();
    await m.syncAsync({ offset: 10, length: 100, async: true });
    const onDisk = fs.readFileSync(p);
    expect(onDisk.subarray(0, 5).toString()).toBe('first');
    expect(onDisk.subarray(4096, 4102).toString()).toBe('second');
    expect(onDisk.subarray(8192, 8197).toString()).toBe('third');
    await expect(m.syncAsync({ offset: 99999 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });

  it('unmap while syncAsync is in flight finishes the sync first', async () => {
    const p = path.join(dir, 'inflight.bin');
    fs.writeFileSync(p, Buffer.alloc(1 << 20));
    const m = mapFile(p, { mode: 'readwrite' });
    m.buffer.fill(7);
    const done = m.syncAsync();
    m.unmap();
    await done;
    expect(fs.readFileSync(p).every((b) => b === 7)).toBe(true);
  });

  it('advise accepts every advice name Linux has, whole or ranged', () => {
    const m = track(mapAnonymous(16 * 4096));
    const accepted: string[] = [];
    for (const name of Object.keys(ADVICE) as Advice[]) {
      try {
        m.advise(name, 0, 4096);
        accepted.push(name);
      } catch (err) {
        // Some advice depends on kernel configuration (KSM, THP): a system error, never a crash.
        expect(err).toMatchObject({ syscall: 'madvise', code: expect.stringMatching(/^E[A-Z]+$/) });
      }
    }
    for (const name of ['normal', 'random', 'sequential', 'willneed', 'dontneed', 'dontfork', 'dofork', 'dontdump', 'dodump']) {
      expect(accepted).toContain(name);
    }
    m.advise('sequential');
    expect(() => m.advise('bogus' as Advice)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  it('dontneed on private anonymous memory gives zero pages back', () => {
    const m = track(mapAnonymous(4096 * 4));
    m.buffer.fill(9);
    m.advise('dontneed');
    expect(m.buffer.every((b) => b === 0)).toBe(true);
  });

  it('protect makes the library refuse writes (and reads under none), and restores', () => {
    const m = track(mapAnonymous(4 * 4096));
    m.protect('read', 4096, 4096);
    expect(() => m.write(4096, 'x')).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_PROTECTED' }));
    expect(() => m.store32(8190, 1)).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_PROTECTED' }));
    m.write(0, 'ok'); // page 0 is still writable
    expect(m.read(0, 2).toString()).toBe('ok');
    m.protect('none', 8192, 10);
    expect(() => m.read(8192, 1)).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_PROTECTED' }));
    expect(() => m.load8(8195)).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_PROTECTED' }));
    m.protect('readwrite');
    m.write(4096, 'again');
    expect(m.read(4096, 5).toString()).toBe('again');
    expect(m.load8(8195)).toBe(0);
  });

  it('lock and unlock, including lock on fault and the lock option', () => {
    // AddressSanitizer turns mlock into a no-op, so residency is checked only without it.
    const locks = !process.env.MMAPKIT_SANITIZERS;
    const m = track(mapAnonymous(8 * 4096));
    m.lock();
    if (locks) expect(m.residency().resident).toBe(8);
    m.unlock();
    m.lock(0, 4096, { onFault: true });
    m.unlock(0, 4096);
    const l = track(mapAnonymous(4 * 4096, { lock: true }));
    if (locks) expect(l.residency().resident).toBe(4);
  });

  it('resize grows and shrinks with mremap; old views keep their length and the library refuses them', () => {
    const m = track(mapAnonymous(4096));
    m.write(0, 'keep me');
    const old = m.buffer;
    const sub = old.subarray(1, 3);
    m.resize(3 * 4096);
    expect(old.length).toBe(4096);
    expect(sub.length).toBe(2);
    // In place, the old view shows the mapping's bytes; moved, the placeholder's zeros.
    expect([m.read(0, 7).toString(), '\0'.repeat(7)]).toContain(old.subarray(0, 7).toString());
    expect(() => m.write(0, old)).toThrow(
      expect.objectContaining({
        code: 'ERR_MMAPKIT_CLOSED',
        message: 'The "data" argument is a view from before resize(); take a new view from mapping.buffer',
      }),
    );
    expect(() => scanByteSum(sub)).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_CLOSED' }));
    expect(m.length).toBe(3 * 4096);
    expect(m.read(0, 7).toString()).toBe('keep me');
    m.store8(3 * 4096 - 1, 5);
    m.resize(100);
    expect(m.buffer.length).toBe(100);
    expect(m.read(0, 7).toString()).toBe('keep me');
    expect(() => m.load8(100)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => m.resize(0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('resize of a file mapping in place can fail with ENOMEM and leaves the mapping usable', () => {
    const p = path.join(dir, 'grow.bin');
    fs.writeFileSync(p, Buffer.alloc(8192, 3));
    const m = track(mapFile(p, { mode: 'readwrite' }));
    const blocker = track(mapAnonymous(4096));
    void blocker;
    try {
      m.resize(1 << 30, { mayMove: false });
    } catch (err) {
      expect(err).toMatchObject({ code: 'ENOMEM', syscall: 'mremap' });
    }
    m.resize(4096);
    expect(m.buffer[0]).toBe(3);
  });

  it('touchFile and evictFile move a file into and out of the page cache', () => {
    const p = path.join(dir, 'cache.bin');
    fs.writeFileSync(p, Buffer.alloc(256 * 4096, 1));
    const touched = touchFile(p);
    expect(touched.resident).toBe(256);
    expect(touched.percent).toBe(100);
    const evicted = evictFile(p);
    // The kernel may keep a few pages (e.g. readahead in flight); nearly all must go.
    expect(evicted.resident).toBeLessThan(16);
    expect(fileResidency(p).resident).toBe(evicted.resident);
  });
});
