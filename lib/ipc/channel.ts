/**
 * Channel: a message ring in shared memory (layout in ./layout.ts). One producer and one consumer
 * ('spsc', lock-free) or many of each ('mpmc', one robust Mutex per side); fixed-size slots or
 * variable-length byte messages; zero-copy (reserve/commit, acquire/release), copying
 * (send/receive) and structured-clone (sendValue/receiveValue) forms.
 *
 * A message becomes visible only when the tail moves past it (one atomic store, after its bytes
 * and length are written): a producer killed mid-write leaves nothing behind. A consumer spins
 * briefly on an empty ring, then counts itself asleep and sleeps on a futex; a producer makes the
 * wake system call only when someone sleeps.
 *
 * Longer than the usual 400 lines on purpose: the producer and consumer halves share the ring's
 * private state (#-fields of one class: reservation, acquisition, positions seen); splitting them
 * into files would mean exposing that state.
 */
import * as v8 from 'node:v8';
import { markAsUntransferable } from 'node:worker_threads';
import { codedError } from '../errors';
import { checkLoop } from '../views';
import { invalidType, toChoice, toIndex, toInt, toOptions } from '../validate';
import {
  HEADER,
  MAX_CAPACITY,
  MIN_CAPACITY,
  MODES,
  PAD,
  WHEN_FULL,
  W_CLOSED,
  W_CONSUMERS_ASLEEP,
  W_DATA_SEQ,
  W_GENERATION,
  W_HEAD,
  W_PRODUCERS_ASLEEP,
  W_SPACE_SEQ,
  W_TAIL,
  B_CONSUMER_LOCK,
  B_PRODUCER_LOCK,
  align8,
  attach,
  checkPeers,
  corrupt,
  detach,
  dropDead,
  maxMessage,
  peers,
  readHeader,
  stride,
  writeHeader,
  type ChannelMode,
  type Geometry,
  type Peer,
  type Role,
  type WhenFull,
} from './layout';
import { deadline, region, runAsync, runSync, slice, timeoutError, wake, type Blocking, type RegionGuard, type SharedRegion, type WaitOptions } from './memory';
import { Mutex } from './mutex';

export interface ChannelOptions {
  /** This end's role. */
  role: Role;
  /** Byte offset of the channel in the memory (8-byte aligned). Default 0. */
  offset?: number;
  /** create(): ring bytes (default: all the memory after the header, rounded down to a multiple of 8 or of the slot stride). */
  capacity?: number;
  /** create(): 'spsc' (default) or 'mpmc'. */
  mode?: ChannelMode;
  /** create(): what a send does on a full ring: 'wait' (default), 'fail' (ERR_MMAPKIT_FULL) or 'overwrite' (drop the oldest). */
  whenFull?: WhenFull;
  /** create(): fixed-size slots of this many payload bytes; 0 (default) for variable-length messages. */
  slotSize?: number;
  /**
   * This end only: microseconds a blocked call keeps checking the ring before it sleeps on the
   * futex (default 50; 0 sleeps at once). Spinning saves the sleep and the wake-up system calls
   * while the peer is busy on another core; on a single core, or with many idle channels, 0 or a
   * few microseconds waste less CPU.
   */
  spin?: number;
}
const KEYS = ['role', 'offset', 'capacity', 'mode', 'whenFull', 'slotSize', 'spin'];
/** Default spin budget (µs): about two futex wake-ups here, so a busy peer is met without a system call. */
export const DEFAULT_SPIN_US = 50;
const MAX_SPIN_US = 1_000_000;
/** The pause between two checks of a spinning call (milliseconds): 1 µs. */
const SPIN_PAUSE_MS = 0.001;

export class Channel implements Disposable {
  readonly role: Role;
  readonly mode: ChannelMode;
  readonly whenFull: WhenFull;
  readonly capacity: number;
  /** Fixed slot size, or 0 for variable-length messages. */
  readonly slotSize: number;
  /** The largest message this channel carries. */
  readonly maxMessage: number;
  /** The pid of the process that created the channel (from the header). */
  readonly creatorPid: number;
  readonly #w: Int32Array;
  readonly #u8: Uint8Array;
  readonly #period: number;
  readonly #lock: Mutex | null;
  /** For a channel in a Mapping: checks the mapping was not unmapped or protected since (else null). */
  readonly #g: RegionGuard | null;
  /** Spin budget in milliseconds (performance.now() units). */
  readonly #spinMs: number;
  #entry: number;
  // reservation (producer): tail seen, pad header index (-1: none), record index, bytes reserved
  #rTail = -1;
  #rPad = -1;
  #rIdx = 0;
  #rLen = 0;
  // acquisition (consumer): head seen, next head, record index, length
  #aHead = -1;
  #aNext = 0;
  #aIdx = 0;
  #aLen = 0;
  /** Positions seen last time (see #place and #peek), and the generation they belong to. */
  #headSeen = 0;
  #tailSeen = 0;
  #genSeen = -1;
  /** The length word #recordSpan() read. */
  #spanLen = 0;
  /** @internal What close() also releases (a mapping made by createChannel / openChannel). */
  onClose: (() => void) | undefined;

