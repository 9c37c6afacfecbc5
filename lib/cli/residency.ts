/**
 * `mmapkit residency FILE|DIR… [-t | -e] [-v] [-f] [-m SIZE] [-q] [--json]`: how much of each file
 * sits in the page cache, with vmtouch's semantics: folders are walked, symbolic links are not
 * followed unless -f, loops and hard links are counted once, what cannot be read is skipped with a
 * warning, and sizes are resident pages × page size so the numbers match vmtouch's.
 */
import { pageSize } from '../mapping';
import { treeResidencyWith } from '../tree';
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
    const print = !quiet && !values.json;
    const verb = values.touch ? 'touching' : values.evict ? 'evicting' : 'reading';
    // Warnings of the walk are printed when it ends (the progress line erased), later ones at once.
    const held: string[] = [];
    let walking = true;
    const {
      files: results,
      total: t,
      warnings,
    } = await treeResidencyWith(
      positionals,
      {
        action: values.touch ? 'touch' : values.evict ? 'evict' : 'query',
        follow: values.follow,
        maxFileSize: values['max-file-size'],
        vector: values.verbose,
        onWarning: (m) => {
          if (!print) return;
          if (walking) held.push(m);
          else {
            progress.done();
            process.stderr.write(`mmapkit residency: warning: ${m}\n`);
          }
        },
        onProgress: async (p) => {
          if (p.phase === 'walk') progress.update(`residency: ${p.files} files, ${p.folders} folders found`);
          else if (p.done === 0) flush();
          else progress.update(`residency: ${verb} ${p.done}/${p.total} files`);
          await progress.check();
        },
      },
      { follow: '-f', maxFileSize: '-m', caller: 'fileResidency' },
    ).finally(() => progress.done());
    function flush(): void {
      walking = false;
      progress.done();
      for (const m of held) process.stderr.write(`mmapkit residency: warning: ${m}\n`);
    }
    if (walking) flush();
    const ps = pageSize();
    const nothingRead = results.length === 0 && t.folders === 0 && t.files === 0;
    const status = nothingRead && warnings.length > 0 ? 1 : 0;
    if (quiet || (status !== 0 && results.length === 0 && !values.json)) return status;
    if (values.json) {
      const files = results.map(({ vector, ...r }) => ({ ...r, residentBytes: r.resident * ps, ...(vector ? { map: pageMap(vector) } : {}) }));
      process.stdout.write(
        JSON.stringify({
          files,
          total: {
            files: t.files,
            folders: t.folders,
            pages: t.pages,
            resident: t.resident,
            bytes: t.bytes,
            residentBytes: t.resident * ps,
            pageBytes: t.pages * ps,
            percent: t.percent,
          },
          warnings,
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
    if (results.length !== 1 || t.folders > 0) {
      rows.push([
        `total (${t.files} files, ${t.folders} folders)`,
        `${t.resident}/${t.pages}`,
        `${prettySize(t.resident * ps)}/${prettySize(t.pages * ps)}`,
        percentText(t.resident, t.pages),
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
