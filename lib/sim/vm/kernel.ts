/**
 * The simulated kernel's memory manager: physical frames, a block device holding simulated files,
 * the page cache every process shares, 4-level page tables, per-CPU TLBs, the page-fault handler and
 * page replacement. System calls are methods of {@link SimProcess}; this file holds the machinery
 * they share.
 *
 * Everything per page lives in typed arrays: frame contents in one Uint8Array, frame metadata in
 * parallel arrays, page-table entries in one pool of 512-entry tables, TLB entries in flat arrays.
 */
import { codedError, systemError } from '../../errors';
import { SIM_HUGE_PAGE_SIZE, SIM_PAGE_SIZE } from './constants';
import { SimSignal } from './signal';
import { SimTlb, TLB_ASID_MUL, TLB_HUGE_BIT } from './tlb';
import { SimProcess } from './process';
import { simBytes } from '../../validate';
import { invalidType, toBool, toChoice, toInt, toOptions, toStr } from '../../validate';

const PAGE = SIM_PAGE_SIZE;
const HUGE = SIM_HUGE_PAGE_SIZE;
const HUGE_FRAMES = HUGE / PAGE;

/** Page-table entry layout: target (frame or table index) * 16 + flag bits. */
export const PTE_P = 1; // present
export const PTE_W = 2; // writable
export const PTE_R = 4; // readable (cleared for PROT_NONE; x86 keeps such entries non-present)
export const PTE_PS = 8; // page-directory entry maps a 2 MiB page

/** Frame kinds. */
export const F_FREE = 0;
export const F_CACHE = 1; // page-cache page of a file (or of shared anonymous memory)
export const F_ANON = 2; // private page: anonymous memory or a copy made on write
export const F_RESERVED = 3; // the zero page and the huge zero page

const FL_DIRTY = 1;
const FL_REF = 2;
const FL_PIN = 4;

/** Most frames a SimVm can have (4 GiB of simulated memory, one host ArrayBuffer). */
export const SIM_MAX_FRAMES = 1 << 20;
/** Lowest address mmap() hands out or accepts with MAP_FIXED (vm.mmap_min_addr). */
export const SIM_MMAP_MIN_ADDR = 0x10000;
/** End of the user address space (x86-64, 4-level paging). */
export const SIM_TASK_SIZE = 0x7ffffffff000;
/** mmap() places mappings top-down from here. */
export const SIM_MMAP_BASE = 0x7f0000000000;

/** Per-process counters, in the order of {@link SIM_COUNTER_NAMES}. */
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

export const C_MINOR = 0;
export const C_MAJOR = 1;
export const C_COW = 2;
export const C_ZEROFILL = 3;
export const C_ZEROPAGE = 4;
export const C_HITS = 5;
export const C_MISSES = 6;
export const C_WALK = 7;
export const C_SYSCALLS = 8;
export const C_READ = 9;
export const C_WRITE = 10;
export const C_SIGNALS = 11;
export const C_COUNT = SIM_COUNTER_NAMES.length;

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

export type SimTraceKind =
  | 'fault'
  | 'cow'
  | 'zero-fill'
  | 'zero-page'
  | 'tlb-miss'
  | 'tlb-flush'
  | 'eviction'
  | 'writeback'
  | 'signal';

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

/** A simulated file: its bytes live in blocks of the block device and, when cached, in frames. */
export class SimFile {
  /** @internal */ readonly id: number;
  readonly path: string;
  /** Size in bytes (st_size). */
  size = 0;
  /** @internal page index → block number; missing pages are holes (read as zeros). */
  readonly blocks = new Map<number, number>();
  /** @internal page index → frame. */
  readonly cache = new Map<number, number>();
  /** @internal mappings of this file, for the reverse map. */
  readonly vmas = new Set<SimVma>();
  /** @internal backing object of shared anonymous memory (no path). */
  readonly shmem: boolean;
  /** @internal */ unlinked = false;
  constructor(id: number, path: string, shmem: boolean) {
    toInt(id, 'id', 0, Number.MAX_SAFE_INTEGER);
    toStr(path, 'path');
    toBool(shmem, 'shmem');
    this.id = id;
    this.path = path;
    this.shmem = shmem;
  }
}

/** A virtual memory area: a contiguous range of one process's address space with one meaning. */
export interface SimVma {
  start: number;
  end: number;
  prot: number;
  shared: boolean;
  huge: boolean;
  /** The mapped file (for shared anonymous memory, its hidden shmem file); null for private anonymous memory. */
  file: SimFile | null;
  /** File page index mapped at `start`. */
  pgoff: number;
  /** Whether the file was opened for writing (a shared mapping may then become writable). */
  mayWrite: boolean;
  proc: SimProcess;
}

/** The simulated block device: 4 KiB blocks, allocated on first write. */
export class SimBlockDevice {
  /** @internal */ readonly data: (Uint8Array | undefined)[] = [];
  private readonly freeBlocks: number[] = [];
  reads = 0;
  writes = 0;
  alloc(): number {
    const b = this.freeBlocks.pop();
    if (b !== undefined) { this.data[b] = new Uint8Array(PAGE); return b; }
    this.data.push(new Uint8Array(PAGE));
    return this.data.length - 1;
  }
  release(b: number): void {
    toInt(b, 'b', 0, Math.max(0, this.data.length - 1));
    if (this.data[b] === undefined) {
      throw codedError('ERR_OUT_OF_RANGE', `Block ${b} of the simulated block device is not allocated.`);
    }
    this.data[b] = undefined;
    this.freeBlocks.push(b);
  }
  /** Blocks in use. */
  get used(): number {
    return this.data.length - this.freeBlocks.length;
  }
}

/** Most pages one mmap(MAP_POPULATE) populates (2^18: 1 GiB of 4 KiB pages). */
export const SIM_MAX_POPULATE = 2 ** 18;
/** Largest simulated file size (createFile with a size). */
const SIM_MAX_FILE_SIZE = 2 ** 40;
/** Largest file fileBytes()/diskBytes() copy out. */
const SIM_MAX_COPY = 2 ** 31;