  private constructor(memory: SharedRegion, offset: number, g: Geometry, role: Role, spinUs: number) {
    const r = region(memory, offset, HEADER + g.capacity, 'channel');
    this.#w = r.words;
    this.#g = r.guard;
    this.#u8 = r.bytes;
    this.role = role;
    this.mode = g.mode;
    this.whenFull = g.whenFull;
    this.capacity = g.capacity;
    this.slotSize = g.slotSize;
    this.maxMessage = maxMessage(g);
    this.creatorPid = g.creatorPid;
    this.#period = g.period;
    this.#lock = g.mode === 'mpmc' ? new Mutex(r.bytes, role === 'producer' ? B_PRODUCER_LOCK : B_CONSUMER_LOCK) : null;
    this.#spinMs = spinUs / 1000;
    this.#entry = attach(this.#w, role);
  }

  /** Bytes a channel with a ring of `capacity` bytes takes (header included). */
  static bytesFor(capacity: number): number {
    return HEADER + toIndex(capacity, 'capacity');
  }

  /** Writes a new channel into `memory` (erasing what was there) and attaches to it as options.role. */
  static create(memory: SharedRegion, options: ChannelOptions): Channel {
    const o = toOptions<ChannelOptions>(options, 'options', KEYS);
    const role = toChoice(o.role, 'options.role', ['producer', 'consumer'] as const);
    const offset = o.offset === undefined ? 0 : toIndex(o.offset, 'options.offset');
    const mode = o.mode === undefined ? 'spsc' : toChoice(o.mode, 'options.mode', MODES);
    const whenFull = o.whenFull === undefined ? 'wait' : toChoice(o.whenFull, 'options.whenFull', WHEN_FULL);
    const slotSize = o.slotSize === undefined ? 0 : toInt(o.slotSize, 'options.slotSize', 0, MAX_CAPACITY);
    const all = region(memory, offset, undefined, 'channel');
    const unit = slotSize > 0 ? stride(slotSize) : 8;
    let capacity: number;
    if (o.capacity === undefined) capacity = Math.min(MAX_CAPACITY, Math.floor(Math.max(0, all.bytes.byteLength - HEADER) / unit) * unit);
    else capacity = toInt(o.capacity, 'options.capacity', 0, MAX_CAPACITY);
    if (capacity % unit !== 0) {
      throw codedError(
        'ERR_OUT_OF_RANGE',
        `The value of "options.capacity" must be a multiple of ${unit} (${slotSize > 0 ? `the slot stride: ${slotSize} bytes + 8 of header, rounded up to 8` : '8'}). Received ${capacity}`,
      );
    }
    const need = slotSize > 0 ? stride(slotSize) : 8 + 8;
    if (capacity < Math.max(MIN_CAPACITY, need)) {
      throw codedError(
        'ERR_MMAPKIT_RING_TOO_SMALL',
        `A ring of ${capacity} bytes cannot hold one message: it needs at least ${Math.max(MIN_CAPACITY, need)} bytes${slotSize > 0 ? ` for ${slotSize}-byte slots` : ''}`,
      );
    }
    if (HEADER + capacity > all.bytes.byteLength) {
      throw codedError(
        'ERR_OUT_OF_RANGE',
        `A channel with a ${capacity}-byte ring needs ${HEADER + capacity} bytes (Channel.bytesFor), but only ${all.bytes.byteLength} are available at offset ${offset}`,
      );
    }
    const spin = spinOption(o.spin);
    writeHeader(all.words, { capacity, mode, whenFull, slotSize });
    return new Channel(memory, offset, readHeader(all.words, all.bytes.byteLength), role, spin);
  }

