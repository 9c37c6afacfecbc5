/**
 * Whole-file byte scans: the sum of every byte of a file, split over threads, through a mapping or
 * read() chunks (via 'auto' picks as the CSV sum does), in the calling thread or off it.
 */
import * as fs from 'node:fs';
import { binding } from '../native';
import { S_IFREG, openForMapping, refuseUnmappable, statFd } from '../filetype';
import { toChoice, toInt, toOptions } from '../validate';
import { invalidType } from '../validate';
import { codedError, fromFsError } from '../errors';
import { fileScanArgs } from '../csv';
import { chooseCsvSource } from './source';
import { runFileJob } from './async';
import { toSignal, type AsyncScanOptions } from '../abort';

export interface FileScanOptions {
  /** 'auto' (default), 'mmap' or 'read'. */
  via?: 'auto' | 'mmap' | 'read';
  /** Threads (default: all cores, at least 4 MiB each). */
  threads?: number;
}

/** What {@link fileByteSum} returns. */
export interface FileByteSum {
  /** The sum of every byte (each 0..255) of the file: exact below 2^53 (a file of 32 PiB). */
  sum: number;
  bytes: number;
  via: 'mmap' | 'read';
  reason: string;
  threads: number;
}

function args(file: unknown, options: unknown, keys: string[]): { via: 'auto' | 'mmap' | 'read'; threads: number | undefined } {
  if (typeof file !== 'string' && typeof file !== 'number') throw invalidType('file', 'a path (string) or a file descriptor (number)', file);
  if (typeof file === 'number' && (!Number.isInteger(file) || file < 0 || file > 0x7fffffff))
    throw invalidType('file', 'a path (string) or a file descriptor (number)', file);
  if (typeof file === 'string' && (file.length === 0 || file.includes('\0')))
    throw codedError('ERR_INVALID_ARG_VALUE', 'The "file" argument must be a non-empty path without NUL bytes');
  const o = toOptions<FileScanOptions>(options, 'options', keys);
  return {
    via: o.via === undefined ? 'auto' : toChoice(o.via, 'options.via', ['auto', 'mmap', 'read'] as const),
    threads: o.threads === undefined ? undefined : toInt(o.threads, 'options.threads', 1, 1024),
  };
}

function sizeOf(fn: string, fd: number, name: string | number): number {
  const { size, type } = statFd(fd);
  refuseUnmappable(fn, name, type);
  if (type !== S_IFREG) throw codedError('ERR_MMAPKIT_NOT_MAPPABLE', `${fn}: ${typeof name === 'number' ? `fd ${name}` : `'${name}'`} is not a regular file`);
  return size;
}

/** The sum of every byte of a regular file (a whole-file scan), split over threads. */
export function fileByteSum(file: string | number, options?: FileScanOptions): FileByteSum {
  const a = args(file, options, ['via', 'threads']);
  const fd = typeof file === 'number' ? file : openForMapping('fileByteSum()', file, fs.constants.O_RDONLY);
  try {
    const size = sizeOf('fileByteSum()', fd, file);
    const src = chooseCsvSource(size, a.via);
    const r = binding().fileScan(...fileScanArgs(fd, 0, size, src.via, a, 'fileByteSum()', 1));
    return { sum: r.bytesSum, bytes: size, via: src.via, reason: src.reason, threads: r.threads };
  } finally {
    if (typeof file !== 'number') binding().close(fd);
  }
}

/** {@link fileByteSum} off the main thread; `signal` cancels it. */
export async function fileByteSumAsync(file: string | number, options?: FileScanOptions & AsyncScanOptions): Promise<FileByteSum> {
  const a = args(file, options, ['via', 'threads', 'signal']);
  const signal = toSignal(options, 'fileByteSumAsync()');
  const handle =
    typeof file === 'number'
      ? undefined
      : await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK).catch((err: unknown) => {
          throw fromFsError(err);
        });
  const fd = handle?.fd ?? (file as number);
  try {
    const size = sizeOf('fileByteSumAsync()', fd, file);
    const src = chooseCsvSource(size, a.via);
    const r = await runFileJob(fileScanArgs(fd, 0, size, src.via, a, 'fileByteSumAsync()', 1), signal, 'fileByteSumAsync()');
    return { sum: r.bytesSum, bytes: size, via: src.via, reason: src.reason, threads: r.threads };
  } finally {
    await handle?.close();
  }
}
