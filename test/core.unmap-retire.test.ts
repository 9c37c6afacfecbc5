// unmap() and resize() while other code still holds the raw pointer: a libuv job of Node's own
// (crypto, zlib, fs) or a builtin part-way through a call that ran user code. The range is retired
// behind a zero-filled private placeholder: the Buffers keep their length, late writes land in the
// placeholder, late reads see zeros, the file is untouched, and the placeholder goes once the last
// Buffer over it is collected.
//
// Each case runs in a child process. With UV_THREADPOOL_SIZE=1 and a slow pbkdf2 queued first, the
// job under test starts only after unmap() has returned, every time.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runNode, tempDir } from './support/helpers';

const dir = tempDir();

const PRELUDE = `
  const fs = require('fs');
  const crypto = require('crypto');
  const zlib = require('zlib');
  // Occupies the only pool thread for a while: what is queued next runs after this tick.
  const block = () => crypto.pbkdf2('key', 'salt', 200000, 32, 'sha256', () => {});
  const status = (key) => Number(new RegExp(key + ':\\\\s+(\\\\d+)').exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
  // The /proc/self/maps line whose range holds addr (a BigInt), or null.
  const areaOf = (addr) => {
    for (const line of fs.readFileSync('/proc/self/maps', 'utf8').split('\\n')) {
      const m = /^([0-9a-f]+)-([0-9a-f]+) (\\S+) \\S+ \\S+ (\\d+)\\s*(.*)$/.exec(line);
      if (m && BigInt('0x' + m[1]) <= addr && addr < BigInt('0x' + m[2])) {
        return { start: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]), perms: m[3], inode: Number(m[4]), path: m[5] };
      }
    }
    return null;
  };
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const done = (value) => { console.log(JSON.stringify(value)); };
`;

