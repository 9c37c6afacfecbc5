/**
 * The simulated Raspberry Pi GPIO chips and boards, gathered in one place. Each chip is a device in
 * lib/sim/devices (bcm2835-gpio.ts, bcm2711-gpio.ts, rp1-gpio.ts, common parts in gpio-base.ts);
 * the boards are lib/sim/devices/raspberry-pi.ts.
 */
export * from '../devices/gpio-base';
export { SimBcmGpioBlock, SIM_BCM_RESERVED_VALUE } from '../devices/bcm-gpio';
export * from '../devices/bcm2835-gpio';
export * from '../devices/bcm2711-gpio';
export * from '../devices/rp1-gpio';
export * from '../devices/raspberry-pi';
