/**
 * What a line request does the same way on both backends: line lookup, values as bits and per
 * line, event fan-out to 'event' listeners and async iterators, sequence-gap accounting, closing.
 * A backend supplies the few operations below (ioctls on a request fd, or a simulated chip).
 */
import { EventEmitter } from 'node:events';
import { codedError } from '../errors';
import { invalidType, toObject } from '../validate';
import { closedError, type GpioEdgeEvent, type GpioLineRequestLike, type GpioRequestOptions } from './chardev-types';

/**
 * @internal The arguments of a request's constructor, checked: requests are made by a chip's
 * requestLines(), and a direct `new` with anything else is refused with a coded error.
 */
export function checkRequestArgs(
  chip: unknown,
  offsets: unknown,
  consumer: unknown,
  names: unknown,
  owner: unknown,
  ownerOk: boolean,
  ownerName: string,
): string {
  if (typeof chip !== 'string') throw invalidType('chip', 'of type string (requests are made by chip.requestLines())', chip);
  if (!Array.isArray(offsets) || !offsets.every((o) => Number.isInteger(o) && o >= 0)) throw invalidType('offsets', 'an array of line offsets', offsets);
  if (typeof consumer !== 'string') throw invalidType('consumer', 'of type string', consumer);
  if (!(names instanceof Map)) throw invalidType('names', 'a Map of line names', names);
  if (!ownerOk) throw invalidType('chip', `the ${ownerName} that made the request (requests are made by chip.requestLines())`, owner);
  return chip;
}

/** An event as a backend reads it, before gap accounting. */
export interface RawEdgeEvent {
  timestampNs: bigint;
  id: number; // 1 rising, 2 falling
  offset: number;
  seqno: number;
  lineSeqno: number;
}

interface Waiter {
  resolve: (r: IteratorResult<GpioEdgeEvent>) => void;
  reject: (e: unknown) => void;
}

interface Consumer {
  queue: GpioEdgeEvent[];
  waiters: Waiter[];
  error?: unknown;
}

export abstract class GpioLineRequestBase extends EventEmitter implements GpioLineRequestLike {
  /** Events the kernel (or the simulated chip) dropped because its queue was full, so far. */
  missedEvents = 0;
  #closed = false;
  #lastSeqno = 0;
  #consumers = new Set<Consumer>();
  #watching = false;
  #refd = true;
  readonly #byName: ReadonlyMap<string, number>;

