/**
 * A DMA network device: the driver writes transmit descriptors into a ring in RAM and rings a
 * doorbell register; the device then fetches each descriptor and its frame from RAM by DMA, some
 * simulated time later, and writes the descriptor back. All registers are 32-bit.
 *
 *   offset  name        access  meaning
 *   0x00    ID          R       0x3054454e ("NET0" in memory order)
 *   0x04    CTRL        R/W     bit 0 ENABLE, bit 1 IRQ_ENABLE
 *   0x08    STATUS      R       bit 0 BUSY (a fetch is pending), bit 1 ERROR (a descriptor was bad)
 *   0x0C    IRQ_STATUS  R/W1C   bit 0 TX_DONE, bit 1 TX_ERROR; writing 1s clears them
 *   0x10    RING_LO     R/W     physical address of the descriptor ring, bits 31:0
 *   0x14    RING_HI     R/W     bits 63:32
 *   0x18    RING_SIZE   R/W     number of descriptors (1..256, power of two; reset 8)
 *   0x1C    DOORBELL    W       producer index: descriptors up to (not including) this index are
 *                               ready. Reads 0.
 *   0x20    HEAD        R       consumer index: the next descriptor the device will fetch
 *   0x24    SENT        R       frames sent
 *   0x28    ERRORS      R       descriptors rejected
 *
 * A descriptor is 16 bytes, little-endian, the seed's `struct desc`:
 *   0x00 addr (u64) frame address   0x08 len (u32) frame length (1..2048)
 *   0x0C flags (u32) bit 0 OWN (set by the driver: ready for the device), bit 1 DONE (set by the
 *   device when it has sent the frame; it clears OWN)
 *
 * A descriptor fetched without OWN, or with a bad length, is rejected (ERRORS, IRQ_STATUS.TX_ERROR)
 * and skipped. Every fetch is recorded in `fetches` with the values the device saw, which is how
 * the doorbell hazard is observed: a fetch that saw a stale len or flags.
 */
import { SimDeviceBase, SimIrqLine, simHex, type SimAccessRules, type SimAccessSize } from '../device';
import type { SimBusMaster } from '../bus';
import { SimScheduler } from '../scheduler';
import { invalidType, simCheckAccess, simCheckMaster, toFiniteNumber, toInstance, toOptions, toStr } from '../../validate';

export const SIM_NET_ID_VALUE = 0x3054454e;
export const SIM_NET_ID = 0x00;
export const SIM_NET_CTRL = 0x04;
export const SIM_NET_STATUS = 0x08;
export const SIM_NET_IRQ_STATUS = 0x0c;
export const SIM_NET_RING_LO = 0x10;
export const SIM_NET_RING_HI = 0x14;
export const SIM_NET_RING_SIZE = 0x18;
export const SIM_NET_DOORBELL = 0x1c;
export const SIM_NET_HEAD = 0x20;
export const SIM_NET_SENT = 0x24;
export const SIM_NET_ERRORS = 0x28;
export const SIM_NET_CTRL_ENABLE = 1 << 0;
export const SIM_NET_CTRL_IRQ_ENABLE = 1 << 1;
export const SIM_NET_STATUS_BUSY = 1 << 0;
export const SIM_NET_STATUS_ERROR = 1 << 1;
export const SIM_NET_IRQ_TX_DONE = 1 << 0;
export const SIM_NET_IRQ_TX_ERROR = 1 << 1;
export const SIM_NET_DESC_SIZE = 16;
export const SIM_NET_DESC_OWN = 1 << 0;
export const SIM_NET_DESC_DONE = 1 << 1;
export const SIM_NET_MAX_FRAME = 2048;

const NAMES: Record<number, string> = {
  0x00: 'ID',
  0x04: 'CTRL',
  0x08: 'STATUS',
  0x0c: 'IRQ_STATUS',
  0x10: 'RING_LO',
  0x14: 'RING_HI',
  0x18: 'RING_SIZE',
  0x1c: 'DOORBELL',
  0x20: 'HEAD',
  0x24: 'SENT',
  0x28: 'ERRORS',
};

