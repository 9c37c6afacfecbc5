// The asynchronous forms: csvSumFileAsync, fileByteSumAsync, touchFileAsync, evictFileAsync and
// fileResidencyAsync run off the main thread, agree with the synchronous ones, and stop on an
// AbortSignal; a file truncated under a running job rejects with ERR_MMAPKIT_SIGBUS (child process).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvSum, csvSumFileAsync, csvSumFileDetails, evictFileAsync, fileByteSum, fileByteSumAsync, fileResidencyAsync, touchFileAsync } from '../lib';
import { binding } from '../lib/native';
import { runNode, tempDir } from './support/helpers';

const dir = tempDir('mmapkit-csv-async-');
const file = path.join(dir, 'data.csv');
fs.writeFileSync(file, Buffer.from('1234,56\n7,89012\n'.repeat(1 << 18))); // 4 MiB
const want = csvSum(fs.readFileSync(file), { method: 'bytewise' });

describe('csvSumFileAsync', () => {
  it('resolves to the same details as csvSumFileDetails, for every source and thread count', async () => {
    for (const via of ['auto', 'mmap', 'read'] as const) {
      for (const threads of [1, 2, 3]) {
        const a = await csvSumFileAsync(file, { via, threads });
        expect(a).toEqual(csvSumFileDetails(file, { via, threads }));
        expect(a.sum).toBe(want);
      }
    }
    for (const method of ['bytewise', 'wasm', 'js', 'js-bytewise'] as const) expect((await csvSumFileAsync(file, { method })).sum).toBe(want);
  });

  it('sums a descriptor from its offset, and a FIFO to its end', async () => {
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, Buffer.alloc(5), 0, 5, null); // "1234,"
      expect((await csvSumFileAsync(fd)).sum).toBe(want - 1234n);
    } finally {
      fs.closeSync(fd);
    }
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = fs.promises.writeFile(fifo, '5,6\n70');
    const r = await csvSumFileAsync(fifo);
    await writer;
    expect(r).toMatchObject({ sum: 11n, bytes: 6, via: 'read', reason: 'not a regular file' });
  });

  it('keeps the event loop turning while the job runs', async () => {
    let turns = 0;
    let done = false;
    const tick = (): void => {
      if (done) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const p = csvSumFileAsync(file, { method: 'bytewise', threads: 1, via: 'read' });
    // The call returned at once: nothing of the sum ran yet on this thread.
    expect(turns).toBe(0);
    const r = await p;
    done = true;
    expect(r.sum).toBe(want);
    expect(turns).toBeGreaterThan(0);
  });

  it('rejects with an AbortError when the signal is aborted, before or after the call', async () => {
    const before = new AbortController();
    before.abort(new Error('not wanted'));
    await expect(csvSumFileAsync(file, { signal: before.signal })).rejects.toMatchObject({
      name: 'AbortError',
      code: 'ABORT_ERR',
      cause: { message: 'not wanted' },
    });
    const during = new AbortController();
    const p = csvSumFileAsync(file, { signal: during.signal });
    during.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    // A descriptor's job is queued by the call itself; cancelling it stops the native job.
    const fd = fs.openSync(file, 'r');
    try {
      const c = new AbortController();
      const q = csvSumFileAsync(fd, { signal: c.signal, threads: 1, method: 'bytewise' });
      c.abort();
      await expect(q).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      fs.closeSync(fd);
    }
    // The binding's own token: a job cancelled before it runs rejects with ABORT_ERR.
    const token = binding().cancelToken();
    const fd2 = fs.openSync(file, 'r');
    const job = binding().fileScanAsync(fd2, 0, 4 << 20, true, 'csvSumFileAsync()', 0, 0, 1, 1, 1 << 20, token);
    fs.closeSync(fd2); // the job holds its own descriptor
    binding().cancelJob(token);
    await expect(job).rejects.toMatchObject({ code: 'ABORT_ERR' });
    await expect(csvSumFileAsync(file, { signal: 'no' } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('a file truncated under a running job rejects with ERR_MMAPKIT_SIGBUS, and the process lives on (child process)', () => {
    const big = path.join(dir, 'trunc.csv');
    const r = runNode(
      `
      const fs = require('fs');
      const file = process.argv[1];
      fs.writeFileSync(file, Buffer.alloc(64 << 20, '12,'));
      const fd = fs.openSync(file, 'r');
      // By descriptor the job is queued within the call; the file shrinks right after.
      const p = mk.csvSumFileAsync(fd, { via: 'mmap', method: 'bytewise', threads: 2 });
      fs.truncateSync(file, 4096);
      p.then((r) => console.log(JSON.stringify({ sum: String(r.sum) })), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })))
        .then(() => mk.csvSumFileAsync(file)).then((r) => console.log(JSON.stringify({ after: String(r.sum) })));
    `,
      { args: [big] },
    );
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    const [first, second] = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(first.code).toBe('ERR_MMAPKIT_SIGBUS');
    expect(first.message).toMatch(/SIGBUS during csvSumFileAsync\(\) at byte \d+ of the file/);
    expect(second).toEqual({ after: String(12n * 1365n) });
  });
});

describe('asynchronous whole-file helpers', () => {
  it('fileByteSumAsync agrees with fileByteSum', async () => {
    for (const via of ['mmap', 'read'] as const) expect(await fileByteSumAsync(file, { via, threads: 2 })).toEqual(fileByteSum(file, { via, threads: 2 }));
  });

  it('evictFileAsync, touchFileAsync and fileResidencyAsync move the file out of and into the page cache', async () => {
    const out = await evictFileAsync(file);
    expect(out.resident).toBeLessThan(out.pages);
    const t = await touchFileAsync(file, { threads: 2 });
    expect(t.resident).toBe(t.pages);
    const q = await fileResidencyAsync(file, { vector: true });
    expect(q.percent).toBe(100);
    expect(q.vector!.every((v) => (v & 1) === 1)).toBe(true);
    const c = new AbortController();
    c.abort();
    await expect(touchFileAsync(file, { signal: c.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const fifo = path.join(dir, 'fifo2');
    execFileSync('mkfifo', [fifo]);
    await expect(touchFileAsync(fifo)).rejects.toMatchObject({ code: 'ERR_MMAPKIT_NOT_MAPPABLE', fileType: 'fifo' });
  });
});
