/**
 * Page-cache residency of whole trees, as vmtouch walks them: folders are walked with fs.promises
 * (the event loop keeps turning), symbolic links are not followed unless asked, folder loops and
 * hard links are counted once, and what cannot be read is skipped with a warning. Each file is
 * then queried, touched or evicted through the asynchronous file helpers of lib/files.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { abortError, toSignal } from './abort';
import { evictFileAsync, fileResidencyAsync, touchFileAsync, type FileResidency } from './files';
import { formatBytesVmtouch } from './format';
import { bindingFor } from './native';
import { invalidType, invalidValue, toBool, toChoice, toCount, toFunction, toInt, toOptions, toPath } from './validate';

/** What {@link treeResidencyAsync} does to each file before measuring it. */
export type TreeResidencyAction = 'query' | 'touch' | 'evict';

/** Where a {@link treeResidencyAsync} walk stands, given to `onProgress`. */
export interface TreeResidencyProgress {
  /** 'walk' while folders are read, 'files' while each file is measured (touched, evicted). */
  phase: 'walk' | 'files';
  /** Regular files found so far (hard links once, those skipped by maxFileSize included). */
  files: number;
  /** Folders walked so far. */
  folders: number;
  /** walk: entries examined; files: files done (0 once, when the phase starts). */
  done: number;
  /** walk: entries known so far (it grows as folders are read); files: files to do. */
  total: number;
  /** The entry or file just handled. */
  path?: string;
}

/** Options of {@link treeResidencyAsync}. */
export interface TreeResidencyOptions {
  /** 'query' (the default) measures; 'touch' faults every page in first; 'evict' drops them first. */
  action?: TreeResidencyAction;
  /** Follow symbolic links (default false: a link is skipped with a warning). */
  follow?: boolean;
  /** Skip (with a warning) files larger than this many bytes. */
  maxFileSize?: number;
  /** Give each file's page vector (one byte per page, 1 resident). */
  vector?: boolean;
  /** Threads each file is touched on (action 'touch'; default: all cores, at least 4 MiB each). */
  threads?: number;
  /** Aborting it rejects the promise with an AbortError (code 'ABORT_ERR') at the next step. */
  signal?: AbortSignal;
  /** Called after each entry of the walk and each file; a returned promise is awaited, a throw or rejection ends the walk with that error. */
  onProgress?: (progress: TreeResidencyProgress) => void | Promise<void>;
  /** Called with each warning as it is made (they are also in the result's `warnings`). */
  onWarning?: (message: string) => void;
}

/** What {@link treeResidencyAsync} resolves to. */
export interface TreeResidency {
  /** One entry per file measured, in walk order (sorted folder entries). */
  files: FileResidency[];
  total: {
    /** Regular files found (hard links once), including those skipped by maxFileSize or unreadable. */
    files: number;
    /** Folders walked. */
    folders: number;
    pages: number;
    resident: number;
    bytes: number;
    /** The sum of the files' residentBytes (each capped at its file's size). */
    residentBytes: number;
    /** resident / pages × 100 (100 when there are no pages). */
    percent: number;
  };
  /** Why entries were skipped: links not followed, loops, dangling links, non-regular or unreadable files. */
  warnings: string[];
}

/** How warnings name the options: the library's words, or the command line's flags. @internal */
export interface TreeOptionWords {
  follow: string;
  maxFileSize: string;
  /** The function named when the addon is missing. */
  caller: string;
}

const LIB_WORDS: TreeOptionWords = { follow: '{ follow: true }', maxFileSize: 'maxFileSize', caller: 'treeResidencyAsync' };
const WHAT = 'treeResidencyAsync()';
const KNOWN = ['action', 'follow', 'maxFileSize', 'vector', 'threads', 'signal', 'onProgress', 'onWarning'];

interface Walk {
  follow: boolean;
  maxSize: number | undefined;
  words: TreeOptionWords;
  signal: AbortSignal | undefined;
  files: string[];
  fileCount: number;
  dirCount: number;
  done: number;
  total: number;
  seen: Set<string>;
  /** Folders from the top to the current one (dev:ino), to tell a loop from a folder seen twice. */
  ancestors: string[];
  warn: (message: string) => void;
  progress: (p: TreeResidencyProgress) => Promise<void>;
}

