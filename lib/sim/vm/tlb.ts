/**
 * A translation lookaside buffer: one per simulated CPU. Entries live in flat typed arrays; each is
 * tagged with the address-space id of its process, so switching processes needs no flush. 4 KiB and
 * 2 MiB translations share the entries. Replacement within a set is LRU, kept as a doubly linked
 * list per set (most recently used first), so hits, lookups and fills are all O(1).
 */

import { codedError } from '../../errors';
import { outOfRange, simInteger, simNum, toBool, toInt } from '../../validate';

/** Tag space: key = asid * 2^36 + (huge ? 2^35 : 0) + page number. */
export const TLB_ASID_MUL = 2 ** 36;
export const TLB_HUGE_BIT = 2 ** 35;
const HASH_SIZE = 4096;
/** Most entries a TLB may have (real ones have a few thousand). */
export const SIM_TLB_MAX_ENTRIES = 65536;

function slotArg(tlb: SimTlb, v: unknown, name: string): number {
  const s = simInteger(v, name);
  if (s < 0 || s >= tlb.entries) {
    throw outOfRange(name, `an integer >= 0 and < ${tlb.entries}`, s);
  }
  return s;
}

function pageArg(v: unknown, name: string): number {
  const n = simInteger(v, name);
  if (n < 0) throw outOfRange(name, 'a non-negative integer', n);
  return n;
}

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
  /** @internal Most recently used slot of each set (the head of its LRU list). */
  readonly mru: Int32Array;
  /** @internal Set of each slot. */
  readonly setOf: Int32Array;
  private readonly lru: Int32Array; // least recently used slot of each set (the tail)
  private readonly newer: Int32Array;
  private readonly older: Int32Array;
  // Lookup index (not TLB state): hash buckets by page number, chained through `next`.
  private readonly head: Int32Array;
  private readonly next: Int32Array;
  private readonly bucket: Int32Array;
  private genCounter = 0;
  /** Entries dropped by flushes (single-entry invalidations and whole flushes). */
  flushedEntries = 0;
  /** Number of flush operations (invlpg-style and full). */
  flushes = 0;

  constructor(entries: number, ways: number) {
    toInt(entries, 'entries', 1, SIM_TLB_MAX_ENTRIES);
    toInt(ways, 'ways', 1, entries);
    if (entries % ways !== 0) {
      throw codedError('ERR_OUT_OF_RANGE', `The value of "ways" (${ways}) must divide "entries" (${entries}).`);
    }
    this.entries = entries;
    this.ways = ways;
    this.sets = entries / ways;
    this.key = new Float64Array(entries).fill(-1);
    this.gen = new Float64Array(entries);
    this.base = new Float64Array(entries);
    this.writable = new Uint8Array(entries);
    this.huge = new Uint8Array(entries);
    this.mru = new Int32Array(this.sets);
    this.lru = new Int32Array(this.sets);
    this.setOf = new Int32Array(entries);
    this.newer = new Int32Array(entries);
    this.older = new Int32Array(entries);
    for (let set = 0; set < this.sets; set++) {
      const first = set * ways;
      for (let w = 0; w < ways; w++) {
        const slot = first + w;
        this.setOf[slot] = set;
        this.newer[slot] = w === 0 ? -1 : slot - 1;
        this.older[slot] = w === ways - 1 ? -1 : slot + 1;
      }
      this.mru[set] = first;
      this.lru[set] = first + ways - 1;
    }
    this.head = new Int32Array(HASH_SIZE).fill(-1);
    this.next = new Int32Array(entries).fill(-1);
    this.bucket = new Int32Array(entries).fill(-1);
  }

  /** Slot holding `key` (`n` is its page number), or -1. Does not count or touch LRU. */
  find(key: number, n: number): number {
    if (typeof key !== 'number') simNum(key, 'key');
    if (typeof n !== 'number' || !(n >= 0) || !Number.isSafeInteger(n)) pageArg(n, 'n');
    for (let s = this.head[(n % HASH_SIZE) | 0]; s >= 0; s = this.next[s]) {
      if (this.key[s] === key) return s;
    }
    return -1;
  }

  /** Install a translation, evicting the least recently used entry of its set; returns the slot. */
  fill(key: number, n: number, base: number, writable: boolean, huge: boolean): number {
    simNum(key, 'key');
    pageArg(n, 'n');
    simNum(base, 'base');
    toBool(writable, 'writable');
    toBool(huge, 'huge');
    let victim = this.find(key, n);
    if (victim < 0) {
      victim = this.lru[(n % this.sets) | 0]; // empty entries are kept at the LRU end
      if (this.key[victim] >= 0) this.unlink(victim);
      const b = (n % HASH_SIZE) | 0;
      this.bucket[victim] = b;
      this.next[victim] = this.head[b];
      this.head[b] = victim;
    }
    this.key[victim] = key;
    this.gen[victim] = ++this.genCounter;
    this.base[victim] = base;
    this.writable[victim] = writable ? 1 : 0;
    this.huge[victim] = huge ? 1 : 0;
    this.touch(victim);
    return victim;
  }

  private unlink(s: number): void {
    const b = this.bucket[s];
    if (this.head[b] === s) {
      this.head[b] = this.next[s];
    } else {
      let p = this.head[b];
      while (this.next[p] !== s) p = this.next[p];
      this.next[p] = this.next[s];
    }
    this.bucket[s] = -1;
    this.next[s] = -1;
  }

  /** Mark a slot most recently used in its set. */
  touch(slot: number): void {
    if (typeof slot !== 'number' || !(slot >= 0 && slot < this.entries) || !Number.isInteger(slot)) slotArg(this, slot, 'slot');
    const set = this.setOf[slot];
    if (this.mru[set] === slot) return;
    this.detach(slot, set);
    const head = this.mru[set];
    this.newer[slot] = -1;
    this.older[slot] = head;
    this.newer[head] = slot;
    this.mru[set] = slot;
  }

  /** Move a slot to the least recently used end of its set (an empty entry is the next victim). */
  private demote(slot: number): void {
    const set = this.setOf[slot];
    if (this.lru[set] === slot) return;
    this.detach(slot, set);
    const tail = this.lru[set];
    this.older[slot] = -1;
    this.newer[slot] = tail;
    this.older[tail] = slot;
    this.lru[set] = slot;
  }

  private detach(slot: number, set: number): void {
    const nw = this.newer[slot];
    const od = this.older[slot];
    if (nw >= 0) this.older[nw] = od;
    else this.mru[set] = od;
    if (od >= 0) this.newer[od] = nw;
    else this.lru[set] = nw;
  }

  private drop(s: number): void {
    this.unlink(s);
    this.key[s] = -1;
    this.gen[s] = ++this.genCounter;
    this.demote(s);
    this.flushedEntries++;
  }

  /** Drop the entry for one key, if present. */
  invalidate(key: number, n: number): void {
    simNum(key, 'key');
    pageArg(n, 'n');
    const s = this.find(key, n);
    if (s >= 0) this.drop(s);
    this.flushes++;
  }

  /** Drop every entry of one address space. */
  flushAsid(asid: number): void {
    simNum(asid, 'asid');
    for (let s = 0; s < this.entries; s++) {
      const k = this.key[s];
      if (k >= 0 && Math.floor(k / TLB_ASID_MUL) === asid) this.drop(s);
    }
    this.flushes++;
  }

  /** Drop every entry whose page overlaps physical bytes [lo, hi). */
  flushPhys(lo: number, hi: number): void {
    simNum(lo, 'lo');
    simNum(hi, 'hi');
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
