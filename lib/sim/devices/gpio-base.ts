/**
 * Common parts of the simulated Raspberry Pi GPIO chips (bcm2835-gpio.ts, bcm2711-gpio.ts and
 * rp1-gpio.ts beside this file; the boards in raspberry-pi.ts). The register maps they model are
 * lib/gpio/regmap.ts, shared with the drivers; the register behaviour is written here again on
 * purpose, so that the model checks the driver.
 *
 * Each chip is a device like the UART and edu: `read(offset, size)` / `write(offset, value, size)`
 * for the bus (32-bit registers; other sizes are refused by the bus), register names in traces, and
 * a guest-error log — a bad access by the guest (a reserved register, a write to a read-only one)
 * is logged and reads as a defined value, never a crash. Each chip is also a RegisterIO
 * (read32/write32 …), the face lib/gpio's drivers use in place of a /dev/gpiomem window; that face
 * throws, as the native window does, on what can only be a driver bug: a narrower or wider access,
 * an unaligned offset, one outside the window, a value wider than 32 bits, a write to a read-only
 * window.
 *
 * Test API: drive() a pin from outside, attachPull() a resistor, read output() / level() / pull(),
 * and onLevelChange() to observe a pin's level as the outside world sees it.
 *
 * Pin level model: a pin that drives (output function) shows its output; otherwise an external
 * driver, else an external pull, else the internal pull; a pin with nothing on it keeps its last
 * level (it floats).
 */
import type { RegisterIO } from '../../interfaces';
import { codedError } from '../../errors';
import { invalidType, toBool, toChoice, toFunction, toInstance, toOptions } from '../../validate';
import { simCheckAccess } from '../../validate';
import { SimDeviceBase, simHex, type SimAccessRules, type SimAccessSize } from '../device';
import { SimScheduler } from '../scheduler';

export type SimGpioLevel = 0 | 1;
export type SimGpioPull = 'up' | 'down' | 'none';

/** Called with the pin's new level (and the pin) each time the level on a pin changes. */
export type SimGpioLevelListener = (level: SimGpioLevel, pin: number) => void;

export interface SimGpioOptions {
  /** Whether the RegisterIO accepts writes. Default true. */
  writable?: boolean;
  /** Clock for the time stamps of guest errors (default: none, time 0). */
  scheduler?: SimScheduler;
}

/** The chip options, checked. */
function simGpioOptions(options: unknown): { writable: boolean; scheduler: SimScheduler | undefined } {
  const o = toOptions<SimGpioOptions>(options, 'options', ['writable', 'scheduler']);
  return {
    writable: o.writable === undefined ? true : toBool(o.writable, 'options.writable'),
    scheduler: o.scheduler === undefined ? undefined : toInstance(o.scheduler, 'options.scheduler', SimScheduler),
  };
}

/** A simulated GPIO chip: a bus device, a RegisterIO, and the test API. */
export abstract class SimGpioBlock extends SimDeviceBase implements RegisterIO {
  /** Whether writes are accepted; set false to make a read-only window (writes throw ERR_MMAPKIT_READ_ONLY). */
  writable: boolean;
  /** Register reads and writes made through the RegisterIO interface. */
  reads = 0;
  writes = 0;
  /** 32-bit registers: the bus refuses other sizes with a bus error. */
  readonly access: SimAccessRules = { sizes: [4], other: 'refuse' };
  protected readonly extDrive: (SimGpioLevel | null)[];
  protected readonly extPull: (SimGpioPull | null)[];
  protected readonly last: SimGpioLevel[];
  private readonly scheduler: SimScheduler | undefined;
  private listeners: SimGpioLevelListener[][];

  constructor(
    readonly size: number,
    readonly pinCount: number,
    readonly name: string,
    options: unknown,
  ) {
    super();
    const o = simGpioOptions(options);
    this.writable = o.writable;
    this.scheduler = o.scheduler;
    this.extDrive = new Array(pinCount).fill(null);
    this.extPull = new Array(pinCount).fill(null);
    this.last = new Array(pinCount).fill(0);
    this.listeners = Array.from({ length: pinCount }, () => []);
  }

