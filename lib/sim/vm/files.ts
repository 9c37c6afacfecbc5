/**
 * The simulated storage: files (a size plus a page → block map) on a block device of 4 KiB blocks,
 * and the VMA record that maps a file (or anonymous memory) into a process.
 */
import { codedError } from '../../errors';
import { toBool, toInt, toStr } from '../../validate';
import { SIM_PAGE_SIZE } from './constants';

const PAGE = SIM_PAGE_SIZE;

/** A simulated file: its bytes live in blocks of the block device and, when cached, in frames. */
export class SimFile {
  /** @internal */ readonly id: number;
  readonly path: string;
  /** Size in bytes (st_size). */
  size = 0;
  /** @internal page index → block number; missing pages are holes (read as zeros). */
  readonly blocks = new Map<number, number>();
  /** @internal page index → frame. */
  readonly cache = new Map<number, number>();
  /** @internal mappings of this file, for the reverse map. */
  readonly vmas = new Set<SimVma>();
  /** @internal backing object of shared anonymous memory (no path). */
  readonly shmem: boolean;
  /** @internal */ unlinked = false;
  constructor(id: number, path: string, shmem: boolean) {
    toInt(id, 'id', 0, Number.MAX_SAFE_INTEGER);
    toStr(path, 'path');
    toBool(shmem, 'shmem');
    this.id = id;
    this.path = path;
    this.shmem = shmem;
  }
}

/**
 * What the kernel's machinery needs of a process (SimProcess is one): its address space, TLB tag,
 * CPU and counters.
 */
export interface SimVmaOwner {
  readonly pid: number;
  readonly asid: number;
  /** Root (PML4) table index. */
  readonly root: number;
  readonly cpu: number;
  readonly alive: boolean;
  /** Counters, indexed by the C_* constants. */
  readonly ctr: Float64Array;
  /** Number of huge-page VMAs (the TLB is searched for 2 MiB entries only when there are some). */
  readonly hugeVmas: number;
  findVma(v: number): SimVma | undefined;
}

const processes = new WeakSet<object>();

/** @internal Record a new SimProcess (so a SimMapping can check its argument without importing the class). */
export function registerSimProcess(p: SimVmaOwner): void {
  processes.add(p);
}

/** @internal Whether `value` is a SimProcess. */
export function isSimProcess(value: unknown): boolean {
  return typeof value === 'object' && value !== null && processes.has(value);
}

/** A virtual memory area: a contiguous range of one process's address space with one meaning. */
export interface SimVma {
  start: number;
  end: number;
  prot: number;
  shared: boolean;
  huge: boolean;
  /** The mapped file (for shared anonymous memory, its hidden shmem file); null for private anonymous memory. */
  file: SimFile | null;
  /** File page index mapped at `start`. */
  pgoff: number;
  /** Whether the file was opened for writing (a shared mapping may then become writable). */
  mayWrite: boolean;
  /** The process whose address space this is (a SimProcess). */
  proc: SimVmaOwner;
}

/** The simulated block device: 4 KiB blocks, allocated on first write. */
export class SimBlockDevice {
  /** @internal */ readonly data: (Uint8Array | undefined)[] = [];
  private readonly freeBlocks: number[] = [];
  reads = 0;
  writes = 0;
  alloc(): number {
    const b = this.freeBlocks.pop();
    if (b !== undefined) {
      this.data[b] = new Uint8Array(PAGE);
      return b;
    }
    this.data.push(new Uint8Array(PAGE));
    return this.data.length - 1;
  }
  release(b: number): void {
    toInt(b, 'b', 0, Math.max(0, this.data.length - 1));
    if (this.data[b] === undefined) {
      throw codedError('ERR_OUT_OF_RANGE', `Block ${b} of the simulated block device is not allocated.`);
    }
    this.data[b] = undefined;
    this.freeBlocks.push(b);
  }
  /** Blocks in use. */
  get used(): number {
    return this.data.length - this.freeBlocks.length;
  }
}
