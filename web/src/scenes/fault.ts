/** Scene 1: the chapter's p[5000] over a 9000-byte file, from address split to restarted load. */
import { SimMapFlags, SimOpen, SimProt, SimVm, simCheck } from '../../../lib/sim';
import { h, hex, panel, val, valueTable } from '../dom';
import type { Scene, SceneContext } from '../scene';

const FILE_SIZE = 9000;
const OFFSET = 5000;

/** The page-table indices of an x86-64 virtual address (4 levels of 9 bits, then 12 bits). */
export function splitAddress(addr: number): { pml4: number; pdpt: number; pd: number; pt: number; offset: number } {
  const page = Math.floor(addr / 4096);
  return {
    pml4: Math.floor(page / 2 ** 27) % 512,
    pdpt: Math.floor(page / 2 ** 18) % 512,
    pd: Math.floor(page / 2 ** 9) % 512,
    pt: page % 512,
    offset: addr % 4096,
  };
}

const steps = [
  {
    title: 'Split the address',
    text: 'The CPU reads p[5000]. Bits 47..12 of the virtual address are four 9-bit page-table indices; bits 11..0 are the offset inside the 4 KiB page. 5000 = 4096 + 904: virtual page 1, offset 904.',
  },
  { title: 'Look in the TLB', text: 'The TLB caches recent translations. This page was never touched, so the lookup misses.' },
  {
    title: 'Walk the page table',
    text: 'On a miss the MMU walks the four levels from CR3. The walk finds no present PTE: mmap() only created a VMA, it installed nothing.',
  },
  {
    title: 'Page fault: find the VMA and the page',
    text: 'The kernel finds the VMA that covers the address, computes the file page (offset 4096..8191), and looks in the page cache. The page is not there, so it is read from the disk: a major fault.',
  },
  {
    title: 'Install the PTE and restart',
    text: 'The page now sits in a physical frame; the kernel fills the PTE, the load restarts, walks again, fills the TLB and reads the byte.',
  },
  { title: 'The next byte', text: 'p[5001] is on the same page: the TLB hits, no walk, no fault.' },
  {
    title: 'A second process',
    text: 'Another process maps the same file and reads the same byte. The page is already in the page cache: a minor fault, no disk read, the same frame.',
  },
] as const;

function build(step: number) {
  const vm = new SimVm({ trace: true });
  const content = new Uint8Array(FILE_SIZE);
  for (let i = 0; i < FILE_SIZE; i++) content[i] = 0x61 + (i % 26);
  vm.createFile('data.bin', content);
  const p = vm.spawn();
  const fd = simCheck(p.open('data.bin', SimOpen.RDONLY), 'open');
  const base = simCheck(p.mmap(0, FILE_SIZE, SimProt.READ, SimMapFlags.PRIVATE, fd, 0), 'mmap');
  const addr = base + OFFSET;
  vm.clearTrace();
  const before = p.counters();
  const vmBefore = vm.counters();
  let byte: number | undefined;
  let next: number | undefined;
  let q: ReturnType<SimVm['spawn']> | undefined;
  let afterFirst = before;
  if (step >= 2) {
    byte = p.load8(addr);
    afterFirst = p.counters();
  }
  const firstTrace = vm.trace();
  if (step >= 6) next = p.load8(addr + 1);
  let secondTrace: ReturnType<SimVm['trace']> = [];
  if (step >= 7) {
    vm.clearTrace();
    q = vm.spawn();
    const qfd = simCheck(q.open('data.bin', SimOpen.RDONLY), 'open');
    const qa = simCheck(q.mmap(0, FILE_SIZE, SimProt.READ, SimMapFlags.PRIVATE, qfd, 0), 'mmap');
    q.load8(qa + OFFSET);
    secondTrace = vm.trace();
  }
  return { vm, p, q, base, addr, byte, next, before, vmBefore, afterFirst, firstTrace, secondTrace };
}

