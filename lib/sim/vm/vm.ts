/**
 * SimVm, the public face of the simulated virtual-memory system (docs/sim-vm.md). Its machinery —
 * frames, page tables, TLB glue, page cache, fault handler — is the VmKernel in kernel.ts, held in
 * a private field and reached only by the processes it spawns.
 */
import { toOptions } from '../../validate';
import { SIM_HUGE_PAGE_SIZE, SIM_PAGE_SIZE } from './constants';
import type { SimBlockDevice, SimFile } from './files';
import { VmKernel } from './kernel';
import { SimProcess } from './process';
import type { SimTlb } from './tlb';
import type { SimGlobalCounters, SimTraceEvent, SimVmOptions } from './types';

/**
 * A simulated machine: physical memory, CPUs with TLBs, a block device with files, and processes.
 * Create processes with {@link SimVm.spawn}; they make system calls and access memory.
 */
export class SimVm {
  readonly pageSize = SIM_PAGE_SIZE;
  readonly hugePageSize = SIM_HUGE_PAGE_SIZE;
  /** Number of physical frames. */
  readonly frames: number;
  readonly replacement: 'clock' | 'lru';
  /** One TLB per CPU. */
  readonly tlbs: SimTlb[];
  readonly device: SimBlockDevice;
  readonly #k: VmKernel;

  constructor(options: SimVmOptions = {}) {
    this.#k = new VmKernel(options);
    this.frames = this.#k.frames.frames;
    this.replacement = this.#k.frames.replacement;
    this.tlbs = this.#k.tlbs;
    this.device = this.#k.cache.device;
  }

  // ---------------------------------------------------------------- files

  /** Create (or replace) a simulated file with the given contents or size (a size makes a sparse file). */
  createFile(path: string, contents: Uint8Array | string | number = 0): SimFile {
    return this.#k.cache.createFile(path, contents);
  }

  /** Remove a file's name. Its pages stay while it is mapped or open, as on Linux. */
  unlink(path: string): boolean {
    return this.#k.cache.unlink(path);
  }

  /** The file at `path`, or undefined. */
  file(path: string): SimFile | undefined {
    return this.#k.cache.file(path);
  }

  /** A file's contents as read() sees them: the page cache where cached, else the block device. */
  fileBytes(path: string): Uint8Array {
    return this.#k.cache.fileBytes(path);
  }

  /** A file's contents as they are on the block device: what survives a crash (no dirty pages). */
  diskBytes(path: string): Uint8Array {
    return this.#k.cache.diskBytes(path);
  }

  /** Write every dirty page-cache page back to the block device (sync(2)). Returns pages written. */
  sync(): number {
    return this.#k.cache.sync();
  }

  /**
   * Drop clean page-cache pages that no process maps (echo 1 > /proc/sys/vm/drop_caches), so the
   * next access is a major fault. Returns pages dropped.
   */
  dropCaches(): number {
    return this.#k.cache.dropCaches();
  }

  // ---------------------------------------------------------------- processes

  /** Start a process with an empty address space. `cpu` picks its CPU (default: round robin). */
  spawn(options: { cpu?: number } = {}): SimProcess {
    options = toOptions<{ cpu?: number }>(options, 'options', ['cpu']);
    const k = this.#k;
    const cpu = k.cpuFor(options.cpu);
    const p = new SimProcess(k, this, k.newPid(), k.tables.allocTable(), cpu);
    k.registerChild(p);
    return p;
  }

  // ---------------------------------------------------------------- counters and trace

  /** Counters summed over every process (running or exited), plus the kernel's own. */
  counters(): SimGlobalCounters {
    return this.#k.counters();
  }

  /** The kept trace events (oldest first). */
  trace(): SimTraceEvent[] {
    return this.#k.events.list();
  }

  /** Forget the trace so far. */
  clearTrace(): void {
    this.#k.events.clear();
  }

  /** Events not kept because the trace was full. */
  get droppedEvents(): number {
    return this.#k.events.dropped;
  }
}
