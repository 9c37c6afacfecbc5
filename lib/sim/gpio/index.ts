/**
 * Simulated Raspberry Pi GPIO blocks: BCM2835/2836/2837, BCM2711 and RP1. Each is a RegisterIO
 * (32-bit registers, offsets from the block's start) with the register semantics of the real chip,
 * plus a test API: drive input pins from outside, attach external pulls, read what a pin outputs.
 *
 * Pin level model: a pin that drives (output function) shows its output; otherwise an external
 * driver, else an external pull, else the internal pull; a pin with nothing on it keeps its last
 * level (it floats).
 */
import type { RegisterIO } from '../../interfaces';
import { codedError } from '../../errors';
import { invalidType, toBool, toChoice, toOptions } from '../../validate';
import type { RaspberryPiInfo } from '../../gpio/detect';
import { gpioDefaultPull } from '../../gpio/tables';

type Level = 0 | 1;
export type SimGpioPull = 'up' | 'down' | 'none';

/** Reserved BCM GPIO registers read as ASCII "gpio" (raspi-gpio tells a BCM2711 by this). */
export const SIM_BCM_RESERVED_VALUE = 0x6770696f;

abstract class SimGpioBase implements RegisterIO {
  /** Whether writes are accepted; set false to make a read-only window (writes throw ERR_MMAPKIT_READ_ONLY). */
  writable: boolean;
  /** Register reads and writes made through the RegisterIO interface. */
  reads = 0;
  writes = 0;
  protected readonly extDrive: (Level | null)[];
  protected readonly extPull: (SimGpioPull | null)[];
  protected readonly last: Level[];

  constructor(readonly size: number, readonly pinCount: number, readonly name: string, writable: boolean) {
    this.writable = writable;
    this.extDrive = new Array(pinCount).fill(null);
    this.extPull = new Array(pinCount).fill(null);
    this.last = new Array(pinCount).fill(0);
  }

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

  read8(offset: number): number { this.check(offset, 8); return 0; }
  read16(offset: number): number { this.check(offset, 16); return 0; }
  read64(offset: number): bigint { this.check(offset, 64); return 0n; }
  write8(offset: number): void { this.check(offset, 8); }
  write16(offset: number): void { this.check(offset, 16); }
  write64(offset: number): void { this.check(offset, 64); }

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

  protected abstract readReg(offset: number): number;
  protected abstract writeReg(offset: number, value: number): void;
  /** What the chip itself drives on the pin, or null. */
  protected abstract driven(pin: number): Level | null;
  protected abstract internalPull(pin: number): SimGpioPull;
  /** Called with each pin's old and new level after any change. */
  protected abstract onLevel(pin: number, from: Level, to: Level): void;

  protected checkPin(pin: number): void {
    if (typeof pin !== 'number') throw invalidType('pin', 'of type number', pin);
    if (!Number.isInteger(pin) || pin < 0 || pin >= this.pinCount) {
      throw codedError('ERR_OUT_OF_RANGE', `${this.name}: GPIO${pin} does not exist (0–${this.pinCount - 1})`);
    }
  }

  protected computeLevel(pin: number): Level {
    const own = this.driven(pin);
    if (own !== null) return own;
    const ext = this.extDrive[pin];
    if (ext !== null) return ext;
    const pull = this.extPull[pin] ?? this.internalPull(pin);
    if (pull === 'up') return 1;
    if (pull === 'down') return 0;
    return this.last[pin];
  }

  /** Recomputes every pin's level and runs the edge/level logic. */
  protected update(): void {
    for (let p = 0; p < this.pinCount; p++) {
      const now = this.computeLevel(p);
      const before = this.last[p];
      this.last[p] = now;
      this.onLevel(p, before, now);
    }
  }

  // ---- test API ----

