/**
 * The registry of the ArrayBuffers mappings vend, and the checks every module runs before it reads
 * or writes bytes that may be mapped: the engine's own facts about a view, whether a buffer is
 * detached or closed (its mapping unmapped or resized), and the checks before library loops. It
 * imports nothing of lib/ but the error table, so lib/validate.ts and lib/mapping.ts both use it.
 */
import { types } from 'node:util';
import { codedError } from './errors';

/** Access bits of the protection table: readable, writable. */
export const CAN_READ = 1;
export const CAN_WRITE = 2;

/** What the registry needs of a Mapping (its own state stays private to lib/mapping.ts). */
export interface VendingMapping {
  readonly closed: boolean;
}

// ---- the engine's own facts about a view ----
//
// `buffer`, `byteOffset` and `byteLength` are getters that an instance (or a subclass) can redefine
// to lie. mmapkit reads them through the built-in getters, which report what the engine holds.

const TYPED_ARRAY_PROTO = Object.getPrototypeOf(Uint8Array.prototype) as object;
function builtinGetter(proto: object, key: string): (this: unknown) => unknown {
  return Object.getOwnPropertyDescriptor(proto, key)!.get as (this: unknown) => unknown;
}
const TA_BUFFER = builtinGetter(TYPED_ARRAY_PROTO, 'buffer');
const TA_OFFSET = builtinGetter(TYPED_ARRAY_PROTO, 'byteOffset');
const TA_LENGTH = builtinGetter(TYPED_ARRAY_PROTO, 'byteLength');
const DV_BUFFER = builtinGetter(DataView.prototype, 'buffer');
const DV_OFFSET = builtinGetter(DataView.prototype, 'byteOffset');
const DV_LENGTH = builtinGetter(DataView.prototype, 'byteLength');
const AB_LENGTH = builtinGetter(ArrayBuffer.prototype, 'byteLength');

/** @internal Where a view's bytes are, as the engine knows them. */
export interface ViewFacts {
  buffer: ArrayBufferLike;
  byteOffset: number;
  byteLength: number;
}

/**
 * @internal The engine's facts about a TypedArray, Buffer or DataView (undefined for anything else),
 * read through the built-in getters: a redefined `byteLength` on the instance changes nothing.
 * A view over a detached ArrayBuffer reports byteOffset and byteLength 0.
 */
export function viewFacts(v: unknown): ViewFacts | undefined {
  if (types.isTypedArray(v)) {
    return { buffer: TA_BUFFER.call(v) as ArrayBufferLike, byteOffset: TA_OFFSET.call(v) as number, byteLength: TA_LENGTH.call(v) as number };
  }
  if (types.isDataView(v)) {
    // A DataView's getters throw on a detached buffer instead of answering 0.
    const buffer = DV_BUFFER.call(v) as ArrayBufferLike;
    if (isDetached(buffer)) return { buffer, byteOffset: 0, byteLength: 0 };
    return { buffer, byteOffset: DV_OFFSET.call(v) as number, byteLength: DV_LENGTH.call(v) as number };
  }
  return undefined;
}

/**
 * @internal Whether an ArrayBuffer is detached (transferred away, say). A view over a mapping that
 * was unmapped or resized is not detached (see {@link isClosed}).
 */
export function isDetached(ab: ArrayBufferLike): boolean {
  if (!types.isArrayBuffer(ab) || (AB_LENGTH.call(ab) as number) !== 0) return false;
  try {
    new Uint8Array(ab);
    return false;
  } catch {
    return true; // only a detached ArrayBuffer refuses a view of itself
  }
}

/**
 * Each ArrayBuffer a Mapping vended to the user, with its byte offset in the mapping and the
 * mapping's generation then (resize() starts a new one: what it vended before is stale).
 */
export interface Vended {
  mapping: VendingMapping;
  start: number;
  gen: number;
}
/** @internal The registry: every ArrayBuffer a Mapping vended. */
export const VENDED = new WeakMap<ArrayBufferLike, Vended>();

/**
 * @internal Whether an ArrayBuffer is closed to mmapkit's functions: detached, or vended by a
 * mapping since unmapped or resized. Such a view still reads (zeros, or for the head of a mapping
 * resized in place, its bytes) but the library refuses it with {@link detachedError}.
 */
export function isClosed(ab: ArrayBufferLike): boolean {
  const v = VENDED.get(ab);
  if (v !== undefined && isStale(v)) return true;
  return isDetached(ab);
}

/**
 * @internal The error for a closed ArrayBuffer passed as `name` (see {@link isClosed}):
 * ERR_MMAPKIT_CLOSED, saying whether its mapping was unmapped or resized, or that it is detached.
 */
