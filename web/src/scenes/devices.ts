/**
 * Scene 6: the chapter's UART (DATA, STATUS bit 5, the transmit FIFO) and a simulated Raspberry
 * Pi 4 header driven by mmapkit's GPIO code (RaspberryPiGpio, the same class that drives
 * /dev/gpiomem on a real Pi): click an input pin to change its level; the LED on GPIO17 follows the
 * button on GPIO27.
 */
import { uartPutc, UART_TX_EMPTY } from '../../../lib/drivers/uart';
import { RaspberryPiGpio } from '../../../lib/gpio';
import { SimBus, SimUart, SIM_UART_BASE, simRaspberryPi, simWindow } from '../../../lib/sim';
import { h, hex, panel, val } from '../dom';
import type { Scene, SceneContext } from '../scene';

const TEXT = 'Hi!\n';
const BUTTON = 27;
const LED = 17;

/** The 40-pin header: physical pin → BCM GPIO number, or a power/ground label. */
const HEADER: readonly (number | '3V3' | '5V' | 'GND')[] = [
  '3V3',
  '5V',
  2,
  '5V',
  3,
  'GND',
  4,
  14,
  'GND',
  15,
  17,
  18,
  27,
  'GND',
  22,
  23,
  '3V3',
  24,
  10,
  'GND',
  9,
  25,
  11,
  8,
  'GND',
  7,
  0,
  1,
  5,
  'GND',
  6,
  12,
  13,
  'GND',
  19,
  16,
  26,
  20,
  'GND',
  21,
];

const steps = [
  {
    title: 'Configure',
    text: 'The GPIO code makes GPIO27 an input with its pull-up (a button to ground) and GPIO17 an output (an LED), through the function-select and pull registers.',
  },
  ...[...TEXT].map((c, i) => ({
    title: `uart_putc(${JSON.stringify(c)})`,
    text:
      i === 0
        ? 'uart_putc spins on STATUS until bit 5 (TX empty) is set, then stores the byte to DATA. volatile makes the compiler emit every STATUS load.'
        : 'The previous byte is still shifting out at 115200 baud: STATUS[5] stays clear for a while, and the loop polls until it sets.',
  })),
  {
    title: 'Run the GPIO program',
    text: 'led = !button: the program reads GPLEV for GPIO27 and writes GPSET/GPCLR for GPIO17. Click GPIO27 to press the button (it pulls the pin low), then step or reset to run the program again.',
  },
] as const;

/** Pins the user drove from the page: "27:0,22:1". */
function parseInputs(spec: unknown): Map<number, 0 | 1> {
  const out = new Map<number, 0 | 1>();
  for (const part of String(spec ?? '').split(',')) {
    const m = /^(\d+):([01])$/.exec(part.trim());
    if (m && Number(m[1]) < 28) out.set(Number(m[1]), Number(m[2]) as 0 | 1);
  }
  return out;
}

function formatInputs(map: Map<number, 0 | 1>): string {
  return [...map]
    .sort((a, b) => a[0] - b[0])
    .map(([p, l]) => `${p}:${l}`)
    .join(',');
}

function build(step: number, inputs: Map<number, 0 | 1>) {
  const { gpio: chip, info } = simRaspberryPi('pi4');
  const gpio = new RaspberryPiGpio(chip, info);
  for (const [pin, level] of inputs) chip.drive(pin, level);
  if (step >= 1) {
    gpio.setFunction(BUTTON, 'input');
    gpio.setPull(BUTTON, 'up');
    gpio.setFunction(LED, 'output');
  }
  const bus = new SimBus({ seed: 1 });
  const uart = new SimUart(bus.scheduler);
  bus.map(SIM_UART_BASE, uart);
  const regs = simWindow(bus, SIM_UART_BASE, 0x1000);
  const trace = bus.startTrace();
  const chars = Math.max(0, Math.min(step - 1, TEXT.length));
  let polls = 0;
  for (const c of [...TEXT].slice(0, chars)) polls = uartPutc(regs, c);
  bus.stopTrace();
  const statusReads = trace.records.filter((r) => r.kind === 'read' && r.register === 'STATUS');
  const lastStatus = statusReads.length ? Number(statusReads[statusReads.length - 1].value) : Number(regs.read32(4));
  let ran = false;
  if (step >= TEXT.length + 2) {
    gpio.write(LED, gpio.read(BUTTON) ? 0 : 1);
    ran = true;
  }
  return { chip, gpio, uart, polls, statusReads: statusReads.length, lastStatus, chars, ran };
}

