/**
 * The simulated RP1 GPIO (Pi 5), as /dev/gpiomem0 maps it (0x30000 bytes): io_bank0–2,
 * sys_rio0–2 and pads0–2 with their atomic XOR/set/clear aliases — the map in lib/gpio/regmap.ts.
 * Reads through an alias return the register. Offsets between the banks' registers are guest
 * errors (read as 0, writes ignored).
 */
import { invalidType } from '../../validate';
import {
  RP1_BANKS,
  RP1_CTRL_FUNCSEL_MASK,
  RP1_CTRL_IRQRESET,
  RP1_CTRL_OEOVER_SHIFT,
  RP1_CTRL_OUTOVER_SHIFT,
  RP1_FSEL_NONE,
  RP1_FSEL_RIO,
  RP1_GPIO_SIZE,
  RP1_PAD_DRIVE_SHIFT,
  RP1_PAD_IE,
  RP1_PAD_OD,
  RP1_PAD_PDE,
  RP1_PAD_PUE,
  RP1_PAD_SCHMITT,
  RP1_RIO_OE,
  RP1_RIO_OUT,
  RP1_RIO_SYNC_IN,
  RP1_STATUS_EVENT_EDGE_LOW,
  RP1_STATUS_FILTERED_SHIFT,
  RP1_STATUS_INFILTERED,
  RP1_STATUS_INFROMPAD,
  RP1_STATUS_INTOPERI,
  RP1_STATUS_OEFROMPERI,
  RP1_STATUS_OETOPAD,
  RP1_STATUS_OUTFROMPERI,
  RP1_STATUS_OUTTOPAD,
  rp1BankOf,
  rp1Decode,
  rp1GpioRegisterName,
} from '../../gpio/regmap';
import { simHex } from '../device';
import { SimGpioBlock, type SimGpioLevel, type SimGpioOptions, type SimGpioPull } from './gpio-base';

function rp1Pin(bank: number, index: number): number {
  return RP1_BANKS[bank].first + index;
}

function applyAlias(old: number, value: number, alias: number): number {
  if (alias === 1) return (old ^ value) >>> 0;
  if (alias === 2) return (old | value) >>> 0;
  if (alias === 3) return (old & ~value) >>> 0;
  return value >>> 0;
}

export class SimRp1Gpio extends SimGpioBlock {
  private ctrl = new Uint32Array(54);
  private pads = new Uint32Array(54);
  private voltage = [0, 0, 0];
  private rioOut = [0, 0, 0];
  private rioOe = [0, 0, 0];
  /** Latched edge events: bit 0 falling, bit 1 rising. */
  private edges = new Uint8Array(54);

  constructor(options: SimGpioOptions = {}) {
    super(RP1_GPIO_SIZE, 54, 'SimRp1Gpio', options);
    this.resetRegs();
    this.update();
  }

  registerName(offset: number): string | undefined {
    if (typeof offset !== 'number') throw invalidType('offset', 'of type number', offset);
    return rp1GpioRegisterName(offset);
  }

  private resetRegs(): void {
    this.ctrl.fill(RP1_FSEL_NONE);
    for (let p = 0; p < 54; p++) {
      this.pads[p] = RP1_PAD_IE | (1 << RP1_PAD_DRIVE_SHIFT) | RP1_PAD_SCHMITT | (p <= 8 ? RP1_PAD_PUE : RP1_PAD_PDE);
    }
    this.voltage = [0, 0, 0];
    this.rioOut = [0, 0, 0];
    this.rioOe = [0, 0, 0];
    this.edges.fill(0);
  }

  protected driven(pin: number): SimGpioLevel | null {
    const { bank, index } = rp1BankOf(pin);
    const c = this.ctrl[pin];
    const fsel = c & RP1_CTRL_FUNCSEL_MASK;
    const pad = this.pads[pin];
    let oe = fsel === RP1_FSEL_RIO ? (this.rioOe[bank] >>> index) & 1 : 0;
    let out = fsel === RP1_FSEL_RIO ? (this.rioOut[bank] >>> index) & 1 : 0;
    const oeover = (c >>> RP1_CTRL_OEOVER_SHIFT) & 3;
    if (oeover === 1) oe ^= 1;
    else if (oeover === 2) oe = 0;
    else if (oeover === 3) oe = 1;
    const outover = (c >>> RP1_CTRL_OUTOVER_SHIFT) & 3;
    if (outover === 1) out ^= 1;
    else if (outover === 2) out = 0;
    else if (outover === 3) out = 1;
    if (!oe || pad & RP1_PAD_OD) return null;
    return out as SimGpioLevel;
  }

  protected internalPull(pin: number): SimGpioPull {
    const pad = this.pads[pin];
    const up = (pad & RP1_PAD_PUE) !== 0;
    const down = (pad & RP1_PAD_PDE) !== 0;
    if (up && !down) return 'up';
    if (down && !up) return 'down';
    return 'none'; // both set: bus keeper — holds the last level
  }

  protected onLevel(pin: number, from: SimGpioLevel, to: SimGpioLevel): void {
    if (from === 0 && to === 1) this.edges[pin] |= 2;
    if (from === 1 && to === 0) this.edges[pin] |= 1;
  }