  /** Attaches to a channel another process or thread created; the header is validated first. */
  static open(memory: SharedRegion, options: ChannelOptions): Channel {
    const o = toOptions<ChannelOptions>(options, 'options', KEYS);
    const role = toChoice(o.role, 'options.role', ['producer', 'consumer'] as const);
    const offset = o.offset === undefined ? 0 : toIndex(o.offset, 'options.offset');
    for (const k of ['capacity', 'mode', 'whenFull', 'slotSize'] as const) {
      if (o[k] !== undefined) throw codedError('ERR_INVALID_ARG_VALUE', `options.${k} is fixed by the channel's creator; open() reads it from the header`);
    }
    const spin = spinOption(o.spin);
    const all = region(memory, offset, undefined, 'channel');
    if (all.bytes.byteLength < 64)
      throw codedError('ERR_MMAPKIT_BAD_HEADER', `Not a usable mmapkit channel: the memory holds ${all.bytes.byteLength} bytes, less than a header`);
    return new Channel(memory, offset, readHeader(all.words, all.bytes.byteLength), role, spin);
  }

  /** Peers attached to the channel, with their liveness. */
  peers(): Peer[] {
    this.#g?.check();
    return peers(this.#w);
  }

  /** How many bytes of the ring hold unreceived messages (records and padding). */
  get pendingBytes(): number {
    this.#g?.check();
    return this.#used(Atomics.load(this.#w, W_TAIL), Atomics.load(this.#w, W_HEAD));
  }

  get closed(): boolean {
    return this.#entry < 0;
  }

  #used(t: number, h: number): number {
    const p = this.#period;
    if (t < 0 || t >= p || h < 0 || h >= p) throw corrupt(`position ${t < 0 || t >= p ? t : h} outside [0, ${p})`);
    const u = t >= h ? t - h : t - h + p;
    if (u > this.capacity) throw corrupt(`${u} bytes in use in a ${this.capacity}-byte ring`);
    return u;
  }

  #live(role: Role): void {
    if (this.#entry < 0) throw codedError('ERR_MMAPKIT_CLOSED', 'The channel has been closed');
    this.#g?.check();
    if (this.role !== role) throw codedError('ERR_MMAPKIT_WRONG_ROLE', `This end of the channel is a ${this.role}; only a ${role} can do that`);
  }

