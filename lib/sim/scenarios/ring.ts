/**
 * Why a channel's commit needs a release store, deterministically. Two simulated processes share
 * one frame (process A maps shared anonymous memory and forks B): A is the producer, B the
 * consumer of a ring in that frame, laid out like mmapkit's Channel (a tail word, then records of
 * [length, payload]). A's stores go through a CPU store buffer (SimCpu) before they reach the
 * shared frame through A's page tables; B polls the tail and reads records through its own page
 * tables. Without a store barrier before the tail store (the release), on a weakly ordered CPU
 * some seeded schedules let B see the new tail before the record's bytes: a torn message. With the
 * barrier — what Atomics.store() gives the real Channel — no schedule does.
 */
import { toBool, toChoice, toInt, toOptions } from '../../validate';
import { SimBus } from '../bus';
import { SimCpu } from '../cpu';
import { simHex, type SimAccessSize, type SimDevice } from '../device';
import { SIM_PAGE_SIZE, SimMapFlags, SimProt } from '../vm/constants';
import { SimVm } from '../vm/vm';
import { simCheck, type SimProcess } from '../vm/process';
import { simLimited, SIM_SCENARIO_LIMITS } from './limits';
import type { SimScenarioResult } from './types';

/** Where the producer's CPU sees the shared frame on its bus. */
export const SIM_RING_BUS_BASE = 0x8000_0000;
const TAIL = 0;
const DATA = 64;
const RECORD = 24; // [u32 length, u32 0, 16 bytes of payload]
const MESSAGES = 6;

export interface SimRingOptions {
  seed?: number;
  /** Put the store barrier (release) before the tail store (default true). */
  release?: boolean;
  /** CPU memory model of the producer (default 'arm'). */
  model?: 'arm' | 'tso';
}

export interface SimRingRun {
  readonly seed: number;
  readonly release: boolean;
  readonly model: 'arm' | 'tso';
  /** Messages the consumer took, with whether each was whole. */
  readonly received: readonly { index: number; timeNs: number; whole: boolean; seen: string }[];
  readonly torn: number;
  /** Program order of the producer, and what the consumer did, by simulated time. */
  readonly lines: readonly string[];
  /** Virtual addresses of the ring in A and B, and whether they reach the same bytes. */
  readonly sharedFrame: { addressA: number; addressB: number; sameBytes: boolean };
}

const payload = (i: number, k: number): bigint => BigInt(0x1111_1111 * (i + 1)) * 0x1_0000_0001n + BigInt(k);

/** The shared frame as process A sees it, as a bus device (so the producer's CPU buffers its stores). */
function frameOf(p: SimProcess, addr: number): SimDevice {
  return {
    name: 'shared-frame',
    size: SIM_PAGE_SIZE,
    access: { sizes: [1, 2, 4, 8], other: 'refuse', unaligned: false },
    read(o: number, size: SimAccessSize) {
      return size === 8 ? p.load64(addr + o) : size === 4 ? p.load32(addr + o) : size === 2 ? p.load16(addr + o) : p.load8(addr + o);
    },
    write(o: number, v: number | bigint, size: SimAccessSize) {
      if (size === 8) p.store64(addr + o, v as bigint);
      else if (size === 4) p.store32(addr + o, v as number);
      else if (size === 2) p.store16(addr + o, v as number);
      else p.store8(addr + o, v as number);
    },
  };
}

