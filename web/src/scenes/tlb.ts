/** Scene 3: TLB reach — a sequential scan against one byte per 4 KiB, with 4 KiB or 2 MiB pages. */
import { SimMapFlags, SimProt, SimVm, simCheck } from '../../../lib/sim';
import { h, panel, val } from '../dom';
import type { Scene, SceneContext } from '../scene';

const REGION = 4 << 20; // 4 MiB: 1024 small pages, 2 huge pages
const ENTRIES = 64;

const steps = [
  {
    title: 'Map 4 MiB and touch every page',
    text: 'An anonymous private mapping; the first write to each page allocates a zeroed frame (a zero-fill fault). Counters below are measured from here on.',
  },
  {
    title: 'Sequential scan',
    text: 'Read one byte in every 64-byte cache line, in order. With 4 KiB pages there is one TLB miss per page and 63 hits after it.',
  },
  {
    title: 'One byte per 4 KiB, four passes',
    text: 'The stride touches a new 4 KiB page at every load. 1024 pages do not fit in 64 entries: with 4 KiB pages every load misses. With 2 MiB pages the whole region is 2 entries: every load after the first two hits.',
  },
] as const;

function scan(p: ReturnType<SimVm['spawn']>, base: number, stride: number, passes: number) {
  const before = p.counters();
  for (let k = 0; k < passes; k++) for (let off = 0; off < REGION; off += stride) p.load8(base + off);
  const after = p.counters();
  return {
    loads: (REGION / stride) * passes,
    hits: after.tlbHits - before.tlbHits,
    misses: after.tlbMisses - before.tlbMisses,
    walkRefs: after.walkRefs - before.walkRefs,
  };
}

function build(step: number, huge: boolean) {
  const vm = new SimVm({ tlbEntries: ENTRIES, frames: 4096 });
  const p = vm.spawn();
  const flags = SimMapFlags.PRIVATE | SimMapFlags.ANONYMOUS | (huge ? SimMapFlags.HUGETLB : 0);
  const base = simCheck(p.mmap(0, REGION, SimProt.READ | SimProt.WRITE, flags, -1, 0), 'mmap');
  let touch, seq, stride;
  if (step >= 1) {
    const before = p.counters();
    for (let off = 0; off < REGION; off += 4096) p.store8(base + off, 1);
    const after = p.counters();
    touch = { zeroFills: after.zeroFills - before.zeroFills, misses: after.tlbMisses - before.tlbMisses };
  }
  if (step >= 2) seq = scan(p, base, 64, 1);
  if (step >= 3) stride = scan(p, base, 4096, 4);
  return { vm, p, base, touch, seq, stride };
}

function row(label: string, key: string, r: { loads: number; hits: number; misses: number; walkRefs: number } | undefined) {
  if (!r) return h('tr', {}, h('th', { scope: 'row' }, label), h('td', { colspan: 5, class: 'chapter' }, 'not yet run'));
  return h(
    'tr',
    {},
    h('th', { scope: 'row' }, label),
    h('td', { class: 'num' }, val(`${key}.loads`, r.loads)),
    h('td', { class: 'num' }, val(`${key}.hits`, r.hits, 'hit')),
    h('td', { class: 'num' }, val(`${key}.misses`, r.misses, 'miss')),
    h('td', { class: 'num' }, val(`${key}.hitRate`, `${((100 * r.hits) / r.loads).toFixed(1)}%`)),
    h('td', { class: 'num' }, val(`${key}.walkRefs`, r.walkRefs)),
  );
}

function render(ctx: SceneContext): HTMLElement {
  const huge = ctx.options.pages === '2m';
  const s = build(ctx.step, huge);
  const pageSize = huge ? 2 << 20 : 4096;
  const reach = ENTRIES * pageSize;
  const fmt = (n: number) => (n >= 1 << 20 ? `${n / (1 << 20)} MiB` : `${n / 1024} KiB`);
  const left = panel(
    'Loads through the TLB',
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'pass'),
            h('th', { class: 'num' }, 'loads'),
            h('th', { class: 'num' }, 'hits'),
            h('th', { class: 'num' }, 'misses'),
            h('th', { class: 'num' }, 'hit rate'),
            h('th', { class: 'num' }, 'walk refs'),
          ),
        ),
        h('tbody', {}, row('sequential, every 64 B', 'seq', s.seq), row('one byte per 4 KiB × 4', 'stride', s.stride)),
      ),
    ),
    s.touch ? h('p', {}, 'touching the region: ', val('zeroFills', s.touch.zeroFills), ' zero-fill faults') : null,
  );
  const right = panel(
    'Reach',
    h(
      'p',
      {},
      val('entries', s.vm.tlbs[0].entries),
      ' entries × ',
      val('pageSize', fmt(pageSize)),
      ' pages = ',
      h('strong', {}, val('reach', fmt(reach))),
      ' of reach, for a ',
      fmt(REGION),
      ' region.',
    ),
    h(
      'p',
      {},
      reach >= REGION
        ? 'The whole region fits: after the first touch of each page, translations come from the TLB.'
        : `Only ${((100 * reach) / REGION).toFixed(2)}% of the region fits: a pattern that visits pages faster than it reuses them misses every time.`,
    ),
    h('p', { class: 'chapter' }, 'The chapter: "With 4096-byte pages and a 64-entry data TLB, the TLB covers only 64 * 4096 = 262144 bytes."'),
  );
  return h('div', { class: 'grid' }, left, right);
}

export const tlbScene: Scene = {
  id: 'tlb',
  title: 'TLB reach',
  chapter: 'Trade-Offs Against read()',
  intro: 'The same 4 MiB, read two ways, with 4 KiB or 2 MiB pages. Switch the page size and run again.',
  options: [{ name: 'pages', label: 'page size', kind: 'choice', choices: ['4k', '2m'], default: '4k' }],
  steps,
  render,
};
