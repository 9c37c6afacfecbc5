/**
 * A simulated process's address space: its VMAs (sorted, split and merged as Linux's are) over its
 * page table, and the memory system calls (mmap, munmap, mprotect, msync, madvise, mincore), each
 * checking its arguments in the order Linux does and returning a negative errno on failure.
 * SimProcess's methods of the same names call these.
 */
import {
  PTE_P,
  PTE_R,
  PTE_W,
  SIM_HUGE_PAGE_SIZE,
  SIM_MMAP_BASE,
  SIM_MMAP_MIN_ADDR,
  SIM_PAGE_SIZE,
  SIM_TASK_SIZE,
  C_SYSCALLS,
  SimErrno,
  SimMadvise,
  SimMapFlags,
  SimMsync,
  SimProt,
} from './constants';
import type { FdTable, OpenFile } from './fdtable';
import type { SimFile, SimVma, SimVmaOwner } from './files';
import type { VmKernel } from './kernel';
import { simNum } from '../../validate';
import { bytesArg, int, roundUp } from './sysargs';

const PAGE = SIM_PAGE_SIZE;
const HUGE = SIM_HUGE_PAGE_SIZE;
const { EINVAL, ENOMEM, EACCES, EPERM, EEXIST, EBADF, EOVERFLOW } = SimErrno;
const EFAULT = 14;

/** @internal */
export class AddressSpace {
  /** Sorted by start. */
  readonly vmas: SimVma[] = [];
  /** Number of huge-page VMAs. */
  hugeVmas = 0;

  constructor(
    private readonly k: VmKernel,
    private readonly owner: SimVmaOwner,
    private readonly fdt: FdTable,
  ) {}

