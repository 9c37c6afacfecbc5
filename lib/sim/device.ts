/**
 * The device model, in the style of QEMU's memory regions: a device is a pair of callbacks
 * `read(offset, size)` / `write(offset, value, size)` relative to the start of its region, plus a
 * declaration of which access sizes are valid and what happens to the others (split into / widened
 * to valid ones, or refused with a bus error). Values are numbers for 1-, 2- and 4-byte accesses
 * and bigints for 8-byte ones. Bad offsets are a guest error: logged, and read as a defined value,
 * never a crash of the simulator.
 */
import { invalidType, simCheckDevice, simCheckSize, simCheckValue, toFunction, toInt, toIntOrBigInt, toStr } from '../validate';

export type { SimAccessRules, SimAccessSize, SimDevice } from './device-types';
import type { SimAccessRules, SimAccessSize, SimDevice } from './device-types';

/** A message a device logged about a guest's misuse (QEMU's LOG_GUEST_ERROR). */
export interface SimGuestError {
  /** Simulated time in ns, when known. */
  readonly time: number;
  readonly device: string;
  readonly message: string;
}

/** Where guest errors go; the bus installs itself as every attached device's sink. */
export type SimGuestErrorSink = (error: SimGuestError) => void;

/**
 * An interrupt line. `level` is the current state; `raises` counts rising edges. Devices drive it
 * with `set(level)`; interrupt controllers (or tests) read it or subscribe with `onChange`.
 */
export class SimIrqLine {
  private state = false;
  private count = 0;
  private listeners: Array<(level: boolean) => void> = [];
  constructor(readonly name: string) {
    toStr(name, 'name');
  }
  get level(): boolean {
    return this.state;
  }
  /** Number of rising edges seen so far. */
  get raises(): number {
    return this.count;
  }
  set(level: boolean): void {
    if (typeof level !== 'boolean') throw invalidType('level', 'of type boolean', level);
    if (level === this.state) return;
    this.state = level;
    if (level) this.count++;
    for (const fn of this.listeners) fn(level);
  }
  onChange(fn: (level: boolean) => void): () => void {
    toFunction(fn, 'fn');
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((f) => f !== fn);
    };
  }
}

/** Common parts of the simulator's devices: a guest-error log and a clock for its entries. */
export abstract class SimDeviceBase implements SimDevice {
  abstract readonly name: string;
  abstract readonly size: number;
  abstract readonly access: SimAccessRules;
  abstract read(offset: number, size: SimAccessSize): number | bigint;
  abstract write(offset: number, value: number | bigint, size: SimAccessSize): void;

  /** Every guest error this device logged, oldest first (at most 1000 kept). */
  readonly guestErrors: SimGuestError[] = [];
  /** Installed by the bus or port space the device is attached to. */
  guestErrorSink: SimGuestErrorSink | undefined;

  protected abstract now(): number;

  protected guestError(message: string): void {
    const entry: SimGuestError = { time: this.now(), device: this.name, message };
    if (this.guestErrors.length >= 1000) this.guestErrors.shift();
    this.guestErrors.push(entry);
    this.guestErrorSink?.(entry);
  }
}

/** All ones for an access size (0xff, 0xffff, 0xffffffff, or 0xffff_ffff_ffff_ffffn). */
export function simAllOnes(size: SimAccessSize): number | bigint {
  simCheckSize(size);
  return size === 8 ? 0xffff_ffff_ffff_ffffn : size === 4 ? 0xffff_ffff : (1 << (size * 8)) - 1;
}

/** Hex with a fixed number of digits: simHex(0x1f, 2) = '0x1f'. */
export function simHex(value: number | bigint, digits = 8): string {
  toIntOrBigInt(value, 'value');
  toInt(digits, 'digits', 0, 64);
  const v = typeof value === 'bigint' ? value : BigInt(value);
  return '0x' + (v < 0n ? v & 0xffff_ffff_ffff_ffffn : v).toString(16).padStart(digits, '0');
}

