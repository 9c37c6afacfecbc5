/**
 * mmapkit: real memory mapping for Node.js — files, anonymous and shared memory, device registers —
 * and a simulator of the same machinery.
 */
export { MmapkitError, MmapkitSystemError, errnoName, hasCode, type MmapkitErrorCode } from './errors';
export * from './interfaces';
export { addonAvailable } from './native';
export {
  ADVICE,
  Mapping,
  mapAnonymous,
  mapFile,
  pageSize,
  type Advice,
  type MapAnonymousOptions,
  type MapFileOptions,
  type MapMode,
  type MappingKind,
  type Protection,
  type Residency,
  type SyncOptions,
} from './mapping';
export * from './files';
export * from './shm';
export * from './regs';
export * from './drivers';
export * from './sim';
export * from './gpio';
export * from './csv';
export { watchFd, type FdWatcher } from './fdwatch';
