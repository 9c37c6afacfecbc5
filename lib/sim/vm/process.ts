/**
 * A simulated process: an address space (VMAs and a 4-level page table), a file-descriptor table,
 * counters, and the system calls, each checking its arguments in the order Linux does and returning
 * a negative errno on failure, as the raw system call does.
 */
import { systemError, codedError } from '../../errors';
import {
  SIM_HUGE_PAGE_SIZE, SIM_PAGE_SIZE, SimErrno, SimMadvise, SimMapFlags, SimMsync, SimOpen, SimProt, SimSeek,
} from './constants';
import type { SimFile, SimVm, SimVma, SimCounters } from './kernel';
import {
  C_COUNT, C_READ, C_SYSCALLS, C_WRITE, F_ANON, PTE_P, PTE_R, PTE_W, SIM_COUNTER_NAMES, SIM_MMAP_BASE,
  SIM_MMAP_MIN_ADDR, SIM_TASK_SIZE,
} from './kernel';
import { SimMapping } from './view';
import { simBig, simBytes, simNum } from '../../validate';
import { invalidType, toInt, toStr } from '../../validate';

const PAGE = SIM_PAGE_SIZE;
const HUGE = SIM_HUGE_PAGE_SIZE;
const { EBADF, EINVAL, ENOMEM, EACCES, EPERM, EEXIST, ENOENT, EOVERFLOW } = SimErrno;
const EFAULT = 14;

interface OpenFile {
  file: SimFile;
  readable: boolean;
  writable: boolean;
  append: boolean;
  pos: number;
}

function int(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw invalidType(name, 'an integer', v);
  }
  return v;
}

/** A buffer the call reads ('read') or fills ('write'). */
function bytesArg(name: string, v: unknown, access: 'read' | 'write'): Uint8Array {
  return simBytes(v, name, access);
}

const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/** One line of {@link SimProcess.maps}, like a line of /proc/PID/maps. */
export interface SimMapInfo {
  start: number;
  end: number;
  prot: number;
  shared: boolean;
  huge: boolean;
  path: string | null;
  offset: number;
}

/** A process of a {@link SimVm}. Create one with `vm.spawn()` or `process.fork()`. */
export class SimProcess {
  readonly vm: SimVm;
  readonly pid: number;
  /** Address-space id tagging this process's TLB entries. */
  readonly asid: number;
  /** @internal root (PML4) table index */ readonly root: number;
  /** The CPU the process runs on (its TLB). */
  cpu: number;
  /** @internal counters, indexed by the C_* constants */ readonly ctr = new Float64Array(C_COUNT);
  /** @internal sorted by start */ readonly vmas: SimVma[] = [];
  /** @internal */ hugeVmas = 0;
  private fds: (OpenFile | undefined)[] = [];
  private exited = false;

  /** False once the process has exited. */
  get alive(): boolean {
    return !this.exited;
  }

  /** @internal */
  constructor(vm: SimVm, pid: number, root: number, cpu: number) {
    this.vm = vm;
    this.pid = pid;
    this.asid = pid;
    this.root = root;
    this.cpu = cpu;
  }

  // ---------------------------------------------------------------- inspection

  /** This process's counters. */
  counters(): SimCounters {
    const out = {} as SimCounters;
    SIM_COUNTER_NAMES.forEach((name, i) => { out[name] = this.ctr[i]; });
    return out;
  }

  /** The VMAs, lowest first (what /proc/PID/maps shows). */
  maps(): SimMapInfo[] {
    return this.vmas.map((v) => ({
      start: v.start, end: v.end, prot: v.prot, shared: v.shared, huge: v.huge,
      path: v.file && !v.file.shmem ? v.file.path : null, offset: v.pgoff * PAGE,
    }));
  }

  /** Move the process to another CPU (its entries leave the old CPU's TLB). */
  migrate(cpu: number): void {
    this.vm.checkCpu(cpu);
    this.vm.tlbs[this.cpu].flushAsid(this.asid);
    this.cpu = cpu;
  }

