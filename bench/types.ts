/**
 * The contract between the benchmark runner (bench/main.ts, bench/run-suite.ts) and the suites
 * (bench/suites/NN-name.ts). A suite module exports `suite: Suite`; the runner loads it in a fresh
 * Node process, hands it a SuiteContext and collects what it recorded.
 */
import type { MachineInfo } from './machine';

/** One thing to time with tinybench. */
export interface BenchTask {
  /** Row label, unique within the suite (e.g. 'mmap populate, native loop'). */
  name: string;
  /** Rows of one group are compared with each other; ratios are taken against the group's baseline. */
  group: string;
  /** Bytes processed by one call of fn (gives GB/s). */
  bytes?: number;
  /** Operations done by one call of fn (gives ns per operation instead of ns per call). */
  ops?: number;
  /** Marks the group's reference row (the read() baseline); ratios are relative to it. */
  baseline?: boolean;
  /** The timed call. May be async. Its result is kept so the JIT cannot drop the work. */
  fn: () => unknown;
  /** Untimed preparation before every call (e.g. evict the file for a cold run). */
  beforeEach?: () => unknown;
  /** Untimed clean-up after every call. */
  afterEach?: () => unknown;
  /** Free text shown in the report next to the row. */
  note?: string;
}

/** One measured (or directly recorded) row of a report. */
export interface ResultRow {
  suite: string;
  group: string;
  name: string;
  /** Mean nanoseconds per operation (per call when ops is not given). */
  nsPerOp?: number;
  /** Fastest and slowest timed call, in nanoseconds per call (the spread the charts draw). */
  nsMin?: number;
  nsMax?: number;
  /** Gigabytes (1e9 bytes) per second, when bytes were given. */
  gbPerSec?: number;
  bytes?: number;
  ops?: number;
  /** Number of timed calls. */
  samples?: number;
  /** Minor / major page faults per call (getrusage via process.resourceUsage()). */
  minorFaults?: number;
  majorFaults?: number;
  /** Throughput (or inverse time) relative to the group's baseline row; filled in by the runner. */
  ratio?: number;
  baseline?: boolean;
  /** Any other figure: a PSS in KiB, a fault cost in ns, a count. */
  value?: number;
  unit?: string;
  note?: string;
}

export interface CheckResult {
  suite: string;
  name: string;
  ok: boolean;
  detail?: string;
}

/** Overrides for one measure() call (e.g. few iterations for cold runs that read a whole file). */
export interface MeasureOptions {
  /** Minimum time per task in milliseconds (default ctx.timeMs). */
  time?: number;
  /** Minimum number of timed calls per task (default 3, 1 in quick mode). */
  iterations?: number;
  /** Untimed calls before timing (default 1, 0 in quick mode). */
  warmup?: number;
}

/** What a suite gets from the runner. */
export interface SuiteContext {
  /** Tiny sizes, few iterations; the suite must still run every code path and check every sum. */
  quick: boolean;
  /** Size in bytes of the generated CSV (the main data file). */
  sizeBytes: number;
  /** Folder for data files (shared by all suites of one run; suites may add their own files). */
  dataDir: string;
  /** The generated CSV file and its sum (decimal string of the signed 64-bit BigInt). */
  csvPath: string;
  csvSum: string;
  /** A persistent cache folder (npm installs of comparison packages live here). */
  cacheDir: string;
  /** Time budget per task in milliseconds (tinybench `time`). */
  timeMs: number;
  /** Prints a progress line. */
  log(message: string): void;
  /** Times the tasks with tinybench (one Bench per call), with fault counts; records and returns the rows. */
  measure(tasks: BenchTask[], options?: MeasureOptions): Promise<ResultRow[]>;
  /** Records a row measured some other way. `suite` is filled in. */
  record(row: Omit<ResultRow, 'suite'>): void;
  /** Records a correctness check (a sum matched, residency confirmed, a package built). A failed check fails the run. */
  check(name: string, ok: boolean, detail?: string): void;
  /** Records a remark for the report (e.g. "@riaskov/mmap-io 1.1.7: does not build: ..."). */
  remark(text: string): void;
  /** Records a fact about the machine or the data seen by the suite (shown in the report header). */
  fact(key: string, value: string | number | boolean): void;
}

/** A suite module under bench/suites/NN-name.ts exports `export const suite: Suite`. */
export interface Suite {
  /** Short name used by --suite (e.g. 'csv-sum'); the file's NN gives the order. */
  name: string;
  /** One line for the report heading. */
  title: string;
  /** Whether the suite can run here; return a reason string to skip it (recorded in the report). */
  available?(): true | string;
  /** False for a suite that runs without mmapkit's native addon (on every platform); default true. */
  native?: boolean;
  run(ctx: SuiteContext): Promise<void>;
}

/** What a suite process hands back to the runner. */
export interface SuiteOutput {
  suite: string;
  title: string;
  rows: ResultRow[];
  checks: CheckResult[];
  remarks: string[];
  skipped?: string;
  error?: string;
  /** Facts the suite observed, e.g. { filePmdMappedKiB: 2048 } after mapping the CSV. */
  facts?: Record<string, string | number | boolean>;
}

/** A whole run, as the reports (bench/report.ts) and the charts (bench/charts.ts) read it. */
export interface RunReport {
  machine: MachineInfo;
  /** Facts found during the run (folios, mmap-io builds …). */
  facts: Record<string, string | number | boolean>;
  options: { quick: boolean; sizeBytes: number; suites: string[]; timeMs: number };
  suites: SuiteOutput[];
  ok: boolean;
  durationSec: number;
}
