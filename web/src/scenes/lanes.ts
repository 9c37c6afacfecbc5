/** Scene 5: byte lanes — a store of 1 to CTRL at 0x10000008, byte by byte, and the 64-bit RAM example. */
import { SimBus, SimUart, SIM_UART_BASE, type SimTransaction } from '../../../lib/sim';
import { h, hex, panel, val } from '../dom';
import type { Scene, SceneContext } from '../scene';

const CTRL = 0x1000_0008;
const RAM = 0x8000_0000;

const steps = [
  {
    title: 'The store',
    text: "A little-endian CPU executes a store of the value to physical address 0x10000008, the UART's CTRL register. The memory system routes it to the device, not to DRAM.",
  },
  {
    title: 'The byte lanes',
    text: 'The least significant byte travels on the lane of the lowest address. A 32-bit store of 0x00000001 puts 01 00 00 00 on 0x10000008..0x1000000B.',
  },
  {
    title: 'The register',
    text: 'The device reads its register back: the value, whole. A narrower store is refused by this device (its registers take 4-byte accesses only): a bus error, not a partial write.',
  },
  { title: 'The same rule in RAM', text: "The chapter's shared-memory example: x[0] = 0x1122334455667788 lands in memory as 88 77 66 55 44 33 22 11." },
] as const;

function build(value: number, width: 1 | 2 | 4, step: number) {
  const bus = new SimBus();
  bus.map(SIM_UART_BASE, new SimUart(bus.scheduler));
  const ram = bus.addRam(RAM, 0x1000);
  const trace = bus.startTrace();
  let error: string | undefined;
  let readBack: number | undefined;
  let ramRecord: SimTransaction | undefined;
  if (step >= 1) {
    try {
      if (width === 4) bus.write32(CTRL, value >>> 0);
      else if (width === 2) bus.write16(CTRL, value & 0xffff);
      else bus.write8(CTRL, value & 0xff);
    } catch (err) {
      error = (err as Error).message;
    }
  }
  const ctrlRecord = trace.records[0] as SimTransaction | undefined;
  if (step >= 3) readBack = bus.read32(CTRL);
  if (step >= 4) {
    bus.write64(RAM, 0x1122334455667788n);
    ramRecord = trace.records.find((r) => r.target === 'ram');
  }
  bus.stopTrace();
  return { ctrlRecord, error, readBack, ramRecord, memory: Array.from(ram.bytes.subarray(0, 8)) };
}

function laneTable(key: string, address: number, lanes: readonly number[]): HTMLElement {
  return h(
    'div',
    { class: 'bits', 'aria-label': 'byte lanes' },
    ...lanes.map((b, i) => h('span', { class: 'lit' }, val(`${key}.${i}`, b.toString(16).padStart(2, '0')), h('small', {}, hex(address + i)))),
  );
}

function render(ctx: SceneContext): HTMLElement {
  const value = Number(ctx.options.value);
  const width = Number(ctx.options.width) as 1 | 2 | 4;
  const s = build(value, width, ctx.step);
  const store = panel(
    `A ${width * 8}-bit store of ${hex(value >>> 0, width * 2)} to ${hex(CTRL)}`,
    ctx.step >= 1 && s.ctrlRecord
      ? h(
          'p',
          {},
          'bus transaction: ',
          h(
            'code',
            { 'data-k': 'transaction' },
            `${s.ctrlRecord.kind} ${s.ctrlRecord.size} bytes at ${hex(s.ctrlRecord.address)} → ${s.ctrlRecord.target} ${s.ctrlRecord.register ?? ''}`,
          ),
        )
      : null,
    ctx.step >= 1 && s.error ? h('p', { class: 'miss', 'data-k': 'busError' }, s.error) : null,
    ctx.step >= 2 && s.ctrlRecord ? laneTable('lane', CTRL, s.ctrlRecord.lanes ?? []) : null,
    ctx.step >= 3 && s.readBack !== undefined ? h('p', {}, 'CTRL reads back ', h('code', {}, val('ctrl', hex(s.readBack, 8)))) : null,
  );
  const ram = panel(
    '64-bit store to RAM at 0x80000000',
    ctx.step >= 4 && s.ramRecord ? laneTable('ram', RAM, s.ramRecord.lanes ?? []) : h('p', { class: 'chapter' }, 'Step 4 shows it.'),
    ctx.step >= 4 ? h('p', {}, 'memory: ', h('code', { 'data-k': 'memory' }, s.memory.map((b) => b.toString(16).padStart(2, '0')).join(' '))) : null,
  );
  return h('div', { class: 'grid' }, store, ram);
}

export const lanesScene: Scene = {
  id: 'lanes',
  title: 'Byte lanes',
  chapter: 'Exercises: byte lanes of a 32-bit MMIO store',
  intro: 'What a little-endian store puts on each byte lane, and what the device makes of it.',
  options: [
    { name: 'value', label: 'value', kind: 'number', min: 0, max: 0xffffffff, default: 1 },
    { name: 'width', label: 'store width (bytes)', kind: 'choice', choices: ['4', '2', '1'], default: '4' },
  ],
  steps,
  render,
};
