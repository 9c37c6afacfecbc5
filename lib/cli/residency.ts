/**
 * `mmapkit residency FILE… [--touch | --evict] [--json]`: like vmtouch, how much of each file sits
 * in the page cache; --touch faults it all in, --evict drops it (posix_fadvise DONTNEED).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { evictFile, fileResidency, touchFile, type FileResidency } from '../files';
import { usageError } from '../errors';

export const summary = 'show (or --touch / --evict) the page-cache residency of files, like vmtouch';

const HELP = `usage: mmapkit residency [options] FILE|DIR...

Prints how many of each file's pages are in the page cache: pages, bytes and percent
(folders are walked recursively).

options:
  --touch       fault every page of each file into the page cache first
  --evict       drop each file's pages from the page cache first (posix_fadvise DONTNEED)
  --json        print JSON (one object per file, and a total)
  -h, --help    show this help
`;

function collect(p: string, out: string[]): void {
  const st = fs.statSync(p);
  if (st.isDirectory()) {
    for (const e of fs.readdirSync(p).sort()) collect(path.join(p, e), out);
  } else if (st.isFile()) {
    out.push(p);
  }
}

function human(n: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v}` : `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[u]}`;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      touch: { type: 'boolean', default: false },
      evict: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length === 0) throw usageError('ERR_INVALID_ARG_VALUE', 'expected at least one FILE (see --help)');
  if (values.touch && values.evict) throw usageError('ERR_INVALID_ARG_VALUE', '--touch and --evict cannot be used together');
  const files: string[] = [];
  for (const p of positionals) collect(p, files);
  const results: FileResidency[] = files.map((f) => (values.touch ? touchFile(f) : values.evict ? evictFile(f) : fileResidency(f)));
  const total = results.reduce(
    (t, r) => ({ pages: t.pages + r.pages, resident: t.resident + r.resident, bytes: t.bytes + r.bytes, residentBytes: t.residentBytes + r.residentBytes }),
    { pages: 0, resident: 0, bytes: 0, residentBytes: 0 },
  );
  const percent = total.pages === 0 ? 100 : (100 * total.resident) / total.pages;
  if (values.json) {
    process.stdout.write(JSON.stringify({ files: results.map(({ vector: _v, ...r }) => r), total: { files: results.length, ...total, percent } }) + '\n');
    return 0;
  }
  const rows = results.map((r) => [r.path, `${r.resident}/${r.pages}`, `${human(r.residentBytes)}/${human(r.bytes)}`, `${r.percent.toFixed(r.percent === 100 || r.percent === 0 ? 0 : 1)}%`]);
  if (results.length > 1) rows.push([`total (${results.length} files)`, `${total.resident}/${total.pages}`, `${human(total.residentBytes)}/${human(total.bytes)}`, `${percent.toFixed(percent === 100 || percent === 0 ? 0 : 1)}%`]);
  const head = ['file', 'resident pages', 'resident bytes', 'percent'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  process.stdout.write([head, ...rows].map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')).join('\n') + '\n');
  return 0;
}
