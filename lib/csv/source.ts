/**
 * Which source a whole-file pass reads (a mapping or read() chunks) and on how many threads.
 *
 * The rule, from the csv-sum benchmark (docs/bench.md, "auto source"): one sequential pass over a
 * file of {@link CSV_READ_CROSSOVER} bytes or more goes through read() into a small buffer that
 * stays in the cache: a fresh mapping pays a page fault per page-cache folio it touches, while
 * read() copies from the page cache with no fault at all. Smaller files go through a mapping (no
 * copy, and a few faults cost less than the read() calls). Random access always wants a mapping;
 * it does not come through here.
 */
import * as os from 'node:os';

/** Files this large or larger are read with read() by via 'auto' (see the module comment). */
export const CSV_READ_CROSSOVER = 8 << 20;

/** The least bytes per thread when the thread count is not given (a thread costs ~50 µs to start). */
export const MIN_BYTES_PER_THREAD = 4 << 20;

/** The source a pass over `length` bytes takes, and why. */
export function chooseCsvSource(length: number, via: 'auto' | 'mmap' | 'read', native = true): { via: 'mmap' | 'read'; reason: string } {
  if (via !== 'auto') return { via, reason: 'asked' };
  if (!native) return { via: 'read', reason: 'no native addon here: read through Node' };
  if (length >= CSV_READ_CROSSOVER) return { via: 'read', reason: `one sequential pass over ${length} bytes >= ${CSV_READ_CROSSOVER} (the read() crossover)` };
  return { via: 'mmap', reason: `small file: ${length} bytes < ${CSV_READ_CROSSOVER} (the read() crossover)` };
}

/** The threads a whole-file pass uses by default: one per core. */
export function defaultThreads(): number {
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(1024, n));
}
