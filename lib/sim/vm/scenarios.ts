/**
 * The seed text's mmap examples as runnable scenarios on the simulator. Each returns what it
 * observed (values, per-process and global counters, the trace) so the CLI can print it and the
 * tests can check it.
 *
 * Longer than 400 lines on purpose: it is one table of independent scenarios, each a short script
 * read top to bottom beside the seed text; splitting the table would only scatter them.
 */
import { seedCsvSum } from '../../csv';
import { SIM_HUGE_PAGE_SIZE, SIM_PAGE_SIZE, SimMapFlags, SimOpen, SimProt } from './constants';
import type { SimCounters } from './constants';
import type { SimGlobalCounters, SimTraceEvent, SimVmOptions } from './types';
import { SimVm } from './vm';
import { simCheck } from './process';
import type { SimProcess } from './process';
import { SimSignal } from './signal';
import { toInt, toOptions, toStr } from '../../validate';
import { codedError } from '../../errors';

const PAGE = SIM_PAGE_SIZE;
const GiB = 1024 * 1024 * 1024;

/** What a scenario observed. */
export interface SimVmScenarioResult {
  name: string;
  title: string;
  /** Narrative, one line per step. */
  lines: string[];
  /** The figures the scenario is about (what the tests check). */
  values: Record<string, number | string | boolean | number[]>;
  /** Counters of each process, by name ('A', 'B', 'p'). */
  processes: Record<string, SimCounters>;
  global: SimGlobalCounters;
  trace: SimTraceEvent[];
  droppedEvents: number;
}

export interface SimVmScenario {
  name: string;
  title: string;
  run(options?: SimVmScenarioOptions): SimVmScenarioResult;
}

/** Most trace events a scenario keeps. */
export const SIM_VM_MAX_TRACE = 1_000_000;

export interface SimVmScenarioOptions {
  /** Trace events to keep (default 200; 0 for none). */
  trace?: number;
}

const hex = (bytes: number[]): string => bytes.map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');

class Run {
  readonly vm: SimVm;
  readonly lines: string[] = [];
  readonly values: SimVmScenarioResult['values'] = {};
  readonly procs: Record<string, SimProcess> = {};
  constructor(options: SimVmOptions, trace: number | undefined) {
    const t = trace === undefined ? 200 : toInt(trace, 'trace', 0, SIM_VM_MAX_TRACE);
    this.vm = new SimVm({ ...options, trace: t > 0 ? t : false });
  }
  say(line: string): void {
    this.lines.push(line);
  }
  spawn(name: string): SimProcess {
    const p = this.vm.spawn();
    this.procs[name] = p;
    return p;
  }
  result(name: string, title: string): SimVmScenarioResult {
    const processes: Record<string, SimCounters> = {};
    for (const [k, p] of Object.entries(this.procs)) processes[k] = p.counters();
    return {
      name,
      title,
      lines: this.lines,
      values: this.values,
      processes,
      global: this.vm.counters(),
      trace: this.vm.trace(),
      droppedEvents: this.vm.droppedEvents,
    };
  }
}

function faults(p: SimProcess): number {
  const c = p.counters();
  return c.minorFaults + c.majorFaults;
}

function mapFile(p: SimProcess, path: string, length: number, prot: number, flags: number): number {
  const fd = simCheck(p.open(path, prot & SimProt.WRITE && flags & SimMapFlags.SHARED ? SimOpen.RDWR : SimOpen.RDONLY), 'open', path);
  const addr = simCheck(p.mmap(0, length, prot, flags, fd, 0), 'mmap', path);
  p.close(fd);
  return addr;
}

const TINY = new Uint8Array([0x31, 0x32, 0x2c, 0x33, 0x34, 0x0a, 0x35, 0x2c, 0x36, 0x0a, 0x37, 0x38, 0x39, 0x2c, 0x31, 0x0a]);

/** The seed's tiny.csv, byte for byte as its hex dump lists it (the text calls it 18 bytes; the dump has 16). */
export function simTinyCsv(): Uint8Array {
  return TINY.slice();
}

function fileOf(size: number, seed: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff || 1;
  return b;
}

