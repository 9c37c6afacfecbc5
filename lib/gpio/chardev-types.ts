/**
 * The GPIO character device's shapes, shared by the real backend (lib/gpio/chardev.ts, the Linux
 * uAPI v2 ioctls) and the simulated one (lib/gpio/chardev-sim.ts): chips, line info, request
 * settings, edge events, and the encoding of settings into the kernel's flags.
 */
import { codedError } from '../errors';
import { invalidType, toBool, toChoice, toInt, toOptions } from '../validate';

export type GpioLineDirection = 'input' | 'output';
export type GpioLineEdge = 'none' | 'rising' | 'falling' | 'both';
export type GpioLineBias = 'as-is' | 'pull-up' | 'pull-down' | 'disabled';
export type GpioLineDrive = 'push-pull' | 'open-drain' | 'open-source';
export type GpioEventClock = 'monotonic' | 'realtime' | 'hte';

/** A chip as GPIO_GET_CHIPINFO_IOCTL describes it. */
export interface GpioChipInfo {
  /** The device file: '/dev/gpiochip0' (a simulated chip: 'sim:pi4'). */
  path: string;
  /** The kernel's name: 'gpiochip0'. */
  name: string;
  /** The driver's label: 'pinctrl-bcm2835', '9030000.pl061'. */
  label: string;
  /** Number of lines. */
  lines: number;
}

/** One line as GPIO_V2_GET_LINEINFO_IOCTL describes it. */
export interface GpioLineInfo {
  offset: number;
  /** '' when the line has no name. */
  name: string;
  /** Who holds the line: a request's consumer label, a kernel driver's name, or '' when free. */
  consumer: string;
  used: boolean;
  direction: GpioLineDirection;
  activeLow: boolean;
  /** 'as-is' when the driver does not report a bias. */
  bias: GpioLineBias;
  drive: GpioLineDrive;
  edge: GpioLineEdge;
  eventClock: GpioEventClock;
  /** Debounce period in microseconds; 0 when none. */
  debounceUs: number;
  /** The raw GPIO_V2_LINE_FLAG_* bits. */
  flags: number;
}

/** How to set up requested lines. Every field is optional; unset fields leave the line as it is. */
export interface GpioLineSettings {
  /** 'input' or 'output'. Default: 'output' when `value` is given, 'input' when `edge` or `debounceUs` is, else as it is. */
  direction?: GpioLineDirection;
  /** An output's initial value (logical: 1 = active). */
  value?: 0 | 1 | boolean;
  bias?: GpioLineBias;
  /** Output drive; open-drain and open-source need direction 'output'. Default 'push-pull'. */
  drive?: GpioLineDrive;
  /** Invert the logical value (1 = low) and the sense of rising/falling. Default false. */
  activeLow?: boolean;
  /** Edge detection on an input. Default 'none'. */
  edge?: GpioLineEdge;
  /** The clock of event timestamps. Default 'monotonic'. */
  eventClock?: GpioEventClock;
  /** Debounce period of an input in microseconds (0 = none). */
  debounceUs?: number;
}

export interface GpioRequestOptions extends GpioLineSettings {
  /** The consumer label line info shows for the lines (at most 31 bytes). Default 'mmapkit'. */
  consumer?: string;
  /** Kernel event queue size (0 = the kernel's default, 16 events per line). */
  eventBufferSize?: number;
  /** Settings for single lines (keyed by offset or name), over the common ones above. */
  lines?: Record<string, GpioLineSettings>;
}

/** An edge on a requested line. */
export interface GpioEdgeEvent {
  offset: number;
  edge: 'rising' | 'falling';
  /** Nanoseconds on the request's clock (CLOCK_MONOTONIC by default). */
  timestampNs: bigint;
  /** Sequence number among all lines of the request (from 1). */
  seqno: number;
  /** Sequence number on this line (from 1). */
  lineSeqno: number;
  /**
   * Events lost just before this one (the kernel's queue overflowed): seqno minus the previous
   * event's seqno, minus 1. 0 when nothing was lost.
   */
  missed: number;
}

