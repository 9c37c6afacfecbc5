/** The `uart` scenario: the seed's uart_putc loop printing a string through the simulated UART. */
import { uartWrite, UART_TX_EMPTY } from '../../drivers/uart';
import { SimBus } from '../bus';
import { SimUart, SIM_UART_BASE, SIM_UART_BAUD } from '../devices/uart';
import { simFormatTime } from '../trace';
import { simWindow } from '../window';
import { simCollapse, simCollapsedJSON, simFormatCollapsed } from './format';
import type { SimScenarioResult } from './types';

import { codedError } from '../../errors';
import { toOptions, toStr } from '../../validate';
import { SIM_SCENARIO_LIMITS, simLimited } from './limits';

export interface SimUartScenarioOptions {
  text?: string;
  /** BAUD divisor (default 1: 115200 baud). */
  divisor?: number;
  seed?: number;
}

export function simUartScenario(options: SimUartScenarioOptions = {}): SimScenarioResult {
  options = toOptions<SimUartScenarioOptions>(options, 'options', ['text', 'divisor', 'seed']);
  const text = options.text === undefined ? 'Hello from mmapkit\n' : toStr(options.text, 'text');
  const divisor = simLimited(options.divisor, 'divisor', 1);
  const seed = simLimited(options.seed, 'seed', 1);
  const chars = [...text].length;
  if (chars > SIM_SCENARIO_LIMITS.text) {
    throw codedError('ERR_OUT_OF_RANGE', `The "text" option must be at most ${SIM_SCENARIO_LIMITS.text} characters. Received ${chars}`);
  }
  if (chars * divisor > SIM_SCENARIO_LIMITS.uartWork) {
    throw codedError(
      'ERR_OUT_OF_RANGE',
      `A text of ${chars} characters at divisor ${divisor} is too slow to simulate: characters × divisor must be at most ${SIM_SCENARIO_LIMITS.uartWork}`,
    );
  }
  const bus = new SimBus({ seed });
  const uart = new SimUart(bus.scheduler);
  bus.map(SIM_UART_BASE, uart);
  const regs = simWindow(bus, SIM_UART_BASE, 0x1000);
  regs.write32(SIM_UART_BAUD, divisor);
  const trace = bus.startTrace();
  const start = bus.scheduler.now;
  const polls = uartWrite(regs, text);
  bus.scheduler.runAll();
  bus.stopTrace();
  const runs = simCollapse(trace.records);
  let dataWrites = 0;
  let writesWithoutTxEmpty = 0;
  trace.records.forEach((r, i) => {
    if (r.kind !== 'write' || r.register !== 'DATA') return;
    dataWrites++;
    const prev = trace.records[i - 1];
    if (!prev || prev.register !== 'STATUS' || (Number(prev.value) & UART_TX_EMPTY) === 0) writesWithoutTxEmpty++;
  });
  const ok = uart.output === text && writesWithoutTxEmpty === 0 && uart.txOverruns === 0;
  const lines = [
    `uart: uart_putc loop over RegisterIO at ${'0x' + SIM_UART_BASE.toString(16)}, BAUD divisor ${divisor} (${(115200 / divisor).toFixed(0)} baud)`,
    '',
    ...simFormatCollapsed(runs, simFormatTime),
    '',
    `transmitted: ${JSON.stringify(uart.output)}`,
    `${dataWrites} DATA writes, each right after a STATUS read with bit 5 (tx empty) set; ${polls} STATUS reads; ` +
      `${simFormatTime(bus.scheduler.now - start)} of simulated time`,
  ];
  return {
    scenario: 'uart',
    ok,
    summary: ok ? `printed ${JSON.stringify(text)} writing DATA only when STATUS[5] was set` : 'the UART output differs from the text',
    lines,
    data: {
      text,
      output: uart.output,
      divisor,
      polls,
      dataWrites,
      writesWithoutTxEmpty,
      txOverruns: uart.txOverruns,
      simulatedNs: bus.scheduler.now - start,
      trace: simCollapsedJSON(runs),
    },
  };
}