/** What the device saw when it fetched one descriptor. */
export interface SimNetFetch {
  /** Ring index (not wrapped) and slot (wrapped). */
  readonly index: number;
  readonly slot: number;
  readonly time: number;
  readonly addr: bigint;
  readonly len: number;
  readonly flags: number;
  /** The frame it read, when the descriptor was accepted. */
  readonly frame?: Uint8Array;
  /** Why it was rejected, when it was. */
  readonly rejected?: string;
}

export interface SimNetOptions {
  name?: string;
  /** Range [min, max] of ns from the doorbell to the fetch (default [100, 800]). */
  fetchNs?: readonly [number, number];
}

export class SimNetDevice extends SimDeviceBase {
  readonly name: string;
  readonly size = 0x1000;
  readonly access: SimAccessRules = { sizes: [4], other: 'refuse' };
  readonly irq: SimIrqLine;
  /** Every descriptor fetch, in order. */
  readonly fetches: SimNetFetch[] = [];
  private ctrl = 0;
  private irqStatus = 0;
  private error = false;
  private ringLo = 0;
  private ringHi = 0;
  private ringSize = 8;
  private head = 0;
  private tail = 0;
  private sent = 0;
  private errors = 0;
  private pending = false;
  private readonly dma: SimBusMaster;
  private readonly fetchNs: readonly [number, number];

  /** `dma` is the device's handle on the bus: `bus.master('net')`. */
  constructor(
    private readonly scheduler: SimScheduler,
    dma: SimBusMaster,
    options: SimNetOptions = {},
  ) {
    super();
    toInstance(scheduler, 'scheduler', SimScheduler);
    simCheckMaster(dma, 'dma');
    options = toOptions<SimNetOptions>(options, 'options', ['name', 'fetchNs']);
    this.name = options.name === undefined ? 'net' : toStr(options.name, 'options.name');
    this.irq = new SimIrqLine(`${this.name}.irq`);
    this.dma = dma;
    const fetch = options.fetchNs ?? [100, 800];
    if (!Array.isArray(fetch) || fetch.length !== 2) throw invalidType('options.fetchNs', 'an array [min, max]', fetch);
    const lo = toFiniteNumber(fetch[0], 'options.fetchNs[0]', 0, 1e15);
    this.fetchNs = [lo, toFiniteNumber(fetch[1], 'options.fetchNs[1]', lo, 1e15)];
  }

  protected now(): number {
    return this.scheduler.now;
  }

  registerName(offset: number): string | undefined {
    simCheckAccess(offset, 1);
    return NAMES[offset];
  }

  /** The ring's physical address. */
  get ringAddress(): number {
    return this.ringHi * 0x1_0000_0000 + this.ringLo;
  }

  read(offset: number, _size: SimAccessSize): number {
    simCheckAccess(offset, _size);
    switch (offset) {
      case SIM_NET_ID:
        return SIM_NET_ID_VALUE;
      case SIM_NET_CTRL:
        return this.ctrl;
      case SIM_NET_STATUS:
        return (this.pending ? SIM_NET_STATUS_BUSY : 0) | (this.error ? SIM_NET_STATUS_ERROR : 0);
      case SIM_NET_IRQ_STATUS:
        return this.irqStatus;
      case SIM_NET_RING_LO:
        return this.ringLo;
      case SIM_NET_RING_HI:
        return this.ringHi;
      case SIM_NET_RING_SIZE:
        return this.ringSize;
      case SIM_NET_DOORBELL:
        return 0;
      case SIM_NET_HEAD:
        return this.head >>> 0;
      case SIM_NET_SENT:
        return this.sent >>> 0;
      case SIM_NET_ERRORS:
        return this.errors >>> 0;
      default:
        this.guestError(`read of unknown register at offset ${simHex(offset, 2)}`);
        return 0;
    }
  }

