import { describe, expect, it } from 'vitest';
import { SimCmosRtc, SimKeyboardController, SimPortSpace, SimPostPort, createSimMachine, SIM_SCANCODES_SET1 } from '../lib/sim';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

// The CMOS driver the QEMU x86 guest runs through /dev/port, written once against PortIO.
import { cmosRead, cmosSecondsRaw as cmosSeconds, cmosSeconds as cmosSecondsDecoded } from '../lib/drivers/cmos';
import type { PortIO } from '../lib/interfaces';

describe('SimPortSpace', () => {
  it('unassigned ports read all ones and ignore writes, as on a PC', () => {
    const ports = new SimPortSpace();
    expect(ports.inb(0x3f8)).toBe(0xff);
    expect(ports.inw(0x3f8)).toBe(0xffff);
    expect(ports.inl(0x3f8)).toBe(0xffffffff);
    ports.outb(0x3f8, 0x41);
  });

  it('validates ports and values like the native Ports', () => {
    const ports = new SimPortSpace();
    expect(codeOf(() => ports.inb(0x10000))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => ports.inw(0xffff))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => ports.outb(0x80, 256))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => ports.inb('x' as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
  });

  it('refuses overlapping devices', () => {
    const ports = new SimPortSpace();
    ports.map(0x80, new SimPostPort(ports.scheduler));
    expect(codeOf(() => ports.map(0x80, new SimPostPort(ports.scheduler)))).toBe('ERR_INVALID_ARG_VALUE');
  });

  it('splits a wide access to byte-wide devices into consecutive byte accesses', () => {
    const m = createSimMachine();
    m.ports.outw(0x70, (0xa5 << 8) | 0x40); // 0x70 <- 0x40 (index), then 0x71 <- 0xa5 (data)
    expect(m.cmos.readRegister(0x40)).toBe(0xa5);
    m.ports.outb(0x70, 0x40);
    expect(m.ports.inb(0x71)).toBe(0xa5);
    // inw at 0x70: port 0x70 reads all ones (index port is write-only), 0x71 the data.
    expect(m.ports.inw(0x70)).toBe(0xa5ff);
  });

  it('traces port transactions with lanes', () => {
    const m = createSimMachine();
    const trace = m.ports.startTrace();
    m.ports.outb(0x80, 0x42);
    m.ports.inb(0x64);
    m.ports.stopTrace();
    expect(trace.records.map((r) => [r.space, r.kind, r.address, r.target])).toEqual([
      ['io', 'write', 0x80, 'post'],
      ['io', 'read', 0x64, 'kbc'],
    ]);
    expect(trace.format()).toMatch(/outb 0x0080 = 0x42/);
  });

  it('each in/out takes 1 µs of simulated time', () => {
    const m = createSimMachine();
    const t0 = m.scheduler.now;
    m.ports.inb(0x80);
    m.ports.outb(0x80, 1);
    expect(m.scheduler.now - t0).toBe(2000);
  });
});

describe('POST port 0x80', () => {
  it('records every code written and reads all ones', () => {
    const m = createSimMachine();
    m.ports.outb(0x80, 0x12);
    m.ports.outb(0x80, 0x34);
    expect(m.post.codes.map((c) => c.code)).toEqual([0x12, 0x34]);
    expect(m.post.last).toBe(0x34);
    expect(m.ports.inb(0x80)).toBe(0xff);
  });
});

