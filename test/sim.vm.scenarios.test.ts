// The seed text's mmap scenarios on the simulated virtual memory, and the `mmapkit sim vm` command.
import { describe, expect, it } from 'vitest';
import { SimMapFlags, SimOpen, SimProt, SimSignal, SimVm, runSimVmScenario, bytewiseCsvSum, simCheck, simTinyCsv, simVmScenarios } from '../lib';
import { run as simVmCli } from '../lib/cli/sim-vm';
import { TINY_CSV } from './support/helpers';

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((s: string | Uint8Array) => {
    chunks.push(String(s));
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await simVmCli(args);
    return { code, out: chunks.join('') };
  } finally {
    process.stdout.write = write;
  }
}

describe('the bytewise CSV loop on the simulator', () => {
  it('sums tiny.csv through a simulated MAP_PRIVATE mapping to 847, with one fault', () => {
    expect(Buffer.from(simTinyCsv()).equals(TINY_CSV)).toBe(true);
    const vm = new SimVm({ frames: 16 });
    vm.createFile('tiny.csv', TINY_CSV);
    const p = vm.spawn();
    const fd = simCheck(p.open('tiny.csv', SimOpen.RDONLY), 'open');
    const addr = simCheck(p.mmap(0, TINY_CSV.length, SimProt.READ, SimMapFlags.PRIVATE, fd, 0), 'mmap');
    const view = p.view(addr, TINY_CSV.length);
    expect(bytewiseCsvSum(view)).toBe(847n);
    const c = p.counters();
    expect(c.majorFaults + c.minorFaults).toBe(1);
    expect(c.tlbMisses).toBe(1);
    expect(c.tlbHits).toBe(TINY_CSV.length - 1);
  });
});

