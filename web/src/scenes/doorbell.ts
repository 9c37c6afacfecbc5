/** Scene 4: the doorbell race — descriptor stores and the doorbell through a store buffer. */
import { simDoorbellRun } from '../../../lib/sim';
import { h, panel, val } from '../dom';
import type { Scene, SceneContext } from '../scene';

const steps = [
  {
    title: 'The driver, in program order',
    text: 'submit() writes each descriptor (addr, len, flags) in DRAM, then rings the doorbell register. On the CPU each store enters a store buffer and becomes visible to the device some time later.',
  },
  {
    title: 'What the device fetched',
    text: 'After the doorbell the device reads the descriptors from DRAM. Any field it saw with an old value is listed: that is the race. Tick or untick the barrier, change the seed (the timing of the store buffer) or the memory model, and look again.',
  },
  { title: 'Over many seeds', text: 'The same submit loop over 100 schedules, with and without the barrier.' },
] as const;

function render(ctx: SceneContext): HTMLElement {
  const seed = Number(ctx.options.seed);
  const barrier = ctx.options.barrier === true;
  const model = ctx.options.model === 'tso' ? 'tso' : 'arm';
  const run = simDoorbellRun({ seed, barrier, model, trace: false });
  const left = panel(
    'Program order (issue time)',
    h('ol', { class: 'mono', 'aria-label': 'program order' }, ...run.program.map((line) => h('li', {}, line))),
    h('p', {}, 'stores that became visible before an older store: ', val('reordered', run.reordered)),
  );
  const parts: HTMLElement[] = [left];
  if (ctx.step >= 2) {
    parts.push(
      panel(
        'The device',
        h(
          'p',
          {},
          'descriptor fetches: ',
          val('fetches', run.fetches.length),
          '; stale fields: ',
          val('stale', run.stale.length, run.stale.length ? 'miss' : 'hit'),
        ),
        run.stale.length
          ? h(
              'div',
              { class: 'scroll' },
              h(
                'table',
                {},
                h('thead', {}, h('tr', {}, h('th', {}, 'slot'), h('th', {}, 'field'), h('th', {}, 'written'), h('th', {}, 'device saw'))),
                h(
                  'tbody',
                  {},
                  ...run.stale.map((f) =>
                    h(
                      'tr',
                      { 'data-stale': `${f.slot}.${f.field}` },
                      h('td', { class: 'num' }, f.slot),
                      h('td', {}, f.field),
                      h('td', { class: 'mono' }, f.expected),
                      h('td', { class: 'mono miss' }, f.seen),
                    ),
                  ),
                ),
              ),
            )
          : h('p', { class: 'hit' }, 'Every descriptor the device read was the one the driver wrote.'),
      ),
    );
  } else parts.push(panel('The device', h('p', { class: 'chapter' }, 'Step to see what the device fetched.')));
  if (ctx.step >= 3) {
    let withStale = 0;
    let withoutStale = 0;
    for (let k = 0; k < 100; k++) {
      if (simDoorbellRun({ seed: seed + k, barrier: true, model }).stale.length) withStale++;
      if (simDoorbellRun({ seed: seed + k, barrier: false, model }).stale.length) withoutStale++;
    }
    parts.push(
      panel(
        '100 schedules from this seed',
        h(
          'table',
          {},
          h(
            'tbody',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, 'with the barrier'),
              h('td', { class: 'num' }, val('survey.barrier', withStale)),
              h('td', {}, 'runs with a stale descriptor'),
            ),
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, 'without'),
              h('td', { class: 'num' }, val('survey.none', withoutStale)),
              h('td', {}, 'runs with a stale descriptor'),
            ),
          ),
        ),
      ),
    );
  }
  return h('div', { class: 'grid' }, ...parts);
}

export const doorbellScene: Scene = {
  id: 'doorbell',
  title: 'The doorbell race',
  chapter: 'Device Registers as Physical Addresses (the descriptor and doorbell)',
  intro: 'volatile is not a device protocol: the descriptor stores must be visible before the doorbell store, and only a barrier orders them.',
  options: [
    { name: 'barrier', label: 'dsb st before the doorbell', kind: 'boolean', default: false },
    { name: 'seed', label: 'seed', kind: 'number', min: 1, max: 100000, default: 3 },
    { name: 'model', label: 'memory model', kind: 'choice', choices: ['arm', 'tso'], default: 'arm' },
  ],
  steps,
  render,
};
