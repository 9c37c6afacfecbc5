import { describe, expect, it } from 'vitest';
import { SimBus, SimCpu, SimUart, SIM_UART_BASE } from '../lib/sim';

function machine(seed = 1, model: 'arm' | 'tso' = 'arm') {
  const bus = new SimBus({ seed });
  const ram = bus.addRam(0x8000_0000, 0x1000);
  const uart = new SimUart(bus.scheduler);
  bus.map(SIM_UART_BASE, uart);
  const cpu = new SimCpu(bus, { model, lingerNs: [100, 1000] });
  return { bus, ram, uart, cpu, sched: bus.scheduler };
}

describe('SimCpu store buffer', () => {
  it('keeps an ordinary store out of memory until it lingers out, but forwards it to the CPU', () => {
    const { cpu, ram, sched } = machine();
    cpu.store32(0x8000_0000, 0xcafef00d);
    expect(ram.bytes[0]).toBe(0); // not visible to anyone else yet
    expect(cpu.load32(0x8000_0000)).toBe(0xcafef00d); // the CPU sees its own store
    expect(cpu.load8(0x8000_0001)).toBe(0xf0);
    expect(cpu.pendingStores).toHaveLength(1);
    sched.advance(1000);
    expect(cpu.pendingStores).toHaveLength(0);
    expect(ram.bytes[0]).toBe(0x0d);
  });

  it('sends device stores at once, overtaking buffered RAM stores', () => {
    const { cpu, ram, uart, bus } = machine();
    const trace = bus.startTrace();
    cpu.store32(0x8000_0000, 1);
    cpu.store32(SIM_UART_BASE + 0x0c, 7); // BAUD
    expect(uart.read(0x0c, 4)).toBe(7);
    expect(ram.bytes[0]).toBe(0);
    expect(trace.records.map((r) => r.target)).toEqual(['uart']);
  });

  it('under the weak model some seed makes two stores visible out of program order', () => {
    let seen = false;
    for (let seed = 1; seed <= 50 && !seen; seed++) {
      const { cpu, bus, sched } = machine(seed);
      const trace = bus.startTrace();
      cpu.store32(0x8000_0000, 1);
      cpu.store32(0x8000_0100, 2);
      sched.runAll();
      const order = trace.records.map((r) => r.address);
      if (order[0] === 0x8000_0100) {
        seen = true;
        expect(cpu.stats.reordered).toBe(1);
      }
    }
    expect(seen).toBe(true);
  });

  it('never reorders two stores to the same bytes', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const { cpu, ram, sched } = machine(seed);
      cpu.store32(0x8000_0000, 0x11111111);
      cpu.store32(0x8000_0000, 0x22222222);
      sched.runAll();
      expect(ram.bytes[0]).toBe(0x22);
    }
  });

  it('under TSO stores become visible in program order', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const { cpu, bus, sched } = machine(seed, 'tso');
      const trace = bus.startTrace();
      cpu.store32(0x8000_0000, 1);
      cpu.store32(0x8000_0100, 2);
      cpu.store32(0x8000_0200, 3);
      sched.runAll();
      expect(trace.records.map((r) => r.address)).toEqual([0x8000_0000, 0x8000_0100, 0x8000_0200]);
    }
  });

  it('store and full barriers (and dsb) drain the buffer in program order; compiler and load do not', () => {
    const { cpu, ram, bus } = machine(3);
    const trace = bus.startTrace();
    cpu.store32(0x8000_0000, 1);
    cpu.store32(0x8000_0100, 2);
    cpu.barriers.compiler();
    cpu.barriers.load();
    expect(cpu.pendingStores).toHaveLength(2);
    cpu.barriers.store();
    expect(cpu.pendingStores).toHaveLength(0);
    expect(trace.records.map((r) => r.address)).toEqual([0x8000_0000, 0x8000_0100]);
    expect(ram.bytes[0x100]).toBe(2);
    cpu.store8(0x8000_0200, 9);
    cpu.barriers.full();
    expect(ram.bytes[0x200]).toBe(9);
    cpu.store8(0x8000_0201, 8);
    cpu.barriers.dsbSt();
    expect(ram.bytes[0x201]).toBe(8);
    expect(cpu.barriers.counts).toEqual({ compiler: 1, full: 1, store: 1, load: 1, dsbSy: 0, dsbSt: 1 });
  });

  it('a full buffer retires its oldest store first', () => {
    const bus = new SimBus();
    const ram = bus.addRam(0, 0x100);
    const cpu = new SimCpu(bus, { bufferDepth: 2, lingerNs: [10_000, 10_000] });
    cpu.store8(0, 1);
    cpu.store8(1, 2);
    cpu.store8(2, 3);
    expect(Array.from(ram.bytes.subarray(0, 3))).toEqual([1, 0, 0]);
  });

  it('a store to unmapped space is a bus error at once, in program order', () => {
    const { cpu } = machine();
    expect(() => cpu.store32(0x4000_0000, 1)).toThrow(/0x40000000/);
  });

  it('its views advance simulated time by accessNs per access', () => {
    const { cpu, sched } = machine();
    const mem = cpu.memoryView(0x8000_0000, 0x100);
    const t0 = sched.now;
    mem.store32(0, 1);
    mem.load32(0);
    expect(sched.now - t0).toBe(20);
  });
});
