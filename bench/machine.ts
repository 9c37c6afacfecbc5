/**
 * Facts about the machine for the report header (CPU, kernel, memory, transparent huge pages, file
 * system) and page-cache folio detection.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { addonAvailable, mapFile, pageSize, scanStrideSum } from 'mmapkit';

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
      const summary =
        large === 0
          ? `no: all ${seen} sampled pages are single ${ps / 1024} KiB folios` + (pmd !== undefined ? ` (FilePmdMapped ${pmd} kB)` : '')
          : `yes: ${pct.toFixed(0)}% of ${seen} sampled pages in large folios, about ${avg >= 1024 ? `${(avg / 1024).toFixed(1)} MiB` : `${avg.toFixed(0)} KiB`} each` +
            (pmd !== undefined ? ` (FilePmdMapped ${pmd} kB)` : '');
      return { method: 'kpageflags', sampled: seen, largePercent: pct, avgFolioKiB: avg, filePmdMappedKiB: pmd, summary };
    } catch {
      const summary =
        pmd === undefined
          ? 'unknown (no /proc/kpageflags access, no smaps entry)'
          : pmd > 0
            ? `yes: ${pmd} kB mapped by PMD entries (FilePmdMapped)`
            : 'unknown: FilePmdMapped is 0 (smaller large folios cannot be seen without root)';
      return { method: 'smaps', sampled: pages, filePmdMappedKiB: pmd, summary };
    } finally {
      if (pm !== undefined) fs.closeSync(pm);
      if (kf !== undefined) fs.closeSync(kf);
    }
  } finally {
    m.unmap();
  }
}
