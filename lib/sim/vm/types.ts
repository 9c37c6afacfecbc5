/** Option, counter and trace types of the simulated virtual-memory system. */
import type { SimCounters } from './constants';

/** Counters of the whole machine: the sums over every process that ever ran, plus the kernel's own. */
export interface SimGlobalCounters extends SimCounters {
  evictions: number;
  writebacks: number;
  blockReads: number;
  blockWrites: number;
  tlbFlushes: number;
  framesTotal: number;
  framesUsed: number;
  pageCachePages: number;
  anonPages: number;
  pageTables: number;
}

export type SimTraceKind = 'fault' | 'cow' | 'zero-fill' | 'zero-page' | 'tlb-miss' | 'tlb-flush' | 'eviction' | 'writeback' | 'signal';

/** One event of the trace. `pid` is 0 for the kernel itself (writeback, eviction). */
export interface SimTraceEvent {
  seq: number;
  kind: SimTraceKind;
  pid: number;
  addr: number;
  detail: string;
}

export interface SimVmOptions {
  /** Physical frames of 4 KiB, 2 to 2^20. Default 16384 (64 MiB; host memory is only touched as frames are used). */
  frames?: number;
  /** Entries of each CPU's TLB. Default 64. */
  tlbEntries?: number;
  /** Ways per TLB set; must divide tlbEntries. Default: tlbEntries (fully associative). */
  tlbWays?: number;
  /** Simulated CPUs, each with its own TLB. Default 1. */
  cpus?: number;
  /** Page replacement: 'clock' (second chance, default) or 'lru' (exact, on faults and TLB fills). */
  replacement?: 'clock' | 'lru';
  /** Keep an event trace: true keeps up to 10 000 events, a number sets the limit. Default false. */
  trace?: boolean | number;
}
