/**
 * File page-cache helpers in the spirit of vmtouch: how much of a file is resident, fault it all
 * in, or drop it from the page cache.
 */
import { kernelConstants } from './constants';
import { binding } from './native';
import { pageSize } from './mapping';
import * as fs from 'node:fs';
import { invalidType, toBool, toInt, toOptions, toPath } from './validate';
import { fileScanArgs } from './csv';
import { runFileJob } from './csv/async';
import { abortError, toSignal, type AsyncScanOptions } from './abort';
import { codedError, fromFsError } from './errors';
import { notMappable, openForMapping, refuseUnmappable, statFd } from './filetype';

/** Page-cache residency of one file. */
export interface FileResidency {
  path: string;
  /** File size in bytes. */
  bytes: number;
  pageSize: number;
  /** Pages the file spans. */
  pages: number;
  /** Pages in the page cache. */
  resident: number;
  /** resident × pageSize, capped at the file size. */
  residentBytes: number;
  /** resident / pages × 100 (100 for an empty file). */
  percent: number;
  /** One byte per page (1 resident, 0 not), when asked for with { vector: true }. */
  vector?: Uint8Array;
}

/**
 * Runs fn on the file's descriptor and its size. A path is opened with O_NONBLOCK (a FIFO with no
 * writer would block open(2)); a FIFO or pipe, socket or directory, by path or by descriptor, is
 * refused with ERR_MMAPKIT_NOT_MAPPABLE (its pages cannot be mapped, so it has no residency).
 */
function withFd<T>(fn: string, file: string | number, body: (fd: number, path: string, size: number) => T): T {
  const b = binding();
  if (typeof file === 'number') {
    if (!Number.isInteger(file) || file < 0 || file > 0x7fffffff) throw invalidType('file', 'a path (string) or a file descriptor (number)', file);
    const { size, type } = statFd(file);
    refuseUnmappable(fn, file, type);
    return body(file, `fd ${file}`, size);
  }
  toPath(file, 'file');
  const fd = openForMapping(fn, file, kernelConstants().O_RDONLY);
  try {
    const { size, type } = statFd(fd);
    refuseUnmappable(fn, file, type);
    return body(fd, file, size);
  } finally {
    b.close(fd);
  }
}

function measure(fd: number, path: string, bytes: number, vector: boolean): FileResidency {
  const b = binding();
  const r = b.fileResidency(fd, bytes, vector);
  const ps = pageSize();
  const out: FileResidency = {
    path,
    bytes,
    pageSize: ps,
    pages: r.pages,
    resident: r.resident,
    residentBytes: Math.min(bytes, r.resident * ps),
    percent: r.pages === 0 ? 100 : (r.resident / r.pages) * 100,
  };
  if (vector) out.vector = r.vector;
  return out;
}

/**
 * How many of a file's pages are in the page cache (mincore over a read-only mapping). A FIFO or
 * pipe, a socket or a directory throws ERR_MMAPKIT_NOT_MAPPABLE.
 */
export function fileResidency(file: string | number, options?: { vector?: boolean }): FileResidency {
  const o = toOptions<{ vector: boolean }>(options, 'options', ['vector']);
  const vector = o.vector === undefined ? false : toBool(o.vector, 'options.vector');
  return withFd('fileResidency()', file, (fd, path, size) => measure(fd, path, size, vector));
}

/** Options of {@link touchFile} and the asynchronous helpers. */
export interface TouchOptions {
  /** Threads the pages are touched on (default: all cores, at least 4 MiB each). */
  threads?: number;
}

function toTouchOptions(options: unknown, async: boolean): { threads: number | undefined } {
  const o = toOptions<TouchOptions & AsyncScanOptions>(options, 'options', async ? ['threads', 'signal'] : ['threads']);
  return { threads: o.threads === undefined ? undefined : toInt(o.threads, 'options.threads', 1, 1024) };
}

/**
 * Faults every page of the file into the page cache (read-ahead asked for first, then one read
 * per page, split over threads); returns the residency afterwards.
 */