function positiveInt(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw invalidType(name, 'an integer', v);
  }
  if (v < 1) throw codedError('ERR_OUT_OF_RANGE', `The "${name}" option must be >= 1. Received ${v}`);
  return v;
}

/**
 * A simulated machine: physical memory, CPUs with TLBs, a block device with files, and processes.
 * Create processes with {@link SimVm.spawn}; they make system calls and access memory.
 */
export class SimVm {
  readonly pageSize = PAGE;
  readonly hugePageSize = HUGE;
  /** Number of physical frames. */
  readonly frames: number;
  readonly replacement: 'clock' | 'lru';
  /** One TLB per CPU. */
  readonly tlbs: SimTlb[];
  readonly device = new SimBlockDevice();

  /** @internal physical memory */ readonly mem: Uint8Array;
  /** @internal */ readonly fKind: Uint8Array;
  /** @internal */ readonly fFlags: Uint8Array;
  /** @internal */ readonly fFile: Int32Array;
  /** @internal */ readonly fIndex: Float64Array;
  /** @internal map count of private frames */ readonly fRef: Int32Array;
  private readonly freeStack: number[] = [];
  private clockHand = 0;
  private readonly lruPrev: Int32Array;
  private readonly lruNext: Int32Array;
  private lruHead = -1;
  private lruTail = -1;
  /** @internal the 4 KiB zero page */ readonly zeroFrame = 0;
  private hugeZero = -1;

  /** @internal page-table pool: table t holds entries [t*512, t*512+512). */
  pt = new Uint32Array(512 * 64);
  private ptUsed = 0;
  private readonly ptFree: number[] = [];

  /** @internal */ readonly files = new Map<string, SimFile>();
  /** @internal */ readonly fileById: (SimFile | undefined)[] = [];
  /** @internal */ readonly procs = new Map<number, SimProcess>();
  private nextPid = 1;
  private nextCpu = 0;
  private readonly deadCtr = new Float64Array(C_COUNT);
  private evictions = 0;
  private writebacks = 0;

  private readonly traceLimit: number;
  /** @internal */ tracing: boolean;
  private readonly events: SimTraceEvent[] = [];
  private seq = 0;
  /** Events not kept because the trace was full. */
  droppedEvents = 0;

  // Results of the last translate(), read by SimMapping to cache the translation.
  /** @internal */ tTlb!: SimTlb;
  /** @internal */ tSlot = 0;
  /** @internal */ tGen = 0;
  /** @internal */ tBase = 0;
  /** @internal */ tPage = 0;
  /** @internal */ tSpan = PAGE;
  /** @internal */ tWritable = false;
  private lastMajor = false;

  constructor(options: SimVmOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw invalidType('options', 'of type object', options);
    }
    this.frames = positiveInt('frames', options.frames, 16384);
    if (this.frames < 2 || this.frames > SIM_MAX_FRAMES) {
      throw codedError('ERR_OUT_OF_RANGE', `The "frames" option must be >= 2 and <= ${SIM_MAX_FRAMES}. Received ${this.frames}`);
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
    this.replacement = repl;
    const t = options.trace ?? false;
    this.traceLimit = t === true ? 10_000 : t === false ? 0 : positiveInt('trace', t, 0);
    this.tracing = this.traceLimit > 0;
    this.tlbs = Array.from({ length: cpus }, () => new SimTlb(entries, ways));
    const n = this.frames;
    this.mem = new Uint8Array(n * PAGE);
    this.fKind = new Uint8Array(n);
    this.fFlags = new Uint8Array(n);
    this.fFile = new Int32Array(n).fill(-1);
    this.fIndex = new Float64Array(n);
    this.fRef = new Int32Array(n);
    this.lruPrev = new Int32Array(n).fill(-1);
    this.lruNext = new Int32Array(n).fill(-1);
    this.fKind[0] = F_RESERVED; // the zero page
    for (let f = n - 1; f >= 1; f--) this.freeStack.push(f);
  }

  // ---------------------------------------------------------------- files

  /** Create (or replace) a simulated file with the given contents or size (a size makes a sparse file). */
  createFile(path: string, contents: Uint8Array | string | number = 0): SimFile {
    if (typeof path !== 'string' || path === '') {
      throw invalidType('path', 'a non-empty string', path);
    }
    if (typeof contents === 'number') {
      if (!Number.isSafeInteger(contents) || contents < 0 || contents > SIM_MAX_FILE_SIZE) {
        throw codedError('ERR_OUT_OF_RANGE', `The file size must be a non-negative integer no larger than ${SIM_MAX_FILE_SIZE} (2^40). Received ${contents}`);
      }
    } else if (typeof contents !== 'string') {
      simBytes(contents, 'contents', 'read');
    }
    const old = this.files.get(path);
    if (old) this.unlink(path);
    const f = this.newFile(path, false);
    if (typeof contents === 'number') {
      if (!Number.isSafeInteger(contents) || contents < 0) {
        throw codedError('ERR_OUT_OF_RANGE', `The file size must be a non-negative integer. Received ${contents}`);
      }
      f.size = contents;
    } else {
      const bytes = typeof contents === 'string' ? new TextEncoder().encode(contents) : contents;
      if (!(bytes instanceof Uint8Array)) {
        throw invalidType('contents', 'a Uint8Array, a string or a size', contents);
      }
      f.size = bytes.length;
      for (let off = 0; off < bytes.length; off += PAGE) {
        const b = this.device.alloc();
        this.device.data[b]!.set(bytes.subarray(off, Math.min(off + PAGE, bytes.length)));
        f.blocks.set(off / PAGE, b);
      }
    }
    return f;
  }

  /** @internal */
  newFile(path: string, shmem: boolean): SimFile {
    const f = new SimFile(this.fileById.length, path, shmem);
    this.fileById.push(f);
    if (!shmem) this.files.set(path, f);
    return f;
  }

