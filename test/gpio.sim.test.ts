// Register semantics of the simulated GPIO blocks, exercised through mmapkit's public GPIO API
// (RaspberryPiGpio) and, where the API does not reach, through the blocks' RegisterIO.
import { describe, expect, test } from 'vitest';
import {
  RaspberryPiGpio,
  SimBcm2711Gpio,
  SimBcm2835Gpio,
  SimRp1Gpio,
  simRaspberryPi,
  gpioAltFunctions,
  gpioDefaultPull,
  parseGpioPins,
  parseGpioFunction,
  formatGpioRaspiGpio,
  formatGpioPinctrl,
  formatGpioFuncs,
  formatGpioFuncsPinctrl,
  openRaspberryPiGpio,
  type RegisterIO,
} from '../lib';

const GPFSEL0 = 0x00,
  GPSET0 = 0x1c,
  GPCLR0 = 0x28,
  GPLEV0 = 0x34,
  GPLEV1 = 0x38,
  GPEDS0 = 0x40,
  GPREN0 = 0x4c,
  GPFEN0 = 0x58,
  GPHEN0 = 0x64,
  GPLEN0 = 0x70,
  GPAREN0 = 0x7c,
  GPAFEN0 = 0x88,
  GPPUD = 0x94,
  GPPUDCLK0 = 0x98,
  PUP0 = 0xe4;

