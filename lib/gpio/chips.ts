/**
 * Register-level drivers of the three Raspberry Pi GPIO blocks, written against RegisterIO only,
 * so they run on a native register window and on the simulated blocks alike.
 */
import type { RegisterIO } from '../interfaces';
import { codedError } from '../errors';
import type { GpioChipKind } from './tables';

/** A pin's function: input, output, an alternate function (alt0–alt8) or none (RP1 only). */
export type GpioFunction =
  | 'input' | 'output' | 'none'
  | 'alt0' | 'alt1' | 'alt2' | 'alt3' | 'alt4' | 'alt5' | 'alt6' | 'alt7' | 'alt8';

/** A pull as the chip reports it; 'unknown' where the chip cannot tell (BCM2835/7). */
export type GpioPull = 'up' | 'down' | 'none' | 'unknown';

/** The per-chip register operations behind {@link RaspberryPiGpio}. */
export interface GpioChipDriver {
  readonly kind: GpioChipKind;
  readonly pinCount: number;
  /** The function and, for RP1, the raw function-select value. */
  getFunction(pin: number): { fn: GpioFunction; raw: number };
  setFunction(pin: number, fn: GpioFunction): void;
  level(pin: number): 0 | 1;
  /** What an output pin drives (the output latch), or null when the chip cannot read it back. */
  drive(pin: number): 0 | 1 | null;
  setOutput(pin: number, level: 0 | 1): void;
  getPull(pin: number): GpioPull;
  setPull(pin: number, pull: 'up' | 'down' | 'none'): void;
}

// FSEL codes of the BCM blocks: 000 input, 001 output, 100 ALT0 … 111 ALT3, 011 ALT4, 010 ALT5.
const FSEL_TO_FN: GpioFunction[] = ['input', 'output', 'alt5', 'alt4', 'alt0', 'alt1', 'alt2', 'alt3'];
const FN_TO_FSEL: Partial<Record<GpioFunction, number>> = {
  input: 0, output: 1, alt5: 2, alt4: 3, alt0: 4, alt1: 5, alt2: 6, alt3: 7,
};

const GPSET0 = 0x1c;
const GPCLR0 = 0x28;
const GPLEV0 = 0x34;
const GPPUD = 0x94;
const GPPUDCLK0 = 0x98;
const PUP_PDN0 = 0xe4;

/** Waits at least `us` microseconds (the GPPUD set-up and hold times: 150 cycles ≈ 1 µs at 150 MHz). */
function spinMicroseconds(us: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.ceil(us * 1000));
  while (process.hrtime.bigint() < end) { /* spin */ }
}

/** BCM2835/6/7 and BCM2711: the same block, different pull registers. */
export class BcmGpioDriver implements GpioChipDriver {
  readonly pinCount: number;
  constructor(readonly io: RegisterIO, readonly kind: 'bcm2835' | 'bcm2711') {
    this.pinCount = kind === 'bcm2711' ? 58 : 54;
  }

  getFunction(pin: number): { fn: GpioFunction; raw: number } {
    const raw = (this.io.read32(4 * Math.floor(pin / 10)) >>> ((pin % 10) * 3)) & 7;
    return { fn: FSEL_TO_FN[raw], raw };
  }

  setFunction(pin: number, fn: GpioFunction): void {
    const code = FN_TO_FSEL[fn];
    if (code === undefined) throw codedError('ERR_INVALID_ARG_VALUE', `${fn} is not a function of the ${this.kind} GPIO block`);
    const off = 4 * Math.floor(pin / 10);
    const shift = (pin % 10) * 3;
    const v = this.io.read32(off);
    this.io.write32(off, ((v & ~(7 << shift)) | (code << shift)) >>> 0);
  }

  level(pin: number): 0 | 1 {
    return ((this.io.read32(GPLEV0 + 4 * (pin >>> 5)) >>> (pin & 31)) & 1) as 0 | 1;
  }

  /** GPSET/GPCLR read as 0: the latch cannot be read back, the level is what the pin drives. */
  drive(pin: number): 0 | 1 | null {
    return this.getFunction(pin).fn === 'output' ? this.level(pin) : null;
  }

  setOutput(pin: number, level: 0 | 1): void {
    this.io.write32((level ? GPSET0 : GPCLR0) + 4 * (pin >>> 5), (1 << (pin & 31)) >>> 0);
  }

  getPull(pin: number): GpioPull {
    if (this.kind !== 'bcm2711') return 'unknown';
    const v = (this.io.read32(PUP_PDN0 + 4 * (pin >>> 4)) >>> ((pin & 15) * 2)) & 3;
    return v === 1 ? 'up' : v === 2 ? 'down' : 'none';
  }

