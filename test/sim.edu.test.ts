import { describe, expect, it } from 'vitest';
import { SimBus, SimEdu, simWindow, SIM_EDU_BAR_SIZE } from '../lib/sim';
import { EduDriver, expectedEduFactorial } from '../lib/drivers/edu';
import type { RegisterIO } from '../lib/interfaces';

const BAR0 = 0xfea0_0000; // where QEMU's default x86 machine puts it

function board() {
  const bus = new SimBus({ seed: 1 });
  const ram = bus.addRam(0, 0x10_0000);
  const edu = new SimEdu(bus.scheduler, { dma: bus.master('edu') });
  bus.map(BAR0, edu);
  const regs = simWindow(bus, BAR0, SIM_EDU_BAR_SIZE);
  return { bus, ram, edu, regs, sched: bus.scheduler };
}

describe('SimEdu registers (as QEMU 7.2 hw/misc/edu.c)', () => {
  it('0x00 identifies as 0x010000ed and ignores writes', () => {
    const { regs } = board();
    expect(regs.read32(0x00)).toBe(0x010000ed);
    regs.write32(0x00, 0);
    expect(regs.read32(0x00)).toBe(0x010000ed);
  });

  it('0x04 liveness reads 0 at reset, then the inverse of the last write', () => {
    const { regs } = board();
    expect(regs.read32(0x04)).toBe(0);
    regs.write32(0x04, 0x12345678);
    expect(regs.read32(0x04)).toBe(0xedcba987);
    regs.write32(0x04, 0);
    expect(regs.read32(0x04)).toBe(0xffffffff);
  });

  it('0x08 factorial: a write sets STATUS bit 0 for a while, then the result reads back', () => {
    const { regs, sched } = board();
    regs.write32(0x08, 10);
    expect(regs.read32(0x20) & 1).toBe(1);
    expect(regs.read32(0x08)).toBe(10); // still the input while computing
    regs.write32(0x08, 3); // ignored while busy
    sched.runAll();
    expect(regs.read32(0x20) & 1).toBe(0);
    expect(regs.read32(0x08)).toBe(3628800);
    regs.write32(0x08, 13); // 13! wraps modulo 2^32
    sched.runAll();
    expect(regs.read32(0x08)).toBe(Number(6227020800n % 2n ** 32n));
    regs.write32(0x08, 0);
    sched.runAll();
    expect(regs.read32(0x08)).toBe(1);
  });

  it('0x20 bit 7 raises interrupt bit 0x1 in 0x24 when a factorial finishes; 0x64 acknowledges it', () => {
    const { regs, sched, edu } = board();
    regs.write32(0x20, 0x81); // bit 0 is read-only
    expect(regs.read32(0x20)).toBe(0x80);
    regs.write32(0x08, 5);
    expect(edu.irq.level).toBe(false);
    sched.runAll();
    expect(regs.read32(0x24)).toBe(0x1);
    expect(edu.irq.level).toBe(true);
    regs.write32(0x64, 0x1);
    expect(regs.read32(0x24)).toBe(0);
    expect(edu.irq.level).toBe(false);
    regs.write32(0x20, 0);
    regs.write32(0x08, 5);
    sched.runAll();
    expect(regs.read32(0x24)).toBe(0);
  });

  it('0x60 raises the given bits, 0x64 clears them; the line stays up until all are clear', () => {
    const { regs, edu } = board();
    regs.write32(0x60, 0x30);
    expect(regs.read32(0x24)).toBe(0x30);
    expect(edu.irq.level).toBe(true);
    regs.write32(0x64, 0x10);
    expect(regs.read32(0x24)).toBe(0x20);
    expect(edu.irq.level).toBe(true);
    regs.write32(0x64, 0x20);
    expect(edu.irq.level).toBe(false);
    expect(edu.irq.raises).toBe(1);
  });

  it('below 0x80 only 4-byte accesses are valid: others read all ones and writes are ignored', () => {
    const { regs } = board();
    expect(regs.read8(0x00)).toBe(0xff);
    expect(regs.read16(0x00)).toBe(0xffff);
    expect(regs.read64(0x00)).toBe(0xffff_ffff_ffff_ffffn);
    regs.write16(0x04, 0x1234);
    expect(regs.read32(0x04)).toBe(0);
  });

  it('unknown offsets read all ones; misuse is logged as guest errors', () => {
    const { regs, edu, bus } = board();
    expect(regs.read32(0x10)).toBe(0xffffffff);
    expect(regs.read32(0x84)).toBe(0xffffffff);
    expect(regs.read32(0x1000)).toBe(0xffffffff);
    regs.write32(0x24, 5);
    expect(regs.read32(0x24)).toBe(0);
    expect(edu.guestErrors.map((e) => e.message)).toEqual([
      'read of unknown register at offset 0x10; reads all ones',
      'read of unknown register at offset 0x84; reads all ones',
      'read of unknown register at offset 0x1000; reads all ones',
      'write of 0x00000005 to read-only IRQ_STATUS ignored',
    ]);
    expect(bus.guestErrors).toHaveLength(4);
  });

  it('DMA registers take 4- and 8-byte accesses; a transfer moves bytes after 100 ms and raises 0x100', () => {
    const { regs, ram, sched, edu } = board();
    ram.bytes.set([9, 8, 7, 6], 0x2000);
    regs.write64(0x80, 0x2000n);
    regs.write64(0x88, 0x40000n);
    regs.write64(0x90, 4n);
    expect(regs.read64(0x80)).toBe(0x2000n);
    expect(regs.read32(0x88)).toBe(0x40000);
    regs.write64(0x98, 0x1n | 0x4n); // RUN, RAM -> device, interrupt
    sched.advance(99e6);
    expect(Array.from(edu.dmaBuffer.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    sched.advance(1e6);
    expect(Array.from(edu.dmaBuffer.subarray(0, 4))).toEqual([9, 8, 7, 6]);
    expect(regs.read64(0x98) & 1n).toBe(0n);
    expect(regs.read32(0x24)).toBe(0x100);
    // And back out to another place in RAM.
    regs.write64(0x80, 0x40000n);
    regs.write64(0x88, 0x3000n);
    regs.write64(0x98, 0x1n | 0x2n);
    sched.runAll();
    expect(Array.from(ram.bytes.subarray(0x3000, 0x3004))).toEqual([9, 8, 7, 6]);
    expect(regs.read64(0x98)).toBe(0x2n);
    regs.write64(0x98, 0x4n); // a command without RUN is ignored, as in QEMU
    expect(regs.read64(0x98)).toBe(0x2n);
  });
});

describe('the shared edu driver (lib/drivers/edu.ts) on the simulated device', () => {
  function driver() {
    const b = board();
    return { ...b, drv: new EduDriver(b.regs, { now: () => b.sched.nowMs, timeoutMs: 1000 }) };
  }

  it('identifies the device and checks liveness', () => {
    const { drv } = driver();
    expect(drv.identify()).toEqual({ id: 0x010000ed, major: 1, minor: 0 });
    expect(drv.isAlive()).toBe(true);
    expect(drv.liveness(0)).toBe(0xffffffff);
  });

  it('computes factorials by polling the busy bit', () => {
    const { drv } = driver();
    for (const n of [0, 1, 5, 10, 12, 13, 20]) {
      const r = drv.factorial(n);
      expect(r.value).toBe(expectedEduFactorial(n));
      if (n === 10) {
        expect(r.value).toBe(3628800);
        expect(r.reads).toBeGreaterThan(1); // it really had to wait
      }
    }
  });

  it('raises and acknowledges interrupts, including the factorial-done interrupt', () => {
    const { drv, edu } = driver();
    drv.raiseInterrupt(0x4);
    expect(drv.interruptStatus()).toBe(0x4);
    expect(edu.irq.level).toBe(true);
    expect(drv.acknowledgeInterrupt()).toBe(0);
    expect(edu.irq.level).toBe(false);
    drv.factorial(6, { interrupt: true });
    expect(drv.interruptStatus() & 0x1).toBe(0x1);
    expect(drv.acknowledgeInterrupt(0x1)).toBe(0);
  });
});

describe('edu driver arguments and bounds', () => {
  function codeOf(fn: () => unknown): string | undefined {
    try {
      fn();
    } catch (err) {
      return (err as { code?: string }).code;
    }
    return undefined;
  }

  it('expectedEduFactorial takes a 32-bit n and returns at once for any of them (0 from 34 on)', () => {
    expect(expectedEduFactorial(33)).toBe(
      Number(
        BigInt.asUintN(
          32,
          Array.from({ length: 33 }, (_, i) => BigInt(i + 1)).reduce((a, b) => a * b),
        ),
      ),
    );
    expect(expectedEduFactorial(34)).toBe(0);
    expect(expectedEduFactorial(4294967295)).toBe(0);
    expect(codeOf(() => expectedEduFactorial(4294967297))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => expectedEduFactorial(-1))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => expectedEduFactorial(2n as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
  });

  it('the constructor and methods check their arguments by type and range', () => {
    const b = board();
    expect(codeOf(() => new EduDriver(null as unknown as RegisterIO))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => new EduDriver(b.regs, { timeoutMs: '5' as unknown as number }))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => new EduDriver(b.regs, { bogus: 1 } as never))).toBe('ERR_INVALID_ARG_VALUE');
    const drv = new EduDriver(b.regs, { now: () => b.sched.nowMs });
    expect(codeOf(() => drv.factorial(5, null as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => drv.factorial(5, { interrupt: 1 as unknown as boolean }))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => drv.factorial(2 ** 32))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => drv.liveness(5n as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => drv.raiseInterrupt(-1))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => drv.acknowledgeInterrupt('1' as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    expect(drv.interruptStatus()).toBe(0); // nothing was written
  });
});
