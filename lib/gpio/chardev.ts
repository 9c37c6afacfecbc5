/**
 * GPIO through the Linux GPIO character device (/dev/gpiochipN, uAPI v2 of <linux/gpio.h>): list
 * chips and lines, request lines as inputs or outputs, read and write values, reconfigure, and
 * receive edge events without polling (the request's descriptor is watched by Node's event loop).
 * The simulated backend (lib/gpio/chardev-sim.ts) has the same interface.
 *
 *   using chip = openGpioChip('/dev/gpiochip0');
 *   using button = chip.requestLines('GPIO17', { edge: 'both', bias: 'pull-up', debounceUs: 5000 });
 *   for await (const ev of button.events()) console.log(ev.edge, ev.timestampNs);
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import { hasCode, systemError, codedError } from '../errors';
import { watchReadable, type FdWatcher } from '../fdwatch';
import { binding } from '../native';
import { invalidType, toInt, toStr, toPath } from '../validate';
import {
  closedError,
  encodeConfig,
  lineInfoFromFlags,
  type GpioChipInfo,
  type GpioChipLike,
  type GpioLineInfo,
  type GpioLineInfoChange,
  type GpioLineInfoChangeType,
  type GpioRequestOptions,
} from './chardev-types';
import { GpioLineRequestBase, type RawEdgeEvent, checkRequestArgs } from './chardev-request';
import { prepareRequest } from './chardev-prepare';

const closer = new FinalizationRegistry<{ fd: number }>((held) => {
  try {
    binding().gpioClose(held.fd);
  } catch {
    /* already closed */
  }
});

/** The chip device files present: /dev/gpiochip0, /dev/gpiochip1 … in numeric order. */
export function gpioChipPaths(dir = '/dev'): string[] {
  toPath(dir, 'dir');
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^gpiochip\d+$/.test(n))
    .sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)))
    .map((n) => `${dir}/${n}`);
}

/** Every chip with its name, label and line count. */
export function listGpioChips(): GpioChipInfo[] {
  return gpioChipPaths().map((p) => {
    using c = openGpioChip(p);
    return c.info();
  });
}

/** Opens a chip by path ('/dev/gpiochip0'), name ('gpiochip0') or number (0, '0'). */
export function openGpioChip(chip: string | number): GpioChardevChip {
  return new GpioChardevChip(chipPath(chip));
}

/** Finds a line by name on every chip: { chip path, offset }, or null. */
export function findGpioLine(name: string): { chip: string; offset: number } | null {
  toStr(name, 'name');
  for (const p of gpioChipPaths()) {
    using c = openGpioChip(p);
    const o = c.findLine(name);
    if (o >= 0) return { chip: p, offset: o };
  }
  return null;
}

export function chipPath(chip: unknown): string {
  if (typeof chip === 'number') return `/dev/gpiochip${toInt(chip, 'chip', 0, 0xffff)}`;
  if (typeof chip !== 'string' || chip === '') throw invalidType('chip', 'a chip path, name or number', chip);
  if (/^\d+$/.test(chip)) return `/dev/gpiochip${chip}`;
  if (/^gpiochip\d+$/.test(chip)) return `/dev/${chip}`;
  return chip;
}

/** Who may open a chip: its group and mode, for EACCES messages. */
function permissionHint(path: string): string {
  let owner = '';
  try {
    const st = fs.statSync(path);
    let group = String(st.gid);
    try {
      const line = fs
        .readFileSync('/etc/group', 'utf8')
        .split('\n')
        .find((l) => l.split(':')[2] === String(st.gid));
      if (line) group = line.split(':')[0];
    } catch {
      /* no /etc/group */
    }
    owner = ` (group '${group}', mode ${(st.mode & 0o777).toString(8)})`;
  } catch {
    /* keep it short */
  }
  return (
    `Opening ${path}${owner} needs read and write permission: add the user to the group that owns it ` +
    `(on Raspberry Pi OS: 'sudo usermod -aG gpio $USER', then log in again) or run as root.`
  );
}

