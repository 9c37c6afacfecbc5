/**
 * The CSV sum of a file and the whole-file byte sum, off the main thread: the native job runs on
 * the libuv pool (and spreads over its own threads), so the event loop stays free; an AbortSignal
 * stops it at its next 8 MiB block, and a promise whose signal was aborted before it settled
 * always rejects with an AbortError. Without the addon, or with a JavaScript method, the file is
 * read asynchronously in 1 MiB chunks, each summed between two turns of the event loop.
 */
import type { FileScanArgs } from '../binding';
import * as fs from 'node:fs';
import { fromFsError, systemError } from '../errors';
import { addonAvailable, binding } from '../native';
import { S_IFDIR, S_IFREG, refuseEndless, statFd } from '../filetype';
import { abortError, toSignal, withCancelToken, type AsyncScanOptions } from '../abort';
import { CsvSummer, fileScanArgs, isNativeMethod, toCsvFileArgs, type CsvFileSum, type CsvSumFileOptions } from '../csv';
import { chooseCsvSource } from './source';

export type { AsyncScanOptions };

/**
 * Runs a native file job (binding().fileScanAsync) with the signal wired to its cancel token.
 * @internal
 */
export async function runFileJob(
  args: FileScanArgs,
  signal: AbortSignal | undefined,
  what: string,
): Promise<{ sum: bigint; pending: bigint; bytesSum: number; threads: number }> {
  // Aborted while the file was being opened: no job at all; aborted while the last block ran: the
  // caller no longer wants the answer (withCancelToken rejects either way).
  const b = binding();
  return withCancelToken(signal, what, (token) => b.fileScanAsync(...args, token ?? b.cancelToken()));
}

/** Opens a path for reading off the main thread (a FIFO waits for its writer there). */
function openAsync(file: string): Promise<number> {
  return new Promise((resolve, reject) => fs.open(file, 'r', (e, fd) => (e ? reject(fromFsError(e)) : resolve(fd))));
}

function readAsync(fd: number, buf: Buffer, position: number | null): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buf, 0, buf.length, position, (e, n) => (e ? reject(fromFsError(e)) : resolve(n))));
}

/**
 * {@link csvSumFile} off the main thread, resolving to the same details as
 * {@link csvSumFileDetails}. A path is opened, and a descriptor's bytes summed from its offset, as
 * csvSumFile does. Pass `signal` to cancel: the promise rejects with an AbortError.
 */
export async function csvSumFileAsync(file: string | number, options?: CsvSumFileOptions & AsyncScanOptions): Promise<CsvFileSum> {
  const a = toCsvFileArgs(file, options, ['method', 'via', 'chunkSize', 'threads', 'signal']);
  const signal = toSignal(options, 'csvSumFileAsync()');
  const native = addonAvailable();
  const fd = typeof file === 'number' ? file : await openAsync(file);
  try {
    const st = native ? statFd(fd) : (({ size, mode }) => ({ size, type: mode & fs.constants.S_IFMT }))(fs.fstatSync(fd));
    if (st.type === S_IFDIR) {
      throw systemError(21, 'read', typeof file === 'string' ? file : undefined);
    }
    refuseEndless('csvSumFileAsync()', file, fd, st.type);
    const start = typeof file === 'number' && st.type === S_IFREG ? (native ? Math.max(0, binding().fdOffset(fd) as number) : -1) : 0;
    if (native && st.type === S_IFREG && start >= 0 && st.size > start && isNativeMethod(a.method)) {
      const length = st.size - start;
      const src = chooseCsvSource(length, a.via, native);
      const args = fileScanArgs(fd, start, length, src.via, a, 'csvSumFileAsync()');
      const r = await runFileJob(args, signal, 'csvSumFileAsync()');
      return { sum: r.sum, bytes: length, method: a.method, via: src.via, reason: src.reason, threads: r.threads };
    }
    // A stream, a generated file, or a JavaScript method: chunks read off the main thread.
    const summer = new CsvSummer({ method: a.method });
    const buf = Buffer.allocUnsafe(Math.min(a.chunkSize ?? 1 << 20, 1 << 24));
    let at: number | null = st.type === S_IFREG && start >= 0 ? start : null;
    let bytes = 0;
    for (;;) {
      if (signal?.aborted) throw abortError(signal, 'csvSumFileAsync()');
      let got: number;
      try {
        got = await readAsync(fd, buf, at);
      } catch (err) {
        if ((err as { code?: string }).code !== 'EAGAIN') throw err;
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      if (got === 0) break;
      summer.update(buf.subarray(0, got));
      bytes += got;
      if (at !== null) at += got;
    }
    const reason =
      st.type !== S_IFREG
        ? 'not a regular file'
        : st.size === 0
          ? 'its size reads as 0 (a generated file)'
          : native
            ? `method '${a.method}' runs in JavaScript`
            : 'no native addon here: read through Node';
    return { sum: summer.sum, bytes, method: a.method, via: 'read', reason, threads: 1 };
  } finally {
    if (typeof file !== 'number') fs.closeSync(fd);
  }
}