  protected constructor(
    readonly chip: string,
    readonly offsets: readonly number[],
    readonly consumer: string,
    names: ReadonlyMap<string, number>,
  ) {
    super();
    this.#byName = names;
    this.on('newListener', (ev) => {
      if (ev === 'event') queueMicrotask(() => this.#update());
    });
    this.on('removeListener', (ev) => {
      if (ev === 'event') this.#update();
    });
  }

  // ---- backend operations
  protected abstract readBits(mask: bigint): bigint;
  protected abstract writeBits(bits: bigint, mask: bigint): void;
  protected abstract applyConfig(options: GpioRequestOptions): void;
  /** Every event queued now (never waits). */
  protected abstract drain(): RawEdgeEvent[];
  protected abstract startWatch(): void;
  protected abstract stopWatch(): void;
  protected abstract setRef(ref: boolean): void;
  protected abstract release(): void;

  get closed(): boolean {
    return this.#closed;
  }

  protected live(): void {
    if (this.#closed) throw closedError(`this GPIO line request (${this.chip} lines ${this.offsets.join(',')})`);
  }

  /** The position of a line (offset or name) among the requested lines. */
  protected position(line: number | string): number {
    let offset: number;
    if (typeof line === 'string') {
      const o = this.#byName.get(line);
      if (o === undefined)
        throw codedError('ERR_INVALID_ARG_VALUE', `no requested line is named '${line}' (requested: ${this.offsets.join(', ')} on ${this.chip})`);
      offset = o;
    } else if (typeof line === 'number' && Number.isInteger(line)) offset = line;
    else throw invalidType('line', 'a line offset (integer) or name (string)', line);
    const i = this.offsets.indexOf(offset);
    if (i < 0) throw codedError('ERR_OUT_OF_RANGE', `line ${offset} is not part of this request (requested: ${this.offsets.join(', ')})`);
    return i;
  }

  #allMask(): bigint {
    return (1n << BigInt(this.offsets.length)) - 1n;
  }

  #mask(mask: unknown): bigint {
    if (mask === undefined) return this.#allMask();
    if (typeof mask !== 'bigint') throw invalidType('mask', 'of type bigint', mask);
    if (mask < 0n || mask > this.#allMask())
      throw codedError('ERR_OUT_OF_RANGE', `mask 0x${mask.toString(16)} has bits beyond the ${this.offsets.length} requested line(s)`);
    return mask;
  }

  /** Logical values as bits: bit i = the i-th requested line. Lines outside mask read as 0. */
  getBits(mask?: bigint): bigint {
    const m = this.#mask(mask);
    this.live();
    return this.readBits(m);
  }

  /** Sets the lines in mask (default all) to the matching bits of `bits`. Lines must be outputs. */
  setBits(bits: bigint, mask?: bigint): void {
    const m = this.#mask(mask);
    if (typeof bits !== 'bigint') throw invalidType('bits', 'of type bigint', bits);
    if (bits < 0n || bits > this.#allMask())
      throw codedError('ERR_OUT_OF_RANGE', `bits 0x${bits.toString(16)} has bits beyond the ${this.offsets.length} requested line(s)`);
    this.live();
    this.writeBits(bits & m, m);
  }

  getValue(line: number | string): 0 | 1 {
    const i = this.position(line);
    return this.getBits(1n << BigInt(i)) ? 1 : 0;
  }

  /** Values of every requested line, in request order. */
  getValues(): (0 | 1)[] {
    const bits = this.getBits();
    return this.offsets.map((_, i) => ((bits >> BigInt(i)) & 1n ? 1 : 0));
  }

  setValue(line: number | string, value: 0 | 1 | boolean): void {
    const i = this.position(line);
    const v = checkValue(value, 'value');
    this.setBits(v ? 1n << BigInt(i) : 0n, 1n << BigInt(i));
  }

  /** Sets several lines: an array in request order, or { offsetOrName: value }. */
  setValues(values: Record<string, 0 | 1 | boolean> | readonly (0 | 1 | boolean)[]): void {
    let bits = 0n;
    let mask = 0n;
    if (Array.isArray(values)) {
      if (values.length !== this.offsets.length)
        throw codedError('ERR_OUT_OF_RANGE', `setValues() got ${values.length} value(s) for ${this.offsets.length} requested line(s)`);
      values.forEach((v, i) => {
        if (checkValue(v, `values[${i}]`)) bits |= 1n << BigInt(i);
        mask |= 1n << BigInt(i);
      });
    } else if (values !== null && typeof values === 'object' && !ArrayBuffer.isView(values)) {
      // (A typed array or Buffer is refused, not read element by element: it may be a view of a
      // mapping whose file was truncated.)
      for (const [k, v] of Object.entries(values)) {
        const i = this.position(/^\d+$/.test(k) ? Number(k) : k);
        if (checkValue(v, `values.${k}`)) bits |= 1n << BigInt(i);
        mask |= 1n << BigInt(i);
      }
    } else throw invalidType('values', 'an array or a plain object', values);
    this.setBits(bits, mask);
  }

  /** Changes the lines' settings in place (GPIO_V2_LINE_SET_CONFIG_IOCTL); the lines stay requested. */
  reconfigure(options: GpioRequestOptions): void {
    this.live();
    this.applyConfig(toObject<GpioRequestOptions>(options, 'options'));
  }

  /** Reads the events queued now, without waiting (they go to no listener). */
  readEvents(): GpioEdgeEvent[] {
    this.live();
    return this.drain().map((e) => this.#account(e));
  }

  #account(e: RawEdgeEvent): GpioEdgeEvent {
    const missed = e.seqno > this.#lastSeqno + 1 ? e.seqno - this.#lastSeqno - 1 : 0; // seqno starts at 1
    this.#lastSeqno = e.seqno;
    this.missedEvents += missed;
    return { offset: e.offset, edge: e.id === 1 ? 'rising' : 'falling', timestampNs: e.timestampNs, seqno: e.seqno, lineSeqno: e.lineSeqno, missed };
  }

  /** Called by the backend when events may be queued. */
  protected readable(): void {
    if (this.#closed) return;
    let raw: RawEdgeEvent[];
    try {
      raw = this.drain();
    } catch (err) {
      this.failed(err);
      return;
    }
    for (const r of raw) {
      const ev = this.#account(r);
      for (const c of this.#consumers) {
        const w = c.waiters.shift();
        if (w) w.resolve({ value: ev, done: false });
        else c.queue.push(ev);
      }
      this.emit('event', ev);
    }
  }

  /** Called by the backend when watching failed: iterators reject, 'error' listeners hear it. */
  protected failed(err: unknown): void {
    for (const c of this.#consumers) {
      c.error = err;
      for (const w of c.waiters.splice(0)) w.reject(err);
    }
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  #update(): void {
    if (this.#closed) return;
    const wanted = this.#consumers.size > 0 || this.listenerCount('event') > 0;
    if (wanted && !this.#watching) {
      this.startWatch();
      this.#watching = true;
      this.setRef(this.#refd);
    } else if (!wanted && this.#watching) {
      this.stopWatch();
      this.#watching = false;
    }
  }

  /**
   * Edge events as an async iterator: `for await (const ev of request.events())`. Ends when the
   * request is closed or the loop breaks. Each iterator gets every event from its creation on.
   */
  events(): AsyncIterableIterator<GpioEdgeEvent> {
    this.live();
    const c: Consumer = { queue: [], waiters: [] };
    this.#consumers.add(c);
    this.#update();
    const done = (): IteratorResult<GpioEdgeEvent> => ({ value: undefined, done: true });
    const finish = () => {
      this.#consumers.delete(c);
      for (const w of c.waiters.splice(0)) w.resolve(done());
      this.#update();
    };
    const it: AsyncIterableIterator<GpioEdgeEvent> = {
      next: () => {
        const ev = c.queue.shift();
        if (ev) return Promise.resolve({ value: ev, done: false });
        if (c.error !== undefined) {
          const e = c.error;
          finish();
          return Promise.reject(e);
        }
        if (this.#closed || !this.#consumers.has(c)) return Promise.resolve(done());
        return new Promise((resolve, reject) => c.waiters.push({ resolve, reject }));
      },
      return: () => {
        finish();
        return Promise.resolve(done());
      },
      [Symbol.asyncIterator]() {
        return it;
      },
    };
    return it;
  }

  /** Keep the process alive while events are awaited (the default). */
  ref(): this {
    this.#refd = true;
    if (this.#watching) this.setRef(true);
    return this;
  }
  /** Let the process exit even while events are awaited. */
  unref(): this {
    this.#refd = false;
    if (this.#watching) this.setRef(false);
    return this;
  }

  /** Releases the lines. Pending iterators end; later calls throw ERR_MMAPKIT_CLOSED. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#watching) {
      this.stopWatch();
      this.#watching = false;
    }
    for (const c of this.#consumers) for (const w of c.waiters.splice(0)) w.resolve({ value: undefined, done: true });
    this.#consumers.clear();
    this.release();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function checkValue(v: unknown, name: string): 0 | 1 {
  if (v === 0 || v === 1) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw invalidType(name, '0, 1 or a boolean', v);
}
