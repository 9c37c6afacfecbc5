/**
 * Every argument check of mmapkit, in one file on purpose (so it runs past ~400 lines): the
 * public API, the register windows, the simulator's devices, bus, CPU, VM and windows, and the
 * CSV module all check their arguments here. Each check looks at the type first (never coercing
 * an object: a Buffer's bytes are never read to describe it) and throws the table's error for its
 * code (lib/errors.ts) before any syscall or device access is made.
 */
import { types } from 'node:util';
import { codedError } from './errors';
import { checkAccess, checkLoop, detachedError, isDetached, viewFacts } from './views';
import type { SimAccessRules, SimAccessSize, SimDevice } from './sim/device-types';

/** ERR_INVALID_ARG_TYPE: `The "name" argument must be <expected>. Received <what it was>`. */
export function invalidType(name: string, expected: string, value: unknown): Error {
  return codedError('ERR_INVALID_ARG_TYPE', name, expected, value);
}

/** ERR_OUT_OF_RANGE: `The value of "name" is out of range. It must be <range>. Received <value>`. */
export function outOfRange(name: string, range: string, value: unknown): Error {
  return codedError('ERR_OUT_OF_RANGE', name, range, value);
}

/** ERR_INVALID_ARG_VALUE: `The "name" argument must be <expected>. Received <value>`. */
export function invalidValue(name: string, expected: string, value: unknown): Error {
  return codedError('ERR_INVALID_ARG_VALUE', name, expected, value);
}

// ------------------------------------------------------------------------------------------------
// Numbers, strings, choices, options

/**
 * A byte offset, length or size: a non-negative safe integer given as a number or a BigInt.
 * Returns it as a number (mmapkit handles up to 2^53 - 1 bytes).
 */
export function toIndex(value: unknown, name: string): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw outOfRange(name, 'a non-negative integer no larger than 2^53 - 1', value);
    return value;
  }
  if (typeof value === 'bigint') {
    if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) throw outOfRange(name, 'a non-negative integer no larger than 2^53 - 1', value);
    return Number(value);
  }
  throw invalidType(name, 'of type number or bigint', value);
}

/** An integer in [min, max]. */
export function toInt(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < min || value > max) throw outOfRange(name, `an integer >= ${min} and <= ${max}`, value);
  return value;
}

/** A non-negative safe integer given as a number (a register offset, a count, a pin). */
export function toCount(value: unknown, name: string): number {
  if (typeof value !== 'number') throw invalidType(name, 'of type number', value);
  if (!Number.isSafeInteger(value) || value < 0) throw outOfRange(name, 'a non-negative integer', value);
  return value;
}

/** A positive length in bytes given as a number. */
export function toLength(value: unknown, name: string): number {
  if (typeof value !== 'number') throw invalidType(name, 'of type number', value);
  if (!Number.isSafeInteger(value) || value < 1) throw outOfRange(name, 'a positive integer', value);
  return value;
}

const MAX_OFFSET = (1n << 63n) - 1n;

/** A non-negative file offset or physical address: a safe integer or a bigint below 2^63. */
export function toOffset(value: unknown, name: string): bigint {
  if (typeof value === 'bigint') {
    if (value < 0n || value > MAX_OFFSET) throw outOfRange(name, '>= 0n and < 2n ** 63n', value);
    return value;
  }
  if (typeof value !== 'number') throw invalidType(name, 'of type number or bigint', value);
  if (!Number.isSafeInteger(value) || value < 0) throw outOfRange(name, 'a non-negative safe integer', value);
  return BigInt(value);
}

export function toBool(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidType(name, 'of type boolean', value);
  return value;
}

export function toStr(value: unknown, name: string): string {
  if (typeof value !== 'string') throw invalidType(name, 'of type string', value);
  return value;
}

/** One of a fixed set of strings. */
export function toChoice<T extends string>(value: unknown, name: string, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    const list = choices.map((c) => `'${c}'`).join(', ');
    if (typeof value !== 'string') throw invalidType(name, `one of ${list}`, value);
    throw invalidValue(name, `one of ${list}`, value);
  }
  return value as T;
}

