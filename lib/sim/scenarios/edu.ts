/** The `edu` scenario: QEMU's edu device driven through a register window, register by register. */
import { SimBus } from '../bus';
import { simHex } from '../device';
import {
  SimEdu,
  SIM_EDU_BAR_SIZE,
  SIM_EDU_FACTORIAL,
  SIM_EDU_ID,
  SIM_EDU_IRQ_ACK,
  SIM_EDU_IRQ_RAISE,
  SIM_EDU_IRQ_STATUS,
  SIM_EDU_LIVENESS,
  SIM_EDU_STATUS,
  SIM_EDU_STATUS_BUSY,
  SIM_EDU_STATUS_IRQ_ON_DONE,
} from '../devices/edu';
import { SIM_EDU_BASE } from '../machine';
import { simFormatTime } from '../trace';
import { simWindow } from '../window';
import { simCollapse, simCollapsedJSON, simFormatCollapsed } from './format';
import type { SimScenarioResult } from './types';
import { toOptions } from '../../validate';
import { simLimited } from './limits';

export function simEduScenario(options: { n?: number } = {}): SimScenarioResult {
  options = toOptions<{ n?: number }>(options, 'options', ['n']);
  const n = simLimited(options.n, 'n', 10);
  const bus = new SimBus();
  const edu = new SimEdu(bus.scheduler, { dma: bus.master('edu') });
  bus.map(SIM_EDU_BASE, edu);
  const regs = simWindow(bus, SIM_EDU_BASE, SIM_EDU_BAR_SIZE);
  const trace = bus.startTrace();
  const id = regs.read32(SIM_EDU_ID);
  regs.write32(SIM_EDU_LIVENESS, 0x12345678);
  const live = regs.read32(SIM_EDU_LIVENESS);
  regs.write32(SIM_EDU_STATUS, SIM_EDU_STATUS_IRQ_ON_DONE);
  regs.write32(SIM_EDU_FACTORIAL, n);
  let polls = 0;
  while (regs.read32(SIM_EDU_STATUS) & SIM_EDU_STATUS_BUSY) polls++;
  const fact = regs.read32(SIM_EDU_FACTORIAL);
  const irqAfterFact = regs.read32(SIM_EDU_IRQ_STATUS);
  const lineAfterFact = edu.irq.level;
  regs.write32(SIM_EDU_IRQ_ACK, irqAfterFact);
  regs.write32(SIM_EDU_STATUS, 0);
  regs.write32(SIM_EDU_IRQ_RAISE, 0x40);
  const raised = regs.read32(SIM_EDU_IRQ_STATUS);
  regs.write32(SIM_EDU_IRQ_ACK, 0x40);
  const acked = regs.read32(SIM_EDU_IRQ_STATUS);
  const narrow = regs.read16(SIM_EDU_ID);
  bus.stopTrace();
  let expected = 1;
  for (let i = 2; i <= n; i++) expected = Math.imul(expected, i) >>> 0;
  const ok = id === 0x010000ed && live === ~0x12345678 >>> 0 && fact === expected && irqAfterFact === 1 && raised === 0x40 && acked === 0 && narrow === 0xffff;
  const runs = simCollapse(trace.records);
  return {
    scenario: 'edu',
    ok,
    summary: `edu ${simHex(id)}: liveness ${simHex(live)}, ${n}! = ${fact} after ${polls + 1} STATUS reads, interrupts raised and acknowledged`,
    lines: [
      `edu: QEMU's edu device at ${simHex(SIM_EDU_BASE)}`,
      '',
      ...simFormatCollapsed(runs, simFormatTime),
      '',
      `ID ${simHex(id)}; liveness(0x12345678) -> ${simHex(live)}; ${n}! = ${fact} (busy for ${polls} polls); ` +
        `IRQ_STATUS ${simHex(irqAfterFact)} (line ${lineAfterFact ? 'up' : 'down'}) after the factorial; ` +
        `raise 0x40 -> ${simHex(raised)}, ack -> ${simHex(acked)}; a 16-bit read of ID -> ${simHex(narrow, 4)} (invalid size)`,
    ],
    data: {
      id,
      liveness: live,
      n,
      factorial: fact,
      busyPolls: polls,
      irqAfterFactorial: irqAfterFact,
      raised,
      acked,
      narrowRead: narrow,
      trace: simCollapsedJSON(runs),
    },
  };
}
