/**
 * A simulated CPU's view of the bus, with a store buffer. Ordinary stores to RAM do not reach
 * memory at once: each lingers in the store buffer for a time drawn from the scheduler's seeded
 * generator and then becomes visible — so with the weak ('arm') model two stores can become
 * visible in the opposite order to the program's. Stores to device regions go to the device at
 * once, overtaking whatever still lingers. The CPU's own loads see its buffered stores
 * (store-to-load forwarding); a device doing DMA sees only what has reached memory. Barriers
 * drain the buffer, exactly the ordering the seed's doorbell needs:
 *
 *   descriptor stores visible  ≺  doorbell MMIO store
 *
 * With the 'tso' model (x86-64) stores become visible in program order and a device store first
 * drains the buffer, so the hazard cannot happen there.
 */
import { codedError } from '../errors';
import type { Barriers, MemoryView, RegisterIO } from '../interfaces';
import { SimBus } from './bus';
import { simLanes, simFromLanes, simNormalize, type SimAccessSize } from './device';
import { invalidType, invalidValue, outOfRange, simCheckSize, simCheckValue, toFiniteNumber, toInstance, toInt, toOptions, toStr } from '../validate';
import type { SimEvent, SimScheduler } from './scheduler';
import { simMemoryView, simWindow, type SimWindowOptions } from './window';

export interface SimCpuOptions {
  /** 'arm' (default): stores become visible in any order; 'tso': in program order (x86-64). */
  model?: 'arm' | 'tso';
  /** Range [min, max] of ns an ordinary store lingers before it is visible (default [0, 1000]). */
  lingerNs?: readonly [number, number];
  /** Stores the buffer holds; a store into a full buffer first retires the oldest (default 16). */
  bufferDepth?: number;
  /** Simulated cost of one access through this CPU's windows and views, ns (default 10). */
  accessNs?: number;
  /** Initiator name in traces (default 'cpu'). */
  name?: string;
}

/** A store waiting in the buffer. */
export interface SimBufferedStore {
  readonly seq: number;
  readonly address: number;
  readonly size: SimAccessSize;
  readonly value: number | bigint;
  /** When it was issued and when it becomes visible, ns. */
  readonly issued: number;
  readonly visibleAt: number;
}

/** Barriers bound to a SimCpu, plus counters of how often each was used. */
export interface SimBarriers extends Barriers {
  /** AArch64 dsb sy: drains the store buffer. */
  dsbSy(): void;
  /** AArch64 dsb st: drains the store buffer. */
  dsbSt(): void;
  readonly counts: Readonly<Record<'compiler' | 'full' | 'store' | 'load' | 'dsbSy' | 'dsbSt', number>>;
}

interface Entry extends SimBufferedStore {
  event: SimEvent | undefined;
}

function checkAccess(address: unknown, size: unknown): void {
  if (typeof address !== 'number') throw invalidType('address', 'of type number', address);
  toInt(address, 'address', 0, 2 ** 52 - 1);
  simCheckSize(size);
}

export class SimCpu {
  readonly scheduler: SimScheduler;
  readonly model: 'arm' | 'tso';
  readonly accessNs: number;
  readonly name: string;
  readonly barriers: SimBarriers;
  /** Counters: stores buffered, stores that became visible before an older one, loads forwarded. */
  readonly stats = { buffered: 0, reordered: 0, forwarded: 0, drains: 0 };
  private readonly linger: readonly [number, number];
  private readonly depth: number;
  private buffer: Entry[] = [];
  private seq = 0;

  constructor(
    readonly bus: SimBus,
    options: SimCpuOptions = {},
  ) {
    toInstance(bus, 'bus', SimBus);
    options = toOptions<SimCpuOptions>(options, 'options', ['model', 'lingerNs', 'bufferDepth', 'accessNs', 'name']);
    this.scheduler = bus.scheduler;
    this.model = options.model ?? 'arm';
    if (typeof this.model !== 'string') throw invalidType('options.model', "'arm' or 'tso'", this.model);
    if (this.model !== 'arm' && this.model !== 'tso') {
      throw invalidValue('options.model', "'arm' or 'tso'", options.model);
    }
    const linger = options.lingerNs ?? [0, 1000];
    if (
      !Array.isArray(linger) ||
      linger.length !== 2 ||
      typeof linger[0] !== 'number' ||
      typeof linger[1] !== 'number' ||
      !(linger[0] >= 0) ||
      !(linger[1] >= linger[0]) ||
      !(linger[1] <= 1e15)
    ) {
      throw codedError('ERR_OUT_OF_RANGE', 'The "lingerNs" option must be [min, max] with 0 <= min <= max <= 1e15');
    }
    this.linger = [linger[0], linger[1]];
    this.depth = options.bufferDepth ?? 16;
    if (typeof this.depth !== 'number') throw invalidType('options.bufferDepth', 'an integer', this.depth);
    if (!Number.isInteger(this.depth) || this.depth < 1 || this.depth > 1 << 20) {
      throw outOfRange('options.bufferDepth', `an integer >= 1 and <= ${1 << 20}`, options.bufferDepth);
    }
    this.accessNs = options.accessNs === undefined ? 10 : toFiniteNumber(options.accessNs, 'options.accessNs', 0, 1e15);
    this.name = options.name === undefined ? 'cpu' : toStr(options.name, 'options.name');
    const counts = { compiler: 0, full: 0, store: 0, load: 0, dsbSy: 0, dsbSt: 0 };
    this.barriers = {
      counts,
      compiler: () => {
        counts.compiler++;
      },
      full: () => {
        counts.full++;
        this.drain();
      },
      store: () => {
        counts.store++;
        this.drain();
      },
      load: () => {
        counts.load++;
      },
      dsbSy: () => {
        counts.dsbSy++;
        this.drain();
      },
      dsbSt: () => {
        counts.dsbSt++;
        this.drain();
      },
    };
  }

