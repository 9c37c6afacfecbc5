/**
 * Summing the numbers of a CSV, as the seed's example does: digits build a number, ',' and '\n'
 * end it, every other byte is skipped. Sums use 64-bit wrapping arithmetic and are BigInt.
 */
import type { MemoryView } from './interfaces';

/**
 * The seed's byte loop, written once against {@link MemoryView}: it runs over a native mapping or a
 * mapping in a simulated process. A final number with no newline after it is not added (the seed
 * loop adds a number only when ',' or '\n' ends it).
 */
export function seedCsvSum(view: MemoryView): bigint {
  let sum = 0n;
  let x = 0n;
  const n = view.length;
  for (let i = 0; i < n; i++) {
    const c = view.load8(i);
    if (c >= 0x30 && c <= 0x39) {
      x = BigInt.asIntN(64, 10n * x + BigInt(c - 0x30));
    } else if (c === 0x2c || c === 0x0a) {
      sum = BigInt.asIntN(64, sum + x);
      x = 0n;
    }
  }
  return sum;
}