const scenarios: SimVmScenario[] = [
  {
    name: 'csv-sum',
    title: "The seed's CSV parser over a simulated mapping of tiny.csv",
    run(o) {
      const r = new Run({ frames: 64 }, o?.trace);
      r.vm.createFile('tiny.csv', TINY);
      const p = r.spawn('p');
      const addr = mapFile(p, 'tiny.csv', TINY.length, SimProt.READ, SimMapFlags.PRIVATE);
      r.say(`mmap(NULL, ${TINY.length}, PROT_READ, MAP_PRIVATE, fd, 0) = 0x${addr.toString(16)}`);
      const sum = seedCsvSum(p.view(addr, TINY.length));
      r.say(`seedCsvSum over the mapping = ${sum} (12 + 34 + 5 + 6 + 789 + 1)`);
      r.values.sum = Number(sum);
      r.values.faults = faults(p);
      r.values.tlbMisses = p.counters().tlbMisses;
      r.values.tlbHits = p.counters().tlbHits;
      r.say(`${r.values.faults} page fault, ${r.values.tlbMisses} TLB miss, ${r.values.tlbHits} TLB hits for ${TINY.length} loads`);
      return r.result(this.name, this.title);
    },
  },
  {
    name: 'nine-thousand',
    title: 'A 9000-byte file: three pages, a fault on first touch, zeros past EOF, SIGSEGV past the mapping',
    run(o) {
      const r = new Run({ frames: 64 }, o?.trace);
      const data = fileOf(9000, 7);
      r.vm.createFile('f9000', data);
      const p = r.spawn('p');
      const addr = mapFile(p, 'f9000', 9000, SimProt.READ, SimMapFlags.PRIVATE);
      const vma = p.maps()[0];
      r.values.pages = (vma.end - vma.start) / PAGE;
      r.say(`mmap of 9000 bytes covers ${r.values.pages} virtual pages: 0..4095, 4096..8191, 8192..8999 + zero fill`);
      const view = p.view(addr, 9000);
      const f0 = faults(p);
      const b1 = view.load8(5000);
      const f1 = faults(p);
      const m1 = p.counters().tlbMisses;
      const b2 = view.load8(5000);
      const f2 = faults(p);
      r.values.firstTouchFaults = f1 - f0;
      r.values.secondTouchFaults = f2 - f1;
      r.values.secondTouchTlbMiss = p.counters().tlbMisses - m1;
      r.values.byte5000 = b1;
      r.values.byte5000Expected = data[5000];
      r.say(`p[5000] = 0x${b1.toString(16)}: ${f1 - f0} fault (file page 1 into the page cache, PTE installed)`);
      r.say(`p[5000] again = 0x${b2.toString(16)}: ${f2 - f1} faults, ${r.values.secondTouchTlbMiss} TLB misses (a TLB hit)`);
      const tail: number[] = [];
      for (const off of [9000, 9500, 12287]) tail.push(view.load8(off));
      r.values.pastEof = tail;
      r.say(`p[9000], p[9500], p[12287] (past EOF inside page 2) = ${tail.join(', ')}`);
      try {
        view.load8(12288);
        r.values.pastMapping = 'no signal';
      } catch (err) {
        if (!(err instanceof SimSignal)) throw err;
        r.values.pastMapping = err.code;
        r.values.pastMappingReason = err.reason;
        r.say(`p[12288] (past the mapping's last page): ${err.code} (${err.reason}) at 0x${err.address.toString(16)}`);
      }
      return r.result(this.name, this.title);
    },
  },
  {
    name: 'ten-thousand',
    title: 'The 10 000-byte exercise: reading offset 9999',
    run(o) {
      const r = new Run({ frames: 64 }, o?.trace);
      const data = fileOf(10000, 3);
      r.vm.createFile('f10000', data);
      const p = r.spawn('p');
      const addr = mapFile(p, 'f10000', 10000, SimProt.READ, SimMapFlags.PRIVATE);
      const vma = p.maps()[0];
      r.values.pages = (vma.end - vma.start) / PAGE;
      const ranges: string[] = [];
      for (let i = 0; i < r.values.pages; i++) {
        const lo = i * PAGE;
        const hi = Math.min(lo + PAGE, 10000) - 1;
        ranges.push(hi === lo + PAGE - 1 ? `${lo}–${hi}` : `${lo}–${hi} plus zero fill to ${lo + PAGE - 1}`);
      }
      r.values.ranges = ranges.join(', ');
      r.say(`mmap(NULL, 10000, PROT_READ, MAP_PRIVATE, fd, 0): ${r.values.pages} pages: ${ranges.join('; ')}`);
      const view = p.view(addr, 10000);
      const f0 = faults(p);
      const b = view.load8(9999);
      r.values.faults = faults(p) - f0;
      r.values.byte9999 = b;
      r.values.lastFileByte = data[9999];
      r.values.residentPages = (() => {
        const vec = new Uint8Array(3);
        p.mincore(addr, 3 * PAGE, vec);
        return Array.from(vec);
      })();
      r.say(`p[9999] = 0x${b.toString(16)} (file's last byte 0x${data[9999].toString(16)}): ${r.values.faults} fault brought in page 2`);
      r.say(`mincore: ${(r.values.residentPages as number[]).join(' ')} (only page 2 is resident)`);
      return r.result(this.name, this.title);
    },
  },
  {
    name: 'private-shared',
    title: 'MAP_PRIVATE vs MAP_SHARED: A (private) writes p[1] = 0x78, B (shared) reads',
    run(o) {
      const r = new Run({ frames: 64 }, o?.trace);
      const content = new Uint8Array(PAGE);
      content.set([0x41, 0x42, 0x43, 0x0a]);
      r.vm.createFile('abc', content);
      const A = r.spawn('A');
      const B = r.spawn('B');
      const a = mapFile(A, 'abc', PAGE, SimProt.READ | SimProt.WRITE, SimMapFlags.PRIVATE);
      const b = mapFile(B, 'abc', PAGE, SimProt.READ | SimProt.WRITE, SimMapFlags.SHARED);
      const va = A.view(a, PAGE);
      const vb = B.view(b, PAGE);
      const read4 = (v: typeof va): number[] => [v.load8(0), v.load8(1), v.load8(2), v.load8(3)];
      r.say(`A and B read: ${hex(read4(va))} / ${hex(read4(vb))} (one page-cache page F, mapped read-only in both)`);
      va.store8(1, 0x78);
      r.values.cowCopies = A.counters().cowCopies;
      r.say(`A: p[1] = 0x78 → write fault, copy-on-write: ${r.values.cowCopies} copy`);
      r.values.a = read4(va);
      r.values.b = read4(vb);
      r.values.file = Array.from(r.vm.fileBytes('abc').subarray(0, 4));
      r.values.disk = Array.from(r.vm.diskBytes('abc').subarray(0, 4));
      r.say(`A reads ${hex(r.values.a)} (its own page A')`);
      r.say(`B reads ${hex(r.values.b)}`);
      r.say(`the file holds ${hex(r.values.file)} (page cache) and ${hex(r.values.disk)} (disk)`);
      return r.result(this.name, this.title);
    },
  },
  {
    name: 'anon-1mib',
    title: 'A 1 MiB anonymous mapping uses no frames until written',
    run(o) {
      const r = new Run({ frames: 1024 }, o?.trace);
      const p = r.spawn('p');
      const used0 = r.vm.counters().framesUsed;
      const addr = simCheck(p.mmap(0, 1 << 20, SimProt.READ | SimProt.WRITE, SimMapFlags.PRIVATE | SimMapFlags.ANONYMOUS, -1, 0), 'mmap');
      const used1 = r.vm.counters().framesUsed;
      r.values.framesAfterMmap = used1 - used0;
      r.say(`mmap(NULL, 1 MiB, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS) = 0x${addr.toString(16)}: ${used1 - used0} frames used`);
      const v = p.view(addr, 1 << 20);
      let sum = 0;
      for (let i = 0; i < 16; i++) sum += v.load8(i * PAGE);
      r.values.framesAfterReads = r.vm.counters().framesUsed - used0;
      r.values.readSum = sum;
      r.say(`16 reads of untouched pages return zeros (sum ${sum}) from the shared zero page: ${r.values.framesAfterReads} frames`);
      for (let i = 0; i < 8; i++) v.store8(i * PAGE + 5, i + 1);
      const c = p.counters();
      r.values.zeroFills = c.zeroFills;
      r.values.framesAfterWrites = r.vm.counters().framesUsed - used0;
      r.say(`8 first writes: ${c.zeroFills} zero-filled frames, ${r.values.framesAfterWrites} frames used`);
      for (let i = 0; i < 8; i++) v.store8(i * PAGE + 6, i + 1);
      r.values.zeroFillsAfterRewrite = p.counters().zeroFills;
      r.say(`8 more writes to the same pages: still ${r.values.zeroFillsAfterRewrite} zero-fills`);
      return r.result(this.name, this.title);
    },
  },
  {
    name: 'read-vs-mmap',
    title: 'The same 16 MiB scan through read() and through mmap, compared by their counts',
    run(o) {
      const r = new Run({ frames: 8192 }, o?.trace ?? 20);
      const size = 16 << 20;
      const data = fileOf(size, 11);
      r.vm.createFile('data', data);
      const chunk = 64 << 10;
      const R = r.spawn('read');
      const fd = simCheck(R.open('data', SimOpen.RDONLY), 'open');
      const buf = new Uint8Array(chunk);
      let sumRead = 0;
      for (;;) {
        const n = simCheck(R.read(fd, buf), 'read');
        if (n === 0) break;
        for (let i = 0; i < n; i++) sumRead += buf[i];
      }
      R.close(fd);
      r.vm.dropCaches();
      const M = r.spawn('mmap');
      const addr = mapFile(M, 'data', size, SimProt.READ, SimMapFlags.PRIVATE);
      const v = M.view(addr, size);
      let sumMap = 0;
      for (let i = 0; i < size; i++) sumMap += v.load8(i);
      const cr = R.counters();
      const cm = M.counters();
      r.values.sumRead = sumRead;
      r.values.sumMmap = sumMap;
      r.values.readSyscalls = cr.syscalls;
      r.values.readBytesCopied = cr.readBytes;
      r.values.readFaults = cr.minorFaults + cr.majorFaults;
      r.values.mmapSyscalls = cm.syscalls;
      r.values.mmapBytesCopied = cm.readBytes;
      r.values.mmapFaults = cm.minorFaults + cm.majorFaults;
      r.values.mmapTlbMisses = cm.tlbMisses;
      r.values.mmapWalkRefs = cm.walkRefs;
      r.say(`read() with a 64 KiB buffer: ${cr.syscalls} system calls, ${cr.readBytes} bytes copied into the buffer, ${r.values.readFaults} page faults`);
      r.say(
        `mmap: ${cm.syscalls} system calls, ${cm.readBytes} bytes copied, ${r.values.mmapFaults} page faults (${cm.majorFaults} major), ${cm.tlbMisses} TLB misses, ${cm.walkRefs} page-walk memory references`,
      );
      r.say(`both sums: ${sumRead} = ${sumMap}; both read ${size / PAGE} pages from the block device (cold cache each time)`);
      return r.result(this.name, this.title);
    },
  },
  {
    name: 'scan-1gib',
    title: 'A 1 GiB file scanned one byte per page: 262 144 faults',
    run(o) {
      const r = new Run({ frames: 16384 }, o?.trace ?? 40);
      r.vm.createFile('big', GiB);
      const p = r.spawn('p');
      const addr = mapFile(p, 'big', GiB, SimProt.READ, SimMapFlags.PRIVATE);
      const v = p.view(addr, GiB);
      const t0 = performance.now();
      let sum = 0;
      for (let off = 0; off < GiB; off += PAGE) sum += v.load8(off);
      const ms = performance.now() - t0;
      const c = p.counters();
      r.values.pages = GiB / PAGE;
      r.values.faults = c.minorFaults + c.majorFaults;
      r.values.majorFaults = c.majorFaults;
      r.values.tlbMisses = c.tlbMisses;
      r.values.evictions = r.vm.counters().evictions;
      r.values.sum = sum;
      r.values.ms = Math.round(ms);
      r.say(
        `2^30 / 2^12 = ${r.values.pages} pages; the scan took ${r.values.faults} faults (${c.majorFaults} major: a sparse file, read from the block device)`,
      );
      r.say(`${r.vm.frames} frames (64 MiB) hold 1/16 of the file: ${r.values.evictions} clean page-cache pages were evicted`);
      r.say(`simulated in ${r.values.ms} ms`);
      return r.result(this.name, this.title);
    },
  },
  {
    name: 'tlb-reach',
    title: 'A 64-entry TLB covers 64 × 4096 = 256 KiB',
    run(o) {
      const r = new Run({ frames: 256 }, o?.trace ?? 20);
      const p = r.spawn('p');
      const len = 65 * PAGE;
      const addr = simCheck(p.mmap(0, len, SimProt.READ, SimMapFlags.PRIVATE | SimMapFlags.ANONYMOUS | SimMapFlags.POPULATE, -1, 0), 'mmap');
      const v = p.view(addr, len);
      const sweep = (pages: number): number => {
        const m0 = p.counters().tlbMisses;
        for (let round = 0; round < 10; round++) for (let i = 0; i < pages; i++) v.load8(i * PAGE);
        return p.counters().tlbMisses - m0;
      };
      sweep(64);
      r.values.reachBytes = r.vm.tlbs[0].entries * PAGE;
      r.values.missesOver64Pages = sweep(64);
      r.say(`TLB reach = ${r.vm.tlbs[0].entries} × 4096 = ${r.values.reachBytes} bytes`);
      r.say(`10 sweeps over 64 pages (256 KiB), after a warm-up: ${r.values.missesOver64Pages} misses`);
      sweep(65);
      r.values.missesOver65Pages = sweep(65);
      r.say(`10 sweeps over 65 pages (260 KiB): ${r.values.missesOver65Pages} misses of 650 loads (LRU evicts each page just before its reuse)`);
      return r.result(this.name, this.title);
    },
  },
  {
    name: 'tlb-stride',
    title: 'One byte per page across 1 GiB misses every time; a sequential scan hits 4095 of 4096',
    run(o) {
      const r = new Run({ frames: 1024 }, o?.trace ?? 20);
      const p = r.spawn('p');
      const addr = simCheck(p.mmap(0, GiB, SimProt.READ, SimMapFlags.PRIVATE | SimMapFlags.ANONYMOUS, -1, 0), 'mmap');
      const v = p.view(addr, GiB);
      let c0 = p.counters();
      for (let off = 0; off < GiB; off += PAGE) v.load8(off);
      let c1 = p.counters();
      r.values.strideLoads = GiB / PAGE;
      r.values.strideMisses = c1.tlbMisses - c0.tlbMisses;
      r.say(`stride 4096 over 1 GiB: ${r.values.strideLoads} loads, ${r.values.strideMisses} TLB misses (every load)`);
      c0 = p.counters();
      const span = 16 * PAGE;
      const base = GiB / 2;
      for (let off = base; off < base + span; off++) v.load8(off);
      c1 = p.counters();
      r.values.seqLoads = span;
      r.values.seqMisses = c1.tlbMisses - c0.tlbMisses;
      r.values.seqHits = c1.tlbHits - c0.tlbHits;
      r.values.seqHitsPerPage = r.values.seqHits / 16;
      r.say(
        `sequential bytes over 16 pages: ${span} loads, ${r.values.seqMisses} misses, ${r.values.seqHits} hits = ${r.values.seqHitsPerPage} of 4096 per page`,
      );
      return r.result(this.name, this.title);
    },
  },
  {
    name: 'huge-pages',
    title: 'With 2 MiB pages the stride-4096 scan of 1 GiB misses 512× less',
    run(o) {
      const r = new Run({ frames: 2048 }, o?.trace ?? 20);
      const p = r.spawn('p');
      const run = (flags: number): number => {
        const addr = simCheck(p.mmap(0, GiB, SimProt.READ, SimMapFlags.PRIVATE | SimMapFlags.ANONYMOUS | flags, -1, 0), 'mmap');
        const v = p.view(addr, GiB);
        const m0 = p.counters().tlbMisses;
        for (let off = 0; off < GiB; off += PAGE) v.load8(off);
        const misses = p.counters().tlbMisses - m0;
        simCheck(p.munmap(addr, GiB), 'munmap');
        return misses;
      };
      r.values.misses4k = run(0);
      r.values.misses2m = run(SimMapFlags.HUGETLB);
      r.values.ratio = r.values.misses4k / r.values.misses2m;
      r.say(`4 KiB pages: ${r.values.misses4k} TLB misses; 2 MiB pages (MAP_HUGETLB): ${r.values.misses2m}`);
      r.say(`ratio ${r.values.ratio} = ${SIM_HUGE_PAGE_SIZE} / ${PAGE}`);
      return r.result(this.name, this.title);
    },
  },
];

/** The seed's scenarios, in the order of the seed text. */
export const simVmScenarios: readonly SimVmScenario[] = scenarios;

/** Run one scenario by name. Throws ERR_INVALID_ARG_VALUE for an unknown name. */
export function runSimVmScenario(name: string, options?: SimVmScenarioOptions): SimVmScenarioResult {
  toStr(name, 'name');
  const o = toOptions<SimVmScenarioOptions>(options, 'options', ['trace']);
  if (o.trace !== undefined) toInt(o.trace, 'trace', 0, SIM_VM_MAX_TRACE);
  const s = scenarios.find((x) => x.name === name);
  if (!s) {
    throw codedError('ERR_INVALID_ARG_VALUE', `Unknown simulator scenario '${name}'. Scenarios: ${scenarios.map((x) => x.name).join(', ')}`);
  }
  return s.run(options);
}
