/**
 * A simulated process: an address space (VMAs and a 4-level page table; mm.ts), a
 * file-descriptor table (fdtable.ts), counters, memory access, and the system calls, each checking
 * its arguments in the order Linux does and returning a negative errno on failure, as the raw
 * system call does.
 */
import { systemError, codedError } from '../../errors';
import { C_COUNT, C_SYSCALLS, F_ANON, PTE_W, SIM_COUNTER_NAMES, SIM_PAGE_SIZE, SIM_TASK_SIZE, SimOpen, type SimCounters } from './constants';
import { FdTable } from './fdtable';
import { registerSimProcess, type SimVma } from './files';
import type { VmKernel } from './kernel';
import { AddressSpace } from './mm';
import type { SimVm } from './vm';
import { SimMapping } from './view';
import { simBig, simNum, invalidType } from '../../validate';
import { int } from './sysargs';
import { toInt, toStr } from '../../validate';

const PAGE = SIM_PAGE_SIZE;

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
  /** @internal the kernel's machinery */ readonly k: VmKernel;
  readonly pid: number;
  /** Address-space id tagging this process's TLB entries. */
  readonly asid: number;
  /** @internal root (PML4) table index */ readonly root: number;
  /** The CPU the process runs on (its TLB). */
  cpu: number;
  /** @internal counters, indexed by the C_* constants */ readonly ctr = new Float64Array(C_COUNT);
  /** @internal the address space and the memory system calls */ readonly mm: AddressSpace;
  /** @internal the descriptor table and the file system calls */ readonly fdt: FdTable;
  private exited = false;

  /** False once the process has exited. */
  get alive(): boolean {
    return !this.exited;
  }

  /** @internal */
  constructor(k: VmKernel, vm: SimVm, pid: number, root: number, cpu: number) {
    if (
      k === null ||
      typeof k !== 'object' ||
      typeof (k as { cache?: unknown }).cache !== 'object' ||
      !Number.isInteger(pid) ||
      !Number.isInteger(root) ||
      !Number.isInteger(cpu)
    ) {
      throw invalidType('kernel', "a simulated machine's kernel (processes are made by vm.spawn() and process.fork())", k);
    }
    this.k = k;
    this.vm = vm;
    registerSimProcess(this);
    this.pid = pid;
    this.asid = pid;
    this.root = root;
    this.cpu = cpu;
    this.fdt = new FdTable(k.cache, this.ctr);
    this.mm = new AddressSpace(k, this, this.fdt);
  }

  // ---------------------------------------------------------------- inspection

  /** This process's counters. */
  counters(): SimCounters {
    const out = {} as SimCounters;
    SIM_COUNTER_NAMES.forEach((name, i) => {
      out[name] = this.ctr[i];
    });
    return out;
  }

  /** The VMAs, lowest first (what /proc/PID/maps shows). */
  maps(): SimMapInfo[] {
    return this.mm.vmas.map((v) => ({
      start: v.start,
      end: v.end,
      prot: v.prot,
      shared: v.shared,
      huge: v.huge,
      path: v.file && !v.file.shmem ? v.file.path : null,
      offset: v.pgoff * PAGE,
    }));
  }

  /** Move the process to another CPU (its entries leave the old CPU's TLB). */
  migrate(cpu: number): void {
    this.k.checkCpu(cpu);
    this.k.tlbs[this.cpu].flushAsid(this.asid);
    this.cpu = cpu;
  }

  /** @internal The VMA containing `v`, or undefined. */
  findVma(v: number): SimVma | undefined {
    return this.mm.findVma(v);
  }

  /** @internal Number of huge-page VMAs. */
  get hugeVmas(): number {
    return this.mm.hugeVmas;
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
    return this.k.frames.mem[this.k.mmu.translate(this, int('addr', addr), false)];
  }
  load16(addr: number): number {
    return Number(this.loadN(addr, 2));
  }
  load32(addr: number): number {
    return Number(this.loadN(addr, 4));
  }
  load64(addr: number): bigint {
    return this.loadN(addr, 8);
  }
  store8(addr: number, value: number): void {
    simNum(value, 'value');
    this.k.frames.mem[this.k.mmu.translate(this, int('addr', addr), true)] = value;
  }
  store16(addr: number, value: number): void {
    simNum(value, 'value');
    this.storeN(addr, 2, BigInt(value & 0xffff));
  }
  store32(addr: number, value: number): void {
    simNum(value, 'value');
    this.storeN(addr, 4, BigInt(value >>> 0));
  }
  store64(addr: number, value: bigint): void {
    simBig(value, 'value');
    this.storeN(addr, 8, BigInt.asUintN(64, value));
  }

  private loadN(addr: number, size: number): bigint {
    const k = this.k;
    const a = k.mmu.translate(this, int('addr', addr), false);
    if (addr - k.mmu.tPage + size > k.mmu.tSpan) return this.straddleLoad(addr, size);
    let r = 0n;
    for (let i = size - 1; i >= 0; i--) r = (r << 8n) | BigInt(k.frames.mem[a + i]);
    return r;
  }

  private storeN(addr: number, size: number, value: bigint): void {
    const k = this.k;
    const a = k.mmu.translate(this, int('addr', addr), true);
    if (addr - k.mmu.tPage + size > k.mmu.tSpan) {
      this.straddleStore(addr, size, value);
      return;
    }
    for (let i = 0; i < size; i++) k.frames.mem[a + i] = Number((value >> BigInt(8 * i)) & 0xffn);
  }

  /** @internal A load that crosses a page boundary: one translation per byte. */
  straddleLoad(addr: number, size: number): bigint {
    int('addr', addr);
    toInt(size, 'size', 1, 8);
    let r = 0n;
    for (let i = size - 1; i >= 0; i--) r = (r << 8n) | BigInt(this.k.frames.mem[this.k.mmu.translate(this, addr + i, false)]);
    return r;
  }

  /** @internal A store that crosses a page boundary: both pages are made writable before any byte is written. */
  straddleStore(addr: number, size: number, value: bigint): void {
    int('addr', addr);
    toInt(size, 'size', 1, 8);
    simBig(value, 'value');
    this.k.mmu.translate(this, addr, true);
    this.k.mmu.translate(this, addr + size - 1, true);
    for (let i = 0; i < size; i++) {
      this.k.frames.mem[this.k.mmu.translate(this, addr + i, true)] = Number((value >> BigInt(8 * i)) & 0xffn);
    }
  }

  // ---------------------------------------------------------------- system calls: memory (mm.ts)

  /**
   * mmap(2). Returns the address, or a negative errno. `fd` is ignored with MAP_ANONYMOUS. With
   * MAP_HUGETLB (anonymous, private) the mapping uses 2 MiB pages.
   */
  mmap(addr: number, length: number, prot: number, flags: number, fd = -1, offset = 0): number {
    return this.mm.mmap(addr, length, prot, flags, fd, offset);
  }

  /** munmap(2): removes mappings in the range, splitting VMAs it cuts. 0 or a negative errno. */
  munmap(addr: number, length: number): number {
    return this.mm.munmap(addr, length);
  }

  /** mprotect(2). 0 or a negative errno. */
  mprotect(addr: number, length: number, prot: number): number {
    return this.mm.mprotect(addr, length, prot);
  }

  /** msync(2): MS_SYNC writes the range's dirty file pages to the block device; MS_ASYNC and MS_INVALIDATE, as on Linux, have nothing to do. */
  msync(addr: number, length: number, flags: number): number {
    return this.mm.msync(addr, length, flags);
  }

  /** madvise(2): MADV_DONTNEED drops the range's pages, MADV_WILLNEED reads file pages into the page cache. */
  madvise(addr: number, length: number, advice: number): number {
    return this.mm.madvise(addr, length, advice);
  }

  /** mincore(2): for each page of the range, vec[i] = 1 if resident. 0 or a negative errno. */
  mincore(addr: number, length: number, vec: Uint8Array): number {
    return this.mm.mincore(addr, length, vec);
  }

  /** fork(2): a child with a copy-on-write copy of the address space and the same open files. */
  fork(): SimProcess {
    this.ctr[C_SYSCALLS]++;
    this.assertAlive();
    const k = this.k;
    const child = new SimProcess(k, this.vm, k.newPid(), k.tables.allocTable(), this.cpu);
    child.fdt.fds = this.fdt.fds.slice();
    for (const vma of this.mm.vmas) {
      const cv: SimVma = { ...vma, proc: child };
      child.mm.vmas.push(cv);
      if (cv.file) cv.file.vmas.add(cv);
      if (cv.huge) child.mm.hugeVmas++;
      if (vma.shared) continue; // shared mappings refault in the child, as Linux does
      k.tables.forEachLeaf(this.root, vma.start, vma.end, (slot, va, huge) => {
        let e = k.tables.pt[slot];
        const f = e >>> 4;
        if (k.frames.fKind[f] === F_ANON) k.frames.fRef[f]++;
        e = (e & ~PTE_W) >>> 0;
        k.tables.pt[slot] = e;
        const cs = k.tables.slotFor(child.root, va, huge ? 2 : 1, true);
        k.tables.pt[cs] = e;
      });
    }
    for (const tlb of k.tlbs) tlb.flushAsid(this.asid);
    k.registerChild(child);
    return child;
  }

  /** exit(2): unmap everything, close every file, and retire the process (its counters stay in the global sums). */
  exit(): void {
    if (this.exited) return;
    this.mm.unmapRange(0, SIM_TASK_SIZE);
    for (const tlb of this.k.tlbs) tlb.flushAsid(this.asid);
    this.fdt.fds = [];
    this.exited = true;
    this.k.retire(this);
  }

  private assertAlive(): void {
    if (this.exited) throw codedError('ERR_MMAPKIT_CLOSED', `Simulated process ${this.pid} has exited.`);
  }

  // ---------------------------------------------------------------- system calls: files (fdtable.ts)

  /** open(2) of a simulated file. Returns the fd or a negative errno. */
  open(path: string, flags: number = SimOpen.RDONLY): number {
    return this.fdt.open(path, flags);
  }

  /** close(2). */
  close(fd: number): number {
    return this.fdt.close(fd);
  }

  /** lseek(2). */
  lseek(fd: number, offset: number, whence: number): number {
    return this.fdt.lseek(fd, offset, whence);
  }

  /** The size of an open file (fstat(2)'s st_size), or a negative errno. */
  fstatSize(fd: number): number {
    return this.fdt.fstatSize(fd);
  }

  /** read(2) through the page cache into `buf`. Returns bytes read (0 at EOF) or a negative errno. */
  read(fd: number, buf: Uint8Array, count = buf?.length): number {
    return this.fdt.read(fd, buf, count);
  }

  /** pread(2). */
  pread(fd: number, buf: Uint8Array, count: number, offset: number): number {
    return this.fdt.pread(fd, buf, count, offset);
  }

  /** write(2) through the page cache. Returns bytes written or a negative errno. */
  write(fd: number, data: Uint8Array, count = data?.length): number {
    return this.fdt.write(fd, data, count);
  }

  /** pwrite(2). */
  pwrite(fd: number, data: Uint8Array, count: number, offset: number): number {
    return this.fdt.pwrite(fd, data, count, offset);
  }

  /** ftruncate(2): pages wholly past the new end leave every mapping (later accesses: SIGBUS). */
  ftruncate(fd: number, length: number): number {
    return this.fdt.ftruncate(fd, length);
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
