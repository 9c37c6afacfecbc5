/**
 * The physical bus: one address space holding RAM regions and device (MMIO) regions at base
 * addresses. A load or store of 1, 2, 4 or 8 bytes (little-endian) goes to the region that holds
 * its address; a device decides, through its access rules, which sizes it takes. An access to
 * unmapped space, or one the device refuses, is a bus error naming the physical address
 * (code ERR_MMAPKIT_BUS_ERROR). Regions may not overlap unless both were given an explicit
 * priority, in which case the higher priority answers for the shared addresses (QEMU's
 * subregion priorities).
 */
import { MmapkitError, codedError } from '../errors';
import type { RegisterIO } from '../interfaces';
import {
  SimAccessRefused,
  SimDeviceBase,
  simDeviceAccess,
  simHex,
  simNormalize,
  type SimAccessRules,
  type SimAccessSize,
  type SimDevice,
  type SimGuestError,
} from './device';
import { SimScheduler } from './scheduler';
import { SimTraced } from './trace';
import {
  invalidType,
  outOfRange,
  simCheckAccess,
  simCheckDevice,
  simCheckSize,
  simCheckValue,
  simFeedBytes,
  toChoice,
  toFunction,
  toInstance,
  toOptions,
  toStr,
} from '../validate';

/** The largest RAM region one call makes (1 GiB). */
export const SIM_MAX_RAM = 2 ** 30;

/** A bus error: nothing answered at the address, or the device refused the access. */
export class SimBusError extends MmapkitError {
  constructor(
    readonly address: number,
    readonly size: SimAccessSize,
    readonly access: 'read' | 'write',
    readonly reason: string,
  ) {
    super(...busErrorArgs(address, size, access, reason));
    this.name = 'SimBusError';
  }
}

function busErrorArgs(address: unknown, size: unknown, access: unknown, reason: unknown): ['ERR_MMAPKIT_BUS_ERROR', string] {
  if (typeof address !== 'number' || !Number.isSafeInteger(address)) throw invalidType('address', 'an integer', address);
  simCheckSize(size);
  toChoice(access, 'access', ['read', 'write'] as const);
  toStr(reason, 'reason');
  return ['ERR_MMAPKIT_BUS_ERROR', `Bus error: ${size}-byte ${access} at physical address ${simHex(address)}: ${reason}`];
}

/** Plain memory: a byte array any size of access may reach, aligned or not. */
export class SimRam implements SimDevice {
  readonly access: SimAccessRules = { sizes: [1, 2, 4, 8], other: 'refuse', unaligned: true };
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(
    readonly name: string,
    readonly size: number,
  ) {
    toStr(name, 'name');
    if (typeof size !== 'number') throw invalidType('size', 'of type number', size);
    if (!Number.isSafeInteger(size) || size <= 0 || size > SIM_MAX_RAM) {
      throw outOfRange('size', `a positive integer no larger than ${SIM_MAX_RAM} (1 GiB)`, size);
    }
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  read(offset: number, size: SimAccessSize): number | bigint {
    this.check(offset, size);
    switch (size) {
      case 1:
        return this.view.getUint8(offset);
      case 2:
        return this.view.getUint16(offset, true);
      case 4:
        return this.view.getUint32(offset, true);
      default:
        return this.view.getBigUint64(offset, true);
    }
  }
  write(offset: number, value: number | bigint, size: SimAccessSize): void {
    this.check(offset, size);
    simCheckValue(value);
    if (typeof value === 'number') value = Math.trunc(value);
    switch (size) {
      case 1:
        this.view.setUint8(offset, Number(value));
        break;
      case 2:
        this.view.setUint16(offset, Number(value), true);
        break;
      case 4:
        this.view.setUint32(offset, Number(value), true);
        break;
      default:
        this.view.setBigUint64(offset, BigInt.asUintN(64, BigInt(value)), true);
    }
  }

  private check(offset: unknown, size: unknown): void {
    simCheckAccess(offset, size);
    if ((offset as number) + (size as number) > this.size) {
      throw outOfRange('offset', `<= ${this.size - (size as number)} for a ${size as number}-byte access`, offset as number);
    }
  }
}

/** 'ram' regions are ordinary memory (cached, buffered by the CPU); 'device' regions are MMIO. */
export type SimRegionKind = 'ram' | 'device';

/** A region mapped on the bus. */
export interface SimRegion {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  readonly kind: SimRegionKind;
  /** Explicit priority, or undefined (then the region may not overlap any other). */
  readonly priority: number | undefined;
  readonly device: SimDevice;
}

export interface SimMapOptions {
  /** Name in traces and errors (default: the device's name). */
  name?: string;
  /** Explicit priority; overlapping regions must all have one, and the highest answers. */
  priority?: number;
  /** 'device' (default for devices) or 'ram'. */
  kind?: SimRegionKind;
}

/** A device's handle on the bus for its own DMA transactions (traced with the device as initiator). */
export interface SimBusMaster {
  readonly name: string;
  read(address: number, size: SimAccessSize): number | bigint;
  write(address: number, value: number | bigint, size: SimAccessSize): void;
  /** Copy `length` bytes starting at `address`. */
  readBytes(address: number, length: number): Uint8Array;
  writeBytes(address: number, bytes: Uint8Array): void;
}

export interface SimBusOptions {
  /** The scheduler for simulated time (default: a new one with `seed`). */
  scheduler?: SimScheduler;
  /** Seed for a new scheduler (default 1). */
  seed?: number;
}

const MAX_ADDRESS = 2 ** 52;

export class SimBus extends SimTraced {
  readonly scheduler: SimScheduler;
  private list: SimRegion[] = [];
  private last: SimRegion | undefined;
  /** Guest errors of every device attached to this bus, oldest first (at most 1000). */
  readonly guestErrors: SimGuestError[] = [];