/** An options object (or undefined) whose keys are all known; returns it or {}. */
export function toOptions<T extends object>(value: unknown, name: string, known: readonly string[]): Partial<T> {
  if (value === undefined) return {};
  // (A typed array or Buffer is never options; refused before anything reads it.)
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) throw invalidType(name, 'of type object', value);
  // for-in with an own-property check: no array of keys per call (this runs on every map).
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    if (!known.includes(key)) {
      throw codedError('ERR_INVALID_ARG_VALUE', `Unknown option "${key}" in "${name}". Known options: ${known.join(', ')}`);
    }
  }
  return value as Partial<T>;
}

/** An object (not null, not an array): the options a function cannot do without. */
export function toObject<T extends object>(value: unknown, name: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) throw invalidType(name, 'of type object', value);
  return value as T;
}

/**
 * Resolves an (offset, length) pair against a total size: offset defaults to 0, length to the
 * rest. Throws ERR_OUT_OF_RANGE when the range does not fit (overflow-safe).
 */
export function toRange(offset: unknown, length: unknown, size: number, what: string): [number, number] {
  const off = offset === undefined ? 0 : toIndex(offset, 'offset');
  if (off > size) throw outOfRange('offset', `<= ${size} (the ${what}'s length)`, off);
  const len = length === undefined ? size - off : toIndex(length, 'length');
  if (len > size - off) {
    throw codedError('ERR_OUT_OF_RANGE', `The range ${off}+${len} is out of range: the ${what} is ${size} bytes long`);
  }
  return [off, len];
}

/** A finite number in [min, max] (not necessarily an integer: a time, a delay). */
export function toFiniteNumber(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidType(name, 'of type number', value);
  if (!Number.isFinite(value) || value < min || value > max) throw outOfRange(name, `a finite number >= ${min} and <= ${max}`, value);
  return value;
}

/** An integer given as a safe-integer number or a BigInt (a register value, an address); returned unchanged. */
export function toIntOrBigInt(value: unknown, name: string): number | bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value !== 'number') throw invalidType(name, 'of type number or bigint', value);
  if (!Number.isSafeInteger(value)) throw outOfRange(name, 'a safe integer', value);
  return value;
}

/** A function (a callback). */
export function toFunction<T extends (...args: never[]) => unknown>(value: unknown, name: string): T {
  if (typeof value !== 'function') throw invalidType(name, 'of type function', value);
  return value as T;
}

/** An instance of `ctor` (checked with instanceof; nothing of the value is read). */
export function toInstance<T>(value: unknown, name: string, ctor: abstract new (...args: never[]) => T): T {
  if (!(value instanceof ctor)) throw invalidType(name, `an instance of ${ctor.name}`, value);
  return value;
}

/**
 * An object carrying the named methods (a RegisterIO, a PortIO, a MemoryView …): checks only
 * `typeof` of each method, never calls or coerces anything. `what` names the interface in the
 * message ('a RegisterIO').
 */
export function toObjectWith<T>(value: unknown, name: string, methods: readonly string[], what: string): T {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    throw invalidType(name, `${what} (an object with ${methods.join(', ')})`, value);
  }
  for (const m of methods) {
    if (typeof (value as Record<string, unknown>)[m] !== 'function') {
      throw invalidType(name, `${what} (an object with ${methods.join(', ')}); its "${m}" is not a function`, value);
    }
  }
  return value as T;
}

/** Methods of a RegisterIO, for {@link toObjectWith}. */
export const REGISTER_IO_METHODS = ['read8', 'read16', 'read32', 'read64', 'write8', 'write16', 'write32', 'write64'] as const;
/** Methods of a PortIO, for {@link toObjectWith}. */
export const PORT_IO_METHODS = ['inb', 'inw', 'inl', 'outb', 'outw', 'outl'] as const;

// ------------------------------------------------------------------------------------------------
// Files

/** A path: a non-empty string without NUL bytes. */
export function toPath(value: unknown, name: string, expected = 'a path (string) or a file descriptor (number)'): string {
  if (typeof value !== 'string') throw invalidType(name, expected, value);
  if (value.length === 0 || value.includes('\0')) {
    throw codedError('ERR_INVALID_ARG_VALUE', `The "${name}" argument must be a non-empty path without NUL bytes`);
  }
  return value;
}

/** A path (see {@link toPath}) or an open file descriptor (an integer from 0 to 2^31 - 1). */
export function toPathOrFd(value: unknown, name: string): string | number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) throw outOfRange('fd', 'an integer >= 0 and <= 2147483647', value);
    return value;
  }
  return toPath(value, name);
}

