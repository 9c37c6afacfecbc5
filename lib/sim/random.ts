import { invalidType, outOfRange } from '../validate';

/**
 * A small seeded pseudo-random generator (SplitMix32 seeding a xoshiro128** state). Every source of
 * chance in the simulator draws from one of these, so a seed fixes a whole run.
 */
export class SimRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** The seed this generator started from. */
  readonly seed: number;

  constructor(seed = 1) {
    if (typeof seed !== 'number') throw invalidType('seed', 'an integer', seed);
    if (!Number.isInteger(seed)) {
      throw invalidType('seed', 'an integer', seed);
    }
    this.seed = seed;
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return result;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  /** An integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    for (const [name, v] of [
      ['min', min],
      ['max', max],
    ] as const) {
      if (typeof v !== 'number') throw invalidType(name, 'of type number', v);
      if (!Number.isFinite(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER) {
        throw outOfRange(name, 'a finite number between -(2^53 - 1) and 2^53 - 1', v);
      }
    }
    if (max < min) return min;
    return min + Math.floor(this.next() * (max - min + 1));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
