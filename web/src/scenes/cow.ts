/** Scene 2: MAP_PRIVATE vs MAP_SHARED over the chapter's "ABC\n" page, and COW after fork. */
import { SimMapFlags, SimMsync, SimOpen, SimProt, SimVm, simCheck, type SimProcess } from '../../../lib/sim';
import { h, hex, panel, val } from '../dom';
import type { Scene, SceneContext } from '../scene';

const RW = SimProt.READ | SimProt.WRITE;

const steps = [
  {
    title: 'Map the page twice',
    text: 'Process A maps the file page "ABC\\n" with MAP_PRIVATE and with MAP_SHARED and reads both. Both mappings point at the one page-cache frame: privacy has not begun.',
  },
  { title: 'fork()', text: 'B is a copy of A. Its page tables point at the same frames; the private mapping is now copy-on-write for both.' },
  {
    title: "A writes p[1] = 'x' (private)",
    text: 'The write faults, the kernel copies the page to a new frame for A only (a COW copy) and A writes there. B and the file still hold "ABC\\n".',
  },
  {
    title: "A writes 'Y' through the shared mapping",
    text: 'A shared write goes to the page-cache page itself: B sees it at once, and read() would too. The disk does not have it yet: the page is dirty.',
  },
  { title: 'msync(MS_SYNC)', text: 'msync writes the dirty page back to the disk.' },
  {
    title: "B writes p[1] = 'z' (private)",
    text: 'B\'s private page was never copied, so until now it showed the page-cache page itself, A\'s shared write included: MAP_PRIVATE does not mean a private initial read. The write copies that page (with the Y) for B; A keeps its "AxC\\n".',
  },
] as const;

function text4(p: SimProcess, addr: number): string {
  let s = '';
  for (let i = 0; i < 4; i++) {
    const b = p.load8(addr + i);
    s += b === 0x0a ? '\\n' : String.fromCharCode(b);
  }
  return s;
}

function bytes4(b: Uint8Array): string {
  return Array.from(b.subarray(0, 4), (x) => (x === 0x0a ? '\\n' : String.fromCharCode(x))).join('');
}

function build(step: number) {
  const vm = new SimVm({ trace: true });
  const page = new Uint8Array(4096);
  page.set([0x41, 0x42, 0x43, 0x0a]);
  vm.createFile('abc.txt', page);
  const A = vm.spawn();
  const fd = simCheck(A.open('abc.txt', SimOpen.RDWR), 'open');
  const priv = simCheck(A.mmap(0, 4096, RW, SimMapFlags.PRIVATE, fd, 0), 'mmap');
  const shared = simCheck(A.mmap(0, 4096, RW, SimMapFlags.SHARED, fd, 0), 'mmap');
  let B: SimProcess | undefined;
  const events: { step: number; kind: string; pid: number; detail: string }[] = [];
  const mark = (n: number) => {
    for (const e of vm.trace()) if (e.kind !== 'tlb-miss') events.push({ step: n, kind: e.kind, pid: e.pid, detail: e.detail });
    vm.clearTrace();
  };
  vm.clearTrace();
  if (step >= 1) {
    A.load8(priv);
    A.load8(shared);
    mark(1);
  }
  if (step >= 2) {
    B = A.fork();
    mark(2);
  }
  if (step >= 3) {
    A.store8(priv + 1, 0x78);
    mark(3);
  }
  if (step >= 4) {
    A.store8(shared + 2, 0x59);
    mark(4);
  }
  if (step >= 5) {
    simCheck(A.msync(shared, 4096, SimMsync.SYNC), 'msync');
    mark(5);
  }
  if (step >= 6 && B) {
    B.store8(priv + 1, 0x7a);
    mark(6);
  }
  return { vm, A, B, priv, shared, events };
}

function render(ctx: SceneContext): HTMLElement {
  const s = build(ctx.step);
  const rows: [string, string, string][] = [];
  if (ctx.step >= 1) {
    rows.push(['A, MAP_PRIVATE', 'a.private', text4(s.A, s.priv)]);
    rows.push(['A, MAP_SHARED', 'a.shared', text4(s.A, s.shared)]);
  }
  if (s.B) {
    rows.push(['B, MAP_PRIVATE', 'b.private', text4(s.B, s.priv)]);
    rows.push(['B, MAP_SHARED', 'b.shared', text4(s.B, s.shared)]);
  }
  rows.push(['page cache (what read() sees)', 'file', bytes4(s.vm.fileBytes('abc.txt'))]);
  rows.push(['disk', 'disk', bytes4(s.vm.diskBytes('abc.txt'))]);
  const g = s.vm.counters();
  const view = panel(
    'What each view reads (first four bytes)',
    h('table', {}, h('tbody', {}, ...rows.map(([label, key, v]) => h('tr', {}, h('th', { scope: 'row' }, label), h('td', { class: 'mono' }, val(key, v)))))),
    h('p', {}, 'private mapping at ', h('code', {}, hex(s.priv)), ', shared at ', h('code', {}, hex(s.shared)), ' (the same in B after fork).'),
  );
  const counters = panel(
    'Counters and events (from the simulator)',
    h(
      'table',
      {},
      h(
        'tbody',
        {},
        ...(
          [
            ['COW copies', 'cowCopies', g.cowCopies],
            ['minor faults', 'minorFaults', g.minorFaults],
            ['major faults', 'majorFaults', g.majorFaults],
            ['disk block writes', 'blockWrites', g.blockWrites],
            ['frames used', 'framesUsed', g.framesUsed],
          ] as const
        ).map(([label, key, v]) => h('tr', {}, h('th', { scope: 'row' }, label), h('td', { class: 'num' }, val(key, v)))),
      ),
    ),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { 'aria-label': 'kernel events' },
        h('thead', {}, h('tr', {}, h('th', {}, 'step'), h('th', {}, 'event'), h('th', {}, 'pid'), h('th', {}, 'detail'))),
        h(
          'tbody',
          {},
          ...s.events.map((e) =>
            h(
              'tr',
              { class: e.step === ctx.step ? 'changed' : undefined, 'data-event': e.kind },
              h('td', { class: 'num' }, e.step),
              h('td', {}, e.kind),
              h('td', { class: 'num' }, e.pid),
              h('td', { class: 'mono' }, e.detail),
            ),
          ),
        ),
      ),
    ),
  );
  return h('div', { class: 'grid' }, view, counters);
}

export const cowScene: Scene = {
  id: 'cow',
  title: 'Private vs shared, COW',
  chapter: 'MAP_PRIVATE, MAP_SHARED, and Anonymous Memory',
  intro:
    'Two views of one file page: MAP_PRIVATE starts from the file but keeps its writes to itself; MAP_SHARED writes into the page every mapper (and the file) sees.',
  steps,
  render,
};
