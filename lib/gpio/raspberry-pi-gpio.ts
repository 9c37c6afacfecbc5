/**
 * RaspberryPiGpio: probes and drives the pins of a Raspberry Pi GPIO block through RegisterIO (a
 * native register window or a simulated block), and the parsers of pin lists and function words.
 */
import * as fs from 'node:fs';
import type { RegisterIO } from '../interfaces';
import { codedError } from '../errors';
import * as regs from '../regs';
import { gpioChipDriver, type GpioChipDriver, type GpioFunction, type GpioPinState, type GpioPull } from './chips';
import { detectRaspberryPi, toDetectOptions, type DetectRaspberryPiOptions, type RaspberryPiInfo } from './detect';
import { GPIO_ALT_COUNTS, GPIO_PIN_COUNTS, gpioAltFunctions, toGpioChip, type GpioChipKind } from './tables';
import { invalidType, outOfRange, toInt, toObjectWith, toStr } from '../validate';

/** A register window as lib/regs opens it (RegisterIO plus close()). */
interface ClosableRegisterIO extends RegisterIO {
  close?(): void;
}

type OpenWindow = (o: { path?: string; offset: number | bigint; length: number; writable?: boolean }) => ClosableRegisterIO;

export interface OpenRaspberryPiGpioOptions extends DetectRaspberryPiOptions {
  /** Open for writing (needed by every set* call). Default true. */
  writable?: boolean;
  /**
   * The device file to map: default the board's gpiomem file, then /dev/mem at the GPIO block's
   * physical address. A path given here is used alone (offset 0, or the physical address for
   * /dev/mem).
   */
  device?: string;
  /** Skip detection and use this board description. */
  info?: RaspberryPiInfo;
}

const PIN_FUNCTION_WORDS: Record<string, GpioFunction> = {
  ip: 'input',
  op: 'output',
  no: 'none',
  input: 'input',
  output: 'output',
  none: 'none',
};

/** Accepts 'input' | 'output' | 'none' | 'alt0'…'alt8' | pinctrl's 'ip' | 'op' | 'no' | 'a0'…'a8'. */
export function parseGpioFunction(word: string): GpioFunction {
  return toGpioFunction(word, 'word');
}

function toGpioFunction(word: unknown, name: string): GpioFunction {
  const w = toStr(word, name).toLowerCase();
  if (w in PIN_FUNCTION_WORDS) return PIN_FUNCTION_WORDS[w];
  const m = /^(?:a|alt)([0-8])$/.exec(w);
  if (m) return `alt${m[1]}` as GpioFunction;
  throw codedError(
    'ERR_INVALID_ARG_VALUE',
    `unknown GPIO function '${w.length > 28 ? w.slice(0, 25) + '...' : w}' (input, output, alt0–alt8, or pinctrl's ip, op, a0–a8, no)`,
  );
}

/** Most pins a chip may be said to have in {@link parseGpioPins} (RP1 and BCM have 54–58). */
const MAX_PIN_COUNT = 1024;

/**
 * Parses a pin list such as '4', '2-5,17' or 'GPIO4'; checks each against pinCount (an integer
 * 0–1024).
 */
export function parseGpioPins(spec: string, pinCount: number): number[] {
  toStr(spec, 'spec');
  toInt(pinCount, 'pinCount', 0, MAX_PIN_COUNT);
  const out: number[] = [];
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(?:gpio)?(\d+)(?:-(?:gpio)?(\d+))?$/i.exec(part);
    if (!m)
      throw codedError(
        'ERR_INVALID_ARG_VALUE',
        `bad pin '${part.length > 28 ? part.slice(0, 25) + '...' : part}': use numbers and ranges such as 4, 2-5 or 2-5,17`,
      );
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw codedError('ERR_INVALID_ARG_VALUE', `bad pin range '${part}': ${b} is below ${a}`);
    if (b >= pinCount) {
      const p = a >= pinCount ? a : pinCount;
      throw codedError('ERR_OUT_OF_RANGE', `GPIO${p} does not exist: this chip has GPIO0–GPIO${pinCount - 1}`);
    }
    if (out.length + (b - a + 1) > MAX_PIN_COUNT * 64) {
      throw codedError('ERR_OUT_OF_RANGE', `the pin list '${spec.length > 28 ? spec.slice(0, 25) + '...' : spec}' names more than ${MAX_PIN_COUNT * 64} pins`);
    }
    for (let p = a; p <= b; p++) {
      if (p >= pinCount) throw codedError('ERR_OUT_OF_RANGE', `GPIO${p} does not exist: this chip has GPIO0–GPIO${pinCount - 1}`);
      out.push(p);
    }
  }
  return out;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}

/**
 * Probe and drive the GPIO pins of a Raspberry Pi (BCM2835/6/7, BCM2711, RP1) through a register
 * window. The constructor takes any RegisterIO: a native window or a simulated block.
 */
