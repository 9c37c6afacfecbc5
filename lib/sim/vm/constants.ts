/**
 * Constants of the simulated virtual-memory system. The numeric values are Linux x86-64's, so a
 * sequence of calls reads the same on the simulator as in C.
 */
import { invalidType } from '../../validate';

/** Page size of the simulated machine (x86-64 base pages). */
export const SIM_PAGE_SIZE = 4096;
/** Size of a huge page (an x86-64 2 MiB page, mapped by a page-directory entry). */
export const SIM_HUGE_PAGE_SIZE = 2 * 1024 * 1024;

/** Memory protection bits for mmap() and mprotect(). */
export const SimProt = Object.freeze({
  NONE: 0x0,
  READ: 0x1,
  WRITE: 0x2,
  EXEC: 0x4,
} as const);

/** Flags for mmap(). */
export const SimMapFlags = Object.freeze({
  SHARED: 0x01,
  PRIVATE: 0x02,
  SHARED_VALIDATE: 0x03,
  FIXED: 0x10,
  ANONYMOUS: 0x20,
  NORESERVE: 0x4000,
  POPULATE: 0x8000,
  HUGETLB: 0x40000,
  FIXED_NOREPLACE: 0x100000,
} as const);

/** Flags for msync(). */
export const SimMsync = Object.freeze({
  ASYNC: 1,
  INVALIDATE: 2,
  SYNC: 4,
} as const);

/** Advice for madvise(). */
export const SimMadvise = Object.freeze({
  NORMAL: 0,
  RANDOM: 1,
  SEQUENTIAL: 2,
  WILLNEED: 3,
  DONTNEED: 4,
} as const);

/** Flags for open(). */
export const SimOpen = Object.freeze({
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  CREAT: 0x40,
  EXCL: 0x80,
  TRUNC: 0x200,
  APPEND: 0x400,
} as const);

/** lseek() whence values. */
export const SimSeek = Object.freeze({ SET: 0, CUR: 1, END: 2 } as const);

/** The errno values the simulated system calls return (negated, as the kernel returns them). */
export const SimErrno = Object.freeze({
  EPERM: 1,
  ENOENT: 2,
  EBADF: 9,
  ENOMEM: 12,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EISDIR: 21,
  EINVAL: 22,
  EFBIG: 27,
  ESPIPE: 29,
  EOVERFLOW: 75,
} as const);

const ERRNO_NAMES = new Map<number, string>(Object.entries(SimErrno).map(([k, v]) => [v, k]));

/** The name of a simulated errno value ('EINVAL'); accepts the negative form a system call returns. */
export function simErrnoName(errno: number): string {
  if (typeof errno !== 'number') throw invalidType('errno', 'of type number', errno);
  return ERRNO_NAMES.get(Math.abs(errno)) ?? `E${Math.abs(errno)}`;
}
