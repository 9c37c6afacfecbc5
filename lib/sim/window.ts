/**
 * RegisterIO and MemoryView on the simulator, so code written against lib/interfaces.ts runs here
 * unchanged. `simWindow(bus, base, size)` is a register window on a bus range (exactly what a
 * native /dev/mem window is on real hardware); `simDeviceWindow(device)` is one directly on a
 * device. Each access through a window lets a little simulated time pass (100 ns by default,
 * about one uncached device read), deterministically — so a driver's poll loop lets the device
 * make progress, as it would on hardware.
 */
import { codedError } from '../errors';
import type { MemoryView, RegisterIO } from '../interfaces';
import { SimBusError } from './bus';
import { SimAccessRefused, simDeviceAccess, type SimAccessSize, type SimDevice } from './device';
import { SimScheduler } from './scheduler';
import {
  invalidType,
  outOfRange,
  simCheckDevice,
  simCheckWindow,
  toBool,
  toInstance,
  toOptions,
  toRegisterBigInt,
  toRegisterValue,
  toWindowOffset,
} from '../validate';

/** Anything that carries loads and stores by address: a SimBus, or a SimCpu (store buffer included). */
export interface SimMemoryPort {
  readonly scheduler: SimScheduler;
  read(address: number, size: SimAccessSize): number | bigint;
  write(address: number, value: number | bigint, size: SimAccessSize): void;
  /** Default simulated cost of one access through a window on this port, in ns. */
  readonly accessNs?: number;
}

export interface SimWindowOptions {
  /** Simulated nanoseconds each access takes (default: the port's `accessNs`, else 100). */
  accessNs?: number;
  /** Whether writes are allowed (default true). */
  writable?: boolean;
}

/** A value to store, checked and then masked to the width (two's complement for negatives). */
function checkNumber(value: unknown, bits: 8 | 16 | 32): number {
  const v = toRegisterValue(value, bits);
  return bits === 32 ? v >>> 0 : v & (2 ** bits - 1);
}

function windowOptions(options: unknown): { accessNs?: number; writable: boolean } {
  const o = toOptions<SimWindowOptions>(options, 'options', ['accessNs', 'writable']);
  return { accessNs: o.accessNs, writable: o.writable === undefined ? true : toBool(o.writable, 'options.writable') };
}

function checkPort(port: unknown): asserts port is SimMemoryPort {
  const p = port as Record<string, unknown> | null;
  if (typeof port !== 'object' || p === null || typeof p.read !== 'function' || typeof p.write !== 'function') {
    throw invalidType('port', 'a SimBus or a SimCpu (read, write and a scheduler)', port);
  }
  toInstance(p.scheduler, 'port.scheduler', SimScheduler);
}

function cost(port: { accessNs?: number }, options: SimWindowOptions): number {
  const ns = options.accessNs ?? port.accessNs ?? 100;
  if (typeof ns !== 'number') throw invalidType('accessNs', 'of type number', ns);
  if (!(ns >= 0) || !Number.isFinite(ns)) {
    throw outOfRange('accessNs', 'a finite number >= 0', ns);
  }
  return ns;
}

/** A register window: aligned accesses only, inside the window, like a native MMIO window. */
class SimRegisterWindow implements RegisterIO {
  constructor(
    readonly size: number,
    readonly writable: boolean,
    private readonly scheduler: SimScheduler,
    private readonly accessNs: number,
    private readonly doRead: (offset: number, size: SimAccessSize) => number | bigint,
    private readonly doWrite: (offset: number, value: number | bigint, size: SimAccessSize) => void,
  ) {}
  private get(offset: number, width: SimAccessSize): number | bigint {
    toWindowOffset(offset, width, this.size, true);
    const v = this.doRead(offset, width);
    this.scheduler.advance(this.accessNs);
    return v;
  }
  private put(offset: number, value: number | bigint, width: SimAccessSize): void {
    toWindowOffset(offset, width, this.size, true);
    if (!this.writable) throw codedError('ERR_MMAPKIT_READ_ONLY', 'Cannot write to a read-only register window');
    this.doWrite(offset, value, width);
    this.scheduler.advance(this.accessNs);
  }
  read8(offset: number): number {
    return this.get(offset, 1) as number;
  }
  read16(offset: number): number {
    return this.get(offset, 2) as number;
  }
  read32(offset: number): number {
    return this.get(offset, 4) as number;
  }
  read64(offset: number): bigint {
    return this.get(offset, 8) as bigint;
  }
  write8(offset: number, value: number): void {
    this.put(offset, checkNumber(value, 8), 1);
  }
  write16(offset: number, value: number): void {
    this.put(offset, checkNumber(value, 16), 2);
  }
  write32(offset: number, value: number): void {
    this.put(offset, checkNumber(value, 32), 4);
  }
  write64(offset: number, value: bigint): void {
    this.put(offset, BigInt.asUintN(64, toRegisterBigInt(value)), 8);
  }
}

