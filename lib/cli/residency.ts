/**
 * `mmapkit residency FILE|DIR… [-t | -e] [-v] [-f] [-m SIZE] [-q] [--json]`: how much of each file
 * sits in the page cache, with vmtouch's semantics: folders are walked, symbolic links are not
 * followed unless -f, loops and hard links are counted once, what cannot be read is skipped with a
 * warning, and sizes are resident pages × page size so the numbers match vmtouch's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { evictFileAsync, fileResidency, touchFileAsync, type FileResidency } from '../files';
import { pageSize } from '../mapping';
import { Progress, cliUsageError, defineCommand, handleInterrupts, prettySize } from './command';

/** vmtouch's page-map width. */
const CHART_WIDTH = 60;

/** vmtouch's `%.3g` for percentages: 100, 50, 33.3, 0.0244. */
function percentText(resident: number, pages: number): string {
  if (pages === 0) return '';
  return `${Number(((100 * resident) / pages).toPrecision(3))}%`;
}

/** vmtouch's page map: one character per page (or per group of pages), O resident, o partly, ' ' not. */
export function pageMap(vector: Uint8Array): string {
  const n = vector.length;
  const per = n <= CHART_WIDTH ? 1 : Math.floor(n / CHART_WIDTH) + 1;
  let out = '';
  let resident = 0;
  for (let i = 0; i < n; i += per) {
    let cur = 0;
    const end = Math.min(n, i + per);
    for (let j = i; j < end; j++) if (vector[j] & 1) cur++;
    resident += cur;
    out += cur === end - i ? 'O' : cur === 0 ? ' ' : 'o';
  }
  return `[${out}] ${resident}/${n}`;
}

interface Walk {
  follow: boolean;
  maxSize: number | undefined;
  files: string[];
  /** Regular files found (vmtouch's "Files"), including those skipped by -m. */
  fileCount: number;
  dirCount: number;
  warnings: string[];
  seen: Set<string>;
  progress: Progress;
}

