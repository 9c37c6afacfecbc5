/**
 * Driver helpers written against {@link RegisterIO}, so they run on a native window and on a
 * simulated device alike: read-modify-write, polling with a timeout, bulk reads.
 */
import type { AccessWidth, RegisterIO } from '../interfaces';
import { codedError, MmapkitError } from '../errors';
import { RegisterWindow } from './window';
import { invalidType, outOfRange, REGISTER_IO_METHODS, toBlock, toObject, toObjectWith, toOptions, toWidth } from '../validate';

/** The `io` argument: any object with the eight RegisterIO methods (nothing else is read). */
function toIO(io: unknown): RegisterIO {
  return toObjectWith<RegisterIO>(io, 'io', REGISTER_IO_METHODS, 'a RegisterIO');
}

/** A register offset: a number (the RegisterIO checks its range). */
function checkOffset(offset: unknown): asserts offset is number {
  if (typeof offset !== 'number') throw invalidType('offset', 'of type number', offset);
}

function checkWidth(width: unknown): asserts width is AccessWidth {
  toWidth(width);
}

/** One read of `width` bits (default 32). */
export function readRegister(io: RegisterIO, offset: number, width: AccessWidth = 32): number | bigint {
  toIO(io);
  checkOffset(offset);
  checkWidth(width);
  return read(io, offset, width);
}

function read(io: RegisterIO, offset: number, width: AccessWidth): number | bigint {
  switch (width) {
    case 8:
      return io.read8(offset);
    case 16:
      return io.read16(offset);
    case 32:
      return io.read32(offset);
    case 64:
      return io.read64(offset);
    default:
      checkWidth(width);
      throw codedError('ERR_MMAPKIT_INTERNAL', 'unreachable: a width checkWidth accepted');
  }
}

/** One write of `width` bits (default 32). */
export function writeRegister(io: RegisterIO, offset: number, value: number | bigint, width: AccessWidth = 32): void {
  toIO(io);
  checkOffset(offset);
  checkWidth(width);
  if (width === 64) {
    if (typeof value !== 'bigint') throw invalidType('value', 'of type bigint for a 64-bit access', value);
    io.write64(offset, value);
    return;
  }
  if (typeof value !== 'number') throw invalidType('value', `of type number for a ${width}-bit access`, value);
  if (width === 8) io.write8(offset, value);
  else if (width === 16) io.write16(offset, value);
  else io.write32(offset, value);
}

function toBits(v: number | bigint, width: AccessWidth, name: string): bigint {
  if (typeof v === 'bigint') return BigInt.asUintN(width, v);
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw invalidType(name, 'an integer number or a bigint', v);
  }
  if (!Number.isSafeInteger(v)) {
    throw outOfRange(name, 'a safe integer (or a bigint)', v);
  }
  return BigInt.asUintN(width, BigInt(v));
}

function fromBits(v: bigint, width: AccessWidth): number | bigint {
  return width === 64 ? v : Number(v);
}

function modify(io: RegisterIO, offset: number, width: AccessWidth, f: (old: bigint) => bigint): number | bigint {
  checkWidth(width);
  const old = toBits(read(io, offset, width), width, 'register');
  const next = BigInt.asUintN(width, f(old));
  const out = fromBits(next, width);
  writeRegister(io, offset, out, width);
  return out;
}

/** Read-modify-write: sets the `bits` in the register; returns the value written. */
export function setBits(io: RegisterIO, offset: number, bits: number | bigint, width: AccessWidth = 32): number | bigint {
  toIO(io);
  checkOffset(offset);
  checkWidth(width);
  const b = toBits(bits, width === 64 ? 64 : width, 'bits');
  return modify(io, offset, width, (old) => old | b);
}

/** Read-modify-write: clears the `bits` in the register; returns the value written. */
export function clearBits(io: RegisterIO, offset: number, bits: number | bigint, width: AccessWidth = 32): number | bigint {
  toIO(io);
  checkOffset(offset);
  checkWidth(width);
  const b = toBits(bits, width === 64 ? 64 : width, 'bits');
  return modify(io, offset, width, (old) => old & ~b);
}

function fieldMask(shift: number, bits: number, width: AccessWidth): bigint {
  if (typeof shift !== 'number') throw invalidType('shift', 'of type number', shift);
  if (typeof bits !== 'number') throw invalidType('bits', 'of type number', bits);
  if (!Number.isInteger(shift) || !Number.isInteger(bits) || shift < 0 || bits < 1 || shift + bits > width) {
    throw codedError('ERR_OUT_OF_RANGE', `A field of ${bits} bits at bit ${shift} does not fit a ${width}-bit register`);
  }
  return ((1n << BigInt(bits)) - 1n) << BigInt(shift);
}