  /** Remove a file's name. Its pages stay while it is mapped or open, as on Linux. */
  unlink(path: string): boolean {
    toStr(path, 'path');
    const f = this.files.get(path);
    if (!f) return false;
    this.files.delete(path);
    f.unlinked = true;
    return true;
  }

  /** The file at `path`, or undefined. */
  file(path: string): SimFile | undefined {
    toStr(path, 'path');
    return this.files.get(path);
  }

  /** A file's contents as read() sees them: the page cache where cached, else the block device. */
  fileBytes(path: string): Uint8Array {
    const f = this.mustFile(path);
    const out = new Uint8Array(f.size);
    for (let off = 0; off < f.size; off += PAGE) {
      const idx = off / PAGE;
      const n = Math.min(PAGE, f.size - off);
      const fr = f.cache.get(idx);
      if (fr !== undefined) out.set(this.mem.subarray(fr * PAGE, fr * PAGE + n), off);
      else {
        const b = f.blocks.get(idx);
        if (b !== undefined) out.set(this.device.data[b]!.subarray(0, n), off);
      }
    }
    return out;
  }

  /** A file's contents as they are on the block device: what survives a crash (no dirty pages). */
  diskBytes(path: string): Uint8Array {
    const f = this.mustFile(path);
    const out = new Uint8Array(f.size);
    for (const [idx, b] of f.blocks) {
      const off = idx * PAGE;
      if (off >= f.size) continue;
      out.set(this.device.data[b]!.subarray(0, Math.min(PAGE, f.size - off)), off);
    }
    return out;
  }

  private mustFile(path: string): SimFile {
    toStr(path, 'path');
    const f = this.files.get(path);
    if (!f) throw systemError(2, 'open', path, 'No such simulated file');
    if (f.size > SIM_MAX_COPY) {
      throw codedError('ERR_OUT_OF_RANGE', `The simulated file '${path}' is ${f.size} bytes long: too large to copy out (at most ${SIM_MAX_COPY} bytes, 2^31).`);
    }
    return f;
  }

  /** Write every dirty page-cache page back to the block device (sync(2)). Returns pages written. */
  sync(): number {
    let n = 0;
    for (let f = 0; f < this.frames; f++) {
      if (this.fKind[f] === F_CACHE && (this.fFlags[f] & FL_DIRTY)) { this.writeback(f); n++; }
    }
    return n;
  }

  /**
   * Drop clean page-cache pages that no process maps (echo 1 > /proc/sys/vm/drop_caches), so the
   * next access is a major fault. Returns pages dropped.
   */
  dropCaches(): number {
    let n = 0;
    for (const file of this.fileById) {
      if (!file) continue;
      for (const [idx, fr] of file.cache) {
        if (this.fFlags[fr] & (FL_DIRTY | FL_PIN)) continue;
        if (this.isMapped(file, idx, fr)) continue;
        this.removeCachePage(file, idx, fr);
        n++;
      }
    }
    return n;
  }

  /** @internal read() through the page cache. */
  readFile(file: SimFile, pos: number, buf: Uint8Array, count: number): number {
    if (pos >= file.size || count === 0) return 0;
    const n = Math.min(count, file.size - pos);
    for (let done = 0; done < n;) {
      const off = pos + done;
      const idx = Math.floor(off / PAGE);
      const inPage = off - idx * PAGE;
      const k = Math.min(PAGE - inPage, n - done);
      const f = this.cachePage(file, idx);
      buf.set(this.mem.subarray(f * PAGE + inPage, f * PAGE + inPage + k), done);
      done += k;
    }
    return n;
  }

  /** @internal write() through the page cache: pages become dirty; the file grows as needed. */
  writeFile(file: SimFile, pos: number, data: Uint8Array, count: number): number {
    for (let done = 0; done < count;) {
      const off = pos + done;
      const idx = Math.floor(off / PAGE);
      const inPage = off - idx * PAGE;
      const k = Math.min(PAGE - inPage, count - done);
      const f = this.cachePage(file, idx);
      this.mem.set(data.subarray(done, done + k), f * PAGE + inPage);
      this.markDirty(f);
      done += k;
    }
    if (pos + count > file.size) file.size = pos + count;
    return count;
  }

  /** @internal Write back the dirty cached pages of `file` with index in [first, end). */
  writebackRange(file: SimFile, first: number, end: number): void {
    for (const [idx, f] of file.cache) {
      if (idx >= first && idx < end && (this.fFlags[f] & FL_DIRTY)) this.writeback(f);
    }
  }

  /**
   * @internal Set a file's size. Shrinking removes the pages wholly past the new end from the page
   * cache, the block device and every mapping (private copies too, as Linux's truncate does), and
   * zeroes the tail of the new last page.
   */
  truncate(file: SimFile, size: number): void {
    if (size < file.size) {
      const keep = Math.ceil(size / PAGE);
      for (const vma of file.vmas) {
        const pages = (vma.end - vma.start) / PAGE;
        if (vma.pgoff + pages <= keep) continue;
        const s = vma.start + Math.max(0, keep - vma.pgoff) * PAGE;
        const root = vma.proc.root;
        this.forEachLeaf(root, s, vma.end, (slot) => {
          this.dropMapping(this.pt[slot], false);
          this.pt[slot] = 0;
        });
        this.flushRange(vma.proc.asid, s, vma.end, false);
      }
      for (const [idx, f] of file.cache) if (idx >= keep) this.removeCachePage(file, idx, f);
      for (const [idx, b] of file.blocks) {
        if (idx >= keep) { this.device.release(b); file.blocks.delete(idx); }
      }
      const tail = size % PAGE;
      if (tail !== 0) {
        const f = file.cache.get(keep - 1);
        if (f !== undefined) this.mem.fill(0, f * PAGE + tail, f * PAGE + PAGE);
        const b = file.blocks.get(keep - 1);
        if (b !== undefined) this.device.data[b]!.fill(0, tail);
      }
    }
    file.size = size;
  }

  // ---------------------------------------------------------------- processes