export type GpioLineInfoChangeType = 'requested' | 'released' | 'config';

export interface GpioLineInfoChange {
  type: GpioLineInfoChangeType;
  timestampNs: bigint;
  info: GpioLineInfo;
}

// GPIO_V2_LINE_FLAG_* of <linux/gpio.h>.
export const GPIO_LINE_FLAG = {
  USED: 1 << 0,
  ACTIVE_LOW: 1 << 1,
  INPUT: 1 << 2,
  OUTPUT: 1 << 3,
  EDGE_RISING: 1 << 4,
  EDGE_FALLING: 1 << 5,
  OPEN_DRAIN: 1 << 6,
  OPEN_SOURCE: 1 << 7,
  BIAS_PULL_UP: 1 << 8,
  BIAS_PULL_DOWN: 1 << 9,
  BIAS_DISABLED: 1 << 10,
  EVENT_CLOCK_REALTIME: 1 << 11,
  EVENT_CLOCK_HTE: 1 << 12,
} as const;

/** Line info from raw flags (the kernel's or a simulated chip's). */
export function lineInfoFromFlags(offset: number, name: string, consumer: string, flags: number, debounceUs: number): GpioLineInfo {
  const f = (bit: number) => (flags & bit) !== 0;
  return {
    offset,
    name,
    consumer,
    used: f(GPIO_LINE_FLAG.USED),
    direction: f(GPIO_LINE_FLAG.OUTPUT) ? 'output' : 'input',
    activeLow: f(GPIO_LINE_FLAG.ACTIVE_LOW),
    bias: f(GPIO_LINE_FLAG.BIAS_PULL_UP) ? 'pull-up' : f(GPIO_LINE_FLAG.BIAS_PULL_DOWN) ? 'pull-down' : f(GPIO_LINE_FLAG.BIAS_DISABLED) ? 'disabled' : 'as-is',
    drive: f(GPIO_LINE_FLAG.OPEN_DRAIN) ? 'open-drain' : f(GPIO_LINE_FLAG.OPEN_SOURCE) ? 'open-source' : 'push-pull',
    edge:
      f(GPIO_LINE_FLAG.EDGE_RISING) && f(GPIO_LINE_FLAG.EDGE_FALLING)
        ? 'both'
        : f(GPIO_LINE_FLAG.EDGE_RISING)
          ? 'rising'
          : f(GPIO_LINE_FLAG.EDGE_FALLING)
            ? 'falling'
            : 'none',
    eventClock: f(GPIO_LINE_FLAG.EVENT_CLOCK_REALTIME) ? 'realtime' : f(GPIO_LINE_FLAG.EVENT_CLOCK_HTE) ? 'hte' : 'monotonic',
    debounceUs,
    flags,
  };
}

const SETTING_KEYS = ['direction', 'value', 'bias', 'drive', 'activeLow', 'edge', 'eventClock', 'debounceUs'];
export const REQUEST_KEYS = [...SETTING_KEYS, 'consumer', 'eventBufferSize', 'lines'];

/** Checks one settings object (`name` for messages) and fills the implied direction. */
export function checkSettings(value: unknown, name: string, keys: readonly string[] = SETTING_KEYS): GpioLineSettings {
  const o = toOptions<GpioLineSettings>(value, name, keys);
  const s: GpioLineSettings = {};
  if (o.direction !== undefined) s.direction = toChoice(o.direction, `${name}.direction`, ['input', 'output'] as const);
  if (o.value !== undefined) {
    if (o.value !== 0 && o.value !== 1 && typeof o.value !== 'boolean') throw invalidType(`${name}.value`, '0, 1 or a boolean', o.value);
    s.value = o.value ? 1 : 0;
  }
  if (o.bias !== undefined) s.bias = toChoice(o.bias, `${name}.bias`, ['as-is', 'pull-up', 'pull-down', 'disabled'] as const);
  if (o.drive !== undefined) s.drive = toChoice(o.drive, `${name}.drive`, ['push-pull', 'open-drain', 'open-source'] as const);
  if (o.activeLow !== undefined) s.activeLow = toBool(o.activeLow, `${name}.activeLow`);
  if (o.edge !== undefined) s.edge = toChoice(o.edge, `${name}.edge`, ['none', 'rising', 'falling', 'both'] as const);
  if (o.eventClock !== undefined) s.eventClock = toChoice(o.eventClock, `${name}.eventClock`, ['monotonic', 'realtime', 'hte'] as const);
  if (o.debounceUs !== undefined) s.debounceUs = toInt(o.debounceUs, `${name}.debounceUs`, 0, 0xffffffff);
  return s;
}

