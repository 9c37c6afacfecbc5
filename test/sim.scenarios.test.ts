import { describe, expect, it } from 'vitest';
import {
  createSimMachine,
  simDoorbellRun,
  simUartScenario,
  simVolatileScenario,
  simWindow,
  SIM_UART_BASE,
  simCollapse,
  simDoorbellScenario,
  simDoorbellSurvey,
  simEduScenario,
  simFormatCollapsed,
  simNetSubmit,
  simPortIoScenario,
} from '../lib/sim';
import { uartWrite } from '../lib/drivers/uart';
import { runNode } from './support/helpers';

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
    expect(slow.data.simulatedNs as number).toBeGreaterThan(3.5 * (fast.data.simulatedNs as number));
  });
});

describe('createSimMachine', () => {
  it('puts the seed UART, the network device, edu, RAM and the PC ports in place', () => {
    const m = createSimMachine({ seed: 3 });
    expect(m.bus.regions.map((r) => [r.name, r.base])).toEqual([
      ['uart', 0x1000_0000],
      ['net', 0x1000_1000],
      ['ram', 0x8000_0000],
      ['edu', 0xfea0_0000],
    ]);
    expect(m.ports.mapped.map((r) => [r.name, r.base])).toEqual([
      ['kbc', 0x60],
      ['cmos', 0x70],
      ['post', 0x80],
    ]);
    uartWrite(simWindow(m.bus, SIM_UART_BASE, 0x1000), 'ok');
    m.scheduler.runAll();
    expect(m.uart.output).toBe('ok');
    expect(m.bus.read32(0xfea0_0000)).toBe(0x010000ed);
  });
});

describe('scenario arguments: the CLI bounds, strict types, coded errors', () => {
  const failure = (f: () => unknown): { code?: string; message?: string } => {
    try {
      f();
      return { code: 'no error' };
    } catch (e) {
      return { code: (e as { code?: string }).code, message: (e as Error).message };
    }
  };

  it('counts and sizes are bounded as `mmapkit sim` bounds its options', () => {
    expect(failure(() => simDoorbellSurvey(10_001))).toEqual({
      code: 'ERR_OUT_OF_RANGE',
      message: 'The value of "count" is out of range. It must be an integer >= 1 and <= 10000. Received 10001',
    });
    expect(failure(() => simDoorbellSurvey(Infinity)).code).toBe('ERR_OUT_OF_RANGE');
    expect(failure(() => simDoorbellSurvey(2, 0xffff_ffff)).code).toBe('ERR_OUT_OF_RANGE');
    expect(failure(() => simDoorbellScenario({ survey: 20_000 })).code).toBe('ERR_OUT_OF_RANGE');
    expect(failure(() => simVolatileScenario({ cap: 2e289 })).message).toBe(
      'The value of "cap" is out of range. It must be an integer >= 1 and <= 100000000. Received 2e+289',
    );
    expect(failure(() => simUartScenario({ text: 'a)4', divisor: -2 })).code).toBe('ERR_OUT_OF_RANGE');
    expect(failure(() => simUartScenario({ text: 'x'.repeat(101) })).code).toBe('ERR_OUT_OF_RANGE');
    expect(failure(() => simUartScenario({ text: 'x'.repeat(20), divisor: 11 })).message).toBe(
      'A text of 20 characters at divisor 11 is too slow to simulate: characters × divisor must be at most 200',
    );
    expect(failure(() => simEduScenario({ n: 10_001 })).code).toBe('ERR_OUT_OF_RANGE');
    expect(failure(() => simDoorbellRun({ lingerNs: [5, 1] })).code).toBe('ERR_OUT_OF_RANGE');
  });

  it('wrong types are ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE, never coerced', () => {
    expect(failure(() => simDoorbellScenario(8998n as unknown as object)).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(failure(() => simDoorbellSurvey(2n as unknown as number)).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(failure(() => simDoorbellRun({ seed: '3' as unknown as number })).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(failure(() => simDoorbellRun({ model: 'x86' as 'arm' })).code).toBe('ERR_INVALID_ARG_VALUE');
    expect(failure(() => simUartScenario({ bus: 1 } as object)).code).toBe('ERR_INVALID_ARG_VALUE');
    expect(failure(() => simPortIoScenario({ seed: { valueOf: () => 3 } as unknown as number })).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(failure(() => simCollapse({ length: 1 } as unknown as [])).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(failure(() => simCollapse([{ seq: 0 }] as unknown as [])).message).toBe('The "records[0].time" argument must be of type number. Received undefined');
    expect(failure(() => simFormatCollapsed([], 5 as unknown as () => string)).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(failure(() => simNetSubmit({} as never, {} as never, undefined, 0, 1, 0n, 64)).code).toBe('ERR_INVALID_ARG_TYPE');
    // Valid calls are unchanged.
    const s = simDoorbellSurvey(3, 1);
    expect(s.seeds).toBe(3);
    expect(simEduScenario({ n: 5 }).ok).toBe(true);
  });

  it("a Buffer over a protect('none') page or a truncated file, passed anywhere, gives a coded error, not a signal", () => {
    const r = runNode(`
      const fs = require('node:fs'), os = require('node:os'), path = require('node:path');
      const code = (f) => { try { f(); return 'no error'; } catch (e) { return e.code ?? ('uncoded ' + e.message); } };
      const m = mk.mapAnonymous(8192); const none = m.buffer; m.protect('none', 4096, 4096);
            const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mmapkit-simvm-')), 'f');
      fs.writeFileSync(file, Buffer.alloc(8192, 1));
      const t = mk.mapFile(file, { mode: 'readonly' }); fs.truncateSync(file, 10);
      const trunc = t.buffer;
      const vm = new mk.SimVm({ frames: 64 }); const p = vm.spawn();
      const a = p.mmap(0, 8192, 3, 0x22); const v = p.view(a, 8192);
      const out = {
        tlb: code(() => new mk.SimTlb(none, 4n)),
        survey: code(() => mk.simDoorbellSurvey(none, -1)),
        volatile: code(() => mk.simVolatileScenario({ cap: none })),
        store8: code(() => v.store8(39, none)),
        load16: code(() => v.load16(trunc)),
        fstat: code(() => p.fstatSize(none)),
        signal: code(() => new mk.SimSignal(none, 'OOM', 0, 'read', 1)),
        collapse: code(() => mk.simCollapse(none)),
        createFile: code(() => vm.createFile('/f', trunc)),
        writeProtected: code(() => v.write(0, none)),
        writeTruncated: code(() => v.write(0, trunc)),
        pwrite: code(() => p.pwrite(p.open('/g', 0x42), trunc, 8192, 0)),
      };
      console.log(JSON.stringify(out));
    `);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({
      tlb: 'ERR_INVALID_ARG_TYPE',
      survey: 'ERR_INVALID_ARG_TYPE',
      volatile: 'ERR_INVALID_ARG_TYPE',
      store8: 'ERR_INVALID_ARG_TYPE',
      load16: 'ERR_INVALID_ARG_TYPE',
      fstat: 'ERR_INVALID_ARG_TYPE',
      signal: 'ERR_INVALID_ARG_TYPE',
      collapse: 'ERR_INVALID_ARG_TYPE',
      createFile: 'ERR_MMAPKIT_SIGBUS',
      writeProtected: 'ERR_MMAPKIT_PROTECTED',
      writeTruncated: 'ERR_MMAPKIT_SIGBUS',
      pwrite: 'ERR_MMAPKIT_SIGBUS',
    });
  });
});