export function touchFile(file: string | number, options?: TouchOptions): FileResidency {
  const t = toTouchOptions(options, false);
  return withFd('touchFile()', file, (fd, path, size) => {
    try {
      binding().fileScan(...fileScanArgs(fd, 0, size, 'mmap', t, 'touchFile()', 2));
    } catch (err) {
      // No room for one mapping of the whole file (a 32-bit process): the 1 GiB windows of old.
      if ((err as { code?: string }).code !== 'ENOMEM') throw err;
      binding().fileTouch(fd, size);
    }
    return measure(fd, path, size, false);
  });
}

/** Opens a path off the main thread as withFd does (O_NONBLOCK), checking its type. */
async function withFdAsync<T>(fn: string, file: string | number, body: (fd: number, path: string, size: number) => Promise<T>): Promise<T> {
  if (typeof file === 'number') return withFd(fn, file, body);
  if (typeof file !== 'string') throw invalidType('file', 'a path (string) or a file descriptor (number)', file);
  if (file.length === 0 || file.includes('\0')) throw codedError('ERR_INVALID_ARG_VALUE', 'The "file" argument must be a non-empty path without NUL bytes');
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    // A socket path: open(2) says ENXIO; name it as the synchronous helpers do.
    if ((err as { code?: string }).code === 'ENXIO' && (await fs.promises.stat(file).catch(() => undefined))?.isSocket())
      throw notMappable(fn, file, fs.constants.S_IFSOCK);
    throw fromFsError(err);
  }
  try {
    const { size, type } = statFd(handle.fd);
    refuseUnmappable(fn, file, type);
    return await body(handle.fd, file, size);
  } finally {
    await handle.close();
  }
}

/** {@link touchFile} off the main thread; `signal` cancels it (rejecting with an AbortError). */
export async function touchFileAsync(file: string | number, options?: TouchOptions & AsyncScanOptions): Promise<FileResidency> {
  const t = toTouchOptions(options, true);
  const signal = toSignal(options, 'touchFileAsync()');
  return withFdAsync('touchFileAsync()', file, async (fd, path, size) => {
    await runFileJob(fileScanArgs(fd, 0, size, 'mmap', t, 'touchFileAsync()', 2), signal, 'touchFileAsync()');
    return measure(fd, path, size, false);
  });
}

/** {@link evictFile} with its fdatasync off the main thread. */
export async function evictFileAsync(file: string | number, options?: AsyncScanOptions): Promise<FileResidency> {
  toOptions<AsyncScanOptions>(options, 'options', ['signal']);
  const signal = toSignal(options, 'evictFileAsync()');
  return withFdAsync('evictFileAsync()', file, async (fd, path, size) => {
    await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (e) => (e && e.code !== 'EINVAL' && e.code !== 'EROFS' ? reject(e) : resolve())));
    if (signal?.aborted) throw abortError(signal, 'evictFileAsync()');
    binding().evict(fd);
    return measure(fd, path, size, false);
  });
}

/** {@link fileResidency}, its file opened off the main thread. */
export async function fileResidencyAsync(file: string | number, options?: { vector?: boolean } & AsyncScanOptions): Promise<FileResidency> {
  const o = toOptions<{ vector: boolean }>(options, 'options', ['vector', 'signal']);
  const vector = o.vector === undefined ? false : toBool(o.vector, 'options.vector');
  toSignal(options, 'fileResidencyAsync()');
  return withFdAsync('fileResidencyAsync()', file, async (fd, path, size) => measure(fd, path, size, vector));
}

/**
 * Drops the file's pages from the page cache (fdatasync, then posix_fadvise DONTNEED); returns the
 * residency afterwards. Pages still mapped and in use elsewhere may stay.
 */
export function evictFile(file: string | number): FileResidency {
  return withFd('evictFile()', file, (fd, path, size) => {
    binding().evict(fd);
    return measure(fd, path, size, false);
  });
}