function errCode(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? e?.message ?? String(err);
}

async function isSymlink(p: string): Promise<boolean> {
  try {
    return (await fs.promises.lstat(p)).isSymbolicLink();
  } catch {
    return false;
  }
}

/** One entry of the walk; folders recurse. */
async function crawl(p: string, w: Walk): Promise<void> {
  if (w.signal?.aborted) throw abortError(w.signal, WHAT);
  try {
    await visit(p, w);
  } finally {
    w.done++;
  }
  if (w.signal?.aborted) throw abortError(w.signal, WHAT);
  await w.progress({ phase: 'walk', files: w.fileCount, folders: w.dirCount, done: w.done, total: w.total, path: p });
}

async function visit(p: string, w: Walk): Promise<void> {
  let st: fs.Stats;
  try {
    st = w.follow ? await fs.promises.stat(p) : await fs.promises.lstat(p);
  } catch (err) {
    const code = errCode(err);
    const dangling = code === 'ENOENT' && w.follow && (await isSymlink(p));
    w.warn(
      dangling
        ? `skipping dangling symbolic link '${p}'`
        : code === 'ELOOP'
          ? `skipping '${p}': too many levels of symbolic links (ELOOP)`
          : `unable to stat '${p}' (${code})`,
    );
    return;
  }
  if (st.isSymbolicLink()) {
    w.warn(`not following symbolic link '${p}' (use ${w.words.follow} to follow)`);
    return;
  }
  const id = `${st.dev}:${st.ino}`;
  if (st.isDirectory()) {
    if (w.ancestors.includes(id)) {
      w.warn(`symbolic link loop detected: '${p}', skipping`);
      return;
    }
    // A folder reached twice (through a followed link) is walked once, as vmtouch does.
    if (w.seen.has(id)) return;
    w.seen.add(id);
    let entries: string[];
    try {
      entries = (await fs.promises.readdir(p)).sort();
    } catch (err) {
      w.warn(`unable to open folder '${p}' (${errCode(err)}), skipping`);
      return;
    }
    w.dirCount++;
    w.total += entries.length;
    w.ancestors.push(id);
    try {
      for (const e of entries) await crawl(path.join(p, e), w);
    } finally {
      w.ancestors.pop();
    }
    return;
  }
  if (!st.isFile()) {
    w.warn(`skipping non-regular file '${p}'`);
    return;
  }
  // Hard links: one file, counted once.
  if (st.nlink > 1) {
    if (w.seen.has(id)) return;
    w.seen.add(id);
  }
  w.fileCount++;
  if (w.maxSize !== undefined && st.size > w.maxSize) {
    w.warn(`file '${p}' is larger than ${w.words.maxFileSize} ${formatBytesVmtouch(w.maxSize)}, skipping`);
    return;
  }
  w.files.push(p);
}

/** Measures (after touching or evicting) one file. */
async function measureFile(
  f: string,
  action: TreeResidencyAction,
  vector: boolean,
  threads: number | undefined,
  signal: AbortSignal | undefined,
): Promise<FileResidency> {
  const s = signal === undefined ? {} : { signal };
  if (action === 'touch') {
    const r = await touchFileAsync(f, threads === undefined ? s : { ...s, threads });
    if (!vector) return r;
  } else if (action === 'evict') {
    const r = await evictFileAsync(f, s);
    if (!vector) return r;
  }
  return fileResidencyAsync(f, { ...s, vector });
}

function toPaths(paths: unknown): string[] {
  if (typeof paths === 'string') return [toPath(paths, 'paths', 'a path (string) or an array of paths')];
  if (!Array.isArray(paths)) throw invalidType('paths', 'a path (string) or an array of paths', paths);
  if (paths.length === 0) throw invalidValue('paths', 'a path (string) or a non-empty array of paths', paths);
  return paths.map((p, i) => toPath(p, `paths[${i}]`, 'a path (string)'));
}

/**
 * {@link treeResidencyAsync} with the warnings' words for the options chosen by the caller (the
 * command line names its flags).
 * @internal
 */