/**
 * Read-modify-write of a bit field: the `bits` bits starting at bit `shift` become `value`; the
 * other bits keep their value. Returns the register value written.
 */
export function writeField(io: RegisterIO, offset: number, shift: number, bits: number, value: number | bigint, width: AccessWidth = 32): number | bigint {
  toIO(io);
  checkOffset(offset);
  checkWidth(width);
  const mask = fieldMask(shift, bits, width);
  if (typeof value !== 'bigint' && (typeof value !== 'number' || !Number.isInteger(value))) {
    throw invalidType('value', 'an integer number or a bigint', value);
  }
  const v = typeof value === 'bigint' ? value : BigInt(value);
  if (v < 0n || v > (1n << BigInt(bits)) - 1n) {
    throw outOfRange('value', `from 0 to ${(1n << BigInt(bits)) - 1n} for a ${bits}-bit field`, value);
  }
  return modify(io, offset, width, (old) => (old & ~mask) | (v << BigInt(shift)));
}

/** The `bits` bits starting at bit `shift` of one register read. */
export function readField(io: RegisterIO, offset: number, shift: number, bits: number, width: AccessWidth = 32): number | bigint {
  toIO(io);
  checkOffset(offset);
  checkWidth(width);
  const mask = fieldMask(shift, bits, width);
  const raw = toBits(read(io, offset, width), width, 'register');
  return fromBits((raw & mask) >> BigInt(shift), width);
}

/** Options of {@link pollUntil}. */
export interface PollOptions {
  /** Give up after this many milliseconds of the clock. Default 1000. */
  timeoutMs?: number;
  /** Register width in bits. Default 32. */
  width?: AccessWidth;
  /** The clock in milliseconds. Default performance.now(); a simulator passes its own time. */
  now?: () => number;
  /** Give up after this many reads even if the clock has not run out (guards a clock that never moves). Default unlimited. */
  maxReads?: number;
}

/** What {@link pollUntil} saw. */
export interface PollResult<V extends number | bigint = number | bigint> {
  /** The register value that matched. */
  value: V;
  /** Register reads made, the matching one included. */
  reads: number;
  /** Clock time from the first read to the match. */
  elapsedMs: number;
}

/** The ERR_MMAPKIT_TIMEOUT error of {@link pollUntil}. */
export interface PollTimeoutError extends MmapkitError {
  offset: number;
  reads: number;
  elapsedMs: number;
  lastValue: number | bigint;
}

const fmt = (v: bigint): string => '0x' + v.toString(16);

/**
 * Reads the register at `offset` until `(value & mask) === expected`, like a driver's busy-wait
 * on a status bit. Each iteration is one read. Returns the matching value, how many reads it took
 * and how long; throws ERR_MMAPKIT_TIMEOUT (carrying `reads`, `elapsedMs`, `lastValue`) when the
 * clock passes `timeoutMs` (or `maxReads` reads were made) without a match.
 */
export function pollUntil(io: RegisterIO, offset: number, mask: number | bigint, expected: number | bigint, options: PollOptions = {}): PollResult {
  const p = startPoll(io, offset, mask, expected, options);
  for (;;) {
    const r = p.step();
    if (r !== undefined) return r;
  }
}

/** Options of {@link pollUntilAsync}. */
export interface AsyncPollOptions extends PollOptions {
  /** Milliseconds to sleep between reads (the event loop runs meanwhile). Default 1. */
  intervalMs?: number;
}

/**
 * Like {@link pollUntil}, but sleeps `intervalMs` between reads instead of spinning, for
 * conditions that take milliseconds or longer. Resolves to the same result; rejects with the same
 * ERR_MMAPKIT_TIMEOUT error.
 */
export async function pollUntilAsync(
  io: RegisterIO,
  offset: number,
  mask: number | bigint,
  expected: number | bigint,
  options: AsyncPollOptions = {},
): Promise<PollResult> {
  toObject(options, 'options');
  const interval = options.intervalMs ?? 1;
  if (typeof interval !== 'number') throw invalidType('options.intervalMs', 'of type number', interval);
  if (!(interval >= 0) || interval === Infinity) {
    throw outOfRange('options.intervalMs', 'a non-negative number', interval);
  }
  const p = startPoll(io, offset, mask, expected, options, ASYNC_POLL_KEYS);
  for (;;) {
    const r = p.step();
    if (r !== undefined) return r;
    await new Promise<void>((resolve) => setTimeout(resolve, interval));
  }
}

