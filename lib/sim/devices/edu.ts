/**
 * QEMU's `edu` teaching device (PCI 1234:11e8), BAR0 = 1 MiB of MMIO, as QEMU 7.2 implements it
 * (hw/misc/edu.c), with simulated time in place of QEMU's worker thread and DMA timer.
 *
 *   offset  name        access  meaning
 *   0x00    ID          R       0x010000ed (major 1, minor 0, magic 0xed)
 *   0x04    LIVENESS    R/W     reads back the bitwise inverse of the last value written (0 at reset)
 *   0x08    FACTORIAL   R/W     a write stores n and starts computing n! mod 2^32 (ignored while
 *                               busy); a read returns the stored value, the result once done
 *   0x20    STATUS      R/W     bit 0 BUSY (read-only): computing; bit 7 IRQ_ON_DONE: raise
 *                               interrupt bit 0x1 when a factorial finishes
 *   0x24    IRQ_STATUS  R       the raised interrupt bits (0x1 factorial, 0x100 DMA)
 *   0x60    IRQ_RAISE   W       ORs the value into IRQ_STATUS; the line rises while IRQ_STATUS != 0
 *   0x64    IRQ_ACK     W       clears those bits in IRQ_STATUS
 *   0x80    DMA_SRC     R/W     64-bit DMA source address
 *   0x88    DMA_DST     R/W     64-bit DMA destination address
 *   0x90    DMA_COUNT   R/W     64-bit byte count
 *   0x98    DMA_CMD     R/W     bit 0 RUN, bit 1 direction (0: RAM → device buffer, 1: device
 *                               buffer → RAM), bit 2 raise interrupt 0x100 when done. The transfer
 *                               happens 100 ms of simulated time later; the buffer is 4 KiB at
 *                               device address 0x40000. DMA registers ignore writes while RUN; a
 *                               command written without RUN is ignored.
 *
 * Below 0x80 only 4-byte accesses are valid; at and above 0x80, 4- and 8-byte ones. An invalid
 * access reads all ones (for its size) and a write is ignored; so does any offset not listed.
 * Only the first 0x100 bytes hold registers. (QEMU's memory core already refuses 1- and 2-byte
 * accesses to edu, whose valid sizes are 4 to 8, before the device sees them; what such a read
 * returns then depends on the target. The simulator answers them like the other invalid accesses:
 * all ones.)
 */
import { SimDeviceBase, SimIrqLine, simAllOnes, simHex, type SimAccessRules, type SimAccessSize } from '../device';
import type { SimBusMaster } from '../bus';
import { SimScheduler } from '../scheduler';
import { SimUioInterrupt } from '../uio';
import { invalidType, simCheckAccess, simCheckMaster, toFiniteNumber, toFunction, toInstance, toOptions, toStr } from '../../validate';

export const SIM_EDU_ID_VALUE = 0x010000ed;
export const SIM_EDU_ID = 0x00;
export const SIM_EDU_LIVENESS = 0x04;
export const SIM_EDU_FACTORIAL = 0x08;
export const SIM_EDU_STATUS = 0x20;
export const SIM_EDU_IRQ_STATUS = 0x24;
export const SIM_EDU_IRQ_RAISE = 0x60;
export const SIM_EDU_IRQ_ACK = 0x64;
export const SIM_EDU_DMA_SRC = 0x80;
export const SIM_EDU_DMA_DST = 0x88;
export const SIM_EDU_DMA_COUNT = 0x90;
export const SIM_EDU_DMA_CMD = 0x98;
export const SIM_EDU_STATUS_BUSY = 0x01;
export const SIM_EDU_STATUS_IRQ_ON_DONE = 0x80;
export const SIM_EDU_IRQ_FACTORIAL = 0x001;
export const SIM_EDU_IRQ_DMA = 0x100;
export const SIM_EDU_DMA_RUN = 0x1;
export const SIM_EDU_DMA_TO_RAM = 0x2;
export const SIM_EDU_DMA_IRQ = 0x4;
export const SIM_EDU_DMA_BUFFER = 0x40000;
export const SIM_EDU_DMA_BUFFER_SIZE = 4096;
/** Size of BAR0. */
export const SIM_EDU_BAR_SIZE = 0x100000;

const NAMES: Record<number, string> = {
  0x00: 'ID',
  0x04: 'LIVENESS',
  0x08: 'FACTORIAL',
  0x20: 'STATUS',
  0x24: 'IRQ_STATUS',
  0x60: 'IRQ_RAISE',
  0x64: 'IRQ_ACK',
  0x80: 'DMA_SRC',
  0x88: 'DMA_DST',
  0x90: 'DMA_COUNT',
  0x98: 'DMA_CMD',
};

