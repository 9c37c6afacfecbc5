import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import {
  SimBus,
  SimBusError,
  SimScheduler,
  SimUart,
  SIM_UART_BASE,
  simFormatLaneTable,
  simFormatTransaction,
  simRegisterIODevice,
  simWindow,
  simDeviceWindow,
  simMemoryView,
  type SimDevice,
  simHex,
  simNormalize,
  simLanes,
  simFromLanes,
  SimRandom,
  SimRam,
  SimIrqLine,
  simTransactionJSON,
  simFormatTime,
  SimCpu,
  SimPortSpace,
  SimKeyboardController,
  SimCmosRtc,
  SimEdu,
  SimNetDevice,
  SimTrace,
  createSimMachine,
  SIM_MAX_RAM,
} from '../lib/sim';
import { runNode, tempDir } from './support/helpers';
import type { RegisterIO } from '../lib/interfaces';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('SimBus: RAM', () => {
  it('stores and loads 1, 2, 4 and 8 bytes little-endian', () => {
    const bus = new SimBus();
    const ram = bus.addRam(0x8000_0000, 0x1000);
    bus.write64(0x8000_0000, 0x1122334455667788n);
    expect(Array.from(ram.bytes.subarray(0, 8))).toEqual([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
    expect(bus.read32(0x8000_0000)).toBe(0x55667788);
    expect(bus.read16(0x8000_0006)).toBe(0x1122);
    expect(bus.read8(0x8000_0001)).toBe(0x77);
    bus.write16(0x8000_0011, 0xbeef); // unaligned RAM access is fine
    expect(bus.read8(0x8000_0011)).toBe(0xef);
    expect(bus.read8(0x8000_0012)).toBe(0xbe);
  });

  it('masks stored values to the access size', () => {
    const bus = new SimBus();
    bus.addRam(0, 16);
    bus.write(0, 0x1ff, 1);
    expect(bus.read8(0)).toBe(0xff);
    expect(bus.read8(1)).toBe(0);
  });
});

describe('SimBus: bus errors', () => {
  it('names the address of an access to unmapped space', () => {
    const bus = new SimBus();
    bus.addRam(0, 0x1000);
    let caught: unknown;
    try {
      bus.read32(0x2000_0000);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SimBusError);
    const e = caught as SimBusError;
    expect(e.code).toBe('ERR_MMAPKIT_BUS_ERROR');
    expect(e.address).toBe(0x2000_0000);
    expect(e.message).toContain('0x20000000');
    expect(e.message).toContain('4-byte read');
  });

  it('refuses an access running past the end of a region', () => {
    const bus = new SimBus();
    bus.addRam(0, 0x1000);
    expect(codeOf(() => bus.read32(0xffe))).toBe('ERR_MMAPKIT_BUS_ERROR');
  });

  it('refuses overlapping regions unless both have explicit priorities', () => {
    const bus = new SimBus();
    bus.addRam(0, 0x10000, { name: 'low' });
    expect(codeOf(() => bus.addRam(0x8000, 0x1000, { name: 'over' }))).toBe('ERR_INVALID_ARG_VALUE');
    const layered = new SimBus();
    const low = layered.addRam(0, 0x10000, { name: 'low', priority: 0 });
    const high = layered.addRam(0x8000, 0x1000, { name: 'high', priority: 1 });
    layered.write32(0x8000, 0xabcdef01);
    expect(high.bytes[0]).toBe(0x01);
    expect(low.bytes[0x8000]).toBe(0);
    expect(layered.regionAt(0x7fff)?.name).toBe('low');
    expect(layered.regionAt(0x8000)?.name).toBe('high');
    expect(layered.regionAt(0x9000)?.name).toBe('low');
  });
});

describe('SimBus: device access sizes', () => {
  function probe(rules: SimDevice['access']) {
    const log: string[] = [];
    const dev: SimDevice = {
      name: 'probe',
      size: 0x100,
      access: rules,
      read(offset, size) {
        log.push(`r${size}@${offset}`);
        return size === 8 ? 0x0807060504030201n : ((0x04030201 + offset * 0x01010101) >>> 0) & (size === 4 ? 0xffffffff : (1 << (size * 8)) - 1);
      },
      write(offset, value, size) {
        log.push(`w${size}@${offset}=${value.toString(16)}`);
      },
    };
    const bus = new SimBus();
    bus.map(0x1000, dev);
    return { bus, log };
  }

  it('splits a wider access into valid ones, lowest address first', () => {
    const { bus, log } = probe({ sizes: [4], other: 'split' });
    bus.write64(0x1008, 0x1122334455667788n);
    expect(log).toEqual(['w4@8=55667788', 'w4@12=11223344']);
    log.length = 0;
    const v = bus.read64(0x1000);
    expect(log).toEqual(['r4@0', 'r4@4']);
    expect(v).toBe(0x0807060504030201n);
  });

  it('widens a narrower read to the register and keeps its lanes; refuses a narrower write', () => {
    const { bus, log } = probe({ sizes: [4], other: 'split' });
    expect(bus.read8(0x1001)).toBe(0x02);
    expect(log).toEqual(['r4@0']);
    expect(codeOf(() => bus.write8(0x1001, 1))).toBe('ERR_MMAPKIT_BUS_ERROR');
  });

  it('refuses other sizes and unaligned accesses when the device says so', () => {
    const { bus, log } = probe({ sizes: [4], other: 'refuse' });
    expect(codeOf(() => bus.read16(0x1000))).toBe('ERR_MMAPKIT_BUS_ERROR');
    expect(codeOf(() => bus.read32(0x1002))).toBe('ERR_MMAPKIT_BUS_ERROR');
    expect(log).toEqual([]);
  });
});

describe('SimBus: tracing and byte lanes', () => {
  it("the seed's example: a 32-bit store of 1 at 0x10000008 drives 01 00 00 00", () => {
    const bus = new SimBus();
    const uart = new SimUart(bus.scheduler);
    bus.map(SIM_UART_BASE, uart);
    const trace = bus.startTrace();
    bus.write32(0x1000_0008, 0x0000_0001);
    bus.stopTrace();
    expect(trace.records).toHaveLength(1);
    const tx = trace.records[0];
    expect(tx.kind).toBe('write');
    expect(tx.address).toBe(0x1000_0008);
    expect(tx.size).toBe(4);
    expect(tx.lanes).toEqual([0x01, 0x00, 0x00, 0x00]);
    expect(tx.register).toBe('CTRL');
    expect(simFormatLaneTable(tx).split('\n')).toEqual(['address     byte', '0x10000008  01', '0x10000009  00', '0x1000000a  00', '0x1000000b  00']);
    expect(simFormatTransaction(tx)).toContain('lanes 0x10000008..0x1000000b: 01 00 00 00');
  });

  it('records loads, DMA initiators and failed accesses', () => {
    const bus = new SimBus();
    bus.addRam(0, 0x100);
    const trace = bus.startTrace();
    bus.write16(0x10, 0x1234);
    bus.master('dma0').read(0x10, 2);
    expect(() => bus.read8(0x200)).toThrow(SimBusError);
    expect(trace.records.map((r) => [r.initiator, r.kind, r.value, r.error !== undefined])).toEqual([
      ['cpu', 'write', 0x1234, false],
      ['dma0', 'read', 0x1234, false],
      ['cpu', 'read', undefined, true],
    ]);
    expect(trace.records[0].lanes).toEqual([0x34, 0x12]);
  });
});

describe('simWindow / simDeviceWindow / simMemoryView', () => {
  it('validates offsets like a native window and advances simulated time per access', () => {
    const bus = new SimBus();
    bus.addRam(0x4000, 0x100);
    const regs = simWindow(bus, 0x4000, 0x100, { accessNs: 50 });
    const t0 = bus.scheduler.now;
    regs.write32(0x10, 0xdeadbeef);
    expect(regs.read32(0x10)).toBe(0xdeadbeef);
    expect(regs.read64(0x10)).toBe(0xdeadbeefn);
    expect(bus.scheduler.now - t0).toBe(150);
    expect(codeOf(() => regs.read32(0x102))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => regs.read32(0x0d))).toBe('ERR_MMAPKIT_UNALIGNED');
    expect(codeOf(() => regs.write8(0, 256))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => regs.write64(0, 1 as unknown as bigint))).toBe('ERR_INVALID_ARG_TYPE');
    regs.write32(0x20, ~0x0f); // a negative int32 (JavaScript's ~) is taken as its 32-bit pattern
    expect(regs.read32(0x20)).toBe(0xfffffff0);
    const ro = simWindow(bus, 0x4000, 0x100, { writable: false });
    expect(ro.writable).toBe(false);
    expect(codeOf(() => ro.write32(0, 1))).toBe('ERR_MMAPKIT_READ_ONLY');
  });

  it('a window over unmapped space raises bus errors on access', () => {
    const bus = new SimBus();
    const regs = simWindow(bus, 0x5000_0000, 0x1000);
    expect(codeOf(() => regs.read32(0))).toBe('ERR_MMAPKIT_BUS_ERROR');
  });

  it('a device window reaches a device without a bus', () => {
    const sched = new SimScheduler();
    const uart = new SimUart(sched);
    const regs = simDeviceWindow(uart, sched);
    expect(regs.read32(0x08)).toBe(1);
    expect(regs.read8(0x08)).toBe(1);
    expect(codeOf(() => regs.write8(0x08, 1))).toBe('ERR_MMAPKIT_BUS_ERROR');
  });

  it('a memory view allows unaligned loads and stores', () => {
    const bus = new SimBus();
    bus.addRam(0, 0x100);
    const mem = simMemoryView(bus, 0x10, 0x20);
    mem.store32(3, 0x01020304);
    expect(mem.load32(3)).toBe(0x01020304);
    expect(bus.read8(0x13)).toBe(0x04);
    expect(codeOf(() => mem.load8(0x20))).toBe('ERR_OUT_OF_RANGE');
  });
});

