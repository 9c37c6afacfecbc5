import { describe, expect, it } from 'vitest';
import {
  createSimMachine, simDoorbellRun, simUartScenario, simVolatileScenario, simWindow, SIM_UART_BASE,
} from '../lib/sim';
import { uartWrite } from '../lib/drivers/uart';

describe("the seed's volatile lesson", () => {
  it('a loop that caches STATUS spins out; reading through RegisterIO each time sees the change', () => {
    const r = simVolatileScenario({ cap: 20_000 });
    expect(r.ok).toBe(true);
    const cached = r.data.cached as { spunOut: boolean; iterations: number; firstRead: number; deviceReadyAfterNs: number };
    const vol = r.data.volatile as { sawReady: boolean; reads: number; status: number };
    expect(cached.spunOut).toBe(true);
    expect(cached.iterations).toBe(20_000);
    expect(cached.firstRead & 0x20).toBe(0);
    // The device did become ready while the cached loop spun: it just never looked.
    expect(cached.deviceReadyAfterNs).toBeLessThan(20_000 * 100);
    expect(vol.sawReady).toBe(true);
    expect(vol.status & 0x20).toBe(0x20);
    expect(vol.reads).toBeGreaterThan(1);
    expect(vol.reads).toBeLessThan(20_000);
  });
});

describe('reproducibility', () => {
  it('the same seed gives the same trace, event for event', () => {
    const a = simDoorbellRun({ seed: 1234, barrier: false, trace: true });
    const b = simDoorbellRun({ seed: 1234, barrier: false, trace: true });
    expect(a.trace?.toJSON()).toEqual(b.trace?.toJSON());
    const c = simDoorbellRun({ seed: 1235, barrier: false, trace: true });
    expect(c.trace?.toJSON()).not.toEqual(a.trace?.toJSON());
  });

  it('the uart scenario takes the simulated time the divisor says', () => {
    const fast = simUartScenario({ text: 'abcd', divisor: 1 });
    const slow = simUartScenario({ text: 'abcd', divisor: 4 });
    expect(fast.ok && slow.ok).toBe(true);
    expect((slow.data.simulatedNs as number)).toBeGreaterThan(3.5 * (fast.data.simulatedNs as number));
  });
});

describe('createSimMachine', () => {
  it('puts the seed UART, the network device, edu, RAM and the PC ports in place', () => {
    const m = createSimMachine({ seed: 3 });
    expect(m.bus.regions.map((r) => [r.name, r.base])).toEqual([
      ['uart', 0x1000_0000], ['net', 0x1000_1000], ['ram', 0x8000_0000], ['edu', 0xfea0_0000],
    ]);
    expect(m.ports.mapped.map((r) => [r.name, r.base])).toEqual([['kbc', 0x60], ['cmos', 0x70], ['post', 0x80]]);
    uartWrite(simWindow(m.bus, SIM_UART_BASE, 0x1000), 'ok');
    m.scheduler.runAll();
    expect(m.uart.output).toBe('ok');
    expect(m.bus.read32(0xfea0_0000)).toBe(0x010000ed);
  });
});
