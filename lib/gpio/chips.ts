/**
 * Register-level drivers of the three Raspberry Pi GPIO blocks, written against RegisterIO only,
 * so they run on a native register window and on the simulated blocks alike.
 */
import type { RegisterIO } from '../interfaces';
import { codedError } from '../errors';
import type { GpioChipKind } from './tables';
import {
  BCM_FSEL_MASK,
  BCM_GPCLR0,
  BCM_GPLEV0,
  BCM_GPPUD,
  BCM_GPPUD_DOWN,
  BCM_GPPUD_OFF,
  BCM_GPPUD_UP,
  BCM_GPPUDCLK0,
  BCM_GPSET0,
  BCM_PUP_DOWN,
  BCM_PUP_NONE,
  BCM_PUP_PDN0,
  BCM_PUP_PDN_PINS,
  BCM_PUP_UP,
  RP1_CLR,
  RP1_CTRL_FUNCSEL_MASK,
  RP1_FSEL_NONE,
  RP1_FSEL_RIO,
  RP1_PAD_IE,
  RP1_PAD_OD,
  RP1_PAD_PDE,
  RP1_PAD_PUE,
  RP1_RIO_OE,
  RP1_RIO_OUT,
  RP1_SET,
  RP1_STATUS_INFROMPAD,
  bcmFselField,
  rp1PinRegisters,
} from './regmap';

export { rp1BankOf } from './regmap';

/** A pin's function: input, output, an alternate function (alt0–alt8) or none (RP1 only). */
export type GpioFunction = 'input' | 'output' | 'none' | 'alt0' | 'alt1' | 'alt2' | 'alt3' | 'alt4' | 'alt5' | 'alt6' | 'alt7' | 'alt8';

/** A pull as the chip reports it; 'unknown' where the chip cannot tell (BCM2835/7). */
export type GpioPull = 'up' | 'down' | 'none' | 'unknown';

/** One pin as a probe sees it. */
export interface GpioPinState {
  pin: number;
  function: GpioFunction;
  /** The raw function-select value (FSEL code on BCM, CTRL.FUNCSEL on RP1). */
  fsel: number;
  /** 'input', 'output', 'none', or the datasheet name of the alternate function ('SDA1'). */
  name: string;
  level: 0 | 1;
  pull: GpioPull;
  /** For outputs, the level driven; null otherwise. */
  drive: 0 | 1 | null;
}

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
  input: 0,
  output: 1,
  alt5: 2,
  alt4: 3,
  alt0: 4,
  alt1: 5,
  alt2: 6,
  alt3: 7,
};

/** Waits at least `us` microseconds (the GPPUD set-up and hold times: 150 cycles ≈ 1 µs at 150 MHz). */
function spinMicroseconds(us: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.ceil(us * 1000));
  while (process.hrtime.bigint() < end) {
    /* spin */
  }
}

/** BCM2835/6/7 and BCM2711: the same block, different pull registers. */
export class BcmGpioDriver implements GpioChipDriver {
  readonly pinCount: number;
  constructor(
    readonly io: RegisterIO,
    readonly kind: 'bcm2835' | 'bcm2711',
  ) {
    this.pinCount = kind === 'bcm2711' ? 58 : 54;
  }

  getFunction(pin: number): { fn: GpioFunction; raw: number } {
    const f = bcmFselField(pin);
    const raw = (this.io.read32(f.offset) >>> f.shift) & BCM_FSEL_MASK;
    return { fn: FSEL_TO_FN[raw], raw };
  }

  setFunction(pin: number, fn: GpioFunction): void {
    const code = FN_TO_FSEL[fn];
    if (code === undefined) throw codedError('ERR_INVALID_ARG_VALUE', `${fn} is not a function of the ${this.kind} GPIO block`);
    const { offset, shift } = bcmFselField(pin);
    const v = this.io.read32(offset);
    this.io.write32(offset, ((v & ~(BCM_FSEL_MASK << shift)) | (code << shift)) >>> 0);
  }

  level(pin: number): 0 | 1 {
    return ((this.io.read32(BCM_GPLEV0 + 4 * (pin >>> 5)) >>> (pin & 31)) & 1) as 0 | 1;
  }

  /** GPSET/GPCLR read as 0: the latch cannot be read back, the level is what the pin drives. */
  drive(pin: number): 0 | 1 | null {
    return this.getFunction(pin).fn === 'output' ? this.level(pin) : null;
  }

  setOutput(pin: number, level: 0 | 1): void {
    this.io.write32((level ? BCM_GPSET0 : BCM_GPCLR0) + 4 * (pin >>> 5), (1 << (pin & 31)) >>> 0);
  }

  getPull(pin: number): GpioPull {
    if (this.kind !== 'bcm2711') return 'unknown';
    const v = (this.io.read32(BCM_PUP_PDN0 + 4 * Math.floor(pin / BCM_PUP_PDN_PINS)) >>> ((pin % BCM_PUP_PDN_PINS) * 2)) & 3;
    return v === BCM_PUP_UP ? 'up' : v === BCM_PUP_DOWN ? 'down' : 'none';
  }