describe('RegisterIO as a bus device', () => {
  it('maps any RegisterIO implementation as a 32-bit device region', () => {
    const words = new Uint32Array(4);
    const io: RegisterIO = {
      size: 16,
      writable: true,
      read8: () => {
        throw new Error('unused');
      },
      read16: () => {
        throw new Error('unused');
      },
      read32: (o) => words[o / 4],
      read64: () => {
        throw new Error('unused');
      },
      write8: () => {
        throw new Error('unused');
      },
      write16: () => {
        throw new Error('unused');
      },
      write32: (o, v) => {
        words[o / 4] = v;
      },
      write64: () => {
        throw new Error('unused');
      },
    };
    const bus = new SimBus();
    bus.mapRegisterIO(0x3f20_0000, io, { name: 'regs' });
    bus.write32(0x3f20_0004, 0x12345678);
    expect(words[1]).toBe(0x12345678);
    expect(bus.read32(0x3f20_0004)).toBe(0x12345678);
    expect(codeOf(() => bus.read8(0x3f20_0004))).toBe('ERR_MMAPKIT_BUS_ERROR');
    const dev = simRegisterIODevice(io, 'x', { sizes: [4], other: 'split' });
    expect(dev.read(0, 4)).toBe(0);
  });
});

describe('SimScheduler', () => {
  it('runs events in time order, ties in scheduling order, and is reproducible per seed', () => {
    const s = new SimScheduler({ seed: 7 });
    const order: string[] = [];
    s.after(20, () => order.push('b'));
    s.after(10, () => order.push('a'));
    s.after(20, () => order.push('c'));
    const ev = s.after(15, () => order.push('x'));
    ev.cancel();
    expect(s.advance(19)).toBe(1);
    expect(order).toEqual(['a']);
    s.advance(1);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(s.now).toBe(20);
    const draws = (seed: number) => {
      const r = new SimScheduler({ seed }).random;
      return [r.nextU32(), r.nextU32(), r.int(0, 9)];
    };
    expect(draws(3)).toEqual(draws(3));
    expect(draws(3)).not.toEqual(draws(4));
  });

  it('runUntil stops when the condition holds or no event is left', () => {
    const s = new SimScheduler();
    let n = 0;
    const tick = (): void => {
      n++;
      if (n < 5) s.after(100, tick);
    };
    s.after(100, tick);
    expect(s.runUntil(() => n === 3)).toBe(true);
    expect(s.now).toBe(300);
    expect(s.runUntil(() => n === 99)).toBe(false);
    expect(n).toBe(5);
  });
});

