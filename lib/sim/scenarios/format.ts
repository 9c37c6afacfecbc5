/** Helpers the scenarios share to print traces readably. */
import { simFormatTransaction, simTransactionJSON, type SimTransaction } from '../trace';

/** A run of identical consecutive transactions (a poll loop) shown once with a count. */
export interface SimCollapsed {
  readonly tx: SimTransaction;
  readonly count: number;
  /** Time of the last one. */
  readonly until: number;
}

/** Collapse consecutive transactions with the same initiator, kind, address, size and value. */
export function simCollapse(records: readonly SimTransaction[]): SimCollapsed[] {
  const out: SimCollapsed[] = [];
  for (const tx of records) {
    const last = out.at(-1);
    if (last && last.tx.initiator === tx.initiator && last.tx.kind === tx.kind && last.tx.address === tx.address &&
      last.tx.size === tx.size && last.tx.value === tx.value && last.tx.space === tx.space) {
      out[out.length - 1] = { tx: last.tx, count: last.count + 1, until: tx.time };
    } else {
      out.push({ tx, count: 1, until: tx.time });
    }
  }
  return out;
}

/** One line per collapsed run: the transaction, then '(×N, until t)' for a repeated one. */
export function simFormatCollapsed(runs: readonly SimCollapsed[], formatTime: (ns: number) => string): string[] {
  return runs.map((r) => simFormatTransaction(r.tx) + (r.count > 1 ? `  (×${r.count}, until ${formatTime(r.until)})` : ''));
}

/** JSON of collapsed runs: the transaction plus `repeat`. */
export function simCollapsedJSON(runs: readonly SimCollapsed[]): unknown[] {
  return runs.map((r) => ({ ...simTransactionJSON(r.tx), repeat: r.count, untilNs: r.until }));
}
