/**
 * The `volatile` scenario: the seed's lesson. A poll loop that reads STATUS once and keeps testing
 * the cached value never sees the UART become ready, however long it spins (bounded here by an
 * iteration cap); the loop that reads the register through RegisterIO each time — what `volatile`
 * makes the C compiler emit — sees it after a few hundred reads.
 */
import { UART_DATA, UART_STATUS, UART_TX_EMPTY } from '../../drivers/uart';
import { SimBus } from '../bus';
import { SimUart, SIM_UART_BASE } from '../devices/uart';
import { simHex } from '../device';
import { simFormatTime } from '../trace';
import { simWindow } from '../window';
import type { SimScenarioResult } from './types';

import { toOptions } from '../../validate';
import { simLimited } from './limits';

export interface SimVolatileOptions {
  /** Iteration cap of the cached loop (default 100000). */
  cap?: number;
}

export function simVolatileScenario(options: SimVolatileOptions = {}): SimScenarioResult {
  options = toOptions<SimVolatileOptions>(options, 'options', ['cap']);
  const cap = simLimited(options.cap, 'cap', 100_000);
  const accessNs = 100;
  const bus = new SimBus();
  const uart = new SimUart(bus.scheduler);
  bus.map(SIM_UART_BASE, uart);
  const regs = simWindow(bus, SIM_UART_BASE, 0x1000, { accessNs });
  const sched = bus.scheduler;

  // Two bytes back to back: one shifting out, one waiting, so STATUS[5] reads 0 for ~87 µs.
  regs.write32(UART_DATA, 0x41);
  regs.write32(UART_DATA, 0x42);

  // The non-volatile loop: the compiler hoisted the load out of the loop.
  const t0 = sched.now;
  const cached = regs.read32(UART_STATUS);
  let spins = 0;
  let readyAt: number | undefined;
  while ((cached & UART_TX_EMPTY) === 0 && spins < cap) {
    spins++;
    sched.advance(accessNs); // the CPU keeps spinning; time passes; the device progresses
    if (readyAt === undefined && uart.txPending === 0) readyAt = sched.now;
  }
  const spunOut = spins >= cap;
  const cachedElapsed = sched.now - t0;

  // Same state again for the volatile loop.
  sched.runAll();
  regs.write32(UART_DATA, 0x43);
  regs.write32(UART_DATA, 0x44);
  const t1 = sched.now;
  let reads = 0;
  let status: number;
  do {
    status = regs.read32(UART_STATUS);
    reads++;
  } while ((status & UART_TX_EMPTY) === 0 && reads < cap);
  const sawReady = (status & UART_TX_EMPTY) !== 0;
  const volatileElapsed = sched.now - t1;
  sched.runAll();

  const ok = spunOut && sawReady && readyAt !== undefined;
  const lines = [
    'volatile: waiting for STATUS[5] (tx empty) after queueing two bytes',
    '',
    `cached loop:   read STATUS once = ${simHex(cached)}, then tested that value ${spins} times ` +
      `(${simFormatTime(cachedElapsed)} of simulated time) — ${spunOut ? `SPUN OUT at the cap of ${cap} iterations` : 'ended'}`,
    `               the device had set STATUS[5] at ${readyAt !== undefined ? `+${simFormatTime(readyAt - t0)}` : 'no point'}; the loop never looked again`,
    `volatile loop: read STATUS ${reads} times through RegisterIO and saw ${simHex(status)} after ${simFormatTime(volatileElapsed)}`,
  ];
  return {
    scenario: 'volatile',
    ok,
    summary: ok
      ? `the cached loop spun out after ${cap} iterations; the register read saw the change after ${reads} reads`
      : 'the scenario did not show the difference',
    lines,
    data: {
      cap,
      cached: { firstRead: cached, iterations: spins, spunOut, simulatedNs: cachedElapsed, deviceReadyAfterNs: readyAt === undefined ? null : readyAt - t0 },
      volatile: { reads, status, sawReady, simulatedNs: volatileElapsed },
      output: uart.output,
    },
  };
}
