/**
 * Transaction tracing: every load and store the bus (or the port space) carries can be recorded
 * with its address, size, value and the byte lanes it drives, and printed the way the seed prints
 * them: a 32-bit store of 0x00000001 at 0x10000008 drives lanes 0x10000008..0x1000000B with
 * 01 00 00 00.
 */
import { simHex, simLanes, type SimAccessSize } from './device';
import { invalidType, simCheckSize, simCheckValue, toChoice, toFiniteNumber, toInt, toStr } from '../validate';

/** The most transactions one trace keeps. */
export const SIM_TRACE_MAX_LIMIT = 10_000_000;

function checkLimit(limit: unknown): number {
  return toInt(limit, 'limit', 0, SIM_TRACE_MAX_LIMIT);
}

/** Throws unless `tx` has the shape of a SimTransaction (nothing but its own fields is read). */
function checkTx(tx: unknown): asserts tx is SimTransaction {
  if (typeof tx !== 'object' || tx === null) throw invalidType('tx', 'a SimTransaction', tx);
  const t = tx as Record<string, unknown>;
  toInt(t.seq, 'tx.seq', 0, Number.MAX_SAFE_INTEGER);
  toFiniteNumber(t.time, 'tx.time', 0, Number.MAX_VALUE);
  toChoice(t.space, 'tx.space', ['mem', 'io'] as const);
  toStr(t.initiator, 'tx.initiator');
  toChoice(t.kind, 'tx.kind', ['read', 'write'] as const);
  toInt(t.address, 'tx.address', 0, Number.MAX_SAFE_INTEGER);
  simCheckSize(t.size, 'tx.size');
  if (t.value !== undefined) {
    simCheckValue(t.value, 'tx.value');
    if (typeof t.value === 'number' && !Number.isSafeInteger(t.value)) throw invalidType('tx.value', 'an integer', t.value);
  }
  if (!Array.isArray(t.lanes) || t.lanes.length > 8) throw invalidType('tx.lanes', 'an array of at most 8 bytes', t.lanes);
  t.lanes.forEach((b, i) => toInt(b, `tx.lanes[${i}]`, 0, 255));
  toStr(t.target, 'tx.target');
  toInt(t.offset, 'tx.offset', 0, Number.MAX_SAFE_INTEGER);
  if (t.register !== undefined) toStr(t.register, 'tx.register');
  if (t.error !== undefined) toStr(t.error, 'tx.error');
}

/** One recorded transaction. */
export interface SimTransaction {
  /** Order of the transaction in the trace, from 0. */
  readonly seq: number;
  /** Simulated time in ns. */
  readonly time: number;
  /** 'mem' for the physical address space, 'io' for the x86 port space. */
  readonly space: 'mem' | 'io';
  /** Who drove it: 'cpu', or a device doing DMA ('net' …). */
  readonly initiator: string;
  readonly kind: 'read' | 'write';
  readonly address: number;
  readonly size: SimAccessSize;
  /** Value read or written; undefined when the access failed. */
  readonly value: number | bigint | undefined;
  /** Bytes on the lanes address, address+1, …, least significant first. */
  readonly lanes: readonly number[];
  /** Name of the region (or port device) that answered, or 'unassigned'. */
  readonly target: string;
  /** Offset inside the target region. */
  readonly offset: number;
  /** Register name at that offset, when the device names its registers. */
  readonly register?: string;
  /** Set when the access ended in a bus error (or an unassigned port). */
  readonly error?: string;
}

/** A recording of transactions; `records` fills as the simulation runs. */
export class SimTrace {
  readonly records: SimTransaction[] = [];
  /** Transactions not kept because `limit` was reached. */
  dropped = 0;
  constructor(readonly limit = 100_000) {
    checkLimit(limit);
  }

  /** @internal Called by the bus and the port space. */
  add(tx: Omit<SimTransaction, 'seq' | 'lanes'>): SimTransaction {
    const full: SimTransaction = {
      ...tx,
      seq: this.records.length + this.dropped,
      lanes: tx.value === undefined ? [] : simLanes(tx.value, tx.size),
    };
    if (this.records.length < this.limit) this.records.push(full);
    else this.dropped++;
    return full;
  }

  /** One line per transaction. */
  format(): string {
    return this.records.map(simFormatTransaction).join('\n');
  }

