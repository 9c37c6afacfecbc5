// Crash probes for mapped memory touched by mmapkit's own code: protected pages (SIGSEGV),
// truncated files (SIGBUS), arguments that unmap, resize or protect the mapping in the middle of a
// call, lying byteLength properties and detached buffers. Each runs in a child process and asserts
// an error code or a value; a signal fails the test.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runNode, tempDir } from './support/helpers';

const dir = tempDir();
const BINDING = JSON.stringify(path.join(ROOT, 'dist', 'native.js'));

/** Runs a script in a child; it must exit 0 without a signal and print JSON on its last line. */
function probe(script: string, args: string[] = []) {
  const r = runNode(script, { args });
  if (r.status !== 0 || r.signal) {
    throw new Error(`child ended with status ${r.status} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

/** Prepended to probes: outcome(f) is the value f returns (bigints as strings) or its error code. */
const OUTCOME = `
  const outcome = (f) => { try { const v = f(); return typeof v === 'bigint' ? v + 'n' : v === undefined ? 'ok' : v; } catch (e) { return e.code ?? ('uncoded ' + e.message); } };
  const failure = (f) => { try { f(); return { code: 'no error' }; } catch (e) { return { code: e.code, message: e.message }; } };
`;

describe('protected pages: every library read and write of mapped memory throws instead of SIGSEGV', () => {
  it("csvSum over a buffer with a protect('none') page gives ERR_MMAPKIT_PROTECTED on every CSV method, CsvSummer, bytewiseCsvSum and every scan", () => {
    const out = probe(`${OUTCOME}
      const m = mk.mapAnonymous(8192);
      m.write(0, '12,34\\n');
      m.protect('none', 4096, 4096);
      const res = {};
      res.auto = outcome(() => mk.csvSum(m.buffer));
      for (const method of mk.csvMethods()) res['csvSum ' + method] = outcome(() => mk.csvSum(m.buffer, { method }));
      for (const method of mk.csvMethods()) res['CsvSummer ' + method] = outcome(() => new mk.CsvSummer({ method }).update(m.buffer).sum);
      res.summerDefault = outcome(() => new mk.CsvSummer().update(m.buffer).sum);
      res.bytewiseCsvSum = outcome(() => mk.bytewiseCsvSum(m));
      res.scanByteSum = outcome(() => mk.scanByteSum(m.buffer));
      res.scanByteSumPlain = outcome(() => mk.scanByteSum(m.buffer, { plain: true }));
      res.scanStrideSum = outcome(() => mk.scanStrideSum(m.buffer, 4096));
      res.scanRandomRead32 = outcome(() => mk.scanRandomRead32(m.buffer, 10000, 7));
      res.scanTouchWrite = outcome(() => mk.scanTouchWrite(m.buffer, 4096));
      res.dataView = outcome(() => mk.csvSum(new DataView(m.buffer.buffer)));
      res.arrayBuffer = outcome(() => mk.csvSum(m.buffer.buffer, { method: 'js' }));
      res.message = failure(() => mk.csvSum(m.buffer)).message;
      // The readable page alone is fine, and so is everything once the page is readable again.
      res.firstPage = outcome(() => mk.csvSum(m.buffer.subarray(0, 4096)));
      res.firstPageJs = outcome(() => mk.csvSum(m.view(0, 4096), { method: 'js' }));
      m.protect('read', 4096, 4096);
      res.readable = outcome(() => mk.csvSum(m.buffer));
      res.touchWriteReadOnly = failure(() => mk.scanTouchWrite(m.buffer, 4096));
      res.writeReadOnly = outcome(() => m.write(4096, 'x'));
      res.writeFirstPage = outcome(() => m.write(0, '5,'));
      console.log(JSON.stringify(res));
    `);
    const methods = Object.keys(out).filter((k) => k.startsWith('csvSum ') || k.startsWith('CsvSummer '));
    expect(methods.length).toBeGreaterThanOrEqual(8); // bytewise, swar, js, js-bytewise at least, twice
    for (const k of [
      ...methods,
      'auto',
      'summerDefault',
      'bytewiseCsvSum',
      'scanByteSum',
      'scanByteSumPlain',
      'scanStrideSum',
      'scanRandomRead32',
      'scanTouchWrite',
      'dataView',
      'arrayBuffer',
    ]) {
      expect([k, out[k]]).toEqual([k, 'ERR_MMAPKIT_PROTECTED']);
    }
    expect(out.message).toBe("Bytes 4096..8191 are protected ('none') and cannot be read");
    expect(out).toMatchObject({ firstPage: '46n', firstPageJs: '46n', readable: '46n', writeReadOnly: 'ERR_MMAPKIT_PROTECTED', writeFirstPage: 2 });
    expect(out.touchWriteReadOnly).toEqual({ code: 'ERR_MMAPKIT_PROTECTED', message: "Bytes 4096..8191 are protected ('read') and cannot be written" });
  });

  it('the native guard itself: the addon called directly turns SIGSEGV into ERR_MMAPKIT_PROTECTED, naming the byte and the protection', () => {
    // The binding is internal; calling it directly skips lib/'s protection table, so every fault
    // below is caught by the signal guard.
    const out = probe(`${OUTCOME}
      const b = require(${BINDING}).binding();
      const res = {};
      const m = mk.mapAnonymous(3 * 4096);
      m.write(0, '12,34\\n');
      const buf = m.buffer;
      m.protect('none', 4096, 4096);
      const methods = b.csvMethods();
      res.csvSum = methods.map((name) => failure(() => b.csvSum(buf, ['seed', 'swar', 'avx2', 'avx512', 'neon'].indexOf(name))));
      res.chunk = failure(() => b.csvSumChunk(buf, 0, new BigUint64Array(2)));
      res.byteSum = failure(() => b.scanByteSum(buf, false));
      res.byteSumPlain = failure(() => b.scanByteSum(buf, true));
      res.stride = failure(() => b.scanStrideSum(buf, 4096));
      res.random = failure(() => b.scanRandomRead32(buf, 100000, 3));
      res.touchWrite = failure(() => b.scanStrideTouchWrite(buf, 4096));
      m.protect('read', 4096, 4096);
      res.touchWriteRead = failure(() => b.scanStrideTouchWrite(buf, 4096));
      res.readableSum = outcome(() => b.csvSum(buf, 0));
      // read / write / touch through a mapping id (a Mapping's id is private: this one is made
      // through the binding).
      const idOut = new Float64Array(1);
      const owner = b.mapNew(idOut, -1, 0, 3 * 4096, 3, 2 ** 32);
      const id = idOut[0];
      b.mapProtect(id, 4096, 4096, 0);
      res.read = failure(() => b.mapRead(id, 0, 3 * 4096));
      res.touch = failure(() => b.mapTouch(id, 0, 3 * 4096));
      res.write = failure(() => b.mapWrite(id, 4096, new Uint8Array(10)));
      b.mapProtect(id, 4096, 4096, 1);
      res.writeReadOnly = failure(() => b.mapWrite(id, 4096 + 5, new Uint8Array(10)));
      res.readReadOnly = outcome(() => b.mapRead(id, 4096, 4).length);
      // A protected source: the copy reads it and faults there.
      m.protect('none', 4096, 4096);
      res.source = failure(() => b.mapWrite(id, 0, new DataView(buf.buffer, 4096 - 2, 8)));
      // The guard keeps working after many faults.
      let again = 0;
      for (let i = 0; i < 200; i++) { try { b.scanByteSum(buf, false); } catch (e) { if (e.code === 'ERR_MMAPKIT_PROTECTED') again++; } }
      res.again = again;
      console.log(JSON.stringify(res));
    `);
    const seg = (verb: string, what: string, byte: number | string, of: string, prot: string) =>
      new RegExp(
        `^SIGSEGV during ${what.replace(/[().]/g, '\\$&')}: byte ${byte} of ${of} \\(address 0x[0-9a-f]+\\) cannot be ${verb}: its page is protected \\('${prot}'\\)$`,
      );
    const SECOND_PAGE = '(409[6-9]|4[1-9]\\d\\d|[5-7]\\d\\d\\d|80\\d\\d|81[0-8]\\d|819[01])'; // 4096..8191
    expect(out.csvSum.length).toBeGreaterThanOrEqual(2);
    for (const r of out.csvSum) {
      expect(r.code).toBe('ERR_MMAPKIT_PROTECTED');
      expect(r.message).toMatch(seg('read', 'csvSum()', 4096, 'the data', 'none'));
    }
    expect(out.chunk.message).toMatch(seg('read', 'CsvSummer.update()', 4096, 'the data', 'none'));
    expect(out.byteSum.message).toMatch(seg('read', 'scanByteSum()', 4096, 'the data', 'none'));
    expect(out.byteSumPlain.message).toMatch(seg('read', 'scanByteSum()', 4096, 'the data', 'none'));
    expect(out.stride.message).toMatch(seg('read', 'scanStrideSum()', 4096, 'the data', 'none'));
    expect(out.random.code).toBe('ERR_MMAPKIT_PROTECTED');
    expect(out.random.message).toMatch(seg('read', 'scanRandomRead32()', SECOND_PAGE, 'the data', 'none'));
    expect(out.touchWrite.message).toMatch(seg('read', 'scanTouchWrite()', 4096, 'the data', 'none'));
    expect(out.touchWriteRead.message).toMatch(seg('written', 'scanTouchWrite()', 4096, 'the data', 'read'));
    expect(out.readableSum).toBe('66n'); // '12,34': each scanTouchWrite added 1 to byte 0 before it faulted

    expect(out.read.message).toMatch(seg('read', 'read()', SECOND_PAGE, 'the mapping', 'none'));
    expect(out.touch.message).toMatch(seg('read', 'touch()', 4096, 'the mapping', 'none'));
    expect(out.write.message).toMatch(seg('written', 'write()', 4096, 'the mapping', 'none'));
    expect(out.writeReadOnly.message).toMatch(seg('written', 'write()', 4096 + 5, 'the mapping', 'read'));
    expect(out.readReadOnly).toBe(4);
    expect(out.source.message).toMatch(seg('read', 'write()', 2, 'the source', 'none'));
    for (const k of ['chunk', 'byteSum', 'byteSumPlain', 'stride', 'touchWrite', 'touchWriteRead', 'read', 'touch', 'write', 'writeReadOnly', 'source']) {
      expect([k, out[k].code]).toEqual([k, 'ERR_MMAPKIT_PROTECTED']);
    }
    expect(out.again).toBe(200);
  });

  it('a page protected by an argument getter is refused before any byte is read (options are read first)', () => {
    const out = probe(`${OUTCOME}
      const m = mk.mapAnonymous(8192);
      const r = failure(() => mk.scanByteSum(m.buffer, { get plain() { m.protect('none', 4096, 4096); return false; } }));
      console.log(JSON.stringify(r));
    `);
    expect(out.code).toBe('ERR_MMAPKIT_PROTECTED');
    expect(out.message).toBe("Bytes 4096..8191 are protected ('none') and cannot be read");
  });

  it('the guard works on worker threads', () => {
    const out = probe(`
      const { Worker } = require('worker_threads');
      const w = new Worker(\`
        const mk = require(${JSON.stringify(ROOT)});
        const b = require(${BINDING}).binding();
        const { parentPort } = require('worker_threads');
        const m = mk.mapAnonymous(8192); m.protect('none', 4096, 4096);
        const codes = [];
        for (const f of [() => mk.csvSum(m.buffer), () => b.scanByteSum(m.buffer, false), () => b.csvSum(m.buffer, 1)]) {
          try { f(); codes.push('no error'); } catch (e) { codes.push(e.code); }
        }
        parentPort.postMessage(codes);
      \`, { eval: true });
      w.on('message', (codes) => console.log(JSON.stringify(codes)));
    `);
    expect(out).toEqual(['ERR_MMAPKIT_PROTECTED', 'ERR_MMAPKIT_PROTECTED', 'ERR_MMAPKIT_PROTECTED']);
  });
});

