// The simulated UIO interrupt (lib/sim/uio.ts) and the edu driver's interrupt-driven factorial on
// the simulated edu: the same driver code as on /dev/uioN (test/hw.edu.test.ts runs it there).
import { describe, expect, it } from 'vitest';
import { EduDriver, EDU_REG, expectedEduFactorial } from '../lib/drivers/edu';
import { SimBus } from '../lib/sim/bus';
import { SimEdu, SIM_EDU_BAR_SIZE } from '../lib/sim/devices/edu';
import { SimIrqLine } from '../lib/sim/device';
import { SIM_EDU_BASE } from '../lib/sim/machine';
import { SimScheduler } from '../lib/sim/scheduler';
import { SimUioInterrupt } from '../lib/sim/uio';
import { simWindow } from '../lib/sim/window';
import { expectCode } from './support/helpers';

function rig() {
  const bus = new SimBus();
  const edu = new SimEdu(bus.scheduler, { dma: bus.master('edu') });
  bus.map(SIM_EDU_BASE, edu);
  const regs = simWindow(bus, SIM_EDU_BASE, SIM_EDU_BAR_SIZE);
  return { bus, edu, regs, irq: edu.uioInterrupt(), driver: new EduDriver(regs) };
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('EduDriver.factorialByInterrupt on the simulated edu', () => {
  it('computes n! for several n with one interrupt each, acknowledging IRQ_STATUS', async () => {
    const { driver, irq, edu, regs } = rig();
    for (const [i, n] of [0, 1, 10, 12, 33, 34].entries()) {
      const r = await driver.factorialByInterrupt(n, irq);
      expect(r).toMatchObject({ n, value: expectedEduFactorial(n), count: i + 1, irqStatus: 1 });
      expect(regs.read32(EDU_REG.IRQ_STATUS)).toBe(0);
      expect(edu.irq.level).toBe(false);
      expect(regs.read32(EDU_REG.STATUS)).toBe(0);
    }
    expect(irq.events).toBe(6);
  });

  it('does not poll: after the start it reads only IRQ_STATUS and FACTORIAL once', async () => {
    const { driver, irq, bus } = rig();
    const trace = bus.startTrace();
    await driver.factorialByInterrupt(10, irq);
    bus.stopTrace();
    const reads = trace.records.filter((r) => r.kind === 'read').map((r) => Number(r.address - SIM_EDU_BASE));
    expect(reads).toEqual([EDU_REG.STATUS, EDU_REG.IRQ_STATUS, EDU_REG.IRQ_STATUS, EDU_REG.FACTORIAL]);
  });

  it('clears a stale interrupt first, refuses to start while busy, and checks its arguments', async () => {
    const { driver, irq, regs } = rig();
    regs.write32(EDU_REG.IRQ_RAISE, 0x100);
    const r = await driver.factorialByInterrupt(5, irq);
    expect(r).toMatchObject({ value: 120, irqStatus: 1 });
    regs.write32(EDU_REG.FACTORIAL, 3); // now busy
    expect((await rejection(driver.factorialByInterrupt(4, irq))).code).toBe('ERR_MMAPKIT_BUSY');
    await expect(driver.factorialByInterrupt(-1, irq)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(driver.factorialByInterrupt(4, {} as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(driver.factorialByInterrupt(4, irq, { every: 1 } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
  });
});

describe('SimUioInterrupt: uio_pci_generic rules on a simulated line', () => {
  function line() {
    const scheduler = new SimScheduler();
    const l = new SimIrqLine('dev.irq');
    return { scheduler, l, irq: new SimUioInterrupt(l, scheduler) };
  }

  it('counts a rising edge, then stays masked until enableInterrupt()', () => {
    const { l, irq } = line();
    expect(irq.takeInterrupt()).toBeUndefined();
    l.set(true);
    expect(irq.masked).toBe(true);
    l.set(false);
    l.set(true); // masked: not counted
    expect(irq.takeInterrupt()).toBe(1);
    expect(irq.takeInterrupt()).toBeUndefined();
    expect(irq.count).toBe(1);
    // Unmasking while the level-triggered line is still high interrupts again at once.
    irq.enableInterrupt();
    expect(irq.takeInterrupt()).toBe(2);
    l.set(false);
    irq.enableInterrupt();
    irq.disableInterrupt();
    l.set(true);
    expect(irq.takeInterrupt()).toBeUndefined();
  });

  it('shows interrupts nobody read as a gap in the count', async () => {
    const { l, irq } = line();
    for (let i = 0; i < 3; i++) {
      irq.enableInterrupt();
      l.set(true);
      l.set(false);
    }
    expect(await irq.waitInterrupt()).toBe(3);
  });

  it('waits by running scheduled events (simulated time jumps to the interrupt)', async () => {
    const { scheduler, l, irq } = line();
    scheduler.after(5_000, () => l.set(true));
    expect(await irq.waitInterrupt()).toBe(1);
    expect(scheduler.now).toBe(5_000);
  });

  it('resolves a pending wait when other code raises the line later', async () => {
    const { l, irq } = line();
    const p = irq.waitInterrupt({ timeout: 5_000 });
    setTimeout(() => l.set(true), 10);
    expect(await p).toBe(1);
  });

  it('times out, aborts, and rejects pending waits on close', async () => {
    const { irq } = line();
    const t = await rejection(irq.waitInterrupt({ timeout: 20 }));
    expect(t.code).toBe('ERR_MMAPKIT_TIMEOUT');
    expect(t.message).toBe('No interrupt from dev.irq within 20 ms');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 10);
    expect((await rejection(irq.waitInterrupt({ signal: ac.signal }))).name).toBe('AbortError');
    expect((await rejection(irq.waitInterrupt({ signal: AbortSignal.abort() }))).name).toBe('AbortError');
    const pending = irq.waitInterrupt();
    irq.close();
    irq.close();
    expect((await rejection(pending)).code).toBe('ERR_MMAPKIT_CLOSED');
    expect((await rejection(irq.waitInterrupt())).code).toBe('ERR_MMAPKIT_CLOSED');
    expectCode(() => irq.enableInterrupt(), Error, 'ERR_MMAPKIT_CLOSED');
  });

  it('iterates: one count per interrupt, re-enabling before each wait, until the signal aborts', async () => {
    const { scheduler, l, irq } = line();
    const seen: number[] = [];
    const ac = new AbortController();
    scheduler.after(100, () => l.set(true));
    for await (const count of irq.interrupts({ reenable: true, signal: ac.signal })) {
      seen.push(count);
      l.set(false);
      if (seen.length === 4) ac.abort();
      else scheduler.after(100, () => l.set(true));
    }
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('checks its arguments', async () => {
    const { scheduler, l, irq } = line();
    expectCode(() => new SimUioInterrupt({} as never, scheduler), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => new SimUioInterrupt(l, scheduler, { label: 'x' } as never), TypeError, 'ERR_INVALID_ARG_VALUE');
    await expect(irq.waitInterrupt({ timeout: -1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(irq.waitInterrupt({ signal: 'x' } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(irq.waitInterrupt({ reenable: 1 } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expectCode(() => irq.interrupts({ nope: 1 } as never), TypeError, 'ERR_INVALID_ARG_VALUE');
  });
});
