/**
 * Physical memory of the simulated machine and page replacement: frame contents in one
 * Uint8Array, frame metadata in parallel typed arrays, a free stack, the zero pages, private
 * (reference-counted) frames, 2 MiB blocks, and the clock or LRU choice of a page-cache page to
 * evict when no frame is free. Eviction itself belongs to the page cache; it is passed in.
 */
import { F_ANON, F_CACHE, F_FREE, F_RESERVED, FL_PIN, FL_REF, HUGE_FRAMES, SIM_PAGE_SIZE } from './constants';
import { SimSignal } from './signal';

const PAGE = SIM_PAGE_SIZE;

/** @internal */
export class FrameTable {
  /** Physical memory. */
  readonly mem: Uint8Array;
  /** Frame kind (F_*), flags (FL_*), owning file id and page index (cache frames), map count (private frames). */
  readonly fKind: Uint8Array;
  readonly fFlags: Uint8Array;
  readonly fFile: Int32Array;
  readonly fIndex: Float64Array;
  readonly fRef: Int32Array;
  /** The 4 KiB zero page. */
  readonly zeroFrame = 0;
  /** The huge zero page's head frame, or -1 until first used. */
  hugeZero = -1;
  private readonly freeStack: number[] = [];
  private clockHand = 0;
  private readonly lruPrev: Int32Array;
  private readonly lruNext: Int32Array;
  private lruHead = -1;
  private lruTail = -1;

  constructor(
    readonly frames: number,
    readonly replacement: 'clock' | 'lru',
    private readonly evict: (f: number) => void,
  ) {
    const n = frames;
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

  /** Mark a frame recently used (accessed bit for clock, list position for LRU). */
  touchFrame(f: number): void {
    if (this.fKind[f] !== F_CACHE) return;
    if (this.replacement === 'clock') {
      this.fFlags[f] |= FL_REF;
      return;
    }
    if (this.lruHead === f) return;
    this.lruUnlink(f);
    this.lruPushHead(f);
  }

  /** A new page-cache frame enters the replacement order (most recently used). */
  cacheInserted(f: number): void {
    if (this.replacement === 'lru') this.lruPushHead(f);
    else this.fFlags[f] |= FL_REF;
  }

  /** A page-cache frame leaves the replacement order. */
  cacheRemoved(f: number): void {
    if (this.replacement === 'lru') this.lruUnlink(f);
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
    if (p >= 0) this.lruNext[p] = n;
    else if (this.lruHead === f) this.lruHead = n;
    if (n >= 0) this.lruPrev[n] = p;
    else if (this.lruTail === f) this.lruTail = p;
    this.lruPrev[f] = -1;
    this.lruNext[f] = -1;
  }

  /** A free frame (contents undefined), reclaiming a page-cache page if none is free. */
  allocFrame(): number {
    for (;;) {
      const f = this.freeStack.pop();
      if (f === undefined) break;
      if (this.fKind[f] === F_FREE) return f;
    }
    return this.reclaim();
  }

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
      while (f >= 0 && this.fFlags[f] & FL_PIN) f = this.lruPrev[f];
      if (f >= 0) {
        this.evict(f);
        return this.takeFree(f);
      }
    } else {
      const n = this.frames;
      for (let step = 0; step < 2 * n + 1; step++) {
        const f = this.clockHand;
        this.clockHand = f + 1 === n ? 0 : f + 1;
        if (this.fKind[f] !== F_CACHE || this.fFlags[f] & FL_PIN) continue;
        if (this.fFlags[f] & FL_REF) {
          this.fFlags[f] &= ~FL_REF;
          continue;
        }
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

  pin(f: number): void {
    this.fFlags[f] |= FL_PIN;
  }
  unpin(f: number): void {
    this.fFlags[f] &= ~FL_PIN;
  }

  /** A fresh private frame: zeroed, or a copy of frame `src`. */
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

  /** 512 contiguous, aligned frames for a 2 MiB page (head frame), or -1. */
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

  freeHugeBlock(head: number): void {
    for (let f = head; f < head + HUGE_FRAMES; f++) this.freeFrame(f);
  }

  /** The huge zero page (head frame), or -1 if no contiguous block is available. */
  hugeZeroPage(): number {
    if (this.hugeZero >= 0) return this.hugeZero;
    const head = this.allocHugeBlock();
    if (head < 0) return -1;
    for (let f = head; f < head + HUGE_FRAMES; f++) this.fKind[f] = F_RESERVED;
    this.mem.fill(0, head * PAGE, (head + HUGE_FRAMES) * PAGE);
    this.hugeZero = head;
    return head;
  }

  /** Release the frame a PTE maps (private frames are reference counted). */
  dropMapping(entry: number, huge: boolean): void {
    const f = entry >>> 4;
    if (this.fKind[f] !== F_ANON) return;
    if (--this.fRef[f] === 0) {
      if (huge) this.freeHugeBlock(f);
      else this.freeFrame(f);
    }
  }

  /** Frames in use, page-cache frames, private frames. */
  usage(): { used: number; cache: number; anon: number } {
    let used = 0;
    let cache = 0;
    let anon = 0;
    for (let f = 0; f < this.frames; f++) {
      const k = this.fKind[f];
      if (k !== F_FREE) used++;
      if (k === F_CACHE) cache++;
      else if (k === F_ANON) anon++;
    }
    return { used, cache, anon };
  }
}
