/**
 * A robust, process-shared mutex in 16 bytes of any shared memory.
 *
 * Words (Int32): [0] lock — 0 free, the owner's pid (| WAITERS when someone sleeps), or HANDOFF
 * (released to the sleepers only); [1] the owner's start stamp (0 while unknown); [2] the owner's
 * thread (worker threadId + 1); [3] state — consistent, inconsistent (an owner died), not
 * recoverable — plus the STARVING bit.
 *
 * The owner's pid sits in the lock word itself, so a process killed at any instant after taking
 * the lock is found by the next locker (its pid no longer runs, or runs with another start time).
 * Fairness: a waiter that has slept longer than STARVE_MS sets STARVING; then unlock() hands the
 * lock to the sleepers (the kernel wakes the longest sleeper first) instead of letting a newcomer
 * barge in.
 */
import { codedError } from '../errors';
import { toFunction } from '../validate';
import {
  LIVENESS_SLICE_MS,
  deadline,
  ownStart,
  ownThread,
  processAlive,
  region,
  runAsync,
  runSync,
  slice,
  timeoutError,
  wake,
  type Blocking,
  type RegionGuard,
  type SharedRegion,
  type WaitOptions,
} from './memory';

const LOCK = 0;
const START = 1;
const THREAD = 2;
const STATE = 3;
const WAITERS = 1 << 30;
const HANDOFF = 1 << 29;
const PID_MASK = HANDOFF - 1;
const CONSISTENT = 0;
const INCONSISTENT = 1;
const NOT_RECOVERABLE = 2;
const STATE_MASK = 3;
const STARVING = 4;
const STARVE_MS = 5;
const SPIN = 64;

/** What a lock call learned: 'acquired', or 'owner-dead' (thrown as ERR_MMAPKIT_OWNER_DEAD). */
export type LockOutcome = 'acquired' | 'owner-dead';

export class Mutex {
  /** Bytes a mutex takes. */
  static readonly BYTES = 16;
  readonly #w: Int32Array;
  readonly #me: number;
  /** For a mutex in a Mapping: checks the mapping was not unmapped or protected since (else null). */
  readonly #g: RegionGuard | null;

  /**
   * A mutex over 16 bytes of `memory` at `offset` (8-byte aligned). Zeroed memory is an unlocked
   * mutex; use Mutex.init() to (re)initialize memory that held something else.
   */
  constructor(memory: SharedRegion, offset = 0) {
    const r = region(memory, offset, Mutex.BYTES, 'mutex');
    this.#w = r.words;
    this.#g = r.guard;
    this.#me = process.pid;
  }