  /** Stores still waiting in the buffer, oldest first. */
  get pendingStores(): readonly SimBufferedStore[] {
    return this.buffer.map(({ event: _e, ...rest }) => rest);
  }

  /** A load: from the device at once, or from memory with the CPU's own buffered stores applied. */
  read(address: number, size: SimAccessSize): number | bigint {
    checkAccess(address, size);
    const region = this.bus.regionAt(address);
    const value = this.bus.read(address, size, this.name);
    if (region?.kind !== 'ram' || this.buffer.length === 0) return value;
    const lanes = simLanes(value, size);
    let forwarded = false;
    for (const e of this.buffer) {
      for (let i = 0; i < size; i++) {
        const k = address + i - e.address;
        if (k >= 0 && k < e.size) {
          lanes[i] = simLanes(e.value, e.size)[k];
          forwarded = true;
        }
      }
    }
    if (forwarded) this.stats.forwarded++;
    return simFromLanes(lanes);
  }

  /** A store: into the store buffer for RAM, straight to the device otherwise. */
  write(address: number, value: number | bigint, size: SimAccessSize): void {
    checkAccess(address, size);
    simCheckValue(value);
    const region = this.bus.regionAt(address);
    if (region === undefined || region.kind !== 'ram' || this.bus.regionAt(address + size - 1) !== region) {
      // Device (or nothing: the bus raises the error now, in program order).
      if (this.model === 'tso') this.drain();
      this.bus.write(address, value, size, this.name);
      return;
    }
    if (this.buffer.length >= this.depth) this.retire(this.buffer[0]);
    const v = simNormalize(value, size);
    const now = this.scheduler.now;
    const delay = this.scheduler.random.int(this.linger[0], this.linger[1]);
    const entry: Entry = { seq: this.seq++, address, size, value: v, issued: now, visibleAt: now + delay, event: undefined };
    entry.event = this.scheduler.at(entry.visibleAt, () => this.retire(entry), `${this.name}: store ${entry.seq} visible`);
    this.buffer.push(entry);
    this.stats.buffered++;
  }

  load8(a: number): number {
    return this.read(a, 1) as number;
  }
  load16(a: number): number {
    return this.read(a, 2) as number;
  }
  load32(a: number): number {
    return this.read(a, 4) as number;
  }
  load64(a: number): bigint {
    return this.read(a, 8) as bigint;
  }
  store8(a: number, v: number): void {
    this.write(a, v, 1);
  }
  store16(a: number, v: number): void {
    this.write(a, v, 2);
  }
  store32(a: number, v: number): void {
    this.write(a, v, 4);
  }
  store64(a: number, v: bigint): void {
    this.write(a, v, 8);
  }

  /** Make every buffered store visible, in program order. */
  drain(): void {
    if (this.buffer.length > 0) this.stats.drains++;
    while (this.buffer.length > 0) this.retire(this.buffer[0]);
  }

  /** A register window through this CPU (each access costs `accessNs` of simulated time). */
  window(base: number, size: number, options: SimWindowOptions = {}): RegisterIO {
    return simWindow(this, base, size, options);
  }

  /** A memory view through this CPU: its stores go through the store buffer. */
  memoryView(base: number, length: number, options: SimWindowOptions = {}): MemoryView {
    return simMemoryView(this, base, length, options);
  }

  /**
   * Make one store visible. Older stores to any of the same bytes go first (a CPU never lets a
   * younger store to an address be overtaken by an older one); under 'tso' all older stores go first.
   */
  private retire(entry: Entry): void {
    const idx = this.buffer.indexOf(entry);
    if (idx < 0) return;
    for (const older of this.buffer.slice(0, idx)) {
      const overlaps = older.address < entry.address + entry.size && entry.address < older.address + older.size;
      if (this.model === 'tso' || overlaps) this.retire(older);
    }
    const at = this.buffer.indexOf(entry);
    if (at < 0) return;
    if (at > 0) this.stats.reordered++;
    this.buffer.splice(at, 1);
    entry.event?.cancel();
    this.bus.write(entry.address, entry.value, entry.size, this.name);
  }
}