  /** Drives a pin from outside (a button, another chip); null releases it. */
  drive(pin: number, level: Level | boolean | null): void {
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
  output(pin: number): Level | null {
    this.checkPin(pin);
    return this.driven(pin);
  }

  /** The level on the pin, as the outside world sees it. */
  level(pin: number): Level {
    this.checkPin(pin);
    return this.last[pin];
  }

  /** The internal pull currently applied to the pin. */
  pull(pin: number): SimGpioPull {
    this.checkPin(pin);
    return this.internalPull(pin);
  }
}

// ---------------------------------------------------------------- BCM2835 / BCM2711

const GPSET = 0x1c;
const GPCLR = 0x28;
const GPLEV = 0x34;
const GPEDS = 0x40;
const GPREN = 0x4c;
const GPFEN = 0x58;
const GPHEN = 0x64;
const GPLEN = 0x70;
const GPAREN = 0x7c;
const GPAFEN = 0x88;
const GPPUD = 0x94;
const GPPUDCLK = 0x98;
const PUP_PDN = 0xe4;

/** The BCM2835 datasheet's reset pulls (BCM2711 keeps them for GPIO 0–53; 54–57 pull down). */
function defaultBcmPull(pin: number): SimGpioPull {
  return gpioDefaultPull('bcm2835', pin);
}

export interface SimGpioOptions {
  /** Whether the RegisterIO accepts writes. Default true. */
  writable?: boolean;
}

function gpioWritable(options: unknown): boolean {
  const o = toOptions<SimGpioOptions>(options, 'options', ['writable']);
  return o.writable === undefined ? true : toBool(o.writable, 'options.writable');
}

abstract class SimBcmGpioBase extends SimGpioBase {
  protected fsel = new Uint32Array(6);
  protected latch: Level[];
  protected pulls: SimGpioPull[];
  /** Event status, enables: [bank0, bank1]. */
  protected eds = [0, 0];
  protected en = { ren: [0, 0], fen: [0, 0], hen: [0, 0], len: [0, 0], aren: [0, 0], afen: [0, 0] };

  constructor(pinCount: number, name: string, options: SimGpioOptions) {
    super(0x1000, pinCount, name, gpioWritable(options));
    this.latch = new Array(pinCount).fill(0);
    this.pulls = Array.from({ length: pinCount }, (_, p) => defaultBcmPull(p));
    this.update();
  }

  protected mask(bank: number): number {
    const n = this.pinCount - 32 * bank;
    return n >= 32 ? 0xffffffff : ((1 << n) - 1) >>> 0;
  }

  protected fselOf(pin: number): number {
    return (this.fsel[Math.floor(pin / 10)] >>> ((pin % 10) * 3)) & 7;
  }

  protected driven(pin: number): Level | null {
    return this.fselOf(pin) === 1 ? this.latch[pin] : null;
  }

  protected internalPull(pin: number): SimGpioPull {
    return this.pulls[pin];
  }