  /** Zeroes the 16 bytes at `offset` (an unlocked, consistent mutex) and returns the mutex. */
  static init(memory: SharedRegion, offset = 0): Mutex {
    const m = new Mutex(memory, offset);
    for (let i = 0; i < 4; i++) Atomics.store(m.#w, i, 0);
    return m;
  }

  /** The pid holding the lock (0 when free). */
  get ownerPid(): number {
    this.#g?.check();
    const v = Atomics.load(this.#w, LOCK);
    return v === HANDOFF ? 0 : v & PID_MASK;
  }

  /** False after an owner died until markConsistent() is called by the new owner. */
  get consistent(): boolean {
    this.#g?.check();
    return (Atomics.load(this.#w, STATE) & STATE_MASK) === CONSISTENT;
  }

  /** Whether this thread holds the lock. */
  get held(): boolean {
    this.#g?.check();
    return this.ownerPid === this.#me && Atomics.load(this.#w, THREAD) === ownThread;
  }

  /**
   * Takes the lock if it is free now; never sleeps. Returns whether it was taken. Like lock(), it
   * throws ERR_MMAPKIT_OWNER_DEAD when it takes over the lock of an owner that died holding it
   * (the caller then holds it); the owner's liveness is read at most once per 50 ms per Mutex
   * object, so a tight tryLock() loop costs no /proc read per call.
   */
  tryLock(): boolean {
    this.#g?.check();
    const st = Atomics.load(this.#w, STATE);
    if ((st & STARVING) === 0 && Atomics.compareExchange(this.#w, LOCK, 0, this.#me) === 0) {
      this.#own();
      if ((st & STATE_MASK) === NOT_RECOVERABLE) this.#notRecoverable();
      return true;
    }
    if (this.held) return false;
    const now = performance.now();
    if (now - this.#livenessChecked < LIVENESS_SLICE_MS) return false;
    this.#livenessChecked = now;
    const cur = Atomics.load(this.#w, LOCK);
    const pid = cur & PID_MASK;
    if (cur === 0 || cur === HANDOFF || pid === this.#me || processAlive(pid, Atomics.load(this.#w, START))) return false;
    // WAITERS kept set: whoever sleeps behind the dead owner is woken by our unlock().
    if (Atomics.compareExchange(this.#w, LOCK, cur, this.#me | WAITERS) !== cur) return false;
    this.#acquired(true);
    return true;
  }

  /** When tryLock() last read the owner's liveness (performance.now()). */
  #livenessChecked = -Infinity;

  /**
   * Blocks until the lock is taken. Throws ERR_MMAPKIT_OWNER_DEAD when the previous owner died
   * holding it — the caller then HOLDS the lock, repairs the shared state, calls markConsistent()
   * and unlock() — ERR_MMAPKIT_TIMEOUT / ABORT_ERR (lock not taken), ERR_MMAPKIT_NOT_RECOVERABLE.
   */
  lock(options?: WaitOptions): void {
    if (this.#fast()) return;
    const d = deadline(options);
    runSync(this.lockSteps(d.end, d.ms), d.signal);
  }

  /** lock() as a Promise: the event loop keeps running while it waits. */
  async lockAsync(options?: WaitOptions): Promise<void> {
    if (this.#fast()) return;
    const d = deadline(options);
    await runAsync(this.lockSteps(d.end, d.ms), d.signal);
  }

  #fast(): boolean {
    this.#g?.check();
    if (Atomics.compareExchange(this.#w, LOCK, 0, this.#me) !== 0) return false;
    // Taken while STARVING (a newcomer between the handoff check and here): keep it, it is ours.
    this.#own();
    if ((Atomics.load(this.#w, STATE) & STATE_MASK) === NOT_RECOVERABLE) this.#notRecoverable();
    return true;
  }

  #own(): void {
    Atomics.store(this.#w, START, ownStart());
    Atomics.store(this.#w, THREAD, ownThread);
  }

  #notRecoverable(): never {
    this.#release();
    throw codedError(
      'ERR_MMAPKIT_NOT_RECOVERABLE',
      'The mutex is not recoverable: an owner died and the next owner unlocked it without markConsistent(); Mutex.init() resets it',
    );
  }

  /** @internal The blocking part of lock(), shared by the sync and async forms. */
  *lockSteps(end: number, ms: number): Blocking<LockOutcome> {
    const w = this.#w;
    const me = this.#me;
    if (this.held) throw codedError('ERR_MMAPKIT_BUSY', 'This thread already holds the mutex (it is not recursive)');
    for (let i = 0; i < SPIN; i++) {
      if ((Atomics.load(w, STATE) & STARVING) === 0 && Atomics.compareExchange(w, LOCK, 0, me) === 0) return this.#acquired(false);
    }
    const began = performance.now();
    for (;;) {
      const v = Atomics.load(w, LOCK);
      if (v === 0 || v === HANDOFF) {
        // A sleeper takes the lock with WAITERS set: others may still sleep behind it.
        if (Atomics.compareExchange(w, LOCK, v, me | WAITERS) === v) {
          if (v === HANDOFF && performance.now() - began < STARVE_MS) Atomics.and(w, STATE, ~STARVING);
          return this.#acquired(false);
        }
        continue;
      }
      if ((v & WAITERS) === 0 && Atomics.compareExchange(w, LOCK, v, v | WAITERS) !== v) continue;
      const now = performance.now();
      if (now >= end) throw timeoutError('Mutex lock', ms);
      if (now - began > STARVE_MS) Atomics.or(w, STATE, STARVING);
      const r = yield { words: w, index: LOCK, value: v | WAITERS, ms: slice(end) };
      if (r === 'timed-out') {
        // The owner may be gone: its pid no longer runs (or runs another program).
        const cur = Atomics.load(w, LOCK);
        const pid = cur & PID_MASK;
        if (cur !== 0 && cur !== HANDOFF && pid !== me && !processAlive(pid, Atomics.load(w, START))) {
          if (Atomics.compareExchange(w, LOCK, cur, me | WAITERS) === cur) return this.#acquired(true);
        }
      }
    }
  }

  #acquired(ownerDead: boolean): LockOutcome {
    this.#own();
    const state = Atomics.load(this.#w, STATE) & STATE_MASK;
    if (state === NOT_RECOVERABLE) this.#notRecoverable();
    if (ownerDead || state === INCONSISTENT) {
      Atomics.store(this.#w, STATE, (Atomics.load(this.#w, STATE) & ~STATE_MASK) | INCONSISTENT);
      throw codedError(
        'ERR_MMAPKIT_OWNER_DEAD',
        'The previous owner of the mutex died holding it; this caller now holds the lock: make the shared state consistent, call markConsistent(), then unlock()',
      );
    }
    return 'acquired';
  }

  /** After ERR_MMAPKIT_OWNER_DEAD: declares the protected state repaired (the caller must hold the lock). */
  markConsistent(): void {
    this.#g?.check();
    this.#mustHold('markConsistent');
    Atomics.and(this.#w, STATE, ~STATE_MASK);
  }

  /** Releases the lock (ERR_MMAPKIT_NOT_OWNER if this thread does not hold it). */
  unlock(): void {
    this.#g?.check();
    this.#mustHold('unlock');
    const st = Atomics.load(this.#w, STATE);
    if ((st & STATE_MASK) === INCONSISTENT) Atomics.store(this.#w, STATE, (st & ~STATE_MASK) | NOT_RECOVERABLE);
    this.#release();
  }

  #mustHold(what: string): void {
    const v = Atomics.load(this.#w, LOCK);
    if (v === 0 || v === HANDOFF || (v & PID_MASK) !== this.#me || Atomics.load(this.#w, THREAD) !== ownThread) {
      throw codedError(
        'ERR_MMAPKIT_NOT_OWNER',
        `${what}() needs the mutex held by this thread; it is ${v === 0 || v === HANDOFF ? 'free' : `held by pid ${v & PID_MASK}`}`,
      );
    }
  }

  #release(): void {
    const w = this.#w;
    Atomics.store(w, START, 0);
    Atomics.store(w, THREAD, 0);
    if (Atomics.compareExchange(w, LOCK, this.#me, 0) === this.#me) return; // nobody sleeps
    Atomics.store(w, LOCK, (Atomics.load(w, STATE) & STARVING) !== 0 ? HANDOFF : 0);
    wake(w, LOCK, 1);
  }

  /** Runs fn while holding the lock (sync). */
  withLock<T>(fn: () => T, options?: WaitOptions): T {
    toFunction(fn, 'fn');
    this.lock(options);
    try {
      return fn();
    } finally {
      this.unlock();
    }
  }
}