describe('CMOS clock 0x70/0x71', () => {
  it('reads the seconds twice 1.1 s of simulated time apart and sees them change (the /dev/port check)', () => {
    const m = createSimMachine();
    const first = cmosSeconds(m.ports);
    m.scheduler.advance(1.1e9); // the guest sleeps 1100 ms
    const second = cmosSeconds(m.ports);
    expect(second).not.toBe(first);
    for (const v of [first, second]) {
      expect(v >> 4).toBeLessThan(6); // BCD
      expect(v & 0xf).toBeLessThan(10);
    }
  });

  it('the CMOS driver decodes BCD seconds and follows simulated time', () => {
    const m = createSimMachine({ cmosStart: new Date(Date.UTC(2026, 10, 25, 13, 59, 58)) });
    expect(cmosSecondsDecoded(m.ports)).toBe(58);
    m.scheduler.advance(1.1e9);
    expect(cmosSecondsDecoded(m.ports)).toBe(59);
    m.scheduler.advance(1e9);
    expect(cmosSecondsDecoded(m.ports)).toBe(0);
  });

  it('reports the start date in BCD, 24-hour mode, and counts simulated time', () => {
    const m = createSimMachine({ cmosStart: new Date(Date.UTC(2026, 10, 25, 13, 59, 58)) });
    const reg = (r: number) => {
      m.ports.outb(0x70, r);
      return m.ports.inb(0x71);
    };
    expect([reg(0x09), reg(0x08), reg(0x07), reg(0x04), reg(0x02), reg(0x00), reg(0x32)]).toEqual([0x26, 0x11, 0x25, 0x13, 0x59, 0x58, 0x20]);
    expect(reg(0x06)).toBe(0x04); // Wednesday (Sunday = 1)
    expect(reg(0x0b)).toBe(0x02);
    expect(reg(0x0d)).toBe(0x80);
    m.scheduler.advance(2e9);
    expect([reg(0x04), reg(0x02), reg(0x00)]).toEqual([0x14, 0x00, 0x00]);
  });

  it('honours binary mode and 12-hour mode from register B', () => {
    const m = createSimMachine({ cmosStart: new Date(Date.UTC(2026, 0, 1, 15, 7, 30)) });
    const reg = (r: number) => {
      m.ports.outb(0x70, r);
      return m.ports.inb(0x71);
    };
    m.ports.outb(0x70, 0x0b);
    m.ports.outb(0x71, 0x06); // binary, 24h
    expect(reg(0x00)).toBe(30);
    expect(reg(0x04)).toBe(15);
    m.ports.outb(0x70, 0x0b);
    m.ports.outb(0x71, 0x00); // BCD, 12h
    expect(reg(0x04)).toBe(0x80 | 0x03);
  });

  it('sets the clock through the time registers', () => {
    const m = createSimMachine();
    m.ports.outb(0x70, 0x0b);
    m.ports.outb(0x71, 0x82); // SET: freeze
    m.ports.outb(0x70, 0x04);
    m.ports.outb(0x71, 0x21); // 21:00 BCD
    m.scheduler.advance(5e9);
    m.ports.outb(0x70, 0x00);
    expect(m.ports.inb(0x71)).toBe(0x00); // frozen while SET
    m.ports.outb(0x70, 0x0b);
    m.ports.outb(0x71, 0x02);
    m.scheduler.advance(3e9);
    expect(m.cmos.time.toISOString()).toBe('2026-01-01T21:00:03.000Z');
  });

  it('sets UIP in the last 244 µs of each second', () => {
    const sched = createSimMachine().scheduler;
    const rtc = new SimCmosRtc(sched);
    expect(rtc.readRegister(0x0a) & 0x80).toBe(0);
    sched.advance(1e9 - 100_000);
    expect(rtc.readRegister(0x0a) & 0x80).toBe(0x80);
    sched.advance(200_000);
    expect(rtc.readRegister(0x0a) & 0x80).toBe(0);
  });

  it('keeps the NMI-disable bit apart from the index; the index port reads all ones', () => {
    const m = createSimMachine();
    m.ports.outb(0x70, 0x80 | 0x40);
    m.ports.outb(0x71, 0x77);
    expect(m.cmos.nmiDisabled).toBe(true);
    expect(m.cmos.readRegister(0x40)).toBe(0x77);
    expect(m.ports.inb(0x70)).toBe(0xff);
  });
});

