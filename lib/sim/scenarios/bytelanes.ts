/**
 * The `byte-lanes` scenario: the seed's exercise — a 32-bit store of 0x00000001 to the control
 * register at 0x10000008 drives lanes 0x10000008..0x1000000B with 01 00 00 00 — and its 64-bit
 * shared-memory example (0x1122334455667788 lands as 88 77 66 55 44 33 22 11).
 */
import { SimBus } from '../bus';
import { SimUart, SIM_UART_BASE } from '../devices/uart';
import { simFormatLaneTable, simFormatTransaction, simTransactionJSON } from '../trace';
import type { SimScenarioResult } from './types';

export function simByteLanesScenario(): SimScenarioResult {
  const bus = new SimBus();
  bus.map(SIM_UART_BASE, new SimUart(bus.scheduler));
  const ram = bus.addRam(0x8000_0000, 0x1000);
  const trace = bus.startTrace();
  bus.write32(0x1000_0008, 0x0000_0001);
  bus.write64(0x8000_0000, 0x1122334455667788n);
  bus.write16(0x8000_0010, 0xbeef);
  bus.stopTrace();
  const [ctrl, shm, half] = trace.records;
  const memory = Array.from(ram.bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  const ok = ctrl.lanes.join(',') === '1,0,0,0' && memory === '88 77 66 55 44 33 22 11';
  const lines = [
    'byte-lanes: a little-endian 32-bit store of 0x00000001 to CTRL at 0x10000008',
    '',
    simFormatTransaction(ctrl),
    '',
    simFormatLaneTable(ctrl),
    '',
    "a 64-bit store of 0x1122334455667788 to RAM (the seed's shared-memory example)",
    simFormatTransaction(shm),
    `memory at 0x80000000: ${memory}`,
    '',
    simFormatTransaction(half),
  ];
  return {
    scenario: 'byte-lanes',
    ok,
    summary: 'a 32-bit store of 0x00000001 at 0x10000008 drives lanes 0x10000008..0x1000000b with 01 00 00 00',
    lines,
    data: { transactions: trace.records.map(simTransactionJSON), memory },
  };
}