describe('scenarios', () => {
  it('csv-sum gives 847', () => {
    expect(runSimVmScenario('csv-sum').values.sum).toBe(847);
  });

  it('nine-thousand: 3 pages, one fault then a hit, zeros past EOF, SIGSEGV past the mapping', () => {
    const v = runSimVmScenario('nine-thousand').values;
    expect(v.pages).toBe(3);
    expect(v.firstTouchFaults).toBe(1);
    expect(v.secondTouchFaults).toBe(0);
    expect(v.secondTouchTlbMiss).toBe(0);
    expect(v.byte5000).toBe(v.byte5000Expected);
    expect(v.pastEof).toEqual([0, 0, 0]);
    expect(v.pastMapping).toBe('SIGSEGV');
    expect(v.pastMappingReason).toBe('SEGV_MAPERR');
  });

  it('ten-thousand: 3 pages; reading 9999 faults page 2 in and returns the last byte', () => {
    const v = runSimVmScenario('ten-thousand').values;
    expect(v.pages).toBe(3);
    expect(v.ranges).toBe('0–4095, 4096–8191, 8192–9999 plus zero fill to 12287');
    expect(v.faults).toBe(1);
    expect(v.byte9999).toBe(v.lastFileByte);
    expect(v.residentPages).toEqual([0, 0, 1]);
  });

  it('private-shared: A gets its own copy, B reads 41 42 43 0A, the file is unchanged', () => {
    const r = runSimVmScenario('private-shared');
    expect(r.values.cowCopies).toBe(1);
    expect(r.values.a).toEqual([0x41, 0x78, 0x43, 0x0a]);
    expect(r.values.b).toEqual([0x41, 0x42, 0x43, 0x0a]);
    expect(r.values.file).toEqual([0x41, 0x42, 0x43, 0x0a]);
    expect(r.values.disk).toEqual([0x41, 0x42, 0x43, 0x0a]);
    expect(r.trace.some((e) => e.kind === 'cow' && e.pid === 1)).toBe(true);
  });

  it('anon-1mib: no frames until written, one zero-filled frame per first write', () => {
    const v = runSimVmScenario('anon-1mib').values;
    expect(v.framesAfterMmap).toBe(0);
    expect(v.framesAfterReads).toBe(0);
    expect(v.readSum).toBe(0);
    expect(v.zeroFills).toBe(8);
    expect(v.framesAfterWrites).toBe(8);
    expect(v.zeroFillsAfterRewrite).toBe(8);
  });

  it('read-vs-mmap: the same bytes, counted differently', () => {
    const v = runSimVmScenario('read-vs-mmap', { trace: 0 }).values;
    expect(v.sumRead).toBe(v.sumMmap);
    expect(v.readBytesCopied).toBe(16 << 20);
    expect(v.readFaults).toBe(0);
    expect(v.readSyscalls).toBe(1 + 256 + 1 + 1); // open, 256 full reads, the read at EOF, close
    expect(v.mmapBytesCopied).toBe(0);
    expect(v.mmapFaults).toBe(4096);
    expect(v.mmapTlbMisses).toBe(4096);
    expect(v.mmapSyscalls).toBe(3); // open, mmap, close
  });

  it('scan-1gib: 262 144 faults, frames recycled', () => {
    const v = runSimVmScenario('scan-1gib', { trace: 0 }).values;
    expect(v.pages).toBe(262144);
    expect(v.faults).toBe(262144);
    expect(v.tlbMisses).toBe(262144);
    expect(v.evictions as number).toBeGreaterThan(262144 - 16384);
    expect(v.sum).toBe(0);
  });

  it('tlb-reach: 64 entries cover 256 KiB; 65 pages in a loop miss every time under LRU', () => {
    const v = runSimVmScenario('tlb-reach', { trace: 0 }).values;
    expect(v.reachBytes).toBe(262144);
    expect(v.missesOver64Pages).toBe(0);
    expect(v.missesOver65Pages).toBe(650);
  });

  it('tlb-stride: stride 4096 misses every load; sequential hits 4095 of 4096', () => {
    const v = runSimVmScenario('tlb-stride', { trace: 0 }).values;
    expect(v.strideMisses).toBe(v.strideLoads);
    expect(v.strideLoads).toBe(262144);
    expect(v.seqHitsPerPage).toBe(4095);
    expect(v.seqMisses).toBe(16);
  });

  it('huge-pages: 2 MiB pages cut the misses by 512', () => {
    const v = runSimVmScenario('huge-pages', { trace: 0 }).values;
    expect(v.misses4k).toBe(262144);
    expect(v.misses2m).toBe(512);
    expect(v.ratio).toBe(512);
  });

  it('every scenario has a unique name and runs', () => {
    const names = simVmScenarios.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect(() => runSimVmScenario('nope')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});

describe('mmapkit sim vm', () => {
  it('prints the narrative, the trace and the counters', async () => {
    const { code, out } = await cli(['private-shared']);
    expect(code).toBe(0);
    expect(out).toContain('B reads 41 42 43 0A');
    expect(out).toMatch(/trace:\n.*tlb-miss/);
    expect(out).toMatch(/process A: .*cowCopies=1/);
  });

  it('prints JSON with --json', async () => {
    const { code, out } = await cli(['nine-thousand', '--json']);
    expect(code).toBe(0);
    const j = JSON.parse(out);
    expect(j.values.pastMapping).toBe('SIGSEGV');
    expect(j.processes.p.majorFaults).toBe(2); // page 1, then page 2 for the bytes past EOF
    expect(Array.isArray(j.trace)).toBe(true);
  });

  it('rejects an unknown scenario with a stable code, and --help lists them', async () => {
    await expect(simVmCli(['nope'])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    const { code, out } = await cli(['--help']);
    expect(code).toBe(0);
    for (const s of simVmScenarios) expect(out).toContain(s.name);
  });
});

describe('signals', () => {
  it('SimSignal carries a stable code, the address and the reason', () => {
    const vm = new SimVm({ frames: 8 });
    const p = vm.spawn();
    let err: unknown;
    try {
      p.load8(0x1234);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SimSignal);
    expect(err).toMatchObject({ code: 'SIGSEGV', reason: 'SEGV_MAPERR', address: 0x1234, access: 'read', pid: p.pid, signo: 11 });
  });
});