  protected now(): number {
    return this.scheduler?.now ?? 0;
  }

  // ---- the bus face (SimDevice)

  /** The datasheet name of the register at `offset`, for traces. */
  abstract registerName(offset: number): string | undefined;

  /** A load by the guest: 32-bit registers; anything else is a guest error and reads 0. */
  read(offset: number, size: SimAccessSize): number {
    simCheckAccess(offset, size);
    const bad = this.badAccess(offset, size);
    if (bad !== undefined) {
      this.guestError(`${bad}: read as 0`);
      return 0;
    }
    return this.readReg(offset) >>> 0;
  }

  /** A store by the guest: 32-bit registers; anything else, or any store to a read-only window, is a guest error and ignored. */
  write(offset: number, value: number | bigint, size: SimAccessSize): void {
    simCheckAccess(offset, size, value, true);
    const bad = this.badAccess(offset, size);
    if (bad !== undefined) {
      this.guestError(`${bad}: write ignored`);
      return;
    }
    const v = Number(BigInt.asUintN(32, BigInt(value)));
    if (!this.writable) {
      this.guestError(`write of ${simHex(v)} to ${this.describe(offset)} ignored: the window is read-only`);
      return;
    }
    this.writeReg(offset, v);
    this.update();
  }

  private badAccess(offset: number, size: number): string | undefined {
    if (offset + size > this.size) return `${size}-byte access at ${simHex(offset, 0)} is outside the ${this.size}-byte block`;
    if (size !== 4) return `${size}-byte access to ${this.describe(offset)} (the registers are 32 bits wide)`;
    if (offset % 4 !== 0) return `unaligned access at ${simHex(offset, 0)}`;
    return undefined;
  }

  /** 'GPLEV0 (0x34)' or 'reserved offset 0x34', for guest-error messages. */
  protected describe(offset: number): string {
    const name = this.registerName(offset);
    return name === undefined ? `reserved offset ${simHex(offset, 0)}` : `${name} (${simHex(offset, 0)})`;
  }

  // ---- the RegisterIO face

  private check(offset: number, width: number): void {
    if (typeof offset !== 'number') throw invalidType('offset', 'of type number', offset);
    if (!Number.isInteger(offset) || offset < 0 || offset + width / 8 > this.size) {
      throw codedError('ERR_OUT_OF_RANGE', `${this.name}: offset ${offset} is outside the ${this.size}-byte register window`);
    }
    if (width !== 32) {
      throw codedError('ERR_MMAPKIT_UNSUPPORTED', `${this.name}: registers are 32 bits wide; ${width}-bit access at 0x${offset.toString(16)} is not supported`);
    }
    if (offset % 4 !== 0) {
      throw codedError('ERR_MMAPKIT_UNALIGNED', `${this.name}: offset 0x${offset.toString(16)} is not 4-byte aligned`);
    }
  }

  read8(offset: number): number {
    this.check(offset, 8);
    return 0;
  }
  read16(offset: number): number {
    this.check(offset, 16);
    return 0;
  }
  read64(offset: number): bigint {
    this.check(offset, 64);
    return 0n;
  }
  write8(offset: number): void {
    this.check(offset, 8);
  }
  write16(offset: number): void {
    this.check(offset, 16);
  }
  write64(offset: number): void {
    this.check(offset, 64);
  }

  read32(offset: number): number {
    this.check(offset, 32);
    this.reads++;
    return this.readReg(offset) >>> 0;
  }