describe('faults that are not mmapkit’s still behave as without mmapkit', () => {
  it("a user's own JavaScript read of a protect('none') page ends the process with SIGSEGV, after the guard was installed", () => {
    const r = runNode(`
      const m = mk.mapAnonymous(8192);
      m.protect('none', 4096, 4096);
      try { mk.scanByteSum(m.buffer); } catch (e) { console.log(e.code); } // installs the handler, takes one fault
      console.log(m.buffer[4096]);
    `);
    expect(r.stdout.trim()).toBe('ERR_MMAPKIT_PROTECTED');
    expect(r.signal).toBe('SIGSEGV');
  });

  it("a user's own JavaScript write to a protect('read') page ends the process with SIGSEGV", () => {
    const r = runNode(`
      const m = mk.mapAnonymous(8192);
      m.protect('read');
      try { mk.scanTouchWrite(m.buffer, 4096); } catch (e) { console.log(e.code); }
      m.buffer[1] = 1;
      console.log('still alive');
    `);
    expect(r.stdout.trim()).toBe('ERR_MMAPKIT_PROTECTED');
    expect(r.signal).toBe('SIGSEGV');
  });

  it('a SIGSEGV sent with kill() is not taken for a fault, even while the handler is installed', () => {
    const r = runNode(`
      const m = mk.mapAnonymous(4096);
      m.touch();
      process.kill(process.pid, 'SIGSEGV');
      setTimeout(() => console.log('still alive'), 200);
    `);
    expect(r.stdout).toBe('');
    expect(r.signal).toBe('SIGSEGV');
  });

  it("WebAssembly out-of-bounds accesses still trap as a RuntimeError (Node's SIGSEGV handler is chained)", () => {
    const out = probe(`${OUTCOME}
      // (module (memory 1) (func (export "load") (param i32) (result i32) local.get 0 i32.load))
      const wasm = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 6, 1, 0x60, 1, 0x7f, 1, 0x7f, 3, 2, 1, 0, 5, 3, 1, 0, 1,
        7, 8, 1, 4, 0x6c, 0x6f, 0x61, 0x64, 0, 0, 10, 9, 1, 7, 0, 0x20, 0, 0x28, 2, 0, 0x0b]);
      const { load } = new WebAssembly.Instance(new WebAssembly.Module(wasm)).exports;
      const status = require('fs').readFileSync('/proc/self/status', 'utf8');
      const caught = (BigInt('0x' + status.match(/SigCgt:\\s*(\\w+)/)[1]) >> 10n) & 1n; // SIGSEGV is signal 11
      const m = mk.mapAnonymous(8192);
      m.protect('none', 4096, 4096);
      const b = require(${BINDING}).binding();
      const before = outcome(() => b.scanByteSum(m.buffer, false)); // mmapkit's handler is now installed
      const traps = [];
      for (let i = 0; i < 100; i++) {
        try { load(65536 + i * 4096); traps.push('no error'); } catch (e) { traps.push(e.constructor.name + ': ' + e.message); }
      }
      const inBounds = load(0);
      const after = outcome(() => b.scanByteSum(m.buffer, false));
      console.log(JSON.stringify({ caught: Number(caught), before, traps: [...new Set(traps)], inBounds, after }));
    `);
    expect(out.caught).toBe(1); // Node itself handles SIGSEGV (WebAssembly traps) before mmapkit loads
    expect(out).toMatchObject({
      before: 'ERR_MMAPKIT_PROTECTED',
      traps: ['RuntimeError: memory access out of bounds'],
      inBounds: 0,
      after: 'ERR_MMAPKIT_PROTECTED',
    });
  });
});

