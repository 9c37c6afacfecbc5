/**
 * What the IPC primitives stand on: a shared region (a Mapping, a SharedArrayBuffer or a view of
 * either) at a byte offset, process liveness (pid plus start time, so a reused pid is not taken
 * for the old process), and one wait driver that runs the same blocking logic synchronously
 * (futexWait) or as a Promise (futexWaitAsync), with timeouts and AbortSignal.
 */
import { VENDED, checkAccess, checkLoop, mappingChanges, type VendingMapping } from '../views';
import * as fs from 'node:fs';
import { threadId } from 'node:worker_threads';
import { codedError } from '../errors';
import { Mapping } from '../mapping';
import { addonAvailable } from '../native';
import { futexWait, futexWaitAsync, futexWake, type WaitResult } from '../shm';
import { invalidType, toFiniteNumber, toIndex, toInstance } from '../validate';

/** Memory the IPC objects live in: a shared mapping, a SharedArrayBuffer, or a view of one. */
export type SharedRegion = Mapping | SharedArrayBuffer | ArrayBufferView;

/** A resolved region: byte and word views of [offset, offset + length). */
export interface Region {
  bytes: Uint8Array;
  words: Int32Array;
  /** Whether the memory is a SharedArrayBuffer (Atomics.wait works on it without the addon). */
  sab: boolean;
  /** For a region over a Mapping's bytes: the check its users run before touching it; else null. */
  guard: RegionGuard | null;
}

/**
 * Keeps a primitive over a Mapping's bytes from touching them after the mapping was unmapped,
 * resized or protect()ed against it: check() costs one comparison while the mapping is unchanged,
 * and otherwise repeats the region's access check (ERR_MMAPKIT_CLOSED, ERR_MMAPKIT_PROTECTED).
 * A file truncated under the region is not seen (no cheap test exists): docs/ipc.md names it.
 */
export class RegionGuard {
  #seen: number;
  constructor(
    private readonly buffer: ArrayBufferLike,
    private readonly base: number,
    private readonly length: number,
    private readonly mapping: VendingMapping,
  ) {
    this.#seen = mappingChanges(mapping);
  }

  check(): void {
    const c = mappingChanges(this.mapping);
    if (c === this.#seen) return;
    checkAccess(this.buffer, this.base, this.length, 'write');
    this.#seen = c;
  }

  /** check() as a boolean. */
  usable(): boolean {
    try {
      this.check();
      return true;
    } catch {
      return false;
    }
  }
}

/** The guard of the region a word view belongs to, for the wait driver to re-check after a sleep. */
const GUARDS = new WeakMap<Int32Array, RegionGuard>();

/** Resolves `memory` at `offset` for `length` bytes (default: the rest), 8-byte aligned. */
export function region(memory: unknown, offset: unknown, length: number | undefined, what: string): Region {
  let ab: ArrayBufferLike;
  let base: number;
  let size: number;
  if (memory instanceof Mapping) {
    const b = memory.buffer;
    ab = b.buffer;
    base = b.byteOffset;
    size = b.byteLength;
  } else if (memory instanceof SharedArrayBuffer) {
    ab = memory;
    base = 0;
    size = memory.byteLength;
  } else if (ArrayBuffer.isView(memory)) {
    ab = memory.buffer;
    base = memory.byteOffset;
    size = memory.byteLength;
  } else {
    throw invalidType('memory', 'a Mapping, a SharedArrayBuffer or an ArrayBufferView over one', memory);
  }
  const off = offset === undefined ? 0 : toIndex(offset, 'offset');
  const len = length ?? size - off;
  if (off > size || len > size - off) {
    throw codedError('ERR_OUT_OF_RANGE', `The ${what} needs ${len} bytes at offset ${off}, but the memory is ${size} bytes long`);
  }
  if ((base + off) % 8 !== 0) {
    throw codedError('ERR_MMAPKIT_UNALIGNED', `The ${what} must start on an 8-byte boundary; offset ${off} puts it at byte ${base + off} of its buffer`);
  }
  // The primitives read and write this memory from JavaScript (Atomics): before they do, the range
  // must be open, accessible and, for a file, within the file (a guarded touch of each page, as
  // before mmapkit's own loops). A truncation after this check is the race docs/ipc.md names.
  checkLoop(ab, base + off, len, 'write', what)?.(0, len);
  const v = VENDED.get(ab);
  const guard = v === undefined ? null : new RegionGuard(ab, base + off, len, v.mapping);
  const words = new Int32Array(ab, base + off, len >>> 2);
  if (guard !== null) GUARDS.set(words, guard);
  return {
    bytes: new Uint8Array(ab, base + off, len),
    words,
    sab: typeof SharedArrayBuffer !== 'undefined' && ab instanceof SharedArrayBuffer,
    guard,
  };
}

// ---- liveness ----

/** Largest pid Linux hands out (PID_MAX_LIMIT); anything else read from shared memory is not a pid. */
export const PID_MAX = 4194304;

/** The start time (clock ticks after boot, low 31 bits) and state of a process, or null if it is gone. */
function procStat(pid: number): { start: number; state: string } | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // "pid (comm) S ppid ..." — comm may hold spaces and parentheses: parse after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0] ?? '?', start: Number(rest[19] ?? 0) % 0x7fffffff };
}

let selfStart: number | undefined;
/** This process's start stamp (0 where /proc is missing). */
export function ownStart(): number {
  if (selfStart === undefined) selfStart = procStat(process.pid)?.start || 0;
  return selfStart;
}

/** This thread's identity within the process (worker threadId + 1). */
export const ownThread = threadId + 1;

/**
 * Whether the process `pid` (stamped with start time `start`, 0 = unknown) still runs. A zombie
 * (killed, not yet reaped) counts as dead; a pid now used by a later process counts as dead.
 * A value that is not a pid at all (corrupt memory) counts as dead.
 */
