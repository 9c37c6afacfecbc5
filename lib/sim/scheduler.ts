/**
 * Simulated time. Devices schedule events ("the transmit FIFO drains one byte in 86.8 µs", "the
 * factorial is done in 10 µs"); whoever drives the simulation advances time and the events due run
 * in order. Time is a number of nanoseconds since the start of the run. Events due at the same
 * instant run in the order they were scheduled, and every chance (how long a store lingers in the
 * store buffer, how long a device takes to fetch a descriptor) is drawn from the scheduler's seeded
 * generator: the same seed gives the same run, event for event.
 */
import { codedError } from '../errors';
import { invalidType, outOfRange, toFunction, toOptions, toStr } from '../validate';
import { SimRandom } from './random';

/** A scheduled event; `cancel()` removes it if it has not run yet. */
export interface SimEvent {
  readonly time: number;
  readonly label: string;
  /** True until the event has run or been cancelled. */
  readonly pending: boolean;
  cancel(): void;
}

interface Entry {
  time: number;
  seq: number;
  label: string;
  fn: () => void;
  cancelled: boolean;
}

export interface SimSchedulerOptions {
  /** Seed of the generator behind every chance in the run (default 1). */
  seed?: number;
}

function checkLimit(limitNs: unknown): void {
  if (typeof limitNs !== 'number') throw invalidType('limitNs', 'of type number', limitNs);
  if (!(limitNs >= 0)) throw outOfRange('limitNs', 'a number >= 0', limitNs);
}

export class SimScheduler {
  /** The seeded generator; devices and the CPU draw their delays from it. */
  readonly random: SimRandom;
  private nowNs = 0;
  private seq = 0;
  private heap: Entry[] = [];
  private running = false;

  constructor(options: SimSchedulerOptions = {}) {
    options = toOptions<SimSchedulerOptions>(options, 'options', ['seed']);
    this.random = new SimRandom(options.seed ?? 1);
  }

  /** The seed the run started from. */
  get seed(): number {
    return this.random.seed;
  }

  /** Simulated time now, in nanoseconds. */
  get now(): number {
    return this.nowNs;
  }

  /** Simulated time now, in milliseconds (for clocks such as pollUntil's `now` option). */
  get nowMs(): number {
    return this.nowNs / 1e6;
  }

  /** Number of events waiting to run. */
  get pending(): number {
    return this.heap.filter((e) => !e.cancelled).length;
  }

  /** The time of the next event due, or undefined when none is pending. */
  get nextTime(): number | undefined {
    this.dropCancelled();
    return this.heap.length > 0 ? this.heap[0].time : undefined;
  }

  /** Schedule `fn` to run `delayNs` nanoseconds from now. */
  after(delayNs: number, fn: () => void, label = 'event'): SimEvent {
    if (typeof delayNs !== 'number') throw invalidType('delayNs', 'of type number', delayNs);
    if (!(delayNs >= 0) || !Number.isFinite(delayNs)) {
      throw outOfRange('delayNs', 'a finite number >= 0', delayNs);
    }
    return this.at(this.nowNs + delayNs, fn, label);
  }

  /** Schedule `fn` to run at simulated time `timeNs` (not before now). */
  at(timeNs: number, fn: () => void, label = 'event'): SimEvent {
    if (typeof timeNs !== 'number') throw invalidType('timeNs', 'of type number', timeNs);
    toFunction(fn, 'fn');
    toStr(label, 'label');
    if (!Number.isFinite(timeNs) || timeNs < this.nowNs) {
      throw outOfRange('timeNs', `>= ${this.nowNs}`, timeNs);
    }
    const entry: Entry = { time: timeNs, seq: this.seq++, label, fn, cancelled: false };
    this.push(entry);
    return {
      get time() {
        return entry.time;
      },
      get label() {
        return entry.label;
      },
      get pending() {
        return !entry.cancelled;
      },
      cancel() {
        entry.cancelled = true;
      },
    };
  }

  /**
   * Let `ns` nanoseconds of simulated time pass, running every event that falls due (events
   * scheduled while running also run if they fall due in the same span). Returns the number of
   * events run.
   */
  advance(ns: number): number {
    if (typeof ns !== 'number') throw invalidType('ns', 'of type number', ns);
    if (!(ns >= 0) || !Number.isFinite(ns)) {
      throw outOfRange('ns', 'a finite number >= 0', ns);
    }
    return this.runUntilTime(this.nowNs + ns);
  }

  /** Run events up to and including simulated time `timeNs`, then set the clock to it. */
  runUntilTime(timeNs: number): number {
    if (typeof timeNs !== 'number') throw invalidType('timeNs', 'of type number', timeNs);
    if (Number.isNaN(timeNs)) throw codedError('ERR_OUT_OF_RANGE', 'The value of "timeNs" is out of range. It must be a number. Received NaN');
    if (timeNs < this.nowNs) return 0;
    let count = 0;
    // Re-entrant calls (an event advancing time) only move the clock forward.
    if (this.running) {
      this.nowNs = Math.max(this.nowNs, timeNs);
      return 0;
    }
    this.running = true;
    try {
      for (;;) {
        this.dropCancelled();
        const head = this.heap[0];
        if (head === undefined || head.time > timeNs) break;
        this.pop();
        this.nowNs = Math.max(this.nowNs, head.time);
        head.cancelled = true;
        head.fn();
        count++;
      }
      this.nowNs = Math.max(this.nowNs, timeNs);
    } finally {
      this.running = false;
    }
    return count;
  }

  /**
   * Run events in order until `done()` returns true or the next event lies beyond `limitNs` from
   * now. Returns whether `done()` became true.
   */
  runUntil(done: () => boolean, limitNs = 1e12): boolean {
    toFunction(done, 'done');
    checkLimit(limitNs);
    const end = this.nowNs + limitNs;
    while (!done()) {
      const next = this.nextTime;
      if (next === undefined || next > end) return done();
      this.runUntilTime(next);
    }
    return true;
  }

  /** Run every pending event (and those they schedule) up to `limitNs` from now. Returns events run. */
  runAll(limitNs = 1e12): number {
    checkLimit(limitNs);
    const end = this.nowNs + limitNs;
    let count = 0;
    for (;;) {
      const next = this.nextTime;
      if (next === undefined || next > end) return count;
      count += this.runUntilTime(next);
    }
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0].cancelled) this.pop();
  }

  private less(a: Entry, b: Entry): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