  protected onLevel(pin: number, from: Level, to: Level): void {
    const b = pin >>> 5;
    const bit = (1 << (pin & 31)) >>> 0;
    const e = this.en;
    let set = false;
    if (from === 0 && to === 1 && ((e.ren[b] | e.aren[b]) & bit)) set = true;
    if (from === 1 && to === 0 && ((e.fen[b] | e.afen[b]) & bit)) set = true;
    if (to === 1 && (e.hen[b] & bit)) set = true;
    if (to === 0 && (e.len[b] & bit)) set = true;
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
    let b: number;
    if ((b = this.bankReg(offset, GPSET)) >= 0 || (b = this.bankReg(offset, GPCLR)) >= 0) return 0;
    if ((b = this.bankReg(offset, GPLEV)) >= 0) {
      let v = 0;
      for (let p = 32 * b; p < Math.min(this.pinCount, 32 * b + 32); p++) if (this.last[p]) v |= 1 << (p & 31);
      return v >>> 0;
    }
    if ((b = this.bankReg(offset, GPEDS)) >= 0) return this.eds[b];
    for (const [base, key] of [[GPREN, 'ren'], [GPFEN, 'fen'], [GPHEN, 'hen'], [GPLEN, 'len'], [GPAREN, 'aren'], [GPAFEN, 'afen']] as const) {
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
    if ((b = this.bankReg(offset, GPSET)) >= 0 || (b = this.bankReg(offset, GPCLR)) >= 0) {
      const high = offset === GPSET || offset === GPSET + 4;
      const v = value & this.mask(b);
      for (let i = 0; i < 32; i++) if (v & (1 << i)) this.latch[32 * b + i] = high ? 1 : 0;
      return;
    }
    if (this.bankReg(offset, GPLEV) >= 0) return; // read-only
    if ((b = this.bankReg(offset, GPEDS)) >= 0) {
      this.eds[b] = (this.eds[b] & ~value) >>> 0; // write 1 to clear; level detection re-asserts in update()
      return;
    }
    for (const [base, key] of [[GPREN, 'ren'], [GPFEN, 'fen'], [GPHEN, 'hen'], [GPLEN, 'len'], [GPAREN, 'aren'], [GPAFEN, 'afen']] as const) {
      if ((b = this.bankReg(offset, base)) >= 0) { this.en[key][b] = (value & this.mask(b)) >>> 0; return; }
    }
    this.writeOther(offset, value);
  }

  protected abstract readOther(offset: number): number;
  protected abstract writeOther(offset: number, value: number): void;

  /** The function-select code of a pin (0 input, 1 output, 4 ALT0 …). */
  functionCode(pin: number): number {
    this.checkPin(pin);
    return this.fselOf(pin);
  }

  /** The output latch (what the pin drives once it is an output). */
  outputLatch(pin: number): Level {
    this.checkPin(pin);
    return this.latch[pin];
  }

  /** Hardware reset: every register to its reset value (external drivers and pulls stay). */
  reset(): void {
    this.fsel.fill(0);
    this.latch.fill(0);
    this.pulls = Array.from({ length: this.pinCount }, (_, p) => defaultBcmPull(p));
    this.eds = [0, 0];
    for (const k of Object.keys(this.en) as (keyof typeof this.en)[]) this.en[k] = [0, 0];
    this.resetOther();
    this.update();
  }

  protected abstract resetOther(): void;
}

/**
 * The BCM2835 GPIO block (also BCM2836 and BCM2837: Pi 1, 2, 3 and Zero): 54 pins; pulls set by the
 * clocked GPPUD / GPPUDCLK sequence: the pull in GPPUD is latched into each pin whose GPPUDCLK bit
 * goes from 0 to 1. GPPUDCLK reads as 0; pulls cannot be read back.
 */
export class SimBcm2835Gpio extends SimBcmGpioBase {
  private gppud = 0;
  private clk = [0, 0];

  constructor(options: SimGpioOptions = {}) {
    super(54, 'SimBcm2835Gpio', options);
  }

  protected readOther(offset: number): number {
    if (offset === GPPUD) return this.gppud;
    if (offset === GPPUDCLK || offset === GPPUDCLK + 4) return 0;
    return SIM_BCM_RESERVED_VALUE;
  }

  protected writeOther(offset: number, value: number): void {
    if (offset === GPPUD) { this.gppud = value & 3; return; }
    const b = this.bankReg(offset, GPPUDCLK);
    if (b < 0) return; // reserved: ignored
    const v = (value & this.mask(b)) >>> 0;
    const rising = (v & ~this.clk[b]) >>> 0;
    this.clk[b] = v;
    if (this.gppud === 3) return; // reserved control value: no change
    const pull: SimGpioPull = this.gppud === 2 ? 'up' : this.gppud === 1 ? 'down' : 'none';
    for (let i = 0; i < 32; i++) if (rising & (1 << i)) this.pulls[32 * b + i] = pull;
  }

  protected resetOther(): void {
    this.gppud = 0;
    this.clk = [0, 0];
  }
}

/**
 * The BCM2711 GPIO block (Pi 4, 400, CM4): 58 pins; pulls in GPIO_PUP_PDN_CNTRL_REG0–3 (2 bits a
 * pin: 00 none, 01 up, 10 down), readable. GPPUD/GPPUDCLK do not exist (reserved).
 */
export class SimBcm2711Gpio extends SimBcmGpioBase {
  constructor(options: SimGpioOptions = {}) {
    super(58, 'SimBcm2711Gpio', options);
  }

