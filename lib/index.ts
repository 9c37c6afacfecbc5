/**
 * mmapkit: real memory mapping for Node.js — files, anonymous and shared memory, device registers —
 * and a simulator of the same machinery.
 *
 * The package root, grouped by layer. The simulator also has its own entry point, `mmapkit/sim`
 * (lib/sim/index.ts); the root re-exports it too, for 0.x (importing `Sim*` names from the root is
 * deprecated: use `mmapkit/sim`).
 */

// ------------------------------------------------------------------------------------------------
// Errors: every error mmapkit throws is built in lib/errors.ts.
export { MmapkitError, MmapkitSystemError, errnoName, hasCode, type MmapkitErrorCode } from './errors';

// ------------------------------------------------------------------------------------------------
// Interfaces shared by both backends (native and simulated): MemoryView, RegisterIO, Barriers, PortIO.
export * from './interfaces';

// ------------------------------------------------------------------------------------------------
// The native addon: whether it loaded here.
export { addonAvailable } from './native';

// ------------------------------------------------------------------------------------------------
// Memory mapping: files and anonymous memory, page-cache helpers, shared memory, memfd and futex.
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
  type PopulateOptions,
  type Residency,
  type SyncOptions,
} from './mapping';
export * from './files';
export { treeResidencyAsync, type TreeResidency, type TreeResidencyAction, type TreeResidencyOptions, type TreeResidencyProgress } from './tree';
export * from './shm';

// ------------------------------------------------------------------------------------------------
// Device registers: register windows, barriers, port I/O, and drivers written against RegisterIO.
export * from './regs';
export * from './uio';
export { watchReadable, type FdWatcher, type WatchReadableOptions } from './fdwatch';
export * from './drivers';

// ------------------------------------------------------------------------------------------------
// Raspberry Pi GPIO over a register window (native or simulated).
export * from './gpio';

// ------------------------------------------------------------------------------------------------
// CSV sums and native scans over mapped bytes.
export * from './csv';
export { csvSumFileAsync, type AsyncScanOptions } from './csv/async';
export * from './csv/scan-file';
export { chooseCsvSource, CSV_READ_CROSSOVER, defaultThreads } from './csv/source';
export { csvWasmAvailable, csvWasmPath, initCsvWasm } from './csv/wasm';

// ------------------------------------------------------------------------------------------------
// Shared-memory channels and locks across processes and workers.
export * from './ipc';

// ------------------------------------------------------------------------------------------------
// Sizes, durations and rates, read and printed one way (the command line and the benchmark use them).
export * from './format';

// ------------------------------------------------------------------------------------------------
// The simulator (also `mmapkit/sim`): simulated hardware on a bus, and simulated virtual memory.
export * from './sim';
