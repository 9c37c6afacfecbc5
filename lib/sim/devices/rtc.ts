/**
 * The PC's CMOS clock (a Motorola MC146818): an index port and a data port.
 *
 *   port  access  meaning
 *   0x70  W       bits 6:0 select a CMOS register, bit 7 disables NMI; reads all ones
 *   0x71  R/W     the selected register
 *
 *   register  meaning (BCD unless register B bit 2 is set; 24-hour unless bit 1 is clear)
 *   0x00      seconds          0x02 minutes      0x04 hours (12-hour mode: bit 7 = PM)
 *   0x01/03/05 alarm seconds/minutes/hours (stored)
 *   0x06      day of week (1 = Sunday)          0x07 day of month   0x08 month   0x09 year % 100
 *   0x0A      register A: bit 7 UIP (update in progress: the last 244 µs of each second),
 *             bits 6:0 stored (reset 0x26)
 *   0x0B      register B: bit 7 SET (clock frozen while set), bit 2 DM (binary), bit 1 24-hour;
 *             reset 0x02
 *   0x0C      register C: interrupt flags, reads 0
 *   0x0D      register D: bit 7 VRT (valid RAM and time), reads 0x80
 *   0x32      century (BCD)
 *   0x0E..0x7F other CMOS RAM bytes: stored
 *
 * The clock runs on simulated time: it reads `start` plus the scheduler's time, so a test that
 * reads the seconds register twice about 1.1 s of simulated time apart sees it change — the same
 * test that reads the real clock through /dev/port. Writing a time register sets the clock.
 */
import { SimDeviceBase, simAllOnes, simHex, type SimAccessRules, type SimAccessSize } from '../device';
import { SimScheduler } from '../scheduler';
import { invalidType, simCheckAccess, toInstance, toInt, toOptions } from '../../validate';

export const SIM_CMOS_INDEX_PORT = 0x70;
export const SIM_CMOS_DATA_PORT = 0x71;
export const SIM_CMOS_SECONDS = 0x00;
export const SIM_CMOS_MINUTES = 0x02;
export const SIM_CMOS_HOURS = 0x04;
export const SIM_CMOS_WEEKDAY = 0x06;
export const SIM_CMOS_DAY = 0x07;
export const SIM_CMOS_MONTH = 0x08;
export const SIM_CMOS_YEAR = 0x09;
export const SIM_CMOS_REG_A = 0x0a;
export const SIM_CMOS_REG_B = 0x0b;
export const SIM_CMOS_REG_C = 0x0c;
export const SIM_CMOS_REG_D = 0x0d;
export const SIM_CMOS_CENTURY = 0x32;
export const SIM_CMOS_A_UIP = 0x80;
export const SIM_CMOS_B_SET = 0x80;
export const SIM_CMOS_B_BINARY = 0x04;
export const SIM_CMOS_B_24H = 0x02;

const UIP_NS = 244_000;

export interface SimCmosRtcOptions {
  /** Wall-clock time at simulated time 0 (default 2026-01-01T00:00:00Z, so runs are reproducible). */
  start?: Date;
}

const toBcd = (v: number): number => ((Math.floor(v / 10) % 10) << 4) | (v % 10);
const fromBcd = (v: number): number => (v >> 4) * 10 + (v & 0x0f);

export class SimCmosRtc extends SimDeviceBase {
  readonly name = 'cmos';
  /** Ports 0x70 and 0x71. */
  readonly size = 2;
  readonly access: SimAccessRules = { sizes: [1], other: 'refuse' };
  /** Whether NMI is disabled (bit 7 of the last index write). */
  nmiDisabled = false;
  private index = 0;
  private readonly ram = new Uint8Array(128);
  /** Milliseconds since the epoch at simulated time 0. */
  private baseMs: number;
  /** While register B's SET bit is on, the frozen time (ms since the epoch). */
  private frozenMs: number | undefined;

  constructor(
    private readonly scheduler: SimScheduler,
    options: SimCmosRtcOptions = {},
  ) {
    super();
    toInstance(scheduler, 'scheduler', SimScheduler);
    options = toOptions<SimCmosRtcOptions>(options, 'options', ['start']);
    if (options.start !== undefined && !(options.start instanceof Date && Number.isFinite(options.start.getTime()))) {
      throw invalidType('options.start', 'a valid Date', options.start);
    }
    this.baseMs = (options.start ?? new Date(Date.UTC(2026, 0, 1))).getTime();
    this.ram[SIM_CMOS_REG_A] = 0x26;
    this.ram[SIM_CMOS_REG_B] = SIM_CMOS_B_24H;
  }

  protected now(): number {
    return this.scheduler.now;
  }

  registerName(offset: number): string {
    simCheckAccess(offset, 1);
    return offset === 0 ? 'INDEX' : `DATA[${simHex(this.index, 2)}]`;
  }

  /** The clock's current wall time. */
  get time(): Date {
    return new Date(this.currentMs());
  }

  read(offset: number, size: SimAccessSize): number {
    simCheckAccess(offset, size);
    if (offset === 0) return simAllOnes(size) as number; // the index port is write-only
    return this.readRegister(this.index);
  }