export class RaspberryPiGpio {
  readonly chip: GpioChipKind;
  readonly pinCount: number;
  /** The detected board, when opened with {@link RaspberryPiGpio.open}. */
  readonly info: RaspberryPiInfo | null;
  /** The device file and offset that were mapped, when opened natively. */
  readonly source: string;
  private readonly driver: GpioChipDriver;
  private closed = false;

  constructor(
    readonly io: RegisterIO,
    chip: GpioChipKind | RaspberryPiInfo,
    source = 'register window',
  ) {
    toObjectWith<RegisterIO>(io, 'io', ['read32', 'write32'], 'a RegisterIO');
    const info = typeof chip === 'object' && chip !== null ? chip : null;
    const kind = info ? toGpioChip(info.chip, 'chip.chip') : toGpioChip(chip);
    if (typeof source !== 'string') throw invalidType('source', 'of type string', source);
    const need = kind === 'rp1' ? 0x30000 : 0xf4;
    const size: unknown = io.size;
    if (typeof size !== 'number') throw invalidType('io.size', 'of type number', size);
    if (!(size >= need)) throw codedError('ERR_OUT_OF_RANGE', `a ${kind} GPIO window needs ${need} bytes; this one has ${size}`);
    this.chip = kind;
    this.info = info;
    this.pinCount = GPIO_PIN_COUNTS[kind];
    this.driver = gpioChipDriver(io, kind);
    this.source = source;
  }

  /**
   * Detects the board and maps its GPIO registers: the gpiomem device first (/dev/gpiomem, Pi 5
   * /dev/gpiomem0), then /dev/mem at the detected physical address.
   */
  static open(options: OpenRaspberryPiGpioOptions = {}): RaspberryPiGpio {
    options = toDetectOptions<OpenRaspberryPiGpioOptions>(options, ['writable', 'device', 'info']);
    if (options.writable !== undefined && typeof options.writable !== 'boolean') throw invalidType('options.writable', 'of type boolean', options.writable);
    if (options.device !== undefined && typeof options.device !== 'string') throw invalidType('options.device', 'of type string', options.device);
    if (options.info !== undefined) checkInfo(options.info);
    const info = options.info ?? detectRaspberryPi({ deviceTree: options.deviceTree, cpuinfo: options.cpuinfo });
    const open = (regs as unknown as Record<string, unknown>).openRegisterWindow as OpenWindow | undefined;
    if (typeof open !== 'function') {
      throw codedError('ERR_MMAPKIT_UNSUPPORTED', 'register windows are not available in this build of mmapkit (lib/regs has no openRegisterWindow)');
    }
    const writable = options.writable ?? true;
    const tries: Array<{ path: string; offset: number }> = [];
    if (options.device) tries.push({ path: options.device, offset: options.device === '/dev/mem' ? info.gpioBase : 0 });
    else tries.push({ path: info.gpiomem, offset: 0 }, { path: '/dev/mem', offset: info.gpioBase });
    const failures: string[] = [];
    let last: unknown;
    for (const t of tries) {
      if (!options.device && t.path !== '/dev/mem' && !fs.existsSync(t.path)) {
        failures.push(`${t.path}: not present`);
        continue;
      }
      try {
        const io = open({ path: t.path, offset: t.offset, length: info.gpioLength, writable });
        return new RaspberryPiGpio(io, info, `${t.path}@0x${t.offset.toString(16)}`);
      } catch (err) {
        last = err;
        failures.push(`${t.path}: ${errText(err)}`);
      }
    }
    if (last instanceof Error && failures.length > 1) {
      last.message += `\n(tried ${failures.join('; ')})`;
    }
    throw last ?? codedError('ERR_MMAPKIT_DEVICE', `no GPIO device could be opened (${failures.join('; ')})`);
  }

  private check(pin: number): void {
    if (this.closed) throw codedError('ERR_MMAPKIT_CLOSED', 'this RaspberryPiGpio is closed');
    if (typeof pin !== 'number') throw invalidType('pin', 'of type number', pin);
    if (!Number.isInteger(pin) || pin < 0 || pin >= this.pinCount) {
      throw codedError('ERR_OUT_OF_RANGE', `GPIO${pin} does not exist: this ${this.chip} has GPIO0–GPIO${this.pinCount - 1}`);
    }
  }

  /** Every pin number, 0 … pinCount-1. */
  pins(): number[] {
    return Array.from({ length: this.pinCount }, (_, i) => i);
  }

  /** The alternate-function names of a pin (ALT0–ALT5, or a0–a8 on RP1). */
  altFunctions(pin: number): readonly string[] {
    this.check(pin);
    return gpioAltFunctions(this.chip, pin);
  }

