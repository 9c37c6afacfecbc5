/**
 * Driver for QEMU's `edu` teaching device (PCI 1234:11e8), written only against
 * {@link RegisterIO} and {@link pollUntil}: the same code drives the real (emulated) device
 * through a native register window onto BAR0 and a simulated edu device from lib/sim/.
 *
 * Register map (BAR0, 1 MiB; below 0x80 only 32-bit accesses are valid, others read all ones):
 *   0x00 ID        RO  0xMMmm00ed: major MM, minor mm, 0xed
 *   0x04 LIVENESS  RW  reads back the bitwise inverse of the last write
 *   0x08 FACTORIAL RW  a write starts computing n! (mod 2^32) while STATUS.BUSY; read the result
 *   0x20 STATUS    RW  bit 0 BUSY (read-only), bit 7 raise an interrupt when the factorial is done
 *   0x24 IRQ_STATUS RO the raised interrupt bits
 *   0x60 IRQ_RAISE WO  sets bits in IRQ_STATUS and raises the interrupt
 *   0x64 IRQ_ACK   WO  clears bits in IRQ_STATUS; the line drops when it reaches 0
 *   0x80/0x88/0x90/0x98 DMA source, destination, count, command (64-bit)
 */
import type { InterruptSource, RegisterIO, WaitInterruptOptions } from '../interfaces';
import { codedError } from '../errors';
import { pollUntil, type PollOptions } from '../regs/helpers';
import { invalidType, REGISTER_IO_METHODS, toBool, toInt, toObjectWith, toOptions } from '../validate';

const INTERRUPT_METHODS = ['enableInterrupt', 'disableInterrupt', 'takeInterrupt', 'waitInterrupt'] as const;

const U32 = 0xffffffff;

export const EDU_VENDOR_ID = 0x1234;
export const EDU_DEVICE_ID = 0x11e8;
/** Bytes in BAR0. */
export const EDU_BAR0_SIZE = 0x100000;

export const EDU_REG = {
  ID: 0x00,
  LIVENESS: 0x04,
  FACTORIAL: 0x08,
  STATUS: 0x20,
  IRQ_STATUS: 0x24,
  IRQ_RAISE: 0x60,
  IRQ_ACK: 0x64,
  DMA_SRC: 0x80,
  DMA_DST: 0x88,
  DMA_COUNT: 0x90,
  DMA_CMD: 0x98,
} as const;

export const EDU_STATUS_BUSY = 0x01;
export const EDU_STATUS_IRQ_ON_DONE = 0x80;
/** IRQ_STATUS bit the device sets when a factorial finishes with STATUS bit 7 set. */
export const EDU_IRQ_FACTORIAL = 0x01;
/** The low byte of every edu ID register. */
export const EDU_ID_MAGIC = 0xed;

/** What {@link EduDriver.identify} read. */
export interface EduIdentity {
  /** The raw ID register, 0x010000ed for QEMU 7.2's edu 1.0. */
  id: number;
  major: number;
  minor: number;
}

/** The outcome of {@link EduDriver.factorial}. */
export interface EduFactorial {
  n: number;
  /** n! modulo 2^32, as the device computes it. */
  value: number;
  /** STATUS reads made while waiting for BUSY to clear. */
  reads: number;
  elapsedMs: number;
}

/** The outcome of {@link EduDriver.factorialByInterrupt}. */
export interface EduInterruptFactorial {
  n: number;
  /** n! modulo 2^32. */
  value: number;
  /** The interrupt count the wait returned (UIO's running count). */
  count: number;
  /** IRQ_STATUS when the interrupt arrived (EDU_IRQ_FACTORIAL set), written back to IRQ_ACK. */
  irqStatus: number;
  /** Milliseconds from the write to FACTORIAL to the interrupt (real time). */
  elapsedMs: number;
}

