/**
 * `mmapkit csv-sum FILE|- [--method M] [--via auto|mmap|read] [--threads N]`: the CSV sum of a file
 * (the reference byte-at-a-time loop's answer, computed by the native SIMD parser on every core by
 * default). Regular files are mapped or read by size (--via auto); standard input ('-'), pipes,
 * FIFOs, character devices and files whose size reads as 0 (/proc) are read with read(). With
 * --all, every available method.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { isatty } from 'node:tty';
import { CsvSummer, csvMethods, csvSum, csvSumFileDetails, type CsvMethod } from '../csv';
import { chooseCsvSource } from '../csv/source';
import { csvWasmAvailable } from '../csv/wasm';
import { codedError, systemError } from '../errors';
import { endlessDevice } from '../filetype';
import { formatDuration, formatRate } from '../format';
import { mapFile } from '../mapping';
import { addonAvailable } from '../native';
import { Progress, defineCommand, handleInterrupts, prettySize, progressBytes } from './command';

const METHODS = ['auto', 'bytewise', 'swar', 'avx2', 'avx512', 'neon', 'wasm', 'js', 'js-bytewise'] as const;
/** The 0.1 names, deprecated, accepted until 0.3.0. */
const METHOD_ALIASES = { seed: 'bytewise', 'js-seed': 'js-bytewise' } as const;
/** Files at least this large show progress on a terminal. */
const PROGRESS_MIN_BYTES = 64 << 20;
/** The window a large mapping is parsed in while progress is shown. */
const PROGRESS_WINDOW = 16 << 20;

interface Input {
  /** What the user typed ('-' for standard input). */
  name: string;
  /** An fd of this process to read instead of opening `name` ('-', /dev/stdin, /dev/fd/N). */
  fd: number | null;
  /** A path csvSumFile can map, or null when the input must be read with read(). */
  mapPath: string | null;
  /** The size when known (regular files), else null. */
  size: number | null;
}

/** Decides how to read FILE: map regular files with a size; read everything else. */
function inspect(file: string): Input {
  const st = file === '-' ? fs.fstatSync(0) : fs.statSync(file);
  if (st.isDirectory()) {
    throw systemError(os.constants.errno.EISDIR, 'read', file, 'Illegal operation on a directory');
  }
  const endless = endlessDevice(st.mode, st.rdev);
  if (endless !== null) {
    throw codedError('ERR_INVALID_ARG_VALUE', `'${file}' is a device with no end of file (${endless}): csv-sum would read it forever`);
  }
  // This process's own descriptors: read them directly (a socket, as Node's child pipes are, cannot be re-opened).
  const own = file === '-' || file === '/dev/stdin' ? 0 : /^\/(?:dev\/fd|proc\/self\/fd)\/(\d+)$/.exec(file);
  const fd = typeof own === 'number' ? own : own ? Number(own[1]) : null;
  if (st.isFile() && st.size > 0) return { name: file, fd, mapPath: file === '-' ? '/dev/stdin' : file, size: st.size };
  return { name: file, fd, mapPath: null, size: null };
}

/** open(2) off the main thread: opening a FIFO waits for its writer, and Ctrl-C must still work. */
function openAsync(file: string): Promise<number> {
  return new Promise((resolve, reject) => fs.open(file, 'r', (e, fd) => (e ? reject(e) : resolve(fd))));
}

/** Reads an fd to its end with read(), asynchronously (so Ctrl-C ends a blocked read at once). */
async function readAll(fd: number, name: string, chunk: number, each: (b: Buffer) => void, progress: Progress): Promise<number> {
  const buf = Buffer.allocUnsafe(chunk);
  let total = 0;
  for (;;) {
    let got: number;
    try {
      got = await new Promise<number>((resolve, reject) => fs.read(fd, buf, 0, chunk, null, (e, n) => (e ? reject(e) : resolve(n))));
    } catch (err) {
      if ((err as { code?: string }).code !== 'EAGAIN') throw err; // a non-blocking pipe with nothing yet
      await new Promise((r) => setTimeout(r, 5));
      continue;
    }
    if (got === 0) return total;
    each(buf.subarray(0, got));
    total += got;
    progress.update(`csv-sum ${name}: ${prettySize(total)} read`);
    await progress.check();
  }
}