/**
 * A RegisterIO on `size` bytes of the bus (or of a CPU's view of it) starting at physical `base`.
 * Accesses must be aligned to their width and inside the window (RangeError ERR_OUT_OF_RANGE /
 * ERR_MMAPKIT_UNALIGNED, thrown before any access); what lies behind may still answer with a
 * SimBusError (ERR_MMAPKIT_BUS_ERROR).
 */
export function simWindow(port: SimMemoryPort, base: number, size: number, options: SimWindowOptions = {}): RegisterIO {
  checkPort(port);
  simCheckWindow(base, size);
  const o = windowOptions(options);
  return new SimRegisterWindow(
    size,
    o.writable,
    port.scheduler,
    cost(port, o),
    (offset, width) => port.read(base + offset, width),
    (offset, value, width) => port.write(base + offset, value, width),
  );
}

/**
 * A RegisterIO directly on a device, without a bus; offsets are the device's own. An access the
 * device's rules refuse throws a SimBusError naming the offset as the address.
 */
export function simDeviceWindow(device: SimDevice, scheduler: SimScheduler, options: SimWindowOptions = {}): RegisterIO {
  simCheckDevice(device);
  toInstance(scheduler, 'scheduler', SimScheduler);
  const o = windowOptions(options);
  const run = (offset: number, width: SimAccessSize, value: number | bigint | undefined): number | bigint | undefined => {
    const r = simDeviceAccess(device, offset, width, value);
    if (r instanceof SimAccessRefused) {
      throw new SimBusError(offset, width, value === undefined ? 'read' : 'write', `${device.name}: ${r.reason}`);
    }
    return r;
  };
  return new SimRegisterWindow(
    device.size,
    o.writable,
    scheduler,
    cost({}, o),
    (offset, width) => run(offset, width, undefined) as number | bigint,
    (offset, value, width) => {
      run(offset, width, value);
    },
  );
}

/**
 * A MemoryView on `length` bytes at physical `base`: ordinary memory, so any offset inside the
 * view is allowed, aligned or not. Through a SimCpu, stores go through its store buffer.
 */
export function simMemoryView(port: SimMemoryPort, base: number, length: number, options: SimWindowOptions = {}): MemoryView {
  checkPort(port);
  simCheckWindow(base, length);
  const o = windowOptions(options);
  const ns = cost(port, o);
  const writable = o.writable;
  const get = (offset: number, width: SimAccessSize): number | bigint => {
    toWindowOffset(offset, width, length, false);
    const v = port.read(base + offset, width);
    port.scheduler.advance(ns);
    return v;
  };
  const put = (offset: number, value: number | bigint, width: SimAccessSize): void => {
    toWindowOffset(offset, width, length, false);
    if (!writable) throw codedError('ERR_MMAPKIT_READ_ONLY', 'Cannot write to a read-only memory view');
    port.write(base + offset, value, width);
    port.scheduler.advance(ns);
  };
  return {
    length,
    load8: (o) => get(o, 1) as number,
    load16: (o) => get(o, 2) as number,
    load32: (o) => get(o, 4) as number,
    load64: (o) => get(o, 8) as bigint,
    store8: (o, v) => put(o, checkNumber(v, 8), 1),
    store16: (o, v) => put(o, checkNumber(v, 16), 2),
    store32: (o, v) => put(o, checkNumber(v, 32), 4),
    store64: (o, v) => put(o, BigInt.asUintN(64, toRegisterBigInt(v)), 8),
  };
}
