/**
 * A simulated UIO interrupt: the {@link InterruptSource} of a simulated device's interrupt line,
 * with the rules of Linux's uio_pci_generic, so driver code written for /dev/uioN runs unchanged
 * on the simulator.
 *
 * - The line's rising edge (or the line being high when the interrupt is unmasked) is one
 *   interrupt: the count goes up by one and the interrupt is masked, as uio_pci_generic masks
 *   INTx in the PCI command register. enableInterrupt() unmasks it (writing 1 to /dev/uioN).
 * - Waiting runs the simulation: simulated time jumps to the next scheduled device event until an
 *   interrupt arrives (an idle CPU waiting), up to `timeout` ms of simulated time when given. If
 *   nothing scheduled raises it, the wait stays pending until the line rises (another piece of
 *   code touching the device), the timeout passes in real time, or the signal aborts.
 */
import type { InterruptSource, WaitInterruptOptions } from '../interfaces';
import { codedError } from '../errors';
import { InterruptWaiters, interruptIterator, toWaitSpec } from '../irq';
import { toInstance, toOptions, toStr } from '../validate';
import { SimIrqLine } from './device';
import { SimScheduler } from './scheduler';

/** Options of {@link SimUioInterrupt}. */
export interface SimUioOptions {
  /** A name for messages. Default: the line's name. */
  name?: string;
}

export class SimUioInterrupt implements InterruptSource, Disposable {
  readonly name: string;
  readonly line: SimIrqLine;
  readonly scheduler: SimScheduler;
  #events = 0;
  #read = 0;
  #masked = false;
  #closed = false;
  readonly #off: () => void;
  readonly #waiters = new InterruptWaiters(
    () => {},
    () => {},
  );

  constructor(line: SimIrqLine, scheduler: SimScheduler, options: SimUioOptions = {}) {
    this.line = toInstance(line, 'line', SimIrqLine);
    this.scheduler = toInstance(scheduler, 'scheduler', SimScheduler);
    const o = toOptions<SimUioOptions>(options, 'options', ['name']);
    this.name = o.name === undefined ? line.name : toStr(o.name, 'options.name');
    this.#off = line.onChange((level) => {
      if (level) this.#fire();
    });
  }

  /** Interrupts the source has taken so far (what sysfs `event` shows). */
  get events(): number {
    return this.#events;
  }
  get count(): number {
    return this.#read;
  }
  /** Whether the interrupt is masked (after each interrupt, until enableInterrupt()). */
  get masked(): boolean {
    return this.#masked;
  }
  get closed(): boolean {
    return this.#closed;
  }

  #fire(): void {
    if (this.#masked || this.#closed) return;
    this.#events++;
    this.#masked = true;
    if (this.#waiters.size > 0) {
      this.#read = this.#events;
      this.#waiters.resolveAll(this.#read);
    }
  }

  #check(): void {
    if (this.#closed) throw codedError('ERR_MMAPKIT_CLOSED', `The simulated interrupt ${this.name} is closed`);
  }

  enableInterrupt(): void {
    this.#check();
    this.#masked = false;
    // A level-triggered line still high interrupts again at once, as INTx does when unmasked.
    if (this.line.level) this.#fire();
  }

  disableInterrupt(): void {
    this.#check();
    this.#masked = true;
  }

  takeInterrupt(): number | undefined {
    this.#check();
    if (this.#events === this.#read) return undefined;
    this.#read = this.#events;
    return this.#read;
  }

  waitInterrupt(options?: WaitInterruptOptions): Promise<number> {
    try {
      const spec = toWaitSpec(options);
      this.#check();
      if (spec.reenable) this.enableInterrupt();
      if (spec.signal?.aborted) return Promise.reject(spec.signal.reason);
      let now = this.takeInterrupt();
      if (now !== undefined) return Promise.resolve(now);
      const limitNs = spec.timeout === undefined ? 1e12 : spec.timeout * 1e6;
      this.scheduler.runUntil(() => this.#events !== this.#read, limitNs);
      now = this.takeInterrupt();
      if (now !== undefined) return Promise.resolve(now);
      return this.#waiters.add(spec, this.name);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  interrupts(options?: WaitInterruptOptions): AsyncIterableIterator<number> {
    toWaitSpec(options);
    return interruptIterator(this, options);
  }

  /** Stops listening to the line; pending waits reject with ERR_MMAPKIT_CLOSED. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#off();
    this.#waiters.rejectAll(codedError('ERR_MMAPKIT_CLOSED', `The simulated interrupt ${this.name} was closed while waiting`));
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