describe('truncated files: library JavaScript loops refuse with ERR_MMAPKIT_SIGBUS', () => {
  it('csvSum js / js-bytewise, CsvSummer with a JS method, bytewiseCsvSum over the Mapping, and the scans', () => {
    const file = path.join(dir, 'trunc.csv');
    const out = probe(
      `${OUTCOME}
      const fs = require('fs');
      const file = process.argv[1];
      fs.writeFileSync(file, Buffer.alloc(3 << 20, '12,'));
      const m = mk.mapFile(file);
      const head = m.buffer.subarray(0, 3000);
      fs.truncateSync(file, 3000);
      const res = {};
      for (const method of ['js', 'js-bytewise', ...mk.csvMethods().filter((x) => !x.startsWith('js'))]) res['csvSum ' + method] = outcome(() => mk.csvSum(m.buffer, { method }));
      for (const method of ['js', 'js-bytewise']) res['CsvSummer ' + method] = outcome(() => new mk.CsvSummer({ method }).update(m.buffer).sum);
      res.bytewiseCsvSum = outcome(() => mk.bytewiseCsvSum(m));
      res.scanByteSum = outcome(() => mk.scanByteSum(m.buffer));
      res.scanStrideSum = outcome(() => mk.scanStrideSum(m.buffer, 4096));
      res.scanRandomRead32 = outcome(() => mk.scanRandomRead32(m.buffer, 100000, 1));
      // Far past the end, in a later chunk than the first.
      res.lateChunk = failure(() => mk.csvSum(m.buffer.subarray(2 << 20), { method: 'js' }));
      res.message = failure(() => mk.csvSum(m.buffer, { method: 'js' })).message;
      // The bytes that are still in the file are summed as before.
      res.headJs = outcome(() => mk.csvSum(head, { method: 'js' }));
      res.headSeed = outcome(() => mk.csvSum(head, { method: 'js-bytewise' }));
      res.headNative = outcome(() => mk.csvSum(head));
      console.log(JSON.stringify(res));
    `,
      [file],
    );
    const want = String(12n * 1000n) + 'n';
    for (const [k, v] of Object.entries(out)) {
      if (k.startsWith('head') || k === 'message' || k === 'lateChunk') continue;
      expect([k, v]).toEqual([k, 'ERR_MMAPKIT_SIGBUS']);
    }
    expect(out.lateChunk.code).toBe('ERR_MMAPKIT_SIGBUS');
    expect(out.lateChunk.message).toMatch(/^SIGBUS during csvSum\(\) at byte 2097152 of the mapping/);
    expect(out.message).toMatch(
      /^SIGBUS during csvSum\(\) at byte 4096 of the mapping \(address 0x[0-9a-f]+\): the mapped file is shorter than the mapping \(was it truncated\?\)$/,
    );
    expect(out).toMatchObject({ headJs: want, headSeed: want, headNative: want });
  });

  it('a memfd shrunk under its mapping: the JS methods refuse, and the shared-memory kinds are probed too', () => {
    const out = probe(`${OUTCOME}
      const fd = mk.createMemfd('trunc');
      fd.truncate(1 << 16);
      const m = fd.map();
      m.buffer.fill(0x31);
      fd.truncate(100);
      console.log(JSON.stringify({ kind: m.kind, js: outcome(() => mk.csvSum(m.buffer, { method: 'js' })), bytewise: outcome(() => mk.bytewiseCsvSum(m)), summer: outcome(() => new mk.CsvSummer({ method: 'js-bytewise' }).update(m.view(4096, 100)).sum) }));
    `);
    expect(out).toEqual({ kind: 'memfd', js: 'ERR_MMAPKIT_SIGBUS', bytewise: 'ERR_MMAPKIT_SIGBUS', summer: 'ERR_MMAPKIT_SIGBUS' });
  });
});

