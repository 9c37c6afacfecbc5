/**
 * File page-cache helpers in the spirit of vmtouch: how much of a file is resident, fault it all
 * in, or drop it from the page cache.
 */
import { kernelConstants } from './constants';
import { binding } from './native';
import { pageSize } from './mapping';
import { invalidType, toBool, toOptions, toPath } from './validate';
import { openForMapping, refuseUnmappable, statFd } from './filetype';

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

/** Faults every page of the file into the page cache; returns the residency afterwards. */
export function touchFile(file: string | number): FileResidency {
  return withFd('touchFile()', file, (fd, path, size) => {
    binding().fileTouch(fd, size);
    return measure(fd, path, size, false);
  });
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
