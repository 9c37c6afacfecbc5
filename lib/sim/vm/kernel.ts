/**
 * The simulated kernel's memory manager, composed of its parts: physical frames and page
 * replacement (frames.ts), the page tables (pagetables.ts), the TLB glue (mmu.ts), the page cache
 * over the block device (pagecache.ts) and the page-fault handler (fault.ts), plus the process
 * table, the counters and the event trace. System calls are methods of SimProcess (process.ts);
 * the public face is SimVm (vm.ts). Nothing here is exported from the package.
 *
 * Everything per page lives in typed arrays: frame contents in one Uint8Array, frame metadata in
 * parallel arrays, page-table entries in one pool of 512-entry tables, TLB entries in flat arrays.
 */
import { codedError } from '../../errors';
import { invalidType, toChoice, toInt } from '../../validate';
import { C_COUNT, SIM_COUNTER_NAMES, SIM_MAX_FRAMES } from './constants';
import { VmEvents } from './events';
import { FaultHandler } from './fault';
import type { SimVmaOwner } from './files';
import { FrameTable } from './frames';
import { Mmu } from './mmu';
import { PageCache } from './pagecache';
import { PageTables } from './pagetables';
import { SimTlb } from './tlb';
import type { SimGlobalCounters, SimVmOptions } from './types';

function positiveInt(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw invalidType(name, 'an integer', v);
  }
  if (v < 1) throw codedError('ERR_OUT_OF_RANGE', `The "${name}" option must be >= 1. Received ${v}`);
  return v;
}

/** @internal */
export class VmKernel {
  readonly events: VmEvents;
  readonly tables = new PageTables();
  readonly frames: FrameTable;
  readonly mmu: Mmu;
  readonly cache: PageCache;
  readonly faults: FaultHandler;
  /** Running processes by pid. */
  readonly procs = new Map<number, SimVmaOwner>();
  private nextPid = 1;
  private nextCpu = 0;
  private readonly deadCtr = new Float64Array(C_COUNT);

  constructor(options: SimVmOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw codedError('ERR_INVALID_ARG_TYPE', 'The "options" argument must be an object.');
    }
    const frames = positiveInt('frames', options.frames, 16384);
    if (frames < 2 || frames > SIM_MAX_FRAMES) {
      throw codedError('ERR_OUT_OF_RANGE', `The "frames" option must be >= 2 and <= ${SIM_MAX_FRAMES}. Received ${frames}`);
    }
    const entries = positiveInt('tlbEntries', options.tlbEntries, 64);
    const ways = positiveInt('tlbWays', options.tlbWays, entries);
    if (entries % ways !== 0) {
      throw codedError('ERR_OUT_OF_RANGE', `The "tlbWays" option (${ways}) must divide "tlbEntries" (${entries}).`);
    }
    const cpus = positiveInt('cpus', options.cpus, 1);
    const repl = options.replacement ?? 'clock';
    if (repl !== 'clock' && repl !== 'lru') {
      toChoice(repl, 'replacement', ['clock', 'lru']);
    }
    const t = options.trace ?? false;
    this.events = new VmEvents(t === true ? 10_000 : t === false ? 0 : positiveInt('trace', t, 0));
    const tlbs = Array.from({ length: cpus }, () => new SimTlb(entries, ways));
    this.frames = new FrameTable(frames, repl, (f) => this.cache.evict(f));
    this.mmu = new Mmu(tlbs, this.tables, this.frames, this.events, (p, v, write) => this.faults.fault(p, v, write));
    this.cache = new PageCache(this.frames, this.tables, this.mmu, this.events);
    this.faults = new FaultHandler(this.tables, this.frames, this.cache, this.mmu, this.events);
  }

  get tlbs(): SimTlb[] {
    return this.mmu.tlbs;
  }

  /** The CPU a new process gets: `cpu` if given (checked), else the next one round robin. */
  cpuFor(cpu: number | undefined): number {
    const c = cpu ?? this.nextCpu++ % this.tlbs.length;
    this.checkCpu(c);
    return c;
  }

  checkCpu(cpu: number): void {
    toInt(cpu, 'cpu', 0, this.tlbs.length - 1);
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.tlbs.length) {
      throw codedError('ERR_OUT_OF_RANGE', `The "cpu" must be an integer in [0, ${this.tlbs.length - 1}]. Received ${cpu}`);
    }
  }

  registerChild(child: SimVmaOwner): void {
    this.procs.set(child.pid, child);
  }

  newPid(): number {
    return this.nextPid++;
  }

  /** A process exited: keep its counters in the sums, free its page tables. */
  retire(p: SimVmaOwner): void {
    for (let i = 0; i < C_COUNT; i++) this.deadCtr[i] += p.ctr[i];
    this.tables.freeTables(p.root, 4);
    this.procs.delete(p.pid);
  }

  /** Counters summed over every process (running or exited), plus the kernel's own. */
  counters(): SimGlobalCounters {
    const sum = new Float64Array(this.deadCtr);
    for (const p of this.procs.values()) for (let i = 0; i < C_COUNT; i++) sum[i] += p.ctr[i];
    const out = {} as SimGlobalCounters;
    SIM_COUNTER_NAMES.forEach((name, i) => {
      out[name] = sum[i];
    });
    const { used, cache, anon } = this.frames.usage();
    out.evictions = this.cache.evictions;
    out.writebacks = this.cache.writebacks;
    out.blockReads = this.cache.device.reads;
    out.blockWrites = this.cache.device.writes;
    out.tlbFlushes = this.tlbs.reduce((a, tlb) => a + tlb.flushes, 0);
    out.framesTotal = this.frames.frames;
    out.framesUsed = used;
    out.pageCachePages = cache;
    out.anonPages = anon;
    out.pageTables = this.tables.used;
    return out;
  }
}