describe('re-entrant arguments: a call whose argument unmaps, resizes or protects the mapping never touches freed memory', () => {
  it('every Mapping method: offsets and values with valueOf are refused without being called; option getters that unmap give ERR_MMAPKIT_CLOSED', () => {
    const out = probe(`${OUTCOME}
      const res = {};
      const evil = (m, what) => ({ valueOf() { res.called = (res.called ?? 0) + 1; if (what === 'unmap') m.unmap(); else if (what === 'resize') m.resize(4096); else m.protect('none'); return 0; } });
      const calls = {
        view: (m, e) => m.view(e, 1), read: (m, e) => m.read(e, 1), readLen: (m, e) => m.read(0, e), write: (m, e) => m.write(e, 'x'),
        touch: (m, e) => m.touch(e), advise: (m, e) => m.advise('normal', e), protect: (m, e) => m.protect('read', 0, e),
        lock: (m, e) => m.lock(e, 4096), unlock: (m, e) => m.unlock(e), residency: (m, e) => m.residency(0, e), resize: (m, e) => m.resize(e),
        load8: (m, e) => m.load8(e), load16: (m, e) => m.load16(e), load32: (m, e) => m.load32(e), load64: (m, e) => m.load64(e),
        store8: (m, e) => m.store8(e, 1), store16: (m, e) => m.store16(0, e), store32: (m, e) => m.store32(e, 1), store64: (m, e) => m.store64(0, e),
        sync: (m, e) => m.sync({ offset: e }), writeData: (m, e) => m.write(0, e),
      };
      for (const what of ['unmap', 'resize', 'protect']) {
        for (const [name, call] of Object.entries(calls)) {
          const m = mk.mapAnonymous(3 * 4096, { shared: true });
          res[what + ' ' + name] = outcome(() => call(m, evil(m, what))) + (m.closed ? ' closed' : '');
        }
      }
      // Option getters run before anything is touched; whatever they do, the call then sees it.
      const getters = {
        sync: (m, g) => m.sync(g('async')), lock: (m, g) => m.lock(0, 4096, g('onFault')), resize: (m, g) => m.resize(8192, g('mayMove')),
        syncAsync: (m, g) => { m.syncAsync(g('invalidate')).catch(() => {}); return 'queued'; },
      };
      for (const what of ['unmap', 'resize', 'protect']) {
        for (const [name, call] of Object.entries(getters)) {
          const m = mk.mapAnonymous(3 * 4096, { shared: true });
          const g = (key) => ({ get [key]() { if (what === 'unmap') m.unmap(); else if (what === 'resize') m.resize(4096); else m.protect('none'); return false; } });
          res['getter ' + what + ' ' + name] = outcome(() => call(m, g)) + (m.closed ? ' closed' : '');
        }
      }
      // The async sync whose getter unmapped rejects with a code.
      const m = mk.mapAnonymous(4096);
      m.syncAsync({ get async() { m.unmap(); return false; } }).then(() => 'resolved', (e) => e.code).then((code) => {
        res.syncAsyncRejects = code;
        console.log(JSON.stringify(res));
      });
    `);
    for (const what of ['unmap', 'resize', 'protect']) {
      for (const name of [
        'view',
        'read',
        'readLen',
        'write',
        'touch',
        'advise',
        'protect',
        'lock',
        'unlock',
        'residency',
        'resize',
        'load8',
        'load16',
        'load32',
        'load64',
        'store8',
        'store16',
        'store32',
        'store64',
        'sync',
      ]) {
        expect([what, name, out[`${what} ${name}`]]).toEqual([what, name, 'ERR_INVALID_ARG_TYPE']);
      }
      expect([what, out[`${what} writeData`]]).toEqual([what, 'ERR_INVALID_ARG_TYPE']);
    }
    // Each call sees what its getter did: the range it had checked no longer fits (sync after a
    // shrink), mlock refuses PROT_NONE pages (ENOMEM), or the call simply works.
    expect(Object.fromEntries(Object.entries(out).filter(([k]) => k.startsWith('getter ')))).toEqual({
      'getter unmap sync': 'ERR_MMAPKIT_CLOSED closed',
      'getter unmap lock': 'ERR_MMAPKIT_CLOSED closed',
      'getter unmap resize': 'ERR_MMAPKIT_CLOSED closed',
      'getter unmap syncAsync': 'queued closed',
      'getter resize sync': 'ERR_OUT_OF_RANGE',
      'getter resize lock': 'ok',
      'getter resize resize': 'ok',
      'getter resize syncAsync': 'queued',
      'getter protect sync': 'ok',
      'getter protect lock': 'ENOMEM',
      'getter protect resize': 'ok',
      'getter protect syncAsync': 'queued',
    });
    expect(out.called).toBeUndefined(); // no valueOf ever ran
    expect(out.syncAsyncRejects).toBe('ERR_MMAPKIT_CLOSED');
  });

  it('CSV and scan functions: an options getter that unmaps, resizes or protects gives a coded error, never a stale read', () => {
    const out = probe(`${OUTCOME}
      const res = {};
      const act = (m, what) => { if (what === 'unmap') m.unmap(); else if (what === 'resize') m.resize(3 * 4096); else m.protect('none', 4096, 4096); };
      for (const what of ['unmap', 'resize', 'protect']) {
        for (const method of ['auto', 'bytewise', 'js', 'js-bytewise']) {
          const m = mk.mapAnonymous(2 * 4096);
          m.write(0, '1,2,3\\n');
          const b = m.buffer;
          res[what + ' csvSum ' + method] = outcome(() => mk.csvSum(b, { get method() { act(m, what); return method; } }));
        }
        const m = mk.mapAnonymous(2 * 4096);
        const b = m.buffer;
        res[what + ' scanByteSum'] = outcome(() => mk.scanByteSum(b, { get plain() { act(m, what); return false; } }));
        // Numbers are taken as they are: an object with valueOf is refused unread.
        let called = false;
        const n = { valueOf() { called = true; act(m, what); return 4096; } };
        res[what + ' scanStrideSum'] = outcome(() => mk.scanStrideSum(b, n));
        res[what + ' scanTouchWrite'] = outcome(() => mk.scanTouchWrite(b, n));
        res[what + ' scanRandomRead32'] = outcome(() => mk.scanRandomRead32(b, n));
        res[what + ' called'] = called;
      }
      console.log(JSON.stringify(res));
    `);
    for (const method of ['auto', 'bytewise', 'js', 'js-bytewise']) {
      expect(out[`unmap csvSum ${method}`]).toBe('ERR_MMAPKIT_CLOSED');
      expect(out[`resize csvSum ${method}`]).toBe('ERR_MMAPKIT_CLOSED');
      expect(out[`protect csvSum ${method}`]).toBe('ERR_MMAPKIT_PROTECTED');
    }
    expect(out).toMatchObject({
      'unmap scanByteSum': 'ERR_MMAPKIT_CLOSED',
      'resize scanByteSum': 'ERR_MMAPKIT_CLOSED',
      'protect scanByteSum': 'ERR_MMAPKIT_PROTECTED',
    });
    for (const what of ['unmap', 'resize', 'protect']) {
      for (const f of ['scanStrideSum', 'scanTouchWrite', 'scanRandomRead32']) expect(out[`${what} ${f}`]).toBe('ERR_INVALID_ARG_TYPE');
      expect(out[`${what} called`]).toBe(false);
    }
  });

  it('register windows: offsets, counts and values with valueOf that close the window are refused unread; the window still works', () => {
    const file = path.join(dir, 'regs.bin');
    fs.writeFileSync(file, Buffer.alloc(8192, 0x11));
    const out = probe(
      `${OUTCOME}
      const w = mk.openRegisterWindow({ path: process.argv[1], offset: 0, length: 64, writable: true });
      let called = 0;
      const evil = { valueOf() { called++; w.close(); return 0; } };
      const res = {};
      for (const [name, f] of Object.entries({
        read8: () => w.read8(evil), read16: () => w.read16(evil), read32: () => w.read32(evil), read64: () => w.read64(evil),
        write8: () => w.write8(evil, 1), write16: () => w.write16(0, evil), write32: () => w.write32(evil, 1), write64: () => w.write64(0, evil),
        readBlockOffset: () => w.readBlock(evil, 2), readBlockCount: () => w.readBlock(0, evil), readBlockWidth: () => w.readBlock(0, 2, evil),
        readRegisters: () => mk.readRegisters(w, 0, evil),
      })) res[name] = outcome(f);
      res.called = called;
      res.closed = w.closed;
      res.after = w.read32(4);
      res.block = Array.from(w.readBlock(0, 2, 32));
      console.log(JSON.stringify(res));
    `,
      [file],
    );
    for (const k of ['read8', 'read16', 'read32', 'read64', 'write8', 'write16', 'write32', 'write64', 'readBlockOffset', 'readBlockCount', 'readRegisters']) {
      expect([k, out[k]]).toEqual([k, 'ERR_INVALID_ARG_TYPE']);
    }
    expect(out.readBlockWidth).toMatch(/^ERR_/);
    expect(out).toMatchObject({ called: 0, closed: false, after: 0x11111111, block: [0x11111111, 0x11111111] });
  });
});

