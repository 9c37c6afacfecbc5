/**
 * Register maps of the Raspberry Pi GPIO blocks: names, offsets and field layouts, shared by the
 * register-level drivers (lib/gpio/chips.ts) and the simulated chips (lib/sim/devices/*-gpio.ts).
 * Only the map lives here. What the registers do is written twice on purpose — once in the driver,
 * once in the model — so that the model checks the driver rather than repeating it.
 *
 * BCM2835/6/7 and BCM2711 (one 4 KiB block, 32-bit registers):
 *
 *   offset      name                        meaning
 *   0x00–0x14   GPFSEL0–5                   function select, 10 pins a register, 3 bits a pin
 *   0x1c, 0x20  GPSET0–1                    write 1 to set the output latch (reads 0)
 *   0x28, 0x2c  GPCLR0–1                    write 1 to clear the output latch (reads 0)
 *   0x34, 0x38  GPLEV0–1                    pin levels (read-only)
 *   0x40, 0x44  GPEDS0–1                    event detect status (write 1 to clear)
 *   0x4c …0x8c  GPREN/GPFEN/GPHEN/GPLEN/GPAREN/GPAFEN 0–1   edge and level detect enables
 *   0x94        GPPUD                       BCM2835 only: pull control (0 off, 1 down, 2 up)
 *   0x98, 0x9c  GPPUDCLK0–1                 BCM2835 only: pull clock (latches GPPUD on 0→1)
 *   0xe4–0xf0   GPIO_PUP_PDN_CNTRL_REG0–3   BCM2711 only: 2 bits a pin (0 none, 1 up, 2 down)
 *   other       reserved                    read as ASCII "gpio" (0x6770696f)
 *
 * RP1 (Pi 5), as /dev/gpiomem0 maps it (0x30000 bytes): io_bank0–2 at 0x0000/0x4000/0x8000
 * (STATUS at 8n, read-only; CTRL at 8n+4: FUNCSEL 4:0, OUTOVER 13:12, OEOVER 15:14, IRQRESET 28),
 * sys_rio0–2 at 0x10000/0x14000/0x18000 (OUT +0, OE +4, SYNC_IN +8), pads0–2 at
 * 0x20000/0x24000/0x28000 (VOLTAGE_SELECT +0; per pin at 4+4n: OD 7, IE 6, DRIVE 5:4, PUE 3,
 * PDE 2, SCHMITT 1, SLEWFAST 0). Every register has the atomic aliases +0x1000 XOR, +0x2000 set,
 * +0x3000 clear.
 */

// ---------------------------------------------------------------- BCM2835 / BCM2711

/** Size of the BCM GPIO block's register window. */
export const BCM_GPIO_SIZE = 0x1000;
export const BCM_GPFSEL0 = 0x00;
export const BCM_GPSET0 = 0x1c;
export const BCM_GPCLR0 = 0x28;
export const BCM_GPLEV0 = 0x34;
export const BCM_GPEDS0 = 0x40;
export const BCM_GPREN0 = 0x4c;
export const BCM_GPFEN0 = 0x58;
export const BCM_GPHEN0 = 0x64;
export const BCM_GPLEN0 = 0x70;
export const BCM_GPAREN0 = 0x7c;
export const BCM_GPAFEN0 = 0x88;
export const BCM_GPPUD = 0x94;
export const BCM_GPPUDCLK0 = 0x98;
export const BCM_PUP_PDN0 = 0xe4;

/** GPFSEL layout: 10 pins a register, 3 bits a pin. */
export const BCM_FSEL_PINS = 10;
export const BCM_FSEL_BITS = 3;
export const BCM_FSEL_MASK = 7;
/** FSEL codes: 000 input, 001 output, 100 ALT0 … 111 ALT3, 011 ALT4, 010 ALT5. */
export const BCM_FSEL_INPUT = 0;
export const BCM_FSEL_OUTPUT = 1;

/** GPPUD control values. */
export const BCM_GPPUD_OFF = 0;
export const BCM_GPPUD_DOWN = 1;
export const BCM_GPPUD_UP = 2;