  protected readOther(offset: number): number {
    if (offset >= PUP_PDN && offset <= PUP_PDN + 12) {
      const first = ((offset - PUP_PDN) / 4) * 16;
      let v = 0;
      for (let i = 0; i < 16 && first + i < this.pinCount; i++) {
        const p = this.pulls[first + i];
        v |= (p === 'up' ? 1 : p === 'down' ? 2 : 0) << (2 * i);
      }
      return v >>> 0;
    }
    return SIM_BCM_RESERVED_VALUE;
  }

  protected writeOther(offset: number, value: number): void {
    if (offset < PUP_PDN || offset > PUP_PDN + 12) return;
    const first = ((offset - PUP_PDN) / 4) * 16;
    for (let i = 0; i < 16 && first + i < this.pinCount; i++) {
      const code = (value >>> (2 * i)) & 3;
      if (code === 3) continue; // reserved: keeps the pull
      this.pulls[first + i] = code === 1 ? 'up' : code === 2 ? 'down' : 'none';
    }
  }

  protected resetOther(): void { /* pulls are reset by the base */ }
}

// ---------------------------------------------------------------- RP1

const RP1_BANKS = [{ first: 0, count: 28 }, { first: 28, count: 6 }, { first: 34, count: 20 }];
const RP1_FSEL_RIO = 5;
const CTRL_IRQRESET = 1 << 28;
const PAD_OD = 1 << 7;
const PAD_IE = 1 << 6;
const PAD_PUE = 1 << 3;
const PAD_PDE = 1 << 2;

function rp1Pin(bank: number, index: number): number {
  return RP1_BANKS[bank].first + index;
}

/**
 * RP1's GPIO (Pi 5), as /dev/gpiomem0 maps it (0x30000 bytes): io_bank0–2 at 0x0000/0x4000/0x8000
 * (STATUS at 8n, read-only; CTRL at 8n+4: FUNCSEL 4:0, OUTOVER 13:12, OEOVER 15:14, IRQRESET 28),
 * sys_rio0–2 at 0x10000/0x14000/0x18000 (OUT +0, OE +4, SYNC_IN +8), pads0–2 at
 * 0x20000/0x24000/0x28000 (VOLTAGE_SELECT +0; per pin at 4+4n: OD 7, IE 6, DRIVE 5:4, PUE 3,
 * PDE 2, SCHMITT 1, SLEWFAST 0). Every register has the atomic aliases +0x1000 XOR, +0x2000 set,
 * +0x3000 clear; reads through an alias return the register.
 */
export class SimRp1Gpio extends SimGpioBase {
  private ctrl = new Uint32Array(54);
  private pads = new Uint32Array(54);
  private voltage = [0, 0, 0];
  private rioOut = [0, 0, 0];
  private rioOe = [0, 0, 0];
  /** Latched edge events: bit 0 falling, bit 1 rising. */
  private edges = new Uint8Array(54);

  constructor(options: SimGpioOptions = {}) {
    super(0x30000, 54, 'SimRp1Gpio', gpioWritable(options));
    this.resetRegs();
    this.update();
  }

  private resetRegs(): void {
    this.ctrl.fill(0x1f); // FUNCSEL = NULL
    for (let p = 0; p < 54; p++) this.pads[p] = PAD_IE | (1 << 4) | (1 << 1) | (p <= 8 ? PAD_PUE : PAD_PDE);
    this.voltage = [0, 0, 0];
    this.rioOut = [0, 0, 0];
    this.rioOe = [0, 0, 0];
    this.edges.fill(0);
  }

  private locate(pin: number): { bank: number; index: number } {
    if (pin < 28) return { bank: 0, index: pin };
    if (pin < 34) return { bank: 1, index: pin - 28 };
    return { bank: 2, index: pin - 34 };
  }

