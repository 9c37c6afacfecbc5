/**
 * A simulated GPIO character device over a simulated Raspberry Pi GPIO block (lib/sim): the same
 * interface as lib/gpio/chardev.ts, so a program written against GpioChipLike runs on a Pi or
 * with `--sim pi4` unchanged. This file plays the kernel's part: it owns the lines' requests,
 * drives the block's registers (function select, output latch, pulls) and turns level changes
 * of requested inputs into edge events with timestamps, sequence numbers, software debounce and a
 * bounded queue whose overflow shows as a sequence gap.
 *
 *   const chip = openSimGpioChip('pi4');
 *   const button = chip.requestLines('GPIO17', { edge: 'falling', bias: 'pull-up' });
 *   chip.board.gpio.drive(17, 0);          // the simulation presses the button
 */
import { EventEmitter } from 'node:events';
import { systemError, codedError } from '../errors';
import { onSimGpioLevelChange } from '../sim/gpio-levels';
import { simRaspberryPi, type SimRaspberryPiBoard, type SimRaspberryPiModel } from '../sim/gpio';
import { invalidType, toFunction, toOptions, toStr } from '../validate';
import { GpioLineRequestBase, type RawEdgeEvent, checkRequestArgs } from './chardev-request';
import {
  closedError,
  GPIO_LINE_FLAG as F,
  lineInfoFromFlags,
  settingsFlags,
  type GpioChipInfo,
  type GpioChipLike,
  type GpioLineInfo,
  type GpioLineInfoChange,
  type GpioLineInfoChangeType,
  type GpioLineSettings,
  type GpioRequestOptions,
} from './chardev-types';
import { prepareRequest } from './chardev-prepare';
import { RaspberryPiGpio } from './raspberry-pi-gpio';

const LABELS: Record<string, string> = { bcm2835: 'pinctrl-bcm2835', bcm2711: 'pinctrl-bcm2711', rp1: 'pinctrl-rp1' };

interface LineState {
  owner: SimLineRequest;
  index: number;
  flags: number;
  debounceUs: number;
  settings: GpioLineSettings;
}

/** The "kernel" side of one simulated block, shared by every chip handle opened on it. */
class SimKernel extends EventEmitter {
  readonly lines = new Map<number, LineState>();
  readonly gpio: RaspberryPiGpio;
  constructor(
    readonly board: SimRaspberryPiBoard,
    readonly clock: () => bigint,
  ) {
    super();
    this.setMaxListeners(0);
    this.gpio = new RaspberryPiGpio(board.gpio, board.info, 'simulated');
    onSimGpioLevelChange(board.gpio, (pin, level) => this.lines.get(pin)?.owner.levelChanged(pin, level));
  }
  changed(type: GpioLineInfoChangeType, offset: number): void {
    this.emit('changed', type, offset, this.clock());
  }
}
const kernels = new WeakMap<object, SimKernel>();

export interface SimGpioChipOptions {
  /** Timestamps of events (nanoseconds). Default process.hrtime.bigint (CLOCK_MONOTONIC). */
  clock?: () => bigint;
}

/** Opens the GPIO chip of a simulated board (a model name builds a fresh board). */
export function openSimGpioChip(board: SimRaspberryPiBoard | SimRaspberryPiModel, options: SimGpioChipOptions = {}): SimGpioChip {
  return new SimGpioChip(typeof board === 'string' ? simRaspberryPi(board) : board, options);
}

