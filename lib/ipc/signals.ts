/**
 * Process-shared counting semaphore, event (a 32-bit value others wait on) and condition variable,
 * each in a few words of any shared memory. Blocking calls have a sync and an async form, both
 * with timeout and AbortSignal.
 */
import { codedError } from '../errors';
import { toInstance, toInt } from '../validate';
import { deadline, region, runAsync, runSync, slice, timeoutError, wake, type Blocking, type RegionGuard, type SharedRegion, type WaitOptions } from './memory';
import { Mutex } from './mutex';

/**
 * A counting semaphore in 8 bytes: [0] the count, [1] how many callers sleep (post() makes a
 * system call only when someone does).
 */
export class Semaphore {
  static readonly BYTES = 8;
  readonly #w: Int32Array;
  readonly #g: RegionGuard | null;

  constructor(memory: SharedRegion, offset = 0) {
    const r = region(memory, offset, Semaphore.BYTES, 'semaphore');
    this.#w = r.words;
    this.#g = r.guard;
  }

  /** Sets the count to `value` (no sleepers may exist) and returns the semaphore. */
  static init(memory: SharedRegion, offset = 0, value = 0): Semaphore {
    const s = new Semaphore(memory, offset);
    Atomics.store(s.#w, 0, toInt(value, 'value', 0, 0x7fffffff));
    Atomics.store(s.#w, 1, 0);
    return s;
  }

  get value(): number {
    this.#g?.check();
    return Atomics.load(this.#w, 0);
  }

  /** Takes one unit if the count is positive now. */
  tryWait(): boolean {
    this.#g?.check();
    const w = this.#w;
    for (let c = Atomics.load(w, 0); c > 0; c = Atomics.load(w, 0)) {
      if (Atomics.compareExchange(w, 0, c, c - 1) === c) return true;
    }
    return false;
  }

  /** Blocks until a unit can be taken. ERR_MMAPKIT_TIMEOUT / ABORT_ERR when given up. */
  wait(options?: WaitOptions): void {
    if (this.tryWait()) return;
    const d = deadline(options);
    runSync(this.#steps(d.end, d.ms), d.signal);
  }

  async waitAsync(options?: WaitOptions): Promise<void> {
    if (this.tryWait()) return;
    const d = deadline(options);
    await runAsync(this.#steps(d.end, d.ms), d.signal);
  }

  *#steps(end: number, ms: number): Blocking<void> {
    const w = this.#w;
    Atomics.add(w, 1, 1);
    try {
      for (;;) {
        if (this.tryWait()) return;
        if (performance.now() >= end) throw timeoutError('Semaphore wait', ms);
        yield { words: w, index: 0, value: 0, ms: slice(end, 1000) };
      }
    } finally {
      Atomics.sub(w, 1, 1);
    }
  }

  /** Adds `count` units (default 1) and wakes as many sleepers. */
  post(count = 1): void {
    const n = toInt(count, 'count', 1, 0x7fffffff);
    this.#g?.check();
    const before = Atomics.add(this.#w, 0, n);
    if (before > 0x7fffffff - n) {
      Atomics.sub(this.#w, 0, n);
      throw codedError('ERR_OUT_OF_RANGE', `Semaphore overflow: the count ${before} plus ${n} passes 2^31 - 1`);
    }
    if (Atomics.load(this.#w, 1) > 0) wake(this.#w, 0, n);
  }
}

/**
 * An event: a shared 32-bit value. wait(expected) sleeps while the value equals `expected`;
 * set() / add() change it and wake every sleeper (or `count` of them). 8 bytes: [0] value,
 * [1] sleepers.
 */
export class Event {
  static readonly BYTES = 8;
  readonly #w: Int32Array;
  readonly #g: RegionGuard | null;

  constructor(memory: SharedRegion, offset = 0) {
    const r = region(memory, offset, Event.BYTES, 'event');
    this.#w = r.words;
    this.#g = r.guard;
  }

  static init(memory: SharedRegion, offset = 0, value = 0): Event {
    const e = new Event(memory, offset);
    Atomics.store(e.#w, 0, toInt(value, 'value', -0x80000000, 0x7fffffff));
    Atomics.store(e.#w, 1, 0);
    return e;
  }

  get value(): number {
    this.#g?.check();
    return Atomics.load(this.#w, 0);
  }

  /** Stores `value` and wakes up to `count` sleepers (default all). */
  set(value: number, count = Infinity): void {
    const v = toInt(value, 'value', -0x80000000, 0x7fffffff);
    this.#g?.check();
    Atomics.store(this.#w, 0, v);
    this.notify(count);
  }

  /** Adds `delta` (wrapping at 32 bits), wakes sleepers, returns the new value. */
  add(delta = 1, count = Infinity): number {
    const d = toInt(delta, 'delta', -0x80000000, 0x7fffffff);
    this.#g?.check();
    const v = (Atomics.add(this.#w, 0, d) + d) | 0;
    this.notify(count);
    return v;
  }

  /** Wakes up to `count` sleepers (default all) without changing the value. */
  notify(count = Infinity): void {
    this.#g?.check();
    if (Atomics.load(this.#w, 1) > 0) wake(this.#w, 0, count);
  }

  /** Blocks while the value equals `expected`; returns the value seen after the change. */
  wait(expected: number, options?: WaitOptions): number {
    const e = toInt(expected, 'expected', -0x80000000, 0x7fffffff);
    this.#g?.check();
    const v = Atomics.load(this.#w, 0);
    if (v !== e) return v;
    const d = deadline(options);
    return runSync(this.#steps(e, d.end, d.ms), d.signal);
  }

  async waitAsync(expected: number, options?: WaitOptions): Promise<number> {
    const e = toInt(expected, 'expected', -0x80000000, 0x7fffffff);
    this.#g?.check();
    const v = Atomics.load(this.#w, 0);
    if (v !== e) return v;
    const d = deadline(options);
    return runAsync(this.#steps(e, d.end, d.ms), d.signal);
  }

  /** Sleeps once (a notify() without a change also ends it); returns the value then. */
  *#steps(expected: number, end: number, ms: number, once = false): Blocking<number> {
    const w = this.#w;
    Atomics.add(w, 1, 1);
    try {
      for (;;) {
        const v = Atomics.load(w, 0);
        if (v !== expected) return v;
        if (performance.now() >= end) throw timeoutError('Event wait', ms);
        const r = yield { words: w, index: 0, value: expected, ms: slice(end, 1000) };
        if (once && r === 'ok') return Atomics.load(w, 0);
      }
    } finally {
      Atomics.sub(w, 1, 1);
    }
  }

  /** @internal One sleep on the current value: ends on a change, a notify, a timeout. */
  *sleepOnce(end: number, ms: number): Blocking<number> {
    this.#g?.check();
    return yield* this.#steps(Atomics.load(this.#w, 0), end, ms, true);
  }
}

/**
 * A condition variable used with a Mutex: wait() unlocks, sleeps until notified, relocks. 8 bytes
 * (an Event counting notifications). Wake-ups may be spurious: wait in a loop on your predicate.
 */
export class Condition {
  static readonly BYTES = 8;
  readonly #e: Event;

  constructor(memory: SharedRegion, offset = 0) {
    this.#e = new Event(memory, offset);
  }

  static init(memory: SharedRegion, offset = 0): Condition {
    Event.init(memory, offset, 0);
    return new Condition(memory, offset);
  }

  /** Unlocks `mutex`, sleeps until notified (or timeout), locks it again. */
  wait(mutex: Mutex, options?: WaitOptions): void {
    toInstance(mutex, 'mutex', Mutex);
    const d = deadline(options);
    const steps = this.#e.sleepOnce(d.end, d.ms);
    const first = steps.next(); // registers as a sleeper before the unlock: no lost notify
    mutex.unlock();
    try {
      if (!first.done) {
        let r = steps.next(runSync(oneSleep(first.value), d.signal));
        while (!r.done) r = steps.next(runSync(oneSleep(r.value), d.signal));
      }
    } finally {
      steps.return(0);
      mutex.lock();
    }
  }

  async waitAsync(mutex: Mutex, options?: WaitOptions): Promise<void> {
    toInstance(mutex, 'mutex', Mutex);
    const d = deadline(options);
    const steps = this.#e.sleepOnce(d.end, d.ms);
    const first = steps.next();
    mutex.unlock();
    try {
      if (!first.done) {
        let r = steps.next(await runAsync(oneSleep(first.value), d.signal));
        while (!r.done) r = steps.next(await runAsync(oneSleep(r.value), d.signal));
      }
    } finally {
      steps.return(0);
      await mutex.lockAsync();
    }
  }

  notifyOne(): void {
    this.#e.add(1, 1);
  }

  notifyAll(): void {
    this.#e.add(1);
  }
}

function* oneSleep(s: { words: Int32Array; index: number; value: number; ms: number }): Blocking<import('../shm').WaitResult> {
  return yield s;
}
