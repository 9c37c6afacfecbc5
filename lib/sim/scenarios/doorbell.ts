/**
 * The seed's doorbell hazard, deterministically. A driver writes a transmit descriptor into RAM
 * (addr, len, flags = OWN) and then rings the device's doorbell register — the seed's `submit()`.
 * The descriptor stores go through the CPU's store buffer; the doorbell store goes to the device
 * at once. Without a store barrier between them, on a weakly ordered CPU some seeded schedules let
 * the device fetch the descriptor before all of its stores are visible: it sees a stale length or
 * stale flags. With the barrier, no schedule does.
 */
import { codedError } from '../../errors';
import { invalidType, outOfRange, toBool, toChoice, toInt, toOptions } from '../../validate';
import { SIM_SCENARIO_LIMITS, simDelayPair, simLimited } from './limits';
import type { Barriers, MemoryView, RegisterIO } from '../../interfaces';
import { SimBus } from '../bus';
import { SimCpu } from '../cpu';
import { simHex } from '../device';
import {
  SimNetDevice,
  SIM_NET_CTRL,
  SIM_NET_CTRL_ENABLE,
  SIM_NET_DESC_DONE,
  SIM_NET_DESC_OWN,
  SIM_NET_DESC_SIZE,
  SIM_NET_DOORBELL,
  SIM_NET_RING_HI,
  SIM_NET_RING_LO,
  SIM_NET_RING_SIZE,
  type SimNetFetch,
} from '../devices/net';
import { simFormatTime, simFormatTransaction, type SimTrace } from '../trace';
import type { SimScenarioResult } from './types';

export const SIM_DOORBELL_RAM_BASE = 0x8000_0000;
export const SIM_DOORBELL_NET_BASE = 0x1000_1000;
const RING_SLOTS = 8;
const FRAMES = 0x1000;
const FRAME_STRIDE = 0x100;
const FRAME_LEN = 16;
const OLD_FRAME = 0xf000;
const OLD_LEN = 1500;

/**
 * The seed's submit(): fill descriptor `slot` of the ring, then ring the doorbell with the new
 * producer index. `barriers` undefined leaves out the store barrier (the bug).
 */
export function simNetSubmit(
  ring: MemoryView,
  doorbell: RegisterIO,
  barriers: Barriers | undefined,
  slot: number,
  producerIndex: number,
  buf: bigint,
  n: number,
  compilerBarrier?: () => void,
): void {
  if (ring === null || typeof ring !== 'object' || typeof ring.store64 !== 'function' || typeof ring.store32 !== 'function') {
    throw invalidType('ring', 'a MemoryView', ring);
  }
  if (doorbell === null || typeof doorbell !== 'object' || typeof doorbell.write32 !== 'function') {
    throw invalidType('doorbell', 'a RegisterIO', doorbell);
  }
  if (barriers !== undefined && (barriers === null || typeof barriers !== 'object' || typeof barriers.store !== 'function')) {
    throw invalidType('barriers', 'undefined or a Barriers object', barriers);
  }
  toInt(slot, 'slot', 0, 2 ** 24);
  toInt(producerIndex, 'producerIndex', 0, 0xffff_ffff);
  if (typeof buf !== 'bigint') throw invalidType('buf', 'of type bigint', buf);
  toInt(n, 'n', 0, 0xffff_ffff);
  if (compilerBarrier !== undefined && typeof compilerBarrier !== 'function') {
    throw invalidType('compilerBarrier', 'undefined or a function', compilerBarrier);
  }
  const d = slot * SIM_NET_DESC_SIZE;
  ring.store64(d + 0, buf); // d->addr = buf;
  ring.store32(d + 8, n); // d->len = n;
  ring.store32(d + 12, SIM_NET_DESC_OWN); // d->flags = 1;
  compilerBarrier?.(); // compiler_barrier();
  barriers?.store(); // dsb_st();
  doorbell.write32(SIM_NET_DOORBELL, producerIndex); // *doorbell = 1;
}

export interface SimDoorbellOptions {
  seed?: number;
  /** Put the store barrier before the doorbell (default true). */
  barrier?: boolean;
  /** Frames to submit, 1..8 (default 4). */
  packets?: number;
  /** CPU memory model (default 'arm'). */
  model?: 'arm' | 'tso';
  /** Record the bus transactions (default false). */
  trace?: boolean;
  /** How long an ordinary store may linger in the store buffer, [min, max] ns (default [0, 400]). */
  lingerNs?: readonly [number, number];
  /** Delay from the doorbell to the device's descriptor fetch, [min, max] ns (default [100, 800]). */
  fetchNs?: readonly [number, number];
}

