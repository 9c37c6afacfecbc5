/**
 * The POST diagnostic port, I/O port 0x80. Firmware writes progress codes here (a POST card on
 * the bus shows them); operating systems also write it just to wait about a microsecond.
 *
 *   port  access  meaning
 *   0x80  W       a progress code (bits 7:0); every write is recorded in `codes`
 *         R       all ones (nothing drives the bus on a read, as on QEMU's PC)
 */
import { SimDeviceBase, simAllOnes, type SimAccessRules, type SimAccessSize } from '../device';
import { SimScheduler } from '../scheduler';
import { simCheckAccess, toInstance } from '../../validate';

export const SIM_POST_PORT = 0x80;

/** A code written to the POST port and the simulated time it was written. */
export interface SimPostCode {
  readonly code: number;
  readonly time: number;
}

export class SimPostPort extends SimDeviceBase {
  readonly name = 'post';
  readonly size = 1;
  readonly access: SimAccessRules = { sizes: [1], other: 'refuse' };
  /** Every code written, oldest first (at most 10000 kept). */
  readonly codes: SimPostCode[] = [];

  constructor(private readonly scheduler: SimScheduler) {
    super();
    toInstance(scheduler, 'scheduler', SimScheduler);
  }

  protected now(): number {
    return this.scheduler.now;
  }

  registerName(): string {
    return 'POST';
  }

  /** The last code written, or undefined. */
  get last(): number | undefined {
    return this.codes.at(-1)?.code;
  }

  read(_offset: number, size: SimAccessSize): number {
    simCheckAccess(_offset, size);
    return simAllOnes(size) as number;
  }

  write(_offset: number, value: number | bigint, _size: SimAccessSize): void {
    simCheckAccess(_offset, _size, value, true);
    if (this.codes.length >= 10000) this.codes.shift();
    this.codes.push({ code: Number(value) & 0xff, time: this.scheduler.now });
  }
}
