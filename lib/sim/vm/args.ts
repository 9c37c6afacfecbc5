/**
 * Argument checks of the simulator's public surface. Each looks at the type first (never coercing
 * an object: a Buffer's bytes are never read to describe it) and throws a coded error.
 */
import { types } from 'node:util';
import { rangeError } from '../../errors';
import { checkLoop, detachedError, isDetached } from '../../mapping';
import { invalidType } from '../../validate';

/** A number (any value, NaN included: the simulated syscalls answer bad values with errno). */
export function simNum(v: unknown, name: string): number {
  if (typeof v !== 'number') throw invalidType(name, 'of type number', v);
  return v;
}

/** A finite integer given as a number. */
export function simInteger(v: unknown, name: string): number {
  if (typeof v !== 'number') throw invalidType(name, 'of type number', v);
  if (!Number.isSafeInteger(v)) {
    throw rangeError('ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be a safe integer. Received ${v}`);
  }
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
  if (u.byteLength === 0 && isDetached(u.buffer)) {
    throw detachedError(u.buffer, name);
  }
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