/** A field the device saw differently from what the driver wrote. */
export interface SimStaleField {
  readonly slot: number;
  readonly field: 'addr' | 'len' | 'flags' | 'frame';
  readonly expected: string;
  readonly seen: string;
}

export interface SimDoorbellRun {
  readonly seed: number;
  readonly barrier: boolean;
  readonly model: 'arm' | 'tso';
  readonly fetches: readonly SimNetFetch[];
  readonly stale: readonly SimStaleField[];
  /** Stores that became visible before an older store. */
  readonly reordered: number;
  readonly trace: SimTrace | undefined;
  readonly endTime: number;
  /** The descriptor stores and doorbell writes in program order, with the time each was issued. */
  readonly program: readonly string[];
}

const RUN_KEYS = ['seed', 'barrier', 'packets', 'model', 'trace', 'lingerNs', 'fetchNs'];

/** Run the submit loop once on a fresh machine. */
export function simDoorbellRun(options: SimDoorbellOptions = {}): SimDoorbellRun {
  options = toOptions<SimDoorbellOptions>(options, 'options', RUN_KEYS);
  const seed = simLimited(options.seed, 'seed', 1);
  const barrier = options.barrier === undefined ? true : toBool(options.barrier, 'barrier');
  const packets = options.packets ?? 4;
  const model = options.model === undefined ? 'arm' : toChoice(options.model, 'model', ['arm', 'tso']);
  if (typeof packets !== 'number') throw invalidType('packets', 'of type number', packets);
  if (!Number.isInteger(packets) || packets < 1 || packets > RING_SLOTS) {
    throw outOfRange('packets', `an integer from 1 to ${RING_SLOTS}`, packets);
  }
  if (options.trace !== undefined) toBool(options.trace, 'trace');
  const lingerNs = simDelayPair(options.lingerNs, 'lingerNs');
  const fetchNs = simDelayPair(options.fetchNs, 'fetchNs');
  const bus = new SimBus({ seed });
  const ram = bus.addRam(SIM_DOORBELL_RAM_BASE, 0x10000);
  const net = new SimNetDevice(bus.scheduler, bus.master('net'), { fetchNs: fetchNs ?? [100, 800] });
  bus.map(SIM_DOORBELL_NET_BASE, net);
  const cpu = new SimCpu(bus, { model, lingerNs: lingerNs ?? [0, 400] });

  // The ring still holds last lap's completed descriptors: an old frame of 1500 bytes, DONE.
  const dv = new DataView(ram.bytes.buffer);
  for (let s = 0; s < RING_SLOTS; s++) {
    dv.setBigUint64(s * 16, BigInt(SIM_DOORBELL_RAM_BASE + OLD_FRAME), true);
    dv.setUint32(s * 16 + 8, OLD_LEN, true);
    dv.setUint32(s * 16 + 12, SIM_NET_DESC_DONE, true);
  }

  const program: string[] = [];
  const regs = cpu.window(SIM_DOORBELL_NET_BASE, 0x1000);
  const ring = logged(cpu.memoryView(SIM_DOORBELL_RAM_BASE, RING_SLOTS * SIM_NET_DESC_SIZE), (what) => {
    program.push(`[${simFormatTime(bus.scheduler.now)}] ${what}`);
  });
  const frames = cpu.memoryView(SIM_DOORBELL_RAM_BASE + FRAMES, RING_SLOTS * FRAME_STRIDE);
  regs.write32(SIM_NET_RING_LO, SIM_DOORBELL_RAM_BASE);
  regs.write32(SIM_NET_RING_HI, 0);
  regs.write32(SIM_NET_RING_SIZE, RING_SLOTS);
  regs.write32(SIM_NET_CTRL, SIM_NET_CTRL_ENABLE);

  const trace = options.trace ? bus.startTrace() : undefined;
  const expected: Array<{ addr: bigint; len: number; frame: Uint8Array }> = [];
  for (let i = 0; i < packets; i++) {
    const frame = new Uint8Array(FRAME_LEN).map((_, k) => (0x10 * (i + 1) + k) & 0xff);
    const addr = BigInt(SIM_DOORBELL_RAM_BASE + FRAMES + i * FRAME_STRIDE);
    for (let k = 0; k < FRAME_LEN; k += 8) {
      frames.store64(i * FRAME_STRIDE + k, new DataView(frame.buffer).getBigUint64(k, true));
    }
    const bell = logDoorbell(regs, (what) => program.push(`[${simFormatTime(bus.scheduler.now)}] ${what}`));
    simNetSubmit(
      ring,
      bell,
      barrier ? loggedBarriers(cpu.barriers, (what) => program.push(`[${simFormatTime(bus.scheduler.now)}] ${what}`)) : undefined,
      i,
      i + 1,
      addr,
      FRAME_LEN,
      cpu.barriers.compiler,
    );
    expected.push({ addr, len: FRAME_LEN, frame });
  }
  bus.scheduler.runAll();
  bus.stopTrace();

  const stale: SimStaleField[] = [];
  for (const f of net.fetches) {
    const want = expected[f.index];
    if (want === undefined) continue;
    if (f.addr !== want.addr) stale.push({ slot: f.slot, field: 'addr', expected: simHex(want.addr), seen: simHex(f.addr) });
    if (f.len !== want.len) stale.push({ slot: f.slot, field: 'len', expected: String(want.len), seen: String(f.len) });
    if (!(f.flags & SIM_NET_DESC_OWN)) stale.push({ slot: f.slot, field: 'flags', expected: simHex(SIM_NET_DESC_OWN), seen: simHex(f.flags) });
    else if (f.frame !== undefined && f.addr === want.addr && f.len === want.len && !f.frame.every((b, k) => b === want.frame[k])) {
      stale.push({ slot: f.slot, field: 'frame', expected: hexBytes(want.frame), seen: hexBytes(f.frame) });
    }
  }
  return { seed, barrier, model, fetches: net.fetches, stale, reordered: cpu.stats.reordered, trace, endTime: bus.scheduler.now, program };
}

