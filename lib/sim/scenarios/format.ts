/** Helpers the scenarios share to print traces readably. */
import { simFormatTransaction, simTransactionJSON, type SimTransaction } from '../trace';
import { invalidType } from '../../validate';

const SPACES = ['mem', 'io'];
const KINDS = ['read', 'write'];
const SIZES = [1, 2, 4, 8];

/** A transaction as a trace records it: every field of the right type (read once, never coerced). */
function checkTx(tx: unknown, name: string): SimTransaction {
  if (tx === null || typeof tx !== 'object') throw invalidType(name, 'a SimTransaction', tx);
  const t = tx as Record<string, unknown>;
  const bad = (field: string, expected: string, v: unknown): never => {
    throw invalidType(`${name}.${field}`, expected, v);
  };
  for (const f of ['seq', 'time', 'address', 'offset']) if (typeof t[f] !== 'number') bad(f, 'of type number', t[f]);
  for (const f of ['initiator', 'target']) if (typeof t[f] !== 'string') bad(f, 'of type string', t[f]);
  if (!SPACES.includes(t.space as string)) bad('space', "'mem' or 'io'", t.space);
  if (!KINDS.includes(t.kind as string)) bad('kind', "'read' or 'write'", t.kind);
  if (!SIZES.includes(t.size as number)) bad('size', '1, 2, 4 or 8', t.size);
  const v = t.value;
  if (v !== undefined && typeof v !== 'number' && typeof v !== 'bigint') bad('value', 'a number, a bigint or undefined', v);
  const lanes = t.lanes;
  if (!Array.isArray(lanes) || lanes.length > 8 || !lanes.every((b) => typeof b === 'number')) bad('lanes', 'an array of at most 8 numbers', lanes);
  if (t.register !== undefined && typeof t.register !== 'string') bad('register', 'a string or undefined', t.register);
  if (t.error !== undefined && typeof t.error !== 'string') bad('error', 'a string or undefined', t.error);
  return tx as SimTransaction;
}

function checkRuns(runs: unknown, name: string): readonly SimCollapsed[] {
  if (!Array.isArray(runs)) throw invalidType(name, 'an array', runs);
  runs.forEach((r: unknown, i) => {
    if (r === null || typeof r !== 'object') throw invalidType(`${name}[${i}]`, 'a SimCollapsed', r);
    const c = r as Record<string, unknown>;
    checkTx(c.tx, `${name}[${i}].tx`);
    if (typeof c.count !== 'number') throw invalidType(`${name}[${i}].count`, 'of type number', c.count);
    if (typeof c.until !== 'number') throw invalidType(`${name}[${i}].until`, 'of type number', c.until);
  });
  return runs as readonly SimCollapsed[];
}

/** A run of identical consecutive transactions (a poll loop) shown once with a count. */
export interface SimCollapsed {
  readonly tx: SimTransaction;
  readonly count: number;
  /** Time of the last one. */
  readonly until: number;
}

/** Collapse consecutive transactions with the same initiator, kind, address, size and value. */
export function simCollapse(records: readonly SimTransaction[]): SimCollapsed[] {
  if (!Array.isArray(records)) throw invalidType('records', 'an array', records);
  records.forEach((tx, i) => checkTx(tx, `records[${i}]`));
  const out: SimCollapsed[] = [];
  for (const tx of records) {
    const last = out.at(-1);
    if (
      last &&
      last.tx.initiator === tx.initiator &&
      last.tx.kind === tx.kind &&
      last.tx.address === tx.address &&
      last.tx.size === tx.size &&
      last.tx.value === tx.value &&
      last.tx.space === tx.space
    ) {
      out[out.length - 1] = { tx: last.tx, count: last.count + 1, until: tx.time };
    } else {
      out.push({ tx, count: 1, until: tx.time });
    }
  }
  return out;
}

/** One line per collapsed run: the transaction, then '(×N, until t)' for a repeated one. */
export function simFormatCollapsed(runs: readonly SimCollapsed[], formatTime: (ns: number) => string): string[] {
  checkRuns(runs, 'runs');
  if (typeof formatTime !== 'function') throw invalidType('formatTime', 'a function', formatTime);
  return runs.map((r) => {
    if (r.count <= 1) return simFormatTransaction(r.tx);
    const until = formatTime(r.until);
    if (typeof until !== 'string') throw invalidType('formatTime', 'a function returning a string', until);
    return simFormatTransaction(r.tx) + `  (×${r.count}, until ${until})`;
  });
}

/** JSON of collapsed runs: the transaction plus `repeat`. */
export function simCollapsedJSON(runs: readonly SimCollapsed[]): unknown[] {
  checkRuns(runs, 'runs');
  return runs.map((r) => ({ ...simTransactionJSON(r.tx), repeat: r.count, untilNs: r.until }));
}
