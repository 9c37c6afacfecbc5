// watchReadable on real pipes (FIFOs made with mkfifo): the callback runs on the main thread when
// data arrives, pausing and closing stop it, the watcher's own duplicate of the descriptor is
// closed with it, and misuse (a regular file, a bad fd, a throwing callback, a dropped watcher,
// a worker ending with a watcher open) gets an error or is survived, never a crash.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchReadable, type FdWatcher } from '../lib/fdwatch';
import { expectCode, ROOT, runNode, tempDir } from './support/helpers';

const dir = tempDir('mmapkit-fdwatch-');
let seq = 0;
const opened: number[] = [];
const watchers: FdWatcher[] = [];
afterEach(() => {
  for (const w of watchers.splice(0)) w.close();
  for (const fd of opened.splice(0)) {
    try {
      fs.closeSync(fd);
    } catch {
      /* closed by the test */
    }
  }
});

/** A FIFO opened read-write and non-blocking (Linux allows O_RDWR on a FIFO without a peer). */
function fifo(): { fd: number; file: string } {
  const file = path.join(dir, `p${seq++}`);
  execFileSync('mkfifo', [file]);
  const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  opened.push(fd);
  return { fd, file };
}

function drain(fd: number): string {
  const buf = Buffer.alloc(4096);
  let text = '';
  for (;;) {
    try {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) return text;
      text += buf.toString('utf8', 0, n);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return text;
      throw err;
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

describe('watchReadable on a pipe', () => {
  it('calls back on the main thread each time data arrives, and the callback sees it', async () => {
    const { fd } = fifo();
    const got: string[] = [];
    let resolve!: () => void;
    let done = new Promise<void>((r) => (resolve = r));
    const w = watchReadable(fd, (err) => {
      expect(err).toBeUndefined();
      got.push(drain(fd));
      resolve();
    });
    watchers.push(w);
    expect(w.active).toBe(true);
    expect(w.fd).toBe(fd);
    for (const word of ['one', 'two', 'three']) {
      fs.writeSync(fd, word);
      await done;
      done = new Promise<void>((r) => (resolve = r));
    }
    expect(got).toEqual(['one', 'two', 'three']);
  });

  it('is level-triggered: an unread pipe keeps calling back until it is drained', async () => {
    const { fd } = fifo();
    let calls = 0;
    const w = watchReadable(fd, () => {
      calls++;
      if (calls === 5) drain(fd);
    });
    watchers.push(w);
    fs.writeSync(fd, 'x');
    await sleep(200);
    expect(calls).toBe(5);
  });

  it('pause stops the calls, resume brings them back for data that waited', async () => {
    const { fd } = fifo();
    const got: string[] = [];
    const w = watchReadable(
      fd,
      () => {
        got.push(drain(fd));
      },
      { start: false },
    );
    watchers.push(w);
    expect(w.active).toBe(false);
    fs.writeSync(fd, 'early');
    await sleep(100);
    expect(got).toEqual([]);
    w.resume();
    await sleep(100);
    expect(got).toEqual(['early']);
    w.pause();
    fs.writeSync(fd, 'late');
    await sleep(100);
    expect(got).toEqual(['early']);
    w.resume().resume(); // twice is the same as once
    await sleep(100);
    expect(got).toEqual(['early', 'late']);
  });

  it('runs the microtasks the callback queues (promise-based readers work)', async () => {
    const { fd } = fifo();
    const order: string[] = [];
    const w = watchReadable(fd, () => {
      drain(fd);
      order.push('callback');
      void Promise.resolve().then(() => order.push('microtask'));
      setImmediate(() => order.push('immediate'));
    });
    watchers.push(w);
    fs.writeSync(fd, 'x');
    await sleep(100);
    expect(order).toEqual(['callback', 'microtask', 'immediate']);
  });

  it('polls its own duplicate: closing the caller fd first is safe; close() releases the duplicate', async () => {
    const { fd, file } = fifo();
    const before = openFds();
    const got: string[] = [];
    const w = watchReadable(fd, () => {
      got.push(drain(reader));
    });
    watchers.push(w);
    expect(openFds()).toBe(before + 1);
    // A second descriptor on the same open file to read from, then the original is closed.
    const reader = fs.openSync(`/proc/self/fd/${fd}`, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    opened.push(reader);
    const writer = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    opened.push(writer);
    fs.closeSync(fd);
    fs.writeSync(writer, 'after close');
    await sleep(100);
    expect(got).toEqual(['after close']);
    const n = openFds();
    w.close();
    expect(openFds()).toBe(n - 1);
    expect(w.closed).toBe(true);
  });

  it('close is idempotent; after close, pause/ref/unref are no-ops and resume throws ERR_MMAPKIT_CLOSED', async () => {
    const { fd } = fifo();
    let calls = 0;
    const w = watchReadable(fd, () => {
      calls++;
      drain(fd);
    });
    w.close();
    w.close();
    w[Symbol.dispose]();
    expect(w.pause()).toBe(w);
    expect(w.unref().ref()).toBe(w);
    expect(w.hasRef()).toBe(false);
    expect(w.active).toBe(false);
    expectCode(() => w.resume(), Error, 'ERR_MMAPKIT_CLOSED', `The watcher of fd ${fd} is closed`);
    fs.writeSync(fd, 'x');
    await sleep(100);
    expect(calls).toBe(0);
  });

  it('ref/unref/hasRef report the state', () => {
    const { fd } = fifo();
    const w = watchReadable(fd, () => drain(fd), { ref: false });
    watchers.push(w);
    expect(w.hasRef()).toBe(false);
    expect(w.ref().hasRef()).toBe(true);
    expect(w.unref().hasRef()).toBe(false);
  });
});

describe('watchReadable arguments and files it refuses', () => {
  it('refuses a regular file with ERR_MMAPKIT_NOT_POLLABLE', () => {
    const file = path.join(dir, 'regular');
    fs.writeFileSync(file, 'data');
    const fd = fs.openSync(file, 'r');
    opened.push(fd);
    const before = openFds();
    expectCode(() => watchReadable(fd, () => {}), Error, 'ERR_MMAPKIT_NOT_POLLABLE', /fd \d+ cannot be watched: it is a regular file/);
    expect(openFds()).toBe(before); // the duplicate made for the attempt is closed again
  });

  it('reports a closed descriptor as EBADF (dup)', () => {
    const { fd } = fifo();
    fs.closeSync(fd);
    expectCode(() => watchReadable(fd, () => {}), Error, 'EBADF', /EBADF: bad file descriptor, dup/);
  });

  it('checks its arguments', () => {
    expectCode(() => watchReadable(-1, () => {}), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => watchReadable('3' as never, () => {}), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => watchReadable(0, 'f' as never), TypeError, 'ERR_INVALID_ARG_TYPE', /"onReadable" argument must be of type function/);
    expectCode(() => watchReadable(0, () => {}, { every: 1 } as never), TypeError, 'ERR_INVALID_ARG_VALUE', /Unknown option "every"/);
    expectCode(() => watchReadable(0, () => {}, { ref: 1 } as never), TypeError, 'ERR_INVALID_ARG_TYPE');
  });
});

// Cases where a mistake could end the process run in a child.
const CHILD = `
  const fs = require('fs');
  const { execFileSync } = require('child_process');
  const { watchReadable } = require(${JSON.stringify(path.join(ROOT, 'dist', 'fdwatch.js'))});
  const dir = fs.mkdtempSync('/tmp/mmapkit-fdw-');
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  function fifo() {
    const f = dir + '/p' + n++;
    execFileSync('mkfifo', [f]);
    return fs.openSync(f, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  }
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
`;

function child(script: string, nodeArgs: string[] = []) {
  return runNode(CHILD + script, { timeout: 30_000, nodeArgs });
}

describe('watchReadable where a mistake could crash', () => {
  it('a throwing callback goes to onCallbackError, or to a warning, and the watcher keeps going', () => {
    const r = child(`
      (async () => {
        const fd = fifo();
        const seen = [];
        let calls = 0;
        const w = watchReadable(fd, () => { calls++; fs.readSync(fd, Buffer.alloc(16)); throw new Error('boom ' + calls); },
          { onCallbackError: (e) => seen.push(e.message) });
        fs.writeSync(fd, 'a'); await sleep(100);
        fs.writeSync(fd, 'b'); await sleep(100);
        w.close();
        const fd2 = fifo();
        let calls2 = 0;
        const w2 = watchReadable(fd2, () => { calls2++; fs.readSync(fd2, Buffer.alloc(16)); throw new Error('loud'); });
        fs.writeSync(fd2, 'a'); await sleep(100);
        fs.writeSync(fd2, 'b'); await sleep(100);
        w2.close();
        console.log(JSON.stringify({ seen, calls, calls2 }));
      })();
    `);
    expect(r.signal).toBe(null);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({ seen: ['boom 1', 'boom 2'], calls: 2, calls2: 2 });
    expect(r.stderr).toMatch(/\[MMAPKIT_WATCH_CALLBACK\] MmapkitWarning: the watchReadable callback of fd \d+ threw: Error: loud/);
  });

  it('an unref()ed watcher lets the process exit; a ref()ed one keeps it alive until closed', () => {
    const r = child(`
      const a = watchReadable(fifo(), () => {}, { ref: false });
      const fd = fifo();
      const b = watchReadable(fd, () => { console.log('readable'); b.close(); });
      setTimeout(() => fs.writeSync(fd, 'x'), 300).unref();
      process.on('exit', () => console.log('exit'));
    `);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['readable', 'exit']);
  });

  it('watchers dropped while paused are closed by their finalizer (no descriptor leaks)', () => {
    const r = child(
      `
      (async () => {
        const count = () => fs.readdirSync('/proc/self/fd').length;
        const fd = fifo();
        const base = count();
        for (let i = 0; i < 200; i++) watchReadable(fd, () => {}, { start: false });
        const peak = count();
        for (let i = 0; i < 20 && count() > base; i++) { globalThis.gc(); await sleep(20); }
        // An active watcher that nobody references stays alive and working.
        let hits = 0;
        watchReadable(fd, () => { hits++; fs.readSync(fd, Buffer.alloc(16)); });
        globalThis.gc(); await sleep(20); globalThis.gc();
        fs.writeSync(fd, 'x'); await sleep(100);
        console.log(JSON.stringify({ grew: peak - base, left: count() - base - 1, hits }));
        process.exit(0);
      })();
    `,
      ['--expose-gc'],
    );
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({ grew: 200, left: 0, hits: 1 });
  });

  it('a worker that ends with watchers open (polling, paused, unref) shuts down cleanly', () => {
    const r = child(
      `
      const { Worker } = require('worker_threads');
      const src = CHILD_SRC + \`
        const { parentPort } = require('worker_threads');
        const fd = fifo();
        watchReadable(fd, () => {});
        watchReadable(fd, () => {}, { start: false });
        watchReadable(fifo(), () => {}, { ref: false });
        const c = watchReadable(fd, () => {}); c.close();
        parentPort.postMessage('ready');
      \`;
      let ends = 0;
      function one() {
        const w = new Worker(src, { eval: true });
        w.on('message', () => w.terminate());
        w.on('exit', () => { if (++ends < 5) one(); else console.log('ends ' + ends); });
        w.on('error', (e) => { console.log('error ' + e.message); });
      }
      one();
    `.replace('CHILD_SRC', JSON.stringify(CHILD)),
    );
    expect(r.signal).toBe(null);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('ends 5');
  });
});
