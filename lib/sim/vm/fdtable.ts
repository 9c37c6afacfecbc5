/**
 * A simulated process's file-descriptor table and the file system calls (open, close, lseek,
 * fstat's size, read/pread, write/pwrite, ftruncate), each checking its arguments in the order
 * Linux does and returning a negative errno on failure. SimProcess's methods of the same names
 * call these.
 */
import { toStr } from '../../validate';
import { C_READ, C_SYSCALLS, C_WRITE, SimErrno, SimOpen, SimSeek } from './constants';
import type { SimFile } from './files';
import type { PageCache } from './pagecache';
import { bytesArg, int } from './sysargs';

const { EBADF, EINVAL, EEXIST, ENOENT } = SimErrno;
const EFAULT = 14;

/** An open file description. */
export interface OpenFile {
  file: SimFile;
  readable: boolean;
  writable: boolean;
  append: boolean;
  pos: number;
}

/** @internal */
export class FdTable {
  /** Open files by descriptor (fork copies the array: the descriptions are shared). */
  fds: (OpenFile | undefined)[] = [];

  constructor(
    private readonly cache: PageCache,
    private readonly ctr: Float64Array,
  ) {}

  /** open(2) of a simulated file. Returns the fd or a negative errno. */
  open(path: string, flags: number = SimOpen.RDONLY): number {
    this.ctr[C_SYSCALLS]++;
    toStr(path, 'path');
    int('flags', flags);
    const acc = flags & 3;
    if (acc === 3) return -EINVAL;
    let file = this.cache.file(path);
    if (!file) {
      if (!(flags & SimOpen.CREAT)) return -ENOENT;
      file = this.cache.createFile(path);
    } else if (flags & SimOpen.CREAT && flags & SimOpen.EXCL) {
      return -EEXIST;
    }
    if (flags & SimOpen.TRUNC && acc !== SimOpen.RDONLY) this.cache.truncate(file, 0);
    let fd = 3;
    while (this.fds[fd]) fd++;
    this.fds[fd] = {
      file,
      readable: acc !== SimOpen.WRONLY,
      writable: acc !== SimOpen.RDONLY,
      append: (flags & SimOpen.APPEND) !== 0,
      pos: 0,
    };
    return fd;
  }

  /** close(2). */
  close(fd: number): number {
    this.ctr[C_SYSCALLS]++;
    int('fd', fd);
    if (!this.fds[fd]) return -EBADF;
    this.fds[fd] = undefined;
    return 0;
  }

  /** lseek(2). */
  lseek(fd: number, offset: number, whence: number): number {
    this.ctr[C_SYSCALLS]++;
    int('fd', fd);
    int('offset', offset);
    const of = this.fds[fd];
    if (!of) return -EBADF;
    const base = whence === SimSeek.SET ? 0 : whence === SimSeek.CUR ? of.pos : whence === SimSeek.END ? of.file.size : NaN;
    if (Number.isNaN(base)) return -EINVAL;
    const pos = base + offset;
    if (pos < 0) return -EINVAL;
    of.pos = pos;
    return pos;
  }

  /** The size of an open file (fstat(2)'s st_size), or a negative errno. */
  fstatSize(fd: number): number {
    this.ctr[C_SYSCALLS]++;
    int('fd', fd);
    const of = this.fds[fd];
    return of ? of.file.size : -EBADF;
  }

  /** read(2) through the page cache into `buf`. Returns bytes read (0 at EOF) or a negative errno. */
  read(fd: number, buf: Uint8Array, count = buf?.length): number {
    this.ctr[C_SYSCALLS]++;
    int('fd', fd);
    bytesArg('buf', buf, 'write');
    int('count', count);
    const of = this.fds[fd];
    if (!of || !of.readable) return -EBADF;
    if (count < 0 || count > buf.length) return -EFAULT;
    const n = this.cache.readFile(of.file, of.pos, buf, count);
    of.pos += n;
    this.ctr[C_READ] += n;
    return n;
  }

  /** pread(2). */
  pread(fd: number, buf: Uint8Array, count: number, offset: number): number {
    this.ctr[C_SYSCALLS]++;
    int('fd', fd);
    bytesArg('buf', buf, 'write');
    int('count', count);
    int('offset', offset);
    const of = this.fds[fd];
    if (!of || !of.readable) return -EBADF;
    if (offset < 0) return -EINVAL;
    if (count < 0 || count > buf.length) return -EFAULT;
    const n = this.cache.readFile(of.file, offset, buf, count);
    this.ctr[C_READ] += n;
    return n;
  }

  /** write(2) through the page cache. Returns bytes written or a negative errno. */
  write(fd: number, data: Uint8Array, count = data?.length): number {
    this.ctr[C_SYSCALLS]++;
    int('fd', fd);
    bytesArg('data', data, 'read');
    int('count', count);
    const of = this.fds[fd];
    if (!of || !of.writable) return -EBADF;
    if (count < 0 || count > data.length) return -EFAULT;
    if (of.append) of.pos = of.file.size;
    const n = this.cache.writeFile(of.file, of.pos, data, count);
    of.pos += n;
    this.ctr[C_WRITE] += n;
    return n;
  }

  /** pwrite(2). */
  pwrite(fd: number, data: Uint8Array, count: number, offset: number): number {
    this.ctr[C_SYSCALLS]++;
    int('fd', fd);
    bytesArg('data', data, 'read');
    int('count', count);
    int('offset', offset);
    const of = this.fds[fd];
    if (!of || !of.writable) return -EBADF;
    if (offset < 0) return -EINVAL;
    if (count < 0 || count > data.length) return -EFAULT;
    const n = this.cache.writeFile(of.file, offset, data, count);
    this.ctr[C_WRITE] += n;
    return n;
  }

  /** ftruncate(2): pages wholly past the new end leave every mapping (later accesses: SIGBUS). */
  ftruncate(fd: number, length: number): number {
    this.ctr[C_SYSCALLS]++;
    int('fd', fd);
    int('length', length);
    const of = this.fds[fd];
    if (!of) return -EBADF;
    if (length < 0) return -EINVAL;
    if (!of.writable) return -EINVAL;
    this.cache.truncate(of.file, length);
    return 0;
  }
}