async function streamSum(input: Input, method: CsvMethod, chunk: number, progress: Progress): Promise<{ sum: bigint; bytes: number; data?: Buffer[] }> {
  const fd = input.fd ?? (await openAsync(input.name));
  try {
    const summer = new CsvSummer({ method });
    const bytes = await readAll(fd, input.name, chunk, (b) => summer.update(b), progress);
    return { sum: summer.sum, bytes };
  } finally {
    if (input.fd === null) fs.closeSync(fd);
  }
}

/** The same answer as csvSumFile, in windows, showing progress and noticing Ctrl-C. */
async function sumWithProgress(input: Input, method: CsvMethod, via: 'mmap' | 'read', chunk: number | undefined, progress: Progress): Promise<bigint> {
  const size = input.size!;
  const summer = new CsvSummer({ method });
  if (via === 'mmap') {
    const m = mapFile(input.mapPath!, { mode: 'readonly' });
    try {
      const step = chunk ?? PROGRESS_WINDOW;
      for (let off = 0; off < m.length; off += step) {
        summer.update(m.view(off, Math.min(step, m.length - off)));
        progress.update(`csv-sum ${input.name}: ${progressBytes(Math.min(off + step, size), size)}`);
        await progress.check();
      }
    } finally {
      m.unmap();
    }
    return summer.sum;
  }
  const fd = fs.openSync(input.mapPath!, 'r');
  try {
    const step = chunk ?? 1 << 20;
    const buf = Buffer.allocUnsafe(step);
    let done = 0;
    for (;;) {
      const got = fs.readSync(fd, buf, 0, step, null);
      if (got === 0) break;
      summer.update(buf.subarray(0, got));
      done += got;
      progress.update(`csv-sum ${input.name}: ${progressBytes(done, size)}`);
      await progress.check();
    }
  } finally {
    fs.closeSync(fd);
  }
  return summer.sum;
}