function render(ctx: SceneContext): HTMLElement {
  const s = build(ctx.step);
  const { step } = ctx;
  const parts = splitAddress(s.addr);
  const c = s.p.counters();
  const g = s.vm.counters();
  const fault = s.firstTrace.find((e) => e.kind === 'fault');
  const frame = fault ? /frame (\d+)/.exec(fault.detail)?.[1] : undefined;
  const vma = s.p.maps()[0];

  const bits = h(
    'div',
    { class: 'bits', 'aria-label': 'virtual address split' },
    ...(
      [
        ['PML4', parts.pml4],
        ['PDPT', parts.pdpt],
        ['PD', parts.pd],
        ['PT', parts.pt],
        ['offset', parts.offset],
      ] as const
    ).map(([name, v], i) => h('span', { class: step === 1 || (step === 3 && i < 4) ? 'lit' : undefined }, val(`index.${name}`, v), h('small', {}, name))),
  );

  const left = panel(
    'The access',
    h(
      'p',
      {},
      'p = mmap(NULL, 9000, PROT_READ, MAP_PRIVATE, fd, 0) returned ',
      h('code', {}, val('base', hex(s.base))),
      '; the load reads p[5000] at ',
      h('code', {}, val('addr', hex(s.addr))),
      '.',
    ),
    bits,
    h(
      'p',
      {},
      'VMA: ',
      h('code', {}, `${hex(vma.start)}–${hex(vma.end)}`),
      ' → ',
      h('code', {}, `${vma.path} @ ${vma.offset}`),
      ` (${(vma.end - vma.start) / 4096} pages)`,
    ),
    step >= 2
      ? h(
          'p',
          {},
          'TLB: ',
          val('tlb', s.afterFirst.tlbMisses > s.before.tlbMisses ? 'miss' : 'hit', s.afterFirst.tlbMisses > s.before.tlbMisses ? 'miss' : 'hit'),
        )
      : null,
    step >= 3 ? h('p', {}, 'page-walk memory references so far: ', val('walkRefs', c.walkRefs)) : null,
    step >= 4 && fault ? h('p', {}, 'fault: ', h('code', { 'data-k': 'faultDetail' }, fault.detail)) : null,
    step >= 5 && frame !== undefined
      ? h(
          'p',
          {},
          'PTE → frame ',
          val('frame', frame),
          '; the load returns ',
          h('code', {}, val('byte', hex(s.byte ?? 0, 2))),
          ` ('${String.fromCharCode(s.byte ?? 32)}')`,
        )
      : null,
    step >= 6 ? h('p', {}, 'p[5001] = ', h('code', {}, val('next', hex(s.next ?? 0, 2))), ' from the TLB') : null,
    step >= 7
      ? h('p', {}, 'second process: ', ...s.secondTrace.filter((e) => e.kind === 'fault').map((e) => h('code', { 'data-k': 'secondFault' }, e.detail)))
      : null,
  );
  const right = panel(
    'Counters (from the simulator)',
    valueTable([
      ['TLB hits', 'tlbHits', c.tlbHits],
      ['TLB misses', 'tlbMisses', c.tlbMisses],
      ['walk references', 'walkRefsTotal', c.walkRefs],
      ['major faults', 'majorFaults', c.majorFaults],
      ['minor faults', 'minorFaults', g.minorFaults],
      ['disk block reads', 'blockReads', g.blockReads],
      ['page-cache pages', 'pageCachePages', g.pageCachePages],
      ['frames used', 'framesUsed', g.framesUsed],
      ['TLB entries in use', 'tlbOccupancy', s.vm.tlbs[0].occupancy()],
    ]),
    h('p', { class: 'chapter' }, "The TLB, fault and walk counters are process 1's; minor faults, disk reads and frames are the machine's."),
  );
  return h('div', { class: 'grid' }, left, right);
}

export const faultScene: Scene = {
  id: 'fault',
  title: 'A page fault',
  chapter: 'mmap() Maps Virtual Pages to Objects',
  intro: 'mmap() returns at once: it only records a promise (a VMA). The first load of p[5000] in a 9000-byte file turns the promise into a page.',
  steps,
  render,
};
