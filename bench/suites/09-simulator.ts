import { SimMapFlags, SimOpen, SimProt, SimVm, bytewiseCsvSum, simCheck, simTinyCsv, type SimMapping } from 'mmapkit';
import type { BenchTask, Suite } from '../types';

const PAGE = 4096;

/** A process with an anonymous read/write mapping of `len` bytes, every page written once. */
function anonView(len: number, opts: ConstructorParameters<typeof SimVm>[0] = {}): { vm: SimVm; v: SimMapping } {
  const vm = new SimVm({ frames: Math.max(64, len / PAGE + 16), ...opts });
  const p = vm.spawn();
  const a = simCheck(p.mmap(0, len, SimProt.READ | SimProt.WRITE, SimMapFlags.PRIVATE | SimMapFlags.ANONYMOUS, -1, 0), 'mmap');
  const v = p.view(a, len);
  for (let off = 0; off < len; off += PAGE) v.store8(off, (off / PAGE) & 0xff);
  return { vm, v };
}

/** The seed's scan: map a sparse file of `len` bytes, load one byte per page. Returns faults taken. */
function faultScan(len: number): { faults: number; misses: number; evictions: number } {
  const vm = new SimVm({ frames: 16384 });
  vm.createFile('big', len);
  const p = vm.spawn();
  const fd = simCheck(p.open('big', SimOpen.RDONLY), 'open');
  const a = simCheck(p.mmap(0, len, SimProt.READ, SimMapFlags.PRIVATE, fd, 0), 'mmap');
  const v = p.view(a, len);
  let sum = 0;
  for (let off = 0; off < len; off += PAGE) sum += v.load8(off);
  const c = p.counters();
  if (sum !== 0) throw new Error('a sparse file read non-zero bytes');
  return { faults: c.minorFaults + c.majorFaults, misses: c.tlbMisses, evictions: vm.counters().evictions };
}

export const suite: Suite = {
  name: 'simulator',
  native: false,
  title: "9. Simulator: simulated loads per second (TLB hits and misses), the seed's 1 GiB fault scan",
  async run(ctx) {
    const n = ctx.quick ? 1 << 12 : 1 << 22;

    // TLB-hit path: loads within one page, and sequentially over the TLB's reach (64 pages).
    const one = anonView(PAGE);
    const reach = anonView(64 * PAGE);
    const loop8 = (v: SimMapping, span: number) => (): number => {
      let s = 0;
      for (let i = 0, o = 0; i < n; i++) {
        s += v.load8(o);
        o = o + 1 === span ? 0 : o + 1;
      }
      return s;
    };
    const loop32 = (v: SimMapping, span: number) => (): number => {
      let s = 0;
      for (let i = 0, o = 0; i < n; i++) {
        s += v.load32(o);
        o = o + 4 === span ? 0 : o + 4;
      }
      return s;
    };
    // TLB-miss path: one byte per page over 1024 resident pages (16× the TLB): every load walks.
    const miss = anonView(1024 * PAGE);
    const missLoop = (): number => {
      let s = 0;
      for (let i = 0, o = 0; i < n; i++) {
        s += miss.v.load8(o);
        o = o + PAGE === 1024 * PAGE ? 0 : o + PAGE;
      }
      return s;
    };
    const tiny = new SimVm({ frames: 16 });
    tiny.createFile('tiny.csv', simTinyCsv());
    const tp = tiny.spawn();
    const tfd = simCheck(tp.open('tiny.csv', SimOpen.RDONLY), 'open');
    const tview = tp.view(simCheck(tp.mmap(0, 16, SimProt.READ, SimMapFlags.PRIVATE, tfd, 0), 'mmap'), 16);

    const g = 'simulated loads (a MemoryView over a simulated mapping)';
    const tasks: BenchTask[] = [
      { name: 'load8, TLB hit, one page', group: g, ops: n, fn: loop8(one.v, PAGE), baseline: true },
      { name: 'load32, TLB hit, one page', group: g, ops: n, fn: loop32(one.v, PAGE) },
      { name: 'load8, sequential over 256 KiB (the TLB reach)', group: g, ops: n, fn: loop8(reach.v, 64 * PAGE) },
      { name: 'load8, stride 4096 over 4 MiB: TLB miss + page walk', group: g, ops: n, fn: missLoop },
      { name: 'bytewiseCsvSum over tiny.csv (BigInt loop)', group: g, ops: 16, fn: () => bytewiseCsvSum(tview) },
    ];
    await ctx.measure(tasks);

    ctx.check('bytewiseCsvSum over a simulated mapping of tiny.csv = 847', bytewiseCsvSum(tview) === 847n, `got ${bytewiseCsvSum(tview)}`);
    const hitBefore = reach.v.process.counters();
    loop8(reach.v, 64 * PAGE)();
    const hitAfter = reach.v.process.counters();
    const misses = hitAfter.tlbMisses - hitBefore.tlbMisses;
    ctx.check('sequential loads over 256 KiB stay in a 64-entry TLB', misses === 0, `${misses} misses`);
    ctx.record({ group: 'simulated TLB', name: 'hit rate, sequential over 256 KiB', value: 100 * (1 - misses / n), unit: '%' });
    const mb = miss.v.process.counters().tlbMisses;
    missLoop();
    const missRate = (miss.v.process.counters().tlbMisses - mb) / n;
    ctx.check('stride 4096 over 1024 pages misses every load', missRate === 1, `miss rate ${missRate}`);
    ctx.record({ group: 'simulated TLB', name: 'miss rate, stride 4096 over 4 MiB', value: 100 * missRate, unit: '%' });

    // The seed's scan: 2^30 / 2^12 = 262 144 faults (16 MiB and 4096 faults with --quick).
    const len = ctx.quick ? 16 << 20 : 1 << 30;
    const pages = len / PAGE;
    let last = { faults: 0, misses: 0, evictions: 0 };
    await ctx.measure(
      [
        {
          name: `${len >> 20} MiB sparse file, one load per page: ${pages} faults`,
          group: 'simulated fault scan (a fresh machine per run)',
          ops: pages,
          fn: () => {
            last = faultScan(len);
            return last.faults;
          },
          note: 'nsPerOp is the simulated cost of one fault',
        },
      ],
      { iterations: ctx.quick ? 1 : 3, time: 0 },
    );
    ctx.check(`the scan took ${pages} faults`, last.faults === pages && last.misses === pages, `faults ${last.faults}, TLB misses ${last.misses}`);
    ctx.record({ group: 'simulated fault scan (a fresh machine per run)', name: 'evictions per scan (16384 frames)', value: last.evictions });
  },
};
