/**
 * Sizes, durations and rates, read and written one way: the command line and the benchmark both use
 * these, so `--size 64m` means the same everywhere and a time or a speed prints the same in a CLI
 * line and in a benchmark report.
 */
import { codedError } from './errors';
import { invalidType, outOfRange } from './validate';

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/**
 * Parses a size: a number of bytes with an optional unit k, m, g or t (any case, optionally followed
 * by 'i' and/or 'b': 64k, 1m, 1M, 2MiB, 1.5g, 4096, 10b). Units are powers of 1024, as in vmtouch
 * and dd's K/M/G; a fraction of a byte is dropped. `what` names the value in messages ('--chunk').
 * Throws ERR_INVALID_ARG_VALUE for text that is not a size, ERR_OUT_OF_RANGE outside [min, max].
 */
export function parseSize(text: string, what = 'size', range: { min?: number; max?: number } = {}): number {
  if (typeof text !== 'string' && typeof text !== 'number') throw invalidType('text', 'a string or a number', text);
  if (typeof what !== 'string') throw invalidType('what', 'of type string', what);
  if (range === null || typeof range !== 'object') throw invalidType('range', 'an object', range);
  if ((range.min !== undefined && typeof range.min !== 'number') || (range.max !== undefined && typeof range.max !== 'number')) {
    throw invalidType('range', 'an object with numbers min and max', range);
  }
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(String(text).trim());
  const min = range.min ?? 0;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (!m || (m[2] === '' && m[3] !== undefined && m[3].toLowerCase() !== 'b')) {
    throw codedError('ERR_INVALID_ARG_VALUE', `${what} must be a size such as 4096, 64k, 1m, 2MiB or 1.5g. Received '${text}'`);
  }
  const bytes = Math.floor(Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()]);
  if (!Number.isSafeInteger(bytes) || bytes < min || bytes > max) {
    throw codedError('ERR_OUT_OF_RANGE', `${what} must be from ${formatSizeShort(min)} to ${formatSizeShort(max)}. Received '${text}'`);
  }
  return bytes;
}

/** The formatters take a finite number >= 0 (a count of bytes, nanoseconds or bytes per second). */
function checkCount(n: unknown, name: string): void {
  if (typeof n !== 'number') throw invalidType(name, 'of type number', n);
  if (!Number.isFinite(n) || n < 0) throw outOfRange(name, 'a finite number >= 0', n);
}

/** A byte count in the largest unit that divides it, as parseSize reads it (4096 → 4k, 1048576 → 1m). */
export function formatSizeShort(n: number): string {
  checkCount(n, 'n');
  for (const [unit, mult] of [
    ['t', 2 ** 40],
    ['g', 2 ** 30],
    ['m', 2 ** 20],
    ['k', 2 ** 10],
  ] as const) {
    if (n >= mult && n % mult === 0) return `${n / mult}${unit}`;
  }
  return String(n);
}

/** A byte count for people: 512 B, 4 KiB, 1.5 MiB, 2.25 GiB (whole numbers without decimals). */
export function formatBytes(n: number): string {
  checkCount(n, 'n');
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(n % 2 ** 30 ? 2 : 0)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(n % 2 ** 20 ? 1 : 0)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(n % 2 ** 10 ? 1 : 0)} KiB`;
  return `${n} B`;
}

/** A byte count as vmtouch prints it: bytes below 1024, else whole K, M or G (truncated), e.g. 260K. */
export function formatBytesVmtouch(n: number): string {
  checkCount(n, 'n');
  if (n < 1024) return String(n);
  let v = Math.floor(n / 1024);
  if (v < 1024) return `${v}K`;
  v = Math.floor(v / 1024);
  if (v < 1024) return `${v}M`;
  return `${Math.floor(v / 1024)}G`;
}

/** A duration given in nanoseconds: 85.0 ns, 1.20 µs, 3.45 ms, 2.00 s. */
export function formatDuration(ns: number): string {
  checkCount(ns, 'ns');
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(1)} ns`;
}

/** A throughput given in bytes per second, in decimal gigabytes per second (10^9 bytes/s): 1.23 GB/s. */
export function formatRate(bytesPerSecond: number): string {
  checkCount(bytesPerSecond, 'bytesPerSecond');
  return `${(bytesPerSecond / 1e9).toFixed(2)} GB/s`;
}
