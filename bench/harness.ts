/**
 * Helpers shared by the runner and the suites: the SuiteContext implementation (tinybench with
 * fault counts), machine facts for the report header, page-cache folio detection, warm / cold
 * file preparation and the CSV generator.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { addonAvailable, evictFile, fileResidency, mapFile, pageSize, scanStrideSum, touchFile } from 'mmapkit';
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
  if (r.gbPerSec !== undefined) parts.push(`${r.gbPerSec.toFixed(2)} GB/s`);
  if (r.nsPerOp !== undefined) parts.push(`${fmtNs(r.nsPerOp)}/op`);
  if (r.minorFaults !== undefined && (r.minorFaults > 0 || (r.majorFaults ?? 0) > 0)) parts.push(`${Math.round(r.minorFaults)} minor / ${Math.round(r.majorFaults ?? 0)} major faults`);
  if (r.value !== undefined) parts.push(`${r.value} ${r.unit ?? ''}`.trim());
  return parts.join(', ');
}

export function fmtNs(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(1)} ns`;
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
      const time = init.quick ? 0 : options?.time ?? init.timeMs;
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
          beforeEach: t.beforeEach ? async () => { await t.beforeEach?.(); } : undefined,
          afterEach: t.afterEach ? async () => { await t.afterEach?.(); } : undefined,
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

// ------------------------------------------------------------------------------------------------
// Warm and cold files (the same helpers `mmapkit residency` uses)

/** Makes the whole file resident (re-reading what is missing) and confirms it; returns the percent. */
export function ensureWarm(file: string, attempts = 3): number {
  let r = fileResidency(file);
  for (let k = 0; k < attempts && r.resident < r.pages; k++) r = touchFile(file);
  return r.percent;
}

/** Drops the file from the page cache and returns how many pages are still resident. */
export function ensureCold(file: string): number {
  let r = evictFile(file);
  if (r.resident > 0) r = evictFile(file);
  return r.resident;
}

// ------------------------------------------------------------------------------------------------
// Machine facts

export interface MachineInfo {
  date: string;
  cpu: string;
  cores: number;
  flags: string;
  kernel: string;
  node: string;
  pageSize: number;
  thp: Record<string, string>;
  filesystem: string;
  memory: string;
  /** 1-minute load average when the run started, against the CPU count (others' work skews timings). */
  load: string;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The value in brackets of a sysfs choice file ("always [madvise] never" → "madvise"). */
function chosen(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const m = /\[([^\]]+)\]/.exec(text);
  return m ? m[1] : text.trim();
}

export function thpSettings(): Record<string, string> {
  const base = '/sys/kernel/mm/transparent_hugepage';
  const out: Record<string, string> = {};
  for (const k of ['enabled', 'defrag', 'shmem_enabled']) {
    const v = chosen(readText(path.join(base, k)));
    if (v !== undefined) out[k] = v;
  }
  const pmd = readText(path.join(base, 'hpage_pmd_size'));
  if (pmd) out.pmd_size = `${Number(pmd) / 1024} KiB`;
  // Multi-size THP (anonymous): list the sizes not set to never.
  try {
    const sizes: string[] = [];
    for (const d of fs.readdirSync(base)) {
      if (!d.startsWith('hugepages-')) continue;
      const v = chosen(readText(path.join(base, d, 'enabled')));
      if (v && v !== 'never') sizes.push(`${d.slice(10)}:${v}`);
    }
    if (sizes.length) out.mthp = sizes.join(' ');
  } catch {
    /* no mTHP */
  }
  return out;
}

export function filesystemOf(p: string): string {
  const mounts = readText('/proc/self/mounts') ?? '';
  let best = '';
  let desc = 'unknown';
  const real = fs.realpathSync(p);
  for (const line of mounts.split('\n')) {
    const [dev, mnt, type] = line.split(' ');
    if (!mnt) continue;
    const m = mnt.replace(/\\040/g, ' ');
    if ((real === m || real.startsWith(m.endsWith('/') ? m : m + '/')) && m.length >= best.length) {
      best = m;
      desc = `${type} on ${dev} (${m})`;
    }
  }
  return desc;
}