const FIELD = ['addr', 'addr', 'addr', 'addr', 'addr', 'addr', 'addr', 'addr', 'len', 'len', 'len', 'len', 'flags', 'flags', 'flags', 'flags'];

/** A MemoryView that reports each descriptor store (for the program-order listing). */
function logged(view: MemoryView, log: (what: string) => void): MemoryView {
  const note = (o: number, w: number, v: number | bigint): void => {
    log(`cpu issues store${w} desc[${Math.floor(o / SIM_NET_DESC_SIZE)}].${FIELD[o % SIM_NET_DESC_SIZE]} = ${simHex(v, w / 4)} (into the store buffer)`);
  };
  return {
    length: view.length,
    load8: (o) => view.load8(o),
    load16: (o) => view.load16(o),
    load32: (o) => view.load32(o),
    load64: (o) => view.load64(o),
    store8: (o, v) => {
      note(o, 8, v);
      view.store8(o, v);
    },
    store16: (o, v) => {
      note(o, 16, v);
      view.store16(o, v);
    },
    store32: (o, v) => {
      note(o, 32, v);
      view.store32(o, v);
    },
    store64: (o, v) => {
      note(o, 64, v);
      view.store64(o, v);
    },
  };
}

function logDoorbell(regs: RegisterIO, log: (what: string) => void): RegisterIO {
  return new Proxy(regs, {
    get(target, prop, receiver) {
      if (prop === 'write32') {
        return (o: number, v: number) => {
          log(`cpu issues store32 DOORBELL = ${v} (straight to the device)`);
          target.write32(o, v);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function loggedBarriers(b: Barriers, log: (what: string) => void): Barriers {
  return {
    compiler: () => b.compiler(),
    full: () => {
      log('full barrier: store buffer drained');
      b.full();
    },
    store: () => {
      log('store barrier: store buffer drained');
      b.store();
    },
    load: () => b.load(),
  };
}

function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** How many of `count` seeds (from `firstSeed`) show a stale fetch, with and without the barrier. */
export function simDoorbellSurvey(count: number, firstSeed = 1, options: Omit<SimDoorbellOptions, 'seed' | 'barrier' | 'trace'> = {}) {
  toInt(count, 'count', SIM_SCENARIO_LIMITS.survey[0], SIM_SCENARIO_LIMITS.survey[1]);
  simLimited(firstSeed, 'seed', 1, 'firstSeed');
  const lastSeed = SIM_SCENARIO_LIMITS.seed[1];
  if (firstSeed + count - 1 > lastSeed) {
    throw codedError('ERR_OUT_OF_RANGE', `The seeds ${firstSeed}..${firstSeed + count - 1} go past the last seed (${lastSeed}).`);
  }
  options = toOptions<Omit<SimDoorbellOptions, 'seed' | 'barrier' | 'trace'>>(options, 'options', ['packets', 'model', 'lingerNs', 'fetchNs']);
  let withBarrier = 0;
  let without = 0;
  const staleSeeds: number[] = [];
  for (let s = firstSeed; s < firstSeed + count; s++) {
    if (simDoorbellRun({ ...options, seed: s, barrier: false }).stale.length > 0) {
      without++;
      if (staleSeeds.length < 10) staleSeeds.push(s);
    }
    if (simDoorbellRun({ ...options, seed: s, barrier: true }).stale.length > 0) withBarrier++;
  }
  return { seeds: count, firstSeed, staleWithoutBarrier: without, staleWithBarrier: withBarrier, exampleStaleSeeds: staleSeeds };
}

/** The `doorbell` scenario: one traced run (with or without the barrier) plus a survey of seeds. */
export function simDoorbellScenario(options: { seed?: number; barrier?: boolean; survey?: number; model?: 'arm' | 'tso' } = {}): SimScenarioResult {
  options = toOptions<{ seed?: number; barrier?: boolean; survey?: number; model?: 'arm' | 'tso' }>(options, 'options', ['seed', 'barrier', 'survey', 'model']);
  const barrier = options.barrier === undefined ? true : toBool(options.barrier, 'barrier');
  const seed = simLimited(options.seed, 'seed', 1);
  const surveyCount = simLimited(options.survey, 'survey', 200);
  const model = options.model === undefined ? undefined : toChoice(options.model, 'model', ['arm', 'tso']);
  const run = simDoorbellRun({ seed, barrier, trace: true, model });
  const survey = simDoorbellSurvey(surveyCount, 1, { model });
  const lines: string[] = [];
  lines.push(`doorbell: submit() ${barrier ? 'WITH' : 'WITHOUT'} the store barrier, seed ${run.seed}, ${run.model} memory model`);
  lines.push('');
  lines.push('program order:');
  lines.push(...run.program);
  lines.push('');
  lines.push('what the bus saw (RAM stores when they left the store buffer; the device\'s DMA as "net"):');
  for (const tx of run.trace?.records ?? []) {
    // Frame payload reads are noise here; keep descriptor traffic and device registers.
    if (tx.initiator === 'net' && tx.offset >= FRAMES) continue;
    if (tx.initiator === 'cpu' && tx.kind === 'write' && tx.address >= SIM_DOORBELL_RAM_BASE + FRAMES) continue;
    lines.push(simFormatTransaction(tx));
  }
  lines.push('');
  for (const f of run.fetches) {
    lines.push(
      `[${simFormatTime(f.time)}] device fetched descriptor ${f.slot}: addr ${simHex(f.addr)} len ${f.len} flags ${simHex(f.flags)}` +
        (f.rejected ? `  REJECTED: ${f.rejected}` : ''),
    );
  }
  for (const s of run.stale) lines.push(`STALE: descriptor ${s.slot} ${s.field}: device saw ${s.seen}, driver wrote ${s.expected}`);
  lines.push('');
  lines.push(
    `${run.stale.length === 0 ? 'no stale fetch in this run' : `${run.stale.length} stale field(s) in this run`}; ` +
      `${run.reordered} store(s) became visible before an older one`,
  );
  lines.push(
    `survey of seeds ${survey.firstSeed}..${survey.firstSeed + survey.seeds - 1}: stale fetches without the barrier in ` +
      `${survey.staleWithoutBarrier}, with the barrier in ${survey.staleWithBarrier}`,
  );
  const ok = survey.staleWithBarrier === 0 && (run.model === 'tso' || survey.staleWithoutBarrier > 0);
  return {
    scenario: 'doorbell',
    ok,
    summary: `with the store barrier ${survey.staleWithBarrier} of ${survey.seeds} seeds fetched stale descriptors; without it ${survey.staleWithoutBarrier}`,
    lines,
    data: {
      seed: run.seed,
      barrier,
      model: run.model,
      fetches: run.fetches.map((f) => ({
        index: f.index,
        slot: f.slot,
        timeNs: f.time,
        addr: simHex(f.addr),
        len: f.len,
        flags: simHex(f.flags),
        ...(f.rejected ? { rejected: f.rejected } : {}),
      })),
      stale: run.stale,
      reordered: run.reordered,
      program: run.program,
      survey,
      trace: run.trace?.toJSON() ?? [],
    },
  };
}