  protected driven(pin: number): Level | null {
    const { bank, index } = this.locate(pin);
    const c = this.ctrl[pin];
    const fsel = c & 0x1f;
    const pad = this.pads[pin];
    let oe = fsel === RP1_FSEL_RIO ? (this.rioOe[bank] >>> index) & 1 : 0;
    let out = fsel === RP1_FSEL_RIO ? (this.rioOut[bank] >>> index) & 1 : 0;
    const oeover = (c >>> 14) & 3;
    if (oeover === 1) oe ^= 1; else if (oeover === 2) oe = 0; else if (oeover === 3) oe = 1;
    const outover = (c >>> 12) & 3;
    if (outover === 1) out ^= 1; else if (outover === 2) out = 0; else if (outover === 3) out = 1;
    if (!oe || (pad & PAD_OD)) return null;
    return out as Level;
  }

  protected internalPull(pin: number): SimGpioPull {
    const pad = this.pads[pin];
    const up = (pad & PAD_PUE) !== 0;
    const down = (pad & PAD_PDE) !== 0;
    if (up && !down) return 'up';
    if (down && !up) return 'down';
    return 'none'; // both set: bus keeper — holds the last level
  }

  protected onLevel(pin: number, from: Level, to: Level): void {
    if (from === 0 && to === 1) this.edges[pin] |= 2;
    if (from === 1 && to === 0) this.edges[pin] |= 1;
  }

  private input(pin: number): Level {
    return (this.pads[pin] & PAD_IE) ? this.last[pin] : 0;
  }

  private status(pin: number): number {
    const { bank, index } = this.locate(pin);
    const c = this.ctrl[pin];
    const drv = this.driven(pin);
    const rio = (c & 0x1f) === RP1_FSEL_RIO;
    const lvl = this.input(pin);
    let v = 0;
    if (rio && ((this.rioOut[bank] >>> index) & 1)) v |= 1 << 8; // OUTFROMPERI
    if (drv === 1) v |= 1 << 9; // OUTTOPAD
    if (rio && ((this.rioOe[bank] >>> index) & 1)) v |= 1 << 12; // OEFROMPERI
    if (drv !== null) v |= 1 << 13; // OETOPAD
    if (lvl) v |= (1 << 17) | (1 << 18) | (1 << 19); // INFROMPAD, INFILTERED, INTOPERI
    const ev = this.edges[pin];
    v |= (ev & 1) << 20 | ((ev >> 1) & 1) << 21; // EVENT_EDGE_LOW / HIGH
    v |= (lvl ? 0 : 1) << 22 | lvl << 23; // EVENT_LEVEL_LOW / HIGH
    v |= (ev & 1) << 24 | ((ev >> 1) & 1) << 25 | (lvl ? 0 : 1) << 26 | lvl << 27; // filtered copies
    return v >>> 0;
  }

  private decode(offset: number): { region: 'io' | 'rio' | 'pads'; bank: number; reg: number; alias: number } | null {
    const region = offset >>> 16; // 0 io, 1 rio, 2 pads
    const bank = (offset >>> 14) & 3;
    if (bank > 2 || region > 2) return null;
    const alias = (offset >>> 12) & 3;
    const reg = offset & 0xfff;
    return { region: (['io', 'rio', 'pads'] as const)[region], bank, reg, alias };
  }

  protected readReg(offset: number): number {
    const d = this.decode(offset);
    if (!d) return 0;
    const count = RP1_BANKS[d.bank].count;
    if (d.region === 'io') {
      const index = d.reg >>> 3;
      if (index >= count) return 0;
      const pin = rp1Pin(d.bank, index);
      return d.reg & 4 ? this.ctrl[pin] : this.status(pin);
    }
    if (d.region === 'rio') {
      if (d.reg === 0) return this.rioOut[d.bank];
      if (d.reg === 4) return this.rioOe[d.bank];
      if (d.reg === 8) {
        let v = 0;
        for (let i = 0; i < count; i++) v |= this.input(rp1Pin(d.bank, i)) << i;
        return v >>> 0;
      }
      return 0;
    }
    if (d.reg === 0) return this.voltage[d.bank];
    const index = (d.reg - 4) / 4;
    if (index < 0 || index >= count) return 0;
    return this.pads[rp1Pin(d.bank, index)];
  }

