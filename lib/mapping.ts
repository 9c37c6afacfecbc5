/**
 * Memory mappings: files (by path or fd), anonymous memory, and the file helpers in the spirit of
 * vmtouch. A {@link Mapping} gives a zero-copy Buffer view of its bytes, and the mmap family's
 * operations (msync, madvise, mprotect, mlock, mincore, mremap). Unmapping releases the file at once
 * and leaves the views it vended over a zero-filled placeholder, never over freed memory; mmapkit's
 * own functions refuse such a view with ERR_MMAPKIT_CLOSED.
 */
import { constants as bufferConstants } from 'node:buffer';
import { codedError } from './errors';
import { CAN_READ, CAN_WRITE, VENDED, detachedError, installMappingHooks, isDetached, isStale, viewFacts, type LoopProbe } from './views';
import type { MemoryView } from './interfaces';
import { kernelConstants, type KernelConstantName } from './constants';
import { binding } from './native';
import { invalidType, outOfRange, toBool, toChoice, toIndex, toOptions, toPathOrFd, toRange } from './validate';
import { openForMapping, refuseUnmappable, statFd } from './filetype';
import { toSignal, withCancelToken, type AsyncScanOptions } from './abort';

// mmapkit's own access bits (the protection table, `need` in the checks); the kernel's PROT_*
// values are taken from kernelConstants() where a call reaches the addon (kernelProt).
const MAX_BUFFER = bufferConstants.MAX_LENGTH;
const HUGE_PAGE = 2 * 1024 * 1024;

/** How a file is mapped: read-only, read-write shared (MAP_SHARED) or copy-on-write (MAP_PRIVATE). */
export type MapMode = 'readonly' | 'readwrite' | 'private';
const MODES: readonly MapMode[] = ['readonly', 'readwrite', 'private'];

/** The C name of each madvise(2) advice. MADV_HWPOISON and MADV_SOFT_OFFLINE are left out on purpose. */
const ADVICE_C = {
  normal: 'MADV_NORMAL',
  random: 'MADV_RANDOM',
  sequential: 'MADV_SEQUENTIAL',
  willneed: 'MADV_WILLNEED',
  dontneed: 'MADV_DONTNEED',
  free: 'MADV_FREE',
  remove: 'MADV_REMOVE',
  dontfork: 'MADV_DONTFORK',
  dofork: 'MADV_DOFORK',
  mergeable: 'MADV_MERGEABLE',
  unmergeable: 'MADV_UNMERGEABLE',
  hugepage: 'MADV_HUGEPAGE',
  nohugepage: 'MADV_NOHUGEPAGE',
  dontdump: 'MADV_DONTDUMP',
  dodump: 'MADV_DODUMP',
  wipeonfork: 'MADV_WIPEONFORK',
  keeponfork: 'MADV_KEEPONFORK',
  cold: 'MADV_COLD',
  pageout: 'MADV_PAGEOUT',
  populate_read: 'MADV_POPULATE_READ',
  populate_write: 'MADV_POPULATE_WRITE',
  collapse: 'MADV_COLLAPSE',
} as const satisfies Record<string, KernelConstantName>;

/**
 * madvise(2) advice names (Linux) and their numbers: the system headers' (the addon's constants),
 * looked up when first read; Linux's generic values where there is no addon.
 */
export const ADVICE: { readonly [K in keyof typeof ADVICE_C]: number } = Object.freeze(
  Object.defineProperties({}, Object.fromEntries(Object.entries(ADVICE_C).map(([k, c]) => [k, { enumerable: true, get: () => kernelConstants()[c] }]))) as {
    [K in keyof typeof ADVICE_C]: number;
  },
);
export type Advice = keyof typeof ADVICE_C;
const ADVICE_NAMES = Object.keys(ADVICE_C) as Advice[];

/** Page protection for {@link Mapping.protect}. */
export type Protection = 'none' | 'read' | 'readwrite';
const PROTECTIONS: readonly Protection[] = ['none', 'read', 'readwrite'];
const PROT_BITS: Record<Protection, number> = { none: 0, read: CAN_READ, readwrite: CAN_READ | CAN_WRITE };

/** The kernel's PROT_* bits for mmapkit's access bits. */
function kernelProt(bits: number): number {
  const k = kernelConstants();
  return ((bits & CAN_READ) !== 0 ? k.PROT_READ : k.PROT_NONE) | ((bits & CAN_WRITE) !== 0 ? k.PROT_WRITE : 0);
}

/** Which pages of a range are in memory (mincore). */
export interface Residency {
  /** The system page size in bytes. */
  pageSize: number;
  /** Pages in the range (widened to whole pages). */
  pages: number;
  /** How many of them are resident. */
  resident: number;
  /** One byte per page: 1 resident, 0 not. */
  vector: Uint8Array;
}

export interface MapFileOptions {
  /** 'readonly' (default), 'readwrite' (MAP_SHARED) or 'private' (MAP_PRIVATE, copy-on-write). */
  mode?: MapMode;
  /** Byte offset in the file; any value, page alignment is handled inside. Default 0. */
  offset?: number | bigint;
  /** Bytes to map. Default: the rest of the file. */
  length?: number | bigint;
  /** Fault every page in at map time (MAP_POPULATE). */
  populate?: boolean;
  /** Lock the pages in memory (mlock) once mapped. */
  lock?: boolean;
  /** Ask for transparent huge pages (MADV_HUGEPAGE). */
  hugePages?: boolean;
  /** madvise advice applied to the whole mapping once mapped. */
  advice?: Advice;
}
const MAP_FILE_KEYS = ['mode', 'offset', 'length', 'populate', 'lock', 'hugePages', 'advice'];