/** The settings of one line: common ones, its own over them, and the implied direction. */
export function resolveSettings(common: GpioLineSettings, own: GpioLineSettings | undefined, what: string): GpioLineSettings {
  const s = { ...common, ...(own ?? {}) };
  if (s.direction === undefined) {
    if (s.value !== undefined) s.direction = 'output';
    else if ((s.edge !== undefined && s.edge !== 'none') || s.debounceUs) s.direction = 'input';
  }
  if (s.direction === 'output' && s.edge !== undefined && s.edge !== 'none') {
    throw codedError('ERR_INVALID_ARG_VALUE', `${what}: edge detection needs an input, but the line is set as an output`);
  }
  if (s.direction !== 'output' && s.drive !== undefined && s.drive !== 'push-pull') {
    throw codedError('ERR_INVALID_ARG_VALUE', `${what}: drive '${s.drive}' needs direction 'output'`);
  }
  if (s.direction === undefined && s.bias !== undefined && s.bias !== 'as-is') {
    throw codedError('ERR_INVALID_ARG_VALUE', `${what}: bias '${s.bias}' needs a direction ('input' or 'output')`);
  }
  if (s.direction === 'output' && s.debounceUs) {
    throw codedError('ERR_INVALID_ARG_VALUE', `${what}: debounce needs an input, but the line is set as an output`);
  }
  return s;
}

/** The GPIO_V2_LINE_FLAG_* bits of resolved settings. */
export function settingsFlags(s: GpioLineSettings): number {
  let f = 0;
  if (s.direction === 'input') f |= GPIO_LINE_FLAG.INPUT;
  if (s.direction === 'output') f |= GPIO_LINE_FLAG.OUTPUT;
  if (s.activeLow) f |= GPIO_LINE_FLAG.ACTIVE_LOW;
  if (s.edge === 'rising' || s.edge === 'both') f |= GPIO_LINE_FLAG.EDGE_RISING;
  if (s.edge === 'falling' || s.edge === 'both') f |= GPIO_LINE_FLAG.EDGE_FALLING;
  if (s.drive === 'open-drain') f |= GPIO_LINE_FLAG.OPEN_DRAIN;
  if (s.drive === 'open-source') f |= GPIO_LINE_FLAG.OPEN_SOURCE;
  if (s.bias === 'pull-up') f |= GPIO_LINE_FLAG.BIAS_PULL_UP;
  if (s.bias === 'pull-down') f |= GPIO_LINE_FLAG.BIAS_PULL_DOWN;
  if (s.bias === 'disabled') f |= GPIO_LINE_FLAG.BIAS_DISABLED;
  if (s.eventClock === 'realtime') f |= GPIO_LINE_FLAG.EVENT_CLOCK_REALTIME;
  if (s.eventClock === 'hte') f |= GPIO_LINE_FLAG.EVENT_CLOCK_HTE;
  return f;
}

/**
 * The kernel's gpio_v2_line_config for per-line settings, flattened for the binding:
 * [flags, count, (kind, value, mask) × count]; kind 1 flags, 2 output values, 3 debounce.
 * The most common flags become the default; others, output values and debounce periods become
 * attributes (at most 10).
 */