/** Rebuilds a system error from the binding with the chip's path and advice (once). */
function withPath(err: unknown, path: string, hint?: string): unknown {
  if (!hasCode(err) || typeof (err as { errno?: unknown }).errno !== 'number') return err;
  const e = err as Error & { code: string; errno: number; syscall: string; path?: string };
  if (e.path !== undefined && hint === undefined) return err;
  let first = e.message.split('\n')[0];
  if (e.path !== undefined && first.endsWith(` '${e.path}'`)) first = first.slice(0, first.length - e.path.length - 3);
  const prefix = `${e.code}: `;
  const suffix = `, ${e.syscall}`;
  const desc = first.startsWith(prefix) && first.endsWith(suffix) ? first.slice(prefix.length, first.length - suffix.length) : undefined;
  return systemError(e.errno, e.syscall, e.path ?? path, desc, hint);
}

/** A GPIO chip opened through its character device. */
export class GpioChardevChip extends EventEmitter implements GpioChipLike {
  #fd: number;
  readonly #held: { fd: number };
  #watcher: FdWatcher | null = null;
  #consumers = new Set<{ queue: GpioLineInfoChange[]; wake: (() => void) | null }>();

  constructor(readonly path: string) {
    super();
    toStr(path, 'path');
    try {
      this.#fd = binding().gpioOpenChip(path);
    } catch (err) {
      const code = hasCode(err) ? err.code : '';
      throw withPath(
        err,
        path,
        code === 'EACCES' || code === 'EPERM'
          ? permissionHint(path)
          : code === 'ENOENT'
            ? `No GPIO chip at ${path}; the chips here: ${gpioChipPaths().join(', ') || 'none (is CONFIG_GPIO_CDEV set?)'}`
            : code === 'ENOTTY'
              ? `${path} is not a GPIO character device`
              : undefined,
      );
    }
    this.#held = { fd: this.#fd };
    closer.register(this, this.#held, this);
    this.on('newListener', (ev) => {
      if (ev === 'info-changed') queueMicrotask(() => this.#updateWatch());
    });
    this.on('removeListener', (ev) => {
      if (ev === 'info-changed') this.#updateWatch();
    });
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  #live(): number {
    if (this.#fd < 0) throw closedError(`GPIO chip ${this.path}`);
    return this.#fd;
  }

  #call<T>(fn: (fd: number) => T): T {
    const fd = this.#live();
    try {
      return fn(fd);
    } catch (err) {
      throw withPath(err, this.path);
    }
  }

  info(): GpioChipInfo {
    const i = this.#call((fd) => binding().gpioChipInfo(fd));
    return { path: this.path, name: i.name, label: i.label, lines: i.lines };
  }

  /** The offset of a line given by offset or name (names are looked up on this chip). */
  offsetOf(line: number | string): number {
    if (typeof line === 'number') {
      const n = this.info().lines;
      if (!Number.isInteger(line) || line < 0 || line >= n)
        throw codedError('ERR_OUT_OF_RANGE', `${this.path} has lines 0–${n - 1}; line ${line} does not exist`);
      return line;
    }
    if (typeof line !== 'string') throw invalidType('line', 'a line offset (integer) or name (string)', line);
    const o = this.findLine(line);
    if (o < 0) {
      if (/^\d+$/.test(line)) return this.offsetOf(Number(line));
      throw codedError('ERR_INVALID_ARG_VALUE', `${this.path} has no line named '${line}'`);
    }
    return o;
  }

  lineInfo(line: number | string): GpioLineInfo {
    const o = this.offsetOf(line);
    const r = this.#call((fd) => binding().gpioLineInfo(fd, o));
    return lineInfoFromFlags(r.offset, r.name, r.consumer, r.flags, r.debounceUs);
  }

  linesInfo(): GpioLineInfo[] {
    const n = this.info().lines;
    return Array.from({ length: n }, (_, i) => this.lineInfo(i));
  }

  findLine(name: string): number {
    toStr(name, 'name');
    const n = this.info().lines;
    for (let i = 0; i < n; i++) if (this.#call((fd) => binding().gpioLineInfo(fd, i)).name === name) return i;
    return -1;
  }

  /** Requests lines (offsets or names) with the given settings (GPIO_V2_GET_LINE_IOCTL). */
  requestLines(lines: number | string | readonly (number | string)[], options: GpioRequestOptions = {}): ChardevLineRequest {
    const list = Array.isArray(lines) ? lines : [lines];
    if (list.length === 0 || list.length > 64) throw codedError('ERR_OUT_OF_RANGE', `a request takes 1 to 64 lines; got ${list.length}`);
    const offsets = list.map((l) => this.offsetOf(l as number | string));
    if (new Set(offsets).size !== offsets.length) throw codedError('ERR_INVALID_ARG_VALUE', `a line is listed twice in [${list.join(', ')}]`);
    const { consumer, eventBufferSize, settings } = prepareRequest(this, offsets, options);
    const names = new Map<string, number>();
    for (const o of offsets) {
      const n = this.lineInfo(o).name;
      if (n) names.set(n, o);
    }
    const fd = this.#call((chipFd) => {
      try {
        return binding().gpioRequest(chipFd, Uint32Array.from(offsets), consumer, eventBufferSize, encodeConfig(settings));
      } catch (err) {
        throw busyAdvice(err, this, offsets);
      }
    });
    return new ChardevLineRequest(this.path, offsets, consumer, names, fd, this);
  }

  /** Starts watching a line's info (requested, released, reconfigured); returns its info now. */
  watchLineInfo(line: number | string): GpioLineInfo {
    const o = this.offsetOf(line);
    const r = this.#call((fd) => binding().gpioWatchLineInfo(fd, o, true));
    return lineInfoFromFlags(r.offset, r.name, r.consumer, r.flags, r.debounceUs);
  }

  unwatchLineInfo(line: number | string): void {
    const o = this.offsetOf(line);
    this.#call((fd) => binding().gpioWatchLineInfo(fd, o, false));
  }

  /** Reads the line-info changes queued now, without waiting. */
  readInfoChanges(): GpioLineInfoChange[] {
    const raw = this.#call((fd) => binding().gpioReadInfoChanged(fd)) as {
      info: { offset: number; name: string; consumer: string; flags: number; debounceUs: number };
      timestampNs: bigint;
      type: number;
    }[];
    const types: GpioLineInfoChangeType[] = ['requested', 'released', 'config'];
    return raw.map((r) => ({
      type: types[r.type - 1] ?? 'config',
      timestampNs: r.timestampNs,
      info: lineInfoFromFlags(r.info.offset, r.info.name, r.info.consumer, r.info.flags, r.info.debounceUs),
    }));
  }

