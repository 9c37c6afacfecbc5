/**
 * A translation lookaside buffer: one per simulated CPU. Entries live in flat typed arrays; each is
 * tagged with the address-space id of its process, so switching processes needs no flush. 4 KiB and
 * 2 MiB translations share the entries. Replacement within a set is LRU.
 */

/** Tag space: key = asid * 2^36 + (huge ? 2^35 : 0) + page number. */
export const TLB_ASID_MUL = 2 ** 36;
export const TLB_HUGE_BIT = 2 ** 35;
const HINT_SIZE = 4096;

export class SimTlb {
  /** Number of entries. */
  readonly entries: number;
  /** Ways per set (entries = fully associative). */
  readonly ways: number;
  /** Number of sets. */
  readonly sets: number;
  /** @internal Tag of each entry, -1 when empty. */
  readonly key: Float64Array;
  /** @internal Generation of each entry: changes whenever the entry is filled or dropped. */
  readonly gen: Float64Array;
  /** @internal Physical byte address of the page the entry maps. */
  readonly base: Float64Array;
  /** @internal 1 if stores may use the entry. */
  readonly writable: Uint8Array;
  /** @internal 1 for a 2 MiB entry. */
  readonly huge: Uint8Array;
  /** @internal Last-use stamp of each entry, for LRU. */
  readonly stamp: Float64Array;
  /** @internal Page number → slot guesses, checked against the tag (a lookup accelerator, not state). */
  private readonly hint: Int32Array;
  /** @internal LRU clock. */
  clock = 0;
  private genCounter = 0;
  /** Entries dropped by flushes (single-entry invalidations and whole flushes). */
  flushedEntries = 0;
  /** Number of flush operations (invlpg-style and full). */
  flushes = 0;

  constructor(entries: number, ways: number) {
    this.entries = entries;
    this.ways = ways;
    this.sets = entries / ways;
    this.key = new Float64Array(entries).fill(-1);
    this.gen = new Float64Array(entries);
    this.base = new Float64Array(entries);
    this.writable = new Uint8Array(entries);
    this.huge = new Uint8Array(entries);
    this.stamp = new Float64Array(entries);
    this.hint = new Int32Array(HINT_SIZE);
  }

  /** Slot holding `key` (page number `n` picks the set), or -1. Does not count or touch LRU. */
  find(key: number, n: number): number {
    const h = this.hint[n & (HINT_SIZE - 1)];
    if (this.key[h] === key) return h;
    const first = (n % this.sets) * this.ways;
    const end = first + this.ways;
    for (let s = first; s < end; s++) {
      if (this.key[s] === key) {
        this.hint[n & (HINT_SIZE - 1)] = s;
        return s;
      }
    }
    return -1;
  }

  /** Install a translation, evicting the least recently used entry of its set; returns the slot. */
  fill(key: number, n: number, base: number, writable: boolean, huge: boolean): number {
    const first = (n % this.sets) * this.ways;
    const end = first + this.ways;
    let victim = -1;
    let empty = -1;
    let lru = first;
    let oldest = Infinity;
    for (let s = first; s < end; s++) {
      const k = this.key[s];
      if (k === key) { victim = s; break; }
      if (k < 0) {
        if (empty < 0) empty = s;
      } else if (this.stamp[s] < oldest) {
        oldest = this.stamp[s];
        lru = s;
      }
    }
    if (victim < 0) victim = empty >= 0 ? empty : lru;
    this.key[victim] = key;
    this.gen[victim] = ++this.genCounter;
    this.base[victim] = base;
    this.writable[victim] = writable ? 1 : 0;
    this.huge[victim] = huge ? 1 : 0;
    this.stamp[victim] = ++this.clock;
    this.hint[n & (HINT_SIZE - 1)] = victim;
    return victim;
  }

  /** Mark a slot used (LRU). */
  touch(slot: number): void {
    this.stamp[slot] = ++this.clock;
  }

  private drop(s: number): void {
    this.key[s] = -1;
    this.gen[s] = ++this.genCounter;
    this.flushedEntries++;
  }

  /** Drop the entry for one key, if present. */
  invalidate(key: number, n: number): void {
    const s = this.find(key, n);
    if (s >= 0) this.drop(s);
    this.flushes++;
  }

  /** Drop every entry of one address space. */
  flushAsid(asid: number): void {
    for (let s = 0; s < this.entries; s++) {
      const k = this.key[s];
      if (k >= 0 && Math.floor(k / TLB_ASID_MUL) === asid) this.drop(s);
    }
    this.flushes++;
  }

  /** Drop every entry whose page overlaps physical bytes [lo, hi). */
  flushPhys(lo: number, hi: number): void {
    for (let s = 0; s < this.entries; s++) {
      if (this.key[s] < 0) continue;
      const b = this.base[s];
      const e = b + (this.huge[s] ? 2 * 1024 * 1024 : 4096);
      if (b < hi && e > lo) this.drop(s);
    }
  }

  /** Drop everything. */
  flushAll(): void {
    for (let s = 0; s < this.entries; s++) if (this.key[s] >= 0) this.drop(s);
    this.flushes++;
  }

  /** Number of valid entries. */
  occupancy(): number {
    let n = 0;
    for (let s = 0; s < this.entries; s++) if (this.key[s] >= 0) n++;
    return n;
  }
}
