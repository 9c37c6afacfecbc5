/**
 * The page cache every process shares, over the simulated block device: files by name, read() and
 * write() through cached frames, writeback (sync, msync, eviction) with the reverse map that
 * write-protects or unmaps a cached page in every process mapping it, and truncation.
 */
import { codedError, systemError } from '../../errors';
import { toStr } from '../../validate';
import { simBytes } from '../../validate';
import { F_CACHE, FL_DIRTY, FL_PIN, PTE_P, PTE_W, SIM_PAGE_SIZE } from './constants';
import type { VmEvents } from './events';
import { SimBlockDevice, SimFile } from './files';
import type { FrameTable } from './frames';
import type { Mmu } from './mmu';
import type { PageTables } from './pagetables';

const PAGE = SIM_PAGE_SIZE;
/** Largest simulated file size (createFile with a size). */
const SIM_MAX_FILE_SIZE = 2 ** 40;
/** Largest file fileBytes()/diskBytes() copy out. */
const SIM_MAX_COPY = 2 ** 31;

/** @internal */
export class PageCache {
  readonly device = new SimBlockDevice();
  /** Files by name, and every file (named, unlinked or shmem) by id. */
  readonly files = new Map<string, SimFile>();
  readonly fileById: (SimFile | undefined)[] = [];
  /** Whether the last cachePage() read from the block device (a major fault). */
  lastMajor = false;
  evictions = 0;
  writebacks = 0;

  constructor(
    private readonly frames: FrameTable,
    private readonly tables: PageTables,
    private readonly mmu: Mmu,
    private readonly events: VmEvents,
  ) {}

  /** Create (or replace) a simulated file with the given contents or size (a size makes a sparse file). */
  createFile(path: string, contents: Uint8Array | string | number = 0): SimFile {
    if (typeof path !== 'string' || path === '') {
      throw codedError('ERR_INVALID_ARG_TYPE', 'The "path" argument must be a non-empty string.');
    }
    if (typeof contents === 'number') {
      if (!Number.isSafeInteger(contents) || contents < 0 || contents > SIM_MAX_FILE_SIZE) {
        throw codedError('ERR_OUT_OF_RANGE', `The file size must be a non-negative integer no larger than ${SIM_MAX_FILE_SIZE} (2^40). Received ${contents}`);
      }
    } else if (typeof contents !== 'string') {
      simBytes(contents, 'contents', 'read');
    }
    const old = this.files.get(path);
    if (old) this.unlink(path);
    const f = this.newFile(path, false);
    if (typeof contents === 'number') {
      if (!Number.isSafeInteger(contents) || contents < 0) {
        throw codedError('ERR_OUT_OF_RANGE', `The file size must be a non-negative integer. Received ${contents}`);
      }
      f.size = contents;
    } else {
      const bytes = typeof contents === 'string' ? new TextEncoder().encode(contents) : contents;
      if (!(bytes instanceof Uint8Array)) {
        throw codedError('ERR_INVALID_ARG_TYPE', 'The "contents" argument must be a Uint8Array, a string or a size.');
      }
      f.size = bytes.length;
      for (let off = 0; off < bytes.length; off += PAGE) {
        const b = this.device.alloc();
        this.device.data[b]!.set(bytes.subarray(off, Math.min(off + PAGE, bytes.length)));
        f.blocks.set(off / PAGE, b);
      }
    }
    return f;
  }

  /** */
  newFile(path: string, shmem: boolean): SimFile {
    const f = new SimFile(this.fileById.length, path, shmem);
    this.fileById.push(f);
    if (!shmem) this.files.set(path, f);
    return f;
  }

  /** Remove a file's name. Its pages stay while it is mapped or open, as on Linux. */
  unlink(path: string): boolean {
    toStr(path, 'path');
    const f = this.files.get(path);
    if (!f) return false;
    this.files.delete(path);
    f.unlinked = true;
    return true;
  }

  /** The file at `path`, or undefined. */
  file(path: string): SimFile | undefined {
    toStr(path, 'path');
    return this.files.get(path);
  }

  /** A file's contents as read() sees them: the page cache where cached, else the block device. */
  fileBytes(path: string): Uint8Array {
    const f = this.mustFile(path);
    const out = new Uint8Array(f.size);
    for (let off = 0; off < f.size; off += PAGE) {
      const idx = off / PAGE;
      const n = Math.min(PAGE, f.size - off);
      const fr = f.cache.get(idx);
      if (fr !== undefined) out.set(this.frames.mem.subarray(fr * PAGE, fr * PAGE + n), off);
      else {
        const b = f.blocks.get(idx);
        if (b !== undefined) out.set(this.device.data[b]!.subarray(0, n), off);
      }
    }
    return out;
  }

