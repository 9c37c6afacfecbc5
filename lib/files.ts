/**
 * File page-cache helpers in the spirit of vmtouch: how much of a file is resident, fault it all
 * in, or drop it from the page cache.
 */
import * as fs from 'node:fs';
import { binding } from './native';
import { pageSize } from './mapping';
import { invalidType, toBool, toOptions } from './validate';
import { usageError } from './errors';

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

function withFd<T>(file: string | number, fn: (fd: number, path: string) => T): T {
  const b = binding();
  if (typeof file === 'number') {
    if (!Number.isInteger(file) || file < 0) throw invalidType('file', 'a path (string) or a file descriptor (number)', file);
    return fn(file, `fd ${file}`);
  }
  if (typeof file !== 'string') throw invalidType('file', 'a path (string) or a file descriptor (number)', file);
  if (file.length === 0 || file.includes('\0')) throw usageError('ERR_INVALID_ARG_VALUE', 'The "file" argument must be a non-empty path without NUL bytes');
  const fd = b.open(file, fs.constants.O_RDONLY, 0) as number;
  try {
    return fn(fd, file);
  } finally {
    b.close(fd);
  }
}

function measure(fd: number, path: string, vector: boolean): FileResidency {
  const b = binding();
  const bytes = b.fileSize(fd) as number;
  const r = b.fileResidency(fd, bytes, vector) as { pages: number; resident: number; vector?: Uint8Array };
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

/** How many of a file's pages are in the page cache (mincore over a read-only mapping). */
export function fileResidency(file: string | number, options?: { vector?: boolean }): FileResidency {
  const o = toOptions<{ vector: boolean }>(options, 'options', ['vector']);
  const vector = o.vector === undefined ? false : toBool(o.vector, 'options.vector');
  return withFd(file, (fd, path) => measure(fd, path, vector));
}

/** Faults every page of the file into the page cache; returns the residency afterwards. */
export function touchFile(file: string | number): FileResidency {
  return withFd(file, (fd, path) => {
    const b = binding();
    b.fileTouch(fd, b.fileSize(fd) as number);
    return measure(fd, path, false);
  });
}

/**
 * Drops the file's pages from the page cache (fdatasync, then posix_fadvise DONTNEED); returns the
 * residency afterwards. Pages still mapped and in use elsewhere may stay.
 */
export function evictFile(file: string | number): FileResidency {
  return withFd(file, (fd, path) => {
    binding().evict(fd);
    return measure(fd, path, false);
  });
}
