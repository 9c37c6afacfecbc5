/**
 * Argument checks shared by the simulator's devices, bus, CPU and windows (not exported from the
 * package: each public function names its own arguments through them).
 */
import { types } from 'node:util';
import { rangeError } from '../errors';
import { checkAccess, checkLoop, detachedError, isDetached, viewFacts } from '../mapping';
import { invalidType, toInt } from '../validate';
import type { SimAccessRules, SimAccessSize, SimDevice } from './device';

/** Throws unless `size` is 1, 2, 4 or 8. */
export function simCheckSize(size: unknown, name = 'size'): asserts size is SimAccessSize {
  if (typeof size !== 'number') throw invalidType(name, 'of type number', size);
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) {
    throw rangeError('ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be 1, 2, 4 or 8. Received ${size}`);
  }
}

/** Throws unless `value` is a finite number or a bigint (a value to store). */
export function simCheckValue(value: unknown, name = 'value'): asserts value is number | bigint {
  if (typeof value === 'bigint') return;
  if (typeof value !== 'number') throw invalidType(name, 'of type number or bigint', value);
  if (!Number.isFinite(value)) {
    throw rangeError('ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be a finite number. Received ${value}`);
  }
}

/** Throws unless `offset` is an integer >= 0 (and `size` an access size, `value` one to store). */
export function simCheckAccess(offset: unknown, size: unknown, value?: unknown, writing = false): void {
  if (typeof offset !== 'number') throw invalidType('offset', 'of type number', offset);
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw rangeError('ERR_OUT_OF_RANGE', `The value of "offset" is out of range. It must be a non-negative integer. Received ${offset}`);
  }
  simCheckSize(size);
  if (writing) simCheckValue(value);
}

/**
 * The bytes of a string (Latin-1), a Uint8Array or an array of byte numbers, checked
 * before they are read: a Uint8Array over a mapping's bytes that cannot be read (protected,
 * unmapped, past the end of a truncated file) throws ERR_MMAPKIT_PROTECTED / ERR_MMAPKIT_SIGBUS /
 * ERR_MMAPKIT_CLOSED instead of faulting.
 */
export function simFeedBytes(data: unknown, name: string): number[] {
  if (typeof data === 'string') return Array.from(data, (c) => c.charCodeAt(0) & 0xff);
  if (Array.isArray(data)) {
    if (data.length > SIM_MAX_FEED) throw rangeError('ERR_OUT_OF_RANGE', `The "${name}" argument is too long: at most ${SIM_MAX_FEED} bytes. Received ${data.length}`);
    return data.map((b, i) => toInt(b, `${name}[${i}]`, -128, 255) & 0xff);
  }
  const f = viewFacts(data);
  if (f === undefined || !types.isUint8Array(data)) throw invalidType(name, 'a string, a Uint8Array or an array of numbers', data);
  if (f.byteLength === 0 && isDetached(f.buffer)) throw detachedError(f.buffer, name);
  checkAccess(f.buffer, f.byteOffset, f.byteLength, 'read');
  const probe = checkLoop(f.buffer, f.byteOffset, f.byteLength, 'read', name);
  probe?.(0, f.byteLength);
  return Array.from(new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
}

/** The most bytes one call feeds (16 MiB). */
export const SIM_MAX_FEED = 16 * 1024 * 1024;

/** Throws unless `master` is a bus master handle (read, write, readBytes, writeBytes). */
export function simCheckMaster(master: unknown, name: string): void {
  const m = master as Record<string, unknown> | null;
  if (typeof master !== 'object' || m === null || typeof m.read !== 'function' || typeof m.write !== 'function' ||
    typeof m.readBytes !== 'function' || typeof m.writeBytes !== 'function') {
    throw invalidType(name, "a bus master (bus.master('name'))", master);
  }
}

/** Throws unless `device` looks like a SimDevice (read and write functions, a size). */
export function simCheckDevice(device: unknown, name = 'device'): asserts device is SimDevice {
  const d = device as SimDevice;
  if (typeof device !== 'object' || device === null || typeof d.read !== 'function' || typeof d.write !== 'function') {
    throw invalidType(name, 'a SimDevice (an object with read, write, size and access)', device);
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw invalidType(`${name}.size`, 'a non-negative integer', d.size);
  }
  const rules = d.access as SimAccessRules | undefined;
  if (typeof rules !== 'object' || rules === null || !Array.isArray(rules.sizes) || (rules.other !== 'split' && rules.other !== 'refuse')) {
    throw invalidType(`${name}.access`, "access rules ({ sizes, other: 'split' | 'refuse' })", rules);
  }
  if (typeof d.name !== 'string') throw invalidType(`${name}.name`, 'of type string', d.name);
}