  write32(offset: number, value: number): void {
    this.check(offset, 32);
    if (!this.writable) throw codedError('ERR_MMAPKIT_READ_ONLY', `${this.name}: this register window is read-only`);
    if (typeof value !== 'number') throw invalidType('value', 'of type number', value);
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) {
      throw codedError('ERR_OUT_OF_RANGE', `${this.name}: value ${value} does not fit in 32 bits`);
    }
    this.writes++;
    this.writeReg(offset, value >>> 0);
    this.update();
  }

  // ---- the chip

  /** Register semantics: called with an aligned offset inside the block. */
  protected abstract readReg(offset: number): number;
  protected abstract writeReg(offset: number, value: number): void;
  /** What the chip itself drives on the pin, or null. */
  protected abstract driven(pin: number): SimGpioLevel | null;
  protected abstract internalPull(pin: number): SimGpioPull;
  /** Called with each pin's old and new level after any change. */
  protected abstract onLevel(pin: number, from: SimGpioLevel, to: SimGpioLevel): void;

  protected checkPin(pin: number): void {
    if (typeof pin !== 'number') throw invalidType('pin', 'of type number', pin);
    if (!Number.isInteger(pin) || pin < 0 || pin >= this.pinCount) {
      throw codedError('ERR_OUT_OF_RANGE', `${this.name}: GPIO${pin} does not exist (0–${this.pinCount - 1})`);
    }
  }

  protected computeLevel(pin: number): SimGpioLevel {
    const own = this.driven(pin);
    if (own !== null) return own;
    const ext = this.extDrive[pin];
    if (ext !== null) return ext;
    const pull = this.extPull[pin] ?? this.internalPull(pin);
    if (pull === 'up') return 1;
    if (pull === 'down') return 0;
    return this.last[pin];
  }

  /** Recomputes every pin's level, runs the edge/level logic, then tells the level listeners. */
  protected update(): void {
    const changed: number[] = [];
    for (let p = 0; p < this.pinCount; p++) {
      const now = this.computeLevel(p);
      const before = this.last[p];
      this.last[p] = now;
      this.onLevel(p, before, now);
      if (now !== before && this.listeners[p].length > 0) changed.push(p);
    }
    for (const p of changed) for (const fn of [...this.listeners[p]]) fn(this.last[p], p);
  }

  // ---- test API

  /** Drives a pin from outside (a button, another chip); null releases it. */
  drive(pin: number, level: SimGpioLevel | boolean | null): void {
    this.checkPin(pin);
    if (level !== null && level !== 0 && level !== 1 && typeof level !== 'boolean') {
      throw invalidType('level', '0, 1, a boolean or null', level);
    }
    this.extDrive[pin] = level === null ? null : level ? 1 : 0;
    this.update();
  }

  /** Attaches an external pull resistor (stronger than the internal pull); null removes it. */
  attachPull(pin: number, pull: 'up' | 'down' | null): void {
    this.checkPin(pin);
    if (pull !== null) toChoice(pull, 'pull', ['up', 'down'] as const);
    this.extPull[pin] = pull;
    this.update();
  }

  /** What the pin outputs: its driven level when the chip drives it, else null. */
  output(pin: number): SimGpioLevel | null {
    this.checkPin(pin);
    return this.driven(pin);
  }

  /** The level on the pin, as the outside world sees it. */
  level(pin: number): SimGpioLevel {
    this.checkPin(pin);
    return this.last[pin];
  }

  /** The internal pull currently applied to the pin. */
  pull(pin: number): SimGpioPull {
    this.checkPin(pin);
    return this.internalPull(pin);
  }

  /**
   * Calls `listener(level, pin)` each time the level on `pin` changes, whatever changed it (a
   * register write, drive(), attachPull(), reset()). Listeners run after the chip has settled (every
   * pin's level and event state is up to date), in the order they were added; one may drive pins
   * or write registers itself. Returns a function that removes the listener.
   */
  onLevelChange(pin: number, listener: SimGpioLevelListener): () => void {
    this.checkPin(pin);
    toFunction(listener, 'listener');
    this.listeners[pin].push(listener);
    return () => {
      this.listeners[pin] = this.listeners[pin].filter((f) => f !== listener);
    };
  }

  /** Hardware reset: every register to its reset value (external drivers and pulls stay). */
  abstract reset(): void;
  /** The function-select code of a pin (BCM: 0 input, 1 output, 4 ALT0 …; RP1: CTRL.FUNCSEL). */
  abstract functionCode(pin: number): number;
}
