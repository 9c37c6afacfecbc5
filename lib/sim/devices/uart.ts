/**
 * The seed's UART: four 32-bit registers at physical base 0x1000_0000.
 *
 *   offset  name    access  meaning
 *   0x00    DATA    R/W     read: pops the receive FIFO (0 when empty); write: queues a byte
 *                           (bits 7:0) for transmission
 *   0x04    STATUS  R       bit 0 RX_READY: the receive FIFO holds a byte
 *                           bit 5 TX_EMPTY: the transmit FIFO is empty (a byte may still be
 *                                 shifting out), so a new byte can be written
 *   0x08    CTRL    R/W     bit 0 ENABLE: the transmitter runs and received bytes are accepted
 *                           bit 1 IRQ_ENABLE: the interrupt line follows RX_READY | TX_EMPTY
 *                           reset value 0x00000001 (enabled, interrupts off)
 *   0x0C    BAUD    R/W     bits 15:0 divisor of a 115200-baud clock; a byte (10 bits on the
 *                           wire) takes divisor × 86 806 ns to shift out. 0 stops the
 *                           transmitter. Reset value 1.
 *
 * The transmit and receive FIFOs hold 16 bytes. Writing DATA while the transmit FIFO is full drops
 * the byte (counted in `txOverruns`, logged as a guest error); bytes fed while the receive FIFO is
 * full or the UART is disabled are dropped too (`rxOverruns`). Accesses are 32-bit; narrower reads
 * see the lanes of the 32-bit register, narrower writes are refused (bus error). Other offsets in
 * the 4 KiB region are guest errors and read as 0.
 */
import { SimDeviceBase, SimIrqLine, simHex, type SimAccessRules, type SimAccessSize } from '../device';
import { SimScheduler } from '../scheduler';
import { simCheckAccess, simFeedBytes, toInstance, toInt, toOptions, toStr } from '../../validate';

export const SIM_UART_BASE = 0x1000_0000;
export const SIM_UART_DATA = 0x00;
export const SIM_UART_STATUS = 0x04;
export const SIM_UART_CTRL = 0x08;
export const SIM_UART_BAUD = 0x0c;
export const SIM_UART_RX_READY = 1 << 0;
export const SIM_UART_TX_EMPTY = 1 << 5;
export const SIM_UART_CTRL_ENABLE = 1 << 0;
export const SIM_UART_CTRL_IRQ_ENABLE = 1 << 1;
/** Nanoseconds to send one 10-bit character at 115200 baud (divisor 1). */
export const SIM_UART_BYTE_NS = Math.round(10e9 / 115200);

const FIFO_DEPTH = 16;

export interface SimUartOptions {
  name?: string;
  /** Region size in bytes (default 4096). */
  size?: number;
}

/** A byte that left the transmitter, with the simulated time its last bit went out. */
export interface SimUartByte {
  readonly byte: number;
  readonly time: number;
}

export class SimUart extends SimDeviceBase {
  readonly name: string;
  readonly size: number;
  readonly access: SimAccessRules = { sizes: [4], other: 'split' };
  /** Interrupt line: CTRL.IRQ_ENABLE && CTRL.ENABLE && (RX_READY || TX_EMPTY). */
  readonly irq: SimIrqLine;
  /** Bytes dropped because DATA was written while the transmit FIFO was full. */
  txOverruns = 0;
  /** Received bytes dropped (FIFO full or UART disabled). */
  rxOverruns = 0;

  private ctrl = SIM_UART_CTRL_ENABLE;
  private baud = 1;
  private txFifo: number[] = [];
  private rxFifo: number[] = [];
  private shifting: { byte: number; done: number } | undefined;
  private readonly sent: SimUartByte[] = [];

  constructor(
    private readonly scheduler: SimScheduler,
    options: SimUartOptions = {},
  ) {
    super();
    toInstance(scheduler, 'scheduler', SimScheduler);
    options = toOptions<SimUartOptions>(options, 'options', ['name', 'size']);
    this.name = options.name === undefined ? 'uart' : toStr(options.name, 'options.name');
    this.size = options.size === undefined ? 0x1000 : toInt(options.size, 'options.size', 0x10, 2 ** 32);
    this.irq = new SimIrqLine(`${this.name}.irq`);
    this.update();
  }

  protected now(): number {
    return this.scheduler.now;
  }

  registerName(offset: number): string | undefined {
    simCheckAccess(offset, 1);
    return ({ 0x00: 'DATA', 0x04: 'STATUS', 0x08: 'CTRL', 0x0c: 'BAUD' } as Record<number, string>)[offset & ~3];
  }