export interface MapAnonymousOptions {
  /** MAP_SHARED (shared with child processes created after it) instead of MAP_PRIVATE. */
  shared?: boolean;
  /** Fault every page in at map time (MAP_POPULATE). */
  populate?: boolean;
  /** Reserve no swap space (MAP_NORESERVE). */
  noReserve?: boolean;
  /**
   * Huge pages: true tries MAP_HUGETLB and falls back to transparent huge pages; 'explicit' uses
   * MAP_HUGETLB only (an error if the system has none reserved); 'transparent' uses MADV_HUGEPAGE.
   */
  hugePages?: boolean | 'explicit' | 'transparent';
  /** Lock the pages in memory (mlock) once mapped. */
  lock?: boolean;
}
const MAP_ANON_KEYS = ['shared', 'populate', 'noReserve', 'hugePages', 'lock'];

export interface SyncOptions {
  offset?: number | bigint;
  length?: number | bigint;
  /** MS_ASYNC: schedule the write-back and return at once. */
  async?: boolean;
  /** MS_INVALIDATE: drop other mappings' cached copies of the range. */
  invalidate?: boolean;
}
const SYNC_KEYS = ['offset', 'length', 'async', 'invalidate'];

/** The id of a mapping in the addon (native/binding/mapping.cc); 0 once unmapped here. */
type MapId = number;

/** The native mapping and its owner: a Buffer over all mapped bytes (an opaque object when empty or too large for one Buffer). */
interface NativeMap {
  id: MapId;
  owner: Buffer | object;
}

const idOut = new Float64Array(1);

// mapNew's flags above the PROT_* bits (native/binding/mapping.cc has the same values).
const MAP_SHARED_BIT = 1 << 4;
const MAP_POPULATE_BIT = 1 << 5;
const MAP_NORESERVE_BIT = 1 << 6;
const MAP_HUGETLB_BIT = 1 << 7;

/** mmap through the addon: one native call gives the owner Buffer and, in idOut, the id. */
function nativeMap(
  fd: number,
  offset: number,
  length: number,
  prot: number,
  shared: boolean,
  populate: boolean,
  noReserve: boolean,
  hugetlb: boolean,
): NativeMap {
  const flags =
    kernelProt(prot) |
    (shared ? MAP_SHARED_BIT : 0) |
    (populate ? MAP_POPULATE_BIT : 0) |
    (noReserve ? MAP_NORESERVE_BIT : 0) |
    (hugetlb ? MAP_HUGETLB_BIT : 0);
  const owner = binding().mapNew(idOut, fd, offset, length, flags, MAX_BUFFER);
  return { id: idOut[0], owner };
}

/** Where a mapping's bytes come from. */
export type MappingKind = 'file' | 'anonymous' | 'shared-memory' | 'memfd';

interface Segment {
  start: number;
  end: number;
  prot: number;
}

const INTERNAL = Symbol('mmapkit.internal');
/** What a Mapping holds as its owner once unmapped. */
const RELEASED: object = Object.freeze({});

export type { LoopAccess } from './views';

/**
 * A live memory mapping. Create one with {@link mapFile}, {@link mapAnonymous} or the shared-memory
 * helpers. Implements {@link MemoryView}, so code written against that interface also runs on
 * simulated mappings.
 *
 * Safety. Guaranteed: `unmap()` (or `close()`) releases the file and its pages at once, as munmap
 * does, but leaves no hole: while any Buffer or ArrayBuffer the mapping vended (subarrays
 * included) is alive, its address range is a zero-filled private placeholder. Such a stale view
 * stays attached with its length: it reads zeros, writes to it land in the placeholder (never the
 * file), and the placeholder is unmapped once the last of them is collected. So Node's own work
 * still holding the memory (zlib, crypto, fs, a stream) finishes over zeros instead of crashing.
 * mmapkit's functions given a stale view (csvSum, the scans, `write`'s source, futexes, ...) throw
 * ERR_MMAPKIT_CLOSED; `resize()` makes the views vended before it stale in the same way. Every native access
 * mmapkit makes to mapped or caller-supplied memory (`read`, `write`, `touch`, the CSV methods and
 * CsvSummer, the scans, register-window accesses) runs under a per-thread SIGBUS/SIGSEGV guard: a
 * page past the end of a truncated file gives ERR_MMAPKIT_SIGBUS, a read of a `protect('none')`
 * page or a write to a read-only page ERR_MMAPKIT_PROTECTED; other faults go on to the handler
 * installed before mmapkit's. mmapkit's own JavaScript loops over mapped bytes (the 'js' and
 * 'js-seed' CSV methods, seedCsvSum over a Mapping) check the protection table and probe each chunk
 * of a file-backed range with a guarded native touch first. Arguments are converted before memory
 * is touched, so a getter that unmaps, resizes or protects the mapping mid-call gives a coded
 * error. Not guaranteed: direct typed-array access through `buffer` (your own loops, and
 * `loadN`/`storeN`, which check bounds, mode and the protection table but read memory directly)
 * over a `protect('none')` page, a read-only page or a truncated file's tail raises SIGSEGV /
 * SIGBUS and ends the process, exactly as in C; so does a truncation between mmapkit's probe and
 * its JavaScript loop.
 */