export function machineInfo(dataDir: string): MachineInfo {
  const cpuinfo = readText('/proc/cpuinfo') ?? '';
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? /^Model\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const flagLine = /^(flags|Features)\s*:\s*(.*)$/m.exec(cpuinfo)?.[2] ?? '';
  const flags = flagLine
    .split(/\s+/)
    .filter((f) => /^(sse4_2|avx|avx2|avx512\w*|bmi1|bmi2|popcnt|asimd|sve\w*|erms|fsrm)$/.test(f))
    .join(' ');
  return {
    date: new Date().toISOString(),
    cpu: model.trim(),
    cores: os.cpus().length,
    flags,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    // 0: unknown where the native addon is not available (only the simulator suite runs there).
    pageSize: addonAvailable() ? pageSize() : 0,
    thp: thpSettings(),
    filesystem: filesystemOf(dataDir),
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    load: `${os.loadavg()[0].toFixed(2)} (1 min) on ${os.cpus().length} CPUs`,
  };
}

// ------------------------------------------------------------------------------------------------
// Large folios in the page cache

export interface FolioInfo {
  /** How it was found: 'kpageflags' (exact, needs root) or 'smaps' (PMD-mapped part only). */
  method: string;
  /** Pages sampled. */
  sampled: number;
  /** Percent of the sampled pages that sit in large folios (compound pages). */
  largePercent?: number;
  /** Average folio size over the large folios, in KiB. */
  avgFolioKiB?: number;
  /** FilePmdMapped of the mapping in KiB (from /proc/self/smaps). */
  filePmdMappedKiB?: number;
  summary: string;
}