/** GPIO_PUP_PDN_CNTRL layout: 16 pins a register, 2 bits a pin. */
export const BCM_PUP_PDN_PINS = 16;
export const BCM_PUP_NONE = 0;
export const BCM_PUP_UP = 1;
export const BCM_PUP_DOWN = 2;

/** What a reserved register of the BCM blocks reads as: ASCII "gpio" (raspi-gpio tells a BCM2711 by it). */
export const BCM_RESERVED_VALUE = 0x6770696f;

/** The register offset and bit shift of a pin's FSEL field. */
export function bcmFselField(pin: number): { offset: number; shift: number } {
  return { offset: BCM_GPFSEL0 + 4 * Math.floor(pin / BCM_FSEL_PINS), shift: (pin % BCM_FSEL_PINS) * BCM_FSEL_BITS };
}

/** Registers with one copy for each 32-pin bank (bank 0 at the offset, bank 1 at offset + 4). */
export const BCM_BANKED_REGISTERS: ReadonlyArray<readonly [number, string]> = [
  [BCM_GPSET0, 'GPSET'],
  [BCM_GPCLR0, 'GPCLR'],
  [BCM_GPLEV0, 'GPLEV'],
  [BCM_GPEDS0, 'GPEDS'],
  [BCM_GPREN0, 'GPREN'],
  [BCM_GPFEN0, 'GPFEN'],
  [BCM_GPHEN0, 'GPHEN'],
  [BCM_GPLEN0, 'GPLEN'],
  [BCM_GPAREN0, 'GPAREN'],
  [BCM_GPAFEN0, 'GPAFEN'],
];

/** The datasheet name of the 32-bit register at `offset` of a BCM block, or undefined (reserved). */
export function bcmGpioRegisterName(offset: number, kind: 'bcm2835' | 'bcm2711'): string | undefined {
  const o = offset & ~3;
  if (o < 0x18) return `GPFSEL${o / 4}`;
  for (const [base, name] of BCM_BANKED_REGISTERS) if (o === base || o === base + 4) return `${name}${(o - base) / 4}`;
  if (kind === 'bcm2835') {
    if (o === BCM_GPPUD) return 'GPPUD';
    if (o === BCM_GPPUDCLK0 || o === BCM_GPPUDCLK0 + 4) return `GPPUDCLK${(o - BCM_GPPUDCLK0) / 4}`;
  } else if (o >= BCM_PUP_PDN0 && o <= BCM_PUP_PDN0 + 12) {
    return `GPIO_PUP_PDN_CNTRL_REG${(o - BCM_PUP_PDN0) / 4}`;
  }
  return undefined;
}

// ---------------------------------------------------------------- RP1

/** Size of RP1's GPIO window (/dev/gpiomem0). */
export const RP1_GPIO_SIZE = 0x30000;
/** The three banks: GPIO 0–27, 28–33, 34–53. */
export const RP1_BANKS: ReadonlyArray<{ readonly first: number; readonly count: number }> = [
  { first: 0, count: 28 },
  { first: 28, count: 6 },
  { first: 34, count: 20 },
];
export const RP1_IO = 0x00000;
export const RP1_RIO = 0x10000;
export const RP1_PADS = 0x20000;
export const RP1_BANK_STEP = 0x4000;
/** Atomic aliases, added to a register's offset. */
export const RP1_XOR = 0x1000;
export const RP1_SET = 0x2000;
export const RP1_CLR = 0x3000;
/** sys_rio registers. */
export const RP1_RIO_OUT = 0x0;
export const RP1_RIO_OE = 0x4;
export const RP1_RIO_SYNC_IN = 0x8;
/** io_bank CTRL fields. */
export const RP1_CTRL_FUNCSEL_MASK = 0x1f;
export const RP1_CTRL_OUTOVER_SHIFT = 12;
export const RP1_CTRL_OEOVER_SHIFT = 14;
export const RP1_CTRL_IRQRESET = 1 << 28;
/** FUNCSEL values: 5 is SYS_RIO (plain GPIO), 0x1f none. */
export const RP1_FSEL_RIO = 5;
export const RP1_FSEL_NONE = 0x1f;
/** Pad fields. */
export const RP1_PAD_OD = 1 << 7;
export const RP1_PAD_IE = 1 << 6;
export const RP1_PAD_DRIVE_SHIFT = 4;
export const RP1_PAD_PUE = 1 << 3;
export const RP1_PAD_PDE = 1 << 2;
export const RP1_PAD_SCHMITT = 1 << 1;
export const RP1_PAD_SLEWFAST = 1 << 0;
/** io_bank STATUS bits. */
export const RP1_STATUS_OUTFROMPERI = 1 << 8;
export const RP1_STATUS_OUTTOPAD = 1 << 9;
export const RP1_STATUS_OEFROMPERI = 1 << 12;
export const RP1_STATUS_OETOPAD = 1 << 13;
export const RP1_STATUS_INFROMPAD = 1 << 17;
export const RP1_STATUS_INFILTERED = 1 << 18;
export const RP1_STATUS_INTOPERI = 1 << 19;
export const RP1_STATUS_EVENT_EDGE_LOW = 1 << 20;
export const RP1_STATUS_EVENT_EDGE_HIGH = 1 << 21;
export const RP1_STATUS_EVENT_LEVEL_LOW = 1 << 22;
export const RP1_STATUS_EVENT_LEVEL_HIGH = 1 << 23;
/** The filtered copies of the four event bits sit 4 bits higher (24–27). */
export const RP1_STATUS_FILTERED_SHIFT = 4;