export class Mapping implements MemoryView, Disposable {
  #id: MapId;
  /** Held for the mapping's whole life: its finalizer frees the native state. Replaced by resize(). */
  #owner: Buffer | object;
  #length: number;
  #buf: Buffer | null = null;
  #dv: DataView | null = null;
  /**
   * Whether the owner Buffer has left the library (through `buffer`, `view()` or `address`): then
   * other code may hold its raw pointer, and unmap() and resize() retire the address range behind
   * a placeholder instead of unmapping it (native/binding/mapping.cc, "Lifetime").
   */
  #exposed = false;
  /** Counts resize() calls: what was vended in an earlier generation is stale. */
  #gen = 0;
  /** Bumped by every unmap, resize and protect: what the IPC primitives' region guards watch. */
  #changes = 0;
  /** Protection by range, once protect() has been used; null while the whole mapping has its initial protection. */
  #segments: Segment[] | null = null;
  #readable: boolean;
  #writable: boolean;
  /** How the mapping was made. */
  readonly mode: MapMode;
  /** What backs it. */
  readonly kind: MappingKind;
  /** Byte offset in the file (0 for anonymous memory). */
  readonly offset: number;
  /** The file's path, when mapped by path. */
  readonly path?: string;
  /** Which kind of huge pages were asked for and obtained (false: none). */
  readonly hugePages: false | 'explicit' | 'transparent';

  static {
    installMappingHooks(
      (m, off, len, need, what, probe) => (m as Mapping).#loop(off, len, need, what, probe),
      (v) => (v.mapping as Mapping).#id === 0 || v.gen !== (v.mapping as Mapping).#gen,
      (m) => (m as Mapping).#changes,
    );
  }

  /** @internal Use mapFile(), mapAnonymous() or the shared-memory helpers. */
  constructor(
    token: symbol,
    native: NativeMap,
    length: number,
    prot: number,
    mode: MapMode,
    kind: MappingKind,
    offset: number,
    path: string | undefined,
    hugePages: false | 'explicit' | 'transparent',
  ) {
    if (token !== INTERNAL) throw codedError('ERR_MMAPKIT_UNSUPPORTED', 'Mapping cannot be constructed directly; use mapFile() or mapAnonymous()');
    this.#id = native.id;
    this.#owner = native.owner;
    this.#length = length;
    this.mode = mode;
    this.kind = kind;
    this.offset = offset;
    this.path = path; // always set (undefined when mapped by fd): every Mapping has one shape
    this.hugePages = hugePages;
    this.#readable = (prot & CAN_READ) !== 0;
    this.#writable = (prot & CAN_WRITE) !== 0;
  }

  /** Length in bytes of the mapped range (exactly what was asked for). */
  get length(): number {
    return this.#length;
  }

  /** True once unmap() or close() has run. */
  get closed(): boolean {
    return this.#id === 0;
  }

  /** The address of the first byte (for diagnostics and for passing to other native code). */
  get address(): bigint {
    const id = this.#live();
    this.#exposed = true;
    return binding().mapAddress(id);
  }

  /**
   * A Buffer over all mapped bytes, without copying. The same Buffer is returned each time until
   * unmap() or resize() (after which the old one is stale, see the class docs). Mappings larger
   * than buffer.constants.MAX_LENGTH need view().
   */
  get buffer(): Buffer {
    const b = this.#buf ?? this.#ownerBuffer();
    this.#exposed = true;
    return b;
  }