export const command = defineCommand({
  name: 'csv-sum',
  summary: 'sum the numbers of a CSV file or of standard input (native SIMD parser by default)',
  usage: 'mmapkit csv-sum [options] FILE|-',
  description: `Sums the numbers of FILE ('-' for standard input) as the reference byte-at-a-time loop
does: digits build a number, ',' and '\\n' end it, other bytes are skipped, a final number without a
newline is not added; 64-bit wrapping arithmetic. Prints the sum.

Regular files are mapped or read with read() chunks: --via auto (the default) reads files of
8 MiB or more and maps smaller ones; --time and --json say which source was taken and why. A
native method splits the file over --threads threads (default: all cores). Standard input, pipes,
FIFOs, character devices and files whose size reads as 0 (such as /proc files) are read with read().
On a terminal, large inputs show their progress on stderr.`,
  options: {
    method: {
      type: 'string',
      arg: 'M',
      choices: METHODS,
      aliases: METHOD_ALIASES,
      help: 'auto (default), bytewise, swar, avx2, avx512, neon, wasm, js or js-bytewise\n(default wasm where the native addon is not available)',
    },
    via: {
      type: 'string',
      arg: 'V',
      choices: ['auto', 'mmap', 'read'],
      help: 'auto (default: by size), mmap (map the file) or read (read() chunks;\nthe default where the native addon is not available)',
    },
    threads: { type: 'integer', arg: 'N', min: 1, max: 1024, help: 'threads a native method splits a regular file over (default: all cores)' },
    chunk: {
      type: 'size',
      min: 1,
      max: 2 ** 31 - 1,
      help: 'read() chunk size with --via read (default 1m), the parse window with mmap;\nbytes, or k, m, g units (64k, 1m, 2MiB)',
    },
    all: { type: 'boolean', help: 'run every method available here, print each sum and its speed' },
    time: { type: 'boolean', help: 'print the time and speed to stderr' },
    json: { type: 'boolean', help: 'print JSON' },
    quiet: { type: 'boolean', short: 'q', help: 'no progress, even on a terminal' },
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals, tty }) {
    const input = inspect(positionals[0]);
    // Without the native addon (macOS, Windows, MMAPKIT_NO_ADDON=1) the defaults are the ones that run there.
    const native = values.method === undefined || values.via === undefined ? addonAvailable() : true;
    const fallback: CsvMethod = csvWasmAvailable() ? 'wasm' : 'js';
    if (!native) process.stderr.write(`mmapkit csv-sum: the native addon is not available here, so the defaults are --method ${fallback} --via read\n`);
    const method = (values.method ?? (native ? 'auto' : fallback)) as CsvMethod;
    const methods: CsvMethod[] = values.all ? csvMethods() : [method];
    const requestedVia = (values.via ?? (native ? 'auto' : 'read')) as 'auto' | 'mmap' | 'read';
    const threads = values.threads as number | undefined;
    // Progress for streams and large files, on a terminal; not while the user types the input.
    const typing = input.fd !== null && isatty(input.fd);
    const progress = new Progress(tty && !values.quiet && !typing && (input.mapPath === null || (input.size ?? 0) >= PROGRESS_MIN_BYTES));
    handleInterrupts('csv-sum');
    const results: { method: string; via: string; reason: string; threads: number; sum: string; seconds: number; gbPerSec: number }[] = [];
    let bytes = input.size ?? 0;
    // A stream can be read once: keep its bytes when every method must see them.
    let kept: Buffer | null = null;
    for (const method of methods) {
      const t0 = process.hrtime.bigint();
      let sum: bigint;
      let via: string;
      let reason = 'not a regular file';
      let used = 1;
      if (input.mapPath !== null) {
        if (progress.enabled) {
          const src = chooseCsvSource(input.size!, requestedVia, addonAvailable());
          sum = await sumWithProgress(input, method, src.via, values.chunk, progress);
          via = src.via;
          reason = `${src.reason}; one thread, in windows, to show progress`;
        } else {
          const d = csvSumFileDetails(input.mapPath, { method, via: requestedVia, chunkSize: values.chunk, threads });
          sum = d.sum;
          via = d.via;
          reason = d.reason;
          used = d.threads;
        }
      } else if (kept !== null) {
        via = 'read';
        sum = csvSum(kept, { method });
      } else {
        via = 'read';
        if (methods.length > 1) {
          const parts: Buffer[] = [];
          const fd = input.fd ?? (await openAsync(input.name));
          try {
            bytes = await readAll(fd, input.name, values.chunk ?? 1 << 20, (b) => parts.push(Buffer.from(b)), progress);
          } finally {
            if (input.fd === null) fs.closeSync(fd);
          }
          kept = Buffer.concat(parts);
          sum = csvSum(kept, { method });
        } else {
          const r = await streamSum(input, method, values.chunk ?? 1 << 20, progress);
          sum = r.sum;
          bytes = r.bytes;
        }
      }
      progress.done();
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      results.push({ method, via, reason, threads: used, sum: sum.toString(), seconds, gbPerSec: seconds > 0 ? bytes / seconds / 1e9 : 0 });
    }
    const file = input.name;
    if (values.json) {
      process.stdout.write(JSON.stringify(values.all ? { file, bytes, results } : { file, bytes, ...results[0] }) + '\n');
    } else if (values.all) {
      for (const r of results)
        process.stdout.write(
          `${r.method.padEnd(11)} ${r.sum}  ${formatDuration(r.seconds * 1e9)}  ${formatRate(r.gbPerSec * 1e9)}  via ${r.via}, ${r.threads} thread${r.threads === 1 ? '' : 's'}\n`,
        );
    } else {
      process.stdout.write(results[0].sum + '\n');
      const r = results[0];
      if (values.time)
        process.stderr.write(
          `${r.method} via ${r.via} (${r.reason}), ${r.threads} thread${r.threads === 1 ? '' : 's'}: ${formatDuration(r.seconds * 1e9)}, ${formatRate(r.gbPerSec * 1e9)}\n`,
        );
    }
    const distinct = new Set(results.map((r) => r.sum));
    return distinct.size === 1 ? 0 : 1;
  },
});

export const summary = command.summary;
export const run = command.run;