// ------------------------------------------------------------------------------------------------
// Register accesses: widths, offsets in a window, values, port numbers, blocks

/** An access width in bits: 8, 16, 32 or 64. */
export function toWidth(value: unknown, name = 'width'): 8 | 16 | 32 | 64 {
  if (value === 8 || value === 16 || value === 32 || value === 64) return value;
  if (typeof value !== 'number') throw invalidType(name, '8, 16, 32 or 64', value);
  throw codedError('ERR_OUT_OF_RANGE', `The access width must be 8, 16, 32 or 64 bits. Received ${String(value)}`);
}

/** A value to store in `bits` bits: an integer from -(2^(bits-1)) to 2^bits - 1. */
export function toRegisterValue(value: unknown, bits: 8 | 16 | 32, name = 'value'): number {
  if (typeof value !== 'number') throw invalidType(name, 'of type number', value);
  const max = 2 ** bits - 1;
  const min = -(2 ** (bits - 1));
  if (!Number.isInteger(value) || value < min || value > max) throw outOfRange(name, `an integer from ${min} to ${max}`, value);
  return value;
}

/** A 64-bit value to store: a bigint from -(2n ** 63n) to 2n ** 64n - 1n. */
export function toRegisterBigInt(value: unknown, name = 'value'): bigint {
  if (typeof value !== 'bigint') throw invalidType(name, 'of type bigint', value);
  if (value < -(2n ** 63n) || value > 2n ** 64n - 1n) throw outOfRange(name, '>= -(2n ** 63n) and < 2n ** 64n', value);
  return value;
}

/**
 * The offset of a `bytes`-byte access in a window of `size` bytes (the message is the one the
 * native window gives); with `aligned`, a multiple of `bytes` (ERR_MMAPKIT_UNALIGNED).
 */
export function toWindowOffset(value: unknown, bytes: number, size: number, aligned = false): number {
  if (typeof value !== 'number') throw invalidType('offset', 'of type number', value);
  if (!Number.isInteger(value) || value < 0 || value + bytes > size) {
    if (size < bytes) {
      throw codedError(
        'ERR_OUT_OF_RANGE',
        `The value of "offset" is out of range: this ${size}-byte window cannot hold a ${bytes * 8}-bit access. Received ${String(value)}`,
      );
    }
    throw outOfRange('offset', `an integer from 0 to ${size - bytes} for a ${bytes * 8}-bit access to this ${size}-byte window`, value);
  }
  if (aligned && value % bytes !== 0) {
    throw codedError(
      'ERR_MMAPKIT_UNALIGNED',
      `${bytes * 8}-bit access at offset 0x${value.toString(16)} is unaligned: the address must be a multiple of ${bytes}`,
    );
  }
  return value;
}

/** An I/O port for a `bytes`-byte access: an integer from 0 to 0x10000 - bytes. */
export function toPort(value: unknown, bytes: number, name = 'port'): number {
  if (typeof value !== 'number') throw invalidType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < 0 || value + bytes > 0x10000) {
    throw outOfRange(name, `an integer from 0 to ${0x10000 - bytes} for a ${bytes * 8}-bit access`, value);
  }
  return value;
}

/** `count` registers of `width` bits from `offset` inside an io of `size` bytes; returns [offset, count]. */
export function toBlock(offset: unknown, count: unknown, width: 8 | 16 | 32 | 64, size: unknown): [number, number] {
  const off = toCount(offset, 'offset');
  const n = toCount(count, 'count');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalidType('io.size', 'a non-negative integer number', size);
  if (n > 0 && off + n * (width / 8) > size) {
    throw codedError('ERR_OUT_OF_RANGE', `${n} registers of ${width} bits at offset 0x${off.toString(16)} reach past the end of this ${size}-byte window`);
  }
  return [off, n];
}

// ------------------------------------------------------------------------------------------------
// The simulator: access sizes, values, devices, bus masters, bytes

/** Throws unless `size` is 1, 2, 4 or 8. */
export function simCheckSize(size: unknown, name = 'size'): asserts size is SimAccessSize {
  if (typeof size !== 'number') throw invalidType(name, 'of type number', size);
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) throw outOfRange(name, '1, 2, 4 or 8', size);
}

/** Throws unless `value` is a finite number or a bigint (a value to store). */
export function simCheckValue(value: unknown, name = 'value'): asserts value is number | bigint {
  if (typeof value === 'bigint') return;
  if (typeof value !== 'number') throw invalidType(name, 'of type number or bigint', value);
  if (!Number.isFinite(value)) throw outOfRange(name, 'a finite number', value);
}

