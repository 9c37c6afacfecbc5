import { describe, expect, it } from 'vitest';
import { SimBus, SimUart, SIM_UART_BASE, SIM_UART_BYTE_NS, simWindow } from '../lib/sim';
import { uartGetc, uartPutc, uartWrite, UART_DEFAULT_MAX_POLLS, UART_STATUS, UART_TX_EMPTY } from '../lib/drivers/uart';
import type { RegisterIO } from '../lib/interfaces';
import { runNode } from './support/helpers';

function board() {
  const bus = new SimBus({ seed: 1 });
  const uart = new SimUart(bus.scheduler);
  bus.map(SIM_UART_BASE, uart);
  const regs = simWindow(bus, SIM_UART_BASE, 0x1000);
  return { bus, uart, regs, sched: bus.scheduler };
}

describe('SimUart registers', () => {
  it('has the documented reset values', () => {
    const { regs } = board();
    expect(regs.read32(0x04)).toBe(0x20); // tx empty, nothing received
    expect(regs.read32(0x08)).toBe(0x01); // enabled, interrupts off
    expect(regs.read32(0x0c)).toBe(1);
    expect(regs.read32(0x00)).toBe(0); // empty receive FIFO reads 0
  });

  it('STATUS[0] follows the receive FIFO and DATA pops it in order', () => {
    const { regs, uart } = board();
    uart.feed('hi');
    expect(regs.read32(0x04) & 1).toBe(1);
    expect(regs.read32(0x00)).toBe(0x68);
    expect(regs.read32(0x04) & 1).toBe(1);
    expect(regs.read32(0x00)).toBe(0x69);
    expect(regs.read32(0x04) & 1).toBe(0);
  });

  it('transmits a byte in divisor × 86.8 µs of simulated time', () => {
    const { regs, uart, sched } = board();
    regs.write32(0x0c, 4);
    const start = sched.now;
    regs.write32(0x00, 0x41);
    sched.runUntil(() => uart.transmitted.length === 1);
    expect(uart.output).toBe('A');
    expect(uart.transmitted[0].time - start).toBe(4 * SIM_UART_BYTE_NS);
  });

  it('clears STATUS[5] while a byte waits behind the one shifting out', () => {
    const { regs, uart, sched } = board();
    regs.write32(0x00, 0x31); // goes straight into the shifter
    expect(regs.read32(0x04) & 0x20).toBe(0x20);
    regs.write32(0x00, 0x32); // waits in the FIFO
    expect(regs.read32(0x04) & 0x20).toBe(0);
    sched.advance(SIM_UART_BYTE_NS);
    expect(regs.read32(0x04) & 0x20).toBe(0x20);
    sched.runAll();
    expect(uart.output).toBe('12');
  });

  it('drops bytes written into a full FIFO and logs a guest error', () => {
    const { regs, uart, bus } = board();
    for (let i = 0; i < 20; i++) regs.write32(0x00, 0x61 + i);
    expect(uart.txOverruns).toBe(3); // 1 shifting + 16 queued
    expect(uart.guestErrors.length).toBe(3);
    expect(bus.guestErrors.length).toBe(3);
  });

  it('CTRL.ENABLE stops the transmitter, BAUD 0 stops it too', () => {
    const { regs, uart, sched } = board();
    regs.write32(0x08, 0);
    regs.write32(0x00, 0x41);
    sched.advance(10 * SIM_UART_BYTE_NS);
    expect(uart.output).toBe('');
    regs.write32(0x0c, 0);
    regs.write32(0x08, 1);
    sched.advance(10 * SIM_UART_BYTE_NS);
    expect(uart.output).toBe('');
    regs.write32(0x0c, 1);
    sched.runAll();
    expect(uart.output).toBe('A');
  });

  it('raises its interrupt line only when CTRL.IRQ_ENABLE is set', () => {
    const { regs, uart } = board();
    expect(uart.irq.level).toBe(false);
    regs.write32(0x08, 0x3); // tx empty now asserts the line
    expect(uart.irq.level).toBe(true);
    regs.write32(0x08, 0x1);
    expect(uart.irq.level).toBe(false);
    expect(uart.irq.raises).toBe(1);
  });

  it('logs unknown offsets as guest errors and reads them as 0', () => {
    const { regs, uart } = board();
    expect(regs.read32(0x40)).toBe(0);
    regs.write32(0x04, 1);
    expect(uart.guestErrors.map((e) => e.message)).toEqual(['read of unknown register at offset 0x40', 'write of 0x00000001 to read-only STATUS ignored']);
  });
});

