/**
 * The page-fault handler of the simulated kernel: checks the access against the VMA (SIGSEGV), maps
 * file pages from the page cache (major or minor fault, SIGBUS past the end of the file), anonymous
 * pages as the zero page or a zero-filled frame, copies private pages on write (COW), handles 2 MiB
 * pages, and populates ranges for MAP_POPULATE.
 */
import { codedError } from '../../errors';
import {
  C_COW,
  C_MAJOR,
  C_MINOR,
  C_SIGNALS,
  C_ZEROFILL,
  C_ZEROPAGE,
  F_ANON,
  PTE_P,
  PTE_PS,
  PTE_R,
  PTE_W,
  SIM_HUGE_PAGE_SIZE,
  SIM_MAX_POPULATE,
  SIM_PAGE_SIZE,
} from './constants';
import type { VmEvents } from './events';
import type { SimVma, SimVmaOwner } from './files';
import type { FrameTable } from './frames';
import type { Mmu } from './mmu';
import type { PageCache } from './pagecache';
import type { PageTables } from './pagetables';
import { SimSignal } from './signal';

const PAGE = SIM_PAGE_SIZE;
const HUGE = SIM_HUGE_PAGE_SIZE;

/** @internal */
export class FaultHandler {
  constructor(
    private readonly tables: PageTables,
    private readonly frames: FrameTable,
    private readonly cache: PageCache,
    private readonly mmu: Mmu,
    private readonly events: VmEvents,
  ) {}

  private signal(p: SimVmaOwner, code: 'SIGSEGV' | 'SIGBUS', reason: 'SEGV_MAPERR' | 'SEGV_ACCERR' | 'BUS_ADRERR', v: number, write: boolean): SimSignal {
    p.ctr[C_SIGNALS]++;
    if (this.events.on) this.events.emit('signal', p.pid, v, `${code} ${reason}`);
    return new SimSignal(code, reason, v, write ? 'write' : 'read', p.pid);
  }

  /** The page-fault handler. Installs a PTE or throws a SimSignal. */
  fault(p: SimVmaOwner, v: number, write: boolean): void {
    const vma = p.findVma(v);
    if (!vma) throw this.signal(p, 'SIGSEGV', 'SEGV_MAPERR', v, write);
    // x86-64 without protection keys: any of read/write/exec permits reads.
    const allowed = write ? (vma.prot & 2) !== 0 : (vma.prot & 7) !== 0;
    if (!allowed) throw this.signal(p, 'SIGSEGV', 'SEGV_ACCERR', v, write);
    if (vma.huge) {
      this.hugeFault(p, vma, v, write);
      return;
    }
    const c = p.ctr;
    const page = Math.floor(v / PAGE) * PAGE;
    const slot = this.tables.slotFor(p.root, page, 1, true);
    if (slot < 0) throw codedError('ERR_MMAPKIT_INTERNAL', `mmapkit simulator: a 2 MiB entry maps 0x${page.toString(16)} outside a huge VMA`);
    const e = this.tables.pt[slot];
    const kind = write ? 'write' : 'read';
    if (!(e & PTE_P)) {
      if (vma.file) {
        const file = vma.file;
        const idx = vma.pgoff + (page - vma.start) / PAGE;
        if (idx * PAGE >= file.size) throw this.signal(p, 'SIGBUS', 'BUS_ADRERR', v, write);
        const f = this.cache.cachePage(file, idx);
        const major = this.cache.lastMajor;
        c[major ? C_MAJOR : C_MINOR]++;
        if (this.events.on) this.events.emit('fault', p.pid, v, `${major ? 'major' : 'minor'} ${kind}: ${file.path || 'shmem'} page ${idx} in frame ${f}`);
        if (!write) {
          this.tables.pt[slot] = f * 16 + (PTE_P | PTE_R);
        } else if (vma.shared) {
          this.cache.markDirty(f);
          this.tables.pt[slot] = f * 16 + (PTE_P | PTE_R | PTE_W);
        } else {
          const nf = this.frames.newAnon(f);
          c[C_COW]++;
          if (this.events.on) this.events.emit('cow', p.pid, v, `copied frame ${f} to frame ${nf}`);
          this.tables.pt[slot] = nf * 16 + (PTE_P | PTE_R | PTE_W);
        }
      } else if (write) {
        const nf = this.frames.newAnon(-1);
        c[C_MINOR]++;
        c[C_ZEROFILL]++;
        if (this.events.on) this.events.emit('zero-fill', p.pid, v, `anonymous write: zeroed frame ${nf}`);
        this.tables.pt[slot] = nf * 16 + (PTE_P | PTE_R | PTE_W);
      } else {
        c[C_MINOR]++;
        c[C_ZEROPAGE]++;
        if (this.events.on) this.events.emit('zero-page', p.pid, v, 'anonymous read: mapped the zero page');
        this.tables.pt[slot] = this.frames.zeroFrame * 16 + (PTE_P | PTE_R);
      }
    } else {
      const f = e >>> 4;
      c[C_MINOR]++;
      if (!write) {
        this.tables.pt[slot] = e | PTE_R;
        if (this.events.on) this.events.emit('fault', p.pid, v, 'minor read: access restored');
      } else if (vma.shared) {
        this.cache.markDirty(f);
        this.tables.pt[slot] = e | PTE_R | PTE_W;
        if (this.events.on) this.events.emit('fault', p.pid, v, `minor write: frame ${f} made writable and dirty`);
      } else if (this.frames.fKind[f] === F_ANON && this.frames.fRef[f] === 1) {
        this.tables.pt[slot] = e | PTE_R | PTE_W;
        if (this.events.on) this.events.emit('fault', p.pid, v, `minor write: frame ${f} reused (sole owner)`);
      } else if (f === this.frames.zeroFrame) {
        const nf = this.frames.newAnon(-1);
        c[C_ZEROFILL]++;
        if (this.events.on) this.events.emit('zero-fill', p.pid, v, `write over the zero page: zeroed frame ${nf}`);
        this.tables.pt[slot] = nf * 16 + (PTE_P | PTE_R | PTE_W);
      } else {
        const nf = this.frames.newAnon(f);
        c[C_COW]++;
        if (this.events.on) this.events.emit('cow', p.pid, v, `copied frame ${f} to frame ${nf}`);
        this.frames.dropMapping(e, false);
        this.tables.pt[slot] = nf * 16 + (PTE_P | PTE_R | PTE_W);
      }
    }
    // A present entry changed: drop stale translations (a new entry needs no flush).
    if (e & PTE_P) this.mmu.flushPage(p.asid, page, false);
  }

