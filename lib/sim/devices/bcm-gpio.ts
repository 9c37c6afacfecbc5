/**
 * The GPIO block shared by the BCM2835/6/7 and the BCM2711: function selects, set/clear latches,
 * levels, and event detection, with 54 or 58 pins. The pull registers differ and live in
 * bcm2835-gpio.ts and bcm2711-gpio.ts; the register map is lib/gpio/regmap.ts.
 */
import { invalidType } from '../../validate';
import { gpioDefaultPull } from '../../gpio/tables';
import {
  BCM_FSEL_MASK,
  BCM_FSEL_OUTPUT,
  BCM_GPAFEN0,
  BCM_GPAREN0,
  BCM_GPCLR0,
  BCM_GPEDS0,
  BCM_GPFEN0,
  BCM_GPHEN0,
  BCM_GPIO_SIZE,
  BCM_GPLEN0,
  BCM_GPLEV0,
  BCM_GPREN0,
  BCM_GPSET0,
  BCM_RESERVED_VALUE,
  bcmFselField,
  bcmGpioRegisterName,
} from '../../gpio/regmap';
import { simHex } from '../device';
import { SimGpioBlock, type SimGpioLevel, type SimGpioOptions, type SimGpioPull } from './gpio-base';

/** Reserved BCM GPIO registers read as ASCII "gpio" (raspi-gpio tells a BCM2711 by this). */
export const SIM_BCM_RESERVED_VALUE = BCM_RESERVED_VALUE;

/** The BCM2835 datasheet's reset pulls (BCM2711 keeps them for GPIO 0–53; 54–57 pull down). */
function defaultBcmPull(pin: number): SimGpioPull {
  return gpioDefaultPull('bcm2835', pin);
}

type EnableKey = 'ren' | 'fen' | 'hen' | 'len' | 'aren' | 'afen';
const ENABLES: ReadonlyArray<readonly [number, EnableKey]> = [
  [BCM_GPREN0, 'ren'],
  [BCM_GPFEN0, 'fen'],
  [BCM_GPHEN0, 'hen'],
  [BCM_GPLEN0, 'len'],
  [BCM_GPAREN0, 'aren'],
  [BCM_GPAFEN0, 'afen'],
];

/** The common BCM block; subclasses add the pull registers. */
export abstract class SimBcmGpioBlock extends SimGpioBlock {
  protected fsel = new Uint32Array(6);
  protected latch: SimGpioLevel[];
  protected pulls: SimGpioPull[];
  /** Event status, enables: [bank0, bank1]. */
  protected eds = [0, 0];
  protected en: Record<EnableKey, number[]> = { ren: [0, 0], fen: [0, 0], hen: [0, 0], len: [0, 0], aren: [0, 0], afen: [0, 0] };

  constructor(
    pinCount: number,
    name: string,
    protected readonly kind: 'bcm2835' | 'bcm2711',
    options: SimGpioOptions,
  ) {
    super(BCM_GPIO_SIZE, pinCount, name, options);
    this.latch = new Array(pinCount).fill(0);
    this.pulls = Array.from({ length: pinCount }, (_, p) => defaultBcmPull(p));
    this.update();
  }

  registerName(offset: number): string | undefined {
    if (typeof offset !== 'number') throw invalidType('offset', 'of type number', offset);
    return bcmGpioRegisterName(offset, this.kind);
  }

  protected mask(bank: number): number {
    const n = this.pinCount - 32 * bank;
    return n >= 32 ? 0xffffffff : ((1 << n) - 1) >>> 0;
  }

  protected fselOf(pin: number): number {
    const f = bcmFselField(pin);
    return (this.fsel[f.offset / 4] >>> f.shift) & BCM_FSEL_MASK;
  }

  protected driven(pin: number): SimGpioLevel | null {
    return this.fselOf(pin) === BCM_FSEL_OUTPUT ? this.latch[pin] : null;
  }

  protected internalPull(pin: number): SimGpioPull {
    return this.pulls[pin];
  }