/** Bank and index of an RP1 GPIO: 0–27 bank 0, 28–33 bank 1, 34–53 bank 2. */
export function rp1BankOf(pin: number): { bank: number; index: number } {
  if (pin < 28) return { bank: 0, index: pin };
  if (pin < 34) return { bank: 1, index: pin - 28 };
  return { bank: 2, index: pin - 34 };
}

/** Offsets of a pin's registers (without alias) and its bit in the bank's sys_rio registers. */
export function rp1PinRegisters(pin: number): { status: number; ctrl: number; rio: number; pad: number; bit: number; index: number } {
  const { bank, index } = rp1BankOf(pin);
  const b = bank * RP1_BANK_STEP;
  return {
    status: RP1_IO + b + index * 8,
    ctrl: RP1_IO + b + index * 8 + 4,
    rio: RP1_RIO + b,
    pad: RP1_PADS + b + 4 + index * 4,
    bit: (1 << index) >>> 0,
    index,
  };
}

/** An offset in the RP1 window taken apart, or null outside the three regions and banks. */
export function rp1Decode(offset: number): { region: 'io' | 'rio' | 'pads'; bank: number; reg: number; alias: number } | null {
  const region = offset >>> 16; // 0 io, 1 rio, 2 pads
  const bank = (offset >>> 14) & 3;
  if (bank > 2 || region > 2) return null;
  return { region: (['io', 'rio', 'pads'] as const)[region], bank, reg: offset & 0xfff, alias: (offset >>> 12) & 3 };
}

/** The name of the 32-bit register at `offset` of RP1's window ('io_bank0.GPIO3_CTRL', 'sys_rio1.OUT.SET'), or undefined. */
export function rp1GpioRegisterName(offset: number): string | undefined {
  const d = rp1Decode(offset & ~3);
  if (d === null) return undefined;
  const count = RP1_BANKS[d.bank].count;
  const alias = ['', '.XOR', '.SET', '.CLR'][d.alias];
  let reg: string | undefined;
  if (d.region === 'io') {
    const index = d.reg >>> 3;
    if (index < count) reg = `io_bank${d.bank}.GPIO${RP1_BANKS[d.bank].first + index}_${d.reg & 4 ? 'CTRL' : 'STATUS'}`;
  } else if (d.region === 'rio') {
    const name = ({ [RP1_RIO_OUT]: 'OUT', [RP1_RIO_OE]: 'OE', [RP1_RIO_SYNC_IN]: 'SYNC_IN' } as Record<number, string>)[d.reg];
    if (name !== undefined) reg = `sys_rio${d.bank}.${name}`;
  } else if (d.reg === 0) {
    reg = `pads_bank${d.bank}.VOLTAGE_SELECT`;
  } else {
    const index = (d.reg - 4) / 4;
    if (index >= 0 && index < count) reg = `pads_bank${d.bank}.GPIO${RP1_BANKS[d.bank].first + index}`;
  }
  return reg === undefined ? undefined : reg + alias;
}