  private hugeFault(p: SimVmaOwner, vma: SimVma, v: number, write: boolean): void {
    const c = p.ctr;
    const page = Math.floor(v / HUGE) * HUGE;
    const slot = this.tables.slotFor(p.root, page, 2, true);
    let e = this.tables.pt[slot];
    if (e & PTE_P && !(e & PTE_PS)) {
      // A page table left by earlier 4 KiB mappings of this range (all its entries are clear).
      this.tables.freeTables(e >>> 4, 1);
      this.tables.pt[slot] = 0;
      e = 0;
    }
    c[C_MINOR]++;
    if (!(e & PTE_P) || !write) {
      if (!(e & PTE_P) && !write) {
        const z = this.frames.hugeZeroPage();
        if (z < 0) throw this.signal(p, 'SIGBUS', 'BUS_ADRERR', v, write);
        c[C_ZEROPAGE]++;
        if (this.events.on) this.events.emit('zero-page', p.pid, v, 'anonymous read: mapped the huge zero page');
        this.tables.pt[slot] = z * 16 + (PTE_P | PTE_R | PTE_PS);
      } else if (!(e & PTE_P)) {
        const head = this.frames.allocHugeBlock();
        if (head < 0) throw this.signal(p, 'SIGBUS', 'BUS_ADRERR', v, write);
        this.frames.mem.fill(0, head * PAGE, head * PAGE + HUGE);
        this.frames.fRef[head] = 1;
        c[C_ZEROFILL]++;
        if (this.events.on) this.events.emit('zero-fill', p.pid, v, `anonymous write: zeroed 2 MiB at frame ${head}`);
        this.tables.pt[slot] = head * 16 + (PTE_P | PTE_R | PTE_W | PTE_PS);
      } else {
        this.tables.pt[slot] = e | PTE_R;
      }
    } else {
      const f = e >>> 4;
      if (this.frames.fKind[f] === F_ANON && this.frames.fRef[f] === 1) {
        this.tables.pt[slot] = e | PTE_R | PTE_W;
      } else {
        const head = this.frames.allocHugeBlock();
        if (head < 0) throw this.signal(p, 'SIGBUS', 'BUS_ADRERR', v, write);
        this.frames.mem.copyWithin(head * PAGE, f * PAGE, f * PAGE + HUGE);
        this.frames.fRef[head] = 1;
        if (f === this.frames.hugeZero) c[C_ZEROFILL]++;
        else {
          c[C_COW]++;
          if (this.events.on) this.events.emit('cow', p.pid, v, `copied 2 MiB at frame ${f} to frame ${head}`);
        }
        this.frames.dropMapping(e, true);
        this.tables.pt[slot] = head * 16 + (PTE_P | PTE_R | PTE_W | PTE_PS);
      }
    }
    if (e & PTE_P) this.mmu.flushPage(p.asid, page, true);
  }

  /** Whether `v` can be accessed without a fault (used by populate). */
  private present(p: SimVmaOwner, v: number, write: boolean, huge: boolean): boolean {
    const slot = this.tables.slotFor(p.root, v, huge ? 2 : 1, false);
    if (slot < 0) return false;
    const e = this.tables.pt[slot];
    const need = write ? PTE_P | PTE_R | PTE_W : PTE_P | PTE_R;
    return (e & need) === need;
  }

  /** Fault in [start, end) of a VMA as MAP_POPULATE / WILLNEED-on-anon would; stops quietly at EOF. */
  populate(p: SimVmaOwner, vma: SimVma, start: number, end: number): void {
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
