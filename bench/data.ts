/**
 * The benchmark's data: the CSV generator (its sum computed while writing, independently of every
 * parser) and warm / cold page-cache states of a file.
 */
import * as fs from 'node:fs';
import { evictFile, fileResidency, touchFile } from 'mmapkit';

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