describe("write() uses the engine's length, never a lying byteLength", () => {
  it('typed arrays and DataViews whose byteLength property lies (defineProperty or a subclass getter)', () => {
    const out = probe(`${OUTCOME}
      const m = mk.mapAnonymous(8192);
      const lie = (v, n) => Object.defineProperty(v, 'byteLength', { value: n });
      class Liar extends Uint8Array { get byteLength() { return 1; } }
      class BigLiar extends Uint8Array { get byteLength() { return 1 << 30; } }
      class DvLiar extends DataView { get byteLength() { return 2; } get byteOffset() { return 1 << 30; } get buffer() { return new ArrayBuffer(1); } }
      const res = { taSmall: outcome(() => m.write(0, lie(new Uint8Array(16).fill(7), 2))) };
      res.afterSmall = Array.from(m.read(0, 17));
      Object.assign(res, {
        taHuge: outcome(() => m.write(0, lie(new Uint8Array(3), 1 << 30))),
        taTooLong: outcome(() => m.write(0, lie(new Uint8Array(16384), 4))),
        sub: outcome(() => m.write(0, new Liar(32))),
        subBig: outcome(() => m.write(8000, new BigLiar(8))),
        u32: outcome(() => m.write(0, lie(new Uint32Array(5), 1))),
        dv: outcome(() => m.write(0, lie(new DataView(new ArrayBuffer(24)), 2))),
        dvTooLong: outcome(() => m.write(0, lie(new DataView(new ArrayBuffer(9000)), 4))),
        dvSub: outcome(() => m.write(100, new DvLiar(new ArrayBuffer(12), 4))),
      });
      // A lie that would have let a write into a read-only page past the check.
      m.protect('read', 4096, 4096);
      res.intoReadOnly = outcome(() => m.write(4000, lie(new Uint8Array(200), 1)));
      res.stillZero = m.load8(4096);
      console.log(JSON.stringify(res));
    `);
    expect(out).toEqual({
      taSmall: 16,
      afterSmall: [...Array(16).fill(7), 0],
      taHuge: 3,
      taTooLong: 'ERR_OUT_OF_RANGE',
      sub: 32,
      subBig: 8,
      u32: 20,
      dv: 24,
      dvTooLong: 'ERR_OUT_OF_RANGE',
      dvSub: 8,
      intoReadOnly: 'ERR_MMAPKIT_PROTECTED',
      stillZero: 0,
    });
  });

  it('a source that is a protected mapping page is refused, and a detached source gives ERR_MMAPKIT_CLOSED', () => {
    const out = probe(`${OUTCOME}
      const m = mk.mapAnonymous(8192);
      const src = mk.mapAnonymous(8192);
      src.protect('none', 4096, 4096);
      const res = { protectedSource: failure(() => m.write(0, src.buffer.subarray(4000, 4200))), readableSource: outcome(() => m.write(0, src.view(0, 4096))) };
      const gone = mk.mapAnonymous(4096); const v = gone.buffer.subarray(1); gone.unmap();
      res.unmappedSource = failure(() => m.write(0, v));
      const ab = new ArrayBuffer(8); const u = new Uint8Array(ab); structuredClone(ab, { transfer: [ab] });
      res.transferredSource = failure(() => m.write(0, u));
      res.empty = outcome(() => m.write(0, new Uint8Array(0)));
      console.log(JSON.stringify(res));
    `);
    expect(out.protectedSource).toEqual({ code: 'ERR_MMAPKIT_PROTECTED', message: "Bytes 4096..4199 are protected ('none') and cannot be read" });
    expect(out.readableSource).toBe(4096);
    expect(out.unmappedSource).toEqual({ code: 'ERR_MMAPKIT_CLOSED', message: 'The mapping has been unmapped' });
    expect(out.transferredSource.code).toBe('ERR_MMAPKIT_CLOSED');
    expect(out.transferredSource.message).toMatch(/detached/);
    expect(out.empty).toBe(0);
  });
});