export interface SimEduOptions {
  name?: string;
  /** The device's bus handle for DMA (`bus.master('edu')`); without it DMA commands fail as guest errors. */
  dma?: SimBusMaster;
  /** Simulated time a factorial takes: fixed part plus per-multiplication part, ns (default 2000 + 50·n). */
  factorialNs?: (n: number) => number;
  /** Delay from a DMA command to the transfer, ns (default 100 ms, QEMU's timer). */
  dmaDelayNs?: number;
  /** Mask of DMA addresses (default 28 bits, QEMU's edu default). */
  dmaMask?: bigint;
}

export class SimEdu extends SimDeviceBase {
  readonly name: string;
  readonly size = SIM_EDU_BAR_SIZE;
  readonly access: SimAccessRules = { sizes: [1, 2, 4, 8], other: 'refuse' };
  /** The INTx line: high while IRQ_STATUS != 0. */
  readonly irq: SimIrqLine;
  /** The 4 KiB DMA buffer. */
  readonly dmaBuffer = new Uint8Array(SIM_EDU_DMA_BUFFER_SIZE);
  private addr4 = 0;
  private fact = 0;
  private status = 0;
  private irqStatus = 0;
  private dmaSrc = 0n;
  private dmaDst = 0n;
  private dmaCnt = 0n;
  private dmaCmd = 0n;
  private readonly dma: SimBusMaster | undefined;
  private readonly factorialNs: (n: number) => number;
  private readonly dmaDelayNs: number;
  private readonly dmaMask: bigint;

  constructor(
    private readonly scheduler: SimScheduler,
    options: SimEduOptions = {},
  ) {
    super();
    toInstance(scheduler, 'scheduler', SimScheduler);
    options = toOptions<SimEduOptions>(options, 'options', ['name', 'dma', 'factorialNs', 'dmaDelayNs', 'dmaMask']);
    this.name = options.name === undefined ? 'edu' : toStr(options.name, 'options.name');
    this.irq = new SimIrqLine(`${this.name}.irq`);
    if (options.dma !== undefined) simCheckMaster(options.dma, 'options.dma');
    this.dma = options.dma;
    if (options.factorialNs !== undefined) toFunction(options.factorialNs, 'options.factorialNs');
    this.factorialNs = options.factorialNs ?? ((n) => 2000 + 50 * n);
    this.dmaDelayNs = options.dmaDelayNs === undefined ? 100e6 : toFiniteNumber(options.dmaDelayNs, 'options.dmaDelayNs', 0, 1e15);
    if (options.dmaMask !== undefined && typeof options.dmaMask !== 'bigint') throw invalidType('options.dmaMask', 'of type bigint', options.dmaMask);
    this.dmaMask = options.dmaMask ?? (1n << 28n) - 1n;
  }

  protected now(): number {
    return this.scheduler.now;
  }

  /**
   * The device's interrupt as a UIO device would deliver it (uio_pci_generic's rules): the same
   * {@link InterruptSource} that `openUioDevice()` gives on real hardware.
   */
  uioInterrupt(): SimUioInterrupt {
    return new SimUioInterrupt(this.irq, this.scheduler, { name: `${this.name} (simulated UIO)` });
  }

  registerName(offset: number): string | undefined {
    simCheckAccess(offset, 1);
    return NAMES[offset];
  }

  read(offset: number, size: SimAccessSize): number | bigint {
    simCheckAccess(offset, size);
    const ones = simAllOnes(size);
    if ((offset < 0x80 && size !== 4) || (offset >= 0x80 && size !== 4 && size !== 8)) {
      this.guestError(`${size}-byte read at offset ${simHex(offset, 2)} is not a valid access; reads all ones`);
      return ones;
    }
    let v: number | bigint;
    switch (offset) {
      case SIM_EDU_ID:
        v = SIM_EDU_ID_VALUE;
        break;
      case SIM_EDU_LIVENESS:
        v = this.addr4;
        break;
      case SIM_EDU_FACTORIAL:
        v = this.fact;
        break;
      case SIM_EDU_STATUS:
        v = this.status;
        break;
      case SIM_EDU_IRQ_STATUS:
        v = this.irqStatus;
        break;
      case SIM_EDU_DMA_SRC:
        v = this.dmaSrc;
        break;
      case SIM_EDU_DMA_DST:
        v = this.dmaDst;
        break;
      case SIM_EDU_DMA_COUNT:
        v = this.dmaCnt;
        break;
      case SIM_EDU_DMA_CMD:
        v = this.dmaCmd;
        break;
      default:
        this.guestError(`read of unknown register at offset ${simHex(offset, 2)}; reads all ones`);
        return ones;
    }
    // A 4-byte read of a 64-bit register returns its low half, as QEMU truncates it.
    return size === 8 ? BigInt(v) : Number(BigInt.asUintN(32, BigInt(v)));
  }