describe('keyboard controller 0x60/0x64', () => {
  function kbc() {
    const ports = new SimPortSpace();
    const k = new SimKeyboardController(ports.scheduler);
    ports.map(0x60, k);
    return { ports, k };
  }

  it('a key press fills the output buffer: status bit 0, then inb 0x60 reads the scancode', () => {
    const { ports, k } = kbc();
    expect(ports.inb(0x64) & 1).toBe(0);
    k.typeText('a');
    expect(ports.inb(0x64) & 1).toBe(1);
    expect(k.irq1.level).toBe(true);
    expect(ports.inb(0x60)).toBe(SIM_SCANCODES_SET1.a);
    expect(ports.inb(0x60)).toBe(0x9e); // break code
    expect(ports.inb(0x64) & 1).toBe(0);
    expect(k.irq1.level).toBe(false);
  });

  it('answers controller commands: self test, port test, configuration byte', () => {
    const { ports } = kbc();
    ports.outb(0x64, 0xaa);
    expect(ports.inb(0x64) & 0x09).toBe(0x09); // OBF, last write was a command
    expect(ports.inb(0x60)).toBe(0x55);
    ports.outb(0x64, 0xab);
    expect(ports.inb(0x60)).toBe(0x00);
    ports.outb(0x64, 0x20);
    expect(ports.inb(0x60)).toBe(0x47);
    ports.outb(0x64, 0x60);
    ports.outb(0x60, 0x46); // keyboard interrupt off
    ports.outb(0x64, 0x20);
    expect(ports.inb(0x60)).toBe(0x46);
  });

  it('passes data bytes to the keyboard: reset, identify, echo, LEDs', () => {
    const { ports, k } = kbc();
    const read = (n: number) => Array.from({ length: n }, () => ports.inb(0x60));
    ports.outb(0x60, 0xff);
    expect(read(2)).toEqual([0xfa, 0xaa]);
    ports.outb(0x60, 0xf2);
    expect(read(3)).toEqual([0xfa, 0xab, 0x83]);
    ports.outb(0x60, 0xee);
    expect(read(1)).toEqual([0xee]);
    ports.outb(0x60, 0xed);
    ports.outb(0x60, 0x04);
    expect(read(2)).toEqual([0xfa, 0xfa]);
    expect(k.ledState).toBe(4);
  });

  it('disabling the keyboard drops key presses; 0xFE pulses reset', () => {
    const { ports, k } = kbc();
    ports.outb(0x64, 0xad);
    k.typeText('q');
    expect(ports.inb(0x64) & 1).toBe(0);
    ports.outb(0x64, 0xae);
    k.typeText('q');
    expect(ports.inb(0x60)).toBe(0x10);
    ports.outb(0x64, 0xfe);
    expect(k.resetPulses).toBe(1);
  });

  it('0xD3 puts a mouse byte in the buffer: status bit 5 and IRQ12', () => {
    const { ports, k } = kbc();
    ports.outb(0x64, 0xd3);
    ports.outb(0x60, 0x08);
    expect(ports.inb(0x64) & 0x21).toBe(0x21);
    expect(k.irq12.level).toBe(true);
    expect(ports.inb(0x60)).toBe(0x08);
  });
});

describe('CMOS driver arguments and bounds', () => {
  it('a port space with no clock (status A reads 0xff) gives ERR_MMAPKIT_TIMEOUT after maxTries reads', () => {
    const ports = new SimPortSpace();
    let err: (Error & { code?: string }) | undefined;
    try {
      cmosSecondsDecoded(ports);
    } catch (e) {
      err = e as Error & { code?: string };
    }
    expect(err?.code).toBe('ERR_MMAPKIT_TIMEOUT');
    expect(err?.message).toBe('CMOS clock still updating (status A bit 7 set) after 1000 reads');
    expect(codeOf(() => cmosSecondsDecoded(ports, 0))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => cmosSecondsDecoded(ports, 2 ** 53))).toBe('ERR_OUT_OF_RANGE');
  });

  it('ports must be a PortIO and reg an integer 0–255', () => {
    const m = createSimMachine();
    expect(codeOf(() => cmosRead(null as unknown as PortIO, 0))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => cmosRead({} as PortIO, 0))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => cmosSeconds({ outb: 1 } as unknown as PortIO))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => cmosRead(m.ports, 8999n as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => cmosRead(m.ports, 256))).toBe('ERR_OUT_OF_RANGE');
    expect(cmosRead(m.ports, 0x8a)).toBe(cmosRead(m.ports, 0x0a)); // bit 7 (NMI mask) is left clear
  });
});
