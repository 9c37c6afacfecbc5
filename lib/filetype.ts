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

/**
 * The name of an endless character device, or null: the kernel's memory devices (/dev/zero,
 * /dev/full, /dev/random, /dev/urandom, /dev/mem, /dev/kmsg … — major 1 on Linux, 3 and 14 on
 * macOS) never reach end of file, so reading one "to its end" never returns. /dev/null ends at
 * once and is not one of them. `rdev` is the device number fstat(2) gives.
 */
export function endlessDevice(type: number, rdev: number): string | null {
  if ((type & S_IFMT) !== S_IFCHR) return null;
  let major: number;
  let minor: number;
  if (process.platform === 'darwin') {
    major = (rdev >>> 24) & 0xff;
    minor = rdev & 0xffffff;
    if ((major === 3 && minor !== 2) || major === 14) return `character device ${major}:${minor}`;
    return null;
  }
  major = Math.floor(rdev / 256) & 0xfff;
  minor = (rdev & 0xff) | (Math.floor(rdev / 4096) & 0xfff00);
  const names: Record<number, string> = { 1: 'mem', 2: 'kmem', 4: 'port', 5: 'zero', 7: 'full', 8: 'random', 9: 'urandom', 11: 'kmsg' };
  if (major !== 1 || minor === 3) return null;
  return `/dev/${names[minor] ?? `memory device 1:${minor}`}`;
}

/**
 * Throws ERR_INVALID_ARG_VALUE when `fd` is an endless device (see {@link endlessDevice}): a
 * function that reads to end of file would never return on it.
 */
export function refuseEndless(fn: string, target: string | number, fd: number, type: number): void {
  if ((type & S_IFMT) !== S_IFCHR) return;
  const dev = endlessDevice(type, fs.fstatSync(fd).rdev);
  if (dev === null) return;
  throw codedError(
    'ERR_INVALID_ARG_VALUE',
    `${fn}: ${typeof target === 'number' ? `fd ${target}` : `'${target}'`} is a device with no end of file (${dev}), so reading it to its end would never return; map a length of it with mapFile() instead`,
  );
}
