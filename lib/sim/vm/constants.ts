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

// ---------------------------------------------------------------- limits and layout

/** Most frames a SimVm can have (4 GiB of simulated memory, one host ArrayBuffer). */
export const SIM_MAX_FRAMES = 1 << 20;
/** Lowest address mmap() hands out or accepts with MAP_FIXED (vm.mmap_min_addr). */
export const SIM_MMAP_MIN_ADDR = 0x10000;
/** End of the user address space (x86-64, 4-level paging). */
export const SIM_TASK_SIZE = 0x7ffffffff000;
/** mmap() places mappings top-down from here. */
export const SIM_MMAP_BASE = 0x7f0000000000;
/** Most pages one mmap(MAP_POPULATE) populates (2^18: 1 GiB of 4 KiB pages). */
export const SIM_MAX_POPULATE = 2 ** 18;

/** Per-process counters, in the order of the C_* indexes below. */
export const SIM_COUNTER_NAMES = [
  'minorFaults',
  'majorFaults',
  'cowCopies',
  'zeroFills',
  'zeroPageMaps',
  'tlbHits',
  'tlbMisses',
  'walkRefs',
  'syscalls',
  'readBytes',
  'writeBytes',
  'signals',
] as const;
export type SimCounterName = (typeof SIM_COUNTER_NAMES)[number];
export type SimCounters = Record<SimCounterName, number>;

// ---------------------------------------------------------------- internal layout (not exported from the package)

/** @internal Frames in a 2 MiB page. */
export const HUGE_FRAMES = SIM_HUGE_PAGE_SIZE / SIM_PAGE_SIZE;

/** @internal Page-table entry layout: target (frame or table index) * 16 + flag bits. */
export const PTE_P = 1; // present
/** @internal */
export const PTE_W = 2; // writable
/** @internal */
export const PTE_R = 4; // readable (cleared for PROT_NONE; x86 keeps such entries non-present)
/** @internal */
export const PTE_PS = 8; // page-directory entry maps a 2 MiB page

/** @internal Frame kinds. */
export const F_FREE = 0;
/** @internal */
export const F_CACHE = 1; // page-cache page of a file (or of shared anonymous memory)
/** @internal */
export const F_ANON = 2; // private page: anonymous memory or a copy made on write
/** @internal */
export const F_RESERVED = 3; // the zero page and the huge zero page

/** @internal Frame flags. */
export const FL_DIRTY = 1;
/** @internal */
export const FL_REF = 2;
/** @internal */
export const FL_PIN = 4;

/** @internal Indexes of the per-process counters. */
export const C_MINOR = 0;
/** @internal */ export const C_MAJOR = 1;
/** @internal */ export const C_COW = 2;
/** @internal */ export const C_ZEROFILL = 3;
/** @internal */ export const C_ZEROPAGE = 4;
/** @internal */ export const C_HITS = 5;
/** @internal */ export const C_MISSES = 6;
/** @internal */ export const C_WALK = 7;
/** @internal */ export const C_SYSCALLS = 8;
/** @internal */ export const C_READ = 9;
/** @internal */ export const C_WRITE = 10;
/** @internal */ export const C_SIGNALS = 11;
/** @internal */ export const C_COUNT = SIM_COUNTER_NAMES.length;
