/**
 * The page tables of every simulated process: one pool of 512-entry tables (4-level x86-64
 * paging), the hardware walk, and visits over ranges. An entry is its target (frame or table index)
 * * 16 + the PTE_* flag bits.
 */
import { C_WALK, PTE_P, PTE_PS, SIM_PAGE_SIZE } from './constants';
import type { SimVmaOwner } from './files';

const PAGE = SIM_PAGE_SIZE;

/** @internal */
export class PageTables {
  /** The pool: table t holds entries [t*512, t*512+512). Grows by doubling (callers re-read it). */
  pt = new Uint32Array(512 * 64);
  private ptUsed = 0;
  private readonly ptFree: number[] = [];

  /** Tables in use. */
  get used(): number {
    return this.ptUsed - this.ptFree.length;
  }

  /** A zeroed table. */
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

  /** Free table `t` of `level` (4 = PML4 … 1 = page table) and every table below it. */
  freeTables(t: number, level: number): void {
    if (level > 1) {
      for (let i = 0; i < 512; i++) {
        const e = this.pt[t * 512 + i];
        if (e & PTE_P && !(level === 2 && e & PTE_PS)) this.freeTables(e >>> 4, level - 1);
      }
    }
    this.ptFree.push(t);
  }

  /**
   * Index in `pt` of the entry for `v`: a page-table entry (leaf 1) or a page-directory entry
   * (leaf 2). Returns -1 if a table on the way is missing and `create` is false, -2 if a 2 MiB page
   * sits where a 4 KiB entry was asked for.
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
      if (level === 2 && e & PTE_PS) return -2;
      t = e >>> 4;
    }
    return t * 512 + (leaf === 2 ? idx[2] : Math.floor(v / PAGE) % 512);
  }

  /** Visit every present leaf entry mapping a page that overlaps [start, end). */
  forEachLeaf(root: number, start: number, end: number, fn: (slot: number, va: number, huge: boolean) => void): void {
    this.visit(root, 4, 0, start, end, fn);
  }

  private visit(t: number, level: number, base: number, start: number, end: number, fn: (slot: number, va: number, huge: boolean) => void): void {
    const span = level === 4 ? 2 ** 39 : level === 3 ? 2 ** 30 : level === 2 ? 2 ** 21 : PAGE;
    const first = Math.max(0, Math.floor((start - base) / span));
    const last = Math.min(511, Math.floor((end - 1 - base) / span));
    for (let i = first; i <= last; i++) {
      const slot = t * 512 + i;
      const e = this.pt[slot];
      if (!(e & PTE_P)) continue;
      const va = base + i * span;
      if (level === 1) fn(slot, va, false);
      else if (level === 2 && e & PTE_PS) fn(slot, va, true);
      else this.visit(e >>> 4, level - 1, va, start, end, fn);
    }
  }

  /** Hardware page walk: the leaf entry for `v` (0 if none), counting memory references. */
  walk(p: SimVmaOwner, v: number): number {
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
}