/** Options of {@link EduDriver}. */
export interface EduDriverOptions {
  /** Budget for waiting on STATUS.BUSY. Default 1000 ms. */
  timeoutMs?: number;
  /** Clock for the busy-wait (a simulator passes its own). */
  now?: PollOptions['now'];
  /** Cap on STATUS reads per wait (for a simulated clock that only moves with accesses). */
  maxReads?: number;
}

/** The edu device behind any {@link RegisterIO} onto its BAR0. */
export class EduDriver {
  readonly io: RegisterIO;
  readonly #poll: PollOptions;

  constructor(io: RegisterIO, options: EduDriverOptions = {}) {
    this.io = toObjectWith<RegisterIO>(io, 'io', REGISTER_IO_METHODS, 'a RegisterIO');
    const o = toOptions<EduDriverOptions>(options, 'options', ['timeoutMs', 'now', 'maxReads']);
    const timeoutMs = o.timeoutMs ?? 1000;
    if (typeof timeoutMs !== 'number') throw invalidType('options.timeoutMs', 'of type number', timeoutMs);
    if (o.now !== undefined && typeof o.now !== 'function') throw invalidType('options.now', 'a function', o.now);
    if (o.maxReads !== undefined && typeof o.maxReads !== 'number') throw invalidType('options.maxReads', 'of type number', o.maxReads);
    this.#poll = { timeoutMs, now: o.now, maxReads: o.maxReads, width: 32 };
  }

  /** Reads the ID register; throws ERR_MMAPKIT_DEVICE unless its low byte is 0xed. */
  identify(): EduIdentity {
    const id = this.io.read32(EDU_REG.ID);
    if ((id & 0xff) !== EDU_ID_MAGIC) {
      throw codedError('ERR_MMAPKIT_DEVICE', `Not an edu device: ID register reads 0x${id.toString(16).padStart(8, '0')} (expected 0x......ed)`);
    }
    return { id, major: id >>> 24, minor: (id >>> 16) & 0xff };
  }

  /** Writes `value` to LIVENESS and returns what reads back (its inverse on a live device). */
  liveness(value: number): number {
    toInt(value, 'value', 0, U32);
    this.io.write32(EDU_REG.LIVENESS, value);
    return this.io.read32(EDU_REG.LIVENESS);
  }

  /** Whether the device inverts `value` (default 0x12345678) as a live edu does. */
  isAlive(value = 0x12345678): boolean {
    toInt(value, 'value', 0, U32);
    return this.liveness(value) === ~value >>> 0;
  }

  /** Whether STATUS.BUSY is set (a factorial is being computed). */
  busy(): boolean {
    return (this.io.read32(EDU_REG.STATUS) & EDU_STATUS_BUSY) !== 0;
  }