export function detachedError(ab: ArrayBufferLike, name: string): Error {
  const v = VENDED.get(ab);
  if (v !== undefined && v.mapping.closed) return codedError('ERR_MMAPKIT_CLOSED', 'The mapping has been unmapped');
  if (v !== undefined && isStale(v)) {
    return codedError('ERR_MMAPKIT_CLOSED', `The "${name}" argument is a view from before resize(); take a new view from mapping.buffer`);
  }
  return codedError('ERR_MMAPKIT_CLOSED', `The "${name}" argument's ArrayBuffer is detached (transferred, or its memory released)`);
}

/** @internal Throws {@link detachedError} when `ab` is closed (see {@link isClosed}). */
export function checkOpen(ab: ArrayBufferLike, name: string): void {
  if (isClosed(ab)) throw detachedError(ab, name);
}

/** How library JavaScript reads or writes mapped bytes in a loop, checked by {@link checkLoop}. */
export type LoopAccess = 'read' | 'write';

/**
 * @internal Before library JavaScript loops over bytes [byteOffset, byteOffset + byteLength) of
 * `buffer` (no signal handler can guard a JavaScript loop): when those bytes belong to a Mapping,
 * throws ERR_MMAPKIT_CLOSED if it was unmapped and ERR_MMAPKIT_PROTECTED if its protection table
 * forbids the access, and returns a probe to run on each chunk just before the loop reads it
 * (probe(offset, length), in the view's coordinates): a guarded native touch of one byte per page,
 * which throws ERR_MMAPKIT_SIGBUS where the file was truncated. Returns undefined when the bytes
 * are not a mapping's, or nothing can fault (anonymous memory of ordinary pages).
 * The file can still be truncated between a probe and the loop: that race is documented.
 */
export function checkLoop(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, access: LoopAccess, what: string): LoopProbe | undefined {
  const v = VENDED.get(buffer);
  if (v === undefined) return undefined;
  if (isStale(v)) throw detachedError(buffer, 'data');
  return mappingLoop(v.mapping, v.start + byteOffset, byteLength, access === 'write' ? CAN_WRITE : CAN_READ, what, true);
}

/**
 * @internal The up-front part of {@link checkLoop} alone, before a native loop (which is guarded
 * against faults, so this only gives a fault it would meet the message that names the mapping's
 * range and protection): ERR_MMAPKIT_CLOSED or ERR_MMAPKIT_PROTECTED. Nothing for other memory.
 */
export function checkAccess(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, access: LoopAccess): void {
  const v = VENDED.get(buffer);
  if (v === undefined) return;
  if (isStale(v)) throw detachedError(buffer, 'data');
  mappingLoop(v.mapping, v.start + byteOffset, byteLength, access === 'write' ? CAN_WRITE : CAN_READ, '', false);
}

/** @internal A probe returned by {@link checkLoop}: throws before a chunk that would fault. */
export type LoopProbe = (offset: number, length: number) => void;

/**
 * @internal The same for a loop over a Mapping's own range [offset, offset + length) (seedCsvSum
 * over a Mapping), in the mapping's coordinates.
 */
export function checkMappingLoop(m: VendingMapping, offset: number, length: number, access: LoopAccess, what: string): LoopProbe | undefined {
  return mappingLoop(m, offset, length, access === 'write' ? CAN_WRITE : CAN_READ, what, true);
}

type MappingLoop = (m: VendingMapping, off: number, len: number, need: number, what: string, probe: boolean) => LoopProbe | undefined;
// Filled in by Mapping's static block (installMappingHooks), which can reach its private state.
let mappingLoop: MappingLoop;
let staleHook: (v: Vended) => boolean;

/** @internal Whether a vended ArrayBuffer's mapping was unmapped or resized since it was vended. */
export function isStale(v: Vended): boolean {
  return staleHook(v);
}

/** @internal Called once by Mapping: how to check a range of a mapping, whether a vended buffer is stale, and its change count. */
export function installMappingHooks(loop: MappingLoop, stale: (v: Vended) => boolean, changes: (m: VendingMapping) => number): void {
  mappingLoop = loop;
  staleHook = stale;
  changesHook = changes;
}

let changesHook: (m: VendingMapping) => number;

/**
 * @internal A number that changes whenever the mapping is unmapped, resized or protect()ed: a
 * cheap test of whether an earlier {@link checkAccess} over its bytes still holds.
 */
export function mappingChanges(m: VendingMapping): number {
  return changesHook(m);
}
