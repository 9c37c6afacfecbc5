/**
 * The seed's `uart_putc`, written once against RegisterIO: it runs on a native register window
 * (a /dev/mem mapping of a real UART of this layout) and on the simulated UART unchanged.
 *
 *   offset 0x00 DATA   write transmits a byte; read receives one
 *   offset 0x04 STATUS bit 0 = rx ready, bit 5 = tx empty
 *
 * Every poll is a real register read (the window's read32 goes to the device each time, which is
 * what `volatile` buys in C).
 */
import { usageError } from '../errors';
import type { RegisterIO } from '../interfaces';

export const UART_DATA = 0x00;
export const UART_STATUS = 0x04;
export const UART_RX_READY = 1 << 0;
export const UART_TX_EMPTY = 1 << 5;

export interface UartPollOptions {
  /** Give up after this many STATUS reads per byte (default: poll forever, as the seed does). */
  maxPolls?: number;
}

/**
 * Send one byte: spin until STATUS[5] (tx empty) is set, then write it to DATA. Returns the number
 * of STATUS reads it took. Throws an MmapkitError with code ERR_MMAPKIT_TIMEOUT after `maxPolls` reads.
 */
export function uartPutc(regs: RegisterIO, c: number | string, options: UartPollOptions = {}): number {
  const byte = typeof c === 'string' ? c.charCodeAt(0) & 0xff : c & 0xff;
  const max = options.maxPolls ?? Infinity;
  let polls = 0;
  while ((regs.read32(UART_STATUS) & UART_TX_EMPTY) === 0) {
    polls++;
    if (polls >= max) {
      throw usageError('ERR_MMAPKIT_TIMEOUT', `UART transmitter still busy after ${polls} STATUS reads`);
    }
  }
  regs.write32(UART_DATA, byte);
  return polls + 1;
}

/** Send a string (Latin-1) or bytes with uartPutc; returns the total number of STATUS reads. */
export function uartWrite(regs: RegisterIO, data: string | Uint8Array, options: UartPollOptions = {}): number {
  let polls = 0;
  const bytes = typeof data === 'string' ? Array.from(data, (ch) => ch.charCodeAt(0)) : Array.from(data);
  for (const b of bytes) polls += uartPutc(regs, b, options);
  return polls;
}

/** Receive one byte if STATUS[0] (rx ready) is set, else undefined. */
export function uartGetc(regs: RegisterIO): number | undefined {
  if ((regs.read32(UART_STATUS) & UART_RX_READY) === 0) return undefined;
  return regs.read32(UART_DATA) & 0xff;
}