  setPull(pin: number, pull: 'up' | 'down' | 'none'): void {
    if (this.kind === 'bcm2711') {
      const off = PUP_PDN0 + 4 * (pin >>> 4);
      const shift = (pin & 15) * 2;
      const code = pull === 'up' ? 1 : pull === 'down' ? 2 : 0;
      const v = this.io.read32(off);
      this.io.write32(off, ((v & ~(3 << shift)) | (code << shift)) >>> 0);
      return;
    }
    // The clocked sequence: control signal, wait, clock the pin, wait, remove both.
    const clk = GPPUDCLK0 + 4 * (pin >>> 5);
    this.io.write32(GPPUD, pull === 'up' ? 2 : pull === 'down' ? 1 : 0);
    spinMicroseconds(5);
    this.io.write32(clk, (1 << (pin & 31)) >>> 0);
    spinMicroseconds(5);
    this.io.write32(GPPUD, 0);
    this.io.write32(clk, 0);
  }
}

// RP1 layout inside the /dev/gpiomem0 window.
const RP1_BANK_STEP = 0x4000;
const RP1_RIO = 0x10000;
const RP1_PADS = 0x20000;
const RP1_SET = 0x2000;
const RP1_CLR = 0x3000;
const RIO_OUT = 0x0;
const RIO_OE = 0x4;
const FSEL_RIO = 5;
const FSEL_NONE = 0x1f;
const PAD_OD = 1 << 7;
const PAD_IE = 1 << 6;
const PAD_PUE = 1 << 3;
const PAD_PDE = 1 << 2;
const STATUS_INFROMPAD = 1 << 17;

/** Bank and index of an RP1 GPIO: 0–27 bank 0, 28–33 bank 1, 34–53 bank 2. */
export function rp1BankOf(pin: number): { bank: number; index: number } {
  if (pin < 28) return { bank: 0, index: pin };
  if (pin < 34) return { bank: 1, index: pin - 28 };
  return { bank: 2, index: pin - 34 };
}

/** Pi 5's RP1: io_bank CTRL selects the function; sys_rio drives; pads hold the pulls. */
export class Rp1GpioDriver implements GpioChipDriver {
  readonly kind = 'rp1' as const;
  readonly pinCount = 54;
  constructor(readonly io: RegisterIO) {}

  private addr(pin: number) {
    const { bank, index } = rp1BankOf(pin);
    const b = bank * RP1_BANK_STEP;
    return {
      status: b + index * 8,
      ctrl: b + index * 8 + 4,
      rio: RP1_RIO + b,
      pad: RP1_PADS + b + 4 + index * 4,
      bit: (1 << index) >>> 0,
      index,
    };
  }

  getFunction(pin: number): { fn: GpioFunction; raw: number } {
    const a = this.addr(pin);
    const raw = this.io.read32(a.ctrl) & 0x1f;
    if (raw === FSEL_NONE) return { fn: 'none', raw };
    if (raw === FSEL_RIO) {
      const oe = (this.io.read32(a.rio + RIO_OE) >>> a.index) & 1;
      return { fn: oe ? 'output' : 'input', raw };
    }
    if (raw <= 8) return { fn: `alt${raw}` as GpioFunction, raw };
    return { fn: 'none', raw };
  }

  setFunction(pin: number, fn: GpioFunction): void {
    const a = this.addr(pin);
    let sel: number;
    if (fn === 'input' || fn === 'output') {
      sel = FSEL_RIO;
      // Direction first, so an output starts at its latched level.
      this.io.write32(a.rio + RIO_OE + (fn === 'output' ? RP1_SET : RP1_CLR), a.bit);
    } else if (fn === 'none') {
      sel = FSEL_NONE;
    } else {
      sel = Number(fn.slice(3));
    }
    const pad = this.io.read32(a.pad);
    this.io.write32(a.pad, ((pad & ~PAD_OD) | PAD_IE) >>> 0);
    const ctrl = this.io.read32(a.ctrl);
    this.io.write32(a.ctrl, ((ctrl & ~0x1f) | sel) >>> 0);
  }

  level(pin: number): 0 | 1 {
    return (this.io.read32(this.addr(pin).status) & STATUS_INFROMPAD) ? 1 : 0;
  }

  drive(pin: number): 0 | 1 | null {
    if (this.getFunction(pin).fn !== 'output') return null;
    const a = this.addr(pin);
    return ((this.io.read32(a.rio + RIO_OUT) >>> a.index) & 1) as 0 | 1;
  }

  setOutput(pin: number, level: 0 | 1): void {
    const a = this.addr(pin);
    this.io.write32(a.rio + RIO_OUT + (level ? RP1_SET : RP1_CLR), a.bit);
  }

  getPull(pin: number): GpioPull {
    const pad = this.io.read32(this.addr(pin).pad);
    const up = (pad & PAD_PUE) !== 0;
    const down = (pad & PAD_PDE) !== 0;
    if (up && !down) return 'up';
    if (down && !up) return 'down';
    return 'none';
  }

  setPull(pin: number, pull: 'up' | 'down' | 'none'): void {
    const a = this.addr(pin);
    const pad = this.io.read32(a.pad) & ~(PAD_PUE | PAD_PDE);
    this.io.write32(a.pad, (pad | (pull === 'up' ? PAD_PUE : pull === 'down' ? PAD_PDE : 0)) >>> 0);
  }
}

export function gpioChipDriver(io: RegisterIO, kind: GpioChipKind): GpioChipDriver {
  return kind === 'rp1' ? new Rp1GpioDriver(io) : new BcmGpioDriver(io, kind);
}