  write(offset: number, value: number | bigint, _size: SimAccessSize): void {
    simCheckAccess(offset, _size, value, true);
    const v = Number(value) >>> 0;
    switch (offset) {
      case SIM_NET_CTRL:
        this.ctrl = v & (SIM_NET_CTRL_ENABLE | SIM_NET_CTRL_IRQ_ENABLE);
        if (this.ctrl & SIM_NET_CTRL_ENABLE) this.schedule();
        break;
      case SIM_NET_IRQ_STATUS:
        this.irqStatus &= ~v;
        if (v & SIM_NET_IRQ_TX_ERROR) this.error = false;
        break;
      case SIM_NET_RING_LO:
        this.ringLo = v;
        break;
      case SIM_NET_RING_HI:
        this.ringHi = v & 0xfffff;
        break;
      case SIM_NET_RING_SIZE:
        if (v < 1 || v > 256 || (v & (v - 1)) !== 0) {
          this.guestError(`RING_SIZE ${v} is not a power of two in 1..256; ignored`);
        } else {
          this.ringSize = v;
        }
        break;
      case SIM_NET_DOORBELL:
        this.tail = v;
        this.schedule();
        break;
      case SIM_NET_ID:
      case SIM_NET_STATUS:
      case SIM_NET_HEAD:
      case SIM_NET_SENT:
      case SIM_NET_ERRORS:
        this.guestError(`write of ${simHex(v)} to read-only ${NAMES[offset]} ignored`);
        break;
      default:
        this.guestError(`write of ${simHex(v)} to unknown register at offset ${simHex(offset, 2)} ignored`);
    }
    this.update();
  }

  private schedule(): void {
    if (this.pending || !(this.ctrl & SIM_NET_CTRL_ENABLE) || this.head === this.tail) return;
    this.pending = true;
    const delay = this.scheduler.random.int(this.fetchNs[0], this.fetchNs[1]);
    this.scheduler.after(delay, () => this.process(), `${this.name}: fetch descriptors`);
  }

  /** Fetch and send every descriptor from HEAD up to the doorbell's index. */
  private process(): void {
    this.pending = false;
    if (!(this.ctrl & SIM_NET_CTRL_ENABLE)) return;
    if ((this.tail - this.head) >>> 0 > this.ringSize) {
      this.guestError(`DOORBELL index ${this.tail} is more than RING_SIZE (${this.ringSize}) ahead of HEAD ${this.head}; ignored`);
      this.tail = this.head;
      this.update();
      return;
    }
    while (this.head !== this.tail) {
      const index = this.head;
      const slot = index & (this.ringSize - 1);
      const at = this.ringAddress + slot * SIM_NET_DESC_SIZE;
      const addr = this.dma.read(at, 8) as bigint;
      const len = this.dma.read(at + 8, 4) as number;
      const flags = this.dma.read(at + 12, 4) as number;
      const time = this.scheduler.now;
      let rejected: string | undefined;
      if (!(flags & SIM_NET_DESC_OWN)) rejected = `descriptor ${slot} not owned by the device (flags ${simHex(flags)})`;
      else if (len < 1 || len > SIM_NET_MAX_FRAME) rejected = `descriptor ${slot} has a bad length ${len}`;
      if (rejected !== undefined) {
        this.errors++;
        this.error = true;
        this.irqStatus |= SIM_NET_IRQ_TX_ERROR;
        this.fetches.push({ index, slot, time, addr, len, flags, rejected });
        this.guestError(rejected);
      } else {
        let frame: Uint8Array;
        try {
          frame = this.dma.readBytes(Number(addr), len);
        } catch (err) {
          rejected = `frame at ${simHex(addr)} unreadable: ${(err as Error).message}`;
          this.errors++;
          this.error = true;
          this.irqStatus |= SIM_NET_IRQ_TX_ERROR;
          this.fetches.push({ index, slot, time, addr, len, flags, rejected });
          this.guestError(rejected);
          this.head = (this.head + 1) >>> 0;
          continue;
        }
        this.dma.write(at + 12, (flags & ~SIM_NET_DESC_OWN) | SIM_NET_DESC_DONE, 4);
        this.sent++;
        this.irqStatus |= SIM_NET_IRQ_TX_DONE;
        this.fetches.push({ index, slot, time, addr, len, flags, frame });
      }
      this.head = (this.head + 1) >>> 0;
    }
    this.update();
  }

  private update(): void {
    this.irq.set((this.ctrl & SIM_NET_CTRL_IRQ_ENABLE) !== 0 && this.irqStatus !== 0);
  }
}