describe('stale and detached buffers give ERR_MMAPKIT_CLOSED, not a bare TypeError', () => {
  it('after unmap() or resize() (views stay attached), and for an ArrayBuffer transferred away', () => {
    const out = probe(`${OUTCOME}
      const fns = {
        csvSum: (b) => mk.csvSum(b), csvSumJs: (b) => mk.csvSum(b, { method: 'js' }), csvSumSeed: (b) => mk.csvSum(b, { method: 'bytewise' }),
        summer: (b) => new mk.CsvSummer().update(b), summerJs: (b) => new mk.CsvSummer({ method: 'js-bytewise' }).update(b),
        scanByteSum: (b) => mk.scanByteSum(b), scanStrideSum: (b) => mk.scanStrideSum(b, 4096), scanTouchWrite: (b) => mk.scanTouchWrite(b, 4096),
        scanRandomRead32: (b) => mk.scanRandomRead32(b, 10),
      };
      const res = {};
      const m = mk.mapAnonymous(8192); const b = m.buffer; const sub = b.subarray(10, 20); const ab = b.buffer; const dv = new DataView(ab, 8);
      m.unmap();
      res.attached = [b.length, sub.length, dv.byteLength];
      for (const [k, f] of Object.entries(fns)) res['unmap ' + k] = failure(() => f(b));
      res['unmap dataView'] = failure(() => mk.csvSum(dv));
      res['unmap sub'] = failure(() => mk.csvSum(sub));
      res['unmap ab'] = failure(() => mk.csvSum(ab));
      const r = mk.mapAnonymous(8192); const rb = r.buffer; r.resize(16384);
      for (const [k, f] of Object.entries(fns)) res['resize ' + k] = failure(() => f(rb));
      res.resizedFresh = outcome(() => mk.scanByteSum(r.buffer));
      const t = new ArrayBuffer(64); const tv = new Uint8Array(t); structuredClone(t, { transfer: [t] });
      for (const [k, f] of Object.entries(fns)) res['transfer ' + k] = failure(() => f(tv));
      res['transfer ab'] = failure(() => mk.csvSum(t));
      res.emptyIsFine = outcome(() => mk.csvSum(new Uint8Array(0)));
      res.emptyAbIsFine = outcome(() => mk.scanByteSum(new ArrayBuffer(0)));
      console.log(JSON.stringify(res));
    `);
    for (const [k, v] of Object.entries(out)) {
      if (k === 'resizedFresh' || k === 'attached' || k.startsWith('empty')) continue;
      const r = v as { code: string; message: string };
      expect([k, r.code]).toEqual([k, 'ERR_MMAPKIT_CLOSED']);
      if (k.startsWith('unmap')) expect([k, r.message]).toEqual([k, 'The mapping has been unmapped']);
      if (k.startsWith('resize'))
        expect([k, r.message]).toEqual([k, 'The "data" argument is a view from before resize(); take a new view from mapping.buffer']);
      if (k.startsWith('transfer')) expect([k, r.message]).toEqual([k, expect.stringMatching(/is detached/)]);
    }
    expect(out).toMatchObject({ attached: [8192, 10, 8184], resizedFresh: 0, emptyIsFine: '0n', emptyAbIsFine: 0 });
  });
});
