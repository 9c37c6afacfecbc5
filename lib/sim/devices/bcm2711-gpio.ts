/**
 * The simulated BCM2711 GPIO block (Pi 4, 400, CM4): 58 pins, the registers of
 * lib/gpio/regmap.ts. Pulls in GPIO_PUP_PDN_CNTRL_REG0–3 (2 bits a pin: 00 none, 01 up, 10 down),
 * readable. GPPUD/GPPUDCLK do not exist (reserved: read as "gpio", logged as guest errors).
 */
import { BCM_PUP_DOWN, BCM_PUP_PDN0, BCM_PUP_PDN_PINS, BCM_PUP_UP } from '../../gpio/regmap';
import { SimBcmGpioBlock } from './bcm-gpio';
import type { SimGpioOptions } from './gpio-base';

export class SimBcm2711Gpio extends SimBcmGpioBlock {
  constructor(options: SimGpioOptions = {}) {
    super(58, 'SimBcm2711Gpio', 'bcm2711', options);
  }

  protected readOther(offset: number): number {
    if (offset >= BCM_PUP_PDN0 && offset <= BCM_PUP_PDN0 + 12) {
      const first = ((offset - BCM_PUP_PDN0) / 4) * BCM_PUP_PDN_PINS;
      let v = 0;
      for (let i = 0; i < BCM_PUP_PDN_PINS && first + i < this.pinCount; i++) {
        const p = this.pulls[first + i];
        v |= (p === 'up' ? BCM_PUP_UP : p === 'down' ? BCM_PUP_DOWN : 0) << (2 * i);
      }
      return v >>> 0;
    }
    return this.readReserved(offset);
  }

  protected writeOther(offset: number, value: number): void {
    if (offset < BCM_PUP_PDN0 || offset > BCM_PUP_PDN0 + 12) {
      this.writeReserved(offset, value);
      return;
    }
    const first = ((offset - BCM_PUP_PDN0) / 4) * BCM_PUP_PDN_PINS;
    for (let i = 0; i < BCM_PUP_PDN_PINS && first + i < this.pinCount; i++) {
      const code = (value >>> (2 * i)) & 3;
      if (code === 3) continue; // reserved: keeps the pull
      this.pulls[first + i] = code === BCM_PUP_UP ? 'up' : code === BCM_PUP_DOWN ? 'down' : 'none';
    }
  }

  protected resetOther(): void {
    /* pulls are reset by the base */
  }
}
