/**
 * The glue between the per-CPU TLBs (tlb.ts), the page tables and the fault handler: address
 * translation for loads and stores (TLB, then page walk, then fault), and the TLB shootdowns the
 * kernel makes when it changes or removes an entry.
 */
import { codedError } from '../../errors';
import { C_HITS, C_MISSES, PTE_P, PTE_PS, PTE_R, PTE_W, SIM_HUGE_PAGE_SIZE, SIM_PAGE_SIZE } from './constants';
import type { VmEvents } from './events';
import type { SimVmaOwner } from './files';
import type { FrameTable } from './frames';
import type { PageTables } from './pagetables';
import { SimTlb, TLB_ASID_MUL, TLB_HUGE_BIT } from './tlb';

const PAGE = SIM_PAGE_SIZE;
const HUGE = SIM_HUGE_PAGE_SIZE;

/** @internal */
export class Mmu {
  // Results of the last translate(), read by SimMapping to cache the translation.
  tTlb!: SimTlb;
  tSlot = 0;
  tGen = 0;
  tBase = 0;
  tPage = 0;
  tSpan = PAGE;
  tWritable = false;

  constructor(
    /** One TLB per CPU. */
    readonly tlbs: SimTlb[],
    private readonly tables: PageTables,
    private readonly frames: FrameTable,
    private readonly events: VmEvents,
    /** The page-fault handler: installs an entry or throws a SimSignal. */
    private readonly fault: (p: SimVmaOwner, v: number, write: boolean) => void,
  ) {}

  /** Drop the translations of one page of one address space from every CPU's TLB. */
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
    if (this.events.on) this.events.emit('tlb-flush', asid, v, huge ? 'one 2 MiB page' : 'one page');
  }

  /** Drop a range of one address space from every TLB (whole-ASID flush when large, as Linux does). */
  flushRange(asid: number, start: number, end: number, hugeToo: boolean): void {
    const pages = (end - start) / PAGE;
    if (pages > 33) {
      for (const tlb of this.tlbs) tlb.flushAsid(asid);
      if (this.events.on) this.events.emit('tlb-flush', asid, start, `address space (${pages} pages)`);
      return;
    }
    for (let v = start; v < end; v += PAGE) this.flushPage(asid, v, false);
    if (hugeToo) {
      for (let v = Math.floor(start / HUGE) * HUGE; v < end; v += HUGE) this.flushPage(asid, v, true);
    }
  }

  /** Drop every TLB entry that maps physical bytes [lo, hi). */
  flushPhys(lo: number, hi: number): void {
    for (const tlb of this.tlbs) tlb.flushPhys(lo, hi);
  }

  /**
   * Translate `v` for a load or store by process `p`: TLB, then page walk, then the fault handler.
   * Returns the physical byte address and leaves the TLB entry used in the t* fields.
   */
  translate(p: SimVmaOwner, v: number, write: boolean): number {
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
      if (this.events.on) this.events.emit('tlb-miss', p.pid, v, write ? 'store' : 'load');
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

  private walkFill(p: SimVmaOwner, tlb: SimTlb, v: number, write: boolean): number {
    if (!p.alive) throw codedError('ERR_MMAPKIT_CLOSED', `Simulated process ${p.pid} has exited.`);
    let e = this.tables.walk(p, v);
    const need = write ? PTE_P | PTE_R | PTE_W : PTE_P | PTE_R;
    if ((e & need) !== need) {
      this.fault(p, v, write);
      e = this.tables.walk(p, v);
      if ((e & need) !== need) throw codedError('ERR_MMAPKIT_INTERNAL', `mmapkit simulator: fault at 0x${v.toString(16)} left no usable entry`);
    }
    const f = e >>> 4;
    this.frames.touchFrame(f);
    if (e & PTE_PS) {
      const n2 = Math.floor(v / HUGE);
      return tlb.fill(p.asid * TLB_ASID_MUL + TLB_HUGE_BIT + n2, n2, f * PAGE, (e & PTE_W) !== 0, true);
    }
    const vpn = Math.floor(v / PAGE);
    return tlb.fill(p.asid * TLB_ASID_MUL + vpn, vpn, f * PAGE, (e & PTE_W) !== 0, false);
  }
}