/** One run: A sends MESSAGES records while B polls the tail every few nanoseconds. */
export function simRingRun(options: SimRingOptions = {}): SimRingRun {
  options = toOptions<SimRingOptions>(options, 'options', ['seed', 'release', 'model']);
  const seed = simLimited(options.seed, 'seed', 1);
  const release = options.release === undefined ? true : toBool(options.release, 'release');
  const model = options.model === undefined ? 'arm' : toChoice(options.model, 'model', ['arm', 'tso'] as const);
  const vm = new SimVm({ frames: 64 });
  const a = vm.spawn();
  const addrA = simCheck(a.mmap(0, SIM_PAGE_SIZE, SimProt.READ | SimProt.WRITE, SimMapFlags.SHARED | SimMapFlags.ANONYMOUS), 'mmap');
  const b = a.fork();
  const addrB = addrA; // fork keeps the address; B's page tables are its own
  a.store32(addrA + 8, 0x5a5a5a5a);
  const sameBytes = b.load32(addrB + 8) === 0x5a5a5a5a;
  a.store32(addrA + 8, 0);

  const bus = new SimBus({ seed });
  bus.map(SIM_RING_BUS_BASE, frameOf(a, addrA), { kind: 'ram' });
  const cpu = new SimCpu(bus, { model, lingerNs: [0, 300], name: 'A' });
  const ring = cpu.memoryView(SIM_RING_BUS_BASE, SIM_PAGE_SIZE);
  const sched = bus.scheduler;
  const lines: string[] = [];
  const at = (): string => `[${String(sched.now).padStart(5)} ns]`;
  const received: { index: number; timeNs: number; whole: boolean; seen: string }[] = [];
  let head = 0;
  const poll = (): void => {
    const tail = b.load32(addrB + TAIL);
    while (head < tail && head < MESSAGES) {
      const r = addrB + DATA + head * RECORD;
      const len = b.load32(r);
      const p0 = b.load64(r + 8);
      const p1 = b.load64(r + 16);
      const whole = len === 16 && p0 === payload(head, 0) && p1 === payload(head, 1);
      const seen = `length ${len}, payload ${simHex(p0, 16)} ${simHex(p1, 16)}`;
      lines.push(`${at()} B: tail = ${tail}: reads record ${head}: ${seen}${whole ? '' : '  TORN'}`);
      received.push({ index: head, timeNs: sched.now, whole, seen });
      head++;
    }
  };
  for (let t = 7; t < 4000; t += 13) sched.at(t, poll, 'B polls the tail');

  for (let i = 0; i < MESSAGES; i++) {
    const r = DATA + i * RECORD;
    lines.push(`${at()} A: writes record ${i} (payload, then length) into its store buffer`);
    ring.store64(r + 8, payload(i, 0));
    ring.store64(r + 16, payload(i, 1));
    ring.store32(r, 16);
    if (release) {
      cpu.barriers.store();
      lines.push(`${at()} A: release: store barrier, the buffer drains into the shared frame`);
    }
    ring.store32(TAIL, i + 1);
    lines.push(`${at()} A: stores tail = ${i + 1}`);
  }
  sched.runAll();
  poll();
  const torn = received.filter((m) => !m.whole).length;
  return { seed, release, model, received, torn, lines, sharedFrame: { addressA: addrA, addressB: addrB, sameBytes } };
}

/** How many of `count` seeds show a torn message, with and without the release. */
export function simRingSurvey(count: number, model: 'arm' | 'tso' = 'arm') {
  toInt(count, 'count', SIM_SCENARIO_LIMITS.survey[0], SIM_SCENARIO_LIMITS.survey[1]);
  let withRelease = 0;
  let without = 0;
  const tornSeeds: number[] = [];
  for (let s = 1; s <= count; s++) {
    if (simRingRun({ seed: s, release: false, model }).torn > 0) {
      without++;
      if (tornSeeds.length < 10) tornSeeds.push(s);
    }
    if (simRingRun({ seed: s, release: true, model }).torn > 0) withRelease++;
  }
  return { seeds: count, tornWithoutRelease: without, tornWithRelease: withRelease, exampleTornSeeds: tornSeeds };
}

/** The `ring` scenario: one traced run plus a survey of seeds. */
export function simRingScenario(options: { seed?: number; release?: boolean; survey?: number; model?: 'arm' | 'tso' } = {}): SimScenarioResult {
  options = toOptions<{ seed?: number; release?: boolean; survey?: number; model?: 'arm' | 'tso' }>(options, 'options', ['seed', 'release', 'survey', 'model']);
  const model = options.model === undefined ? 'arm' : toChoice(options.model, 'model', ['arm', 'tso'] as const);
  const run = simRingRun({ seed: options.seed, release: options.release, model });
  const survey = simRingSurvey(simLimited(options.survey, 'survey', 200), model);
  const lines = [
    `ring: two processes share a frame (A at ${simHex(run.sharedFrame.addressA, 12)}, B forked, its own page tables; ` +
      `a store by A ${run.sharedFrame.sameBytes ? 'is' : 'is NOT'} seen by B)`,
    `producer A commits ${run.release ? 'WITH' : 'WITHOUT'} a release (store barrier) before the tail store; seed ${run.seed}, ${run.model} memory model`,
    '',
    ...run.lines,
    '',
    `${run.torn === 0 ? 'no torn message in this run' : `${run.torn} torn message(s) in this run`}`,
    `survey of seeds 1..${survey.seeds}: torn messages without the release in ${survey.tornWithoutRelease}, with it in ${survey.tornWithRelease}`,
  ];
  const ok = run.sharedFrame.sameBytes && survey.tornWithRelease === 0 && (model === 'tso' || survey.tornWithoutRelease > 0);
  return {
    scenario: 'ring',
    ok,
    summary: `with the release ${survey.tornWithRelease} of ${survey.seeds} seeds showed a torn message; without it ${survey.tornWithoutRelease}`,
    lines,
    data: { seed: run.seed, release: run.release, model: run.model, sharedFrame: run.sharedFrame, received: run.received, torn: run.torn, survey },
  };
}