describe("the seed's uart_putc loop on the simulated UART", () => {
  it('prints a string and writes DATA only when STATUS[5] is set', () => {
    const { bus, uart, regs, sched } = board();
    const trace = bus.startTrace();
    const polls = uartWrite(regs, 'Hello, UART!\n');
    sched.runAll();
    bus.stopTrace();
    expect(uart.output).toBe('Hello, UART!\n');
    expect(uart.txOverruns).toBe(0);
    // Every DATA store is preceded by a STATUS load that had bit 5 set.
    const recs = trace.records;
    let dataWrites = 0;
    recs.forEach((r, i) => {
      if (r.kind === 'write' && r.register === 'DATA') {
        dataWrites++;
        const prev = recs[i - 1];
        expect(prev.register).toBe('STATUS');
        expect(prev.kind).toBe('read');
        expect(Number(prev.value) & UART_TX_EMPTY).toBe(UART_TX_EMPTY);
      }
    });
    expect(dataWrites).toBe(13);
    // The first byte goes straight to the shifter and the second waits in the FIFO; each of the
    // other eleven waited about one byte time of 100 ns polls.
    const perByte = Math.floor(SIM_UART_BYTE_NS / 100);
    expect(polls).toBeGreaterThan(11 * (perByte - 2));
    expect(polls).toBeLessThan(11 * (perByte + 2) + 2);
    expect(recs.filter((r) => r.register === 'STATUS').length).toBe(polls);
  });

  it('is the same code on any RegisterIO: putc gives up after maxPolls with ERR_MMAPKIT_TIMEOUT', () => {
    const { regs } = board();
    regs.write32(0x0c, 0); // transmitter stopped
    regs.write32(0x00, 0x41);
    regs.write32(0x00, 0x42);
    expect(regs.read32(UART_STATUS) & UART_TX_EMPTY).toBe(0);
    let code: string | undefined;
    try {
      uartPutc(regs, 'C', { maxPolls: 1000 });
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    expect(code).toBe('ERR_MMAPKIT_TIMEOUT');
  });

  it('uartGetc reads a byte only when STATUS[0] is set', () => {
    const { regs, uart } = board();
    expect(uartGetc(regs)).toBeUndefined();
    uart.feed([0x7a]);
    expect(uartGetc(regs)).toBe(0x7a);
    expect(uartGetc(regs)).toBeUndefined();
  });
});

describe('SimUart: the bytes fed are checked before they are read', () => {
  it('feed takes a string, a Uint8Array or byte numbers; anything else is ERR_INVALID_ARG_TYPE, a detached buffer ERR_MMAPKIT_CLOSED', () => {
    const { uart } = board();
    uart.feed(new Uint8Array([0x41]));
    uart.feed([0x42, -1]);
    expect(uart.read(0, 4)).toBe(0x41);
    expect(uart.read(0, 4)).toBe(0x42);
    expect(uart.read(0, 4)).toBe(0xff);
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return (err as { code?: string }).code;
      }
      return 'no error';
    };
    expect(code(() => uart.feed(42 as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => uart.feed(new Uint16Array(2) as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => uart.feed([1, 2n] as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => uart.feed([256]))).toBe('ERR_OUT_OF_RANGE');
    const ab = new ArrayBuffer(8);
    const view = new Uint8Array(ab);
    structuredClone(ab, { transfer: [ab] });
    expect(code(() => uart.feed(view))).toBe('ERR_MMAPKIT_CLOSED');
    expect(code(() => uart.registerName('0' as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => uart.write(0, {} as never, 4))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => new SimUart(bus0().scheduler, { size: 2 ** 40 }))).toBe('ERR_OUT_OF_RANGE');
  });
});

function bus0() {
  return new SimBus();
}

describe('uart driver arguments and bounds', () => {
  function codeOf(fn: () => unknown): string | undefined {
    try {
      fn();
    } catch (err) {
      return (err as { code?: string }).code;
    }
    return undefined;
  }

  it('checks regs, the byte and the options by type before any register access', () => {
    const { regs, bus } = board();
    const trace = bus.startTrace();
    expect(codeOf(() => uartPutc(null as unknown as RegisterIO, 'a'))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => uartGetc({} as RegisterIO))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => uartWrite(new Uint8Array(4) as unknown as RegisterIO, 'a'))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => uartPutc(regs, 1n as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => uartPutc(regs, ''))).toBe('ERR_INVALID_ARG_VALUE');
    expect(codeOf(() => uartPutc(regs, 1.5))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => uartPutc(regs, 'a', null as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => uartPutc(regs, 'a', { maxPolls: 0 }))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => uartPutc(regs, 'a', { maxPolls: 4294967297 }))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => uartPutc(regs, 'a', { maxPolls: true as unknown as number }))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => uartWrite(regs, null as unknown as string))).toBe('ERR_INVALID_ARG_TYPE');
    bus.stopTrace();
    expect(trace.records.length).toBe(0);
  });

  it('without maxPolls a transmitter that never empties gives ERR_MMAPKIT_TIMEOUT after 1 000 000 STATUS reads', () => {
    const { regs } = board();
    regs.write32(0x0c, 0); // transmitter stopped
    regs.write32(0x00, 0x41);
    regs.write32(0x00, 0x42);
    let err: (Error & { code?: string }) | undefined;
    try {
      uartPutc(regs, 'C');
    } catch (e) {
      err = e as Error & { code?: string };
    }
    expect(err?.code).toBe('ERR_MMAPKIT_TIMEOUT');
    expect(err?.message).toBe(`UART transmitter still busy after ${UART_DEFAULT_MAX_POLLS} STATUS reads`);
    expect(UART_DEFAULT_MAX_POLLS).toBe(1_000_000);
  });

  it('uartWrite sends a Uint8Array; bytes of a protected or detached buffer are an error, not a signal (child process)', () => {
    const { regs, uart, sched } = board();
    uartWrite(regs, new Uint8Array([0x68, 0x69]));
    sched.runAll();
    expect(uart.output).toBe('hi');
    const r = runNode(`
      const bus = new mk.SimBus({ seed: 1 });
      bus.map(mk.SIM_UART_BASE, new mk.SimUart(bus.scheduler));
      const regs = mk.simWindow(bus, mk.SIM_UART_BASE, 0x1000);
      const codes = [];
      const m = mk.mapAnonymous(8192);
      const b = m.buffer;
      m.protect('none', 4096, 4096);
      try { mk.uartWrite(regs, b.subarray(4000, 4200)); codes.push('returned'); } catch (e) { codes.push(e.code); }
      const t = new Uint8Array(16);
      structuredClone(t.buffer, { transfer: [t.buffer] });
      try { mk.uartWrite(regs, t); codes.push('returned'); } catch (e) { codes.push(e.code); }
      console.log(JSON.stringify(codes));
    `);
    expect(r.signal).toBeNull();
    expect(JSON.parse(r.stdout)).toEqual(['ERR_MMAPKIT_PROTECTED', 'ERR_MMAPKIT_CLOSED']);
  });
});
