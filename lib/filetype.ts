/**
 * What kind of file a descriptor or path is, for the functions that map files or read them: a
 * FIFO (or pipe) or a socket can never be mapped (and opening a FIFO that has no writer blocks in
 * open(2)), so they are refused with ERR_MMAPKIT_NOT_MAPPABLE; every other kind goes on to mmap.
 */
import * as fs from 'node:fs';
import { codedError, type MmapkitError } from './errors';
import { kernelConstants } from './constants';
import { binding } from './native';

const { S_IFMT, S_IFREG, S_IFIFO, S_IFSOCK, S_IFDIR, S_IFCHR, S_IFBLK } = fs.constants;

export { S_IFREG, S_IFDIR };

/** The result slots of the native fileStat(): [size, st_mode & S_IFMT]. */
const statOut = new Float64Array(2);

/** fstat(2) of `fd`: its size (a block device's too) and its type bits (st_mode & S_IFMT). */
export function statFd(fd: number): { size: number; type: number } {
  binding().fileStat(fd, statOut);
  return { size: statOut[0], type: statOut[1] };
}

/** A short name for file type bits: 'file', 'fifo', 'socket', 'directory', 'character-device' … */
export function fileTypeName(type: number): string {
  switch (type & S_IFMT) {
    case S_IFREG:
      return 'file';
    case S_IFIFO:
      return 'fifo';
    case S_IFSOCK:
      return 'socket';
    case S_IFDIR:
      return 'directory';
    case S_IFCHR:
      return 'character-device';
    case S_IFBLK:
      return 'block-device';
    default:
      return 'other';
  }
}

/**
 * Whether a file of these type bits is refused before mapping: a FIFO or pipe, or a socket (a
 * directory reaches open or mmap, which report it with their errno as before).
 */
export function isUnmappable(type: number): boolean {
  const t = type & S_IFMT;
  return t === S_IFIFO || t === S_IFSOCK;
}

/** The error for a file that cannot be mapped; `target` is a path or a file descriptor. */
export function notMappable(fn: string, target: string | number, type: number): MmapkitError {
  const t = type & S_IFMT;
  const byFd = typeof target === 'number';
  const what = t === S_IFIFO ? (byFd ? 'a pipe or FIFO' : 'a FIFO (named pipe)') : t === S_IFSOCK ? 'a socket' : `a ${fileTypeName(t)}`;
  const name = byFd ? `fd ${target}` : `'${target}'`;
  const err = codedError(
    'ERR_MMAPKIT_NOT_MAPPABLE',
    `${fn}: ${name} is ${what}, which cannot be mapped (only regular files and devices can); ` +
      (t === S_IFSOCK && !byFd ? 'connect to it to read from it' : 'read it with read() instead (csvSumFile() does)'),
  );
  Object.defineProperty(err, byFd ? 'fd' : 'path', { value: target, enumerable: true, writable: true, configurable: true });
  Object.defineProperty(err, 'fileType', { value: fileTypeName(t), enumerable: true, writable: true, configurable: true });
  return err;
}

/** Throws ERR_MMAPKIT_NOT_MAPPABLE when `type` is a FIFO, socket or directory. */
export function refuseUnmappable(fn: string, target: string | number, type: number): void {
  if (isUnmappable(type)) throw notMappable(fn, target, type);
}

/**
 * Opens `path` for mapping: with O_NONBLOCK, so a FIFO that has no writer cannot block open(2)
 * (mmap ignores the flag). A socket, which open(2) refuses with ENXIO, is reported as
 * ERR_MMAPKIT_NOT_MAPPABLE. The type of what was opened is checked by the caller (fstat).
 */
export function openForMapping(fn: string, path: string, flags: number): number {
  try {
    return binding().open(path, flags | kernelConstants().O_NONBLOCK, 0);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENXIO') {
      let st: fs.Stats | undefined;
      try {
        st = fs.statSync(path);
      } catch {
        st = undefined;
      }
      if (st?.isSocket()) throw notMappable(fn, path, S_IFSOCK);
    }
    throw err;
  }
}