  private static applyAlias(old: number, value: number, alias: number): number {
    if (alias === 1) return (old ^ value) >>> 0;
    if (alias === 2) return (old | value) >>> 0;
    if (alias === 3) return (old & ~value) >>> 0;
    return value >>> 0;
  }

  protected writeReg(offset: number, value: number): void {
    const d = this.decode(offset);
    if (!d) return;
    const count = RP1_BANKS[d.bank].count;
    const bankMask = ((1 << count) - 1) >>> 0;
    if (d.region === 'io') {
      const index = d.reg >>> 3;
      if (index >= count || !(d.reg & 4)) return; // STATUS is read-only
      const pin = rp1Pin(d.bank, index);
      const v = SimRp1Gpio.applyAlias(this.ctrl[pin], value, d.alias);
      if (v & CTRL_IRQRESET) this.edges[pin] = 0; // self-clearing
      this.ctrl[pin] = (v & ~CTRL_IRQRESET) >>> 0;
      return;
    }
    if (d.region === 'rio') {
      if (d.reg === 0) this.rioOut[d.bank] = SimRp1Gpio.applyAlias(this.rioOut[d.bank], value, d.alias) & bankMask;
      else if (d.reg === 4) this.rioOe[d.bank] = SimRp1Gpio.applyAlias(this.rioOe[d.bank], value, d.alias) & bankMask;
      return;
    }
    if (d.reg === 0) { this.voltage[d.bank] = SimRp1Gpio.applyAlias(this.voltage[d.bank], value, d.alias) & 1; return; }
    const index = (d.reg - 4) / 4;
    if (index < 0 || index >= count) return;
    const pin = rp1Pin(d.bank, index);
    this.pads[pin] = SimRp1Gpio.applyAlias(this.pads[pin], value, d.alias) & 0xff;
  }

  /** The CTRL register's FUNCSEL of a pin (5 = SYS_RIO, 0x1f = none). */
  functionCode(pin: number): number {
    this.checkPin(pin);
    return this.ctrl[pin] & 0x1f;
  }