describe('the same API on every chip', () => {
  for (const model of ['pi3', 'pi4', 'pi5'] as const) {
    test(`${model}: output high/low, input driven from outside, pulls`, () => {
      const { gpio: sim, info } = simRaspberryPi(model, { booted: false });
      const g = new RaspberryPiGpio(sim, info);
      g.setFunction(17, 'output');
      g.write(17, 1);
      expect(sim.output(17)).toBe(1);
      expect(g.read(17)).toBe(1);
      expect(g.probePin(17)).toMatchObject({ function: 'output', name: 'output', level: 1, drive: 1 });
      g.write(17, false);
      expect(sim.output(17)).toBe(0);
      expect(g.read(17)).toBe(0);
      g.setFunction(17, 'input');
      expect(sim.output(17)).toBeNull();
      sim.drive(17, 1);
      expect(g.read(17)).toBe(1);
      sim.drive(17, 0);
      expect(g.read(17)).toBe(0);
      sim.drive(17, null);
      g.setPull(17, 'up');
      expect(sim.pull(17)).toBe('up');
      expect(g.read(17)).toBe(1);
      g.setPull(17, 'pd');
      expect(sim.pull(17)).toBe('down');
      expect(g.read(17)).toBe(0);
      sim.attachPull(17, 'up'); // an external resistor beats the internal pull
      expect(g.read(17)).toBe(1);
      expect(g.getPull(17)).toBe(model === 'pi3' ? 'unknown' : 'down');
    });

    test(`${model}: a probe never writes a register (works on a read-only window)`, () => {
      const { gpio: sim, info } = simRaspberryPi(model, { writable: false });
      const g = new RaspberryPiGpio(sim, info);
      const states = g.probe();
      expect(states).toHaveLength(info.pinCount);
      expect(sim.writes).toBe(0);
      expect(sim.reads).toBeGreaterThan(0);
      expect(() => g.write(4, 1)).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_READ_ONLY' }));
    });
  }

  test('booted boards show the kernel-style functions with datasheet names', () => {
    const p3 = simRaspberryPi('pi3');
    const s3 = new RaspberryPiGpio(p3.gpio, p3.info).probe([2, 14]);
    expect(s3.map((s) => [s.function, s.name])).toEqual([
      ['alt0', 'SDA1'],
      ['alt5', 'TXD1'],
    ]);
    const p4 = simRaspberryPi('pi4');
    expect(new RaspberryPiGpio(p4.gpio, p4.info).probePin(14)).toMatchObject({ function: 'alt0', name: 'TXD0', pull: 'down' });
    const p5 = simRaspberryPi('pi5');
    expect(new RaspberryPiGpio(p5.gpio, p5.info).probePin(14)).toMatchObject({ function: 'alt4', name: 'TXD0', fsel: 4 });
  });

  test('argument checks', () => {
    const { gpio: sim, info } = simRaspberryPi('pi3');
    const g = new RaspberryPiGpio(sim, info);
    expect(() => g.read(54)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => g.read(-1)).toThrow(RangeError);
    expect(() => g.read('4' as unknown as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => g.setFunction(4, 'alt6')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => g.setFunction(4, 'none')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => g.setFunction(4, 'bogus')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => g.setPull(4, 'sideways' as 'up')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => g.write(4, 2 as 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => new RaspberryPiGpio(sim, 'bcm9999' as 'rp1')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => new RaspberryPiGpio(sim, 'rp1')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' })); // window too small
    g.close();
    expect(() => g.read(4)).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_CLOSED' }));
  });
});

describe('GPIO functions with bad arguments: coded errors, bounded work', () => {
  const codeOf = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (err) {
      return (err as { code?: string }).code;
    }
    return undefined;
  };

  test('parseGpioPins and parseGpioFunction take strings; huge ranges and pin counts are refused at once', () => {
    expect(parseGpioPins('2-4,GPIO17', 54)).toEqual([2, 3, 4, 17]);
    expect(codeOf(() => parseGpioPins('0-99999999999', 54))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => parseGpioPins('0-99999999999', 1024))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => parseGpioPins('1', 2 ** 40))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => parseGpioPins('1', 4n as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => parseGpioPins(5 as unknown as string, 54))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => parseGpioFunction(Buffer.from('ip') as unknown as string))).toBe('ERR_INVALID_ARG_TYPE');
    expect(parseGpioFunction('A3')).toBe('alt3');
  });

  test('tables, formatters and the class check types before reading anything', () => {
    expect(codeOf(() => gpioAltFunctions('bcm9999' as 'rp1', 1))).toBe('ERR_INVALID_ARG_VALUE');
    expect(codeOf(() => gpioAltFunctions(Buffer.alloc(4) as unknown as 'rp1', 1))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => gpioAltFunctions('rp1', 1n as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => gpioDefaultPull('rp1', '1' as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    expect(gpioDefaultPull('bcm2711', 57)).toBe('down');
    expect(codeOf(() => formatGpioRaspiGpio(null as unknown as [], 'bcm2835'))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => formatGpioRaspiGpio([{}] as unknown as [], 'bcm2835'))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => formatGpioPinctrl(new Uint32Array(2) as unknown as []))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => formatGpioFuncs(null as unknown as [], 'rp1'))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => formatGpioFuncsPinctrl([1n] as unknown as [], 'rp1'))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => openRaspberryPiGpio(null as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => RaspberryPiGpio.open({ info: 5 as unknown as undefined }))).toBe('ERR_INVALID_ARG_TYPE');
    const { gpio: sim, info } = simRaspberryPi('pi3');
    expect(codeOf(() => new RaspberryPiGpio({} as typeof sim, info))).toBe('ERR_INVALID_ARG_TYPE');
    const g = new RaspberryPiGpio(sim, info);
    expect(codeOf(() => g.probe(0n as unknown as number[]))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => g.probe([1, 99]))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => g.setPull(4, Buffer.from('up') as unknown as 'up'))).toBe('ERR_INVALID_ARG_TYPE');
    expect(formatGpioPinctrl(g.probe([14]))).toBe('14: a5    -- | lo // GPIO14 = TXD1\n');
  });
});

