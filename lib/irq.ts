/**
 * The waiting side of an {@link InterruptSource}, shared by the UIO backend (lib/uio.ts) and the
 * simulated one (lib/sim/uio.ts): option checks, pending waits with a timeout and an abort
 * signal, and the async iterator.
 */
import type { InterruptSource, WaitInterruptOptions } from './interfaces';
import { codedError } from './errors';
import { invalidType, toBool, toFiniteNumber, toOptions } from './validate';

const WAIT_KEYS = ['signal', 'timeout', 'reenable'];

/** Checked wait options. */
export interface WaitSpec {
  signal?: AbortSignal;
  timeout?: number;
  reenable: boolean;
}

/** Checks the options of waitInterrupt()/interrupts(). */
export function toWaitSpec(options: unknown): WaitSpec {
  const o = toOptions<WaitInterruptOptions>(options, 'options', WAIT_KEYS);
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidType('options.signal', 'an instance of AbortSignal', signal);
  const timeout = o.timeout === undefined ? undefined : toFiniteNumber(o.timeout, 'options.timeout', 0, 2 ** 31 - 1);
  const reenable = o.reenable === undefined ? false : toBool(o.reenable, 'options.reenable');
  return { signal, timeout, reenable };
}

interface Waiter {
  resolve(count: number): void;
  reject(err: unknown): void;
}

/** The pending waits of one interrupt source. */
export class InterruptWaiters {
  #waiters = new Set<Waiter>();
  readonly #onFirst: () => void;
  readonly #onNone: () => void;

  /** `onFirst` runs when the first wait starts (start watching), `onNone` when none is left. */
  constructor(onFirst: () => void, onNone: () => void) {
    this.#onFirst = onFirst;
    this.#onNone = onNone;
  }

  get size(): number {
    return this.#waiters.size;
  }

  /** A promise for the next count; `what` names the source in the timeout message. */
  add(spec: WaitSpec, what: string): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      if (spec.signal?.aborted) {
        reject(spec.signal.reason);
        return;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => settle(() => reject(spec.signal!.reason));
      const settle = (fn: () => void): void => {
        if (!this.#waiters.delete(w)) return;
        if (timer !== undefined) clearTimeout(timer);
        spec.signal?.removeEventListener('abort', onAbort);
        if (this.#waiters.size === 0) this.#onNone();
        fn();
      };
      const w: Waiter = {
        resolve: (count) => settle(() => resolve(count)),
        reject: (err) => settle(() => reject(err)),
      };
      this.#waiters.add(w);
      if (this.#waiters.size === 1) {
        try {
          this.#onFirst();
        } catch (err) {
          w.reject(err);
          return;
        }
      }
      if (spec.timeout !== undefined) {
        timer = setTimeout(() => w.reject(codedError('ERR_MMAPKIT_TIMEOUT', `No interrupt from ${what} within ${spec.timeout} ms`)), spec.timeout);
      }
      spec.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  resolveAll(count: number): void {
    for (const w of [...this.#waiters]) w.resolve(count);
  }

  rejectAll(err: unknown): void {
    for (const w of [...this.#waiters]) w.reject(err);
  }
}

/** The iterator behind interrupts(): one waitInterrupt() per step, until the signal aborts. */
export async function* interruptIterator(source: InterruptSource, options: WaitInterruptOptions | undefined): AsyncGenerator<number, void, undefined> {
  const spec = toWaitSpec(options);
  for (;;) {
    if (spec.signal?.aborted) return;
    let count: number;
    try {
      count = await source.waitInterrupt(options);
    } catch (err) {
      if (spec.signal?.aborted && err === spec.signal.reason) return;
      throw err;
    }
    yield count;
  }
}