  read(offset: number, _size: SimAccessSize): number {
    simCheckAccess(offset, _size);
    switch (offset) {
      case SIM_UART_DATA: {
        const byte = this.rxFifo.shift();
        this.update();
        return byte ?? 0;
      }
      case SIM_UART_STATUS:
        return this.status();
      case SIM_UART_CTRL:
        return this.ctrl;
      case SIM_UART_BAUD:
        return this.baud;
      default:
        this.guestError(`read of unknown register at offset ${simHex(offset, 2)}`);
        return 0;
    }
  }

  write(offset: number, value: number | bigint, _size: SimAccessSize): void {
    simCheckAccess(offset, _size, value, true);
    const v = Number(value) >>> 0;
    switch (offset) {
      case SIM_UART_DATA:
        if (this.txFifo.length >= FIFO_DEPTH) {
          this.txOverruns++;
          this.guestError(`DATA written while the transmit FIFO is full: byte ${simHex(v & 0xff, 2)} dropped`);
        } else {
          this.txFifo.push(v & 0xff);
          this.kick();
        }
        break;
      case SIM_UART_STATUS:
        this.guestError(`write of ${simHex(v)} to read-only STATUS ignored`);
        break;
      case SIM_UART_CTRL:
        this.ctrl = v & (SIM_UART_CTRL_ENABLE | SIM_UART_CTRL_IRQ_ENABLE);
        this.kick();
        break;
      case SIM_UART_BAUD:
        this.baud = v & 0xffff;
        this.kick();
        break;
      default:
        this.guestError(`write of ${simHex(v)} to unknown register at offset ${simHex(offset, 2)} ignored`);
    }
    this.update();
  }

  /** Test side: bytes arriving on the receive wire (a string is taken as Latin-1). */
  feed(data: string | Uint8Array | readonly number[]): void {
    const bytes = simFeedBytes(data, 'data');
    for (const b of bytes) {
      if (!(this.ctrl & SIM_UART_CTRL_ENABLE) || this.rxFifo.length >= FIFO_DEPTH) this.rxOverruns++;
      else this.rxFifo.push(b & 0xff);
    }
    this.update();
  }

  /** Test side: every byte transmitted so far, with the time it finished. */
  get transmitted(): readonly SimUartByte[] {
    return this.sent;
  }

  /** Test side: the transmitted bytes as a Latin-1 string. */
  get output(): string {
    return String.fromCharCode(...this.sent.map((s) => s.byte));
  }

  /** Test side: take (and forget) the transmitted bytes. */
  takeOutput(): string {
    const s = this.output;
    this.sent.length = 0;
    return s;
  }

  /** Bytes waiting in the transmit FIFO (not counting the one shifting out). */
  get txPending(): number {
    return this.txFifo.length;
  }

  /** Whether the transmitter is idle (FIFO empty and nothing shifting). */
  get txIdle(): boolean {
    return this.txFifo.length === 0 && this.shifting === undefined;
  }

  /** Time one byte takes to shift out at the current divisor, in ns (Infinity when stopped). */
  get byteTimeNs(): number {
    return this.baud === 0 ? Infinity : this.baud * SIM_UART_BYTE_NS;
  }

  private status(): number {
    return (this.rxFifo.length > 0 ? SIM_UART_RX_READY : 0) | (this.txFifo.length === 0 ? SIM_UART_TX_EMPTY : 0);
  }

  /** Start shifting out the next byte if the transmitter is idle and allowed to run. */
  private kick(): void {
    if (this.shifting !== undefined || this.txFifo.length === 0) return;
    if (!(this.ctrl & SIM_UART_CTRL_ENABLE) || this.baud === 0) return;
    const byte = this.txFifo.shift() as number;
    const done = this.scheduler.now + this.byteTimeNs;
    this.shifting = { byte, done };
    this.scheduler.at(
      done,
      () => {
        this.sent.push({ byte, time: done });
        this.shifting = undefined;
        this.kick();
        this.update();
      },
      `${this.name}: byte ${simHex(byte, 2)} sent`,
    );
    this.update();
  }

  /** Recompute the interrupt line. */
  private update(): void {
    const on = (this.ctrl & SIM_UART_CTRL_ENABLE) !== 0 && (this.ctrl & SIM_UART_CTRL_IRQ_ENABLE) !== 0 && this.status() !== 0;
    this.irq.set(on);
  }
}