const POLL_KEYS = ['timeoutMs', 'width', 'now', 'maxReads'];
const ASYNC_POLL_KEYS = [...POLL_KEYS, 'intervalMs'];

function startPoll(
  io: RegisterIO,
  offset: number,
  mask: number | bigint,
  expected: number | bigint,
  options: PollOptions,
  keys = POLL_KEYS,
): { step(): PollResult | undefined } {
  toObject(options, 'options');
  toIO(io);
  checkOffset(offset);
  toOptions<PollOptions>(options, 'options', keys);
  const width = options.width ?? 32;
  checkWidth(width);
  const timeoutMs = options.timeoutMs ?? 1000;
  if (typeof timeoutMs !== 'number') throw invalidType('options.timeoutMs', 'of type number', timeoutMs);
  if (!(timeoutMs >= 0)) {
    throw outOfRange('options.timeoutMs', 'a non-negative number', timeoutMs);
  }
  const maxReads = options.maxReads ?? Infinity;
  if (typeof maxReads !== 'number') throw invalidType('options.maxReads', 'of type number', maxReads);
  if (!(maxReads >= 1) || (maxReads !== Infinity && !Number.isInteger(maxReads))) {
    throw outOfRange('options.maxReads', 'an integer >= 1 (or Infinity)', maxReads);
  }
  const now = options.now ?? (() => performance.now());
  if (typeof now !== 'function') throw invalidType('options.now', 'a function', now);
  const m = toBits(mask, width, 'mask');
  const want = toBits(expected, width, 'value');
  const start = now();
  let reads = 0;
  return {
    step(): PollResult | undefined {
      const raw = read(io, offset, width);
      reads++;
      const v = typeof raw === 'bigint' ? raw : BigInt(raw >>> 0);
      const elapsedMs = now() - start;
      if ((v & m) === want) return { value: raw, reads, elapsedMs };
      if (elapsedMs >= timeoutMs || reads >= maxReads) {
        const err = codedError(
          'ERR_MMAPKIT_TIMEOUT',
          `Register ${fmt(BigInt(offset))} did not reach (value & ${fmt(m)}) === ${fmt(want)}: ` +
            `last value ${fmt(v)} after ${reads} reads in ${elapsedMs.toFixed(3)} ms (timeout ${timeoutMs} ms)`,
        ) as PollTimeoutError;
        err.offset = offset;
        err.reads = reads;
        err.elapsedMs = elapsedMs;
        err.lastValue = raw;
        throw err;
      }
      return undefined;
    },
  };
}

/**
 * `count` consecutive registers of `width` bits (default 32) from `offset`, into a typed array.
 * On a native {@link RegisterWindow} one native call does all the reads.
 */
export function readRegisters(io: RegisterIO, offset: number, count: number, width: 8): Uint8Array;
export function readRegisters(io: RegisterIO, offset: number, count: number, width: 16): Uint16Array;
export function readRegisters(io: RegisterIO, offset: number, count: number, width?: 32): Uint32Array;
export function readRegisters(io: RegisterIO, offset: number, count: number, width: 64): BigUint64Array;
export function readRegisters(io: RegisterIO, offset: number, count: number, width?: AccessWidth): Uint8Array | Uint16Array | Uint32Array | BigUint64Array;
export function readRegisters(io: RegisterIO, offset: number, count: number, width: AccessWidth = 32): Uint8Array | Uint16Array | Uint32Array | BigUint64Array {
  checkWidth(width);
  if (io instanceof RegisterWindow) return io.readBlock(offset, count, width);
  toIO(io);
  toBlock(offset, count, width, io.size);
  const step = width / 8;
  if (width === 64) {
    const out = new BigUint64Array(count);
    for (let i = 0; i < count; i++) out[i] = io.read64(offset + i * 8);
    return out;
  }
  const out = width === 8 ? new Uint8Array(count) : width === 16 ? new Uint16Array(count) : new Uint32Array(count);
  const read = width === 8 ? io.read8.bind(io) : width === 16 ? io.read16.bind(io) : io.read32.bind(io);
  for (let i = 0; i < count; i++) out[i] = read(offset + i * step);
  return out;
}