  /** The owner Buffer for the library's own use (the load/store paths): not exposed by this. */
  #ownerBuffer(): Buffer {
    if (this.#buf !== null) return this.#buf;
    const id = this.#live();
    if (this.#length > MAX_BUFFER) {
      throw codedError(
        'ERR_MMAPKIT_TOO_LARGE',
        `The mapping is ${this.#length} bytes, more than one Buffer can hold here (${MAX_BUFFER}); use mapping.view(offset, length) for a window`,
      );
    }
    if (this.#length === 0) return (this.#buf = Buffer.alloc(0));
    if (Buffer.isBuffer(this.#owner)) this.#buf = this.#owner;
    // The runtime refused an external Buffer: this raises its explanation (or gives a view).
    else this.#buf = Buffer.from(binding().mapArrayBuffer(id, 0, this.#length));
    VENDED.set(this.#buf.buffer, { mapping: this, start: this.#buf.byteOffset, gen: this.#gen });
    return this.#buf;
  }

  /** A Buffer over [offset, offset + length) of the mapping, without copying. */
  view(offset?: number | bigint, length?: number | bigint): Buffer {
    const id = this.#live();
    const [off, len] = toRange(offset, length, this.#length, 'mapping');
    if (len > MAX_BUFFER) {
      throw codedError('ERR_MMAPKIT_TOO_LARGE', `A view of ${len} bytes is more than one Buffer can hold here (${MAX_BUFFER})`);
    }
    if (this.#length <= MAX_BUFFER) return this.buffer.subarray(off, off + len); // exposes the owner
    const ab = binding().mapArrayBuffer(id, off, len);
    VENDED.set(ab, { mapping: this, start: off, gen: this.#gen });
    return Buffer.from(ab, 0, len);
  }

  /** Copies bytes out of the mapping (guarded: a SIGBUS becomes ERR_MMAPKIT_SIGBUS). */
  read(offset?: number | bigint, length?: number | bigint): Buffer {
    const id = this.#live();
    const [off, len] = toRange(offset, length, this.#length, 'mapping');
    this.#check(off, len, CAN_READ);
    return binding().mapRead(id, off, len);
  }

  /**
   * Copies bytes into the mapping (guarded like read()); returns the count written. The length of a
   * TypedArray or DataView is the engine's, never a `byteLength` property the object redefines.
   */
  write(offset: number | bigint, data: ArrayBufferView | string): number {
    const id = this.#live();
    const off = toIndex(offset, 'offset');
    let src: ArrayBufferView;
    let len: number;
    if (typeof data === 'string') {
      const b = Buffer.from(data, 'utf8');
      src = b;
      len = b.length;
    } else {
      const f = viewFacts(data);
      if (f === undefined) throw invalidType('data', 'a string, Buffer, TypedArray or DataView', data);
      if (f.byteLength === 0 && isDetached(f.buffer)) throw detachedError(f.buffer, 'data');
      src = data;
      len = f.byteLength;
      // A source that is itself a mapping's bytes must be readable (the copy is guarded as well).
      const from = VENDED.get(f.buffer);
      if (from !== undefined && isStale(from)) throw detachedError(f.buffer, 'data');
      if (from !== undefined) (from.mapping as Mapping).#check(from.start + f.byteOffset, len, CAN_READ);
    }
    toRange(off, len, this.#length, 'mapping');
    this.#check(off, len, CAN_WRITE);
    return binding().mapWrite(id, off, src);
  }

  /** Faults in every page of the range by reading one byte of each (guarded). */
  touch(offset?: number | bigint, length?: number | bigint): void {
    const id = this.#live();
    const [off, len] = toRange(offset, length, this.#length, 'mapping');
    this.#check(off, len, CAN_READ);
    binding().mapTouch(id, off, len);
  }

  /** msync(2): writes dirty pages of the range back to the file (MS_SYNC unless async). */
  sync(options?: SyncOptions): void {
    const [off, len, flags] = this.#syncArgs(options);
    binding().mapSync(this.#live(), off, len, flags);
  }

  /** The same as sync(), with the msync done on a worker thread; resolves when it is done. */
  syncAsync(options?: SyncOptions): Promise<void> {
    try {
      const [off, len, flags] = this.#syncArgs(options);
      return binding().mapSyncAsync(this.#live(), off, len, flags);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** madvise(2) over the whole mapping or a range. */
  advise(advice: Advice, offset?: number | bigint, length?: number | bigint): void {
    const id = this.#live();
    const a = toChoice(advice, 'advice', ADVICE_NAMES);
    const [off, len] = toRange(offset, length, this.#length, 'mapping');
    binding().mapAdvise(id, off, len, kernelConstants()[ADVICE_C[a]]);
  }

  /**
   * mprotect(2) over the whole mapping or a range (widened to whole pages). The library's helpers
   * honour it (they throw ERR_MMAPKIT_PROTECTED); direct Buffer access does not, see the class docs.
   */
  protect(protection: Protection, offset?: number | bigint, length?: number | bigint): void {
    const id = this.#live();
    const p = toChoice(protection, 'protection', PROTECTIONS);
    const [off, len] = toRange(offset, length, this.#length, 'mapping');
    const bits = PROT_BITS[p];
    if ((bits & CAN_WRITE) !== 0 && this.mode === 'readonly') {
      throw codedError('ERR_MMAPKIT_READ_ONLY', "A mapping made in 'readonly' mode cannot be made writable; map it in 'readwrite' or 'private' mode");
    }
    binding().mapProtect(id, off, len, kernelProt(bits));
    if (len > 0) this.#setProt(off, len, bits);
  }

  /**
   * Faults the range's pages in ahead of use (madvise MADV_POPULATE_READ, or _WRITE with
   * `{ write: true }`, which also breaks copy-on-write in a private mapping), so later accesses
   * take no page fault. Kernels before 5.14 lack these: a read populate then reads one byte of
   * every page (guarded), and a write populate throws ERR_MMAPKIT_UNSUPPORTED. A range past the
   * end of a truncated file gives ERR_MMAPKIT_SIGBUS; a protected range ERR_MMAPKIT_PROTECTED.
   */
  populate(offset?: number | bigint, length?: number | bigint, options?: PopulateOptions): void {
    const [id, off, len, write] = this.#populateArgs(offset, length, options, ['write']);
    if (len === 0) return;
    const c = kernelConstants();
    try {
      binding().mapAdvise(id, off, len, write ? c.MADV_POPULATE_WRITE : c.MADV_POPULATE_READ);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'EFAULT') throw sigbusPopulate(off, len);
      if (code !== 'EINVAL') throw err;
      if (write) throw populateWriteUnsupported();
      binding().mapTouch(id, off, len, 'populate()');
    }
  }

  /**
   * {@link populate} on a libuv pool thread, in 64 MiB steps: the event loop stays free, and
   * `signal` stops it between two steps (an AbortError). The mapping stays mapped until the job
   * ends even if unmap() is called meanwhile (its views then read zeros as usual).
   */
  populateAsync(offset?: number | bigint, length?: number | bigint, options?: PopulateOptions & AsyncScanOptions): Promise<void> {
    try {
      const signal = toSignal(options, 'populateAsync()');
      const [id, off, len, write] = this.#populateArgs(offset, length, options, ['write', 'signal']);
      const c = kernelConstants();
      const advice = write ? c.MADV_POPULATE_WRITE : c.MADV_POPULATE_READ;
      return withCancelToken(signal, 'populateAsync()', (token) => binding().mapRangeAsync(id, off, len, 3, advice, token)).catch((err: unknown) => {
        if ((err as { code?: string }).code === 'EINVAL' && write) throw populateWriteUnsupported();
        throw err;
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #populateArgs(offset: unknown, length: unknown, options: unknown, keys: string[]): [MapId, number, number, boolean] {
    const id = this.#live();
    const [off, len] = toRange(offset as number | undefined, length as number | undefined, this.#length, 'mapping');
    const o = toOptions<PopulateOptions>(options, 'options', keys);
    const write = o.write === undefined ? false : toBool(o.write, 'options.write');
    if (write && this.mode === 'readonly')
      throw codedError('ERR_MMAPKIT_READ_ONLY', "A mapping made in 'readonly' mode cannot be populated for writing; populate it for reading");
    this.#check(off, len, write ? CAN_WRITE : CAN_READ);
    return [id, off, len, write];
  }

  /** mlock(2) the range; with onFault, pages are locked as they are first touched (mlock2). */
  lock(offset?: number | bigint, length?: number | bigint, options?: { onFault?: boolean }): void {
    const id = this.#live();
    const [off, len] = toRange(offset, length, this.#length, 'mapping');
    const o = toOptions<{ onFault: boolean }>(options, 'options', ['onFault']);
    binding().mapLock(id, off, len, o.onFault === undefined ? false : toBool(o.onFault, 'options.onFault'));
  }

  /**
   * {@link lock} on a libuv pool thread, in 64 MiB steps (locking faults every page in, which takes
   * long for a large range); `signal` stops it between two steps, and a cancelled or failed lock
   * unlocks what it had locked. The mapping stays mapped until the job ends.
   */
  lockAsync(offset?: number | bigint, length?: number | bigint, options?: { onFault?: boolean } & AsyncScanOptions): Promise<void> {
    try {
      const signal = toSignal(options, 'lockAsync()');
      const id = this.#live();
      const [off, len] = toRange(offset, length, this.#length, 'mapping');
      const o = toOptions<{ onFault: boolean }>(options, 'options', ['onFault', 'signal']);
      const onFault = o.onFault === undefined ? false : toBool(o.onFault, 'options.onFault');
      return withCancelToken(signal, 'lockAsync()', (token) => binding().mapRangeAsync(id, off, len, 2, onFault ? 1 : 0, token));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** munlock(2) the range. */
  unlock(offset?: number | bigint, length?: number | bigint): void {
    const id = this.#live();
    const [off, len] = toRange(offset, length, this.#length, 'mapping');
    binding().mapUnlock(id, off, len);
  }

  /** mincore(2): which pages of the range are resident. */
  residency(offset?: number | bigint, length?: number | bigint): Residency {
    const id = this.#live();
    const [off, len] = toRange(offset, length, this.#length, 'mapping');
    const vector = binding().mapResidency(id, off, len);
    let resident = 0;
    for (let i = 0; i < vector.length; i++) resident += vector[i];
    return { pageSize: pageSize(), pages: vector.length, resident, vector };
  }

  /**
   * mremap(2) to a new length. Every Buffer and ArrayBuffer vended before is stale, whether or
   * not the mapping moved: mmapkit's functions refuse it (ERR_MMAPKIT_CLOSED); read directly, it
   * shows the mapping's bytes where the mapping stayed in place and zeros where it left. Take a new
   * view from `buffer` afterwards. With mayMove false (default
   * true) the mapping must grow in place or the call fails with ENOMEM.
   */
  resize(length: number | bigint, options?: { mayMove?: boolean }): void {
    const id = this.#live();
    const n = toIndex(length, 'length');
    if (n === 0) throw codedError('ERR_OUT_OF_RANGE', 'The value of "length" is out of range. It must be > 0. Received 0');
    const o = toOptions<{ mayMove: boolean }>(options, 'options', ['mayMove']);
    const mayMove = o.mayMove === undefined ? true : toBool(o.mayMove, 'options.mayMove');
    if (this.hugePages === 'explicit') throw codedError('ERR_MMAPKIT_UNSUPPORTED', 'A mapping of explicit huge pages (MAP_HUGETLB) cannot be resized');
    this.#owner = binding().mapResize(id, n, mayMove, this.#owner, MAX_BUFFER, this.#exposed);
    this.#gen++;
    this.#changes++;
    this.#buf = null;
    this.#dv = null;
    this.#exposed = false;
    const old = this.#length;
    this.#length = n;
    if (this.#segments === null) return; // one protection throughout, as before
    if (n > old) {
      const last = this.#segments[this.#segments.length - 1];
      if (last.end === old) last.end = n;
      else this.#segments.push({ start: old, end: n, prot: last.prot });
    } else {
      this.#segments = this.#segments.filter((s) => s.start < n).map((s) => ({ ...s, end: Math.min(s.end, n) }));
    }
    this.#updateFlags();
  }

  /**
   * Unmaps: the file and its pages are released at once; views vended before stay attached over a
   * zero-filled placeholder (see the class docs). Safe to call more than once; returns whether
   * this call did the unmapping. An in-flight syncAsync() finishes before the memory goes.
   */
  unmap(): boolean {
    const id = this.#id;
    if (id === 0) return false;
    this.#id = 0;
    this.#changes++;
    this.#buf = null;
    this.#dv = null;
    const owner = this.#owner;
    // Let go of the owner: a range retired behind a placeholder is freed once the Buffers and
    // ArrayBuffers over it are collected, and a closed Mapping kept around should not be one.
    this.#owner = RELEASED;
    return binding().mapUnmap(id, owner, this.#exposed);
  }

  /** Alias of unmap(). */
  close(): void {
    this.unmap();
  }

  [Symbol.dispose](): void {
    this.unmap();
  }

  /** What console.log and util.inspect show: the mapping's facts, not its bytes. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    const path = this.path === undefined ? '' : `, path: '${this.path}'`;
    return `Mapping { kind: '${this.kind}', mode: '${this.mode}', offset: ${this.offset}, length: ${this.#length}${path}, closed: ${this.closed} }`;
  }

  // ---- MemoryView: direct loads and stores, little-endian, bounds- and protection-checked ----

  load8(offset: number): number {
    const b = this.#buf ?? this.#fastBuf();
    if (typeof offset === 'number' && offset >>> 0 === offset && offset < b.length && this.#readable) return b[offset];
    return this.#slow(offset, 1, CAN_READ, (d, o) => d.getUint8(o));
  }
  load16(offset: number): number {
    const d = this.#dv ?? this.#fastDv();
    if (typeof offset === 'number' && offset >>> 0 === offset && offset + 2 <= d.byteLength && this.#readable) return d.getUint16(offset, true);
    return this.#slow(offset, 2, CAN_READ, (d, o) => d.getUint16(o, true));
  }
  load32(offset: number): number {
    const d = this.#dv ?? this.#fastDv();
    if (typeof offset === 'number' && offset >>> 0 === offset && offset + 4 <= d.byteLength && this.#readable) return d.getUint32(offset, true);
    return this.#slow(offset, 4, CAN_READ, (d, o) => d.getUint32(o, true));
  }
  load64(offset: number): bigint {
    const d = this.#dv ?? this.#fastDv();
    if (typeof offset === 'number' && offset >>> 0 === offset && offset + 8 <= d.byteLength && this.#readable) return d.getBigUint64(offset, true);
    return this.#slow(offset, 8, CAN_READ, (d, o) => d.getBigUint64(o, true));
  }
  store8(offset: number, value: number): void {
    const d = this.#dv ?? this.#fastDv();
    if (typeof value === 'number' && typeof offset === 'number' && offset >>> 0 === offset && offset < d.byteLength && this.#writable)
      d.setUint8(offset, value);
    else this.#slow(offset, 1, CAN_WRITE, (d, o) => d.setUint8(o, checkValue(value, 1)));
  }
  store16(offset: number, value: number): void {
    const d = this.#dv ?? this.#fastDv();
    if (typeof value === 'number' && typeof offset === 'number' && offset >>> 0 === offset && offset + 2 <= d.byteLength && this.#writable)
      d.setUint16(offset, value, true);
    else this.#slow(offset, 2, CAN_WRITE, (d, o) => d.setUint16(o, checkValue(value, 2), true));
  }
  store32(offset: number, value: number): void {
    const d = this.#dv ?? this.#fastDv();
    if (typeof value === 'number' && typeof offset === 'number' && offset >>> 0 === offset && offset + 4 <= d.byteLength && this.#writable)
      d.setUint32(offset, value, true);
    else this.#slow(offset, 4, CAN_WRITE, (d, o) => d.setUint32(o, checkValue(value, 4), true));
  }
  store64(offset: number, value: bigint): void {
    const d = this.#dv ?? this.#fastDv();
    if (typeof value === 'bigint' && typeof offset === 'number' && offset >>> 0 === offset && offset + 8 <= d.byteLength && this.#writable)
      d.setBigUint64(offset, value, true);
    else this.#slow(offset, 8, CAN_WRITE, (d, o) => d.setBigUint64(o, checkValue(value, 8), true));
  }

  // ---- internals ----

  #live(): MapId {
    if (this.#id === 0) throw codedError('ERR_MMAPKIT_CLOSED', 'The mapping has been unmapped');
    return this.#id;
  }

  #fastBuf(): Buffer {
    if (this.#id === 0 || this.#length > MAX_BUFFER) return Buffer.alloc(0);
    return this.#ownerBuffer();
  }

  #fastDv(): DataView {
    if (this.#id === 0 || this.#length > MAX_BUFFER) return new DataView(new ArrayBuffer(0));
    const b = this.#ownerBuffer();
    this.#dv = new DataView(b.buffer, b.byteOffset, b.length);
    return this.#dv;
  }

  /**
   * The checked path of loads and stores: explains why the fast path refused, or (for mappings
   * too large for one Buffer) makes the access through a small window.
   */
  #slow<T>(offset: number, size: number, need: number, access: (d: DataView, o: number) => T): T {
    const id = this.#live();
    if (typeof offset !== 'number') throw invalidType('offset', 'of type number', offset);
    if (!Number.isInteger(offset) || offset < 0 || offset > this.#length - size) {
      throw outOfRange('offset', `>= 0 and <= ${this.#length - size}`, offset);
    }
    this.#check(offset, size, need);
    const ps = pageSize();
    const start = offset - (offset % ps);
    const len = Math.min(this.#length - start, 2 * ps);
    return access(new DataView(binding().mapArrayBuffer(id, start, len)), offset - start);
  }

  /** Throws if [off, off + len) is not readable / writable by its recorded protection. */
  #check(off: number, len: number, need: number): void {
    if (need === CAN_WRITE && this.mode === 'readonly') {
      throw codedError('ERR_MMAPKIT_READ_ONLY', "The mapping is read-only (mode 'readonly'); writes are refused");
    }
    // Without protect(), the mode alone decides (checked above).
    if (len === 0 || this.#segments === null) return;
    const end = off + len;
    for (const s of this.#segments) {
      if (s.end <= off || s.start >= end) continue;
      if ((s.prot & need) === 0) {
        const what = need === CAN_WRITE ? 'written' : 'read';
        throw codedError(
          'ERR_MMAPKIT_PROTECTED',
          `Bytes ${Math.max(s.start, off)}..${Math.min(s.end, end) - 1} are protected ('${protName(s.prot)}') and cannot be ${what}`,
        );
      }
    }
  }

  /** See checkLoop(): the checks before library JavaScript loops over [off, off + len). */
  #loop(off: number, len: number, need: number, what: string, probe: boolean): LoopProbe | undefined {
    const id = this.#live();
    if (off + len > this.#length) {
      throw codedError('ERR_OUT_OF_RANGE', `The range ${off}+${len} is out of range: the mapping is ${this.#length} bytes long`);
    }
    this.#check(off, len, need);
    // Anonymous memory of ordinary pages cannot raise SIGBUS, and the protection table covers the
    // rest; file-backed memory (a file, shared memory, a memfd) and MAP_HUGETLB pages can.
    if (!probe || len === 0 || (this.kind === 'anonymous' && this.hugePages !== 'explicit')) return undefined;
    const base = off;
    return (o, n) => {
      if (n > 0) binding().mapTouch(id, base + o, n, what);
    };
  }

  #setProt(off: number, len: number, prot: number): void {
    this.#changes++;
    const ps = pageSize();
    // mprotect works on whole pages of the underlying map: widen in the mapping's coordinates.
    const base = this.offset % ps;
    const start = Math.max(0, Math.floor((off + base) / ps) * ps - base);
    const end = Math.min(this.#length, Math.ceil((off + len + base) / ps) * ps - base);
    const out: Segment[] = [];
    const uniform = (this.#readable ? CAN_READ : 0) | (this.#writable ? CAN_WRITE : 0);
    for (const s of this.#segments ?? [{ start: 0, end: this.#length, prot: uniform }]) {
      if (s.end <= start || s.start >= end) {
        out.push(s);
        continue;
      }
      if (s.start < start) out.push({ start: s.start, end: start, prot: s.prot });
      if (s.end > end) out.push({ start: end, end: s.end, prot: s.prot });
    }
    out.push({ start, end, prot });
    out.sort((a, b) => a.start - b.start);
    // Merge neighbours with the same protection.
    const merged: Segment[] = [];
    for (const s of out) {
      const last = merged[merged.length - 1];
      if (last && last.end === s.start && last.prot === s.prot) last.end = s.end;
      else merged.push({ ...s });
    }
    this.#segments = merged;
    this.#updateFlags();
  }

  #updateFlags(): void {
    const segments = this.#segments ?? [];
    this.#readable = segments.every((s) => (s.prot & CAN_READ) !== 0);
    this.#writable = this.mode !== 'readonly' && segments.every((s) => (s.prot & CAN_WRITE) !== 0);
  }

  #syncArgs(options: SyncOptions | undefined): [number, number, number] {
    this.#live();
    const o = toOptions<SyncOptions>(options, 'options', SYNC_KEYS);
    const [off, len] = toRange(o.offset, o.length, this.#length, 'mapping');
    const isAsync = o.async === undefined ? false : toBool(o.async, 'options.async');
    const invalidate = o.invalidate === undefined ? false : toBool(o.invalidate, 'options.invalidate');
    const k = kernelConstants();
    return [off, len, (isAsync ? k.MS_ASYNC : k.MS_SYNC) | (invalidate ? k.MS_INVALIDATE : 0)];
  }
}

/** The value check of the slow store path: numbers for 1–4 bytes, BigInt for 8 (wrapping like typed arrays). */
function checkValue<T>(value: T, size: number): T {
  if (size === 8 ? typeof value !== 'bigint' : typeof value !== 'number') {
    throw invalidType('value', size === 8 ? 'of type bigint' : 'of type number', value);
  }
  return value;
}

function protName(prot: number): Protection {
  return prot & CAN_WRITE ? 'readwrite' : prot & CAN_READ ? 'read' : 'none';
}

let cachedPageSize = 0;

/** The system page size in bytes. */
export function pageSize(): number {
  if (cachedPageSize === 0) cachedPageSize = binding().pageSize();
  return cachedPageSize;
}

/** @internal Builds a Mapping over an fd (shared by mapFile and the shared-memory helpers). */
export function mapFd(fd: number, o: Partial<MapFileOptions>, kind: MappingKind, path?: string): Mapping {
  const mode = o.mode === undefined ? 'readonly' : toChoice(o.mode, 'options.mode', MODES);
  const offset = o.offset === undefined ? 0 : toIndex(o.offset, 'options.offset');
  let length: number;
  if (o.length === undefined) {
    // The file's size is needed only for the default length; the same fstat gives its type, so a
    // pipe, FIFO or socket (size 0) is refused instead of giving an empty mapping.
    const { size, type } = statFd(fd);
    refuseUnmappable('mapFile()', path ?? fd, type);
    if (offset > size) {
      throw codedError(
        'ERR_OUT_OF_RANGE',
        `The value of "options.offset" is out of range. It is past the end of the file (${size} bytes) and no length was given. Received ${offset}`,
      );
    }
    length = size - offset;
  } else {
    length = toIndex(o.length, 'options.length');
    // With a length given there is no fstat (mmap refuses what cannot be mapped); a length of 0
    // calls no mmap, so the type is checked here.
    if (length === 0) refuseUnmappable('mapFile()', path ?? fd, statFd(fd).type);
  }
  if (offset + length > Number.MAX_SAFE_INTEGER) throw codedError('ERR_OUT_OF_RANGE', 'offset + length is larger than 2^53 - 1');
  const populate = o.populate === undefined ? false : toBool(o.populate, 'options.populate');
  const lock = o.lock === undefined ? false : toBool(o.lock, 'options.lock');
  const huge = o.hugePages === undefined ? false : toBool(o.hugePages, 'options.hugePages');
  const advice = o.advice === undefined ? undefined : toChoice(o.advice, 'options.advice', ADVICE_NAMES);
  const prot = mode === 'readonly' ? CAN_READ : CAN_READ | CAN_WRITE;
  const shared = mode !== 'private';
  let native: NativeMap;
  try {
    native = nativeMap(fd, offset, length, prot, shared, populate, false, false);
  } catch (err) {
    // mmap says ENODEV for a pipe, FIFO, socket or directory: say which, with a stable code.
    if ((err as { code?: string }).code === 'ENODEV') refuseUnmappable('mapFile()', path ?? fd, statFd(fd).type);
    throw err;
  }
  const m = new Mapping(INTERNAL, native, length, prot, mode, kind, offset, path, huge ? 'transparent' : false);
  return finishMapping(m, length, huge, advice, lock);
}

function finishMapping(m: Mapping, length: number, thp: boolean, advice: Advice | undefined, lock: boolean): Mapping {
  if (length === 0) return m;
  try {
    if (thp) m.advise('hugepage');
    if (advice !== undefined) m.advise(advice);
    if (lock) m.lock();
  } catch (err) {
    m.unmap();
    throw err;
  }
  return m;
}

/**
 * Maps a file, by path or by an open file descriptor (which stays yours to close; the mapping
 * does not need it after this call). Mapping an empty file, or asking for length 0, gives an empty
 * Mapping (length 0, an empty buffer) without calling mmap.
 */
export function mapFile(file: string | number, options?: MapFileOptions): Mapping {
  const o = toOptions<MapFileOptions>(options, 'options', MAP_FILE_KEYS);
  const mode = o.mode === undefined ? 'readonly' : toChoice(o.mode, 'options.mode', MODES);
  const b = binding();
  toPathOrFd(file, 'file');
  if (typeof file === 'number') return mapFd(file, o, 'file');
  const flags = mode === 'readwrite' ? kernelConstants().O_RDWR : kernelConstants().O_RDONLY;
  const fd = openForMapping('mapFile()', file, flags);
  try {
    return mapFd(fd, o, 'file', file);
  } catch (err) {
    if (err && typeof err === 'object' && (err as { syscall?: string }).syscall === 'mmap' && !(err as { path?: string }).path) {
      Object.defineProperty(err, 'path', { value: file, enumerable: true, configurable: true, writable: true });
      (err as Error).message += ` '${file}'`;
    }
    throw err;
  } finally {
    b.close(fd);
  }
}

/** Maps anonymous, zero-filled memory. */
export function mapAnonymous(length: number | bigint, options?: MapAnonymousOptions): Mapping {
  const len = toIndex(length, 'length');
  const o = toOptions<MapAnonymousOptions>(options, 'options', MAP_ANON_KEYS);
  const shared = o.shared === undefined ? false : toBool(o.shared, 'options.shared');
  const populate = o.populate === undefined ? false : toBool(o.populate, 'options.populate');
  const noReserve = o.noReserve === undefined ? false : toBool(o.noReserve, 'options.noReserve');
  const lock = o.lock === undefined ? false : toBool(o.lock, 'options.lock');
  let huge: boolean | 'explicit' | 'transparent' = false;
  if (o.hugePages !== undefined) {
    if (typeof o.hugePages === 'boolean') huge = o.hugePages;
    else huge = toChoice(o.hugePages, 'options.hugePages', ['explicit', 'transparent'] as const);
  }
  const prot = CAN_READ | CAN_WRITE;
  const make = (hugetlb: boolean): NativeMap => {
    // MAP_HUGETLB maps whole huge pages: ask for a multiple of 2 MiB, expose what was asked.
    const real = hugetlb ? Math.ceil(len / HUGE_PAGE) * HUGE_PAGE : len;
    return nativeMap(-1, 0, real, prot, shared, populate, noReserve, hugetlb);
  };
  let native: NativeMap;
  let got: false | 'explicit' | 'transparent' = false;
  if ((huge === true || huge === 'explicit') && len > 0) {
    try {
      native = make(true);
      got = 'explicit';
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (huge === 'explicit' || (code !== 'ENOMEM' && code !== 'EINVAL')) throw err;
      native = make(false);
      got = 'transparent';
    }
  } else {
    native = make(false);
    if (huge === 'transparent') got = 'transparent';
  }
  const m = new Mapping(INTERNAL, native, len, prot, shared ? 'readwrite' : 'private', 'anonymous', 0, undefined, len > 0 ? got : false);
  return finishMapping(m, len, got === 'transparent', undefined, lock);
}

/** Options of {@link Mapping.populate}. */
export interface PopulateOptions {
  /** Populate for writing (MADV_POPULATE_WRITE): pages become writable without a later fault. Default false. */
  write?: boolean;
}

function sigbusPopulate(off: number, len: number): Error {
  return codedError(
    'ERR_MMAPKIT_SIGBUS',
    `SIGBUS while populating bytes ${off} to ${off + len} of the mapping: the file is shorter than its mapping (was it truncated?)`,
  );
}

function populateWriteUnsupported(): Error {
  return codedError('ERR_MMAPKIT_UNSUPPORTED', 'populate({ write: true }) needs MADV_POPULATE_WRITE (Linux 5.14 or later); this kernel lacks it');
}