  constructor(options: SimBusOptions = {}) {
    super();
    options = toOptions<SimBusOptions>(options, 'options', ['scheduler', 'seed']);
    this.scheduler =
      options.scheduler === undefined ? new SimScheduler({ seed: options.seed ?? 1 }) : toInstance(options.scheduler, 'options.scheduler', SimScheduler);
  }

  /** The mapped regions, by base address. */
  get regions(): readonly SimRegion[] {
    return [...this.list].sort((a, b) => a.base - b.base || (b.priority ?? 0) - (a.priority ?? 0));
  }

  /** Map RAM of `size` bytes at `base`; returns the RAM (its `bytes` are the contents). */
  addRam(base: number, size: number, options: Omit<SimMapOptions, 'kind'> = {}): SimRam {
    checkAddress(base, 'base');
    options = toOptions<SimMapOptions>(options, 'options', ['name', 'priority']);
    if (options.name !== undefined) toStr(options.name, 'options.name');
    const ram = new SimRam(options.name ?? 'ram', size);
    this.map(base, ram, { ...options, kind: 'ram' });
    return ram;
  }

  /**
   * Map a device (or any SimDevice) at `base`. Throws ERR_INVALID_ARG_VALUE if it overlaps a
   * region and the two do not both have explicit, different priorities.
   */
  map(base: number, device: SimDevice, options: SimMapOptions = {}): SimRegion {
    checkAddress(base, 'base');
    simCheckDevice(device);
    options = toOptions<SimMapOptions>(options, 'options', ['name', 'priority', 'kind']);
    const name = options.name === undefined ? device.name : toStr(options.name, 'options.name');
    if (options.priority !== undefined && (typeof options.priority !== 'number' || !Number.isSafeInteger(options.priority))) {
      throw invalidType('options.priority', 'an integer', options.priority);
    }
    if (options.kind !== undefined) toChoice(options.kind, 'options.kind', ['ram', 'device'] as const);
    const region: SimRegion = {
      name,
      base,
      size: device.size,
      kind: options.kind ?? (device instanceof SimRam ? 'ram' : 'device'),
      priority: options.priority,
      device,
    };
    if (base + device.size > MAX_ADDRESS) {
      throw codedError('ERR_OUT_OF_RANGE', `Region '${name}' ends beyond the bus's address space (${simHex(MAX_ADDRESS)})`);
    }
    for (const other of this.list) {
      if (base < other.base + other.size && other.base < base + device.size) {
        const ok = region.priority !== undefined && other.priority !== undefined && region.priority !== other.priority;
        if (!ok) {
          throw usage(
            `Region '${name}' [${simHex(base)}, ${simHex(base + device.size)}) overlaps region '${other.name}' ` +
              `[${simHex(other.base)}, ${simHex(other.base + other.size)}); give both an explicit, different priority to layer them`,
          );
        }
      }
    }
    this.list.push(region);
    this.last = undefined;
    if (device instanceof SimDeviceBase) {
      device.guestErrorSink = (e) => {
        if (this.guestErrors.length >= 1000) this.guestErrors.shift();
        this.guestErrors.push(e);
      };
    }
    return region;
  }