  toJSON(): unknown[] {
    return this.records.map(simTransactionJSON);
  }
}

/** A transaction as plain JSON (values and addresses as hex strings). */
export function simTransactionJSON(tx: SimTransaction): Record<string, unknown> {
  checkTx(tx);
  const digits = tx.space === 'io' ? 4 : 8;
  return {
    seq: tx.seq,
    timeNs: tx.time,
    space: tx.space,
    initiator: tx.initiator,
    kind: tx.kind,
    address: simHex(tx.address, digits),
    size: tx.size,
    value: tx.value === undefined ? null : simHex(tx.value, tx.size * 2),
    lanes: tx.lanes.map((b, i) => ({ address: simHex(tx.address + i, digits), byte: b.toString(16).padStart(2, '0') })),
    target: tx.target,
    offset: simHex(tx.offset, 2),
    ...(tx.register !== undefined ? { register: tx.register } : {}),
    ...(tx.error !== undefined ? { error: tx.error } : {}),
  };
}

/** Simulated time as a readable string ('12.345 µs'). */
export function simFormatTime(ns: number): string {
  toFiniteNumber(ns, 'ns', -Number.MAX_VALUE, Number.MAX_VALUE);
  if (ns < 1000) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(3)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(3)} ms`;
  return `${(ns / 1e9).toFixed(6)} s`;
}

/**
 * One line: time, initiator, load/store with width, address, value, target register and lanes.
 * Example: `[0 ns] cpu store32 0x10000008 = 0x00000001 -> uart+0x08 CTRL  lanes 0x10000008..0x1000000b: 01 00 00 00`
 */
export function simFormatTransaction(tx: SimTransaction): string {
  checkTx(tx);
  const digits = tx.space === 'io' ? 4 : 8;
  const op =
    tx.space === 'io'
      ? (tx.kind === 'read' ? 'in' : 'out') + ({ 1: 'b', 2: 'w', 4: 'l', 8: 'q' } as const)[tx.size]
      : (tx.kind === 'read' ? 'load' : 'store') + tx.size * 8;
  const where = `${tx.target}+${simHex(tx.offset, 2)}${tx.register ? ' ' + tx.register : ''}`;
  const value = tx.value === undefined ? '?' : simHex(tx.value, tx.size * 2);
  const arrow = tx.kind === 'read' ? `-> ${value}` : `= ${value}`;
  let line = `[${simFormatTime(tx.time)}] ${tx.initiator} ${op} ${simHex(tx.address, digits)} ${arrow} @ ${where}`;
  if (tx.error !== undefined) return `${line}  ERROR: ${tx.error}`;
  const last = tx.address + tx.size - 1;
  const bytes = tx.lanes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
  line += tx.size === 1 ? `  lane ${simHex(tx.address, digits)}: ${bytes}` : `  lanes ${simHex(tx.address, digits)}..${simHex(last, digits)}: ${bytes}`;
  return line;
}

/**
 * The seed's byte-lane table for one transaction:
 * ```
 * address     byte
 * 0x10000008  01
 * 0x10000009  00
 * 0x1000000a  00
 * 0x1000000b  00
 * ```
 */
export function simFormatLaneTable(tx: SimTransaction): string {
  checkTx(tx);
  const digits = tx.space === 'io' ? 4 : 8;
  const rows = tx.lanes.map((b, i) => `${simHex(tx.address + i, digits)}  ${b.toString(16).padStart(2, '0')}`);
  return ['address'.padEnd(digits + 2) + '  byte', ...rows].join('\n');
}

/** Something whose transactions can be recorded: the bus and the port space. */
export abstract class SimTraced {
  protected tracer: SimTrace | undefined;

  /** Start recording transactions (replacing any recording in progress). */
  startTrace(limit?: number): SimTrace {
    if (limit !== undefined) checkLimit(limit);
    this.tracer = new SimTrace(limit);
    return this.tracer;
  }

  /** Stop recording; returns the trace, if one was running. */
  stopTrace(): SimTrace | undefined {
    const t = this.tracer;
    this.tracer = undefined;
    return t;
  }

  /** The trace being recorded, if any. */
  get trace(): SimTrace | undefined {
    return this.tracer;
  }
}
