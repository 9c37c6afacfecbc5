/**
 * The x86 I/O port space: 65536 byte-addressed ports reached with in/out of 8, 16 and 32 bits
 * (PortIO), separate from the physical address space. Port devices use the same model as bus
 * devices (read(offset, size) / write(offset, value, size) with access rules). Like a PC:
 * reading a port nobody answers gives all ones and writing it does nothing (recorded in the trace
 * as 'unassigned', no error); an access wider than a device takes is split into byte accesses at
 * consecutive ports. Each access lets `accessNs` of simulated time pass (1 µs by default, about
 * one ISA bus cycle).
 */
import { codedError } from '../errors';
import type { PortIO } from '../interfaces';
import {
  SimAccessRefused,
  SimDeviceBase,
  simAllOnes,
  simDeviceAccess,
  simFromLanes,
  simHex,
  simLanes,
  type SimAccessSize,
  type SimDevice,
  type SimGuestError,
} from './device';
import { SimScheduler } from './scheduler';
import { SimTraced } from './trace';
import { invalidType, outOfRange, simCheckDevice, toInstance, toOptions } from '../validate';

export interface SimPortSpaceOptions {
  scheduler?: SimScheduler;
  seed?: number;
  /** Simulated ns per in/out (default 1000). */
  accessNs?: number;
}

/** A device range in the port space. */
export interface SimPortRange {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  readonly device: SimDevice;
}

export class SimPortSpace extends SimTraced implements PortIO {
  readonly scheduler: SimScheduler;
  readonly accessNs: number;
  /** Guest errors of every device in the port space (at most 1000). */
  readonly guestErrors: SimGuestError[] = [];
  private ranges: SimPortRange[] = [];

  constructor(options: SimPortSpaceOptions = {}) {
    super();
    options = toOptions<SimPortSpaceOptions>(options, 'options', ['scheduler', 'seed', 'accessNs']);
    this.scheduler =
      options.scheduler === undefined ? new SimScheduler({ seed: options.seed ?? 1 }) : toInstance(options.scheduler, 'options.scheduler', SimScheduler);
    this.accessNs = options.accessNs ?? 1000;
    if (typeof this.accessNs !== 'number' || !(this.accessNs >= 0) || !Number.isFinite(this.accessNs)) {
      throw outOfRange('accessNs', 'a number >= 0', this.accessNs);
    }
  }

  /** The mapped ranges, by port. */
  get mapped(): readonly SimPortRange[] {
    return [...this.ranges].sort((a, b) => a.base - b.base);
  }

  /** Put `device` at ports base .. base + device.size - 1. Overlaps are refused (ERR_INVALID_ARG_VALUE). */
  map(base: number, device: SimDevice, options: { name?: string } = {}): SimPortRange {
    simCheckDevice(device);
    options = toOptions<{ name?: string }>(options, 'options', ['name']);
    if (options.name !== undefined && typeof options.name !== 'string') throw invalidType('options.name', 'of type string', options.name);
    if (typeof base !== 'number' || !Number.isInteger(base) || base < 0 || base + device.size > 0x10000) {
      throw outOfRange('port', `an integer from 0 to ${0x10000 - device.size}`, base);
    }
    const name = options.name ?? device.name;
    for (const r of this.ranges) {
      if (base < r.base + r.size && r.base < base + device.size) {
        throw codedError(
          'ERR_INVALID_ARG_VALUE',
          `Ports ${simHex(base, 4)}..${simHex(base + device.size - 1, 4)} ('${name}') overlap '${r.name}' at ${simHex(r.base, 4)}..${simHex(r.base + r.size - 1, 4)}`,
        );
      }
    }
    const range: SimPortRange = { name, base, size: device.size, device };
    this.ranges.push(range);
    if (device instanceof SimDeviceBase) {
      device.guestErrorSink = (e) => {
        if (this.guestErrors.length >= 1000) this.guestErrors.shift();
        this.guestErrors.push(e);
      };
    }
    return range;
  }