export function processAlive(pid: number, start: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid > PID_MAX) return false;
  if (pid === process.pid) return true;
  if (fs.existsSync('/proc/self/stat')) {
    const st = procStat(pid);
    if (st === null || st.state === 'Z' || st.state === 'X') return false;
    return start === 0 || st.start === start;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

// ---- waiting ----

/** Options of every blocking call. */
export interface WaitOptions {
  /** Milliseconds to wait at most (default Infinity); then ERR_MMAPKIT_TIMEOUT. */
  timeout?: number;
  /** Gives up with an AbortError (code ABORT_ERR) when aborted. */
  signal?: AbortSignal;
}

/** A request the blocking logic yields: sleep while words[index] === value, at most ms. */
export interface Sleep {
  words: Int32Array;
  index: number;
  value: number;
  ms: number;
}

/** A blocking operation: yields sleeps, receives their results, returns its value. */
export type Blocking<T> = Generator<Sleep, T, WaitResult>;

export function abortError(signal: AbortSignal): Error {
  const err = codedError('ABORT_ERR', 'The operation was aborted');
  err.name = 'AbortError';
  (err as { cause?: unknown }).cause = signal.reason;
  return err;
}

export function timeoutError(what: string, ms: number): Error {
  return codedError('ERR_MMAPKIT_TIMEOUT', `${what} timed out after ${ms} ms`);
}

/** Validated deadline (performance.now() based; Infinity when none). */
export function deadline(options: WaitOptions | undefined): { end: number; ms: number; signal?: AbortSignal } {
  if (options === undefined) return { end: Infinity, ms: Infinity };
  if (options === null || typeof options !== 'object') throw invalidType('options', 'of type object', options);
  const ms = options.timeout === undefined || options.timeout === Infinity ? Infinity : toFiniteNumber(options.timeout, 'options.timeout', 0, 2 ** 31);
  const signal = options.signal === undefined ? undefined : toInstance(options.signal, 'options.signal', AbortSignal);
  return { end: ms === Infinity ? Infinity : performance.now() + ms, ms, signal };
}

const useFutex = (): boolean => addonAvailable();

/** Wakes up to `count` sleepers on words[index]. */
export function wake(words: Int32Array, index: number, count = Infinity): void {
  if (useFutex()) futexWake(words, index, count);
  else Atomics.notify(words, index, count === Infinity ? undefined : count);
}

function sleepSync(s: Sleep): WaitResult {
  const ms = s.ms === Infinity ? undefined : Math.max(0, s.ms);
  if (useFutex()) return futexWait(s.words, s.index, s.value, ms);
  if (s.words.buffer instanceof SharedArrayBuffer) return Atomics.wait(s.words, s.index, s.value, ms);
  throw codedError('ERR_MMAPKIT_UNSUPPORTED', 'Blocking on this memory needs the native addon (or a SharedArrayBuffer)');
}

function sleepAsync(s: Sleep): Promise<WaitResult> {
  const ms = s.ms === Infinity ? undefined : Math.max(0, s.ms);
  if (useFutex()) return futexWaitAsync(s.words, s.index, s.value, ms);
  const wa = (
    Atomics as unknown as { waitAsync?: (a: Int32Array, i: number, v: number, t?: number) => { async: boolean; value: WaitResult | Promise<WaitResult> } }
  ).waitAsync;
  if (wa && s.words.buffer instanceof SharedArrayBuffer) {
    const r = wa(s.words, s.index, s.value, ms);
    return r.async ? (r.value as Promise<WaitResult>) : Promise.resolve(r.value as WaitResult);
  }
  // No way to sleep on the word: poll it.
  return new Promise((resolve) => setTimeout(() => resolve(Atomics.load(s.words, s.index) === s.value ? 'timed-out' : 'ok'), Math.min(ms ?? 5, 5)));
}

/** Runs a blocking operation on this thread (futexWait). */
export function runSync<T>(op: Blocking<T>, signal?: AbortSignal): T {
  if (signal?.aborted) throw abortError(signal);
  let r = op.next();
  while (!r.done) {
    const result = sleepSync(r.value);
    // The memory may have been unmapped or protected while this thread slept.
    GUARDS.get(r.value.words)?.check();
    r = op.next(result);
  }
  return r.value;
}

/** Runs a blocking operation without blocking the event loop (futexWaitAsync). */
export async function runAsync<T>(op: Blocking<T>, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted) throw abortError(signal);
  let r = op.next();
  while (!r.done) {
    const s = r.value;
    let result: WaitResult;
    if (signal) {
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => {
          reject(abortError(signal));
          wake(s.words, s.index); // lets the sleeping thread go; others recheck their word
        };
        signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        result = await Promise.race([sleepAsync(s), aborted]);
      } catch (err) {
        // Let the operation clean up (its sleeper counts), unless its memory is gone meanwhile.
        if (GUARDS.get(s.words)?.usable() !== false) op.return(undefined as T);
        throw err;
      } finally {
        signal.removeEventListener('abort', onAbort!);
      }
    } else {
      result = await sleepAsync(s);
    }
    // Unmapped or protected meanwhile: throw without resuming the operation (its cleanup would
    // touch the memory).
    GUARDS.get(s.words)?.check();
    r = op.next(result);
  }
  return r.value;
}

/** How long a blocked call sleeps at most before it checks its peers' liveness again (ms). */
export const LIVENESS_SLICE_MS = 50;

/** A sleep slice bounded by the deadline and the liveness interval. */
export function slice(end: number, cap = LIVENESS_SLICE_MS): number {
  return end === Infinity ? cap : Math.max(0, Math.min(cap, end - performance.now()));
}
