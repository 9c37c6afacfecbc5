/**
 * Bounds of the scenarios' numeric options, shared by the library functions and `mmapkit sim`.
 * The simulation runs every bus cycle, so each bound keeps a scenario within seconds on a small
 * machine (measured: edu 10 000 ≈ 0.2 s, doorbell survey 10 000 ≈ 7 s, volatile cap 10^8 ≈ 2 s,
 * uart ≈ 40 ms per character plus ≈ 14 ms per character per divisor step).
 */
import { codedError } from '../../errors';
import { invalidType, toInt } from '../../validate';

export const SIM_SCENARIO_LIMITS = {
  seed: [0, 0xffff_ffff],
  divisor: [1, 16],
  survey: [1, 10_000],
  cap: [1, 100_000_000],
  n: [0, 10_000],
  /** Characters of the uart text. */
  text: 100,
  /** Characters × divisor of the uart scenario. */
  uartWork: 200,
  /** Upper bound of a [min, max] delay option, ns. */
  delayNs: 1_000_000_000,
} as const;

export type SimLimitName = 'seed' | 'divisor' | 'survey' | 'cap' | 'n';

/** An optional bounded integer option: its default when undefined. */
export function simLimited(value: unknown, name: SimLimitName, dflt: number, label: string = name): number {
  if (value === undefined) return dflt;
  const [min, max] = SIM_SCENARIO_LIMITS[name];
  return toInt(value, label, min, max);
}

/** An optional [min, max] delay in ns (0 <= min <= max <= 10^9). */
export function simDelayPair(value: unknown, name: string): readonly [number, number] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length !== 2) throw invalidType(name, 'an array [min, max] of two numbers', value);
  const max = SIM_SCENARIO_LIMITS.delayNs;
  const lo = toInt(value[0], `${name}[0]`, 0, max);
  const hi = toInt(value[1], `${name}[1]`, 0, max);
  if (lo > hi) throw codedError('ERR_OUT_OF_RANGE', `The "${name}" option must be [min, max] with min <= max. Received [${lo}, ${hi}]`);
  return [lo, hi];
}
