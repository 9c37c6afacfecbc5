/**
 * The SuiteContext a suite's process runs with: tinybench measurement with page-fault counts, checks,
 * remarks and facts, collected for the runner.
 */
import { formatDuration, formatRate } from 'mmapkit';
import type { BenchTask, CheckResult, MeasureOptions, ResultRow, SuiteContext } from './types';

/** Keeps results alive so the JIT cannot drop the measured work. */
export let sink: unknown;

/** What the runner hands a suite's process: the context's plain facts and the suite's name. */
export type ContextInit = Pick<SuiteContext, 'quick' | 'sizeBytes' | 'dataDir' | 'csvPath' | 'csvSum' | 'cacheDir' | 'timeMs'> & { suite: string };

export interface CollectedContext extends SuiteContext {
  rows: ResultRow[];
  checks: CheckResult[];
  remarks: string[];
  facts: Record<string, string | number | boolean>;
}

function fmtRow(r: ResultRow): string {
  const parts: string[] = [];
  if (r.gbPerSec !== undefined) parts.push(formatRate(r.gbPerSec * 1e9));
  if (r.nsPerOp !== undefined) parts.push(`${formatDuration(r.nsPerOp)}/op`);
  if (r.minorFaults !== undefined && (r.minorFaults > 0 || (r.majorFaults ?? 0) > 0))
    parts.push(`${Math.round(r.minorFaults)} minor / ${Math.round(r.majorFaults ?? 0)} major faults`);
  if (r.value !== undefined) parts.push(`${r.value} ${r.unit ?? ''}`.trim());
  return parts.join(', ');
}

export function createContext(init: ContextInit): CollectedContext {
  const rows: ResultRow[] = [];
  const checks: CheckResult[] = [];
  const remarks: string[] = [];
  const facts: Record<string, string | number | boolean> = {};
  const log = (message: string): void => {
    process.stderr.write(`  ${init.suite}: ${message}\n`);
  };
  const ctx: CollectedContext = {
    quick: init.quick,
    sizeBytes: init.sizeBytes,
    dataDir: init.dataDir,
    csvPath: init.csvPath,
    csvSum: init.csvSum,
    cacheDir: init.cacheDir,
    timeMs: init.timeMs,
    rows,
    checks,
    remarks,
    facts,
    log,
    record(row) {
      const full: ResultRow = { suite: init.suite, ...row };
      rows.push(full);
      log(`${row.group} | ${row.name}: ${fmtRow(full)}`);
    },
    check(name, ok, detail) {
      checks.push({ suite: init.suite, name, ok, detail });
      if (!ok) log(`CHECK FAILED: ${name}${detail ? ` (${detail})` : ''}`);
    },
    remark(text) {
      remarks.push(text);
      log(`note: ${text}`);
    },
    fact(key, value) {
      facts[key] = value;
    },
    async measure(tasks: BenchTask[], options?: MeasureOptions): Promise<ResultRow[]> {
      const { Bench } = await import('tinybench');
      const out: ResultRow[] = [];
      const iterations = options?.iterations ?? (init.quick ? 1 : 3);
      const warmup = options?.warmup ?? (init.quick ? 0 : 1);
      const time = init.quick ? 0 : (options?.time ?? init.timeMs);
      for (const t of tasks) {
        for (let w = 0; w < warmup; w++) {
          await t.beforeEach?.();
          sink = await t.fn();
          await t.afterEach?.();
        }
        let minor = 0;
        let major = 0;
        let calls = 0;
        const isAsync = t.fn.constructor.name === 'AsyncFunction';
        const fn = isAsync
          ? async () => {
              const a = process.resourceUsage();
              sink = await t.fn();
              const b = process.resourceUsage();
              minor += b.minorPageFault - a.minorPageFault;
              major += b.majorPageFault - a.majorPageFault;
              calls++;
            }
          : () => {
              const a = process.resourceUsage();
              sink = t.fn();
              const b = process.resourceUsage();
              minor += b.minorPageFault - a.minorPageFault;
              major += b.majorPageFault - a.majorPageFault;
              calls++;
            };
        const bench = new Bench({ time, iterations, warmup: false, throws: true });
        bench.add(t.name, fn, {
          beforeEach: t.beforeEach
            ? async () => {
                await t.beforeEach?.();
              }
            : undefined,
          afterEach: t.afterEach
            ? async () => {
                await t.afterEach?.();
              }
            : undefined,
        });
        await bench.run();
        const task = bench.tasks[0];
        const res = task.result as { state: string; latency?: { mean: number; p50?: number; min?: number; max?: number }; error?: unknown };
        if (!res.latency) throw new Error(`task '${t.name}' did not complete (${res.state}): ${String(res.error ?? '')}`);
        const ms = res.latency.p50 ?? res.latency.mean;
        const ns = ms * 1e6;
        const row: ResultRow = {
          suite: init.suite,
          group: t.group,
          name: t.name,
          nsPerOp: ns / (t.ops ?? 1),
          samples: calls,
          ...(res.latency.min !== undefined && res.latency.max !== undefined ? { nsMin: res.latency.min * 1e6, nsMax: res.latency.max * 1e6 } : {}),
          minorFaults: calls ? minor / calls : 0,
          majorFaults: calls ? major / calls : 0,
        };
        if (t.ops !== undefined) row.ops = t.ops;
        if (t.bytes !== undefined) {
          row.bytes = t.bytes;
          row.gbPerSec = t.bytes / ns;
        }
        if (t.baseline) row.baseline = true;
        if (t.note) row.note = t.note;
        rows.push(row);
        out.push(row);
        log(`${t.group} | ${t.name}: ${fmtRow(row)}`);
      }
      return out;
    },
  };
  return ctx;
}