  /**
   * Map any RegisterIO (for example a simulated GPIO block) as a device region; `registerName`
   * names offsets in traces.
   */
  mapRegisterIO(
    base: number,
    io: RegisterIO,
    options: SimMapOptions & { access?: SimAccessRules; registerName?: (offset: number) => string | undefined } = {},
  ): SimRegion {
    options = toOptions<SimMapOptions & { access?: SimAccessRules; registerName?: (offset: number) => string | undefined }>(options, 'options', [
      'name',
      'priority',
      'kind',
      'access',
      'registerName',
    ]);
    checkAddress(base, 'base');
    const device = simRegisterIODevice(io, options.name ?? 'regs', options.access);
    if (options.registerName !== undefined)
      device.registerName = toFunction<(offset: number) => string | undefined>(options.registerName, 'options.registerName');
    return this.map(base, device, { name: options.name, priority: options.priority, kind: options.kind });
  }

  /** Remove a region (by name or the region itself). */
  unmap(region: SimRegion | string): void {
    if (typeof region !== 'string' && !this.list.includes(region)) {
      if (typeof region !== 'object' || region === null) throw invalidType('region', 'a region name or a SimRegion', region);
      throw usage('The region is not mapped on this bus');
    }
    const before = this.list.length;
    this.list = this.list.filter((r) => (typeof region === 'string' ? r.name !== region : r !== region));
    if (this.list.length === before) throw usage(`No region ${typeof region === 'string' ? `'${region}'` : `'${region.name}'`} is mapped`);
    this.last = undefined;
  }

  /** The region answering at `address`, or undefined. */
  regionAt(address: number): SimRegion | undefined {
    if (typeof address !== 'number') throw invalidType('address', 'of type number', address);
    const last = this.last;
    if (last !== undefined && address >= last.base && address < last.base + last.size && last.priority === undefined) return last;
    let best: SimRegion | undefined;
    for (const r of this.list) {
      if (address >= r.base && address < r.base + r.size && (best === undefined || (r.priority ?? 0) > (best.priority ?? 0))) best = r;
    }
    this.last = best;
    return best;
  }

  /** A load of `size` bytes: a number for 1, 2, 4; a bigint for 8. */
  read(address: number, size: SimAccessSize, initiator = 'cpu'): number | bigint {
    toStr(initiator, 'initiator');
    return this.access(address, size, undefined, initiator) as number | bigint;
  }

  /** A store of `size` bytes (value masked to the size). */
  write(address: number, value: number | bigint, size: SimAccessSize, initiator = 'cpu'): void {
    if (typeof value !== 'number' && typeof value !== 'bigint') {
      throw invalidType('value', 'of type number or bigint', value);
    }
    toStr(initiator, 'initiator');
    checkAddress(address, 'address');
    simCheckSize(size);
    this.access(address, size, simNormalize(value, size), initiator);
  }

  read8(address: number): number {
    return this.read(address, 1) as number;
  }
  read16(address: number): number {
    return this.read(address, 2) as number;
  }
  read32(address: number): number {
    return this.read(address, 4) as number;
  }
  read64(address: number): bigint {
    return this.read(address, 8) as bigint;
  }
  write8(address: number, value: number): void {
    this.write(address, value, 1);
  }
  write16(address: number, value: number): void {
    this.write(address, value, 2);
  }
  write32(address: number, value: number): void {
    this.write(address, value, 4);
  }
  write64(address: number, value: bigint): void {
    this.write(address, value, 8);
  }

  /** A DMA handle for a device: its transactions are traced with `name` as the initiator. */
  master(name: string): SimBusMaster {
    toStr(name, 'name');
    return {
      name,
      read: (address, size) => this.read(address, size, name),
      write: (address, value, size) => this.write(address, value, size, name),
      readBytes: (address, length) => {
        if (typeof length !== 'number') throw invalidType('length', 'of type number', length);
        if (!Number.isSafeInteger(length) || length < 0 || length > SIM_MAX_RAM) {
          throw outOfRange('length', `an integer >= 0 and <= ${SIM_MAX_RAM}`, length);
        }
        // Aligned 8-byte reads where possible, single bytes at the edges.
        const out = new Uint8Array(length);
        let i = 0;
        while (i < length) {
          if ((address + i) % 8 === 0 && length - i >= 8) {
            let v = this.read(address + i, 8, name) as bigint;
            for (let k = 0; k < 8; k++, v >>= 8n) out[i + k] = Number(v & 0xffn);
            i += 8;
          } else {
            out[i] = this.read(address + i, 1, name) as number;
            i++;
          }
        }
        return out;
      },
      writeBytes: (address, bytes) => {
        bytes = Uint8Array.from(simFeedBytes(bytes, 'bytes'));
        for (let i = 0; i < bytes.length; i++) this.write(address + i, bytes[i], 1, name);
      },
    };
  }