  /** Reads one pin: function, level, pull, driven level. Never writes a register. */
  probePin(pin: number): GpioPinState {
    this.check(pin);
    const { fn, raw } = this.driver.getFunction(pin);
    let name: string = fn;
    if (fn.startsWith('alt')) name = gpioAltFunctions(this.chip, pin)[Number(fn.slice(3))] ?? '-';
    return {
      pin,
      function: fn,
      fsel: raw,
      name,
      level: this.driver.level(pin),
      pull: this.driver.getPull(pin),
      drive: fn === 'output' ? this.driver.drive(pin) : null,
    };
  }

  /** Reads the given pins (default all). Never writes a register. */
  probe(pins: readonly number[] = this.pins()): GpioPinState[] {
    if (!Array.isArray(pins)) throw invalidType('pins', 'an instance of Array', pins);
    if (pins.length > this.pinCount * 64) {
      throw codedError('ERR_OUT_OF_RANGE', `The "pins" argument has ${pins.length} entries; at most ${this.pinCount * 64} are accepted`);
    }
    for (const p of pins) this.check(p);
    return pins.map((p) => this.probePin(p));
  }

  getFunction(pin: number): GpioFunction {
    this.check(pin);
    return this.driver.getFunction(pin).fn;
  }

  /** Sets a pin's function: 'input', 'output', 'alt0'…'alt5' ('alt8' on RP1), 'none' (RP1), or pinctrl's words. */
  setFunction(pin: number, fn: GpioFunction | string): void {
    this.check(pin);
    const f = toGpioFunction(fn, 'fn');
    if (f.startsWith('alt') && Number(f.slice(3)) >= GPIO_ALT_COUNTS[this.chip]) {
      throw codedError('ERR_OUT_OF_RANGE', `${this.chip} has ALT0–ALT${GPIO_ALT_COUNTS[this.chip] - 1}; ${f} does not exist`);
    }
    if (f === 'none' && this.chip !== 'rp1') throw codedError('ERR_INVALID_ARG_VALUE', `${this.chip} has no 'none' function (RP1 only)`);
    this.driver.setFunction(pin, f);
  }

  /** Sets the output latch: 1/true drives high, 0/false low (the pin drives it once it is an output). */
  write(pin: number, level: 0 | 1 | boolean): void {
    this.check(pin);
    if (level !== 0 && level !== 1 && typeof level !== 'boolean') {
      throw invalidType('level', '0, 1 or a boolean', level);
    }
    this.driver.setOutput(pin, level ? 1 : 0);
  }

  /** The level on the pin (GPLEV on BCM, the pad's input on RP1). */
  read(pin: number): 0 | 1 {
    this.check(pin);
    return this.driver.level(pin);
  }

  /** The pull: 'up', 'down', 'none', or 'unknown' on BCM2835/7, whose pulls cannot be read back. */
  getPull(pin: number): GpioPull {
    this.check(pin);
    return this.driver.getPull(pin);
  }

  /** Sets the pull: the clocked GPPUD sequence (BCM2835/7), the pull registers (BCM2711), the pads (RP1). */
  setPull(pin: number, pull: 'up' | 'down' | 'none' | 'pu' | 'pd' | 'pn'): void {
    this.check(pin);
    toStr(pull, 'pull');
    const p = pull === 'pu' ? 'up' : pull === 'pd' ? 'down' : pull === 'pn' ? 'none' : pull;
    if (p !== 'up' && p !== 'down' && p !== 'none') {
      throw codedError('ERR_INVALID_ARG_VALUE', `unknown pull '${pull.length > 28 ? pull.slice(0, 25) + '...' : pull}' (up, down, none, or pu, pd, pn)`);
    }
    this.driver.setPull(pin, p);
  }

  /** Releases the register window (if it has close()). Further calls throw ERR_MMAPKIT_CLOSED. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const c = (this.io as ClosableRegisterIO).close;
    if (typeof c === 'function') c.call(this.io);
  }
}

/** The `options.info` of {@link RaspberryPiGpio.open}: the fields open() uses, by type. */
function checkInfo(info: unknown): void {
  if (info === null || typeof info !== 'object') throw invalidType('options.info', 'a RaspberryPiInfo object', info);
  const o = info as Record<string, unknown>;
  toGpioChip(o.chip, 'options.info.chip');
  if (typeof o.gpiomem !== 'string') throw invalidType('options.info.gpiomem', 'of type string', o.gpiomem);
  for (const k of ['gpioBase', 'gpioLength']) {
    const v = o[k];
    if (typeof v !== 'number') throw invalidType(`options.info.${k}`, 'of type number', v);
    if (!Number.isSafeInteger(v) || v < 0) throw outOfRange(`options.info.${k}`, 'a non-negative integer', v);
  }
}

/** Shorthand for {@link RaspberryPiGpio.open}. */
export function openRaspberryPiGpio(options: OpenRaspberryPiGpioOptions = {}): RaspberryPiGpio {
  return RaspberryPiGpio.open(options);
}
