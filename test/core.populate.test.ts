// Mapping.populate / populateAsync and lockAsync: pages come into the page cache (and into the
// locked set) off the main thread, an AbortSignal stops the job between its 64 MiB steps (a
// cancelled lock unlocks what it had locked), unmap() during a job leaves the process alive and
// the views over zeros, and a truncated or protected range is a coded error, never a signal.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MmapkitError, evictFile, mapFile } from '../lib';
import { expectCode, mappingTracker, runNode, tempDir } from './support/helpers';

const dir = tempDir('mmapkit-populate-');
const MiB = 1 << 20;
const track = mappingTracker();

function fileOf(name: string, bytes: number): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, Buffer.alloc(bytes, 0x5a));
  return p;
}

/** Kilobytes of locked memory of this process (VmLck in /proc/self/status). */
function lockedKiB(): number {
  const m = /^VmLck:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : NaN;
}

describe('populate', () => {
  it('populate and populateAsync bring an evicted file into the page cache, for reading or writing, over the range asked', async () => {
    const p = fileOf('a.bin', 16 * MiB);
    const runs: [string, (m: ReturnType<typeof mapFile>) => unknown, number, number][] = [
      ['populate()', (m) => m.populate(), 0, 16 * MiB],
      ['populateAsync()', (m) => m.populateAsync(), 0, 16 * MiB],
      ['populateAsync write', (m) => m.populateAsync(0, 16 * MiB, { write: true }), 0, 16 * MiB],
      ['populate(1 MiB, 1 MiB)', (m) => m.populate(MiB, MiB), MiB, MiB],
    ];
    for (const [name, run, off, len] of runs) {
      // Evicted while nothing maps it (mapped pages stay in the page cache).
      const ev = evictFile(p);
      expect(ev.resident, name).toBeLessThan(ev.pages);
      const m = track(mapFile(p, { mode: 'readwrite' }));
      expect(m.residency(off, len).resident, name).toBeLessThan(len / 4096);
      await run(m);
      expect(m.residency(off, len).resident, name).toBe(len / 4096);
      expect(m.buffer[off + 12345]).toBe(0x5a);
      m.unmap();
    }
    // A write populate changed no byte of the file.
    expect(fs.readFileSync(p).every((b) => b === 0x5a)).toBe(true);
  });

  it('a write populate of a private mapping breaks copy-on-write without touching the file', async () => {
    const p = fileOf('priv.bin', 4 * MiB);
    const m = track(mapFile(p, { mode: 'private' }));
    await m.populateAsync(undefined, undefined, { write: true });
    m.buffer.fill(1, 0, 4096);
    expect(m.buffer[0]).toBe(1);
    expect(fs.readFileSync(p)[0]).toBe(0x5a);
  });

  it('lockAsync locks the range (VmLck grows by it), unlock() releases it', async () => {
    // 2 MiB: within the default RLIMIT_MEMLOCK (8 MiB) of an unprivileged user.
    const p = fileOf('lock.bin', 2 * MiB);
    const m = track(mapFile(p));
    const before = lockedKiB();
    await m.lockAsync();
    expect(lockedKiB() - before).toBeGreaterThanOrEqual(2 * 1024);
    m.unlock();
    expect(lockedKiB()).toBe(before);
    await m.lockAsync(0, MiB, { onFault: true });
    m.unlock();
    expect(lockedKiB()).toBe(before);
  });

  it('an AbortSignal stops populateAsync and lockAsync; a cancelled lock leaves nothing locked', async () => {
    const p = fileOf('big.bin', 256 * MiB);
    const m = track(mapFile(p));
    const pre = new AbortController();
    pre.abort('early');
    await expect(m.populateAsync(undefined, undefined, { signal: pre.signal })).rejects.toMatchObject({
      code: 'ABORT_ERR',
      name: 'AbortError',
      cause: 'early',
    });
    evictFile(p);
    const c = new AbortController();
    const job = m.populateAsync(undefined, undefined, { signal: c.signal });
    c.abort();
    await expect(job).rejects.toMatchObject({ code: 'ABORT_ERR', name: 'AbortError' });
    const before = lockedKiB();
    const l = new AbortController();
    const lock = m.lockAsync(undefined, undefined, { signal: l.signal });
    l.abort();
    await expect(lock).rejects.toMatchObject({ code: 'ABORT_ERR' });
    expect(lockedKiB()).toBe(before);
  });

  it('bad arguments, a read-only write populate, a protected range and an unmapped mapping: coded errors', async () => {
    const p = fileOf('bad.bin', MiB);
    const ro = track(mapFile(p));
    expectCode(() => ro.populate(0, 16, { write: true }), MmapkitError, 'ERR_MMAPKIT_READ_ONLY');
    await expect(ro.populateAsync(0, 16, { write: true })).rejects.toMatchObject({ code: 'ERR_MMAPKIT_READ_ONLY' });
    expectCode(() => ro.populate(0, 2 * MiB), RangeError, 'ERR_OUT_OF_RANGE');
    await expect(ro.populateAsync(-1)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expectCode(() => ro.populate(0, 16, { nope: true } as never), TypeError, 'ERR_INVALID_ARG_VALUE');
    await expect(ro.lockAsync(0, 16, { signal: 'x' } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    const rw = track(mapFile(p, { mode: 'readwrite' }));
    rw.protect('none', 0, 4096);
    expectCode(() => rw.populate(0, 10), MmapkitError, 'ERR_MMAPKIT_PROTECTED');
    await expect(rw.populateAsync(0, 10)).rejects.toMatchObject({ code: 'ERR_MMAPKIT_PROTECTED' });
    rw.protect('read', 0, 4096);
    await expect(rw.populateAsync(0, 10, { write: true })).rejects.toMatchObject({ code: 'ERR_MMAPKIT_PROTECTED' });
    const gone = mapFile(p);
    gone.unmap();
    expectCode(() => gone.populate(), MmapkitError, 'ERR_MMAPKIT_CLOSED');
    await expect(gone.populateAsync()).rejects.toMatchObject({ code: 'ERR_MMAPKIT_CLOSED' });
    await expect(gone.lockAsync()).rejects.toMatchObject({ code: 'ERR_MMAPKIT_CLOSED' });
  });
});

describe('populate in a child process (a crash would end it)', () => {
  it('unmap() while populateAsync and lockAsync run: both settle, the views read zeros, the process lives on', () => {
    const p = fileOf('unmap.bin', 128 * MiB);
    const r = runNode(
      `
      (async () => {
        const m = mk.mapFile(process.argv[1]);
        const b = m.buffer;
        mk.evictFile(process.argv[1]);
        const jobs = [m.populateAsync(), m.lockAsync(0, 64 << 20)];
        m.unmap();
        const out = await Promise.allSettled(jobs);
        console.log(JSON.stringify({ states: out.map((o) => o.status), zero: b[1 << 20], code: (() => { try { mk.csvSum(b); } catch (e) { return e.code; } })() }));
      })();
    `,
      { args: [p] },
    );
    expect(r.signal).toBeNull();
    expect(JSON.parse(r.stdout.trim())).toEqual({ states: ['fulfilled', 'fulfilled'], zero: 0, code: 'ERR_MMAPKIT_CLOSED' });
  });

  it('a file truncated under its mapping: populate and populateAsync give ERR_MMAPKIT_SIGBUS naming the range', () => {
    const p = fileOf('trunc.bin', 8 * MiB);
    const r = runNode(
      `
      (async () => {
        const m = mk.mapFile(process.argv[1]);
        require('fs').truncateSync(process.argv[1], 4096);
        const codes = [];
        try { m.populate(); } catch (e) { codes.push([e.code, e.message]); }
        await m.populateAsync().catch((e) => codes.push([e.code, e.message]));
        console.log(JSON.stringify(codes));
      })();
    `,
      { args: [p] },
    );
    expect(r.signal).toBeNull();
    const codes = JSON.parse(r.stdout.trim()) as [string, string][];
    expect(codes.map((c) => c[0])).toEqual(['ERR_MMAPKIT_SIGBUS', 'ERR_MMAPKIT_SIGBUS']);
    for (const [, msg] of codes) expect(msg).toMatch(/bytes 0 to \d+ of the mapping: the file is shorter than its mapping/);
  });
});