  write(offset: number, value: number | bigint, _size: SimAccessSize): void {
    simCheckAccess(offset, _size, value, true);
    const v = Number(value) & 0xff;
    if (offset === 0) {
      this.index = v & 0x7f;
      this.nmiDisabled = (v & 0x80) !== 0;
      return;
    }
    this.writeRegister(this.index, v);
  }

  /** Read CMOS register `reg` (0..0x7f) as software would through 0x71. */
  readRegister(reg: number): number {
    toInt(reg, 'reg', 0, 0x7f);
    const b = this.ram[SIM_CMOS_REG_B];
    const enc = (n: number): number => (b & SIM_CMOS_B_BINARY ? n : toBcd(n));
    const d = new Date(this.currentMs());
    switch (reg) {
      case SIM_CMOS_SECONDS:
        return enc(d.getUTCSeconds());
      case SIM_CMOS_MINUTES:
        return enc(d.getUTCMinutes());
      case SIM_CMOS_HOURS: {
        const h = d.getUTCHours();
        if (b & SIM_CMOS_B_24H) return enc(h);
        const h12 = h % 12 === 0 ? 12 : h % 12;
        return enc(h12) | (h >= 12 ? 0x80 : 0);
      }
      case SIM_CMOS_WEEKDAY:
        return enc(d.getUTCDay() + 1);
      case SIM_CMOS_DAY:
        return enc(d.getUTCDate());
      case SIM_CMOS_MONTH:
        return enc(d.getUTCMonth() + 1);
      case SIM_CMOS_YEAR:
        return enc(d.getUTCFullYear() % 100);
      case SIM_CMOS_CENTURY:
        return enc(Math.floor(d.getUTCFullYear() / 100));
      case SIM_CMOS_REG_A: {
        const intoSecond = this.frozenMs === undefined ? this.nsIntoSecond() : 0;
        return (this.ram[SIM_CMOS_REG_A] & 0x7f) | (intoSecond >= 1e9 - UIP_NS ? SIM_CMOS_A_UIP : 0);
      }
      case SIM_CMOS_REG_C:
        return 0;
      case SIM_CMOS_REG_D:
        return 0x80;
      default:
        return this.ram[reg & 0x7f];
    }
  }

  /** Write CMOS register `reg` as software would through 0x71. */
  writeRegister(reg: number, v: number): void {
    toInt(reg, 'reg', 0, 0x7f);
    toInt(v, 'v', -128, 255);
    const b = this.ram[SIM_CMOS_REG_B];
    const dec = (n: number): number => (b & SIM_CMOS_B_BINARY ? n : fromBcd(n));
    const d = new Date(this.currentMs());
    const set = (f: (x: Date) => void): void => {
      f(d);
      this.setMs(d.getTime());
    };
    switch (reg) {
      case SIM_CMOS_SECONDS:
        set((x) => x.setUTCSeconds(dec(v) % 60));
        break;
      case SIM_CMOS_MINUTES:
        set((x) => x.setUTCMinutes(dec(v) % 60));
        break;
      case SIM_CMOS_HOURS: {
        let h = dec(v & 0x7f);
        if (!(b & SIM_CMOS_B_24H)) h = (h % 12) + (v & 0x80 ? 12 : 0);
        set((x) => x.setUTCHours(h % 24));
        break;
      }
      case SIM_CMOS_DAY:
        set((x) => x.setUTCDate(dec(v)));
        break;
      case SIM_CMOS_MONTH:
        set((x) => x.setUTCMonth(dec(v) - 1));
        break;
      case SIM_CMOS_YEAR:
        set((x) => x.setUTCFullYear(Math.floor(x.getUTCFullYear() / 100) * 100 + dec(v)));
        break;
      case SIM_CMOS_CENTURY:
        set((x) => x.setUTCFullYear(dec(v) * 100 + (x.getUTCFullYear() % 100)));
        break;
      case SIM_CMOS_WEEKDAY:
        break; // derived from the date
      case SIM_CMOS_REG_B:
        if (v & SIM_CMOS_B_SET && this.frozenMs === undefined) this.frozenMs = this.currentMs();
        if (!(v & SIM_CMOS_B_SET) && this.frozenMs !== undefined) {
          const frozen = this.frozenMs;
          this.frozenMs = undefined;
          this.setMs(frozen);
        }
        this.ram[SIM_CMOS_REG_B] = v;
        break;
      case SIM_CMOS_REG_A:
        this.ram[SIM_CMOS_REG_A] = v & 0x7f;
        break;
      case SIM_CMOS_REG_C:
      case SIM_CMOS_REG_D:
        this.guestError(`write of ${simHex(v, 2)} to read-only CMOS register ${simHex(reg, 2)} ignored`);
        break;
      default:
        this.ram[reg & 0x7f] = v;
    }
  }

  private currentMs(): number {
    return this.frozenMs ?? this.baseMs + Math.floor(this.scheduler.now / 1e6);
  }

  private nsIntoSecond(): number {
    const ns = (this.baseMs % 1000) * 1e6 + this.scheduler.now;
    return ns % 1e9;
  }

  private setMs(ms: number): void {
    if (this.frozenMs !== undefined) this.frozenMs = ms;
    else this.baseMs = ms - Math.floor(this.scheduler.now / 1e6);
  }
}
