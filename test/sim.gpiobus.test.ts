import { describe, expect, it } from 'vitest';
import { SimBcm2711Gpio, SimBcm2835Gpio, SimBus, simWindow } from '../lib/sim';
import { gpioChipDriver } from '../lib/gpio/chips';

// The simulated GPIO blocks are RegisterIO objects; here they sit on the physical bus at the
// addresses of the real SoCs and the shared chip driver reaches them through a bus window, as it
// reaches the real block through /dev/mem.
describe('Raspberry Pi GPIO blocks on the simulated bus', () => {
  it('BCM2837 at 0x3f200000: the shared driver sets GPIO4 with a store to 0x3f20001c', () => {
    const bus = new SimBus();
    const gpio = new SimBcm2835Gpio();
    bus.mapRegisterIO(0x3f20_0000, gpio, { name: 'gpio' });
    const drv = gpioChipDriver(simWindow(bus, 0x3f20_0000, 0x1000), 'bcm2835');
    drv.setFunction(4, 'output');
    expect(drv.getFunction(4).fn).toBe('output');
    const trace = bus.startTrace();
    drv.setOutput(4, 1);
    bus.stopTrace();
    const store = trace.records.find((r) => r.kind === 'write');
    expect(store?.address).toBe(0x3f20_001c);
    expect(store?.lanes).toEqual([0x10, 0, 0, 0]);
    expect(gpio.output(4)).toBe(1);
    expect(drv.level(4)).toBe(1);
    drv.setOutput(4, 0);
    expect(gpio.output(4)).toBe(0);
  });

  it('inputs driven from outside read through the bus; the clocked pull sequence works over it', () => {
    const bus = new SimBus();
    const gpio = new SimBcm2835Gpio();
    bus.mapRegisterIO(0x3f20_0000, gpio);
    const drv = gpioChipDriver(simWindow(bus, 0x3f20_0000, 0x1000), 'bcm2835');
    gpio.drive(17, 1);
    expect(drv.level(17)).toBe(1);
    gpio.drive(17, 0);
    expect(drv.level(17)).toBe(0);
    gpio.drive(17, null);
    drv.setPull(22, 'up');
    expect(gpio.pull(22)).toBe('up');
    expect(drv.level(22)).toBe(1);
    drv.setPull(22, 'down');
    expect(drv.level(22)).toBe(0);
  });

  it('BCM2711 at 0xfe200000: pulls are readable registers', () => {
    const bus = new SimBus();
    const gpio = new SimBcm2711Gpio();
    bus.mapRegisterIO(0xfe20_0000, gpio);
    const drv = gpioChipDriver(simWindow(bus, 0xfe20_0000, 0x1000), 'bcm2711');
    drv.setPull(5, 'down');
    expect(drv.getPull(5)).toBe('down');
    expect(gpio.pull(5)).toBe('down');
  });

  it('the 32-bit blocks refuse narrower accesses on the bus', () => {
    const bus = new SimBus();
    bus.mapRegisterIO(0x3f20_0000, new SimBcm2835Gpio());
    expect(() => bus.read8(0x3f20_0034)).toThrow(/Bus error/);
  });
});