describe('the simulator refuses bad arguments with a code, before reading them', () => {
  it('a Buffer over a protected page or past the end of a truncated file, passed anywhere a number or bytes go, gives a coded error (child process: no SIGSEGV/SIGBUS)', () => {
    const dir = tempDir('mmapkit-sim-args-');
    const file = path.join(dir, 'trunc.bin');
    const script = `
      const fs = require('node:fs');
      const outcome = (f) => { try { const v = f(); return v === undefined ? 'ok' : String(v); } catch (e) { return e.code ?? ('uncoded ' + e.message); } };
      const m = mk.mapAnonymous(8192);
      m.write(0, '12,34\\n');
      m.protect('none', 4096, 4096);
      const prot = m.buffer;
      const file = process.argv[process.argv.length - 1];
      fs.writeFileSync(file, Buffer.alloc(8192, 0x31));
      const f = mk.mapFile(file, { mode: 'readwrite' });
      fs.truncateSync(file, 10);
      const trunc = f.buffer;
      const res = {};
      
for (const [tag, bad] of [['prot', prot], ['trunc', trunc]]) {
  const s = new mk.SimScheduler();
  const bus = new mk.SimBus({ scheduler: s });
  bus.addRam(0x8000_0000, 0x1000);
  const uart = new mk.SimUart(s);
  const gpio = new mk.SimBcm2711Gpio();
  const rp1 = new mk.SimRp1Gpio();
  const cpu = new mk.SimCpu(bus);
  const ports = new mk.SimPortSpace();
  const kbc = new mk.SimKeyboardController(s);
  const rtc = new mk.SimCmosRtc(s);
  const edu = new mk.SimEdu(s);
  const cases = {
    simHex: () => mk.simHex(bad),
    simNormalize: () => mk.simNormalize(bad, 4),
    simLanes: () => mk.simLanes(bad, 4),
    randomInt: () => new mk.SimRandom(1).int(bad, 5),
    advance: () => s.advance(bad),
    runUntilTime: () => s.runUntilTime(bad),
    busRead: () => bus.read32(bad),
    busWrite: () => bus.write32(0x8000_0000, bad),
    addRam: () => bus.addRam(0x9000_0000, bad),
    regionAt: () => bus.regionAt(bad),
    ramWrite: () => new mk.SimRam('r', 16).write(0, bad, 4),
    uartFeed: () => uart.feed(bad),
    uartRegisterName: () => uart.registerName(bad),
    uartRead: () => uart.read(bad, 4),
    eduWrite: () => edu.write(8, bad, 4),
    cpuRead: () => cpu.read(bad, 4),
    cpuWrite: () => cpu.write(0x8000_0000, bad, 4),
    portsOut: () => ports.outb(0x80, bad),
    kbcPressKey: () => kbc.pressKey([bad]),
    rtcWrite: () => rtc.write(1, bad, 1),
    rtcReadRegister: () => rtc.readRegister(bad),
    gpioRead32: () => gpio.read32(bad),
    gpioLevel: () => gpio.level(bad),
    gpioAttachPull: () => gpio.attachPull(3, bad),
    rp1Write32: () => rp1.write32(0, bad),
    rp1Drive: () => rp1.drive(3, bad),
    raspberryPi: () => mk.simRaspberryPi(bad),
    formatTransaction: () => mk.simFormatTransaction(bad),
    formatTime: () => mk.simFormatTime(bad),
  };
  for (const [k, fn] of Object.entries(cases)) res[\`\${tag} \${k}\`] = outcome(fn);
}

      console.log(JSON.stringify(res));
    `;
    const r = runNode(script, { args: [file] });
    expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    const out = JSON.parse(r.stdout.trim().split('\n').pop() as string) as Record<string, string>;
    expect(Object.keys(out).length).toBe(58);
    for (const [k, v] of Object.entries(out)) {
      const want = k === 'prot uartFeed' ? 'ERR_MMAPKIT_PROTECTED' : k === 'trunc uartFeed' ? 'ERR_MMAPKIT_SIGBUS' : 'ERR_INVALID_ARG_TYPE';
      expect([k, v]).toEqual([k, want]);
    }
  });

  it('wrong types are ERR_INVALID_ARG_TYPE naming the argument; BigInts, symbols and objects are never coerced', () => {
    const s = new SimScheduler();
    const bus = new SimBus({ scheduler: s });
    bus.addRam(0x8000_0000, 0x1000);
    expect(failure(() => simHex({ toString: () => 'x' } as never))).toEqual({
      code: 'ERR_INVALID_ARG_TYPE',
      message: 'The "value" argument must be of type number or bigint. Received an instance of Object',
    });
    expect(failure(() => simHex(1.5))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(failure(() => simNormalize(NaN, 8))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(failure(() => simNormalize(1, 3 as never))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(failure(() => simLanes(Symbol('x') as never, 4))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => simFromLanes([1, 2, 3]))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(failure(() => new SimRandom(1).int(1n as never, 5))).toEqual({
      code: 'ERR_INVALID_ARG_TYPE',
      message: 'The "min" argument must be of type number. Received type bigint (1n)',
    });
    expect(failure(() => s.advance(5n as never))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => s.after(1, 'nope' as never))).toEqual({
      code: 'ERR_INVALID_ARG_TYPE',
      message: 'The "fn" argument must be of type function. Received type string (\'nope\')',
    });
    expect(failure(() => s.runUntil(() => false, -1))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(failure(() => bus.read(0x8000_0000, 4, 7 as never))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => bus.write32(0x8000_0000, Infinity))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(failure(() => bus.regionAt(1n as never))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => bus.map(0, {} as never))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => bus.map(0, new SimUart(s), { priority: '1' as never }))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => bus.unmap({} as never))).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(failure(() => new SimBus({ scheduler: {} as never }))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => new SimBus({ bogus: 1 } as never))).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(failure(() => new SimUart({} as never))).toEqual({
      code: 'ERR_INVALID_ARG_TYPE',
      message: 'The "scheduler" argument must be an instance of SimScheduler. Received an instance of Object',
    });
    expect(failure(() => new SimRam('r', 4).read(2, 4))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(failure(() => new SimBusError(0, 4, 'read', {} as never))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => new SimIrqLine('irq').set(1 as never))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => new SimIrqLine('irq').onChange(null as never))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => simWindow({} as never, 0, 4))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => simWindow(bus, 0, 4, { accessNs: '1' as never }))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => simDeviceWindow(new SimUart(s), {} as never))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => simFormatTransaction({} as never))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => simTransactionJSON(null as never))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => simFormatTime('1' as never))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => simRegisterIODevice({} as never, 'x'))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => new SimCpu({} as never))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => new SimCpu(bus, { lingerNs: [0n, 5n] as never }))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(failure(() => new SimPortSpace({ accessNs: Infinity }))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(failure(() => new SimPortSpace().rangeAt('0x60' as never))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => new SimKeyboardController(s).pressKey(['a'] as never))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => new SimCmosRtc(s, { start: new Date(NaN) }))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => new SimCmosRtc(s).writeRegister(0x80, 1))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(failure(() => new SimEdu(s, { dmaMask: 5 as never }))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(failure(() => new SimNetDevice(s, {} as never))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('describing a wrong value runs none of its code: no constructor getter, no name that is an object', () => {
    const hostile = {
      get constructor() {
        throw new Error('getter ran');
      },
    };
    expect(failure(() => simHex(hostile as never))).toEqual({
      code: 'ERR_INVALID_ARG_TYPE',
      message: 'The "value" argument must be of type number or bigint. Received an object',
    });
    const named = {
      constructor: {
        name: {
          toString() {
            throw new Error('toString ran');
          },
        },
      },
    };
    expect(failure(() => simHex(named as never))).toEqual({
      code: 'ERR_INVALID_ARG_TYPE',
      message: 'The "value" argument must be of type number or bigint. Received an object',
    });
    const fn = () => 1;
    Object.defineProperty(fn, 'name', {
      get() {
        throw new Error('name ran');
      },
    });
    expect(failure(() => simHex(fn as never))).toEqual({
      code: 'ERR_INVALID_ARG_TYPE',
      message: 'The "value" argument must be of type number or bigint. Received function (anonymous)',
    });
    expect(failure(() => simHex(Buffer.from('secret') as never))).toEqual({
      code: 'ERR_INVALID_ARG_TYPE',
      message: 'The "value" argument must be of type number or bigint. Received an instance of Buffer',
    });
  });

  it('unbounded sizes are refused with ERR_OUT_OF_RANGE stating the limit', () => {
    const bus = new SimBus();
    expect(failure(() => bus.addRam(0, 2 ** 31))).toEqual({
      code: 'ERR_OUT_OF_RANGE',
      message: `The value of "size" is out of range. It must be a positive integer no larger than ${SIM_MAX_RAM} (1 GiB). Received ${2 ** 31}`,
    });
    expect(failure(() => createSimMachine({ ramSize: 2 ** 40 }))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(failure(() => bus.startTrace(1e12))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(failure(() => new SimTrace(-1))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(failure(() => bus.master('dma').readBytes(0, 2 ** 40))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(failure(() => new SimUart(new SimScheduler()).feed(new Array(SIM_MAX_FEED_TEST + 1).fill(0)))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });
});

function failure(fn: () => unknown): { code?: string; message: string } | 'no error' {
  try {
    fn();
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message };
  }
  return 'no error';
}

const SIM_MAX_FEED_TEST = 16 * 1024 * 1024;