  /** The VMA containing `v`, or undefined. */
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
      if (a[mid].end > v) hi = mid;
      else lo = mid + 1;
    }
    return lo;
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
      if (vma.file.shmem && vma.file.vmas.size === 0) this.k.cache.truncate(vma.file, 0);
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
    const k = this.k;
    k.tables.forEachLeaf(this.owner.root, start, end, (slot, _va, huge) => {
      k.frames.dropMapping(k.tables.pt[slot], huge);
      k.tables.pt[slot] = 0;
    });
  }

  /** Remove every mapping in [start, end) (page aligned). */
  unmapRange(start: number, end: number): void {
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
    if (any) this.k.mmu.flushRange(this.owner.asid, start, end, hugeToo);
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
    this.owner.ctr[C_SYSCALLS]++;
    int('addr', addr);
    int('length', length);
    int('prot', prot);
    int('flags', flags);
    int('fd', fd);
    int('offset', offset);
    if (offset % PAGE !== 0) return -EINVAL;
    const anon = (flags & SimMapFlags.ANONYMOUS) !== 0;
    const huge = (flags & SimMapFlags.HUGETLB) !== 0;
    let of: OpenFile | undefined;
    if (!anon) {
      of = this.fdt.fds[fd];
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
      if (shared && prot & SimProt.WRITE && !of.writable) return -EACCES;
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
      file = this.k.cache.newFile('', true);
      file.size = len;
    }
    const vma: SimVma = {
      start,
      end: start + len,
      prot,
      shared,
      huge,
      file,
      pgoff,
      mayWrite: of ? of.writable : true,
      proc: this.owner,
    };
    this.insertVma(vma);
    if (flags & SimMapFlags.POPULATE) {
      try {
        this.k.faults.populate(this.owner, vma, start, start + len);
      } catch (err) {
        if ((err as { code?: string }).code !== 'SIGBUS') throw err;
      }
    }
    return start;
  }

  /** munmap(2): removes mappings in the range, splitting VMAs it cuts. 0 or a negative errno. */
  munmap(addr: number, length: number): number {
    this.owner.ctr[C_SYSCALLS]++;
    int('addr', addr);
    int('length', length);
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
    this.owner.ctr[C_SYSCALLS]++;
    int('addr', addr);
    int('length', length);
    int('prot', prot);
    if (addr % PAGE !== 0) return -EINVAL;
    if (prot & ~0xf) return -EINVAL; // x86 accepts PROT_SEM (0x8), which changes nothing here
    prot &= 7;
    if (length === 0) return 0;
    if (length < 0) return -ENOMEM;
    const end = addr + roundUp(length, PAGE);
    const { vmas, hole } = this.covering(addr, end);
    if (hole) return -ENOMEM;
    for (const m of vmas) if (m.shared && prot & SimProt.WRITE && !m.mayWrite) return -EACCES;
    if (!this.canSplit(addr) || !this.canSplit(end)) return -EINVAL;
    this.splitAt(addr);
    this.splitAt(end);
    let hugeToo = false;
    for (let i = this.firstEndingAbove(addr); i < this.vmas.length && this.vmas[i].start < end; i++) {
      this.vmas[i].prot = prot;
      hugeToo ||= this.vmas[i].huge;
    }
    const k = this.k;
    const clear = (prot & 7) === 0 ? PTE_R | PTE_W : (prot & SimProt.WRITE) === 0 ? PTE_W : 0;
    if (clear)
      k.tables.forEachLeaf(this.owner.root, addr, end, (slot) => {
        k.tables.pt[slot] &= ~clear;
      });
    k.mmu.flushRange(this.owner.asid, addr, end, hugeToo);
    return 0;
  }

  /** msync(2): MS_SYNC writes the range's dirty file pages to the block device; MS_ASYNC and MS_INVALIDATE, as on Linux, have nothing to do. */
  msync(addr: number, length: number, flags: number): number {
    this.owner.ctr[C_SYSCALLS]++;
    int('addr', addr);
    int('length', length);
    int('flags', flags);
    if (addr % PAGE !== 0) return -EINVAL;
    if (flags & ~(SimMsync.ASYNC | SimMsync.INVALIDATE | SimMsync.SYNC)) return -EINVAL;
    if (flags & SimMsync.ASYNC && flags & SimMsync.SYNC) return -EINVAL;
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
        this.k.cache.writebackRange(m.file, m.pgoff + (s - m.start) / PAGE, m.pgoff + (e - m.start) / PAGE);
      }
    }
    return hole ? -ENOMEM : 0;
  }

  /** madvise(2): MADV_DONTNEED drops the range's pages, MADV_WILLNEED reads file pages into the page cache. */
  madvise(addr: number, length: number, advice: number): number {
    this.owner.ctr[C_SYSCALLS]++;
    int('addr', addr);
    int('length', length);
    int('advice', advice);
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
        if (m.huge) {
          s = roundUp(s, HUGE);
          e = roundUp(e, HUGE);
        }
        if (e > s) {
          this.zap(s, e);
          this.k.mmu.flushRange(this.owner.asid, s, e, m.huge);
        }
      } else if (advice === SimMadvise.WILLNEED && m.file) {
        const first = m.pgoff + (s - m.start) / PAGE;
        // Readahead past the size of memory would only evict what it just read: at most `frames` pages.
        const last = Math.min(m.pgoff + (e - m.start) / PAGE, Math.ceil(m.file.size / PAGE), first + this.k.frames.frames);
        for (let idx = first; idx < last; idx++) this.k.cache.cachePage(m.file, idx);
      }
    }
    return hole ? -ENOMEM : 0;
  }

  /** mincore(2): for each page of the range, vec[i] = 1 if resident. 0 or a negative errno. */
  mincore(addr: number, length: number, vec: Uint8Array): number {
    this.owner.ctr[C_SYSCALLS]++;
    int('addr', addr);
    int('length', length);
    bytesArg('vec', vec, 'write');
    if (addr % PAGE !== 0) return -EINVAL;
    // Outside the user address range (negative or past 2^53), as past the end of every mapping.
    if (length < 0 || addr < 0 || !Number.isSafeInteger(addr + length + PAGE)) return -ENOMEM;
    const pages = roundUp(length, PAGE) / PAGE;
    const { hole } = this.covering(addr, addr + pages * PAGE);
    if (hole) return -ENOMEM;
    if (vec.length < pages) return -EFAULT;
    const k = this.k;
    for (let i = 0; i < pages; i++) {
      const v = addr + i * PAGE;
      const m = this.findVma(v);
      if (m === undefined) return -ENOMEM;
      const slot = k.tables.slotFor(this.owner.root, m.huge ? Math.floor(v / HUGE) * HUGE : v, m.huge ? 2 : 1, false);
      if (slot >= 0 && k.tables.pt[slot] & PTE_P) vec[i] = 1;
      else if (m.file) vec[i] = m.file.cache.has(m.pgoff + (v - m.start) / PAGE) ? 1 : 0;
      else vec[i] = 0;
    }
    return 0;
  }
}