  #deliverInfo(): void {
    let all: GpioLineInfoChange[] = [];
    for (;;) {
      const got = this.readInfoChanges();
      if (got.length === 0) break;
      all = all.concat(got);
    }
    for (const ch of all) {
      for (const c of this.#consumers) {
        c.queue.push(ch);
        const w = c.wake;
        c.wake = null;
        w?.();
      }
      this.emit('info-changed', ch);
    }
  }

  #updateWatch(): void {
    if (this.#fd < 0) return;
    const wanted = this.#consumers.size > 0 || this.listenerCount('info-changed') > 0;
    if (wanted && !this.#watcher)
      this.#watcher = watchReadable(this.#fd, () => {
        if (this.#fd >= 0) this.#deliverInfo();
      });
    else if (!wanted && this.#watcher) {
      this.#watcher.close();
      this.#watcher = null;
    }
  }

  /** Line-info changes of watched lines as an async iterator; ends when the chip is closed. */
  infoChanges(): AsyncIterableIterator<GpioLineInfoChange> {
    this.#live();
    const c = { queue: [] as GpioLineInfoChange[], wake: null as (() => void) | null };
    this.#consumers.add(c);
    this.#updateWatch();
    // The iterator's methods are plain functions with their own `this`: they reach the chip through `self`.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    const finish = () => {
      self.#consumers.delete(c);
      c.wake?.();
      self.#updateWatch();
    };
    const it: AsyncIterableIterator<GpioLineInfoChange> = {
      async next() {
        while (c.queue.length === 0) {
          if (self.closed || !self.#consumers.has(c)) return { value: undefined, done: true };
          await new Promise<void>((r) => {
            c.wake = r;
          });
        }
        return { value: c.queue.shift()!, done: false };
      },
      async return() {
        finish();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return it;
      },
    };
    return it;
  }

  /** Closes the chip. Requests made from it stay valid (they have their own descriptors). */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    this.#watcher?.close();
    this.#watcher = null;
    for (const c of this.#consumers) c.wake?.();
    this.#consumers.clear();
    closer.unregister(this);
    binding().gpioClose(fd);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** EBUSY: say who holds each busy line. */
function busyAdvice(err: unknown, chip: GpioChardevChip, offsets: readonly number[]): unknown {
  if (!hasCode(err) || err.code !== 'EBUSY') return err;
  const held = offsets
    .map((o) => chip.lineInfo(o))
    .filter((i) => i.used)
    .map((i) => `line ${i.offset}${i.name ? ` (${i.name})` : ''} is held by '${i.consumer || 'kernel'}'`);
  const hint = held.length
    ? `${held.join('; ')}. Release it first (close that request or stop that program; a kernel driver's line is freed by unbinding or unloading the driver).`
    : 'A line is in use; release it first.';
  return withPath(err, chip.path, hint);
}

/** A request made through the character device: its own file descriptor. */
export class ChardevLineRequest extends GpioLineRequestBase {
  #fd: number;
  readonly #held: { fd: number };
  #watcher: FdWatcher | null = null;
  readonly #buf = new BigUint64Array(5 * 64);
  readonly #chipRef: GpioChardevChip;

  constructor(chip: string, offsets: readonly number[], consumer: string, names: ReadonlyMap<string, number>, fd: number, chipObj: GpioChardevChip) {
    super(
      checkRequestArgs(chip, offsets, consumer, names, chipObj, chipObj instanceof GpioChardevChip && Number.isInteger(fd), 'GpioChardevChip'),
      offsets,
      consumer,
      names,
    );
    this.#fd = fd;
    this.#chipRef = chipObj;
    this.#held = { fd };
    closer.register(this, this.#held, this);
  }

  /** The request's file descriptor (-1 once released). */
  get fd(): number {
    return this.#fd;
  }

  #wrap<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw withPath(err, this.chip);
    }
  }

  protected readBits(mask: bigint): bigint {
    return this.#wrap(() => binding().gpioGetValues(this.#fd, mask));
  }
  protected writeBits(bits: bigint, mask: bigint): void {
    this.#wrap(() => binding().gpioSetValues(this.#fd, mask, bits));
  }

  protected applyConfig(options: GpioRequestOptions): void {
    const chip = this.#chipRef.closed ? { offsetOf: (l: number | string) => (typeof l === 'number' ? l : this.offsets[this.position(l)]) } : this.#chipRef;
    const { settings } = prepareRequest(chip, this.offsets, { ...options, consumer: undefined, eventBufferSize: undefined });
    this.#wrap(() => binding().gpioSetConfig(this.#fd, encodeConfig(settings)));
  }

  protected drain(): RawEdgeEvent[] {
    const out: RawEdgeEvent[] = [];
    const b = this.#buf;
    for (;;) {
      const n: number = this.#wrap(() => binding().gpioReadEvents(this.#fd, b));
      for (let k = 0; k < n; k++) {
        out.push({
          timestampNs: b[5 * k],
          id: Number(b[5 * k + 1]),
          offset: Number(b[5 * k + 2]),
          seqno: Number(b[5 * k + 3]),
          lineSeqno: Number(b[5 * k + 4]),
        });
      }
      if (n < 64) return out;
    }
  }

  protected startWatch(): void {
    this.#watcher = watchReadable(this.#fd, (error) => {
      if (error) this.failed(error);
      else this.readable();
    });
  }

  protected stopWatch(): void {
    this.#watcher?.close();
    this.#watcher = null;
  }
  protected setRef(ref: boolean): void {
    if (ref) this.#watcher?.ref();
    else this.#watcher?.unref();
  }

  protected release(): void {
    const fd = this.#fd;
    this.#fd = -1;
    closer.unregister(this);
    binding().gpioClose(fd);
  }
}