async function crawl(p: string, w: Walk, ancestors: string[]): Promise<void> {
  await w.progress.check();
  let st: fs.Stats;
  try {
    st = w.follow ? fs.statSync(p) : fs.lstatSync(p);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const dangling = e.code === 'ENOENT' && w.follow && isSymlink(p);
    w.warnings.push(
      dangling
        ? `skipping dangling symbolic link '${p}'`
        : e.code === 'ELOOP'
          ? `skipping '${p}': too many levels of symbolic links (ELOOP)`
          : `unable to stat '${p}' (${e.code ?? e.message})`,
    );
    return;
  }
  if (st.isSymbolicLink()) {
    w.warnings.push(`not following symbolic link '${p}' (use -f to follow)`);
    return;
  }
  const id = `${st.dev}:${st.ino}`;
  if (st.isDirectory()) {
    if (ancestors.includes(id)) {
      w.warnings.push(`symbolic link loop detected: '${p}', skipping`);
      return;
    }
    // A folder reached twice (through a followed link) is walked once, as vmtouch does.
    if (w.seen.has(id)) return;
    w.seen.add(id);
    let entries: string[];
    try {
      entries = fs.readdirSync(p).sort();
    } catch (err) {
      w.warnings.push(`unable to open folder '${p}' (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}), skipping`);
      return;
    }
    w.dirCount++;
    for (const e of entries) await crawl(path.join(p, e), w, [...ancestors, id]);
    return;
  }
  if (!st.isFile()) {
    w.warnings.push(`skipping non-regular file '${p}'`);
    return;
  }
  // Hard links: one file, counted once.
  if (st.nlink > 1) {
    if (w.seen.has(id)) return;
    w.seen.add(id);
  }
  w.fileCount++;
  if (w.maxSize !== undefined && st.size > w.maxSize) {
    w.warnings.push(`file '${p}' is larger than -m ${prettySize(w.maxSize)}, skipping`);
    return;
  }
  w.files.push(p);
  w.progress.update(`residency: ${w.fileCount} files, ${w.dirCount} folders found`);
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

export const command = defineCommand({
  name: 'residency',
  summary: 'show (or -t touch / -e evict) the page-cache residency of files and folders, like vmtouch',
  usage: 'mmapkit residency [options] FILE|DIR...',
  description: `Prints how many of each file's pages are in the page cache: pages, size and percent, as
vmtouch counts them (sizes are pages × the page size). Folders are walked recursively; symbolic
links are not followed unless -f; folder loops and hard links are counted once; dangling links,
unreadable entries and non-regular files are skipped with a warning on stderr.
On a terminal, long walks show their progress on stderr.`,
  options: {
    touch: { type: 'boolean', short: 't', help: 'fault every page of each file into the page cache first' },
    evict: { type: 'boolean', short: 'e', help: "drop each file's pages from the page cache first (posix_fadvise DONTNEED)" },
    verbose: { type: 'boolean', short: 'v', help: "print each file's page map, as vmtouch -v: [OOo  ] resident/pages" },
    follow: { type: 'boolean', short: 'f', help: 'follow symbolic links' },
    'max-file-size': { type: 'size', short: 'm', arg: 'SIZE', help: 'skip files larger than SIZE (4096, 64k, 500m, 1g)' },
    quiet: { type: 'boolean', short: 'q', help: 'print nothing (no report, warnings or progress); the exit status tells' },
    json: { type: 'boolean', help: 'print JSON (one object per file, a total and the warnings)' },
  },
  positionals: { min: 1 },
  footer: 'Exit status 0 when anything could be read (warnings or not), 1 when nothing could.',
  async run({ values, positionals, tty }) {
    if (values.touch && values.evict) throw cliUsageError('-t/--touch and -e/--evict cannot be used together');
    const quiet = values.quiet;
    const progress = new Progress(tty && !quiet && !values.json);
    handleInterrupts('residency');
    const w: Walk = { follow: values.follow, maxSize: values['max-file-size'], files: [], fileCount: 0, dirCount: 0, warnings: [], seen: new Set(), progress };
    for (const p of positionals) await crawl(p.length > 1 ? p.replace(/\/+$/, '') : p, w, []);
    const warn = (m: string) => {
      w.warnings.push(m);
      if (!quiet && !values.json) process.stderr.write(`mmapkit residency: warning: ${m}\n`);
    };
    if (!quiet && !values.json) {
      progress.done();
      for (const m of w.warnings) process.stderr.write(`mmapkit residency: warning: ${m}\n`);
    }
    const results: FileResidency[] = [];
    const verb = values.touch ? 'touching' : values.evict ? 'evicting' : 'reading';
    for (let i = 0; i < w.files.length; i++) {
      const f = w.files[i];
      try {
        // Off the main thread (touch on every core), so Ctrl-C and the progress line stay live.
        if (values.touch) await touchFileAsync(f);
        else if (values.evict) await evictFileAsync(f);
        results.push(fileResidency(f, { vector: values.verbose }));
      } catch (err) {
        progress.done();
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ERR_MMAPKIT_UNSUPPORTED') throw err; // no addon: nothing can be measured here
        warn(`unable to open '${f}' (${e.code ?? e.message}), skipping`);
      }
      progress.update(`residency: ${verb} ${i + 1}/${w.files.length} files`);
      await progress.check();
    }
    progress.done();
    const ps = pageSize();
    const total = results.reduce((t, r) => ({ pages: t.pages + r.pages, resident: t.resident + r.resident, bytes: t.bytes + r.bytes }), {
      pages: 0,
      resident: 0,
      bytes: 0,
    });
    const nothingRead = results.length === 0 && w.dirCount === 0 && w.fileCount === 0;
    const status = nothingRead && w.warnings.length > 0 ? 1 : 0;
    if (quiet || (status !== 0 && results.length === 0 && !values.json)) return status;
    if (values.json) {
      const files = results.map(({ vector, ...r }) => ({ ...r, residentBytes: r.resident * ps, ...(vector ? { map: pageMap(vector) } : {}) }));
      const percent = total.pages === 0 ? 100 : (100 * total.resident) / total.pages;
      process.stdout.write(
        JSON.stringify({
          files,
          total: {
            files: w.fileCount,
            folders: w.dirCount,
            pages: total.pages,
            resident: total.resident,
            bytes: total.bytes,
            residentBytes: total.resident * ps,
            pageBytes: total.pages * ps,
            percent,
          },
          warnings: w.warnings,
        }) + '\n',
      );
      return status;
    }
    if (values.verbose) {
      for (const r of results) process.stdout.write(`${r.path}\n${pageMap(r.vector ?? new Uint8Array(0))}\n`);
      if (results.length) process.stdout.write('\n');
    }
    const rows = results.map((r) => [
      r.path,
      `${r.resident}/${r.pages}`,
      `${prettySize(r.resident * ps)}/${prettySize(r.pages * ps)}`,
      percentText(r.resident, r.pages),
    ]);
    if (results.length !== 1 || w.dirCount > 0) {
      rows.push([
        `total (${w.fileCount} files, ${w.dirCount} folders)`,
        `${total.resident}/${total.pages}`,
        `${prettySize(total.resident * ps)}/${prettySize(total.pages * ps)}`,
        percentText(total.resident, total.pages),
      ]);
    }
    const head = ['file', 'resident pages', 'resident size', 'percent'];
    const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    process.stdout.write(
      [head, ...rows]
        .map((r) =>
          r
            .map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i])))
            .join('  ')
            .trimEnd(),
        )
        .join('\n') + '\n',
    );
    return status;
  },
});

export const summary = command.summary;
export const run = command.run;