  /**
   * n! modulo 2^32, computed by the device: waits for BUSY to clear, writes n to FACTORIAL,
   * polls STATUS bit 0 until the device clears it, reads the result. With `interrupt`, STATUS bit
   * 7 is set first so the device raises IRQ_STATUS bit 0 when done.
   */
  factorial(n: number, options: { interrupt?: boolean } = {}): EduFactorial {
    toInt(n, 'n', 0, U32);
    const o = toOptions<{ interrupt?: boolean }>(options, 'options', ['interrupt']);
    const interrupt = o.interrupt === undefined ? false : toBool(o.interrupt, 'options.interrupt');
    pollUntil(this.io, EDU_REG.STATUS, EDU_STATUS_BUSY, 0, this.#poll);
    if (interrupt) this.io.write32(EDU_REG.STATUS, EDU_STATUS_IRQ_ON_DONE);
    this.io.write32(EDU_REG.FACTORIAL, n);
    const done = pollUntil(this.io, EDU_REG.STATUS, EDU_STATUS_BUSY, 0, this.#poll);
    const value = this.io.read32(EDU_REG.FACTORIAL);
    if (interrupt) this.io.write32(EDU_REG.STATUS, 0);
    return { n, value, reads: done.reads, elapsedMs: done.elapsedMs };
  }

  /**
   * n! modulo 2^32 without polling: sets STATUS bit 7 (interrupt when done), writes FACTORIAL,
   * awaits the interrupt from `irq` (a UIO device, or the simulated edu's
   * {@link SimEdu.uioInterrupt}), reads the result and acknowledges the interrupt by writing the
   * IRQ_STATUS it read to IRQ_ACK. The interrupt is unmasked (enableInterrupt) before the
   * factorial starts. Throws ERR_MMAPKIT_BUSY when a factorial is already running,
   * ERR_MMAPKIT_DEVICE when the interrupt came without the factorial bit.
   */
  async factorialByInterrupt(n: number, irq: InterruptSource, options: Pick<WaitInterruptOptions, 'signal' | 'timeout'> = {}): Promise<EduInterruptFactorial> {
    toInt(n, 'n', 0, U32);
    toObjectWith<InterruptSource>(irq, 'irq', INTERRUPT_METHODS, 'an InterruptSource');
    const o = toOptions<WaitInterruptOptions>(options, 'options', ['signal', 'timeout']);
    if (this.busy()) throw codedError('ERR_MMAPKIT_BUSY', 'The edu device is already computing a factorial (STATUS bit 0 is set)');
    // Start clean: no interrupt bits left raised, no count left unread.
    const stale = this.io.read32(EDU_REG.IRQ_STATUS);
    if (stale !== 0) this.io.write32(EDU_REG.IRQ_ACK, stale);
    irq.takeInterrupt();
    this.io.write32(EDU_REG.STATUS, EDU_STATUS_IRQ_ON_DONE);
    irq.enableInterrupt();
    const t0 = performance.now();
    this.io.write32(EDU_REG.FACTORIAL, n);
    let count: number;
    try {
      count = await irq.waitInterrupt({ signal: o.signal, timeout: o.timeout ?? this.#poll.timeoutMs });
    } finally {
      this.io.write32(EDU_REG.STATUS, 0);
    }
    const elapsedMs = performance.now() - t0;
    const irqStatus = this.io.read32(EDU_REG.IRQ_STATUS);
    const value = this.io.read32(EDU_REG.FACTORIAL);
    this.io.write32(EDU_REG.IRQ_ACK, irqStatus);
    if ((irqStatus & EDU_IRQ_FACTORIAL) === 0) {
      throw codedError('ERR_MMAPKIT_DEVICE', `An interrupt arrived but IRQ_STATUS reads 0x${irqStatus.toString(16)}, without the factorial bit 0x1`);
    }
    return { n, value, count, irqStatus, elapsedMs };
  }

  /** Sets `bits` in IRQ_STATUS (and raises the device's interrupt). */
  raiseInterrupt(bits: number): void {
    toInt(bits, 'bits', 0, U32);
    this.io.write32(EDU_REG.IRQ_RAISE, bits);
  }

  /** The IRQ_STATUS register. */
  interruptStatus(): number {
    return this.io.read32(EDU_REG.IRQ_STATUS);
  }

  /** Clears `bits` (default: all that are set) in IRQ_STATUS; returns IRQ_STATUS afterwards. */
  acknowledgeInterrupt(bits?: number): number {
    if (bits !== undefined) toInt(bits, 'bits', 0, U32);
    this.io.write32(EDU_REG.IRQ_ACK, bits ?? this.interruptStatus());
    return this.interruptStatus();
  }
}

/**
 * Plain n! modulo 2^32 for an integer n from 0 to 2^32 - 1 (what the device's 32-bit FACTORIAL
 * register takes), the value the device is expected to return.
 */
export function expectedEduFactorial(n: number): number {
  toInt(n, 'n', 0, U32);
  // 34! has 32 factors of two, so n! mod 2^32 is 0 from n = 34 on: no loop past that.
  if (n >= 34) return 0;
  let v = 1;
  for (let i = 2; i <= n; i++) v = Math.imul(v, i) >>> 0;
  return v;
}