function probe(script: string, options: { nodeArgs?: string[]; args?: string[]; blocked?: boolean; timeout?: number } = {}) {
  const r = runNode(PRELUDE + script, {
    nodeArgs: options.nodeArgs,
    args: options.args,
    env: options.blocked === false ? {} : { UV_THREADPOOL_SIZE: '1' },
    timeout: options.timeout ?? 60_000,
  });
  if (r.status !== 0 || r.signal) {
    throw new Error(`child ended with status ${r.status} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

function file(name: string, bytes: Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);
  return p;
}

describe("unmap() while Node's own asynchronous work holds the memory", () => {
  it('crypto.randomFill, then unmap(): the callback runs (the issue’s reproducer, and with the fill certainly after unmap)', () => {
    const race = probe(
      `
      const m = mk.mapAnonymous(1 << 24); m.buffer.fill(1);
      crypto.randomFill(m.buffer, (e, b) => done({ err: e, length: b.length }));
      m.unmap();
    `,
      { blocked: false },
    );
    expect(race).toEqual({ err: null, length: 1 << 24 });
    const late = probe(`
      const m = mk.mapAnonymous(1 << 24); m.buffer.fill(1);
      block();
      const held = m.buffer;
      crypto.randomFill(held, (e, b) => {
        // The fill ran after unmap(): into the placeholder, which now holds random bytes, not ones.
        let ones = 0; for (let i = 0; i < 4096; i++) if (b[i] === 1) ones++;
        done({ err: e, length: b.length, same: b === held, closed: m.closed, random: ones < 200 });
      });
      m.unmap();
      held[0] = 5; // lands in the placeholder too
    `);
    expect(late).toEqual({ err: null, length: 1 << 24, same: true, closed: true, random: true });
  });

  it('zlib.deflate over a file mapping, then unmap(): the input reads as zeros and the file is unchanged', () => {
    const p = file('deflate.bin', Buffer.alloc(8 << 20, 7));
    const out = probe(
      `
      const p = process.argv[1];
      const m = mk.mapFile(p, { mode: 'readwrite' });
      block();
      zlib.deflate(m.buffer, (e, z) => {
        const back = zlib.inflateSync(z);
        done({ err: e, inflated: back.length, zeros: back.every((x) => x === 0), file: fs.readFileSync(p).every((x) => x === 7) });
      });
      m.unmap();
    `,
      { args: [p] },
    );
    expect(out).toEqual({ err: null, inflated: 8 << 20, zeros: true, file: true });
    expect(fs.readFileSync(p).every((x) => x === 7)).toBe(true);
  });

  it('a fill whose valueOf() unmaps writes into the placeholder, not into the file', () => {
    const p = file('reentrant.bin', Buffer.alloc(1 << 20, 0x41));
    const out = probe(
      `
      const p = process.argv[1];
      const m = mk.mapFile(p, { mode: 'readwrite' });
      const b = m.buffer;
      const r = b.fill({ valueOf() { m.unmap(); return 1; } });
      const anon = mk.mapAnonymous(1 << 20);
      const ab = anon.buffer;
      ab.fill({ valueOf() { anon.unmap(); return 2; } });
      done({ same: r === b, length: b.length, filled: b.every((x) => x === 1) && ab.every((x) => x === 2), closed: m.closed && anon.closed, file: fs.readFileSync(p).every((x) => x === 0x41) });
    `,
      { args: [p], blocked: false },
    );
    expect(out).toEqual({ same: true, length: 1 << 20, filled: true, closed: true, file: true });
  });

  it("a late write through a held Buffer (fs.read's pool thread) lands nowhere: the file keeps its bytes", () => {
    const target = file('target.bin', Buffer.alloc(64 * 1024, 0x5a));
    const source = file('source.bin', Buffer.alloc(64 * 1024, 0x33));
    const out = probe(
      `
      const [target, source] = process.argv.slice(1);
      const m = mk.mapFile(target, { mode: 'readwrite' });
      const fd = fs.openSync(source, 'r');
      block();
      fs.read(fd, m.buffer, 0, 64 * 1024, 0, (e, n) => {
        done({ err: e, n, file: fs.readFileSync(target).every((x) => x === 0x5a) });
      });
      m.unmap();
    `,
      { args: [target, source] },
    );
    expect(out).toEqual({ err: null, n: 64 * 1024, file: true });
    expect(fs.readFileSync(target).every((x) => x === 0x5a)).toBe(true);
  });

  it('an in-flight syncAsync() still writes back to the file before the range is retired', () => {
    const p = file('synced.bin', Buffer.alloc(1 << 20, 0x2e));
    const out = probe(
      `
      const p = process.argv[1];
      const m = mk.mapFile(p, { mode: 'readwrite' });
      m.buffer.write('synced', 0);
      block();
      const synced = m.syncAsync();
      let filled;
      crypto.randomFill(m.buffer, (e, b) => { filled = { err: e, length: b.length }; });
      m.unmap();
      synced.then(async () => {
        while (!filled) await new Promise((r) => setTimeout(r, 5));
        const f = fs.readFileSync(p);
        done({ filled, head: f.subarray(0, 6).toString(), rest: f.subarray(6).every((x) => x === 0x2e) });
      });
    `,
      { args: [p] },
    );
    expect(out).toEqual({ filled: { err: null, length: 1 << 20 }, head: 'synced', rest: true });
  });
});

describe('the retired range', () => {
  it('drops its pages and its file at unmap(), keeps the addresses, and is released once its last holder is collected', () => {
    const p = file('released.bin', Buffer.alloc(4 << 20, 9));
    const out = probe(
      `
      const p = process.argv[1];
      const size = 64 << 20;
      const m = mk.mapAnonymous(size); m.buffer.fill(1);
      const f = mk.mapFile(p); f.buffer[0];
      let keep = [m.buffer, f.buffer];           // what an asynchronous job would hold
      const addr = m.address, faddr = f.address;
      const rssMapped = status('VmRSS');
      m.unmap(); f.unmap();
      const area = areaOf(addr), farea = areaOf(faddr);
      const rssRetired = status('VmRSS'), vmRetired = status('VmSize');
      const fileListed = fs.readFileSync('/proc/self/maps', 'utf8').includes(p);
      (async () => {
        keep = null;
        for (let i = 0; i < 3; i++) { global.gc(); await turn(); await turn(); }
        const vmReleased = status('VmSize');
        done({
          area: area && { perms: area.perms, inode: area.inode, path: area.path, covers: area.end - addr >= BigInt(size) },
          farea: farea && { perms: farea.perms, inode: farea.inode, path: farea.path },
          fileListed,
          rssDrop: rssMapped - rssRetired >= 48 << 20,
          vmDrop: vmRetired - vmReleased >= 48 << 20,
        });
      })();
    `,
      { args: [p], nodeArgs: ['--expose-gc'], blocked: false },
    );
    expect(out).toEqual({
      area: { perms: 'rw-p', inode: 0, path: '', covers: true },
      farea: { perms: 'rw-p', inode: 0, path: '' },
      fileListed: false,
      rssDrop: true,
      vmDrop: true,
    });
  });

  it('is unmapped at once when nothing outside the library saw the memory', () => {
    const out = probe(
      `
      const m = mk.mapAnonymous(32 << 20);
      m.store8(0, 1);                             // the library's own access: not an exposure
      const vmMapped = status('VmSize');
      m.unmap();
      // A placeholder would keep all 32 MiB; V8 may map a little of its own in between.
      done({ drop: vmMapped - status('VmSize') >= 24 << 20 });
    `,
      { blocked: false },
    );
    expect(out).toEqual({ drop: true });
  });

  it('an empty mapping unmaps as before', () => {
    const out = probe(
      `
      const m = mk.mapAnonymous(0);
      const b = m.buffer;
      done({ first: m.unmap(), second: m.unmap(), length: b.length });
    `,
      { blocked: false },
    );
    expect(out).toEqual({ first: true, second: false, length: 0 });
  });

  it('resize(): a shrunk tail and a moved mapping’s old place are retired, not left as holes', () => {
    const p = file('resize.bin', Buffer.alloc(64 * 1024, 0x61));
    const source = file('resize-source.bin', Buffer.alloc(64 * 1024, 0x62));
    const out = probe(
      `
      const [p, source] = process.argv.slice(1);
      const results = {};
      // Shrink under a randomFill of the whole old Buffer.
      const a = mk.mapAnonymous(16 * 4096);
      a.buffer.write('keep me', 0);
      block();
      crypto.randomFill(a.buffer, (e, b) => { results.shrink = { err: e, length: b.length }; });
      a.resize(4096);
      results.kept = a.read(0, 7).toString();
      // Grow a file mapping far enough to move, under an fs.read into the old Buffer.
      const m = mk.mapFile(p, { mode: 'readwrite' });
      const before = m.address;
      const fd = fs.openSync(source, 'r');
      block();
      fs.read(fd, m.buffer, 0, 64 * 1024, 0, (e, n) => { results.grow = { err: e, n }; });
      m.resize(256 << 20);
      const old = areaOf(before);
      results.moved = m.address !== before;
      results.oldPlace = !results.moved || (old !== null && old.inode === 0 && old.path === '');
      results.head = m.read(0, 4).toString();
      (async () => {
        while (!results.shrink || !results.grow) await new Promise((r) => setTimeout(r, 5));
        m.unmap(); a.unmap();
        results.file = fs.readFileSync(p).every((x) => x === 0x61);
        done(results);
      })();
    `,
      { args: [p, source] },
    );
    expect(out).toMatchObject({
      shrink: { err: null, length: 16 * 4096 },
      kept: 'keep me',
      grow: { err: null, n: 64 * 1024 },
      oldPlace: true,
      head: 'aaaa',
      file: true,
    });
  });

  const hugeFree = /HugePages_Free:\s+(\d+)/.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
  it.skipIf(!hugeFree || Number(hugeFree[1]) < 1)('covers the whole huge page of an explicit MAP_HUGETLB mapping', () => {
    const out = probe(`
      const m = mk.mapAnonymous(100, { hugePages: 'explicit' });
      m.buffer.fill(3);
      const addr = m.address;
      block();
      crypto.randomFill(m.buffer, (e, b) => {
        const area = areaOf(addr);
        done({ err: e, length: b.length, covers: area !== null && area.start <= addr && area.end - addr >= 2n << 20n });
      });
      m.unmap();
    `);
    expect(out).toEqual({ err: null, length: 100, covers: true });
  });

  it('synchronous loops of map, buffer and unmap go past the mapping limit (placeholders merge in the kernel)', () => {
    const maxMaps = Number(fs.readFileSync('/proc/sys/vm/max_map_count', 'utf8'));
    const limit = Math.max(maxMaps - Math.max(Math.floor(maxMaps / 4), 8192), 1024);
    const p = file('loop.bin', Buffer.alloc(4096, 4));
    const out = probe(
      `
      const fd = fs.openSync(process.argv[1], 'r');
      const n = Number(process.argv[2]);
      let sum = 0, code = null;
      try { for (let i = 0; i < n; i++) { const m = mk.mapFile(fd, { length: 4096 }); sum += m.buffer[0]; m.unmap(); } } catch (e) { code = e.code; }
      done({ sum, code });
    `,
      { args: [p, String(limit + 2000)], blocked: false, timeout: 120_000 },
    );
    expect(out).toEqual({ sum: 4 * (limit + 2000), code: null });
  });
});