  /** @internal The VMA containing `v`, or undefined. */
  findVma(v: number): SimVma | undefined {
    if (typeof v !== 'number') simNum(v, 'v');
    const a = this.vmas;
    let lo = 0;
    let hi = a.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = a[mid];
      if (v < m.start) hi = mid - 1;
      else if (v >= m.end) lo = mid + 1;
      else return m;
    }
    return undefined;
  }

  /** Index of the first VMA whose end is above `v` (find_vma). */
  private firstEndingAbove(v: number): number {
    const a = this.vmas;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid].end > v) hi = mid; else lo = mid + 1;
    }
    return lo;
  }

  // ---------------------------------------------------------------- memory access

  /** A MemoryView over `length` bytes at virtual address `address` of this process. */
  view(address: number, length: number): SimMapping {
    int('address', address);
    int('length', length);
    if (address < 0 || length < 0) throw codedError('ERR_OUT_OF_RANGE', 'The "address" and "length" arguments must be >= 0.');
    return new SimMapping(this, address, length);
  }

  load8(addr: number): number {
    return this.vm.mem[this.vm.translate(this, int('addr', addr), false)];
  }
  load16(addr: number): number { return Number(this.loadN(addr, 2)); }
  load32(addr: number): number { return Number(this.loadN(addr, 4)); }
  load64(addr: number): bigint { return this.loadN(addr, 8); }
  store8(addr: number, value: number): void {
    simNum(value, 'value');
    this.vm.mem[this.vm.translate(this, int('addr', addr), true)] = value;
  }
  store16(addr: number, value: number): void { simNum(value, 'value'); this.storeN(addr, 2, BigInt(value & 0xffff)); }
  store32(addr: number, value: number): void { simNum(value, 'value'); this.storeN(addr, 4, BigInt(value >>> 0)); }
  store64(addr: number, value: bigint): void { simBig(value, 'value'); this.storeN(addr, 8, BigInt.asUintN(64, value)); }

  private loadN(addr: number, size: number): bigint {
    const vm = this.vm;
    const a = vm.translate(this, int('addr', addr), false);
    if (addr - vm.tPage + size > vm.tSpan) return this.straddleLoad(addr, size);
    let r = 0n;
    for (let i = size - 1; i >= 0; i--) r = (r << 8n) | BigInt(vm.mem[a + i]);
    return r;
  }

  private storeN(addr: number, size: number, value: bigint): void {
    const vm = this.vm;
    const a = vm.translate(this, int('addr', addr), true);
    if (addr - vm.tPage + size > vm.tSpan) { this.straddleStore(addr, size, value); return; }
    for (let i = 0; i < size; i++) vm.mem[a + i] = Number((value >> BigInt(8 * i)) & 0xffn);
  }

  /** @internal A load that crosses a page boundary: one translation per byte. */
  straddleLoad(addr: number, size: number): bigint {
    int('addr', addr); toInt(size, 'size', 1, 8);
    let r = 0n;
    for (let i = size - 1; i >= 0; i--) r = (r << 8n) | BigInt(this.vm.mem[this.vm.translate(this, addr + i, false)]);
    return r;
  }

  /** @internal A store that crosses a page boundary: both pages are made writable before any byte is written. */
  straddleStore(addr: number, size: number, value: bigint): void {
    int('addr', addr); toInt(size, 'size', 1, 8); simBig(value, 'value');
    this.vm.translate(this, addr, true);
    this.vm.translate(this, addr + size - 1, true);
    for (let i = 0; i < size; i++) {
      this.vm.mem[this.vm.translate(this, addr + i, true)] = Number((value >> BigInt(8 * i)) & 0xffn);
    }
  }

  // ---------------------------------------------------------------- VMA bookkeeping

  private insertVma(vma: SimVma): void {
    const i = this.firstEndingAbove(vma.start);
    this.vmas.splice(i, 0, vma);
    if (vma.file) vma.file.vmas.add(vma);
    if (vma.huge) this.hugeVmas++;
  }

  private removeVmaAt(i: number): void {
    const [vma] = this.vmas.splice(i, 1);
    if (vma.huge) this.hugeVmas--;
    if (vma.file) {
      vma.file.vmas.delete(vma);
      if (vma.file.shmem && vma.file.vmas.size === 0) this.vm.truncate(vma.file, 0);
    }
  }

  /** Split the VMA containing `addr` so that a VMA starts at `addr`. False if a huge VMA would split unaligned. */
  private splitAt(addr: number): boolean {
    const vma = this.findVma(addr);
    if (!vma || vma.start === addr) return true;
    if (vma.huge && addr % HUGE !== 0) return false;
    const tail: SimVma = { ...vma, start: addr, pgoff: vma.pgoff + (addr - vma.start) / PAGE };
    vma.end = addr;
    this.insertVma(tail);
    return true;
  }

  private canSplit(addr: number): boolean {
    const vma = this.findVma(addr);
    return !vma || vma.start === addr || !vma.huge || addr % HUGE === 0;
  }

  /** Clear the PTEs of [start, end), releasing private frames. */
  private zap(start: number, end: number): void {
    const vm = this.vm;
    vm.forEachLeaf(this.root, start, end, (slot, _va, huge) => {
      vm.dropMapping(vm.pt[slot], huge);
      vm.pt[slot] = 0;
    });
  }

  /** Remove every mapping in [start, end) (page aligned). */
  private unmapRange(start: number, end: number): void {
    this.splitAt(start);
    this.splitAt(end);
    let hugeToo = false;
    let any = false;
    for (let i = this.firstEndingAbove(start); i < this.vmas.length && this.vmas[i].start < end;) {
      const vma = this.vmas[i];
      hugeToo ||= vma.huge;
      any = true;
      this.zap(vma.start, vma.end);
      this.removeVmaAt(i);
    }
    if (any) this.vm.flushRange(this.asid, start, end, hugeToo);
  }

  private rangeFree(start: number, end: number): boolean {
    const i = this.firstEndingAbove(start);
    return i >= this.vmas.length || this.vmas[i].start >= end;
  }

  /** Top-down search for a free range of `len` bytes aligned to `align`. */
  private findGap(len: number, align: number): number {
    let hi = SIM_MMAP_BASE;
    for (let i = this.vmas.length - 1; i >= -1; i--) {
      const v = i >= 0 ? this.vmas[i] : undefined;
      if (v && v.start >= hi) continue;
      const lo = v ? v.end : SIM_MMAP_MIN_ADDR;
      const cand = Math.floor((hi - len) / align) * align;
      if (cand >= lo && cand >= SIM_MMAP_MIN_ADDR) return cand;
      if (v) hi = Math.min(hi, v.start);
    }
    return -1;
  }

  // ---------------------------------------------------------------- system calls: memory

  /**
   * mmap(2). Returns the address, or a negative errno. `fd` is ignored with MAP_ANONYMOUS. With
   * MAP_HUGETLB (anonymous, private) the mapping uses 2 MiB pages.
   */
  mmap(addr: number, length: number, prot: number, flags: number, fd = -1, offset = 0): number {
    this.ctr[C_SYSCALLS]++;
    int('addr', addr); int('length', length); int('prot', prot); int('flags', flags); int('fd', fd); int('offset', offset);
    if (offset % PAGE !== 0) return -EINVAL;
    const anon = (flags & SimMapFlags.ANONYMOUS) !== 0;
    const huge = (flags & SimMapFlags.HUGETLB) !== 0;
    let of: OpenFile | undefined;
    if (!anon) {
      of = this.fds[fd];
      if (!of) return -EBADF;
      if (huge) return -EINVAL; // only hugetlbfs files take MAP_HUGETLB
    }
    if (length === 0) return -EINVAL;
    const unit = huge ? HUGE : PAGE;
    if (length < 0 || length > SIM_TASK_SIZE) return -ENOMEM;
    const len = roundUp(length, unit);
    if (offset < 0 || offset / PAGE + len / PAGE > 2 ** 52) return -EOVERFLOW;
    prot &= 7; // as Linux, mmap ignores bits it does not know
    const type = flags & 3;
    if (type === 0) return -EINVAL;
    const shared = type !== SimMapFlags.PRIVATE;
    if (of) {
      if (!of.readable) return -EACCES;
      if (shared && (prot & SimProt.WRITE) && !of.writable) return -EACCES;
    }
    if (huge && shared) return -EINVAL; // the simulator has no hugetlbfs: huge pages are private anonymous only
    let start = -1;
    const fixed = (flags & SimMapFlags.FIXED) !== 0;
    const noReplace = (flags & SimMapFlags.FIXED_NOREPLACE) !== 0;
    if (fixed || noReplace) {
      if (addr % unit !== 0) return -EINVAL;
      if (addr < SIM_MMAP_MIN_ADDR) return -EPERM;
      if (addr + len > SIM_TASK_SIZE) return -ENOMEM;
      if (!fixed && !this.rangeFree(addr, addr + len)) return -EEXIST;
      if (!this.canSplit(addr) || !this.canSplit(addr + len)) return -EINVAL;
      start = addr;
      this.unmapRange(start, start + len);
    } else {
      if (addr > 0) {
        const h = roundUp(addr, unit);
        if (h >= SIM_MMAP_MIN_ADDR && h + len <= SIM_TASK_SIZE && this.rangeFree(h, h + len)) start = h;
      }
      if (start < 0) start = this.findGap(len, unit);
      if (start < 0) return -ENOMEM;
    }
    let file: SimFile | null = null;
    let pgoff = 0;
    if (of) {
      file = of.file;
      pgoff = offset / PAGE;
    } else if (shared) {
      file = this.vm.newFile('', true);
      file.size = len;
    }
    const vma: SimVma = {
      start, end: start + len, prot, shared, huge, file, pgoff, mayWrite: of ? of.writable : true, proc: this,
    };
    this.insertVma(vma);
    if (flags & SimMapFlags.POPULATE) {
      try {
        this.vm.populate(this, vma, start, start + len);
      } catch (err) {
        if ((err as { code?: string }).code !== 'SIGBUS') throw err;
      }
    }
    return start;
  }

  /** munmap(2): removes mappings in the range, splitting VMAs it cuts. 0 or a negative errno. */
  munmap(addr: number, length: number): number {
    this.ctr[C_SYSCALLS]++;
    int('addr', addr); int('length', length);
    if (addr % PAGE !== 0 || addr < 0 || addr > SIM_TASK_SIZE || length < 0 || length > SIM_TASK_SIZE - addr) return -EINVAL;
    const len = roundUp(length, PAGE);
    if (len === 0) return -EINVAL;
    if (!this.canSplit(addr) || !this.canSplit(addr + len)) return -EINVAL;
    this.unmapRange(addr, addr + len);
    return 0;
  }

  /** Walk [start, end): the VMAs overlapping it, and whether some part of it is unmapped. */
  private covering(start: number, end: number): { vmas: SimVma[]; hole: boolean } {
    const out: SimVma[] = [];
    let v = start;
    let hole = false;
    for (let i = this.firstEndingAbove(start); i < this.vmas.length && this.vmas[i].start < end; i++) {
      const m = this.vmas[i];
      if (m.start > v) hole = true;
      out.push(m);
      v = m.end;
    }
    if (v < end) hole = true;
    return { vmas: out, hole };
  }

  /** mprotect(2). 0 or a negative errno. */
  mprotect(addr: number, length: number, prot: number): number {
    this.ctr[C_SYSCALLS]++;
    int('addr', addr); int('length', length); int('prot', prot);
    if (addr % PAGE !== 0) return -EINVAL;
    if (prot & ~0xf) return -EINVAL; // x86 accepts PROT_SEM (0x8), which changes nothing here
    prot &= 7;
    if (length === 0) return 0;
    if (length < 0) return -ENOMEM;
    const end = addr + roundUp(length, PAGE);
    const { vmas, hole } = this.covering(addr, end);
    if (hole) return -ENOMEM;
    for (const m of vmas) if (m.shared && (prot & SimProt.WRITE) && !m.mayWrite) return -EACCES;
    if (!this.canSplit(addr) || !this.canSplit(end)) return -EINVAL;
    this.splitAt(addr);
    this.splitAt(end);
    let hugeToo = false;
    for (let i = this.firstEndingAbove(addr); i < this.vmas.length && this.vmas[i].start < end; i++) {
      this.vmas[i].prot = prot;
      hugeToo ||= this.vmas[i].huge;
    }
    const vm = this.vm;
    const clear = (prot & 7) === 0 ? PTE_R | PTE_W : (prot & SimProt.WRITE) === 0 ? PTE_W : 0;
    if (clear) vm.forEachLeaf(this.root, addr, end, (slot) => { vm.pt[slot] &= ~clear; });
    vm.flushRange(this.asid, addr, end, hugeToo);
    return 0;
  }

  /** msync(2): MS_SYNC writes the range's dirty file pages to the block device; MS_ASYNC and MS_INVALIDATE, as on Linux, have nothing to do. */
  msync(addr: number, length: number, flags: number): number {
    this.ctr[C_SYSCALLS]++;
    int('addr', addr); int('length', length); int('flags', flags);
    if (addr % PAGE !== 0) return -EINVAL;
    if (flags & ~(SimMsync.ASYNC | SimMsync.INVALIDATE | SimMsync.SYNC)) return -EINVAL;
    if ((flags & SimMsync.ASYNC) && (flags & SimMsync.SYNC)) return -EINVAL;
    if (length < 0) return -ENOMEM;
    const end = addr + roundUp(length, PAGE);
    if (end === addr) return 0;
    const { vmas, hole } = this.covering(addr, end);
    if (vmas.length === 0) return -ENOMEM;
    if (flags & SimMsync.SYNC) {
      for (const m of vmas) {
        if (!m.shared || !m.file) continue;
        const s = Math.max(addr, m.start);
        const e = Math.min(end, m.end);
        this.vm.writebackRange(m.file, m.pgoff + (s - m.start) / PAGE, m.pgoff + (e - m.start) / PAGE);
      }
    }
    return hole ? -ENOMEM : 0;
  }

  /** madvise(2): MADV_DONTNEED drops the range's pages, MADV_WILLNEED reads file pages into the page cache. */
  madvise(addr: number, length: number, advice: number): number {
    this.ctr[C_SYSCALLS]++;
    int('addr', addr); int('length', length); int('advice', advice);
    if (addr % PAGE !== 0) return -EINVAL;
    if (advice < SimMadvise.NORMAL || advice > SimMadvise.DONTNEED) return -EINVAL;
    if (length < 0) return -EINVAL;
    const end = addr + roundUp(length, PAGE);
    if (end === addr) return 0;
    const { vmas, hole } = this.covering(addr, end);
    for (const m of vmas) {
      let s = Math.max(addr, m.start);
      let e = Math.min(end, m.end);
      if (advice === SimMadvise.DONTNEED) {
        if (m.huge) { s = roundUp(s, HUGE); e = roundUp(e, HUGE); }
        if (e > s) {
          this.zap(s, e);
          this.vm.flushRange(this.asid, s, e, m.huge);
        }
      } else if (advice === SimMadvise.WILLNEED && m.file) {
        const first = m.pgoff + (s - m.start) / PAGE;
        // Readahead past the size of memory would only evict what it just read: at most `frames` pages.
        const last = Math.min(m.pgoff + (e - m.start) / PAGE, Math.ceil(m.file.size / PAGE), first + this.vm.frames);
        for (let idx = first; idx < last; idx++) this.vm.cachePage(m.file, idx);
      }
    }
    return hole ? -ENOMEM : 0;
  }

  /** mincore(2): for each page of the range, vec[i] = 1 if resident. 0 or a negative errno. */
  mincore(addr: number, length: number, vec: Uint8Array): number {
    this.ctr[C_SYSCALLS]++;
    int('addr', addr); int('length', length); bytesArg('vec', vec, 'write');
    if (addr % PAGE !== 0) return -EINVAL;
    // Outside the user address range (negative or past 2^53), as past the end of every mapping.
    if (length < 0 || addr < 0 || !Number.isSafeInteger(addr + length + PAGE)) return -ENOMEM;
    const pages = roundUp(length, PAGE) / PAGE;
    const { hole } = this.covering(addr, addr + pages * PAGE);
    if (hole) return -ENOMEM;
    if (vec.length < pages) return -EFAULT;
    const vm = this.vm;
    for (let i = 0; i < pages; i++) {
      const v = addr + i * PAGE;
      const m = this.findVma(v);
      if (m === undefined) return -ENOMEM;
      const slot = vm.slotFor(this.root, m.huge ? Math.floor(v / HUGE) * HUGE : v, m.huge ? 2 : 1, false);
      if (slot >= 0 && (vm.pt[slot] & PTE_P)) vec[i] = 1;
      else if (m.file) vec[i] = m.file.cache.has(m.pgoff + (v - m.start) / PAGE) ? 1 : 0;
      else vec[i] = 0;
    }
    return 0;
  }

  /** fork(2): a child with a copy-on-write copy of the address space and the same open files. */
  fork(): SimProcess {
    this.ctr[C_SYSCALLS]++;
    this.assertAlive();
    const vm = this.vm;
    const child = new SimProcess(vm, vm.newPid(), vm.allocTable(), this.cpu);
    child.fds = this.fds.slice();
    for (const vma of this.vmas) {
      const cv: SimVma = { ...vma, proc: child };
      child.vmas.push(cv);
      if (cv.file) cv.file.vmas.add(cv);
      if (cv.huge) child.hugeVmas++;
      if (vma.shared) continue; // shared mappings refault in the child, as Linux does
      vm.forEachLeaf(this.root, vma.start, vma.end, (slot, va, huge) => {
        let e = vm.pt[slot];
        const f = e >>> 4;
        if (vm.fKind[f] === F_ANON) vm.fRef[f]++;
        e = (e & ~PTE_W) >>> 0;
        vm.pt[slot] = e;
        const cs = vm.slotFor(child.root, va, huge ? 2 : 1, true);
        vm.pt[cs] = e;
      });
    }
    for (const tlb of vm.tlbs) tlb.flushAsid(this.asid);
    vm.registerChild(child);
    return child;
  }

  /** exit(2): unmap everything, close every file, and retire the process (its counters stay in the global sums). */
  exit(): void {
    if (this.exited) return;
    this.unmapRange(0, SIM_TASK_SIZE);
    for (const tlb of this.vm.tlbs) tlb.flushAsid(this.asid);
    this.fds = [];
    this.exited = true;
    this.vm.retire(this);
  }

  private assertAlive(): void {
    if (this.exited) throw codedError('ERR_MMAPKIT_CLOSED', `Simulated process ${this.pid} has exited.`);
  }

  // ---------------------------------------------------------------- system calls: files

  /** open(2) of a simulated file. Returns the fd or a negative errno. */
  open(path: string, flags: number = SimOpen.RDONLY): number {
    this.ctr[C_SYSCALLS]++;
    toStr(path, 'path');
    int('flags', flags);
    const acc = flags & 3;
    if (acc === 3) return -EINVAL;
    let file = this.vm.file(path);
    if (!file) {
      if (!(flags & SimOpen.CREAT)) return -ENOENT;
      file = this.vm.createFile(path);
    } else if ((flags & SimOpen.CREAT) && (flags & SimOpen.EXCL)) {
      return -EEXIST;
    }
    if ((flags & SimOpen.TRUNC) && acc !== SimOpen.RDONLY) this.vm.truncate(file, 0);
    let fd = 3;
    while (this.fds[fd]) fd++;
    this.fds[fd] = {
      file, readable: acc !== SimOpen.WRONLY, writable: acc !== SimOpen.RDONLY,
      append: (flags & SimOpen.APPEND) !== 0, pos: 0,
    };
    return fd;
  }

  /** close(2). */
  close(fd: number): number {
    this.ctr[C_SYSCALLS]++;
    int('fd', fd);
    if (!this.fds[fd]) return -EBADF;
    this.fds[fd] = undefined;
    return 0;
  }

  /** lseek(2). */
  lseek(fd: number, offset: number, whence: number): number {
    this.ctr[C_SYSCALLS]++;
    int('fd', fd);
    int('offset', offset);
    const of = this.fds[fd];
    if (!of) return -EBADF;
    const base = whence === SimSeek.SET ? 0 : whence === SimSeek.CUR ? of.pos : whence === SimSeek.END ? of.file.size : NaN;
    if (Number.isNaN(base)) return -EINVAL;
    const pos = base + offset;
    if (pos < 0) return -EINVAL;
    of.pos = pos;
    return pos;
  }

  /** The size of an open file (fstat(2)'s st_size), or a negative errno. */
  fstatSize(fd: number): number {
    this.ctr[C_SYSCALLS]++;
    int('fd', fd);
    const of = this.fds[fd];
    return of ? of.file.size : -EBADF;
  }

  /** read(2) through the page cache into `buf`. Returns bytes read (0 at EOF) or a negative errno. */
  read(fd: number, buf: Uint8Array, count = buf?.length): number {
    this.ctr[C_SYSCALLS]++;
    int('fd', fd);
    bytesArg('buf', buf, 'write'); int('count', count);
    const of = this.fds[fd];
    if (!of || !of.readable) return -EBADF;
    if (count < 0 || count > buf.length) return -EFAULT;
    const n = this.vm.readFile(of.file, of.pos, buf, count);
    of.pos += n;
    this.ctr[C_READ] += n;
    return n;
  }

  /** pread(2). */
  pread(fd: number, buf: Uint8Array, count: number, offset: number): number {
    this.ctr[C_SYSCALLS]++;
    int('fd', fd);
    bytesArg('buf', buf, 'write'); int('count', count); int('offset', offset);
    const of = this.fds[fd];
    if (!of || !of.readable) return -EBADF;
    if (offset < 0) return -EINVAL;
    if (count < 0 || count > buf.length) return -EFAULT;
    const n = this.vm.readFile(of.file, offset, buf, count);
    this.ctr[C_READ] += n;
    return n;
  }

  /** write(2) through the page cache. Returns bytes written or a negative errno. */
  write(fd: number, data: Uint8Array, count = data?.length): number {
    this.ctr[C_SYSCALLS]++;
    int('fd', fd);
    bytesArg('data', data, 'read'); int('count', count);
    const of = this.fds[fd];
    if (!of || !of.writable) return -EBADF;
    if (count < 0 || count > data.length) return -EFAULT;
    if (of.append) of.pos = of.file.size;
    const n = this.vm.writeFile(of.file, of.pos, data, count);
    of.pos += n;
    this.ctr[C_WRITE] += n;
    return n;
  }

  /** pwrite(2). */
  pwrite(fd: number, data: Uint8Array, count: number, offset: number): number {
    this.ctr[C_SYSCALLS]++;
    int('fd', fd);
    bytesArg('data', data, 'read'); int('count', count); int('offset', offset);
    const of = this.fds[fd];
    if (!of || !of.writable) return -EBADF;
    if (offset < 0) return -EINVAL;
    if (count < 0 || count > data.length) return -EFAULT;
    const n = this.vm.writeFile(of.file, offset, data, count);
    this.ctr[C_WRITE] += n;
    return n;
  }

  /** ftruncate(2): pages wholly past the new end leave every mapping (later accesses: SIGBUS). */
  ftruncate(fd: number, length: number): number {
    this.ctr[C_SYSCALLS]++;
    int('fd', fd);
    int('length', length);
    const of = this.fds[fd];
    if (!of) return -EBADF;
    if (length < 0) return -EINVAL;
    if (!of.writable) return -EINVAL;
    this.vm.truncate(of.file, length);
    return 0;
  }
}

/**
 * Turn a simulated system call's result into a value or an exception: a negative result throws a
 * system error like Node's (`code` 'EINVAL', `errno`, `syscall`).
 */
export function simCheck(result: number, syscall: string, path?: string): number {
  simNum(result, 'result');
  toStr(syscall, 'syscall');
  if (path !== undefined) toStr(path, 'path');
  if (result < 0) throw systemError(-result, syscall, path);
  return result;
}