export function encodeConfig(settings: readonly GpioLineSettings[]): BigUint64Array {
  const flags = settings.map(settingsFlags);
  const byFlags = new Map<number, bigint>();
  flags.forEach((f, i) => byFlags.set(f, (byFlags.get(f) ?? 0n) | (1n << BigInt(i))));
  let common = flags[0];
  let best = -1;
  for (const [f, m] of byFlags) {
    const n = m.toString(2).replace(/0/g, '').length;
    if (n > best) {
      best = n;
      common = f;
    }
  }
  const attrs: [bigint, bigint, bigint][] = [];
  for (const [f, m] of byFlags) if (f !== common) attrs.push([1n, BigInt(f), m]);
  let outMask = 0n;
  let outBits = 0n;
  settings.forEach((s, i) => {
    if (s.direction === 'output' && s.value !== undefined) {
      outMask |= 1n << BigInt(i);
      if (s.value) outBits |= 1n << BigInt(i);
    }
  });
  if (outMask) attrs.push([2n, outBits, outMask]);
  const byDebounce = new Map<number, bigint>();
  settings.forEach((s, i) => {
    if (s.debounceUs !== undefined) byDebounce.set(s.debounceUs, (byDebounce.get(s.debounceUs) ?? 0n) | (1n << BigInt(i)));
  });
  for (const [us, m] of byDebounce) attrs.push([3n, BigInt(us), m]);
  if (attrs.length > 10) {
    throw codedError(
      'ERR_OUT_OF_RANGE',
      `these line settings need ${attrs.length} configuration attributes; the kernel takes at most 10 (use fewer distinct settings per request)`,
    );
  }
  const out = new BigUint64Array(2 + 3 * attrs.length);
  out[0] = BigInt(common);
  out[1] = BigInt(attrs.length);
  attrs.forEach((a, k) => {
    out[2 + 3 * k] = a[0];
    out[3 + 3 * k] = a[1];
    out[4 + 3 * k] = a[2];
  });
  return out;
}

/** The common interface of a request, real or simulated. */
export interface GpioLineRequestLike extends Disposable {
  readonly chip: string;
  readonly offsets: readonly number[];
  readonly consumer: string;
  readonly closed: boolean;
  getValue(line: number | string): 0 | 1;
  getValues(): (0 | 1)[];
  getBits(mask?: bigint): bigint;
  setValue(line: number | string, value: 0 | 1 | boolean): void;
  setValues(values: Record<string, 0 | 1 | boolean> | readonly (0 | 1 | boolean)[]): void;
  setBits(bits: bigint, mask?: bigint): void;
  reconfigure(options: GpioRequestOptions): void;
  readEvents(): GpioEdgeEvent[];
  events(): AsyncIterableIterator<GpioEdgeEvent>;
  on(event: 'event', listener: (ev: GpioEdgeEvent) => void): this;
  off(event: 'event', listener: (ev: GpioEdgeEvent) => void): this;
  ref(): this;
  unref(): this;
  close(): void;
}

/** The common interface of a chip, real or simulated. */
export interface GpioChipLike extends Disposable {
  readonly path: string;
  readonly closed: boolean;
  info(): GpioChipInfo;
  lineInfo(line: number | string): GpioLineInfo;
  linesInfo(): GpioLineInfo[];
  /** The offset of the line with this name, or -1. */
  findLine(name: string): number;
  requestLines(lines: number | string | readonly (number | string)[], options?: GpioRequestOptions): GpioLineRequestLike;
  watchLineInfo(line: number | string): GpioLineInfo;
  unwatchLineInfo(line: number | string): void;
  infoChanges(): AsyncIterableIterator<GpioLineInfoChange>;
  on(event: 'info-changed', listener: (change: GpioLineInfoChange) => void): this;
  off(event: 'info-changed', listener: (change: GpioLineInfoChange) => void): this;
  close(): void;
}

/** The error for a call on a released request or a closed chip. */
export function closedError(what: string): Error {
  return codedError('ERR_MMAPKIT_CLOSED', `${what} is closed (released); open or request it again`);
}
