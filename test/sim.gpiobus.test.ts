import { describe, expect, it } from 'vitest';
import { SimBcm2711Gpio, SimBcm2835Gpio, SimBus, SimRp1Gpio, SimScheduler, simRaspberryPi, simWindow } from '../lib/sim';
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

  it('mapped as devices: register names in the trace, guest errors logged, never thrown', () => {
    const bus = new SimBus();
    const gpio = new SimBcm2835Gpio({ scheduler: bus.scheduler });
    const rp1 = new SimRp1Gpio();
    bus.map(0x3f20_0000, gpio, { name: 'gpio' });
    bus.map(0x1f_000d_0000, rp1, { name: 'rp1' });
    const trace = bus.startTrace();
    bus.write32(0x3f20_0000 + 0x1c, 1 << 4);
    bus.read32(0x1f_000d_0000 + 0x12004);
    bus.scheduler.advance(50);
    expect(bus.read32(0x3f20_0000 + 0xf0)).toBe(0x6770696f); // reserved: reads "gpio", logged
    bus.write32(0x3f20_0000 + 0x34, 0xffff_ffff); // GPLEV0 is read-only: logged, ignored
    bus.write32(0x1f_000d_0000 + 0x0000, 1); // io_bank0 GPIO0_STATUS is read-only
    expect(bus.read32(0x1f_000d_0000 + 0x0f00)).toBe(0); // past io_bank0's 28 pins
    bus.stopTrace();
    expect(trace.records.map((r) => r.register)).toEqual(['GPSET0', 'sys_rio0.OE.SET', undefined, 'GPLEV0', 'io_bank0.GPIO0_STATUS', undefined]);
    expect(gpio.guestErrors.map((e) => e.message)).toEqual([
      'read of reserved offset 0xf0: reads as 0x6770696f',
      'write of 0xffffffff to read-only GPLEV0 (0x34) ignored',
    ]);
    expect(gpio.guestErrors[0]).toMatchObject({ device: 'SimBcm2835Gpio', time: 50 });
    expect(rp1.guestErrors.map((e) => e.message)).toEqual([
      'write of 0x00000001 to read-only io_bank0.GPIO0_STATUS (0x0) ignored',
      'read of reserved offset 0xf00: reads as 0',
    ]);
    expect(bus.guestErrors).toHaveLength(4);
    // The bus refuses other sizes before the chip sees them; called directly, the chip logs them.
    expect(() => bus.read16(0x3f20_0034)).toThrow(/Bus error/);
    expect(gpio.read(0x34, 2)).toBe(0);
    gpio.write(0x36, 1, 2);
    expect(gpio.guestErrors.slice(-2).map((e) => e.message)).toEqual([
      '2-byte access to GPLEV0 (0x34) (the registers are 32 bits wide): read as 0',
      '2-byte access to GPLEV0 (0x36) (the registers are 32 bits wide): write ignored',
    ]);
    // The RegisterIO face keeps throwing for the same mistakes.
    expect(() => gpio.read16(0x34)).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_UNSUPPORTED' }));
  });

  it('a read-only chip on the bus logs stores and keeps its registers; RegisterIO writes throw', () => {
    const bus = new SimBus();
    const { gpio } = simRaspberryPi('pi4', { writable: false });
    bus.map(0xfe20_0000, gpio);
    const before = bus.read32(0xfe20_0000);
    bus.write32(0xfe20_0000, 0);
    expect(bus.read32(0xfe20_0000)).toBe(before);
    expect(gpio.guestErrors.at(-1)?.message).toBe('write of 0x00000000 to GPFSEL0 (0x0) ignored: the window is read-only');
    expect(() => gpio.write32(0, 0)).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_READ_ONLY' }));
  });

  it('onLevelChange reports each change of a pin level, whatever caused it, until removed', () => {
    for (const make of [() => new SimBcm2835Gpio(), () => new SimBcm2711Gpio(), () => new SimRp1Gpio()]) {
      const gpio = make();
      const seen: Array<[number, number]> = [];
      const off = gpio.onLevelChange(17, (level, pin) => seen.push([pin, level]));
      gpio.drive(17, 1);
      gpio.drive(17, 1); // no change, no call
      gpio.attachPull(17, 'down'); // still driven high
      gpio.drive(17, null); // released: the pull-down wins
      gpio.attachPull(17, 'up');
      off();
      gpio.attachPull(17, 'down');
      expect(seen).toEqual([
        [17, 1],
        [17, 0],
        [17, 1],
      ]);
      expect(gpio.level(17)).toBe(0);
    }
    // A register write that makes a pin an output high is seen too; a listener may drive pins.
    const bus = new SimBus({ scheduler: new SimScheduler() });
    const gpio = new SimBcm2835Gpio();
    bus.map(0x3f20_0000, gpio);
    const levels: number[] = [];
    gpio.onLevelChange(4, (level) => {
      levels.push(level);
      gpio.drive(5, level);
    });
    bus.write32(0x3f20_0000, 1 << 12); // GPIO4 (pulled up at reset) becomes an output of its latch, 0
    bus.write32(0x3f20_001c, 1 << 4);
    bus.write32(0x3f20_0028, 1 << 4);
    expect(levels).toEqual([0, 1, 0]);
    expect(gpio.level(5)).toBe(0);
    expect(() => gpio.onLevelChange(60, () => {})).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => gpio.onLevelChange(4, 'x' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
