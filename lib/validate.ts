/**
 * Argument checks shared by the public API. Each throws a TypeError or RangeError with a stable
 * `code` and an exact message before any syscall is made.
 */
import { rangeError, typeError } from './errors';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') {
    let fname: unknown;
    try {
      fname = (value as { name?: unknown }).name;
    } catch {
      fname = undefined;
    }
    return `function ${typeof fname === 'string' && fname !== '' ? fname : '(anonymous)'}`;
  }
  if (typeof value === 'object') {
    // Only a string name is shown: a getter that throws or a name that is itself an object (a
    // Buffer whose bytes cannot be read, say) is never run or converted.
    let ctor: unknown;
    try {
      ctor = (value as { constructor?: { name?: unknown } }).constructor?.name;
    } catch {
      ctor = undefined;
    }
    return typeof ctor === 'string' && ctor !== '' ? `an instance of ${ctor}` : 'an object';
  }
  let shown = typeof value === 'bigint' ? `${value}n` : String(value);
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  if (typeof value === 'string') shown = `'${shown}'`;
  return `type ${typeof value} (${shown})`;
}

export function invalidType(name: string, expected: string, value: unknown): TypeError {
  return typeError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be ${expected}. Received ${describe(value)}`);
}

/**
 * A byte offset, length or size: a non-negative safe integer given as a number or a BigInt.
 * Returns it as a number (mmapkit handles up to 2^53 - 1 bytes).
 */
export function toIndex(value: unknown, name: string): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw rangeError('ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be a non-negative integer no larger than 2^53 - 1. Received ${value}`);
    }
    return value;
  }
  if (typeof value === 'bigint') {
    if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw rangeError('ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be a non-negative integer no larger than 2^53 - 1. Received ${value}n`);
    }
    return Number(value);
  }
  throw invalidType(name, 'of type number or bigint', value);
}

/** An integer in [min, max]. */
export function toInt(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw rangeError('ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be an integer >= ${min} and <= ${max}. Received ${value}`);
  }
  return value;
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
    throw typeError('ERR_INVALID_ARG_VALUE', `The "${name}" argument must be one of ${list}. Received '${value}'`);
  }
  return value as T;
}

/** An options object (or undefined) whose keys are all known; returns it or {}. */
export function toOptions<T extends object>(value: unknown, name: string, known: readonly string[]): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidType(name, 'of type object', value);
  // for-in with an own-property check: no array of keys per call (this runs on every map).
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    if (!known.includes(key)) {
      throw typeError('ERR_INVALID_ARG_VALUE', `Unknown option "${key}" in "${name}". Known options: ${known.join(', ')}`);
    }
  }
  return value as Partial<T>;
}

/**
 * Resolves an (offset, length) pair against a total size: offset defaults to 0, length to the
 * rest. Throws ERR_OUT_OF_RANGE when the range does not fit (overflow-safe).
 */
export function toRange(offset: unknown, length: unknown, size: number, what: string): [number, number] {
  const off = offset === undefined ? 0 : toIndex(offset, 'offset');
  if (off > size) {
    throw rangeError('ERR_OUT_OF_RANGE', `The value of "offset" is out of range. It must be <= ${size} (the ${what}'s length). Received ${off}`);
  }
  const len = length === undefined ? size - off : toIndex(length, 'length');
  if (len > size - off) {
    throw rangeError('ERR_OUT_OF_RANGE', `The range ${off}+${len} is out of range: the ${what} is ${size} bytes long`);
  }
  return [off, len];
}

/** A finite number in [min, max] (not necessarily an integer: a time, a delay). */
export function toFiniteNumber(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidType(name, 'of type number', value);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw rangeError('ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be a finite number >= ${min} and <= ${max}. Received ${value}`);
  }
  return value;
}

/** An integer given as a safe-integer number or a BigInt (a register value, an address); returned unchanged. */
export function toIntOrBigInt(value: unknown, name: string): number | bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value !== 'number') throw invalidType(name, 'of type number or bigint', value);
  if (!Number.isSafeInteger(value)) {
    throw rangeError('ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be a safe integer. Received ${value}`);
  }
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
