/**
 * The PC keyboard controller (an Intel 8042) with a keyboard behind it: two ports.
 *
 *   port  access  meaning
 *   0x60  R       data: pops the output buffer (the last byte again when it is empty)
 *         W       data: to the keyboard, or the parameter of a pending controller command
 *   0x64  R       status: bit 0 OBF (output buffer full), bit 1 IBF (always 0: commands complete
 *                 at once), bit 2 SYS (system flag, set), bit 3 A2 (last write went to 0x64),
 *                 bit 4 unlocked (1), bit 5 AUX (the byte waiting is from the mouse port)
 *         W       controller command:
 *                 0x20 read configuration byte       0x60 write configuration byte (next 0x60 write)
 *                 0xA7 / 0xA8 disable / enable mouse  0xA9 test mouse port (→ 0x00)
 *                 0xAA self test (→ 0x55)             0xAB test keyboard port (→ 0x00)
 *                 0xAD / 0xAE disable / enable keyboard
 *                 0xD0 read output port               0xD1 write output port (next 0x60 write)
 *                 0xD2 / 0xD3 next 0x60 write appears as keyboard / mouse input
 *                 0xD4 next 0x60 write goes to the mouse (it answers 0xFA)
 *                 0xF0..0xFF pulse output lines; bit 0 clear pulses the CPU reset line
 *   Keyboard commands (0x60 writes): 0xFF reset (→ FA AA), 0xF2 identify (→ FA AB 83), 0xEE echo
 *   (→ EE), 0xF4 / 0xF5 enable / disable scanning (→ FA), 0xED LEDs, 0xF0 scancode set, 0xF3
 *   typematic (→ FA, then FA for the parameter), others → FE (resend).
 *
 * Configuration byte (reset 0x47): bit 0 keyboard interrupt (IRQ1), bit 1 mouse interrupt (IRQ12),
 * bit 2 system flag, bit 4 keyboard disabled, bit 5 mouse disabled, bit 6 scancode translation.
 * Test side: `pressKey` / `typeText` put set-1 scancodes into the output buffer.
 */
import { SimDeviceBase, SimIrqLine, simHex, type SimAccessRules, type SimAccessSize } from '../device';
import { SimScheduler } from '../scheduler';
import { invalidType, SIM_MAX_FEED, simCheckAccess, toInstance, toInt, toStr } from '../../validate';

export const SIM_KBC_DATA_PORT = 0x60;
export const SIM_KBC_COMMAND_PORT = 0x64;
export const SIM_KBC_STATUS_OBF = 0x01;
export const SIM_KBC_STATUS_IBF = 0x02;
export const SIM_KBC_STATUS_SYS = 0x04;
export const SIM_KBC_STATUS_A2 = 0x08;
export const SIM_KBC_STATUS_UNLOCKED = 0x10;
export const SIM_KBC_STATUS_AUX = 0x20;

const CFG_KBD_IRQ = 0x01;
const CFG_AUX_IRQ = 0x02;
const CFG_KBD_DISABLED = 0x10;
const CFG_AUX_DISABLED = 0x20;

/** Scancode set 1 make codes for the keys `typeText` knows; the break code is make | 0x80. */
export const SIM_SCANCODES_SET1: Readonly<Record<string, number>> = (() => {
  const m: Record<string, number> = { ' ': 0x39, '\n': 0x1c };
  '1234567890'.split('').forEach((c, i) => {
    m[c] = 0x02 + i;
  });
  'qwertyuiop'.split('').forEach((c, i) => {
    m[c] = 0x10 + i;
  });
  'asdfghjkl'.split('').forEach((c, i) => {
    m[c] = 0x1e + i;
  });
  'zxcvbnm'.split('').forEach((c, i) => {
    m[c] = 0x2c + i;
  });
  return m;
})();

interface Out {
  byte: number;
  aux: boolean;
}

export class SimKeyboardController extends SimDeviceBase {
  readonly name = 'kbc';
  /** Ports 0x60..0x64; 0x61..0x63 are not the controller's and read all ones. */
  readonly size = 5;
  readonly access: SimAccessRules = { sizes: [1], other: 'refuse' };
  readonly irq1 = new SimIrqLine('kbc.irq1');
  readonly irq12 = new SimIrqLine('kbc.irq12');
  /** Times the CPU reset line was pulsed (command 0xFE). */
  resetPulses = 0;
  private config = 0x47;
  private outport = 0x03;
  private status = SIM_KBC_STATUS_SYS | SIM_KBC_STATUS_UNLOCKED;
  private out: Out[] = [];
  private lastByte = 0;
  private pendingCommand: number | undefined;
  private pendingKeyboard: number | undefined;
  private scanning = true;
  private leds = 0;

  constructor(private readonly scheduler: SimScheduler) {
    super();
    toInstance(scheduler, 'scheduler', SimScheduler);
  }

  protected now(): number {
    return this.scheduler.now;
  }

  registerName(offset: number): string | undefined {
    simCheckAccess(offset, 1);
    return offset === 0 ? 'DATA' : offset === 4 ? 'STATUS/COMMAND' : undefined;
  }

  /** The keyboard LEDs last set (bit 0 scroll, 1 num, 2 caps lock). */
  get ledState(): number {
    return this.leds;
  }

  read(offset: number, _size: SimAccessSize): number {
    simCheckAccess(offset, _size);
    if (offset === 0) {
      const next = this.out.shift();
      if (next !== undefined) this.lastByte = next.byte;
      this.update();
      return this.lastByte;
    }
    if (offset === 4) return this.statusByte();
    return 0xff;
  }

