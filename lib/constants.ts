/**
 * The kernel's numbers mmapkit passes to system calls (PROT_*, MAP_*, MS_*, MADV_*, MFD_*, F_SEAL_*,
 * MCL_*, MLOCK_*, O_* …). With the addon loaded they are the addon's, read from the system headers
 * when it was compiled (native/binding/constants.cc); {@link LINUX_CONSTANTS}, Linux's generic
 * (x86-64, arm64) values, fills in a name those headers lacked and stands in on platforms without
 * the addon, where the public tables built from these numbers (ADVICE) must still exist.
 */
import { addonAvailable, binding } from './native';

/** Linux's values (x86-64 and the generic ones arm64 shares), by C name. */
export const LINUX_CONSTANTS = Object.freeze({
  PROT_NONE: 0,
  PROT_READ: 1,
  PROT_WRITE: 2,
  PROT_EXEC: 4,
  MAP_SHARED: 1,
  MAP_PRIVATE: 2,
  MAP_SHARED_VALIDATE: 3,
  MAP_FIXED: 16,
  MAP_ANONYMOUS: 32,
  MAP_NORESERVE: 0x4000,
  MAP_POPULATE: 0x8000,
  MAP_HUGETLB: 0x40000,
  MAP_FIXED_NOREPLACE: 0x100000,
  MAP_LOCKED: 0x2000,
  MREMAP_MAYMOVE: 1,
  MREMAP_FIXED: 2,
  MREMAP_DONTUNMAP: 4,
  MS_ASYNC: 1,
  MS_INVALIDATE: 2,
  MS_SYNC: 4,
  MADV_NORMAL: 0,
  MADV_RANDOM: 1,
  MADV_SEQUENTIAL: 2,
  MADV_WILLNEED: 3,
  MADV_DONTNEED: 4,
  MADV_FREE: 8,
  MADV_REMOVE: 9,
  MADV_DONTFORK: 10,
  MADV_DOFORK: 11,
  MADV_MERGEABLE: 12,
  MADV_UNMERGEABLE: 13,
  MADV_HUGEPAGE: 14,
  MADV_NOHUGEPAGE: 15,
  MADV_DONTDUMP: 16,
  MADV_DODUMP: 17,
  MADV_WIPEONFORK: 18,
  MADV_KEEPONFORK: 19,
  MADV_COLD: 20,
  MADV_PAGEOUT: 21,
  MADV_POPULATE_READ: 22,
  MADV_POPULATE_WRITE: 23,
  MADV_COLLAPSE: 25,
  MFD_CLOEXEC: 1,
  MFD_ALLOW_SEALING: 2,
  MFD_HUGETLB: 4,
  F_SEAL_SEAL: 1,
  F_SEAL_SHRINK: 2,
  F_SEAL_GROW: 4,
  F_SEAL_WRITE: 8,
  F_SEAL_FUTURE_WRITE: 16,
  MCL_CURRENT: 1,
  MCL_FUTURE: 2,
  MCL_ONFAULT: 4,
  MLOCK_ONFAULT: 1,
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  O_CREAT: 64,
  O_EXCL: 128,
  O_TRUNC: 0x200,
  O_NONBLOCK: 0x800,
  O_CLOEXEC: 0x80000,
  O_NOCTTY: 0x100,
  O_SYNC: 0x101000,
  O_DSYNC: 0x1000,
});

/** A C name of {@link LINUX_CONSTANTS}. */
export type KernelConstantName = keyof typeof LINUX_CONSTANTS;
/** The numbers by C name. */
export type KernelConstants = Readonly<Record<KernelConstantName, number>>;

let cached: KernelConstants | undefined;

/**
 * The numbers in effect: the addon's (loaded on the first call), each name the headers lacked
 * taken from {@link LINUX_CONSTANTS}; Linux's alone where the addon is not available.
 */
export function kernelConstants(): KernelConstants {
  if (cached !== undefined) return cached;
  if (!addonAvailable()) return LINUX_CONSTANTS;
  cached = Object.freeze({ ...LINUX_CONSTANTS, ...binding().constants });
  return cached;
}