describe('SimBcm2835Gpio (BCM2835/6/7)', () => {
  test('reset values: all inputs, default pulls decide the levels, reserved registers read "gpio"', () => {
    const s = new SimBcm2835Gpio();
    for (let r = 0; r < 6; r++) expect(s.read32(GPFSEL0 + 4 * r)).toBe(0);
    // GPIO0-8 up, 9-27 down, 28-29 none (float low), 30-31 down.
    expect(s.read32(GPLEV0)).toBe(0x1ff);
    // 32-33 down, 34-36 up, 37-43 down, 44-45 none, 46-53 up.
    expect(s.read32(GPLEV1)).toBe(((0b111 << 2) | (0xff << 14)) >>> 0);
    expect(s.read32(0xf0)).toBe(0x6770696f);
    expect(s.size).toBe(4096);
  });

  test('function selects: 3 bits a pin, read-modify-write keeps the neighbours; ALT codes map to ALT names', () => {
    const s = new SimBcm2835Gpio();
    const g = new RaspberryPiGpio(s, 'bcm2835');
    g.setFunction(4, 'alt0');
    g.setFunction(5, 'output');
    g.setFunction(9, 'alt5');
    expect(s.read32(GPFSEL0)).toBe((4 << 12) | (1 << 15) | (2 << 27));
    const codes: Array<[string, number]> = [
      ['input', 0],
      ['output', 1],
      ['alt0', 4],
      ['alt1', 5],
      ['alt2', 6],
      ['alt3', 7],
      ['alt4', 3],
      ['alt5', 2],
    ];
    for (const [fn, code] of codes) {
      g.setFunction(53, fn);
      expect(s.functionCode(53)).toBe(code);
      expect(g.getFunction(53)).toBe(fn);
    }
    expect(g.probePin(4)).toMatchObject({ function: 'alt0', fsel: 4, name: 'GPCLK0' });
    // GPFSEL5 holds only GPIO50-53 on a 54-pin chip.
    s.write32(GPFSEL0 + 20, 0xffffffff);
    expect(s.read32(GPFSEL0 + 20)).toBe(0xfff);
  });

  test('GPSET/GPCLR: write 1 to set or clear, 0 bits leave pins alone, both read as 0; the latch applies when the pin becomes an output', () => {
    const s = new SimBcm2835Gpio();
    s.write32(GPSET0, 1 << 20); // latch high while still an input
    expect(s.output(20)).toBeNull();
    expect(s.level(20)).toBe(0); // pulled down
    s.write32(GPFSEL0 + 8, 1 << 0); // GPIO20 output
    expect(s.output(20)).toBe(1);
    expect(s.read32(GPLEV0) & (1 << 20)).toBe(1 << 20);
    s.write32(GPFSEL0 + 8, (1 << 0) | (1 << 3)); // GPIO21 output too
    s.write32(GPSET0, 1 << 21);
    s.write32(GPCLR0, 1 << 20);
    expect([s.output(20), s.output(21)]).toEqual([0, 1]);
    s.write32(GPCLR0, 0);
    expect([s.output(20), s.output(21)]).toEqual([0, 1]);
    expect(s.read32(GPSET0)).toBe(0);
    expect(s.read32(GPCLR0)).toBe(0);
    s.write32(GPLEV0, 0); // read-only: ignored
    expect(s.read32(GPLEV0) & (1 << 21)).toBe(1 << 21);
  });

  test('bank 1: GPIO53 output through GPSET1/GPCLR1', () => {
    const s = new SimBcm2835Gpio();
    const g = new RaspberryPiGpio(s, 'bcm2835');
    g.setFunction(53, 'output');
    g.write(53, 0);
    expect(s.read32(GPLEV1) & (1 << 21)).toBe(0);
    g.write(53, 1);
    expect(s.read32(GPLEV1) & (1 << 21)).toBe(1 << 21);
    expect(g.read(53)).toBe(1);
  });

  test('event detection: rising/falling edges (sync and async), high/low levels, GPEDS write-1-to-clear', () => {
    const s = new SimBcm2835Gpio();
    const bit = 1 << 17;
    s.write32(GPREN0, bit);
    s.drive(17, 1);
    expect(s.read32(GPEDS0)).toBe(bit);
    s.write32(GPEDS0, 0); // writing 0 clears nothing
    expect(s.read32(GPEDS0)).toBe(bit);
    s.write32(GPEDS0, bit);
    expect(s.read32(GPEDS0)).toBe(0);
    s.drive(17, 0); // falling edge, not enabled
    expect(s.read32(GPEDS0)).toBe(0);
    s.write32(GPREN0, 0);
    s.write32(GPFEN0, bit);
    s.drive(17, 1);
    expect(s.read32(GPEDS0)).toBe(0);
    s.drive(17, 0);
    expect(s.read32(GPEDS0)).toBe(bit);
    s.write32(GPEDS0, bit);
    s.write32(GPFEN0, 0);
    s.write32(GPAREN0, bit);
    s.drive(17, 1);
    expect(s.read32(GPEDS0)).toBe(bit);
    s.write32(GPEDS0, bit);
    s.write32(GPAREN0, 0);
    s.write32(GPAFEN0, bit);
    s.drive(17, 0);
    expect(s.read32(GPEDS0)).toBe(bit);
    s.write32(GPEDS0, bit);
    s.write32(GPAFEN0, 0);
    // Level detection re-asserts while the level lasts, even right after a clear.
    s.write32(GPLEN0, bit);
    expect(s.read32(GPEDS0)).toBe(bit);
    s.write32(GPEDS0, bit);
    expect(s.read32(GPEDS0)).toBe(bit);
    s.write32(GPLEN0, 0);
    s.write32(GPEDS0, bit);
    expect(s.read32(GPEDS0)).toBe(0);
    s.write32(GPHEN0, bit);
    expect(s.read32(GPEDS0)).toBe(0);
    s.drive(17, 1);
    expect(s.read32(GPEDS0)).toBe(bit);
    expect(s.read32(GPHEN0)).toBe(bit);
    // An output pin's own transitions are events too.
    s.write32(GPHEN0, 0);
    s.write32(GPEDS0, 0xffffffff);
    s.write32(GPREN0, 1 << 4);
    const g = new RaspberryPiGpio(s, 'bcm2835');
    g.setFunction(4, 'output'); // GPIO4 was pulled up: output latch 0 → falling edge, not enabled
    expect(s.read32(GPEDS0)).toBe(0);
    g.write(4, 1);
    expect(s.read32(GPEDS0)).toBe(1 << 4);
  });

  test('pulls: the clocked GPPUD/GPPUDCLK sequence latches on the clock edge; GPPUDCLK reads 0', () => {
    const s = new SimBcm2835Gpio();
    expect(s.pull(5)).toBe('up');
    // GPPUD alone changes nothing.
    s.write32(GPPUD, 1);
    expect(s.pull(5)).toBe('up');
    expect(s.read32(GPPUD)).toBe(1);
    // The clock edge latches the control value into the clocked pins only.
    s.write32(GPPUDCLK0, 1 << 5);
    expect(s.pull(5)).toBe('down');
    expect(s.pull(6)).toBe('up');
    expect(s.read32(GPPUDCLK0)).toBe(0);
    // Changing GPPUD while the clock stays high does not re-latch: only an edge does.
    s.write32(GPPUD, 2);
    s.write32(GPPUDCLK0, 1 << 5);
    expect(s.pull(5)).toBe('down');
    s.write32(GPPUD, 0);
    s.write32(GPPUDCLK0, 0);
    expect(s.pull(5)).toBe('down');
    // Through the API: the whole sequence; the pin's level follows, getPull cannot tell.
    const g = new RaspberryPiGpio(s, 'bcm2835');
    g.setPull(40, 'up');
    expect(s.pull(40)).toBe('up');
    expect(g.read(40)).toBe(1);
    g.setPull(40, 'none');
    expect(s.pull(40)).toBe('none');
    expect(g.read(40)).toBe(1); // floating: keeps its last level
    expect(g.getPull(40)).toBe('unknown');
    expect(s.read32(GPPUD)).toBe(0); // the sequence ends with both cleared
  });

  test('RegisterIO rules: 32-bit only, aligned, inside the window, 32-bit values', () => {
    const s = new SimBcm2835Gpio();
    expect(() => s.read8(0)).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_UNSUPPORTED', name: 'MmapkitError' }));
    expect(() => (s as RegisterIO).write16(0, 1)).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_UNSUPPORTED' }));
    expect(() => s.read64(0)).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_UNSUPPORTED' }));
    expect(() => s.read32(2)).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_UNALIGNED' }));
    expect(() => s.read32(4096)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => s.write32(0, 2 ** 32)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(s.reads + s.writes).toBe(0);
  });

  test('reset() restores reset values but keeps what is wired outside', () => {
    const s = new SimBcm2835Gpio();
    const g = new RaspberryPiGpio(s, 'bcm2835');
    g.setFunction(9, 'output');
    g.write(9, 1);
    s.drive(10, 1);
    s.reset();
    expect(g.getFunction(9)).toBe('input');
    expect(g.read(9)).toBe(0);
    expect(g.read(10)).toBe(1);
  });
});

describe('SimBcm2711Gpio (BCM2711)', () => {
  test('58 pins; pull registers readable with reset values; no GPPUD', () => {
    const s = new SimBcm2711Gpio();
    const g = new RaspberryPiGpio(s, 'bcm2711');
    expect(g.pinCount).toBe(58);
    // GPIO0-8 up (01), 9-15 down (10).
    expect(s.read32(PUP0)).toBe(0xaaa95555);
    expect(g.getPull(0)).toBe('up');
    expect(g.getPull(9)).toBe('down');
    expect(g.getPull(28)).toBe('none');
    expect(s.read32(GPPUD)).toBe(0x6770696f);
    g.setPull(9, 'up');
    expect((s.read32(PUP0) >>> 18) & 3).toBe(1);
    g.setPull(9, 'none');
    expect((s.read32(PUP0) >>> 18) & 3).toBe(0);
    expect(g.getPull(9)).toBe('none');
    s.write32(PUP0 + 12, 0x2 << 18); // GPIO57 down through the register
    expect(g.getPull(57)).toBe('down');
    g.setFunction(57, 'output');
    g.write(57, 1);
    expect((s.read32(GPLEV1) >>> 25) & 1).toBe(1);
    expect(s.read32(GPFSEL0 + 20) >>> 21).toBe(1);
    // GPFSEL5 holds GPIO50-57 on a 58-pin chip.
    s.write32(GPFSEL0 + 20, 0xffffffff);
    expect(s.read32(GPFSEL0 + 20)).toBe(0xffffff);
  });

  test('ALT names come from the BCM2711 table', () => {
    const s = new SimBcm2711Gpio();
    const g = new RaspberryPiGpio(s, 'bcm2711');
    g.setFunction(0, 'alt4');
    expect(g.probePin(0).name).toBe('TXD2');
    expect(gpioAltFunctions('bcm2835', 0)[4]).toBe('AVEIN_VCLK');
  });
});

describe('SimRp1Gpio (Pi 5 RP1)', () => {
  const ctrl = (pin: number) => pin * 8 + 4;
  const status = (pin: number) => pin * 8;

  test('reset: every pin function NULL (0x1f); pads with input enabled and the default pulls', () => {
    const s = new SimRp1Gpio();
    const g = new RaspberryPiGpio(s, 'rp1');
    expect(s.read32(ctrl(0))).toBe(0x1f);
    expect(g.probePin(0)).toMatchObject({ function: 'none', fsel: 0x1f, pull: 'up', level: 1 });
    expect(g.probePin(20)).toMatchObject({ function: 'none', pull: 'down', level: 0 });
    expect(s.read32(0x20000 + 4)).toBe(0x40 | 0x10 | 0x02 | 0x08);
  });

  test('output through SYS_RIO: FUNCSEL 5, OE and OUT set/cleared through the atomic aliases', () => {
    const s = new SimRp1Gpio();
    const g = new RaspberryPiGpio(s, 'rp1');
    g.setFunction(4, 'output');
    expect(s.functionCode(4)).toBe(5);
    expect(s.read32(0x10004) & (1 << 4)).toBe(1 << 4); // OE
    g.write(4, 1);
    expect(s.read32(0x10000)).toBe(1 << 4); // OUT
    expect(s.output(4)).toBe(1);
    expect(s.read32(status(4)) & (1 << 17)).toBe(1 << 17); // INFROMPAD
    expect(s.read32(status(4)) & ((1 << 9) | (1 << 13))).toBe((1 << 9) | (1 << 13)); // OUTTOPAD, OETOPAD
    expect(s.read32(0x10008) & (1 << 4)).toBe(1 << 4); // SYNC_IN
    g.write(4, 0);
    expect(s.output(4)).toBe(0);
    expect(g.probePin(4)).toMatchObject({ function: 'output', level: 0, drive: 0 });
    // XOR alias toggles.
    s.write32(0x10000 + 0x1000, 1 << 4);
    expect(s.output(4)).toBe(1);
    s.write32(0x10000 + 0x1000, 1 << 4);
    expect(s.output(4)).toBe(0);
    // Reads through an alias return the register.
    s.write32(0x10000 + 0x2000, 1 << 4);
    expect(s.read32(0x10000 + 0x3000)).toBe(1 << 4);
    g.setFunction(4, 'input');
    expect(s.read32(0x10004) & (1 << 4)).toBe(0);
    expect(s.output(4)).toBeNull();
  });

  test('banks 1 and 2: GPIO30 and GPIO40 live in their own io_bank, sys_rio and pads blocks', () => {
    const s = new SimRp1Gpio();
    const g = new RaspberryPiGpio(s, 'rp1');
    g.setFunction(30, 'output');
    g.write(30, 1);
    expect(s.read32(0x4000 + 2 * 8 + 4) & 0x1f).toBe(5);
    expect(s.read32(0x14000)).toBe(1 << 2);
    g.setFunction(40, 'output');
    g.write(40, 1);
    expect(s.read32(0x18000)).toBe(1 << 6);
    g.setPull(40, 'up');
    expect(s.read32(0x28000 + 4 + 6 * 4) & 0x0c).toBe(0x08);
    expect(g.read(30)).toBe(1);
    expect(g.read(40)).toBe(1);
  });

  test('pads: pull bits, input enable, output disable', () => {
    const s = new SimRp1Gpio();
    const g = new RaspberryPiGpio(s, 'rp1');
    const pad = 0x20000 + 4 + 4 * 17;
    g.setFunction(17, 'input');
    g.setPull(17, 'up');
    expect(s.read32(pad) & 0x0c).toBe(0x08);
    expect(g.read(17)).toBe(1);
    g.setPull(17, 'none');
    expect(g.getPull(17)).toBe('none');
    s.write32(pad + 0x3000, 0x40); // clear IE through the alias: the input reads 0
    expect(g.read(17)).toBe(0);
    expect(s.level(17)).toBe(1); // the pad itself still floats high
    s.write32(pad + 0x2000, 0x40);
    g.setFunction(17, 'output');
    g.write(17, 1);
    s.write32(pad + 0x2000, 0x80); // OD: output disabled
    expect(s.output(17)).toBeNull();
  });

  test('CTRL overrides, edge events in STATUS and IRQRESET', () => {
    const s = new SimRp1Gpio();
    const g = new RaspberryPiGpio(s, 'rp1');
    g.setFunction(22, 'input');
    s.drive(22, 1);
    expect((s.read32(status(22)) >>> 21) & 1).toBe(1); // EVENT_EDGE_HIGH
    s.drive(22, 0);
    expect((s.read32(status(22)) >>> 20) & 1).toBe(1); // EVENT_EDGE_LOW
    expect((s.read32(status(22)) >>> 22) & 1).toBe(1); // EVENT_LEVEL_LOW
    s.write32(ctrl(22) + 0x2000, 1 << 28); // IRQRESET
    expect((s.read32(status(22)) >>> 20) & 3).toBe(0);
    expect(s.read32(ctrl(22)) & (1 << 28)).toBe(0);
    s.drive(22, null);
    // OEOVER = enable, OUTOVER = high: drives high whatever the function says.
    s.write32(ctrl(22) + 0x2000, (3 << 14) | (3 << 12));
    expect(s.output(22)).toBe(1);
    s.write32(ctrl(22) + 0x3000, 1 << 12); // OUTOVER = 2: low
    expect(s.output(22)).toBe(0);
    s.write32(status(22), 0xffffffff); // STATUS is read-only
    expect(s.read32(status(22)) & (1 << 17)).toBe(0);
  });

  test('alternate functions a0-a8 with RP1 names; none', () => {
    const s = new SimRp1Gpio();
    const g = new RaspberryPiGpio(s, 'rp1');
    g.setFunction(4, 'a8');
    expect(g.probePin(4)).toMatchObject({ function: 'alt8', fsel: 8, name: 'SPI3_CS0' });
    g.setFunction(4, 'alt0');
    expect(g.probePin(4).name).toBe('GPCLK0');
    g.setFunction(4, 'none');
    expect(s.functionCode(4)).toBe(0x1f);
    expect(g.altFunctions(53)).toHaveLength(9);
  });
});

describe('on the simulated bus, at the physical address, through a window (as /dev/mem reaches them)', () => {
  for (const model of ['pi1', 'pi2', 'pi3', 'pi4', 'pi5'] as const) {
    test(model, async () => {
      const { SimBus } = await import('../lib/sim/bus');
      const { simWindow } = await import('../lib/sim/window');
      const { gpio: sim, info } = simRaspberryPi(model);
      const bus = new SimBus();
      bus.mapRegisterIO(info.gpioBase, sim, { name: 'gpio' });
      const g = new RaspberryPiGpio(simWindow(bus, info.gpioBase, info.gpioLength), info);
      g.setFunction(4, 'output');
      g.write(4, 1);
      expect(sim.output(4)).toBe(1);
      expect(g.probePin(4)).toMatchObject({ function: 'output', level: 1, drive: 1 });
      g.write(4, 0);
      expect(sim.output(4)).toBe(0);
      expect(g.probePin(14).name).toBe(model === 'pi3' ? 'TXD1' : 'TXD0');
    });
  }
});

describe('simulated GPIO chips: arguments are checked before they are used', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return (err as { code?: string }).code;
    }
    return 'no error';
  };
  for (const make of [() => new SimBcm2835Gpio(), () => new SimBcm2711Gpio(), () => new SimRp1Gpio()]) {
    const g = make();
    test(`${g.name}: wrong types are ERR_INVALID_ARG_TYPE, never coerced`, () => {
      expect(code(() => g.read32('0' as never))).toBe('ERR_INVALID_ARG_TYPE');
      expect(code(() => g.read8(0n as never))).toBe('ERR_INVALID_ARG_TYPE');
      expect(code(() => g.write32(0, 1n as never))).toBe('ERR_INVALID_ARG_TYPE');
      expect(code(() => g.write32(0, 2 ** 32))).toBe('ERR_OUT_OF_RANGE');
      expect(code(() => g.level({} as never))).toBe('ERR_INVALID_ARG_TYPE');
      expect(code(() => g.drive(3, 'high' as never))).toBe('ERR_INVALID_ARG_TYPE');
      expect(code(() => g.drive(3, 2 as never))).toBe('ERR_INVALID_ARG_TYPE');
      expect(code(() => g.attachPull(3, 'sideways' as never))).toBe('ERR_INVALID_ARG_VALUE');
      expect(code(() => g.attachPull(3, Buffer.from('up') as never))).toBe('ERR_INVALID_ARG_TYPE');
      g.drive(3, true);
      expect(g.level(3)).toBe(1);
      g.attachPull(3, null);
    });
  }
  test('constructors and simRaspberryPi check their options', () => {
    expect(code(() => new SimBcm2711Gpio({ writable: 'yes' as never }))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => new SimRp1Gpio({ bogus: true } as never))).toBe('ERR_INVALID_ARG_VALUE');
    expect(code(() => simRaspberryPi(4 as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => simRaspberryPi('pi4', { booted: 1 as never }))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => simRaspberryPi('pi9' as never))).toBe('ERR_INVALID_ARG_VALUE');
  });
});