  protected onLevel(pin: number, from: SimGpioLevel, to: SimGpioLevel): void {
    const b = pin >>> 5;
    const bit = (1 << (pin & 31)) >>> 0;
    const e = this.en;
    let set = false;
    if (from === 0 && to === 1 && (e.ren[b] | e.aren[b]) & bit) set = true;
    if (from === 1 && to === 0 && (e.fen[b] | e.afen[b]) & bit) set = true;
    if (to === 1 && e.hen[b] & bit) set = true;
    if (to === 0 && e.len[b] & bit) set = true;
    if (set) this.eds[b] = (this.eds[b] | bit) >>> 0;
  }

  protected bankReg(offset: number, base: number): number {
    return offset === base ? 0 : offset === base + 4 ? 1 : -1;
  }

  protected readReg(offset: number): number {
    if (offset < 0x18) {
      const i = offset / 4;
      return this.fsel[i];
    }
    if (this.bankReg(offset, BCM_GPSET0) >= 0 || this.bankReg(offset, BCM_GPCLR0) >= 0) return 0;
    let b: number;
    if ((b = this.bankReg(offset, BCM_GPLEV0)) >= 0) {
      let v = 0;
      for (let p = 32 * b; p < Math.min(this.pinCount, 32 * b + 32); p++) if (this.last[p]) v |= 1 << (p & 31);
      return v >>> 0;
    }
    if ((b = this.bankReg(offset, BCM_GPEDS0)) >= 0) return this.eds[b];
    for (const [base, key] of ENABLES) {
      if ((b = this.bankReg(offset, base)) >= 0) return this.en[key][b];
    }
    return this.readOther(offset);
  }

  protected writeReg(offset: number, value: number): void {
    if (offset < 0x18) {
      const i = offset / 4;
      const pinsHere = Math.max(0, Math.min(10, this.pinCount - 10 * i));
      const m = pinsHere >= 10 ? 0x3fffffff : ((1 << (3 * pinsHere)) - 1) >>> 0;
      this.fsel[i] = (value & m) >>> 0;
      return;
    }
    let b: number;
    if ((b = this.bankReg(offset, BCM_GPSET0)) >= 0 || (b = this.bankReg(offset, BCM_GPCLR0)) >= 0) {
      const high = offset === BCM_GPSET0 || offset === BCM_GPSET0 + 4;
      const v = value & this.mask(b);
      for (let i = 0; i < 32; i++) if (v & (1 << i)) this.latch[32 * b + i] = high ? 1 : 0;
      return;
    }
    if (this.bankReg(offset, BCM_GPLEV0) >= 0) {
      this.guestError(`write of ${simHex(value)} to read-only ${this.describe(offset)} ignored`);
      return;
    }
    if ((b = this.bankReg(offset, BCM_GPEDS0)) >= 0) {
      this.eds[b] = (this.eds[b] & ~value) >>> 0; // write 1 to clear; level detection re-asserts in update()
      return;
    }
    for (const [base, key] of ENABLES) {
      if ((b = this.bankReg(offset, base)) >= 0) {
        this.en[key][b] = (value & this.mask(b)) >>> 0;
        return;
      }
    }
    this.writeOther(offset, value);
  }

  /** A reserved register: a guest error; reads as "gpio". */
  protected readReserved(offset: number): number {
    this.guestError(`read of ${this.describe(offset)}: reads as ${simHex(SIM_BCM_RESERVED_VALUE)}`);
    return SIM_BCM_RESERVED_VALUE;
  }

  protected writeReserved(offset: number, value: number): void {
    this.guestError(`write of ${simHex(value)} to ${this.describe(offset)} ignored`);
  }

  protected abstract readOther(offset: number): number;
  protected abstract writeOther(offset: number, value: number): void;

  /** The function-select code of a pin (0 input, 1 output, 4 ALT0 …). */
  functionCode(pin: number): number {
    this.checkPin(pin);
    return this.fselOf(pin);
  }

  /** The output latch (what the pin drives once it is an output). */
  outputLatch(pin: number): SimGpioLevel {
    this.checkPin(pin);
    return this.latch[pin];
  }

  /** Hardware reset: every register to its reset value (external drivers and pulls stay). */
  reset(): void {
    this.fsel.fill(0);
    this.latch.fill(0);
    this.pulls = Array.from({ length: this.pinCount }, (_, p) => defaultBcmPull(p));
    this.eds = [0, 0];
    for (const k of Object.keys(this.en) as EnableKey[]) this.en[k] = [0, 0];
    this.resetOther();
    this.update();
  }

  protected abstract resetOther(): void;
}