/** Throws unless `offset` is an integer >= 0 (and `size` an access size, `value` one to store). */
export function simCheckAccess(offset: unknown, size: unknown, value?: unknown, writing = false): void {
  toCount(offset, 'offset');
  simCheckSize(size);
  if (writing) simCheckValue(value);
}

/** A window of a simulated address space: `base` >= 0 and `size` > 0, both safe integers. */
export function simCheckWindow(base: unknown, size: unknown): void {
  if (typeof base !== 'number') throw invalidType('base', 'of type number', base);
  if (typeof size !== 'number') throw invalidType('size', 'of type number', size);
  if (!Number.isSafeInteger(base) || base < 0) throw outOfRange('base', 'an integer >= 0', base);
  if (!Number.isSafeInteger(size) || size <= 0) throw outOfRange('size', 'an integer > 0', size);
}

/** The most bytes one call feeds (16 MiB). */
export const SIM_MAX_FEED = 16 * 1024 * 1024;

/**
 * The bytes of a string (Latin-1), a Uint8Array or an array of byte numbers, checked
 * before they are read: a Uint8Array over a mapping's bytes that cannot be read (protected,
 * unmapped, past the end of a truncated file) throws ERR_MMAPKIT_PROTECTED / ERR_MMAPKIT_SIGBUS /
 * ERR_MMAPKIT_CLOSED instead of faulting.
 */
export function simFeedBytes(data: unknown, name: string): number[] {
  if (typeof data === 'string') return Array.from(data, (c) => c.charCodeAt(0) & 0xff);
  if (Array.isArray(data)) {
    if (data.length > SIM_MAX_FEED)
      throw codedError('ERR_OUT_OF_RANGE', `The "${name}" argument is too long: at most ${SIM_MAX_FEED} bytes. Received ${data.length}`);
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

/** Throws unless `master` is a bus master handle (read, write, readBytes, writeBytes). */
export function simCheckMaster(master: unknown, name: string): void {
  const m = master as Record<string, unknown> | null;
  if (
    typeof master !== 'object' ||
    m === null ||
    typeof m.read !== 'function' ||
    typeof m.write !== 'function' ||
    typeof m.readBytes !== 'function' ||
    typeof m.writeBytes !== 'function'
  ) {
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

/** A number (any value, NaN included: the simulated syscalls answer bad values with errno). */
export function simNum(v: unknown, name: string): number {
  if (typeof v !== 'number') throw invalidType(name, 'of type number', v);
  return v;
}

/** A finite integer given as a number. */
export function simInteger(v: unknown, name: string): number {
  if (typeof v !== 'number') throw invalidType(name, 'of type number', v);
  if (!Number.isSafeInteger(v)) throw outOfRange(name, 'a safe integer', v);
  return v;
}

/** A BigInt. */
export function simBig(v: unknown, name: string): bigint {
  if (typeof v !== 'bigint') throw invalidType(name, 'of type bigint', v);
  return v;
}

/**
 * A Uint8Array whose bytes the simulator reads (`access` 'read') or writes ('write'): not detached,
 * and, over a mapping, accessible (ERR_MMAPKIT_CLOSED / ERR_MMAPKIT_PROTECTED / ERR_MMAPKIT_SIGBUS
 * otherwise).
 */
export function simBytes(v: unknown, name: string, access: 'read' | 'write'): Uint8Array {
  if (!types.isUint8Array(v)) throw invalidType(name, 'an instance of Uint8Array', v);
  const u = v as Uint8Array;
  if (u.byteLength === 0 && isDetached(u.buffer)) throw detachedError(u.buffer, name);
  // Over a mapping: closed or protected pages throw here, and pages past the end of a truncated
  // file are probed (guarded) so that the copy that follows does not meet SIGBUS.
  const probe = checkLoop(u.buffer, u.byteOffset, u.byteLength, access, `the "${name}" argument`);
  if (probe !== undefined && u.byteLength > 0) probe(0, u.byteLength);
  return u;
}

/** An array (a real one: its elements are then checked one by one by the caller). */
export function simArray<T>(v: unknown, name: string): readonly T[] {
  if (!Array.isArray(v)) throw invalidType(name, 'an array', v);
  return v as readonly T[];
}