  /** The range holding `port`, if any. */
  rangeAt(port: number): SimPortRange | undefined {
    if (typeof port !== 'number') throw invalidType('port', 'of type number', port);
    return this.ranges.find((r) => port >= r.base && port < r.base + r.size);
  }

  inb(port: number): number {
    return this.access(port, 1);
  }
  inw(port: number): number {
    return this.access(port, 2);
  }
  inl(port: number): number {
    return this.access(port, 4);
  }
  outb(port: number, value: number): void {
    this.access(port, 1, value);
  }
  outw(port: number, value: number): void {
    this.access(port, 2, value);
  }
  outl(port: number, value: number): void {
    this.access(port, 4, value);
  }

  private check(port: unknown, bytes: number, value: unknown, writing: boolean): void {
    if (typeof port !== 'number') throw invalidType('port', 'of type number', port);
    if (!Number.isInteger(port) || port < 0 || port + bytes > 0x10000) {
      throw outOfRange('port', `an integer from 0 to ${0x10000 - bytes} for a ${bytes * 8}-bit access`, port);
    }
    if (writing) {
      if (typeof value !== 'number') throw invalidType('value', 'of type number', value);
      const max = 2 ** (bytes * 8) - 1;
      const min = -(2 ** (bytes * 8 - 1));
      if (!Number.isInteger(value) || value < min || value > max) {
        throw outOfRange('value', `an integer from ${min} to ${max}`, value);
      }
    }
  }

  private access(port: number, size: SimAccessSize, value?: number): number {
    const writing = arguments.length > 2;
    this.check(port, size, value, writing);
    const v = writing ? ((value as number) < 0 ? (value as number) + 2 ** (size * 8) : (value as number)) : undefined;
    const result = this.dispatch(port, size, v);
    this.scheduler.advance(this.accessNs);
    return result;
  }

  private dispatch(port: number, size: SimAccessSize, value: number | undefined): number {
    const range = this.rangeAt(port);
    const kind = value === undefined ? 'read' : 'write';
    const record = (target: string, offset: number, v: number, error?: string, register?: string): void => {
      this.tracer?.add({
        time: this.scheduler.now,
        space: 'io',
        initiator: 'cpu',
        kind,
        address: port,
        size,
        value: v,
        target,
        offset,
        ...(register !== undefined ? { register } : {}),
        ...(error !== undefined ? { error } : {}),
      });
    };
    if (range !== undefined && port + size <= range.base + range.size) {
      const offset = port - range.base;
      const r = simDeviceAccess(range.device, offset, size, value);
      if (!(r instanceof SimAccessRefused)) {
        const out = value ?? Number(r);
        record(range.name, offset, out, undefined, range.device.registerName?.(offset));
        return value === undefined ? out : 0;
      }
    }
    if (range === undefined && size === 1) {
      const out = value ?? (simAllOnes(1) as number);
      record('unassigned', 0, out, value === undefined ? 'no device: reads all ones' : 'no device: write ignored');
      return value === undefined ? out : 0;
    }
    // Wider than the device takes, or spanning devices: byte accesses at consecutive ports.
    const lanes = value === undefined ? [] : simLanes(value, size);
    const got: number[] = [];
    for (let i = 0; i < size; i++) {
      const p = port + i;
      const r = this.rangeAt(p);
      let b = 0xff;
      if (r !== undefined) {
        const res = simDeviceAccess(r.device, p - r.base, 1, value === undefined ? undefined : lanes[i]);
        if (!(res instanceof SimAccessRefused) && value === undefined) b = Number(res);
      }
      got.push(b);
    }
    const out = value ?? (simFromLanes(got) as number);
    record(range?.name ?? 'unassigned', range ? port - range.base : 0, out, range ? undefined : 'split into byte accesses');
    return value === undefined ? out : 0;
  }
}