function render(ctx: SceneContext): HTMLElement {
  const inputs = parseInputs(ctx.options.inputs);
  const s = build(ctx.step, inputs);
  const uart = panel(
    'UART at 0x10000000',
    h(
      'table',
      {},
      h(
        'tbody',
        {},
        h('tr', {}, h('th', { scope: 'row' }, 'bytes written to DATA'), h('td', { class: 'num' }, val('uart.chars', s.chars))),
        h('tr', {}, h('th', { scope: 'row' }, 'STATUS reads'), h('td', { class: 'num' }, val('uart.statusReads', s.statusReads))),
        h('tr', {}, h('th', { scope: 'row' }, 'polls for the last byte'), h('td', { class: 'num' }, val('uart.polls', s.polls))),
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, 'last STATUS read'),
          h('td', { class: 'num' }, val('uart.status', hex(s.lastStatus, 8)), ' bit 5 = ', val('uart.txEmpty', s.lastStatus & UART_TX_EMPTY ? 1 : 0)),
        ),
        h('tr', {}, h('th', { scope: 'row' }, 'bytes in the transmitter'), h('td', { class: 'num' }, val('uart.pending', s.uart.txPending))),
      ),
    ),
    h('p', {}, 'transmitted: ', h('code', { 'data-k': 'uart.output' }, JSON.stringify(s.uart.output))),
  );
  const pins = h(
    'div',
    { class: 'header40', role: 'group', 'aria-label': 'Raspberry Pi 40-pin header' },
    ...HEADER.map((p, i) => {
      const phys = i + 1;
      if (typeof p !== 'number') return h('div', { class: `pin ${p === 'GND' ? 'ground' : 'power'}` }, h('span', {}, `${phys}`), h('span', {}, p));
      const fn = s.gpio.getFunction(p);
      const level = s.chip.level(p);
      const isOut = fn === 'output';
      const el = h(
        'div',
        {
          class: `pin gpio${level ? ' high' : ''}${isOut ? ' output' : ''}`,
          role: isOut ? 'img' : 'button',
          tabindex: isOut ? undefined : 0,
          'data-pin': p,
          'data-level': level,
          'data-function': fn,
          'aria-label': `GPIO${p}, ${fn}, level ${level}${isOut ? '' : ', press Enter to toggle its input'}`,
          title: `physical pin ${phys}`,
        },
        h('span', {}, `${phys}`),
        h('span', {}, `GPIO${p}`),
        h('span', { class: 'dot' }),
      );
      if (!isOut) {
        const toggle = () => {
          const next = new Map(inputs);
          next.set(p, level ? 0 : 1);
          ctx.setOption('inputs', formatInputs(next));
        };
        el.addEventListener('click', toggle);
        el.addEventListener('keydown', (e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            toggle();
          }
        });
      }
      return el;
    }),
  );
  const gpio = panel(
    'Raspberry Pi 4 (simulated BCM2711)',
    h(
      'p',
      {},
      'button GPIO27: ',
      val('gpio.button', s.chip.level(BUTTON)),
      ' · LED GPIO17: ',
      val('gpio.led', s.chip.level(LED), s.chip.level(LED) ? 'hit' : ''),
      s.ran ? ' (program ran)' : '',
    ),
    pins,
  );
  return h('div', { class: 'grid' }, uart, gpio);
}

export const devicesScene: Scene = {
  id: 'devices',
  title: 'UART and GPIO',
  chapter: 'Device Registers as Physical Addresses',
  intro: "Registers with side effects: the UART's STATUS changes under the loop that polls it, and GPIO pins are set and read through their registers.",
  options: [{ name: 'inputs', label: 'driven inputs', kind: 'hidden', default: '' }],
  steps,
  render,
};