  #checkLength(len: number): void {
    if (len > this.maxMessage) {
      throw codedError(
        'ERR_MMAPKIT_MESSAGE_TOO_LARGE',
        `A message of ${len} bytes is larger than this channel carries (${this.maxMessage} bytes: ${this.slotSize > 0 ? 'the slot size' : 'half the ring less an 8-byte header'})`,
      );
    }
  }

  /**
   * The spin phase of a blocked call: the time it ends (performance.now()), kept across attempts;
   * 0 once it is over (then the call sleeps). The spin also ends at the call's deadline; after each
   * wake-up the call spins again. The first attempt after a failed one comes at once, every later
   * one after a pause of {@link SPIN_PAUSE_MS} that touches no shared memory: a side that re-reads
   * the other side's position in a tight loop pulls that cache line back to its own core after
   * every store the other side makes, so each message costs a round trip between cores. Measured
   * between two processes on 2 vCPUs (8-byte messages), a busy producer sent 2.9 M msg/s to a
   * consumer that spun without pausing and 4.7 M with the pause; a round trip took about 0.4 µs
   * longer (p50 2.3 against 1.9 µs).
   */
  #spinning(until: number, end: number): number {
    if (this.#spinMs === 0 || until === 0) return 0;
    const now = performance.now();
    if (until < 0) return Math.min(now + this.#spinMs, end);
    if (now >= until) return 0;
    const resume = Math.min(now + SPIN_PAUSE_MS, until);
    while (performance.now() < resume);
    return until;
  }

  // ---- producer ----

  /** Finds room for `len` bytes; records the reservation; returns false when full. */
  #place(len: number): boolean {
    const w = this.#w;
    const cap = this.capacity;
    const need = this.slotSize > 0 ? stride(this.slotSize) : 8 + align8(len);
    for (;;) {
      const t = Atomics.load(w, W_TAIL);
      const idx = t % cap;
      const room = cap - idx;
      const total = need <= room ? need : room + need;
      // The head seen last time is never ahead of the real one (only consumers and overwrites move
      // it, forward; a reset empties the ring), so it can only understate the room: trust it when
      // it shows enough, and read the consumers' cache line only when it does not.
      let h = this.#headSeen;
      let used = t >= h ? t - h : t - h + this.#period;
      if (used > cap || cap - used < total) {
        h = this.#headSeen = Atomics.load(w, W_HEAD);
        used = this.#used(t, h);
      }
      if (cap - used >= total) {
        this.#rTail = t;
        this.#rPad = need <= room ? -1 : idx;
        this.#rIdx = need <= room ? idx : 0;
        this.#rLen = len;
        return true;
      }
      if (this.whenFull !== 'overwrite' || used === 0) return false;
      this.#dropOldest(h, used);
    }
  }

  /** Overwrite mode: moves the head past the oldest record (a consumer may race: CAS). */
  #dropOldest(h: number, used: number): void {
    const idx = h % this.capacity;
    const skip = this.#recordSpan(idx, used);
    Atomics.compareExchange(this.#w, W_HEAD, h, (h + skip) % this.#period);
  }

  /** Bytes the record (or padding) at ring index idx spans, validated against `used`. */
  #recordSpan(idx: number, used: number): number {
    const len = (this.#spanLen = this.#w[(HEADER + idx) >> 2]);
    let span: number;
    if (len === PAD && this.slotSize === 0) span = this.capacity - idx;
    else if (len >= 0 && len <= this.maxMessage) span = this.slotSize > 0 ? stride(this.slotSize) : 8 + align8(len);
    else throw corrupt(`record length ${len} at ring offset ${idx}`);
    if (span > used || idx + span > this.capacity) throw corrupt(`record of ${span} bytes at ring offset ${idx} passes the ${used} bytes in use`);
    return span;
  }

  /** Publishes the reservation with `len` bytes: length word, then one store of the tail. */
  #publish(len: number): void {
    const w = this.#w;
    if (this.#rPad >= 0) w[(HEADER + this.#rPad) >> 2] = PAD;
    w[(HEADER + this.#rIdx) >> 2] = len;
    w[((HEADER + this.#rIdx) >> 2) + 1] = 0;
    const span = this.slotSize > 0 ? stride(this.slotSize) : 8 + align8(len);
    const pad = this.#rPad >= 0 ? this.capacity - this.#rPad : 0;
    Atomics.store(w, W_TAIL, (this.#rTail + pad + span) % this.#period);
    this.#rTail = -1;
    if (Atomics.load(w, W_CONSUMERS_ASLEEP) > 0) {
      Atomics.add(w, W_DATA_SEQ, 1);
      wake(w, W_DATA_SEQ);
    }
  }

  /** The blocking part of a reservation: lock (MPMC), find room, or sleep until there is some. */
  *#reserveSteps(len: number, end: number, ms: number): Blocking<void> {
    let spinUntil = -1;
    for (;;) {
      if (this.#lock !== null) yield* lockSide(this.#lock, end, ms);
      if (this.#place(len)) return;
      if (this.#lock !== null) this.#lock.unlock();
      if (this.whenFull === 'fail')
        throw codedError('ERR_MMAPKIT_FULL', `The channel is full (${this.capacity}-byte ring); the message of ${len} bytes was not sent`);
      if (this.#entry < 0) throw codedError('ERR_MMAPKIT_CLOSED', 'The channel has been closed');
      if ((spinUntil = this.#spinning(spinUntil, end)) !== 0) continue;
      if (performance.now() >= end) throw timeoutError('Channel send', ms);
      yield* this.#sleep(W_SPACE_SEQ, W_PRODUCERS_ASLEEP, () => this.#roomFor(len), end, 'consumer');
      spinUntil = -1;
    }
  }

  /**
   * One sleep of a blocked call: counts itself asleep (so the other side makes the wake call),
   * checks `ready` once more after that (no lost wake-up), then sleeps on the sequence word until
   * woken or the liveness slice ends; after a time-out the other side must still have a live peer.
   */
  *#sleep(seqIndex: number, asleepIndex: number, ready: () => boolean, end: number, other: Role): Blocking<void> {
    const w = this.#w;
    const seq = Atomics.load(w, seqIndex);
    Atomics.add(w, asleepIndex, 1);
    let r;
    try {
      if (ready()) return;
      r = yield { words: w, index: seqIndex, value: seq, ms: slice(end) };
    } finally {
      Atomics.sub(w, asleepIndex, 1);
    }
    if (r === 'timed-out') checkPeers(w, other);
  }

  #roomFor(len: number): boolean {
    const ok = this.#place(len);
    this.#rTail = -1;
    return ok;
  }

  #reserved(what: string): void {
    if (this.#rTail >= 0) throw codedError('ERR_MMAPKIT_BUSY', `${what}: a reservation is open; commit() or cancel() it first`);
  }

  #view(): Uint8Array {
    const at = HEADER + this.#rIdx + 8;
    return this.#u8.subarray(at, at + this.#rLen);
  }

  /** Zero-copy send: room for `length` bytes, as a view to write into; then commit(). Blocks when full (per whenFull). */
  reserve(length: number, options?: WaitOptions): Uint8Array {
    this.#live('producer');
    this.#reserved('reserve()');
    const len = toIndex(length, 'length');
    this.#checkLength(len);
    if (this.#lock === null && this.#place(len)) return this.#view();
    const d = deadline(options);
    runSync(this.#reserveSteps(len, d.end, d.ms), d.signal);
    return this.#view();
  }

  async reserveAsync(length: number, options?: WaitOptions): Promise<Uint8Array> {
    this.#live('producer');
    this.#reserved('reserveAsync()');
    const len = toIndex(length, 'length');
    this.#checkLength(len);
    if (this.#lock === null && this.#place(len)) return this.#view();
    const d = deadline(options);
    await runAsync(this.#reserveSteps(len, d.end, d.ms), d.signal);
    return this.#view();
  }

  /** reserve() that never waits: null when full (or, MPMC, when another producer holds the ring). */
  tryReserve(length: number): Uint8Array | null {
    this.#live('producer');
    this.#reserved('tryReserve()');
    const len = toIndex(length, 'length');
    this.#checkLength(len);
    if (this.#lock !== null && !tryLockSide(this.#lock)) return null;
    if (this.#place(len)) return this.#view();
    if (this.#lock !== null) this.#lock.unlock();
    return null;
  }

  /** Publishes the reserved message, optionally shortened to `length` bytes. */
  commit(length?: number): void {
    if (this.#rTail < 0) throw codedError('ERR_MMAPKIT_NOT_RESERVED', 'commit() needs a reservation (reserve() first)');
    this.#g?.check();
    const len = length === undefined ? this.#rLen : toInt(length, 'length', 0, this.#rLen);
    this.#publish(len);
    if (this.#lock !== null) this.#lock.unlock();
  }

  /** Drops the open reservation: nothing is sent. */
  cancel(): void {
    if (this.#rTail < 0) return;
    this.#g?.check();
    this.#rTail = -1;
    if (this.#lock !== null) this.#lock.unlock();
  }

  /** Copies `data` into the ring as one message. */
  send(data: ArrayBufferView, options?: WaitOptions): void {
    const src = bytesOf(data);
    this.#live('producer');
    this.#reserved('send()');
    this.#checkLength(src.byteLength);
    if (this.#lock === null && this.#place(src.byteLength)) {
      this.#u8.set(src, HEADER + this.#rIdx + 8);
      this.#publish(src.byteLength);
      return;
    }
    this.reserve(src.byteLength, options).set(src);
    this.commit();
  }

  async sendAsync(data: ArrayBufferView, options?: WaitOptions): Promise<void> {
    const src = bytesOf(data);
    (await this.reserveAsync(src.byteLength, options)).set(src);
    this.commit();
  }

  /** send() that never waits: false when the ring is full. */
  trySend(data: ArrayBufferView): boolean {
    const src = bytesOf(data);
    const v = this.tryReserve(src.byteLength);
    if (v === null) return false;
    v.set(src);
    this.commit();
    return true;
  }

  /** Sends a structured-clone copy of `value` (v8.serialize). */
  sendValue(value: unknown, options?: WaitOptions): void {
    this.send(serialize(value), options);
  }

  sendValueAsync(value: unknown, options?: WaitOptions): Promise<void> {
    try {
      return this.sendAsync(serialize(value), options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  // ---- consumer ----

  /** Finds the oldest message; records it; false when the ring is empty. */
  #peek(): boolean {
    const w = this.#w;
    for (;;) {
      const h = Atomics.load(w, W_HEAD);
      // The tail seen last time, while the channel's generation is unchanged, is never ahead of the
      // real one: read the producers' cache line only when it shows nothing (or the head passed it).
      let t = this.#tailSeen;
      const gen = Atomics.load(w, W_GENERATION);
      if (gen !== this.#genSeen || t === h || (t >= h ? t - h : t - h + this.#period) > this.capacity) {
        this.#genSeen = gen;
        t = this.#tailSeen = Atomics.load(w, W_TAIL);
        if (h === t) return false;
      }
      const idx = h % this.capacity;
      let span: number;
      try {
        span = this.#recordSpan(idx, this.#used(t, h));
      } catch (err) {
        // Overwrite mode: a producer may be rewriting the oldest record under us; retry if so.
        if (this.whenFull === 'overwrite' && Atomics.load(w, W_HEAD) !== h) continue;
        throw err;
      }
      const len = this.#spanLen;
      if (len === PAD && this.slotSize === 0) {
        const next = (h + span) % this.#period;
        if (this.whenFull === 'overwrite') Atomics.compareExchange(w, W_HEAD, h, next);
        else Atomics.store(w, W_HEAD, next);
        continue;
      }
      this.#aHead = h;
      this.#aNext = (h + span) % this.#period;
      this.#aIdx = idx;
      this.#aLen = len;
      return true;
    }
  }

  /** Moves the head past the acquired message; in overwrite mode false if a producer dropped it meanwhile. */
  #consume(): boolean {
    const w = this.#w;
    const h = this.#aHead;
    this.#aHead = -1;
    if (this.whenFull === 'overwrite') {
      if (Atomics.compareExchange(w, W_HEAD, h, this.#aNext) !== h) return false;
    } else {
      Atomics.store(w, W_HEAD, this.#aNext);
    }
    if (Atomics.load(w, W_PRODUCERS_ASLEEP) > 0) {
      Atomics.add(w, W_SPACE_SEQ, 1);
      wake(w, W_SPACE_SEQ);
    }
    return true;
  }

  *#acquireSteps(end: number, ms: number): Blocking<void> {
    const w = this.#w;
    let spinUntil = -1;
    for (;;) {
      if (this.#lock !== null) yield* lockSide(this.#lock, end, ms);
      if (this.#peek()) return;
      if (this.#lock !== null) this.#lock.unlock();
      if (this.#entry < 0) throw codedError('ERR_MMAPKIT_CLOSED', 'The channel has been closed');
      if (Atomics.load(w, W_CLOSED) !== 0) checkPeers(w, 'producer');
      if ((spinUntil = this.#spinning(spinUntil, end)) !== 0) continue;
      if (performance.now() >= end) throw timeoutError('Channel receive', ms);
      yield* this.#sleep(W_DATA_SEQ, W_CONSUMERS_ASLEEP, () => Atomics.load(w, W_TAIL) !== Atomics.load(w, W_HEAD), end, 'producer');
      spinUntil = -1;
    }
  }

  #acquired(what: string): void {
    if (this.#aHead >= 0) throw codedError('ERR_MMAPKIT_BUSY', `${what}: a received view is still held; release() it first`);
  }

  #zeroCopyAllowed(): void {
    if (this.whenFull === 'overwrite')
      throw codedError('ERR_MMAPKIT_UNSUPPORTED', "acquire() is not available with whenFull 'overwrite' (a producer may overwrite the view); use receive()");
  }

  #message(): Uint8Array {
    const at = HEADER + this.#aIdx + 8;
    return this.#u8.subarray(at, at + this.#aLen);
  }

  /** Zero-copy receive: a view of the oldest message, valid until release(). Blocks while empty. */
  acquire(options?: WaitOptions): Uint8Array {
    this.#live('consumer');
    this.#acquired('acquire()');
    this.#zeroCopyAllowed();
    if (this.#lock === null && this.#peek()) return this.#message();
    const d = deadline(options);
    runSync(this.#acquireSteps(d.end, d.ms), d.signal);
    return this.#message();
  }

  async acquireAsync(options?: WaitOptions): Promise<Uint8Array> {
    this.#live('consumer');
    this.#acquired('acquireAsync()');
    this.#zeroCopyAllowed();
    if (this.#lock === null && this.#peek()) return this.#message();
    const d = deadline(options);
    await runAsync(this.#acquireSteps(d.end, d.ms), d.signal);
    return this.#message();
  }

  /** acquire() that never waits: null when empty. */
  tryAcquire(): Uint8Array | null {
    this.#live('consumer');
    this.#acquired('tryAcquire()');
    this.#zeroCopyAllowed();
    if (this.#lock !== null && !tryLockSide(this.#lock)) return null;
    if (this.#peek()) return this.#message();
    if (this.#lock !== null) this.#lock.unlock();
    return null;
  }

  /** Frees the acquired message's bytes for the producer; its view must not be used after. */
  release(): void {
    if (this.#aHead < 0) throw codedError('ERR_MMAPKIT_NOT_ACQUIRED', 'release() needs an acquired message (acquire() first)');
    this.#g?.check();
    this.#consume();
    if (this.#lock !== null) this.#lock.unlock();
  }

  /** Copies the acquired message out and releases it; null if overwritten meanwhile. */
  #take(): Buffer | null {
    const at = HEADER + this.#aIdx + 8;
    const len = this.#aLen;
    const out = len >= SLAB_MIN && len <= SLAB_MAX ? fromSlab(len) : Buffer.allocUnsafe(len);
    // A short message is copied byte by byte (cheaper than making a subarray to set() from).
    if (len <= 16) for (let i = 0; i < len; i++) out[i] = this.#u8[at + i];
    else out.set(this.#u8.subarray(at, at + len));
    const ok = this.#consume();
    if (this.#lock !== null) this.#lock.unlock();
    return ok ? out : null;
  }

  /** Receives the oldest message as a Buffer of its own. Blocks while empty. */
  receive(options?: WaitOptions): Buffer {
    this.#live('consumer');
    this.#acquired('receive()');
    for (;;) {
      if (this.#lock === null && this.#peek()) {
        const m = this.#take();
        if (m !== null) return m;
        continue;
      }
      const d = deadline(options);
      runSync(this.#acquireSteps(d.end, d.ms), d.signal);
      const m = this.#take();
      if (m !== null) return m;
    }
  }

  async receiveAsync(options?: WaitOptions): Promise<Buffer> {
    this.#live('consumer');
    this.#acquired('receiveAsync()');
    const d = deadline(options);
    for (;;) {
      await runAsync(this.#acquireSteps(d.end, d.ms), d.signal);
      const m = this.#take();
      if (m !== null) return m;
    }
  }

  /** receive() that never waits: null when empty. */
  tryReceive(): Buffer | null {
    this.#live('consumer');
    this.#acquired('tryReceive()');
    for (;;) {
      if (this.#lock !== null && !tryLockSide(this.#lock)) return null;
      if (!this.#peek()) {
        if (this.#lock !== null) this.#lock.unlock();
        return null;
      }
      const m = this.#take();
      if (m !== null) return m;
    }
  }

  /** Receives a value sent with sendValue(). */
  receiveValue(options?: WaitOptions): unknown {
    return deserialize(this.receive(options));
  }

  async receiveValueAsync(options?: WaitOptions): Promise<unknown> {
    return deserialize(await this.receiveAsync(options));
  }

  // ---- life cycle ----

  /**
   * Empties the channel and makes it usable again after a peer died: head and tail to 0, the
   * dead peers' entries and locks cleared, sleepers woken. Only while no live peer is mid-call.
   */
  reset(): void {
    if (this.#entry < 0) throw codedError('ERR_MMAPKIT_CLOSED', 'The channel has been closed');
    this.#g?.check();
    const w = this.#w;
    readHeader(w, this.#u8.byteLength);
    this.#rTail = -1;
    this.#aHead = -1;
    this.#headSeen = this.#tailSeen = 0;
    Atomics.store(w, W_HEAD, 0);
    Atomics.store(w, W_TAIL, 0);
    Atomics.store(w, W_CLOSED, 0);
    Atomics.store(w, W_CONSUMERS_ASLEEP, 0);
    Atomics.store(w, W_PRODUCERS_ASLEEP, 0);
    dropDead(w);
    if (this.mode === 'mpmc') {
      for (const at of [B_PRODUCER_LOCK, B_CONSUMER_LOCK]) Mutex.init(this.#u8, at);
    }
    Atomics.add(w, W_GENERATION, 1);
    for (const i of [W_DATA_SEQ, W_SPACE_SEQ]) {
      Atomics.add(w, i, 1);
      wake(w, i);
    }
  }

  /** How many times the channel has been reset. */
  get generation(): number {
    this.#g?.check();
    return Atomics.load(this.#w, W_GENERATION);
  }

  /**
   * Detaches this end. When the last producer closes, consumers get ERR_MMAPKIT_CHANNEL_CLOSED
   * once the ring is empty. Also unmaps memory that createChannel() / openChannel() mapped.
   */
  close(): void {
    if (this.#entry < 0) return;
    if (this.#g !== null && !this.#g.usable()) {
      // The memory was unmapped or protected under the channel: detach without touching it.
      this.#entry = -1;
      this.#rTail = -1;
      this.#aHead = -1;
      this.onClose?.();
      return;
    }
    this.cancel();
    if (this.#aHead >= 0) {
      this.#aHead = -1;
      if (this.#lock !== null) this.#lock.unlock();
    }
    const others = detach(this.#w, this.#entry, this.role);
    this.#entry = -1;
    if (this.role === 'producer' && !others) {
      Atomics.store(this.#w, W_CLOSED, 1);
      Atomics.add(this.#w, W_DATA_SEQ, 1);
      wake(this.#w, W_DATA_SEQ);
    }
    this.onClose?.();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function serialize(value: unknown): Buffer {
  if (value instanceof ArrayBuffer) checkLoop(value, 0, value.byteLength, 'read', 'sendValue()')?.(0, value.byteLength);
  try {
    const ser = new CheckedSerializer();
    ser.writeHeader();
    ser.writeValue(value);
    return ser.releaseBuffer();
  } catch (err) {
    if (typeof (err as { code?: unknown })?.code === 'string') throw err;
    throw codedError('ERR_INVALID_ARG_VALUE', `The value cannot be sent with sendValue(): ${(err as Error)?.message ?? String(err)}`);
  }
}

function deserialize(message: Buffer): unknown {
  try {
    return v8.deserialize(message);
  } catch (err) {
    throw codedError(
      'ERR_MMAPKIT_BAD_MESSAGE',
      `A message of ${message.length} bytes is not a value sendValue() sent (${(err as Error).message}); it has been consumed`,
    );
  }
}

/**
 * Received messages of 4 KiB to 32 KiB are cut from a shared 256 KiB slab, as Node cuts Buffers
 * under 4 KiB from its pool: Node gives every larger Buffer an ArrayBuffer of its own, and making
 * one cost about 7 µs for 4 KiB here, twenty times the copy. Such a Buffer's `buffer` is the slab
 * (mind its `byteOffset`), the slab lives while any Buffer cut from it does, and it cannot be
 * transferred (postMessage with it in the transfer list copies it on Node 20 and refuses it from
 * Node 22 on), so handing one message to a worker never detaches the others.
 */
const SLAB_BYTES = 256 * 1024;
const SLAB_MIN = 4096;
const SLAB_MAX = 32 * 1024;
let slab: ArrayBuffer | null = null;
let slabUsed = 0;

function fromSlab(len: number): Buffer {
  if (slab === null || SLAB_BYTES - slabUsed < len) {
    slab = new ArrayBuffer(SLAB_BYTES);
    markAsUntransferable(slab);
    slabUsed = 0;
  }
  const out = Buffer.from(slab, slabUsed, len);
  slabUsed += (len + 7) & ~7;
  return out;
}

function spinOption(spin: unknown): number {
  return spin === undefined ? DEFAULT_SPIN_US : toInt(spin, 'options.spin', 0, MAX_SPIN_US);
}

/** The bytes of `data`, checked readable first when they are a Mapping's (unmapped, protected, truncated). */
function bytesOf(data: unknown): Uint8Array {
  let u: Uint8Array;
  if (data instanceof Uint8Array) u = data;
  else if (ArrayBuffer.isView(data)) u = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else throw invalidType('data', 'an ArrayBufferView (Buffer, TypedArray or DataView)', data);
  checkLoop(u.buffer, u.byteOffset, u.byteLength, 'read', 'send()')?.(0, u.byteLength);
  return u;
}

/**
 * v8's serializer, with every typed array and Buffer in the value checked readable first when it
 * is a Mapping's bytes (the serializer copies them natively, where a protected or truncated page
 * would raise SIGSEGV or SIGBUS). A bare ArrayBuffer of a mapping nested in the value is copied by
 * V8 itself, unchecked (docs/ipc.md).
 */
class CheckedSerializer extends v8.DefaultSerializer {
  _writeHostObject(object: object): void {
    if (ArrayBuffer.isView(object)) checkLoop(object.buffer, object.byteOffset, object.byteLength, 'read', 'sendValue()')?.(0, object.byteLength);
    (v8.DefaultSerializer.prototype as unknown as { _writeHostObject(o: object): void })._writeHostObject.call(this, object);
  }
}

/** Takes one side's lock; a dead holder left nothing half-published (the tail or head never moved), so recover at once. */
function* lockSide(m: Mutex, end: number, ms: number): Blocking<void> {
  try {
    if (m.tryLock()) return;
    yield* m.lockSteps(end, ms);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MMAPKIT_OWNER_DEAD') throw err;
    m.markConsistent();
  }
}

function tryLockSide(m: Mutex): boolean {
  try {
    return m.tryLock();
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MMAPKIT_OWNER_DEAD') throw err;
    m.markConsistent();
    return true;
  }
}
