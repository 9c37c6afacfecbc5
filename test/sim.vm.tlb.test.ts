// The simulated TLB against a plain reference model: an LRU list per set, keyed by address space
// and page. Random access sequences through views and direct loads, from two processes sharing one
// CPU, must give exactly the hits and misses the reference predicts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimMapFlags, SimProt, SimTlb, SimVm, simCheck } from '../lib';
import { SIM_TLB_MAX_ENTRIES } from '../lib/sim/vm/tlb';

const PAGE = 4096;
const PAGES = 40;

class ReferenceTlb {
  private readonly sets: number[][];
  hits = 0;
  misses = 0;
  constructor(
    private readonly entries: number,
    private readonly ways: number,
  ) {
    this.sets = Array.from({ length: entries / ways }, () => []);
  }
  access(asid: number, vpn: number): void {
    const set = this.sets[vpn % (this.entries / this.ways)];
    const key = asid * 2 ** 36 + vpn;
    const i = set.indexOf(key);
    if (i >= 0) {
      this.hits++;
      set.splice(i, 1);
    } else {
      this.misses++;
      if (set.length === this.ways) set.pop();
    }
    set.unshift(key);
  }
}

describe('TLB against a reference LRU model', () => {
  it('predicts every hit and miss for random accesses (views, direct loads, two address spaces)', () => {
    const access = fc.record({
      proc: fc.integer({ min: 0, max: 1 }),
      page: fc.oneof(fc.nat(4), fc.nat(PAGES - 1)),
      off: fc.nat(PAGE / 4 - 1),
      how: fc.constantFrom('view8', 'view32', 'other-view', 'direct'),
    });
    fc.assert(
      fc.property(fc.constantFrom([32, 32], [16, 4], [8, 2], [8, 8], [4, 1]), fc.array(access, { minLength: 1, maxLength: 300 }), ([entries, ways], seq) => {
        const vm = new SimVm({ frames: 64, tlbEntries: entries, tlbWays: ways });
        const ref = new ReferenceTlb(entries, ways);
        const procs = [vm.spawn({ cpu: 0 }), vm.spawn({ cpu: 0 })];
        const maps = procs.map((p) => {
          const a = simCheck(p.mmap(0, PAGES * PAGE, SimProt.READ, SimMapFlags.PRIVATE | SimMapFlags.ANONYMOUS | SimMapFlags.POPULATE, -1, 0), 'mmap');
          return { p, a, v: p.view(a, PAGES * PAGE), w: p.view(a, PAGES * PAGE) };
        });
        for (const { proc, page, off, how } of seq) {
          const m = maps[proc];
          // A working set just larger than the TLB, so that LRU order decides every eviction.
          const o = (page % (entries + 3)) * PAGE + off * 4;
          if (how === 'view8') m.v.load8(o);
          else if (how === 'view32') m.v.load32(o);
          else if (how === 'other-view') m.w.load8(o);
          else m.p.load8(m.a + o);
          ref.access(m.p.asid, Math.floor((m.a + o) / PAGE));
        }
        const c = vm.counters();
        expect({ hits: c.tlbHits, misses: c.tlbMisses }).toEqual({ hits: ref.hits, misses: ref.misses });
      }),
      { numRuns: 1000 },
    );
  });

  it("a hit through a view's cached translation makes the entry most recently used", () => {
    const vm = new SimVm({ frames: 16, tlbEntries: 2, tlbWays: 2 });
    const p = vm.spawn();
    const a = simCheck(p.mmap(0, 3 * PAGE, SimProt.READ, SimMapFlags.PRIVATE | SimMapFlags.ANONYMOUS | SimMapFlags.POPULATE, -1, 0), 'mmap');
    const v = p.view(a, 3 * PAGE);
    const w = p.view(a, 3 * PAGE);
    v.load8(0); // miss: A
    w.load8(PAGE); // miss: B
    v.load8(1); // hit through v's cached slot: A is now the most recently used
    w.load8(2 * PAGE); // miss: C evicts B, the least recently used
    v.load8(2); // hit
    expect(p.counters()).toMatchObject({ tlbMisses: 3, tlbHits: 2 });
  });
});

describe('SimTlb arguments', () => {
  const codeOf = (f: () => unknown): string | undefined => {
    try {
      f();
      return 'no error';
    } catch (e) {
      return (e as { code?: string }).code;
    }
  };

  it('bounds the entry count and requires ways that divide it', () => {
    expect(() => new SimTlb(64, 2 ** 31)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new SimTlb(2 ** 31, 1)).toThrow('It must be an integer >= 1 and <= 65536. Received 2147483648');
    expect(() => new SimTlb(64, 3)).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: 'The value of "ways" (3) must divide "entries" (64).' }),
    );
    expect(codeOf(() => new SimTlb(-1, -5))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => new SimTlb(64n as unknown as number, 4))).toBe('ERR_INVALID_ARG_TYPE');
    expect(new SimTlb(SIM_TLB_MAX_ENTRIES, 4).sets).toBe(SIM_TLB_MAX_ENTRIES / 4);
  });

  it('takes numbers only, and slots inside the TLB', () => {
    const t = new SimTlb(8, 2);
    expect(codeOf(() => t.find(1, 4n as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => t.fill(1, 1, 0, 'yes' as unknown as boolean, false))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => t.fill(1, -1, 0, true, false))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => t.touch(8))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => t.touch({} as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => t.invalidate(1, NaN))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => t.flushAsid(Buffer.alloc(4) as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    const slot = t.fill(5, 5, 4096, true, false);
    expect(t.find(5, 5)).toBe(slot);
    expect(t.occupancy()).toBe(1);
  });
});