export class SimGpioChip extends EventEmitter implements GpioChipLike {
  readonly path: string;
  readonly #kernel: SimKernel;
  #closed = false;
  #watched = new Set<number>();
  readonly #onChange = (type: GpioLineInfoChangeType, offset: number, ts: bigint) => {
    if (!this.#watched.has(offset)) return;
    const change: GpioLineInfoChange = { type, timestampNs: ts, info: this.lineInfo(offset) };
    setImmediate(() => {
      if (!this.#closed) this.emit('info-changed', change);
    });
  };

  constructor(
    readonly board: SimRaspberryPiBoard,
    options: SimGpioChipOptions = {},
  ) {
    super();
    if (board === null || typeof board !== 'object' || !board.gpio || !board.info) throw invalidType('board', 'a simulated board (simRaspberryPi())', board);
    const o = toOptions<SimGpioChipOptions>(options, 'options', ['clock']);
    const clock = o.clock === undefined ? () => process.hrtime.bigint() : toFunction<() => bigint>(o.clock, 'options.clock');
    let k = kernels.get(board.gpio);
    if (!k) {
      k = new SimKernel(board, clock);
      kernels.set(board.gpio, k);
    }
    this.#kernel = k;
    this.path = `sim:${board.info.chip}`;
    k.on('changed', this.#onChange);
  }

  get closed(): boolean {
    return this.#closed;
  }
  #live(): SimKernel {
    if (this.#closed) throw closedError(`GPIO chip ${this.path}`);
    return this.#kernel;
  }

  info(): GpioChipInfo {
    const k = this.#live();
    return { path: this.path, name: 'gpiochip0', label: LABELS[k.board.info.chip], lines: k.gpio.pinCount };
  }

  /** Line names as a Pi's device tree gives the header pins: GPIO0 … GPIO27; others unnamed. */
  #name(offset: number): string {
    return offset < 28 ? `GPIO${offset}` : '';
  }

  offsetOf(line: number | string): number {
    const n = this.#live().gpio.pinCount;
    if (typeof line === 'string') {
      const o = this.findLine(line);
      if (o >= 0) return o;
      if (/^\d+$/.test(line)) return this.offsetOf(Number(line));
      throw codedError('ERR_INVALID_ARG_VALUE', `${this.path} has no line named '${line}'`);
    }
    if (typeof line !== 'number') throw invalidType('line', 'a line offset (integer) or name (string)', line);
    if (!Number.isInteger(line) || line < 0 || line >= n)
      throw codedError('ERR_OUT_OF_RANGE', `${this.path} has lines 0–${n - 1}; line ${line} does not exist`);
    return line;
  }

  findLine(name: string): number {
    toStr(name, 'name');
    const n = this.#live().gpio.pinCount;
    for (let i = 0; i < n; i++) if (this.#name(i) === name) return i;
    return -1;
  }

  lineInfo(line: number | string): GpioLineInfo {
    const k = this.#live();
    const o = this.offsetOf(line);
    const st = k.lines.get(o);
    if (st) return lineInfoFromFlags(o, this.#name(o), st.owner.consumer, st.flags | F.USED, st.debounceUs);
    const fn = k.gpio.getFunction(o);
    return lineInfoFromFlags(o, this.#name(o), '', fn === 'output' ? F.OUTPUT : F.INPUT, 0);
  }

  linesInfo(): GpioLineInfo[] {
    return Array.from({ length: this.#live().gpio.pinCount }, (_, i) => this.lineInfo(i));
  }

  requestLines(lines: number | string | readonly (number | string)[], options: GpioRequestOptions = {}): SimLineRequest {
    const k = this.#live();
    const list = Array.isArray(lines) ? lines : [lines];
    if (list.length === 0 || list.length > 64) throw codedError('ERR_OUT_OF_RANGE', `a request takes 1 to 64 lines; got ${list.length}`);
    const offsets = list.map((l) => this.offsetOf(l as number | string));
    if (new Set(offsets).size !== offsets.length) throw codedError('ERR_INVALID_ARG_VALUE', `a line is listed twice in [${list.join(', ')}]`);
    const { consumer, eventBufferSize, settings } = prepareRequest(this, offsets, options);
    for (const s of settings)
      if (s.eventClock === 'hte') throw codedError('ERR_MMAPKIT_UNSUPPORTED', `${this.path} has no hardware timestamp engine (eventClock 'hte')`);
    const busy = offsets.filter((o) => k.lines.has(o));
    if (busy.length) {
      const who = busy.map((o) => `line ${o}${this.#name(o) ? ` (${this.#name(o)})` : ''} is held by '${k.lines.get(o)!.owner.consumer}'`).join('; ');
      throw systemError(
        16,
        'ioctl(GPIO_V2_GET_LINE_IOCTL)',
        this.path,
        'Device or resource busy',
        `${who}. Release it first (close that request or stop that program).`,
      );
    }
    const names = new Map<string, number>();
    for (const o of offsets) if (this.#name(o)) names.set(this.#name(o), o);
    const size = eventBufferSize || 16 * offsets.length;
    const req = new SimLineRequest(this.path, offsets, consumer, names, k, size, this);
    req.configure(settings, 'requested');
    return req;
  }

  watchLineInfo(line: number | string): GpioLineInfo {
    const o = this.offsetOf(line);
    if (this.#watched.has(o))
      throw systemError(
        16,
        'ioctl(GPIO_V2_GET_LINEINFO_WATCH_IOCTL)',
        this.path,
        'Device or resource busy',
        `line ${o} is already watched on this chip handle`,
      );
    this.#watched.add(o);
    return this.lineInfo(o);
  }

  unwatchLineInfo(line: number | string): void {
    const o = this.offsetOf(line);
    if (!this.#watched.delete(o))
      throw systemError(16, 'ioctl(GPIO_GET_LINEINFO_UNWATCH_IOCTL)', this.path, 'Device or resource busy', `line ${o} is not watched`);
  }

  infoChanges(): AsyncIterableIterator<GpioLineInfoChange> {
    this.#live();
    const queue: GpioLineInfoChange[] = [];
    let wake: (() => void) | null = null;
    let ended = false;
    const push = (c: GpioLineInfoChange) => {
      queue.push(c);
      const w = wake;
      wake = null;
      w?.();
    };
    const end = () => {
      ended = true;
      this.off('info-changed', push);
      this.off('closed', end);
      const w = wake;
      wake = null;
      w?.();
    };
    this.on('info-changed', push);
    this.once('closed', end);
    const it: AsyncIterableIterator<GpioLineInfoChange> = {
      next: async () => {
        while (queue.length === 0) {
          if (ended) return { value: undefined, done: true };
          await new Promise<void>((r) => {
            wake = r;
          });
        }
        return { value: queue.shift()!, done: false };
      },
      return: async () => {
        end();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return it;
      },
    };
    return it;
  }

  /** Closes this handle; requests made from it stay valid. Iterators of info changes end. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#kernel.off('changed', this.#onChange);
    this.emit('closed');
    this.removeAllListeners('info-changed');
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** A request on a simulated chip. */
export class SimLineRequest extends GpioLineRequestBase {
  #queue: RawEdgeEvent[] = [];
  #seqno = 0;
  #lineSeq: number[];
  #debounced: (0 | 1)[];
  #timers: (NodeJS.Timeout | null)[];
  #scheduled = false;
  #watching = false;
  #configuring = false;

  constructor(
    chip: string,
    offsets: readonly number[],
    consumer: string,
    names: ReadonlyMap<string, number>,
    private readonly kernel: SimKernel,
    private readonly bufferSize: number,
    private readonly chipObj: SimGpioChip,
  ) {
    super(
      checkRequestArgs(chip, offsets, consumer, names, chipObj, chipObj instanceof SimGpioChip && typeof kernel === 'object' && kernel !== null, 'SimGpioChip'),
      offsets,
      consumer,
      names,
    );
    this.#lineSeq = offsets.map(() => 0);
    this.#debounced = offsets.map((o) => kernel.gpio.read(o));
    this.#timers = offsets.map(() => null);
  }

  /** @internal Applies settings to the block's registers, as the kernel's pinctrl driver would (the chip calls it). */
  configure(settings: readonly GpioLineSettings[], type: GpioLineInfoChangeType): void {
    const g = this.kernel.gpio;
    // Edge detection starts once the line is set up: a pull or direction change made by the
    // request itself is no edge.
    this.#configuring = true;
    try {
      this.#apply(settings, type, g);
    } finally {
      this.#configuring = false;
    }
  }

  #apply(settings: readonly GpioLineSettings[], type: GpioLineInfoChangeType, g: RaspberryPiGpio): void {
    settings.forEach((s, i) => {
      const o = this.offsets[i];
      const prev = this.kernel.lines.get(o);
      this.kernel.lines.set(o, { owner: this, index: i, flags: settingsFlags(s), debounceUs: s.debounceUs ?? 0, settings: s });
      if (s.bias === 'pull-up') g.setPull(o, 'up');
      else if (s.bias === 'pull-down') g.setPull(o, 'down');
      else if (s.bias === 'disabled') g.setPull(o, 'none');
      if (s.direction === 'output') {
        const logical = s.value ?? (prev ? this.#logical(i, prev.settings.activeLow) : 0);
        this.#drive(i, s, logical ? 1 : 0);
      } else if (s.direction === 'input') g.setFunction(o, 'input');
      this.#debounced[i] = g.read(o);
      this.kernel.changed(type, o);
    });
  }

  #logical(i: number, activeLow = this.#settings(i).activeLow): 0 | 1 {
    const raw = this.#settings(i).debounceUs ? this.#debounced[i] : this.kernel.gpio.read(this.offsets[i]);
    return (activeLow ? raw ^ 1 : raw) as 0 | 1;
  }

  #settings(i: number): GpioLineSettings {
    return this.kernel.lines.get(this.offsets[i])?.settings ?? {};
  }

  /** Drives an output, emulating open drain / open source as gpiolib does (input when released). */
  #drive(i: number, s: GpioLineSettings, logical: 0 | 1): void {
    const g = this.kernel.gpio;
    const o = this.offsets[i];
    const phys = (s.activeLow ? logical ^ 1 : logical) as 0 | 1;
    if ((s.drive === 'open-drain' && phys === 1) || (s.drive === 'open-source' && phys === 0)) {
      g.setFunction(o, 'input');
      return;
    }
    g.write(o, phys);
    if (g.getFunction(o) !== 'output') g.setFunction(o, 'output');
  }

  protected readBits(mask: bigint): bigint {
    let bits = 0n;
    this.offsets.forEach((_, i) => {
      if ((mask >> BigInt(i)) & 1n && this.#logical(i)) bits |= 1n << BigInt(i);
    });
    return bits;
  }

  protected writeBits(bits: bigint, mask: bigint): void {
    this.offsets.forEach((o, i) => {
      if (!((mask >> BigInt(i)) & 1n)) return;
      const s = this.#settings(i);
      if (s.direction !== 'output')
        throw systemError(
          1,
          'ioctl(GPIO_V2_LINE_SET_VALUES_IOCTL)',
          this.chip,
          'Operation not permitted',
          `line ${o} is not an output; request or reconfigure it with direction 'output'`,
        );
    });
    this.offsets.forEach((_, i) => {
      if ((mask >> BigInt(i)) & 1n) this.#drive(i, this.#settings(i), (bits >> BigInt(i)) & 1n ? 1 : 0);
    });
  }

  protected applyConfig(options: GpioRequestOptions): void {
    const { settings } = prepareRequest(
      this.chipObj.closed ? { offsetOf: (l: number | string) => (typeof l === 'number' ? l : this.offsets[this.position(l)]) } : this.chipObj,
      this.offsets,
      { ...options, consumer: undefined, eventBufferSize: undefined },
    );
    this.configure(settings, 'config');
  }

  /** Called by the kernel part on each level change of one of this request's lines. */
  levelChanged(offset: number, level: 0 | 1): void {
    if (this.closed) return;
    const i = this.offsets.indexOf(offset);
    if (this.#configuring) {
      this.#debounced[i] = level;
      return;
    }
    const s = this.#settings(i);
    if (s.direction !== 'input' || !s.edge || s.edge === 'none') {
      this.#debounced[i] = level;
      return;
    }
    if (!s.debounceUs) {
      this.#edge(i, level);
      return;
    }
    // Software debounce: report the level once it has been stable for the period.
    if (this.#timers[i]) clearTimeout(this.#timers[i]!);
    this.#timers[i] = setTimeout(
      () => {
        this.#timers[i] = null;
        const now = this.kernel.gpio.read(offset);
        if (now !== this.#debounced[i]) this.#edge(i, now);
      },
      Math.max(1, Math.round(s.debounceUs / 1000)),
    );
  }

  #edge(i: number, level: 0 | 1): void {
    this.#debounced[i] = level;
    const s = this.#settings(i);
    const rising = (s.activeLow ? level ^ 1 : level) === 1;
    if ((rising && s.edge === 'falling') || (!rising && s.edge === 'rising')) return;
    const ts = s.eventClock === 'realtime' ? BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6)) : this.kernel.clock();
    this.#seqno++;
    this.#lineSeq[i]++;
    if (this.#queue.length >= this.bufferSize) this.#queue.shift(); // the kernel drops the oldest
    this.#queue.push({ timestampNs: ts, id: rising ? 1 : 2, offset: this.offsets[i], seqno: this.#seqno, lineSeqno: this.#lineSeq[i] });
    if (this.#watching && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.readable();
      });
    }
  }

  protected drain(): RawEdgeEvent[] {
    const q = this.#queue;
    this.#queue = [];
    return q;
  }
  protected startWatch(): void {
    this.#watching = true;
    if (this.#queue.length) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.readable();
      });
    }
  }
  protected stopWatch(): void {
    this.#watching = false;
  }
  protected setRef(): void {
    /* simulated events come from the program itself; nothing to keep alive */
  }

  protected release(): void {
    for (const t of this.#timers) if (t) clearTimeout(t);
    for (const o of this.offsets) {
      if (this.kernel.lines.get(o)?.owner === this) {
        this.kernel.lines.delete(o);
        this.kernel.changed('released', o);
      }
    }
    this.#queue = [];
  }
}