  write(offset: number, value: number | bigint, size: SimAccessSize): void {
    simCheckAccess(offset, size, value, true);
    if ((offset < 0x80 && size !== 4) || (offset >= 0x80 && size !== 4 && size !== 8)) {
      this.guestError(`${size}-byte write at offset ${simHex(offset, 2)} is not a valid access; ignored`);
      return;
    }
    const big = BigInt.asUintN(64, BigInt(value));
    const v = Number(BigInt.asUintN(32, big));
    switch (offset) {
      case SIM_EDU_LIVENESS:
        this.addr4 = ~v >>> 0;
        break;
      case SIM_EDU_FACTORIAL:
        if (this.status & SIM_EDU_STATUS_BUSY) break;
        this.fact = v;
        this.status |= SIM_EDU_STATUS_BUSY;
        this.scheduler.after(this.factorialNs(v), () => this.factorialDone(), `${this.name}: factorial done`);
        break;
      case SIM_EDU_STATUS:
        if (v & SIM_EDU_STATUS_IRQ_ON_DONE) this.status |= SIM_EDU_STATUS_IRQ_ON_DONE;
        else this.status &= ~SIM_EDU_STATUS_IRQ_ON_DONE;
        break;
      case SIM_EDU_IRQ_RAISE:
        this.raise(v);
        break;
      case SIM_EDU_IRQ_ACK:
        this.irqStatus = (this.irqStatus & ~v) >>> 0;
        this.update();
        break;
      case SIM_EDU_DMA_SRC:
        if (!this.dmaRunning()) this.dmaSrc = big;
        break;
      case SIM_EDU_DMA_DST:
        if (!this.dmaRunning()) this.dmaDst = big;
        break;
      case SIM_EDU_DMA_COUNT:
        if (!this.dmaRunning()) this.dmaCnt = big;
        break;
      case SIM_EDU_DMA_CMD:
        // As QEMU: a command without RUN is ignored, and so is any command while one runs.
        if (this.dmaRunning() || !(big & BigInt(SIM_EDU_DMA_RUN))) break;
        this.dmaCmd = big;
        this.scheduler.after(this.dmaDelayNs, () => this.dmaTransfer(), `${this.name}: DMA`);
        break;
      case SIM_EDU_ID:
      case SIM_EDU_IRQ_STATUS:
        this.guestError(`write of ${simHex(v)} to read-only ${NAMES[offset]} ignored`);
        break;
      default:
        this.guestError(`write of ${simHex(big, 16)} to unknown register at offset ${simHex(offset, 2)} ignored`);
        break;
    }
  }

  private dmaRunning(): boolean {
    return (this.dmaCmd & BigInt(SIM_EDU_DMA_RUN)) !== 0n;
  }

  private factorialDone(): void {
    let r = 1;
    for (let i = this.fact; i > 0; i--) r = Math.imul(r, i) >>> 0;
    this.fact = r;
    this.status &= ~SIM_EDU_STATUS_BUSY;
    if (this.status & SIM_EDU_STATUS_IRQ_ON_DONE) this.raise(SIM_EDU_IRQ_FACTORIAL);
  }

  private dmaTransfer(): void {
    if (!this.dmaRunning()) return;
    const toRam = (this.dmaCmd & BigInt(SIM_EDU_DMA_TO_RAM)) !== 0n;
    const cnt = Number(this.dmaCnt);
    const local = toRam ? this.dmaSrc : this.dmaDst;
    const remote = (toRam ? this.dmaDst : this.dmaSrc) & this.dmaMask;
    const start = BigInt(SIM_EDU_DMA_BUFFER);
    if (local < start || local + this.dmaCnt > start + BigInt(SIM_EDU_DMA_BUFFER_SIZE) || this.dmaCnt > BigInt(SIM_EDU_DMA_BUFFER_SIZE)) {
      this.guestError(
        `DMA range ${simHex(local)}+${cnt} is outside the buffer ${simHex(SIM_EDU_DMA_BUFFER)}..${simHex(SIM_EDU_DMA_BUFFER + SIM_EDU_DMA_BUFFER_SIZE)}`,
      );
    } else if (this.dma === undefined) {
      this.guestError('DMA command with no bus attached');
    } else {
      const at = Number(local - start);
      try {
        if (toRam) this.dma.writeBytes(Number(remote), this.dmaBuffer.subarray(at, at + cnt));
        else this.dmaBuffer.set(this.dma.readBytes(Number(remote), cnt), at);
      } catch (err) {
        this.guestError(`DMA failed: ${(err as Error).message}`);
      }
    }
    this.dmaCmd &= ~BigInt(SIM_EDU_DMA_RUN);
    if (this.dmaCmd & BigInt(SIM_EDU_DMA_IRQ)) this.raise(SIM_EDU_IRQ_DMA);
  }

  private raise(bits: number): void {
    this.irqStatus = (this.irqStatus | bits) >>> 0;
    this.update();
  }

  private update(): void {
    this.irq.set(this.irqStatus !== 0);
  }
}
