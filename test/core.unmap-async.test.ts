// A sweep of unmap(), close() and resize() while Node's own asynchronous work or a builtin holds a
// mapping's memory: crypto, zlib (callbacks, sync calls, streams), fs, streams, re-entrant builtins,
// TextDecoder, structuredClone and workers, Atomics. Old views are never detached: they keep their
// length over a zero-filled placeholder, so Node's work ends normally, over zeros, and the file is
// untouched; mmapkit's own functions refuse the stale views with ERR_MMAPKIT_CLOSED.
//
// Each case runs in a child process and asserts values or error codes. With UV_THREADPOOL_SIZE=1
// and a slow pbkdf2 queued first (block()), a pool job queued next starts only after unmap() has
// returned, every time, so its input is the placeholder's zeros.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runNode, tempDir } from './support/helpers';

const dir = tempDir();
const MiB = 1 << 20;

const PRELUDE = `
  const fs = require('fs');
  const crypto = require('crypto');
  const zlib = require('zlib');
  const stream = require('stream');
  const block = () => crypto.pbkdf2('key', 'salt', 200000, 32, 'sha256', () => {});
  const done = (value) => { console.log(JSON.stringify(value)); };
  const codeOf = (f) => { try { f(); return 'no error'; } catch (e) { return e.code; } };
  const zeros = (b) => { for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false; return true; };
  const all = (b, v) => { for (let i = 0; i < b.length; i++) if (b[i] !== v) return false; return true; };
  // What mmapkit says of a stale view: the same code from three different entry points.
  const refused = (b) => [codeOf(() => mk.scanByteSum(b)), codeOf(() => mk.csvSum(b)), codeOf(() => mk.mapAnonymous(4096).write(0, b))];
  const CLOSED3 = ['ERR_MMAPKIT_CLOSED', 'ERR_MMAPKIT_CLOSED', 'ERR_MMAPKIT_CLOSED'];
  const check = (out) => { out.refusedOk = JSON.stringify(out.refused) === JSON.stringify(CLOSED3); delete out.refused; return out; };
`;