/** Normalize a device's answer to the value type of the access size. */
export function simNormalize(value: number | bigint, size: SimAccessSize): number | bigint {
  simCheckValue(value);
  simCheckSize(size);
  if (size === 8) return BigInt.asUintN(64, typeof value === 'bigint' ? value : BigInt(Math.trunc(value)));
  const v = typeof value === 'bigint' ? Number(BigInt.asUintN(32, value)) : value;
  return size === 4 ? v >>> 0 : (v & ((1 << (size * 8)) - 1)) >>> 0;
}

/** The `size` bytes of a value, least significant first (little-endian byte lanes). */
export function simLanes(value: number | bigint, size: SimAccessSize): number[] {
  toIntOrBigInt(value, 'value');
  simCheckSize(size);
  let v = BigInt.asUintN(64, typeof value === 'bigint' ? value : BigInt(value));
  const out: number[] = [];
  for (let i = 0; i < size; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

/** Inverse of simLanes. */
export function simFromLanes(bytes: readonly number[]): number | bigint {
  if (!Array.isArray(bytes)) throw invalidType('bytes', 'an array of 1, 2, 4 or 8 numbers', bytes);
  simCheckSize(bytes.length, 'bytes.length');
  for (let i = 0; i < bytes.length; i++) toInt(bytes[i], `bytes[${i}]`, -(2 ** 31), 2 ** 32 - 1);
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i] & 0xff);
  return simNormalize(v, bytes.length as SimAccessSize);
}

/** Why a device access could not be made (the caller turns this into a bus error). */
export class SimAccessRefused {
  constructor(readonly reason: string) {
    toStr(reason, 'reason');
  }
}

/**
 * Perform one access on a device following its access rules: pass it through, split it, widen a
 * read, or refuse it. Returns the value read (for reads) or undefined, or a SimAccessRefused.
 */
export function simDeviceAccess(
  device: SimDevice,
  offset: number,
  size: SimAccessSize,
  write: number | bigint | undefined,
): number | bigint | undefined | SimAccessRefused {
  simCheckDevice(device);
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset)) throw invalidType('offset', 'an integer', offset);
  simCheckSize(size);
  if (write !== undefined) simCheckValue(write, 'write');
  const rules = device.access;
  if (offset < 0 || offset + size > device.size) {
    return new SimAccessRefused(`offset ${simHex(offset, 0)} (${size} bytes) is outside the ${device.size}-byte region`);
  }
  const aligned = offset % size === 0;
  if (rules.sizes.includes(size)) {
    if (!aligned && !rules.unaligned) return new SimAccessRefused(`unaligned ${size}-byte access`);
    if (write === undefined) return simNormalize(device.read(offset, size), size);
    device.write(offset, simNormalize(write, size), size);
    return undefined;
  }
  if (rules.other === 'refuse') {
    return new SimAccessRefused(`${size}-byte access not supported (valid: ${rules.sizes.join(', ')} bytes)`);
  }
  if (!aligned && !rules.unaligned) return new SimAccessRefused(`unaligned ${size}-byte access`);
  const smaller = rules.sizes.filter((s) => s < size);
  if (smaller.length > 0) {
    // Split into pieces of the widest valid size below this one.
    const piece = Math.max(...smaller) as SimAccessSize;
    const lanes = write === undefined ? [] : simLanes(write, size);
    const readLanes: number[] = [];
    for (let at = 0; at < size; at += piece) {
      if (write === undefined) {
        readLanes.push(...simLanes(simNormalize(device.read(offset + at, piece), piece), piece));
      } else {
        device.write(offset + at, simFromLanes(lanes.slice(at, at + piece)), piece);
      }
    }
    return write === undefined ? simFromLanes(readLanes) : undefined;
  }
  // Only wider sizes are valid: widen a read to the enclosing register, refuse a write.
  const wide = Math.min(...rules.sizes) as SimAccessSize;
  if (write !== undefined) {
    return new SimAccessRefused(`${size}-byte write to a register that takes ${wide}-byte writes`);
  }
  const base = offset - (offset % wide);
  const whole = simLanes(simNormalize(device.read(base, wide), wide), wide);
  return simFromLanes(whole.slice(offset - base, offset - base + size));
}
