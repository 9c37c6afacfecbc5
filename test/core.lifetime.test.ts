// Crash probes: each runs in a child process, so a crash fails the test instead of the runner.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runNode, tempDir } from './support/helpers';

const dir = tempDir();

function probe(script: string, nodeArgs: string[] = []) {
  const r = runNode(script, { nodeArgs });
  if (r.status !== 0 || r.signal) {
    throw new Error(`child ended with status ${r.status} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

describe('no use-after-free from JavaScript', () => {
  it('access after unmap sees views of unchanged length over zeros, and library calls throw ERR_MMAPKIT_CLOSED', () => {
    const out = probe(`
      const m = mk.mapAnonymous(1 << 20);
      const buf = m.buffer; const sub = buf.subarray(100, 200); const u32 = new Uint32Array(buf.buffer);
      buf[5] = 1; sub[0] = 2; u32[10] = 3;
      m.unmap();
      const codes = [];
      for (const f of [() => m.read(0, 1), () => m.load8(0), () => m.store8(0, 1), () => m.sync(), () => m.buffer, () => m.view(0, 1), () => m.advise('normal'), () => m.residency(), () => mk.scanByteSum(buf), () => mk.csvSum(sub), () => mk.futexWake(u32, 0)]) {
        try { f(); codes.push('no error'); } catch (e) { codes.push(e.code); }
      }
      let nonzero = 0; for (let i = 0; i < buf.length; i++) if (buf[i] !== 0) nonzero++;
      buf[7] = 9; sub[1] = 9; // land in the placeholder
      console.log(JSON.stringify({ buf: buf.length, sub: sub.length, u32: u32.length, ab: buf.buffer.byteLength, read: [buf[5], sub[0], u32[10]], nonzero, late: [buf[7], sub[1]], codes }));
    `);
    expect(out).toEqual({
      buf: 1 << 20,
      sub: 100,
      u32: 1 << 18,
      ab: 1 << 20,
      read: [0, 0, 0],
      nonzero: 0,
      late: [9, 9],
      codes: Array(11).fill('ERR_MMAPKIT_CLOSED'),
    });
  });

  it('a second unmap is harmless, and using/Symbol.dispose unmaps', () => {
    const out = probe(`
      const m = mk.mapAnonymous(4096);
      const first = m.unmap(); const second = m.unmap(); m.close(); m[Symbol.dispose]();
      const n = mk.mapAnonymous(4096); const b = n.buffer; n[Symbol.dispose]();
      console.log(JSON.stringify({ first, second, closed: m.closed, disposed: n.closed, b: b.length }));
    `);
    expect(out).toEqual({ first: true, second: false, closed: true, disposed: true, b: 4096 });
  });

  it('garbage collection of a mapping while a view is alive keeps the memory mapped', () => {
    const out = probe(
      `
      let view;
      (function () { const m = mk.mapAnonymous(1 << 20); view = m.buffer; view.fill(0x5a); })();
      for (let i = 0; i < 10; i++) { global.gc(); }
      // Churn to give finalizers a chance to run.
      for (let i = 0; i < 200; i++) { mk.mapAnonymous(4096); }
      for (let i = 0; i < 10; i++) { global.gc(); }
      setTimeout(() => {
        global.gc();
        let ok = true; for (let i = 0; i < view.length; i += 4096) if (view[i] !== 0x5a) ok = false;
        view[view.length - 1] = 1;
        console.log(JSON.stringify({ length: view.length, ok }));
      }, 50);
    `,
      ['--expose-gc'],
    );
    expect(out).toEqual({ length: 1 << 20, ok: true });
  });

  it('an unreachable mapping with no views is unmapped by its finalizer', () => {
    const out = probe(
      `
      const fs = require('fs');
      // Virtual size in MiB: adjacent anonymous maps merge in /proc/self/maps, sizes do not.
      const vm = () => Number(/VmSize:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
      global.gc(); const before = vm();
      (function () { for (let i = 0; i < 500; i++) { const m = mk.mapAnonymous(1 << 20); m.store8(0, 1); } })();
      const during = vm();
      setTimeout(() => { for (let i = 0; i < 5; i++) global.gc(); setTimeout(() => { global.gc(); console.log(JSON.stringify({ before, during, after: vm() })); }, 50); }, 10);
    `,
      ['--expose-gc'],
    );
    expect(out.during).toBeGreaterThan(out.before + 450);
    expect(out.after).toBeLessThan(out.before + 100);
  });

  it('mapping in a synchronous loop without unmap gets an error, not an abort, before vm.max_map_count', () => {
    // Finalizers of unreachable mappings only run when the event loop turns; without the limit
    // the process would run out of map areas and V8 would abort.
    const p = path.join(dir, 'many.bin');
    fs.writeFileSync(p, Buffer.alloc(4096, 3));
    const out = probe(
      `
      const fd = require('fs').openSync(${JSON.stringify(p)}, 'r');
      let made = 0, code;
      try { for (let i = 0; i < 80000; i++) { const m = mk.mapFile(fd); m.buffer[0]; made++; } } catch (e) { code = e.code; }
      setImmediate(() => { global.gc(); setImmediate(() => {
        const m = mk.mapFile(fd);
        console.log(JSON.stringify({ made, code, after: m.buffer[0] }));
      }); });
    `,
      ['--expose-gc'],
    );
    const maxMaps = Number(fs.readFileSync('/proc/sys/vm/max_map_count', 'utf8'));
    expect(out.code).toBe('ERR_MMAPKIT_TOO_MANY_MAPPINGS');
    expect(out.made).toBeGreaterThan(1000);
    expect(out.made).toBeLessThan(maxMaps);
    expect(out.after).toBe(3);
  });

  it('register windows opened in a loop without close() share that limit', () => {
    const p = path.join(dir, 'regs.bin');
    fs.writeFileSync(p, Buffer.alloc(4096, 7));
    const out = probe(
      `
      let made = 0, code;
      try { for (let i = 0; i < 80000; i++) { mk.openRegisterWindow({ path: ${JSON.stringify(p)}, offset: 0, length: 64 }).read8(0); made++; } } catch (e) { code = e.code; }
      setImmediate(() => { global.gc(); setImmediate(() => {
        const w = mk.openRegisterWindow({ path: ${JSON.stringify(p)}, offset: 0, length: 64 });
        console.log(JSON.stringify({ made, code, after: w.read8(0) }));
      }); });
    `,
      ['--expose-gc'],
    );
    expect(out.code).toBe('ERR_MMAPKIT_TOO_MANY_MAPPINGS');
    expect(out.after).toBe(7);
  });

  it('library writes to a read-only map throw instead of crashing', () => {
    const p = path.join(dir, 'ro.bin');
    fs.writeFileSync(p, 'read-only bytes');
    const out = probe(`
      const m = mk.mapFile(${JSON.stringify(p)});
      const codes = [];
      for (const f of [() => m.write(0, 'x'), () => m.store8(0, 1), () => m.store16(0, 1), () => m.store32(0, 1), () => m.store64(0, 1n)]) {
        try { f(); codes.push('no error'); } catch (e) { codes.push(e.code); }
      }
      const a = mk.mapAnonymous(4096); a.protect('read');
      try { a.write(0, 'x'); codes.push('no error'); } catch (e) { codes.push(e.code); }
      console.log(JSON.stringify({ codes, text: m.buffer.toString() }));
    `);
    expect(out.codes).toEqual([...Array(5).fill('ERR_MMAPKIT_READ_ONLY'), 'ERR_MMAPKIT_PROTECTED']);
    expect(out.text).toBe('read-only bytes');
  });

  it('library reads of a file truncated under the mapping return ERR_MMAPKIT_SIGBUS', () => {
    const p = path.join(dir, 'trunc.bin');
    fs.writeFileSync(p, Buffer.alloc(4 * 4096, 0x41));
    const out = probe(`
      const fs = require('fs');
      const m = mk.mapFile(${JSON.stringify(p)}, { mode: 'readwrite' });
      fs.truncateSync(${JSON.stringify(p)}, 4096);
      const res = {};
      try { m.read(0, 4 * 4096); res.read = 'no error'; } catch (e) { res.read = e.code; res.message = e.message; }
      try { m.write(3 * 4096, 'x'); res.write = 'no error'; } catch (e) { res.write = e.code; }
      try { m.touch(); res.touch = 'no error'; } catch (e) { res.touch = e.code; }
      try { mk.touchFile(${JSON.stringify(p)}); res.touchFile = 'ok'; } catch (e) { res.touchFile = e.code; }
      res.firstPage = m.read(0, 4).toString();
      // The guard must keep working after repeated faults.
      let again = 0; for (let i = 0; i < 100; i++) { try { m.read(8192, 1); } catch (e) { if (e.code === 'ERR_MMAPKIT_SIGBUS') again++; } }
      res.again = again;
      console.log(JSON.stringify(res));
    `);
    expect(out).toMatchObject({
      read: 'ERR_MMAPKIT_SIGBUS',
      write: 'ERR_MMAPKIT_SIGBUS',
      touch: 'ERR_MMAPKIT_SIGBUS',
      touchFile: 'ok',
      firstPage: 'AAAA',
      again: 100,
    });
    expect(out.message).toMatch(/SIGBUS/);
  });

  it('a SIGBUS outside mmapkit still ends the process as it would without mmapkit', () => {
    const p = path.join(dir, 'trunc2.bin');
    fs.writeFileSync(p, Buffer.alloc(2 * 4096, 0x41));
    const r = runNode(`
      const fs = require('fs');
      const m = mk.mapFile(${JSON.stringify(p)});
      m.read(0, 1); // installs the guard's handler
      fs.truncateSync(${JSON.stringify(p)}, 0);
      console.log(m.buffer[4096]);
    `);
    expect(r.signal).toBe('SIGBUS');
  });

  it("the addon refuses mapping ids that are stale, made up or another thread's, and owners that are not the mapping's", () => {
    // The binding is internal, but it must stay safe when called directly.
    const out = probe(
      `
      const b = require(${JSON.stringify(path.resolve(__dirname, '..', 'dist', 'native.js'))}).binding();
      const { Worker } = require('worker_threads');
      const out = new Float64Array(1);
      const codeOf = (f) => { try { f(); return 'no error'; } catch (e) { return e.code; } };
      const a = b.mapNew(out, -1, 0, 8192, 3, 2 ** 32); const idA = out[0];
      const other = b.mapNew(out, -1, 0, 4096, 3, 2 ** 32); const idB = out[0];
      a[0] = 7;
      const wrongOwner = codeOf(() => b.mapUnmap(idA, other));
      const stillThere = a.length === 8192 && a[0] === 7;
      const made = [0, -1, 1.5, 2 ** 53, idA + 1000, idA + 2 ** 24, NaN].map((id) => codeOf(() => b.mapSync(id, 0, 0, 4)));
      const notNumber = codeOf(() => b.mapSync({}, 0, 0, 4));
      const first = b.mapUnmap(idA, a);
      const afterUnmap = codeOf(() => b.mapSync(idA, 0, 0, 4));
      const w = new Worker('const { parentPort, workerData } = require("worker_threads");' +
        'const b = require(' + JSON.stringify(${JSON.stringify(path.resolve(__dirname, '..', 'dist', 'native.js'))}) + ').binding();' +
        'let code; try { b.mapSync(workerData, 0, 0, 4); code = "no error"; } catch (e) { code = e.code; } parentPort.postMessage(code);',
        { eval: true, workerData: idB });
      w.on('message', (fromWorker) => {
        setImmediate(() => { global.gc(); setImmediate(() => {
          // By now the owner's finalizer has freed the state: the id stays refused.
          const afterFree = codeOf(() => b.mapSync(idA, 0, 0, 4));
          console.log(JSON.stringify({ wrongOwner, stillThere, made, notNumber, first, detached: a.length, afterUnmap, afterFree, fromWorker, other: other[0] }));
        }); });
      });
    `,
      ['--expose-gc'],
    );
    expect(out).toEqual({
      wrongOwner: 'ERR_INVALID_ARG_VALUE',
      stillThere: true,
      made: Array(7).fill('ERR_MMAPKIT_CLOSED'),
      notNumber: 'ERR_INVALID_ARG_TYPE',
      first: true,
      detached: 0,
      afterUnmap: 'ERR_MMAPKIT_CLOSED',
      afterFree: 'ERR_MMAPKIT_CLOSED',
      fromWorker: 'ERR_MMAPKIT_CLOSED',
      other: 0,
    });
  });

  it('worker threads map, view and unmap independently', () => {
    const out = probe(`
      const { Worker } = require('worker_threads');
      const src = 'const mk = require(' + JSON.stringify(require.resolve(${JSON.stringify(path.resolve(__dirname, '..'))})) + '); const { parentPort } = require("worker_threads");' +
        'let n = 0; for (let i = 0; i < 200; i++) { const m = mk.mapAnonymous(65536); m.buffer.fill(1); n += m.buffer[100]; m.unmap(); } parentPort.postMessage(n);';
      let done = 0; const results = [];
      for (let i = 0; i < 3; i++) {
        const w = new Worker(src, { eval: true });
        w.on('message', (n) => { results.push(n); });
        w.on('exit', () => { if (++done === 3) console.log(JSON.stringify(results.sort())); });
      }
    `);
    expect(out).toEqual([200, 200, 200]);
  });
});