export async function treeResidencyWith(
  paths: string | readonly string[],
  options: TreeResidencyOptions | undefined,
  words: TreeOptionWords,
): Promise<TreeResidency> {
  const list = toPaths(paths);
  const o = toOptions<TreeResidencyOptions>(options, 'options', KNOWN);
  const action = o.action === undefined ? 'query' : toChoice(o.action, 'options.action', ['query', 'touch', 'evict'] as const);
  const follow = o.follow === undefined ? false : toBool(o.follow, 'options.follow');
  const maxSize = o.maxFileSize === undefined ? undefined : toCount(o.maxFileSize, 'options.maxFileSize');
  const vector = o.vector === undefined ? false : toBool(o.vector, 'options.vector');
  const threads = o.threads === undefined ? undefined : toInt(o.threads, 'options.threads', 1, 1024);
  const onProgress = o.onProgress === undefined ? undefined : toFunction<NonNullable<TreeResidencyOptions['onProgress']>>(o.onProgress, 'options.onProgress');
  const onWarning = o.onWarning === undefined ? undefined : toFunction<NonNullable<TreeResidencyOptions['onWarning']>>(o.onWarning, 'options.onWarning');
  const signal = toSignal(options, WHAT);

  const warnings: string[] = [];
  const w: Walk = {
    follow,
    maxSize,
    words,
    signal,
    files: [],
    fileCount: 0,
    dirCount: 0,
    done: 0,
    total: list.length,
    seen: new Set(),
    ancestors: [],
    warn: (m) => {
      warnings.push(m);
      onWarning?.(m);
    },
    progress: async (p) => {
      if (onProgress === undefined) return;
      const r = onProgress(p);
      if (r != null && typeof (r as { then?: unknown }).then === 'function') await r;
    },
  };
  // Trailing slashes dropped, as vmtouch prints the names ('/' stays '/').
  for (const p of list) await crawl(p.length > 1 ? p.replace(/\/+$/, '') || '/' : p, w);

  const files: FileResidency[] = [];
  await w.progress({ phase: 'files', files: w.fileCount, folders: w.dirCount, done: 0, total: w.files.length });
  // Without the addon nothing can be measured: one clear error rather than a warning per file.
  if (w.files.length > 0) bindingFor(words.caller);
  for (let i = 0; i < w.files.length; i++) {
    const f = w.files[i];
    try {
      files.push(await measureFile(f, action, vector, threads, signal));
    } catch (err) {
      if (signal?.aborted) throw abortError(signal, WHAT);
      const code = (err as { code?: string }).code;
      if (code === 'ERR_MMAPKIT_UNSUPPORTED' || code === 'ERR_MMAPKIT_BINDING') throw err;
      w.warn(`unable to open '${f}' (${errCode(err)}), skipping`);
    }
    if (signal?.aborted) throw abortError(signal, WHAT);
    await w.progress({ phase: 'files', files: w.fileCount, folders: w.dirCount, done: i + 1, total: w.files.length, path: f });
  }

  let pages = 0;
  let resident = 0;
  let bytes = 0;
  let residentBytes = 0;
  for (const r of files) {
    pages += r.pages;
    resident += r.resident;
    bytes += r.bytes;
    residentBytes += r.residentBytes;
  }
  return {
    files,
    total: { files: w.fileCount, folders: w.dirCount, pages, resident, bytes, residentBytes, percent: pages === 0 ? 100 : (100 * resident) / pages },
    warnings,
  };
}

/**
 * Page-cache residency of files and folders, as vmtouch counts it: folders are walked (off the
 * main thread, sorted), symbolic links are followed only with `follow`, folder loops and hard links
 * are counted once, and dangling links, unreadable entries, non-regular files and files above
 * `maxFileSize` are skipped with a warning. With `action: 'touch'` or `'evict'` each file's pages
 * are faulted in or dropped first. `signal` cancels the whole walk (an AbortError).
 */
export function treeResidencyAsync(paths: string | readonly string[], options?: TreeResidencyOptions): Promise<TreeResidency> {
  return treeResidencyWith(paths, options, LIB_WORDS);
}