  /** A file's contents as they are on the block device: what survives a crash (no dirty pages). */
  diskBytes(path: string): Uint8Array {
    const f = this.mustFile(path);
    const out = new Uint8Array(f.size);
    for (const [idx, b] of f.blocks) {
      const off = idx * PAGE;
      if (off >= f.size) continue;
      out.set(this.device.data[b]!.subarray(0, Math.min(PAGE, f.size - off)), off);
    }
    return out;
  }

  private mustFile(path: string): SimFile {
    toStr(path, 'path');
    const f = this.files.get(path);
    if (!f) throw systemError(2, 'open', path, 'No such simulated file');
    if (f.size > SIM_MAX_COPY) {
      throw codedError(
        'ERR_OUT_OF_RANGE',
        `The simulated file '${path}' is ${f.size} bytes long: too large to copy out (at most ${SIM_MAX_COPY} bytes, 2^31).`,
      );
    }
    return f;
  }

  /** Write every dirty page-cache page back to the block device (sync(2)). Returns pages written. */
  sync(): number {
    let n = 0;
    for (let f = 0; f < this.frames.frames; f++) {
      if (this.frames.fKind[f] === F_CACHE && this.frames.fFlags[f] & FL_DIRTY) {
        this.writeback(f);
        n++;
      }
    }
    return n;
  }

  /**
   * Drop clean page-cache pages that no process maps (echo 1 > /proc/sys/vm/drop_caches), so the
   * next access is a major fault. Returns pages dropped.
   */
  dropCaches(): number {
    let n = 0;
    for (const file of this.fileById) {
      if (!file) continue;
      for (const [idx, fr] of file.cache) {
        if (this.frames.fFlags[fr] & (FL_DIRTY | FL_PIN)) continue;
        if (this.isMapped(file, idx, fr)) continue;
        this.removeCachePage(file, idx, fr);
        n++;
      }
    }
    return n;
  }

  /** read() through the page cache. */
  readFile(file: SimFile, pos: number, buf: Uint8Array, count: number): number {
    if (pos >= file.size || count === 0) return 0;
    const n = Math.min(count, file.size - pos);
    for (let done = 0; done < n;) {
      const off = pos + done;
      const idx = Math.floor(off / PAGE);
      const inPage = off - idx * PAGE;
      const k = Math.min(PAGE - inPage, n - done);
      const f = this.cachePage(file, idx);
      buf.set(this.frames.mem.subarray(f * PAGE + inPage, f * PAGE + inPage + k), done);
      done += k;
    }
    return n;
  }

  /** write() through the page cache: pages become dirty; the file grows as needed. */
  writeFile(file: SimFile, pos: number, data: Uint8Array, count: number): number {
    for (let done = 0; done < count;) {
      const off = pos + done;
      const idx = Math.floor(off / PAGE);
      const inPage = off - idx * PAGE;
      const k = Math.min(PAGE - inPage, count - done);
      const f = this.cachePage(file, idx);
      this.frames.mem.set(data.subarray(done, done + k), f * PAGE + inPage);
      this.markDirty(f);
      done += k;
    }
    if (pos + count > file.size) file.size = pos + count;
    return count;
  }

  /** Write back the dirty cached pages of `file` with index in [first, end). */
  writebackRange(file: SimFile, first: number, end: number): void {
    for (const [idx, f] of file.cache) {
      if (idx >= first && idx < end && this.frames.fFlags[f] & FL_DIRTY) this.writeback(f);
    }
  }

  /**
   * Set a file's size. Shrinking removes the pages wholly past the new end from the page
   * cache, the block device and every mapping (private copies too, as Linux's truncate does), and
   * zeroes the tail of the new last page.
   */
  truncate(file: SimFile, size: number): void {
    if (size < file.size) {
      const keep = Math.ceil(size / PAGE);
      for (const vma of file.vmas) {
        const pages = (vma.end - vma.start) / PAGE;
        if (vma.pgoff + pages <= keep) continue;
        const s = vma.start + Math.max(0, keep - vma.pgoff) * PAGE;
        const root = vma.proc.root;
        this.tables.forEachLeaf(root, s, vma.end, (slot) => {
          this.frames.dropMapping(this.tables.pt[slot], false);
          this.tables.pt[slot] = 0;
        });
        this.mmu.flushRange(vma.proc.asid, s, vma.end, false);
      }
      for (const [idx, f] of file.cache) if (idx >= keep) this.removeCachePage(file, idx, f);
      for (const [idx, b] of file.blocks) {
        if (idx >= keep) {
          this.device.release(b);
          file.blocks.delete(idx);
        }
      }
      const tail = size % PAGE;
      if (tail !== 0) {
        const f = file.cache.get(keep - 1);
        if (f !== undefined) this.frames.mem.fill(0, f * PAGE + tail, f * PAGE + PAGE);
        const b = file.blocks.get(keep - 1);
        if (b !== undefined) this.device.data[b]!.fill(0, tail);
      }
    }
    file.size = size;
  }

