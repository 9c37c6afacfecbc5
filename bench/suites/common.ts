/** Loops and readers shared by the scan suites. Not a suite (no NN- prefix). */
import * as fs from 'node:fs';
import { scanByteSum } from 'mmapkit';

/** The JS loop over the bytes: sum of every byte, read one at a time. */
export function jsByteSum(b: Uint8Array): number {
  let s = 0;
  const n = b.length;
  for (let i = 0; i < n; i++) s += b[i];
  return s;
}

/** A read() loop with a buffer of `chunk` bytes, applying `loop` to each chunk; returns the total. */
export function readLoop(file: string, chunk: number, loop: (b: Uint8Array) => number): number {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafeSlow(chunk);
    let s = 0;
    for (;;) {
      const got = fs.readSync(fd, buf, 0, chunk, null);
      if (got === 0) break;
      s += loop(got === chunk ? buf : buf.subarray(0, got));
    }
    return s;
  } finally {
    fs.closeSync(fd);
  }
}

/** A read stream (1 MiB highWaterMark), applying `loop` to each chunk. */
export async function streamLoop(file: string, loop: (b: Uint8Array) => number): Promise<number> {
  let s = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) s += loop(chunk as Buffer);
  return s;
}

export const nativeLoop = (b: Uint8Array): number => scanByteSum(b);

export const KiB = 1024;
export const MiB = 1024 * 1024;