  private access(address: number, size: SimAccessSize, value: number | bigint | undefined, initiator: string): number | bigint | undefined {
    checkAddress(address, 'address');
    if (size !== 1 && size !== 2 && size !== 4 && size !== 8) {
      throw outOfRange('size', '1, 2, 4 or 8', size);
    }
    const kind = value === undefined ? 'read' : 'write';
    const region = this.regionAt(address);
    const fail = (reason: string, target: string, offset: number): never => {
      this.tracer?.add({ time: this.scheduler.now, space: 'mem', initiator, kind, address, size, value, target, offset, error: reason });
      throw new SimBusError(address, size, kind, reason);
    };
    if (region === undefined) return fail('no memory or device is mapped there', 'unassigned', 0);
    const offset = address - region.base;
    if (this.regionAt(address + size - 1) !== region) {
      return fail(`the access runs past the end of region '${region.name}'`, region.name, offset);
    }
    const result = simDeviceAccess(region.device, offset, size, value);
    if (result instanceof SimAccessRefused) return fail(`${region.name}: ${result.reason}`, region.name, offset);
    if (this.tracer) {
      const register = region.device.registerName?.(offset);
      this.tracer.add({
        time: this.scheduler.now,
        space: 'mem',
        initiator,
        kind,
        address,
        size,
        value: value ?? result,
        target: region.name,
        offset,
        ...(register !== undefined ? { register } : {}),
      });
    }
    return result;
  }
}

function usage(message: string): Error {
  return codedError('ERR_INVALID_ARG_VALUE', message);
}

function checkAddress(address: number, name: string): void {
  if (typeof address !== 'number') {
    throw invalidType(name, 'of type number', address);
  }
  if (!Number.isSafeInteger(address) || address < 0 || address >= MAX_ADDRESS) {
    throw outOfRange(name, 'an integer >= 0 and < 2 ** 52', address);
  }
}

/**
 * Wrap any RegisterIO as a SimDevice (for the bus or a port range). Default rules: 4-byte
 * accesses only, other sizes refused — the register blocks written this way are 32-bit.
 */
export function simRegisterIODevice(
  io: RegisterIO,
  name: string,
  access: SimAccessRules = { sizes: [4], other: 'refuse' },
): SimDevice & { registerName?: (offset: number) => string | undefined } {
  const r = io as unknown as Record<string, unknown> | null;
  if (
    typeof io !== 'object' ||
    r === null ||
    typeof r.size !== 'number' ||
    !Number.isSafeInteger(r.size) ||
    (r.size as number) < 0 ||
    !['read8', 'read16', 'read32', 'read64', 'write8', 'write16', 'write32', 'write64'].every((k) => typeof r[k] === 'function')
  ) {
    throw invalidType('io', 'a RegisterIO (read8 … write64 and a size)', io);
  }
  toStr(name, 'name');
  if (
    typeof access !== 'object' ||
    access === null ||
    !Array.isArray(access.sizes) ||
    (access.other !== 'split' && access.other !== 'refuse') ||
    !access.sizes.every((s) => s === 1 || s === 2 || s === 4 || s === 8)
  ) {
    throw invalidType('access', "access rules ({ sizes: [1, 2, 4, 8], other: 'split' | 'refuse' })", access);
  }
  return {
    name,
    size: io.size,
    access,
    read(offset, size) {
      switch (size) {
        case 1:
          return io.read8(offset);
        case 2:
          return io.read16(offset);
        case 4:
          return io.read32(offset);
        default:
          return io.read64(offset);
      }
    },
    write(offset, value, size) {
      switch (size) {
        case 1:
          io.write8(offset, Number(value));
          break;
        case 2:
          io.write16(offset, Number(value));
          break;
        case 4:
          io.write32(offset, Number(value));
          break;
        default:
          io.write64(offset, BigInt(value));
      }
    },
  };
}
