// The simulated virtual-memory system (page tables, faults, page cache, COW, TLB).
export {
  SIM_PAGE_SIZE,
  SIM_HUGE_PAGE_SIZE,
  SimProt,
  SimMapFlags,
  SimMsync,
  SimMadvise,
  SimOpen,
  SimSeek,
  SimErrno,
  simErrnoName,
  SIM_COUNTER_NAMES,
  SIM_MAX_FRAMES,
  SIM_TASK_SIZE,
  SIM_MMAP_BASE,
  SIM_MMAP_MIN_ADDR,
} from './constants';
export type { SimCounters, SimCounterName } from './constants';
export { SimSignal } from './signal';
export type { SimSignalCode, SimSignalReason } from './signal';
export { SimTlb } from './tlb';
export { SimVm } from './vm';
export { SimFile, SimBlockDevice } from './files';
export type { SimVma } from './files';
export type { SimVmOptions, SimGlobalCounters, SimTraceEvent, SimTraceKind } from './types';
export { SimProcess, simCheck } from './process';
export type { SimMapInfo } from './process';
export { SimMapping } from './view';
export { simVmScenarios, runSimVmScenario, simTinyCsv } from './scenarios';
export type { SimVmScenario, SimVmScenarioResult, SimVmScenarioOptions } from './scenarios';