  /** Start a process with an empty address space. `cpu` picks its CPU (default: round robin). */
  spawn(options: { cpu?: number } = {}): SimProcess {
    options = toOptions<{ cpu?: number }>(options, 'options', ['cpu']);
    const cpu = options.cpu ?? this.nextCpu++ % this.tlbs.length;
    this.checkCpu(cpu);
    const p = new SimProcess(this, this.nextPid++, this.allocTable(), cpu);
    this.procs.set(p.pid, p);
    return p;
  }

  /** @internal */
  checkCpu(cpu: number): void {
    toInt(cpu, 'cpu', 0, this.tlbs.length - 1);
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.tlbs.length) {
      throw codedError('ERR_OUT_OF_RANGE', `The "cpu" must be an integer in [0, ${this.tlbs.length - 1}]. Received ${cpu}`);
    }
  }

  /** @internal */
  registerChild(child: SimProcess): void {
    this.procs.set(child.pid, child);
  }

  /** @internal */
  newPid(): number {
    return this.nextPid++;
  }

  /** @internal */
  retire(p: SimProcess): void {
    for (let i = 0; i < C_COUNT; i++) this.deadCtr[i] += p.ctr[i];
    this.freeTables(p.root, 4);
    this.procs.delete(p.pid);
  }

  // ---------------------------------------------------------------- counters and trace

  /** Counters summed over every process (running or exited), plus the kernel's own. */
  counters(): SimGlobalCounters {
    const sum = new Float64Array(this.deadCtr);
    for (const p of this.procs.values()) for (let i = 0; i < C_COUNT; i++) sum[i] += p.ctr[i];
    const out = {} as SimGlobalCounters;
    SIM_COUNTER_NAMES.forEach((name, i) => { out[name] = sum[i]; });
    let used = 0;
    let cache = 0;
    let anon = 0;
    for (let f = 0; f < this.frames; f++) {
      const k = this.fKind[f];
      if (k !== F_FREE) used++;
      if (k === F_CACHE) cache++;
      else if (k === F_ANON) anon++;
    }
    out.evictions = this.evictions;
    out.writebacks = this.writebacks;
    out.blockReads = this.device.reads;
    out.blockWrites = this.device.writes;
    out.tlbFlushes = this.tlbs.reduce((a, t) => a + t.flushes, 0);
    out.framesTotal = this.frames;
    out.framesUsed = used;
    out.pageCachePages = cache;
    out.anonPages = anon;
    out.pageTables = this.ptUsed - this.ptFree.length;
    return out;
  }

  /** The kept trace events (oldest first). */
  trace(): SimTraceEvent[] {
    return this.events.slice();
  }

  /** Forget the trace so far. */
  clearTrace(): void {
    this.events.length = 0;
    this.droppedEvents = 0;
  }

  /** @internal */
  emit(kind: SimTraceKind, pid: number, addr: number, detail: string): void {
    const seq = ++this.seq;
    if (this.events.length < this.traceLimit) this.events.push({ seq, kind, pid, addr, detail });
    else this.droppedEvents++;
  }

  // ---------------------------------------------------------------- frames

  /** @internal Mark a frame recently used (accessed bit for clock, list position for LRU). */
  touchFrame(f: number): void {
    if (this.fKind[f] !== F_CACHE) return;
    if (this.replacement === 'clock') { this.fFlags[f] |= FL_REF; return; }
    if (this.lruHead === f) return;
    this.lruUnlink(f);
    this.lruPushHead(f);
  }

  private lruPushHead(f: number): void {
    this.lruPrev[f] = -1;
    this.lruNext[f] = this.lruHead;
    if (this.lruHead >= 0) this.lruPrev[this.lruHead] = f;
    this.lruHead = f;
    if (this.lruTail < 0) this.lruTail = f;
  }

  private lruUnlink(f: number): void {
    const p = this.lruPrev[f];
    const n = this.lruNext[f];
    if (p >= 0) this.lruNext[p] = n; else if (this.lruHead === f) this.lruHead = n;
    if (n >= 0) this.lruPrev[n] = p; else if (this.lruTail === f) this.lruTail = p;
    this.lruPrev[f] = -1;
    this.lruNext[f] = -1;
  }

  /** @internal A free frame (contents undefined), reclaiming a page-cache page if none is free. */
  allocFrame(): number {
    for (;;) {
      const f = this.freeStack.pop();
      if (f === undefined) break;
      if (this.fKind[f] === F_FREE) return f;
    }
    return this.reclaim();
  }

  /** @internal */
  freeFrame(f: number): void {
    this.fKind[f] = F_FREE;
    this.fFlags[f] = 0;
    this.fRef[f] = 0;
    this.fFile[f] = -1;
    this.freeStack.push(f);
  }

  private reclaim(): number {
    if (this.replacement === 'lru') {
      let f = this.lruTail;
      while (f >= 0 && (this.fFlags[f] & FL_PIN)) f = this.lruPrev[f];
      if (f >= 0) { this.evict(f); return this.takeFree(f); }
    } else {
      const n = this.frames;
      for (let step = 0; step < 2 * n + 1; step++) {
        const f = this.clockHand;
        this.clockHand = f + 1 === n ? 0 : f + 1;
        if (this.fKind[f] !== F_CACHE || (this.fFlags[f] & FL_PIN)) continue;
        if (this.fFlags[f] & FL_REF) { this.fFlags[f] &= ~FL_REF; continue; }
        this.evict(f);
        return this.takeFree(f);
      }
    }
    throw new SimSignal('SIGKILL', 'OOM', 0, 'write', 0);
  }

  private takeFree(f: number): number {
    // evict() pushed f on the free stack; the stale stack entry is skipped later.
    this.fKind[f] = F_FREE;
    return f;
  }

  /** @internal Evict one page-cache frame: unmap it everywhere, write it back if dirty, free it. */
  evict(f: number): void {
    const file = this.fileById[this.fFile[f]]!;
    const idx = this.fIndex[f];
    if (this.fFlags[f] & FL_DIRTY) this.writeback(f);
    this.evictions++;
    if (this.tracing) this.emit('eviction', 0, f * PAGE, `frame ${f}: ${file.path || 'shmem'} page ${idx}`);
    this.removeCachePage(file, idx, f);
  }

  /** @internal Drop a page from the cache (after unmapping it from every process). Dirty data is lost. */
  removeCachePage(file: SimFile, idx: number, f: number): void {
    this.unmapCachePage(file, idx, f);
    file.cache.delete(idx);
    if (this.replacement === 'lru') this.lruUnlink(f);
    this.freeFrame(f);
  }

  /** Reverse map: clear every PTE that maps cache frame `f` (page `idx` of `file`). */
  private unmapCachePage(file: SimFile, idx: number, f: number): void {
    for (const vma of file.vmas) {
      const first = vma.pgoff;
      if (idx < first || idx >= first + (vma.end - vma.start) / PAGE) continue;
      const va = vma.start + (idx - first) * PAGE;
      const slot = this.slotFor(vma.proc.root, va, 1, false);
      if (slot >= 0 && (this.pt[slot] & PTE_P) && this.pt[slot] >>> 4 === f) this.pt[slot] = 0;
    }
    this.flushPhys(f * PAGE, f * PAGE + PAGE);
  }

  private isMapped(file: SimFile, idx: number, f: number): boolean {
    for (const vma of file.vmas) {
      const first = vma.pgoff;
      if (idx < first || idx >= first + (vma.end - vma.start) / PAGE) continue;
      const slot = this.slotFor(vma.proc.root, vma.start + (idx - first) * PAGE, 1, false);
      if (slot >= 0 && (this.pt[slot] & PTE_P) && this.pt[slot] >>> 4 === f) return true;
    }
    return false;
  }

  /** @internal Write a dirty cache frame to the block device and write-protect its shared mappings. */
  writeback(f: number): void {
    const file = this.fileById[this.fFile[f]]!;
    const idx = this.fIndex[f];
    const off = idx * PAGE;
    if (off < file.size) {
      let b = file.blocks.get(idx);
      if (b === undefined) { b = this.device.alloc(); file.blocks.set(idx, b); }
      const blk = this.device.data[b]!;
      const n = Math.min(PAGE, file.size - off);
      blk.set(this.mem.subarray(f * PAGE, f * PAGE + n));
      blk.fill(0, n);
      this.device.writes++;
    }
    this.writebacks++;
    this.fFlags[f] &= ~FL_DIRTY;
    if (this.tracing) this.emit('writeback', 0, f * PAGE, `frame ${f} → ${file.path || 'shmem'} page ${idx}`);
    // page_mkclean: the next store through any mapping must fault again to re-dirty the page.
    for (const vma of file.vmas) {
      if (!vma.shared) continue;
      const first = vma.pgoff;
      if (idx < first || idx >= first + (vma.end - vma.start) / PAGE) continue;
      const slot = this.slotFor(vma.proc.root, vma.start + (idx - first) * PAGE, 1, false);
      if (slot >= 0 && (this.pt[slot] & PTE_P) && this.pt[slot] >>> 4 === f) this.pt[slot] &= ~PTE_W;
    }
    this.flushPhys(f * PAGE, f * PAGE + PAGE);
  }

  /** @internal Mark a cache frame dirty. */
  markDirty(f: number): void {
    this.fFlags[f] |= FL_DIRTY;
  }

  /** @internal */
  pin(f: number): void { this.fFlags[f] |= FL_PIN; }
  /** @internal */
  unpin(f: number): void { this.fFlags[f] &= ~FL_PIN; }

  /**
   * @internal The cache frame holding page `idx` of `file`, reading it from the block device (a
   * major fault, for a fault) when it is not cached.
   */
  cachePage(file: SimFile, idx: number): number {
    let f = file.cache.get(idx);
    if (f !== undefined) {
      this.lastMajor = false;
      this.touchFrame(f);
      return f;
    }
    f = this.allocFrame();
    const off = f * PAGE;
    const b = file.blocks.get(idx);
    if (b !== undefined) {
      this.mem.set(this.device.data[b]!, off);
      this.device.reads++;
    } else {
      this.mem.fill(0, off, off + PAGE);
    }
    this.fKind[f] = F_CACHE;
    this.fFlags[f] = 0;
    this.fFile[f] = file.id;
    this.fIndex[f] = idx;
    file.cache.set(idx, f);
    if (this.replacement === 'lru') this.lruPushHead(f);
    else this.fFlags[f] |= FL_REF;
    this.lastMajor = true;
    return f;
  }

  /** @internal A fresh private frame: zeroed, or a copy of frame `src`. */
  newAnon(src: number): number {
    if (src >= 0) this.pin(src);
    let f: number;
    try {
      f = this.allocFrame();
    } finally {
      if (src >= 0) this.unpin(src);
    }
    const off = f * PAGE;
    if (src >= 0) this.mem.copyWithin(off, src * PAGE, src * PAGE + PAGE);
    else this.mem.fill(0, off, off + PAGE);
    this.fKind[f] = F_ANON;
    this.fFlags[f] = 0;
    this.fRef[f] = 1;
    return f;
  }

  /** @internal 512 contiguous, aligned frames for a 2 MiB page (head frame), or -1. */
  allocHugeBlock(): number {
    const blocks = Math.floor(this.frames / HUGE_FRAMES);
    for (let pass = 0; pass < 2; pass++) {
      for (let b = 0; b < blocks; b++) {
        const lo = b * HUGE_FRAMES;
        let ok = true;
        for (let f = lo; f < lo + HUGE_FRAMES; f++) {
          const k = this.fKind[f];
          if (k === F_FREE) continue;
          if (pass === 1 && k === F_CACHE && !(this.fFlags[f] & FL_PIN)) continue;
          ok = false;
          break;
        }
        if (!ok) continue;
        for (let f = lo; f < lo + HUGE_FRAMES; f++) {
          if (this.fKind[f] === F_CACHE) this.evict(f);
          this.fKind[f] = F_ANON;
          this.fFlags[f] = 0;
          this.fRef[f] = 0;
        }
        return lo;
      }
    }
    return -1;
  }

  /** @internal */
  freeHugeBlock(head: number): void {
    for (let f = head; f < head + HUGE_FRAMES; f++) this.freeFrame(f);
  }

  /** @internal The huge zero page (head frame), or -1 if no contiguous block is available. */
  hugeZeroPage(): number {
    if (this.hugeZero >= 0) return this.hugeZero;
    const head = this.allocHugeBlock();
    if (head < 0) return -1;
    for (let f = head; f < head + HUGE_FRAMES; f++) this.fKind[f] = F_RESERVED;
    this.mem.fill(0, head * PAGE, (head + HUGE_FRAMES) * PAGE);
    this.hugeZero = head;
    return head;
  }

  /** @internal Release the frame a PTE maps (private frames are reference counted). */
  dropMapping(entry: number, huge: boolean): void {
    const f = entry >>> 4;
    if (this.fKind[f] !== F_ANON) return;
    if (--this.fRef[f] === 0) {
      if (huge) this.freeHugeBlock(f);
      else this.freeFrame(f);
    }
  }

  // ---------------------------------------------------------------- page tables

  /** @internal */
  allocTable(): number {
    let t = this.ptFree.pop();
    if (t === undefined) {
      t = this.ptUsed++;
      if ((t + 1) * 512 > this.pt.length) {
        const bigger = new Uint32Array(this.pt.length * 2);
        bigger.set(this.pt);
        this.pt = bigger;
      }
    }
    this.pt.fill(0, t * 512, t * 512 + 512);
    return t;
  }

  private freeTables(t: number, level: number): void {
    if (level > 1) {
      for (let i = 0; i < 512; i++) {
        const e = this.pt[t * 512 + i];
        if ((e & PTE_P) && !(level === 2 && (e & PTE_PS))) this.freeTables(e >>> 4, level - 1);
      }
    }
    this.ptFree.push(t);
  }

  /**
   * @internal Index in `pt` of the entry for `v`: a page-table entry (leaf 1) or a page-directory
   * entry (leaf 2). Returns -1 if a table on the way is missing and `create` is false, -2 if a 2 MiB
   * page sits where a 4 KiB entry was asked for.
   */
  slotFor(root: number, v: number, leaf: 1 | 2, create: boolean): number {
    let t = root;
    const idx = [Math.floor(v / 2 ** 39) % 512, Math.floor(v / 2 ** 30) % 512, Math.floor(v / 2 ** 21) % 512];
    for (let level = 4; level > leaf; level--) {
      const s = t * 512 + idx[4 - level];
      const e = this.pt[s];
      if (!(e & PTE_P)) {
        if (!create) return -1;
        const nt = this.allocTable();
        this.pt[s] = nt * 16 + PTE_P;
        t = nt;
        continue;
      }
      if (level === 2 && (e & PTE_PS)) return -2;
      t = e >>> 4;
    }
    return t * 512 + (leaf === 2 ? idx[2] : Math.floor(v / PAGE) % 512);
  }

  /** @internal Visit every present leaf entry mapping a page that overlaps [start, end). */
  forEachLeaf(root: number, start: number, end: number, fn: (slot: number, va: number, huge: boolean) => void): void {
    this.visit(root, 4, 0, start, end, fn);
  }

  private visit(t: number, level: number, base: number, start: number, end: number,
    fn: (slot: number, va: number, huge: boolean) => void): void {
    const span = level === 4 ? 2 ** 39 : level === 3 ? 2 ** 30 : level === 2 ? 2 ** 21 : PAGE;
    const first = Math.max(0, Math.floor((start - base) / span));
    const last = Math.min(511, Math.floor((end - 1 - base) / span));
    for (let i = first; i <= last; i++) {
      const slot = t * 512 + i;
      const e = this.pt[slot];
      if (!(e & PTE_P)) continue;
      const va = base + i * span;
      if (level === 1) fn(slot, va, false);
      else if (level === 2 && (e & PTE_PS)) fn(slot, va, true);
      else this.visit(e >>> 4, level - 1, va, start, end, fn);
    }
  }

  /** @internal Hardware page walk: the leaf entry for `v` (0 if none), counting memory references. */
  private walk(p: SimProcess, v: number): number {
    const c = p.ctr;
    let e = this.pt[p.root * 512 + (Math.floor(v / 2 ** 39) % 512)];
    c[C_WALK]++;
    if (!(e & PTE_P)) return 0;
    e = this.pt[(e >>> 4) * 512 + (Math.floor(v / 2 ** 30) % 512)];
    c[C_WALK]++;
    if (!(e & PTE_P)) return 0;
    e = this.pt[(e >>> 4) * 512 + (Math.floor(v / 2 ** 21) % 512)];
    c[C_WALK]++;
    if (!(e & PTE_P)) return 0;
    if (e & PTE_PS) return e;
    e = this.pt[(e >>> 4) * 512 + (Math.floor(v / PAGE) % 512)];
    c[C_WALK]++;
    return e;
  }

  // ---------------------------------------------------------------- TLB

  /** @internal Drop the translations of one page of one address space from every CPU's TLB. */
  flushPage(asid: number, v: number, huge: boolean): void {
    for (const tlb of this.tlbs) {
      if (huge) {
        const n = Math.floor(v / HUGE);
        tlb.invalidate(asid * TLB_ASID_MUL + TLB_HUGE_BIT + n, n);
      } else {
        const n = Math.floor(v / PAGE);
        tlb.invalidate(asid * TLB_ASID_MUL + n, n);
      }
    }
    if (this.tracing) this.emit('tlb-flush', asid, v, huge ? 'one 2 MiB page' : 'one page');
  }

  /** @internal Drop a range of one address space from every TLB (whole-ASID flush when large, as Linux does). */
  flushRange(asid: number, start: number, end: number, hugeToo: boolean): void {
    const pages = (end - start) / PAGE;
    if (pages > 33) {
      for (const tlb of this.tlbs) tlb.flushAsid(asid);
      if (this.tracing) this.emit('tlb-flush', asid, start, `address space (${pages} pages)`);
      return;
    }
    for (let v = start; v < end; v += PAGE) this.flushPage(asid, v, false);
    if (hugeToo) {
      for (let v = Math.floor(start / HUGE) * HUGE; v < end; v += HUGE) this.flushPage(asid, v, true);
    }
  }

  /** @internal Drop every TLB entry that maps physical bytes [lo, hi). */
  flushPhys(lo: number, hi: number): void {
    for (const tlb of this.tlbs) tlb.flushPhys(lo, hi);
  }

  /**
   * @internal Translate `v` for a load or store by process `p`: TLB, then page walk, then the fault
   * handler. Returns the physical byte address and leaves the TLB entry used in the t* fields.
   */
  translate(p: SimProcess, v: number, write: boolean): number {
    const tlb = this.tlbs[p.cpu];
    const c = p.ctr;
    const vpn = Math.floor(v / PAGE);
    let slot = tlb.find(p.asid * TLB_ASID_MUL + vpn, vpn);
    if (slot < 0 && p.hugeVmas > 0) {
      const n2 = Math.floor(v / HUGE);
      slot = tlb.find(p.asid * TLB_ASID_MUL + TLB_HUGE_BIT + n2, n2);
    }
    if (slot >= 0) {
      c[C_HITS]++;
      tlb.touch(slot);
      if (write && !tlb.writable[slot]) slot = this.walkFill(p, tlb, v, true);
    } else {
      c[C_MISSES]++;
      if (this.tracing) this.emit('tlb-miss', p.pid, v, write ? 'store' : 'load');
      slot = this.walkFill(p, tlb, v, write);
    }
    const span = tlb.huge[slot] ? HUGE : PAGE;
    const page = Math.floor(v / span) * span;
    this.tTlb = tlb;
    this.tSlot = slot;
    this.tGen = tlb.gen[slot];
    this.tBase = tlb.base[slot];
    this.tPage = page;
    this.tSpan = span;
    this.tWritable = tlb.writable[slot] === 1;
    return this.tBase + (v - page);
  }

  private walkFill(p: SimProcess, tlb: SimTlb, v: number, write: boolean): number {
    if (!p.alive) throw codedError('ERR_MMAPKIT_CLOSED', `Simulated process ${p.pid} has exited.`);
    let e = this.walk(p, v);
    const need = write ? PTE_P | PTE_R | PTE_W : PTE_P | PTE_R;
    if ((e & need) !== need) {
      this.fault(p, v, write);
      e = this.walk(p, v);
      if ((e & need) !== need) throw codedError('ERR_MMAPKIT_INTERNAL', `mmapkit simulator: fault at 0x${v.toString(16)} left no usable entry`);
    }
    const f = e >>> 4;
    this.touchFrame(f);
    if (e & PTE_PS) {
      const n2 = Math.floor(v / HUGE);
      return tlb.fill(p.asid * TLB_ASID_MUL + TLB_HUGE_BIT + n2, n2, f * PAGE, (e & PTE_W) !== 0, true);
    }
    const vpn = Math.floor(v / PAGE);
    return tlb.fill(p.asid * TLB_ASID_MUL + vpn, vpn, f * PAGE, (e & PTE_W) !== 0, false);
  }

  // ---------------------------------------------------------------- faults

  private signal(p: SimProcess, code: 'SIGSEGV' | 'SIGBUS', reason: 'SEGV_MAPERR' | 'SEGV_ACCERR' | 'BUS_ADRERR',
    v: number, write: boolean): SimSignal {
    p.ctr[C_SIGNALS]++;
    if (this.tracing) this.emit('signal', p.pid, v, `${code} ${reason}`);
    return new SimSignal(code, reason, v, write ? 'write' : 'read', p.pid);
  }

  /** @internal The page-fault handler. Installs a PTE or throws a SimSignal. */
  fault(p: SimProcess, v: number, write: boolean): void {
    const vma = p.findVma(v);
    if (!vma) throw this.signal(p, 'SIGSEGV', 'SEGV_MAPERR', v, write);
    // x86-64 without protection keys: any of read/write/exec permits reads.
    const allowed = write ? (vma.prot & 2) !== 0 : (vma.prot & 7) !== 0;
    if (!allowed) throw this.signal(p, 'SIGSEGV', 'SEGV_ACCERR', v, write);
    if (vma.huge) { this.hugeFault(p, vma, v, write); return; }
    const c = p.ctr;
    const page = Math.floor(v / PAGE) * PAGE;
    const slot = this.slotFor(p.root, page, 1, true);
    if (slot < 0) throw codedError('ERR_MMAPKIT_INTERNAL', `mmapkit simulator: a 2 MiB entry maps 0x${page.toString(16)} outside a huge VMA`);
    const e = this.pt[slot];
    const kind = write ? 'write' : 'read';
    if (!(e & PTE_P)) {
      if (vma.file) {
        const file = vma.file;
        const idx = vma.pgoff + (page - vma.start) / PAGE;
        if (idx * PAGE >= file.size) throw this.signal(p, 'SIGBUS', 'BUS_ADRERR', v, write);
        const f = this.cachePage(file, idx);
        const major = this.lastMajor;
        c[major ? C_MAJOR : C_MINOR]++;
        if (this.tracing) this.emit('fault', p.pid, v, `${major ? 'major' : 'minor'} ${kind}: ${file.path || 'shmem'} page ${idx} in frame ${f}`);
        if (!write) {
          this.pt[slot] = f * 16 + (PTE_P | PTE_R);
        } else if (vma.shared) {
          this.markDirty(f);
          this.pt[slot] = f * 16 + (PTE_P | PTE_R | PTE_W);
        } else {
          const nf = this.newAnon(f);
          c[C_COW]++;
          if (this.tracing) this.emit('cow', p.pid, v, `copied frame ${f} to frame ${nf}`);
          this.pt[slot] = nf * 16 + (PTE_P | PTE_R | PTE_W);
        }
      } else if (write) {
        const nf = this.newAnon(-1);
        c[C_MINOR]++;
        c[C_ZEROFILL]++;
        if (this.tracing) this.emit('zero-fill', p.pid, v, `anonymous write: zeroed frame ${nf}`);
        this.pt[slot] = nf * 16 + (PTE_P | PTE_R | PTE_W);
      } else {
        c[C_MINOR]++;
        c[C_ZEROPAGE]++;
        if (this.tracing) this.emit('zero-page', p.pid, v, 'anonymous read: mapped the zero page');
        this.pt[slot] = this.zeroFrame * 16 + (PTE_P | PTE_R);
      }
    } else {
      const f = e >>> 4;
      c[C_MINOR]++;
      if (!write) {
        this.pt[slot] = e | PTE_R;
        if (this.tracing) this.emit('fault', p.pid, v, 'minor read: access restored');
      } else if (vma.shared) {
        this.markDirty(f);
        this.pt[slot] = e | PTE_R | PTE_W;
        if (this.tracing) this.emit('fault', p.pid, v, `minor write: frame ${f} made writable and dirty`);
      } else if (this.fKind[f] === F_ANON && this.fRef[f] === 1) {
        this.pt[slot] = e | PTE_R | PTE_W;
        if (this.tracing) this.emit('fault', p.pid, v, `minor write: frame ${f} reused (sole owner)`);
      } else if (f === this.zeroFrame) {
        const nf = this.newAnon(-1);
        c[C_ZEROFILL]++;
        if (this.tracing) this.emit('zero-fill', p.pid, v, `write over the zero page: zeroed frame ${nf}`);
        this.pt[slot] = nf * 16 + (PTE_P | PTE_R | PTE_W);
      } else {
        const nf = this.newAnon(f);
        c[C_COW]++;
        if (this.tracing) this.emit('cow', p.pid, v, `copied frame ${f} to frame ${nf}`);
        this.dropMapping(e, false);
        this.pt[slot] = nf * 16 + (PTE_P | PTE_R | PTE_W);
      }
    }
    // A present entry changed: drop stale translations (a new entry needs no flush).
    if (e & PTE_P) this.flushPage(p.asid, page, false);
  }

  private hugeFault(p: SimProcess, vma: SimVma, v: number, write: boolean): void {
    const c = p.ctr;
    const page = Math.floor(v / HUGE) * HUGE;
    const slot = this.slotFor(p.root, page, 2, true);
    let e = this.pt[slot];
    if ((e & PTE_P) && !(e & PTE_PS)) {
      // A page table left by earlier 4 KiB mappings of this range (all its entries are clear).
      this.freeTables(e >>> 4, 1);
      this.pt[slot] = 0;
      e = 0;
    }
    c[C_MINOR]++;
    if (!(e & PTE_P) || !write) {
      if (!(e & PTE_P) && !write) {
        const z = this.hugeZeroPage();
        if (z < 0) throw this.signal(p, 'SIGBUS', 'BUS_ADRERR', v, write);
        c[C_ZEROPAGE]++;
        if (this.tracing) this.emit('zero-page', p.pid, v, 'anonymous read: mapped the huge zero page');
        this.pt[slot] = z * 16 + (PTE_P | PTE_R | PTE_PS);
      } else if (!(e & PTE_P)) {
        const head = this.allocHugeBlock();
        if (head < 0) throw this.signal(p, 'SIGBUS', 'BUS_ADRERR', v, write);
        this.mem.fill(0, head * PAGE, head * PAGE + HUGE);
        this.fRef[head] = 1;
        c[C_ZEROFILL]++;
        if (this.tracing) this.emit('zero-fill', p.pid, v, `anonymous write: zeroed 2 MiB at frame ${head}`);
        this.pt[slot] = head * 16 + (PTE_P | PTE_R | PTE_W | PTE_PS);
      } else {
        this.pt[slot] = e | PTE_R;
      }
    } else {
      const f = e >>> 4;
      if (this.fKind[f] === F_ANON && this.fRef[f] === 1) {
        this.pt[slot] = e | PTE_R | PTE_W;
      } else {
        const head = this.allocHugeBlock();
        if (head < 0) throw this.signal(p, 'SIGBUS', 'BUS_ADRERR', v, write);
        this.mem.copyWithin(head * PAGE, f * PAGE, f * PAGE + HUGE);
        this.fRef[head] = 1;
        if (f === this.hugeZero) c[C_ZEROFILL]++;
        else {
          c[C_COW]++;
          if (this.tracing) this.emit('cow', p.pid, v, `copied 2 MiB at frame ${f} to frame ${head}`);
        }
        this.dropMapping(e, true);
        this.pt[slot] = head * 16 + (PTE_P | PTE_R | PTE_W | PTE_PS);
      }
    }
    if (e & PTE_P) this.flushPage(p.asid, page, true);
  }

  /** @internal Whether `v` can be accessed without a fault (used by populate). */
  private present(p: SimProcess, v: number, write: boolean, huge: boolean): boolean {
    const slot = this.slotFor(p.root, v, huge ? 2 : 1, false);
    if (slot < 0) return false;
    const e = this.pt[slot];
    const need = write ? PTE_P | PTE_R | PTE_W : PTE_P | PTE_R;
    return (e & need) === need;
  }

  /** @internal Fault in [start, end) of a VMA as MAP_POPULATE / WILLNEED-on-anon would; stops quietly at EOF. */
  populate(p: SimProcess, vma: SimVma, start: number, end: number): void {
    const write = (vma.prot & 2) !== 0 && !vma.shared;
    const step = vma.huge ? HUGE : PAGE;
    // MAP_POPULATE is best-effort (Linux ignores what it could not populate): the simulator
    // populates at most SIM_MAX_POPULATE pages per call, so a huge mapping does not run for minutes.
    end = Math.min(end, start + SIM_MAX_POPULATE * step);
    for (let v = start; v < end; v += step) {
      if (vma.file && (vma.pgoff + (v - vma.start) / PAGE) * PAGE >= vma.file.size) break;
      if (this.present(p, v, write, vma.huge)) continue;
      this.fault(p, v, write);
    }
  }
}
