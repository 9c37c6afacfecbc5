/**
 * The simulated BCM2835 GPIO block (also BCM2836 and BCM2837: Pi 1, 2, 3 and Zero): 54 pins, the
 * registers of lib/gpio/regmap.ts. Pulls are set by the clocked GPPUD / GPPUDCLK sequence: the
 * pull in GPPUD is latched into each pin whose GPPUDCLK bit goes from 0 to 1. GPPUDCLK reads as 0;
 * pulls cannot be read back. Reserved registers read as "gpio" (logged as guest errors).
 */
import { BCM_GPPUD, BCM_GPPUD_DOWN, BCM_GPPUD_UP, BCM_GPPUDCLK0 } from '../../gpio/regmap';
import { SimBcmGpioBlock } from './bcm-gpio';
import type { SimGpioOptions, SimGpioPull } from './gpio-base';

export class SimBcm2835Gpio extends SimBcmGpioBlock {
  private gppud = 0;
  private clk = [0, 0];

  constructor(options: SimGpioOptions = {}) {
    super(54, 'SimBcm2835Gpio', 'bcm2835', options);
  }

  protected readOther(offset: number): number {
    if (offset === BCM_GPPUD) return this.gppud;
    if (offset === BCM_GPPUDCLK0 || offset === BCM_GPPUDCLK0 + 4) return 0;
    return this.readReserved(offset);
  }

  protected writeOther(offset: number, value: number): void {
    if (offset === BCM_GPPUD) {
      this.gppud = value & 3;
      return;
    }
    const b = this.bankReg(offset, BCM_GPPUDCLK0);
    if (b < 0) {
      this.writeReserved(offset, value);
      return;
    }
    const v = (value & this.mask(b)) >>> 0;
    const rising = (v & ~this.clk[b]) >>> 0;
    this.clk[b] = v;
    if (this.gppud === 3) return; // reserved control value: no change
    const pull: SimGpioPull = this.gppud === BCM_GPPUD_UP ? 'up' : this.gppud === BCM_GPPUD_DOWN ? 'down' : 'none';
    for (let i = 0; i < 32; i++) if (rising & (1 << i)) this.pulls[32 * b + i] = pull;
  }

  protected resetOther(): void {
    this.gppud = 0;
    this.clk = [0, 0];
  }
}