  private input(pin: number): SimGpioLevel {
    return this.pads[pin] & RP1_PAD_IE ? this.last[pin] : 0;
  }

  private status(pin: number): number {
    const { bank, index } = rp1BankOf(pin);
    const c = this.ctrl[pin];
    const drv = this.driven(pin);
    const rio = (c & RP1_CTRL_FUNCSEL_MASK) === RP1_FSEL_RIO;
    const lvl = this.input(pin);
    let v = 0;
    if (rio && (this.rioOut[bank] >>> index) & 1) v |= RP1_STATUS_OUTFROMPERI;
    if (drv === 1) v |= RP1_STATUS_OUTTOPAD;
    if (rio && (this.rioOe[bank] >>> index) & 1) v |= RP1_STATUS_OEFROMPERI;
    if (drv !== null) v |= RP1_STATUS_OETOPAD;
    if (lvl) v |= RP1_STATUS_INFROMPAD | RP1_STATUS_INFILTERED | RP1_STATUS_INTOPERI;
    // EVENT_EDGE_LOW / HIGH, EVENT_LEVEL_LOW / HIGH, then their filtered copies.
    const ev = this.edges[pin];
    const events = (ev & 1) | (((ev >> 1) & 1) << 1) | ((lvl ? 0 : 1) << 2) | (lvl << 3);
    v |= events * RP1_STATUS_EVENT_EDGE_LOW;
    v |= (events << RP1_STATUS_FILTERED_SHIFT) * RP1_STATUS_EVENT_EDGE_LOW;
    return v >>> 0;
  }

  protected readReg(offset: number): number {
    const d = rp1Decode(offset);
    if (!d) return this.readHole(offset);
    const count = RP1_BANKS[d.bank].count;
    if (d.region === 'io') {
      const index = d.reg >>> 3;
      if (index >= count) return this.readHole(offset);
      const pin = rp1Pin(d.bank, index);
      return d.reg & 4 ? this.ctrl[pin] : this.status(pin);
    }
    if (d.region === 'rio') {
      if (d.reg === RP1_RIO_OUT) return this.rioOut[d.bank];
      if (d.reg === RP1_RIO_OE) return this.rioOe[d.bank];
      if (d.reg === RP1_RIO_SYNC_IN) {
        let v = 0;
        for (let i = 0; i < count; i++) v |= this.input(rp1Pin(d.bank, i)) << i;
        return v >>> 0;
      }
      return this.readHole(offset);
    }
    if (d.reg === 0) return this.voltage[d.bank];
    const index = (d.reg - 4) / 4;
    if (index < 0 || index >= count) return this.readHole(offset);
    return this.pads[rp1Pin(d.bank, index)];
  }

  protected writeReg(offset: number, value: number): void {
    const d = rp1Decode(offset);
    if (!d) {
      this.writeHole(offset, value);
      return;
    }
    const count = RP1_BANKS[d.bank].count;
    const bankMask = ((1 << count) - 1) >>> 0;
    if (d.region === 'io') {
      const index = d.reg >>> 3;
      if (index >= count) {
        this.writeHole(offset, value);
        return;
      }
      if (!(d.reg & 4)) {
        this.guestError(`write of ${simHex(value)} to read-only ${this.describe(offset)} ignored`);
        return;
      }
      const pin = rp1Pin(d.bank, index);
      const v = applyAlias(this.ctrl[pin], value, d.alias);
      if (v & RP1_CTRL_IRQRESET) this.edges[pin] = 0; // self-clearing
      this.ctrl[pin] = (v & ~RP1_CTRL_IRQRESET) >>> 0;
      return;
    }
    if (d.region === 'rio') {
      if (d.reg === RP1_RIO_OUT) this.rioOut[d.bank] = applyAlias(this.rioOut[d.bank], value, d.alias) & bankMask;
      else if (d.reg === RP1_RIO_OE) this.rioOe[d.bank] = applyAlias(this.rioOe[d.bank], value, d.alias) & bankMask;
      else if (d.reg === RP1_RIO_SYNC_IN) this.guestError(`write of ${simHex(value)} to read-only ${this.describe(offset)} ignored`);
      else this.writeHole(offset, value);
      return;
    }
    if (d.reg === 0) {
      this.voltage[d.bank] = applyAlias(this.voltage[d.bank], value, d.alias) & 1;
      return;
    }
    const index = (d.reg - 4) / 4;
    if (index < 0 || index >= count) {
      this.writeHole(offset, value);
      return;
    }
    const pin = rp1Pin(d.bank, index);
    this.pads[pin] = applyAlias(this.pads[pin], value, d.alias) & 0xff;
  }

  private readHole(offset: number): number {
    this.guestError(`read of ${this.describe(offset)}: reads as 0`);
    return 0;
  }

  private writeHole(offset: number, value: number): void {
    this.guestError(`write of ${simHex(value)} to ${this.describe(offset)} ignored`);
  }

  /** The CTRL register's FUNCSEL of a pin (5 = SYS_RIO, 0x1f = none). */
  functionCode(pin: number): number {
    this.checkPin(pin);
    return this.ctrl[pin] & RP1_CTRL_FUNCSEL_MASK;
  }

  /** Hardware reset. */
  reset(): void {
    this.resetRegs();
    this.update();
  }
}