  setPull(pin: number, pull: 'up' | 'down' | 'none'): void {
    if (this.kind === 'bcm2711') {
      const off = BCM_PUP_PDN0 + 4 * Math.floor(pin / BCM_PUP_PDN_PINS);
      const shift = (pin % BCM_PUP_PDN_PINS) * 2;
      const code = pull === 'up' ? BCM_PUP_UP : pull === 'down' ? BCM_PUP_DOWN : BCM_PUP_NONE;
      const v = this.io.read32(off);
      this.io.write32(off, ((v & ~(3 << shift)) | (code << shift)) >>> 0);
      return;
    }
    // The clocked sequence: control signal, wait, clock the pin, wait, remove both.
    const clk = BCM_GPPUDCLK0 + 4 * (pin >>> 5);
    this.io.write32(BCM_GPPUD, pull === 'up' ? BCM_GPPUD_UP : pull === 'down' ? BCM_GPPUD_DOWN : BCM_GPPUD_OFF);
    spinMicroseconds(5);
    this.io.write32(clk, (1 << (pin & 31)) >>> 0);
    spinMicroseconds(5);
    this.io.write32(BCM_GPPUD, BCM_GPPUD_OFF);
    this.io.write32(clk, 0);
  }
}

/** Pi 5's RP1: io_bank CTRL selects the function; sys_rio drives; pads hold the pulls. */
export class Rp1GpioDriver implements GpioChipDriver {
  readonly kind = 'rp1' as const;
  readonly pinCount = 54;
  constructor(readonly io: RegisterIO) {}

  private addr(pin: number) {
    return rp1PinRegisters(pin);
  }

  getFunction(pin: number): { fn: GpioFunction; raw: number } {
    const a = this.addr(pin);
    const raw = this.io.read32(a.ctrl) & RP1_CTRL_FUNCSEL_MASK;
    if (raw === RP1_FSEL_NONE) return { fn: 'none', raw };
    if (raw === RP1_FSEL_RIO) {
      const oe = (this.io.read32(a.rio + RP1_RIO_OE) >>> a.index) & 1;
      return { fn: oe ? 'output' : 'input', raw };
    }
    if (raw <= 8) return { fn: `alt${raw}` as GpioFunction, raw };
    return { fn: 'none', raw };
  }

  setFunction(pin: number, fn: GpioFunction): void {
    const a = this.addr(pin);
    let sel: number;
    if (fn === 'input' || fn === 'output') {
      sel = RP1_FSEL_RIO;
      // Direction first, so an output starts at its latched level.
      this.io.write32(a.rio + RP1_RIO_OE + (fn === 'output' ? RP1_SET : RP1_CLR), a.bit);
    } else if (fn === 'none') {
      sel = RP1_FSEL_NONE;
    } else {
      sel = Number(fn.slice(3));
    }
    const pad = this.io.read32(a.pad);
    this.io.write32(a.pad, ((pad & ~RP1_PAD_OD) | RP1_PAD_IE) >>> 0);
    const ctrl = this.io.read32(a.ctrl);
    this.io.write32(a.ctrl, ((ctrl & ~RP1_CTRL_FUNCSEL_MASK) | sel) >>> 0);
  }

  level(pin: number): 0 | 1 {
    return this.io.read32(this.addr(pin).status) & RP1_STATUS_INFROMPAD ? 1 : 0;
  }

  drive(pin: number): 0 | 1 | null {
    if (this.getFunction(pin).fn !== 'output') return null;
    const a = this.addr(pin);
    return ((this.io.read32(a.rio + RP1_RIO_OUT) >>> a.index) & 1) as 0 | 1;
  }

  setOutput(pin: number, level: 0 | 1): void {
    const a = this.addr(pin);
    this.io.write32(a.rio + RP1_RIO_OUT + (level ? RP1_SET : RP1_CLR), a.bit);
  }

  getPull(pin: number): GpioPull {
    const pad = this.io.read32(this.addr(pin).pad);
    const up = (pad & RP1_PAD_PUE) !== 0;
    const down = (pad & RP1_PAD_PDE) !== 0;
    if (up && !down) return 'up';
    if (down && !up) return 'down';
    return 'none';
  }

  setPull(pin: number, pull: 'up' | 'down' | 'none'): void {
    const a = this.addr(pin);
    const pad = this.io.read32(a.pad) & ~(RP1_PAD_PUE | RP1_PAD_PDE);
    this.io.write32(a.pad, (pad | (pull === 'up' ? RP1_PAD_PUE : pull === 'down' ? RP1_PAD_PDE : 0)) >>> 0);
  }
}

export function gpioChipDriver(io: RegisterIO, kind: GpioChipKind): GpioChipDriver {
  return kind === 'rp1' ? new Rp1GpioDriver(io) : new BcmGpioDriver(io, kind);
}