  /** Evict one page-cache frame: unmap it everywhere, write it back if dirty, free it. */
  evict(f: number): void {
    const file = this.fileById[this.frames.fFile[f]]!;
    const idx = this.frames.fIndex[f];
    if (this.frames.fFlags[f] & FL_DIRTY) this.writeback(f);
    this.evictions++;
    if (this.events.on) this.events.emit('eviction', 0, f * PAGE, `frame ${f}: ${file.path || 'shmem'} page ${idx}`);
    this.removeCachePage(file, idx, f);
  }

  /** Drop a page from the cache (after unmapping it from every process). Dirty data is lost. */
  removeCachePage(file: SimFile, idx: number, f: number): void {
    this.unmapCachePage(file, idx, f);
    file.cache.delete(idx);
    this.frames.cacheRemoved(f);
    this.frames.freeFrame(f);
  }

  /** Reverse map: clear every PTE that maps cache frame `f` (page `idx` of `file`). */
  private unmapCachePage(file: SimFile, idx: number, f: number): void {
    for (const vma of file.vmas) {
      const first = vma.pgoff;
      if (idx < first || idx >= first + (vma.end - vma.start) / PAGE) continue;
      const va = vma.start + (idx - first) * PAGE;
      const slot = this.tables.slotFor(vma.proc.root, va, 1, false);
      if (slot >= 0 && this.tables.pt[slot] & PTE_P && this.tables.pt[slot] >>> 4 === f) this.tables.pt[slot] = 0;
    }
    this.mmu.flushPhys(f * PAGE, f * PAGE + PAGE);
  }

  private isMapped(file: SimFile, idx: number, f: number): boolean {
    for (const vma of file.vmas) {
      const first = vma.pgoff;
      if (idx < first || idx >= first + (vma.end - vma.start) / PAGE) continue;
      const slot = this.tables.slotFor(vma.proc.root, vma.start + (idx - first) * PAGE, 1, false);
      if (slot >= 0 && this.tables.pt[slot] & PTE_P && this.tables.pt[slot] >>> 4 === f) return true;
    }
    return false;
  }

  /** Write a dirty cache frame to the block device and write-protect its shared mappings. */
  writeback(f: number): void {
    const file = this.fileById[this.frames.fFile[f]]!;
    const idx = this.frames.fIndex[f];
    const off = idx * PAGE;
    if (off < file.size) {
      let b = file.blocks.get(idx);
      if (b === undefined) {
        b = this.device.alloc();
        file.blocks.set(idx, b);
      }
      const blk = this.device.data[b]!;
      const n = Math.min(PAGE, file.size - off);
      blk.set(this.frames.mem.subarray(f * PAGE, f * PAGE + n));
      blk.fill(0, n);
      this.device.writes++;
    }
    this.writebacks++;
    this.frames.fFlags[f] &= ~FL_DIRTY;
    if (this.events.on) this.events.emit('writeback', 0, f * PAGE, `frame ${f} → ${file.path || 'shmem'} page ${idx}`);
    // page_mkclean: the next store through any mapping must fault again to re-dirty the page.
    for (const vma of file.vmas) {
      if (!vma.shared) continue;
      const first = vma.pgoff;
      if (idx < first || idx >= first + (vma.end - vma.start) / PAGE) continue;
      const slot = this.tables.slotFor(vma.proc.root, vma.start + (idx - first) * PAGE, 1, false);
      if (slot >= 0 && this.tables.pt[slot] & PTE_P && this.tables.pt[slot] >>> 4 === f) this.tables.pt[slot] &= ~PTE_W;
    }
    this.mmu.flushPhys(f * PAGE, f * PAGE + PAGE);
  }

  /** Mark a cache frame dirty. */
  markDirty(f: number): void {
    this.frames.fFlags[f] |= FL_DIRTY;
  }

  /** */
  /** */

  /**
   * The cache frame holding page `idx` of `file`, reading it from the block device (a
   * major fault, for a fault) when it is not cached.
   */
  cachePage(file: SimFile, idx: number): number {
    let f = file.cache.get(idx);
    if (f !== undefined) {
      this.lastMajor = false;
      this.frames.touchFrame(f);
      return f;
    }
    f = this.frames.allocFrame();
    const off = f * PAGE;
    const b = file.blocks.get(idx);
    if (b !== undefined) {
      this.frames.mem.set(this.device.data[b]!, off);
      this.device.reads++;
    } else {
      this.frames.mem.fill(0, off, off + PAGE);
    }
    this.frames.fKind[f] = F_CACHE;
    this.frames.fFlags[f] = 0;
    this.frames.fFile[f] = file.id;
    this.frames.fIndex[f] = idx;
    file.cache.set(idx, f);
    this.frames.cacheInserted(f);
    this.lastMajor = true;
    return f;
  }
}
