/**
 * The `portio` scenario: the seed's `inb $0x60` / `outb $0x80` on the simulated PC port space,
 * plus the CMOS clock read twice 1.1 s of simulated time apart.
 */
import { SIM_SCANCODES_SET1 } from '../devices/kbc';
import { simHex } from '../device';
import { createSimMachine } from '../machine';
import { simFormatTime } from '../trace';
import { simCollapse, simCollapsedJSON, simFormatCollapsed } from './format';
import type { SimScenarioResult } from './types';

import { toOptions } from '../../validate';
import { simLimited } from './limits';

export function simPortIoScenario(options: { seed?: number } = {}): SimScenarioResult {
  options = toOptions<{ seed?: number }>(options, 'options', ['seed']);
  const m = createSimMachine({ seed: simLimited(options.seed, 'seed', 1) });
  const io = m.ports;
  const trace = io.startTrace();
  // Keyboard: the user presses 'a'.
  m.kbc.typeText('a');
  const keys: number[] = [];
  while (io.inb(0x64) & 0x01) keys.push(io.inb(0x60));
  // Controller self test.
  io.outb(0x64, 0xaa);
  const selfTest = io.inb(0x60);
  // POST codes.
  io.outb(0x80, 0x55);
  io.outb(0x80, 0xaa);
  // CMOS seconds, twice, 1.1 s apart.
  const seconds = (): number => {
    io.outb(0x70, 0x00);
    return io.inb(0x71);
  };
  const first = seconds();
  m.scheduler.advance(1.1e9);
  const second = seconds();
  io.stopTrace();
  const runs = simCollapse(trace.records);
  const ok = keys[0] === SIM_SCANCODES_SET1.a && keys[1] === (SIM_SCANCODES_SET1.a | 0x80) && selfTest === 0x55 && m.post.last === 0xaa && first !== second;
  return {
    scenario: 'portio',
    ok,
    summary: `inb 0x60 read scancodes ${keys.map((k) => simHex(k, 2)).join(' ')}; POST port got 0x55 0xaa; CMOS seconds ${simHex(first, 2)} then ${simHex(second, 2)}`,
    lines: [
      'portio: the x86 I/O port space (in/out), separate from memory addresses',
      '',
      ...simFormatCollapsed(runs, simFormatTime),
      '',
      `keyboard: ${keys.map((k) => simHex(k, 2)).join(' ')} (make and break of 'a'); controller self test -> ${simHex(selfTest, 2)}`,
      `POST codes written: ${m.post.codes.map((c) => simHex(c.code, 2)).join(' ')}`,
      `CMOS seconds (BCD): ${simHex(first, 2)}, 1.1 s later ${simHex(second, 2)}`,
    ],
    data: { keys, selfTest, postCodes: m.post.codes.map((c) => c.code), cmosSeconds: [first, second], trace: simCollapsedJSON(runs) },
  };
}