  write(offset: number, value: number | bigint, _size: SimAccessSize): void {
    simCheckAccess(offset, _size, value, true);
    const v = Number(value) & 0xff;
    if (offset === 4) {
      this.status |= SIM_KBC_STATUS_A2;
      this.command(v);
    } else if (offset === 0) {
      this.status &= ~SIM_KBC_STATUS_A2;
      this.data(v);
    } else {
      this.guestError(`write of ${simHex(v, 2)} to port ${simHex(0x60 + offset, 4)}, which is not the keyboard controller's`);
    }
    this.update();
  }

  /** Test side: a key event as scancodes (set 1) from the keyboard. Ignored while it is disabled. */
  pressKey(scancodes: number | readonly number[]): void {
    if (typeof scancodes === 'number') toInt(scancodes, 'scancodes', -128, 255);
    else if (!Array.isArray(scancodes)) throw invalidType('scancodes', 'a number or an array of numbers', scancodes);
    else if (scancodes.length > SIM_MAX_FEED) throw invalidType('scancodes', `an array of at most ${SIM_MAX_FEED} numbers`, scancodes);
    else scancodes.forEach((b, i) => toInt(b, `scancodes[${i}]`, -128, 255));
    if (this.config & CFG_KBD_DISABLED || !this.scanning) return;
    for (const b of typeof scancodes === 'number' ? [scancodes] : scancodes) this.out.push({ byte: b & 0xff, aux: false });
    this.update();
  }

  /** Test side: type text (letters, digits, space, newline): make and break code per key. */
  typeText(text: string): void {
    toStr(text, 'text');
    for (const ch of text.toLowerCase()) {
      const make = SIM_SCANCODES_SET1[ch];
      if (make !== undefined) this.pressKey([make, make | 0x80]);
    }
  }

  private statusByte(): number {
    const head = this.out[0];
    return (
      (this.status & ~(SIM_KBC_STATUS_OBF | SIM_KBC_STATUS_AUX | SIM_KBC_STATUS_IBF)) | (head ? SIM_KBC_STATUS_OBF : 0) | (head?.aux ? SIM_KBC_STATUS_AUX : 0)
    );
  }

  private reply(...bytes: number[]): void {
    for (const b of bytes) this.out.push({ byte: b, aux: false });
  }

  private command(c: number): void {
    this.pendingCommand = undefined;
    switch (c) {
      case 0x20:
        this.reply(this.config);
        break;
      case 0x60:
      case 0xd1:
      case 0xd2:
      case 0xd3:
      case 0xd4:
        this.pendingCommand = c;
        break;
      case 0xa7:
        this.config |= CFG_AUX_DISABLED;
        break;
      case 0xa8:
        this.config &= ~CFG_AUX_DISABLED;
        break;
      case 0xa9:
        this.reply(0x00);
        break;
      case 0xaa:
        this.status |= SIM_KBC_STATUS_SYS;
        this.reply(0x55);
        break;
      case 0xab:
        this.reply(0x00);
        break;
      case 0xad:
        this.config |= CFG_KBD_DISABLED;
        break;
      case 0xae:
        this.config &= ~CFG_KBD_DISABLED;
        break;
      case 0xd0:
        this.reply(this.outport);
        break;
      default:
        if (c >= 0xf0) {
          if (!(c & 1)) this.resetPulses++;
        } else {
          this.guestError(`unknown controller command ${simHex(c, 2)}`);
        }
    }
  }

  private data(v: number): void {
    const cmd = this.pendingCommand;
    this.pendingCommand = undefined;
    switch (cmd) {
      case 0x60:
        this.config = v;
        this.status = (this.status & ~SIM_KBC_STATUS_SYS) | (v & 0x04 ? SIM_KBC_STATUS_SYS : 0);
        return;
      case 0xd1:
        this.outport = v;
        if (!(v & 1)) this.resetPulses++;
        return;
      case 0xd2:
        this.out.push({ byte: v, aux: false });
        return;
      case 0xd3:
        this.out.push({ byte: v, aux: true });
        return;
      case 0xd4:
        this.out.push({ byte: 0xfa, aux: true });
        return;
      default:
        this.keyboard(v);
    }
  }

  private keyboard(v: number): void {
    const param = this.pendingKeyboard;
    if (param !== undefined) {
      this.pendingKeyboard = undefined;
      if (param === 0xed) this.leds = v & 7;
      this.reply(0xfa);
      return;
    }
    switch (v) {
      case 0xff:
        this.scanning = true;
        this.out = [];
        this.reply(0xfa, 0xaa);
        break;
      case 0xf2:
        this.reply(0xfa, 0xab, 0x83);
        break;
      case 0xee:
        this.reply(0xee);
        break;
      case 0xf4:
        this.scanning = true;
        this.reply(0xfa);
        break;
      case 0xf5:
        this.scanning = false;
        this.reply(0xfa);
        break;
      case 0xed:
      case 0xf0:
      case 0xf3:
        this.pendingKeyboard = v;
        this.reply(0xfa);
        break;
      default:
        this.reply(0xfe);
    }
  }

  private update(): void {
    const head = this.out[0];
    this.irq1.set(head !== undefined && !head.aux && (this.config & CFG_KBD_IRQ) !== 0);
    this.irq12.set(head !== undefined && head.aux && (this.config & CFG_AUX_IRQ) !== 0);
  }
}