/** The smaps entry of the mapping starting at addr: field name → KiB. */
export function smapsFields(addr: bigint, pid: number | 'self' = 'self'): Record<string, number> {
  const text = readText(`/proc/${pid}/smaps`) ?? '';
  const start = addr.toString(16);
  const out: Record<string, number> = {};
  let inside = false;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-[0-9a-f]+ /.exec(line);
    if (head) {
      inside = head[1] === start || head[1] === start.padStart(head[1].length, '0');
      continue;
    }
    if (!inside) continue;
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/**
 * Whether the file's page cache sits in large folios: maps the file, faults it in, then reads
 * the page frame of each page from /proc/self/pagemap and its flags from /proc/kpageflags
 * (COMPOUND_HEAD / COMPOUND_TAIL mark pages of a large folio). Without root, pagemap hides frame
 * numbers; then only smaps' FilePmdMapped (the part mapped by 2 MiB entries) is reported.
 */
export function folioInfo(file: string, maxPages = 32768): FolioInfo {
  const m = mapFile(file);
  try {
    if (m.length === 0) return { method: 'none', sampled: 0, summary: 'empty file' };
    const ps = pageSize();
    scanStrideSum(m.buffer, ps);
    const smaps = smapsFields(m.address);
    const pmd = smaps.FilePmdMapped;
    const pages = Math.min(Math.ceil(m.length / ps), maxPages);
    let pm: number | undefined;
    let kf: number | undefined;
    try {
      pm = fs.openSync('/proc/self/pagemap', 'r');
      kf = fs.openSync('/proc/kpageflags', 'r');
      const buf = Buffer.alloc(pages * 8);
      fs.readSync(pm, buf, 0, buf.length, Number((m.address / BigInt(ps)) * 8n));
      const flag = Buffer.alloc(8);
      let large = 0;
      let heads = 0;
      let seen = 0;
      for (let i = 0; i < pages; i++) {
        const e = buf.readBigUInt64LE(i * 8);
        if (((e >> 63n) & 1n) === 0n) continue;
        const pfn = e & ((1n << 55n) - 1n);
        if (pfn === 0n) throw new Error('no frame numbers (not root)');
        fs.readSync(kf, flag, 0, 8, Number(pfn * 8n));
        const f = flag.readBigUInt64LE(0);
        seen++;
        const head = ((f >> 15n) & 1n) === 1n;
        const tail = ((f >> 16n) & 1n) === 1n;
        if (head || tail) large++;
        if (head) heads++;
      }
      const pct = seen ? (100 * large) / seen : 0;
      const avg = heads ? (large / heads) * (ps / 1024) : 0;
      const summary = large === 0
        ? `no: all ${seen} sampled pages are single ${ps / 1024} KiB folios` + (pmd !== undefined ? ` (FilePmdMapped ${pmd} kB)` : '')
        : `yes: ${pct.toFixed(0)}% of ${seen} sampled pages in large folios, about ${avg >= 1024 ? `${(avg / 1024).toFixed(1)} MiB` : `${avg.toFixed(0)} KiB`} each` + (pmd !== undefined ? ` (FilePmdMapped ${pmd} kB)` : '');
      return { method: 'kpageflags', sampled: seen, largePercent: pct, avgFolioKiB: avg, filePmdMappedKiB: pmd, summary };
    } catch {
      const summary = pmd === undefined
        ? 'unknown (no /proc/kpageflags access, no smaps entry)'
        : pmd > 0 ? `yes: ${pmd} kB mapped by PMD entries (FilePmdMapped)` : 'unknown: FilePmdMapped is 0 (smaller large folios cannot be seen without root)';
      return { method: 'smaps', sampled: pages, filePmdMappedKiB: pmd, summary };
    } finally {
      if (pm !== undefined) fs.closeSync(pm);
      if (kf !== undefined) fs.closeSync(kf);
    }
  } finally {
    m.unmap();
  }
}

// ------------------------------------------------------------------------------------------------
// The CSV generator

/**
 * Writes a CSV of about `size` bytes: rows of 8 fields, each a number of 1 to 8 random digits,
 * ending in '\n' (or '\r\n' with crlf). Returns the sum of all numbers (decimal string of the signed 64-bit value),
 * computed while generating, independently of every parser.
 */
export function generateCsv(file: string, size: number, onProgress?: (done: number, total: number) => void, seed = 0x2545f491, crlf = false): string {
  const fd = fs.openSync(file, 'w');
  const CHUNK = 4 << 20;
  const buf = Buffer.allocUnsafe(CHUNK);
  let state = seed >>> 0 || 1;
  let total = 0n;
  let written = 0;
  let lastReport = 0;
  try {
    while (written < size) {
      const limit = Math.min(CHUNK, size - written);
      let at = 0;
      let chunkSum = 0;
      // Whole rows only; a row is at most 8 * 9 = 72 bytes.
      while (at + 72 <= limit || (at === 0 && limit < 72)) {
        for (let f = 0; f < 8; f++) {
          state ^= state << 13;
          state ^= state >>> 17;
          state ^= state << 5;
          state >>>= 0;
          const len = 1 + (state & 7);
          let r = state >>> 3;
          let v = 0;
          for (let k = 0; k < len; k++) {
            if (k === 4) {
              state ^= state << 13;
              state ^= state >>> 17;
              state ^= state << 5;
              state >>>= 0;
              r = state;
            }
            const d = r % 10;
            r = Math.floor(r / 10);
            buf[at++] = 0x30 + d;
            v = v * 10 + d;
          }
          if (f === 7 && crlf) buf[at++] = 0x0d;
          buf[at++] = f === 7 ? 0x0a : 0x2c;
          chunkSum += v;
        }
        if (limit < 72) break;
      }
      fs.writeSync(fd, buf, 0, at);
      written += at;
      total += BigInt(chunkSum);
      if (onProgress && (written - lastReport >= size / 20 || written >= size)) {
        lastReport = written;
        onProgress(Math.min(written, size), size);
      }
      if (at === 0) break;
    }
  } finally {
    fs.closeSync(fd);
  }
  return BigInt.asIntN(64, total).toString();
}

export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw new Error(`cannot read the size '${text}' (examples: 64m, 1g, 500000)`);
  const mult: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
  return Math.round(Number(m[1]) * mult[m[2].toLowerCase()]);
}

export function fmtBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(n % 2 ** 30 ? 2 : 0)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(n % 2 ** 20 ? 1 : 0)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(n % 2 ** 10 ? 1 : 0)} KiB`;
  return `${n} B`;
}
