/**
 * The kernel's numbers mmapkit passes to system calls (PROT_*, MAP_*, MS_*, MADV_*, MFD_*, F_SEAL_*,
 * MCL_*, MLOCK_*, O_* …). With the addon loaded they are the addon's, read from the system headers
 * when it was compiled (native/binding/constants.cc); {@link LINUX_CONSTANTS}, Linux's generic
 * (x86-64, arm64) values, fills in a name those headers lacked and stands in on platforms without
 * the addon, where the public tables built from these numbers (ADVICE) must still exist.
 */
import { LINUX_CONSTANTS, type KernelConstants } from './kernel-constants';
import { addonAvailable, binding } from './native';

export { LINUX_CONSTANTS, type KernelConstantName, type KernelConstants } from './kernel-constants';

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