function probe(script: string, options: { args?: string[]; blocked?: boolean; nodeArgs?: string[] } = {}) {
  const r = runNode(PRELUDE + script, {
    args: options.args,
    nodeArgs: options.nodeArgs,
    env: options.blocked === false ? {} : { UV_THREADPOOL_SIZE: '1' },
    timeout: 120_000,
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

function pattern(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3) & 0xff;
  return b;
}
const sha256 = (p: string) => crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');

describe('crypto holding the memory', () => {
  it('randomFill into a view, then unmap(), close() or resize(): the fill lands in the placeholder', () => {
    const p = file('fill.bin', Buffer.alloc(MiB, 0x41));
    const out = probe(
      `
      const p = process.argv[1];
      const res = {};
      // The view lies past the first page: shrinking to one page retires it. Grown in place, the
      // mapping would still hold it, so that case unmaps after the resize.
      const cases = { unmap: (m) => m.unmap(), close: (m) => m.close(), shrink: (m) => m.resize(4096), grow: (m) => { m.resize(64 << 20); m.unmap(); } };
      let pending = Object.keys(cases).length;
      for (const [k, end] of Object.entries(cases)) {
        const m = mk.mapFile(p, { mode: 'readwrite' });
        const v = m.view(8192, 65536);
        block();
        crypto.randomFill(v, (e, b) => {
          let same = 0; for (let i = 0; i < b.length; i++) if (b[i] === 0x41) same++;
          res[k] = check({ err: e, length: b.length, random: same < 1000, refused: refused(b) });
          if (--pending === 0) { res.file = all(fs.readFileSync(p), 0x41); done(res); }
        });
        end(m);
      }
    `,
      { args: [p] },
    );
    for (const k of ['unmap', 'close', 'shrink', 'grow']) expect([k, out[k]]).toEqual([k, { err: null, length: 65536, random: true, refusedOk: true }]);
    expect(out.file).toBe(true);
  });

  it('pbkdf2 and scrypt take the password as it was at the call; the stale view then reads zeros', () => {
    const out = probe(`
      const m = mk.mapAnonymous(4096); const b = m.buffer; b.write('password');
      const pw = b.subarray(0, 8);
      const want = crypto.pbkdf2Sync('password', 'salt', 1000, 16, 'sha256').toString('hex');
      const wantS = crypto.scryptSync('password', 'salt', 16).toString('hex');
      block();
      let n = 0; const res = {};
      const end = () => { if (++n === 2) { res.stale = zeros(pw) && pw.length === 8; done(res); } };
      crypto.pbkdf2(pw, 'salt', 1000, 16, 'sha256', (e, k) => { res.pbkdf2 = !e && k.toString('hex') === want; end(); });
      crypto.scrypt(pw, 'salt', 16, (e, k) => { res.scrypt = !e && k.toString('hex') === wantS; end(); });
      m.unmap();
    `);
    expect(out).toEqual({ pbkdf2: true, scrypt: true, stale: true });
  });
});

describe('zlib holding the memory', () => {
  it('deflate, gzip and brotli of a 16 MiB file mapping in small chunks, then unmap(): output of zeros, file untouched', () => {
    const p = file('zin.bin', pattern(16 * MiB));
    const out = probe(
      `
      const p = process.argv[1];
      const res = {};
      const kinds = {
        deflate: [zlib.deflate, zlib.inflateSync, { chunkSize: 1024 }],
        gzip: [zlib.gzip, zlib.gunzipSync, { chunkSize: 1024 }],
        brotli: [zlib.brotliCompress, zlib.brotliDecompressSync, { chunkSize: 1024 }],
      };
      let pending = 3;
      for (const [k, [run, back, opts]] of Object.entries(kinds)) {
        const m = mk.mapFile(p, { mode: 'readwrite' });
        const b = m.buffer;
        block();
        run(b, opts, (e, z) => {
          const x = back(z);
          res[k] = check({ err: e, length: x.length, zeros: zeros(x), held: b.length, refused: refused(b) });
          if (--pending === 0) { res.file = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex'); done(res); }
        });
        m.unmap();
      }
    `,
      { args: [p] },
    );
    for (const k of ['deflate', 'gzip', 'brotli'])
      expect([k, out[k]]).toEqual([k, { err: null, length: 16 * MiB, zeros: true, held: 16 * MiB, refusedOk: true }]);
    expect(out.file).toBe(sha256(p));
    expect(sha256(p)).toBe(
      crypto
        .createHash('sha256')
        .update(pattern(16 * MiB))
        .digest('hex'),
    );
  });

  it('inflate of a mapped stream that unmap() turns to zeros fails with Z_DATA_ERROR, not an abort', () => {
    const p = file('zdata.z', zlib.deflateSync(pattern(4 * MiB)));
    const out = probe(
      `
      const m = mk.mapFile(process.argv[1]);
      block();
      zlib.inflate(m.buffer, { chunkSize: 1024 }, (e, x) => done({ code: e && e.code, out: x === undefined }));
      m.unmap();
    `,
      { args: [p] },
    );
    expect(out).toEqual({ code: 'Z_DATA_ERROR', out: true });
  });

  it('a deflate stream given a Buffer that resize() then unmap() retire before the pool runs: zeros; sync deflate of stale views: zeros', () => {
    const p = file('zstream.bin', pattern(4 * MiB));
    const out = probe(
      `
      const m = mk.mapFile(process.argv[1], { mode: 'readwrite' });
      const b = m.buffer;
      const z = zlib.createDeflate({ chunkSize: 512 });
      const parts = [];
      z.on('data', (c) => parts.push(c));
      z.on('end', () => {
        const x = zlib.inflateSync(Buffer.concat(parts));
        const sync = [];
        for (let i = 0; i < 20; i++) {
          const n = mk.mapFile(process.argv[1]); const v = n.view(i * 4096, 65536); n.unmap();
          const y = zlib.inflateSync(zlib.deflateSync(v));
          sync.push(y.length === 65536 && zeros(y));
        }
        done(check({ length: x.length, zeros: zeros(x), sync: sync.every(Boolean), refused: refused(b) }));
      });
      block();
      z.end(b);
      m.resize(256 << 20); // grown in place or moved (the old place becomes a placeholder)
      m.unmap();
    `,
      { args: [p] },
    );
    expect(out).toEqual({ length: 4 * MiB, zeros: true, sync: true, refusedOk: true });
  });
});

describe('fs and streams holding the memory', () => {
  it('fs.write from a view, fs.read into one, fs.promises.writeFile from one, each then unmap()', () => {
    const src = file('fs-src.bin', Buffer.alloc(256 * 1024, 0x33));
    const target = file('fs-target.bin', Buffer.alloc(256 * 1024, 0x5a));
    const outW = path.join(dir, 'fs-out-write.bin');
    const outP = path.join(dir, 'fs-out-promise.bin');
    const out = probe(
      `
      const [src, target, outW, outP] = process.argv.slice(1);
      const res = {};
      let pending = 3;
      const end = () => { if (--pending === 0) {
        res.target = all(fs.readFileSync(target), 0x5a);
        res.written = fs.statSync(outW).size === 256 * 1024 && zeros(fs.readFileSync(outW));
        res.promised = fs.statSync(outP).size === 256 * 1024 && zeros(fs.readFileSync(outP));
        done(res);
      } };
      const a = mk.mapFile(target, { mode: 'readwrite' }); const ab = a.buffer;
      const b = mk.mapFile(target, { mode: 'readwrite' }); const bb = b.buffer;
      const c = mk.mapFile(target, { mode: 'readwrite' }); const cb = c.buffer;
      block();
      fs.write(fs.openSync(outW, 'w'), ab, 0, ab.length, 0, (e, n) => { res.write = check({ err: e, n, refused: refused(ab) }); end(); });
      fs.read(fs.openSync(src, 'r'), bb, 0, bb.length, 0, (e, n) => { res.read = { err: e, n, landed: all(bb, 0x33) }; end(); });
      fs.promises.writeFile(outP, cb).then(() => { res.promise = 'ok'; end(); }, (e) => { res.promise = e.code; end(); });
      a.unmap(); b.unmap(); c.unmap();
    `,
      { args: [src, target, outW, outP] },
    );
    expect(out).toEqual({
      write: { err: null, n: 256 * 1024, refusedOk: true },
      read: { err: null, n: 256 * 1024, landed: true },
      promise: 'ok',
      target: true,
      written: true,
      promised: true,
    });
  });

  it('a stream.Writable given a view sees its length and zeros after unmap(); a file stream writes zeros', () => {
    const outS = path.join(dir, 'stream-out.bin');
    const out = probe(
      `
      const outS = process.argv[1];
      const m = mk.mapAnonymous(1 << 20); m.buffer.fill(9);
      const seen = [];
      const w = new stream.Writable({ write(chunk, enc, cb) { setImmediate(() => { seen.push({ length: chunk.length, zeros: zeros(chunk), code: codeOf(() => mk.scanByteSum(chunk)) }); cb(); }); } });
      w.write(m.buffer); w.write(m.view(4096, 4096));
      const fsw = fs.createWriteStream(outS);
      block();
      fsw.end(m.buffer);
      m.unmap();
      w.end();
      const { once } = require('events');
      Promise.all([once(w, 'finish'), once(fsw, 'close')]).then(() => done({ seen, file: fs.statSync(outS).size === (1 << 20) && zeros(fs.readFileSync(outS)) }));
    `,
      { args: [outS] },
    );
    expect(out).toEqual({
      seen: [
        { length: MiB, zeros: true, code: 'ERR_MMAPKIT_CLOSED' },
        { length: 4096, zeros: true, code: 'ERR_MMAPKIT_CLOSED' },
      ],
      file: true,
    });
  });
});

describe('builtins that run user code part-way through', () => {
  it('Buffer.prototype.fill whose valueOf unmaps, closes or shrinks: the file keeps what the mapping left', () => {
    const p = file('refill.bin', Buffer.alloc(16 * 4096, 0x41));
    const out = probe(
      `
      const p = process.argv[1];
      const res = {};
      for (const [k, end] of Object.entries({ unmap: (m) => m.unmap(), close: (m) => m.close(), shrink: (m) => m.resize(4096) })) {
        fs.writeFileSync(p, Buffer.alloc(16 * 4096, 0x41));
        const m = mk.mapFile(p, { mode: 'readwrite' }); const b = m.buffer;
        b.fill({ valueOf() { end(m); return 7; } });
        const f = fs.readFileSync(p);
        res[k] = check({ length: b.length, filled: all(b, 7), head: f[0], tail: f[f.length - 1], refused: refused(b) });
        if (!m.closed) m.unmap();
      }
      done(res);
    `,
      { args: [p], blocked: false },
    );
    expect(out).toEqual({
      unmap: { length: 16 * 4096, filled: true, head: 0x41, tail: 0x41, refusedOk: true },
      close: { length: 16 * 4096, filled: true, head: 0x41, tail: 0x41, refusedOk: true },
      // The first page stays in the shrunk mapping: the fill reaches the file there, as before resize().
      shrink: { length: 16 * 4096, filled: true, head: 7, tail: 0x41, refusedOk: true },
    });
  });

  it('TypedArray set, sort and copyWithin with callbacks that unmap: results land in the placeholder', () => {
    const p = file('typed.bin', Buffer.from([9, 3, 7, 1, 8, 2, 6, 4, ...Buffer.alloc(4088, 0x41)]));
    const out = probe(
      `
      const p = process.argv[1];
      const original = fs.readFileSync(p);
      const fresh = () => mk.mapFile(p, { mode: 'readwrite' });
      const res = {};
      let m = fresh(); let u = m.buffer;
      u.set({ length: 4, get 0() { m.unmap(); return 1; }, 1: 2, 2: 3, 3: 4 });
      res.set = [...u.subarray(0, 5)];
      m = fresh(); u = m.buffer.subarray(0, 8); let once = true;
      u.sort((a, b) => { if (once) { once = false; m.unmap(); } return a - b; });
      res.sort = [...u];
      m = fresh(); u = m.buffer;
      u.copyWithin({ valueOf() { m.unmap(); return 0; } }, 4, 8);
      res.copyWithin = [...u.subarray(0, 8)];
      m = fresh(); const i32 = new Int32Array(m.buffer.buffer, 0, 4);
      i32.set([1, 2]); m.resize(8192);
      i32.set({ length: 2, get 0() { m.unmap(); return 5; }, 1: 6 });
      res.int32 = [i32[0], i32[1], i32.length];
      res.refused = refused(u);
      res.file = fs.readFileSync(p).equals(Buffer.concat([Buffer.from([1, 0, 0, 0, 2, 0, 0, 0]), original.subarray(8)]));
      done(check(res));
    `,
      { args: [p], blocked: false },
    );
    expect(out).toEqual({
      set: [1, 2, 3, 4, 0],
      sort: [1, 2, 3, 4, 6, 7, 8, 9],
      copyWithin: [0, 0, 0, 0, 0, 0, 0, 0],
      int32: [5, 6, 4],
      refusedOk: true,
      file: true,
    });
  });

  it('TextDecoder.decode of a stale view gives NULs of its length; decoding in a stream keeps the decoded head', () => {
    const p = file('text.txt', Buffer.from('héllo wörld\n'.repeat(1000)));
    const out = probe(
      `
      const m = mk.mapFile(process.argv[1]);
      const b = m.buffer; const td = new TextDecoder('utf-8');
      const head = td.decode(b.subarray(0, 12), { stream: true });
      m.unmap();
      const rest = td.decode(b.subarray(12));
      const whole = new TextDecoder().decode(b);
      done({ head, restLength: rest.length, restNul: /^\\0*$/.test(rest), wholeLength: whole.length, wholeNul: /^\\0*$/.test(whole), code: codeOf(() => mk.csvSum(b)) });
    `,
      { args: [p], blocked: false },
    );
    const n = Buffer.byteLength('héllo wörld\n'.repeat(1000));
    expect(out).toEqual({ head: 'héllo wörl', restLength: n - 12, restNul: true, wholeLength: n, wholeNul: true, code: 'ERR_MMAPKIT_CLOSED' });
  });
});

describe('copies and other threads', () => {
  it('structuredClone and postMessage copy the bytes (a transfer list copies on Node 20, is refused on 22+); the worker keeps them after unmap()', () => {
    const out = probe(
      `
      const { Worker } = require('worker_threads');
      const m = mk.mapAnonymous(1 << 20); const b = m.buffer; b.fill(0x2a);
      const w = new Worker('const { parentPort } = require("worker_threads"); parentPort.on("message", (a) => { setTimeout(() => { const u = new Uint8Array(a.buffer || a); let ok = u.length === (1 << 20); for (let i = 0; i < u.length; i++) if (u[i] !== 0x2a) ok = false; parentPort.postMessage(ok); }, 50); });', { eval: true });
      const clone = structuredClone(b);
      w.postMessage(b);
      let transfer;
      try { w.postMessage(b.buffer, [b.buffer]); transfer = 'copied'; } catch (e) { transfer = e.name; }
      m.unmap();
      const after = structuredClone(b);
      const got = [];
      // Node 20 copies a transfer-listed buffer it cannot detach; Node 22 and later refuse it with a
      // DataCloneError and send nothing. Either way the mapping's buffer stays attached.
      const want = transfer === 'copied' ? 2 : 1;
      w.on('message', (ok) => { got.push(ok); if (got.length === want) { w.terminate(); done({ clone: all(clone, 0x2a), got, transfer, attached: b.length, after: after.length === b.length && zeros(after) }); } });
    `,
      { blocked: false },
    );
    const major = Number(process.versions.node.split('.')[0]);
    const sent = major >= 22 ? { got: [true], transfer: 'DataCloneError' } : { got: [true, true], transfer: 'copied' };
    expect(out).toEqual({ clone: true, ...sent, attached: MiB, after: true });
  });

  it('Atomics over a stale Int32Array work on the placeholder; Atomics.wait refuses the non-shared buffer; futex calls throw ERR_MMAPKIT_CLOSED', () => {
    const out = probe(
      `
      const a = mk.mapAnonymous(4096, { shared: true }); const i32 = new Int32Array(a.buffer.buffer);
      Atomics.store(i32, 0, 5);
      let waitName; try { Atomics.wait(i32, 0, 5, 1); } catch (e) { waitName = e.name; }
      const pending = mk.futexWaitAsync(i32, 1, 0);
      a.unmap();
      const afterUnmap = [Atomics.load(i32, 0), Atomics.add(i32, 0, 3), Atomics.load(i32, 0)];
      const futex = [codeOf(() => mk.futexWait(i32, 0, 0, 1)), codeOf(() => mk.futexWake(i32, 0))];
      const r = mk.mapAnonymous(4096, { shared: true }); const ri = new Int32Array(r.buffer.buffer); r.resize(8192);
      const resized = [codeOf(() => mk.futexWake(ri, 0)), mk.futexWake(new Int32Array(r.buffer.buffer), 0)];
      pending.then((v) => done({ waitName, afterUnmap, futex, resized, pending: v }), (e) => done({ waitName, afterUnmap, futex, resized, pending: e.code }));
    `,
      { blocked: false },
    );
    expect(out).toEqual({
      waitName: 'TypeError',
      afterUnmap: [0, 0, 3],
      futex: ['ERR_MMAPKIT_CLOSED', 'ERR_MMAPKIT_CLOSED'],
      resized: ['ERR_MMAPKIT_CLOSED', 0],
      pending: 'ERR_MMAPKIT_CLOSED',
    });
  });
});