  /** Hardware reset. */
  reset(): void {
    this.resetRegs();
    this.update();
  }
}

/** A simulated board: its GPIO block and the description detection would give. */
export type SimRaspberryPiModel = 'pi1' | 'pi2' | 'pi3' | 'pi4' | 'pi5';

export interface SimRaspberryPiBoard {
  gpio: SimBcm2835Gpio | SimBcm2711Gpio | SimRp1Gpio;
  info: RaspberryPiInfo;

}

export interface SimRaspberryPiOptions extends SimGpioOptions {
  /**
   * Set the pins up as a booted Pi OS leaves them (I2C1 on GPIO2/3, the console UART on
   * GPIO14/15). Default true; false leaves every register at its reset value.
   */
  booted?: boolean;
}

/** Builds a simulated board ('pi1' … 'pi5') for `mmapkit gpio --sim` and for tests. */
export function simRaspberryPi(model: SimRaspberryPiModel, options: SimRaspberryPiOptions = {}): SimRaspberryPiBoard {
  if (typeof model !== 'string') throw invalidType('model', "one of 'pi1', 'pi2', 'pi3', 'pi4', 'pi5'", model);
  options = toOptions<SimRaspberryPiOptions>(options, 'options', ['writable', 'booted']);
  const booted = options.booted === undefined ? true : toBool(options.booted, 'options.booted');
  if (options.writable !== undefined) toBool(options.writable, 'options.writable');
  const writable = { writable: true };
  const sources = { soc: 'simulation', peripheralBase: 'simulation' };
  let board: SimRaspberryPiBoard;
  const setFsel = (g: SimBcmGpioBase, pin: number, code: number) => {
    const off = 4 * Math.floor(pin / 10);
    const sh = (pin % 10) * 3;
    g.write32(off, ((g.read32(off) & ~(7 << sh)) | (code << sh)) >>> 0);
  };
  switch (model) {
    case 'pi1': case 'pi2': case 'pi3': {
      const g = new SimBcm2835Gpio(writable);
      const soc = model === 'pi1' ? 'BCM2835' : model === 'pi2' ? 'BCM2836' : 'BCM2837';
      const base = model === 'pi1' ? 0x20000000 : 0x3f000000;
      if (booted) {
        setFsel(g, 2, 4); setFsel(g, 3, 4); // SDA1/SCL1
        const uart = model === 'pi3' ? 2 : 4; // Pi 3: mini UART (ALT5 TXD1/RXD1); else PL011 (ALT0)
        setFsel(g, 14, uart); setFsel(g, 15, uart);
        g.write32(GPSET, 1 << 14);
      }
      board = {
        gpio: g,
        info: {
          model: model === 'pi1' ? 'Raspberry Pi Model B Rev 2 (simulated)' : model === 'pi2' ? 'Raspberry Pi 2 Model B Rev 1.1 (simulated)' : 'Raspberry Pi 3 Model B Rev 1.2 (simulated)',
          soc, chip: 'bcm2835', pinCount: 54, peripheralBase: base, gpioBase: base + 0x200000, gpioLength: 0x1000,
          gpiomem: '/dev/gpiomem', revision: model === 'pi1' ? 0x000e : model === 'pi2' ? 0xa21041 : 0xa02082,
          compatible: model === 'pi1' ? ['raspberrypi,model-b', 'brcm,bcm2835'] : model === 'pi2' ? ['raspberrypi,2-model-b', 'brcm,bcm2836'] : ['raspberrypi,3-model-b', 'brcm,bcm2837'],
          sources,
        },
      };
      break;
    }
    case 'pi4': {
      const g = new SimBcm2711Gpio(writable);
      if (booted) { setFsel(g, 2, 4); setFsel(g, 3, 4); setFsel(g, 14, 4); setFsel(g, 15, 4); g.write32(GPSET, 1 << 14); }
      board = {
        gpio: g,
        info: {
          model: 'Raspberry Pi 4 Model B Rev 1.4 (simulated)', soc: 'BCM2711', chip: 'bcm2711', pinCount: 58,
          peripheralBase: 0xfe000000, gpioBase: 0xfe200000, gpioLength: 0x1000, gpiomem: '/dev/gpiomem',
          revision: 0xd03114, compatible: ['raspberrypi,4-model-b', 'brcm,bcm2711'], sources,
        },
      };
      break;
    }
    case 'pi5': {
      const g = new SimRp1Gpio(writable);
      if (booted) {
        for (const [pin, fsel] of [[2, 3], [3, 3], [14, 4], [15, 4]]) g.write32(pin * 8 + 4, (g.read32(pin * 8 + 4) & ~0x1f) | fsel);
      }
      board = {
        gpio: g,
        info: {
          model: 'Raspberry Pi 5 Model B Rev 1.0 (simulated)', soc: 'BCM2712', chip: 'rp1', pinCount: 54,
          peripheralBase: 0x107c000000, gpioBase: 0x1f000d0000, gpioLength: 0x30000, gpiomem: '/dev/gpiomem0',
          revision: 0xd04170, compatible: ['raspberrypi,5-model-b', 'brcm,bcm2712'], sources,
        },
      };
      break;
    }
    default:
      throw codedError('ERR_INVALID_ARG_VALUE', `unknown simulated board '${String(model)}' (pi1, pi2, pi3, pi4 or pi5)`);
  }
  if (options.writable === false) board.gpio.writable = false;
  board.gpio.reads = 0;
  board.gpio.writes = 0;
  return board;
}
