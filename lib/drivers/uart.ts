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
import { codedError } from '../errors';
import type { RegisterIO } from '../interfaces';
import { checkLoop, detachedError, isDetached } from '../views';
import { invalidType, invalidValue, outOfRange, REGISTER_IO_METHODS, toObjectWith, toOptions } from '../validate';

export const UART_DATA = 0x00;
export const UART_STATUS = 0x04;
export const UART_RX_READY = 1 << 0;
export const UART_TX_EMPTY = 1 << 5;

/** STATUS reads per byte before {@link uartPutc} gives up, unless `maxPolls` says otherwise. */
export const UART_DEFAULT_MAX_POLLS = 1_000_000;
/** The largest `maxPolls` accepted (about 10 s of polling a native window). */
export const UART_MAX_POLLS_LIMIT = 10_000_000;

export interface UartPollOptions {
  /**
   * Give up after this many STATUS reads per byte: an integer from 1 to
   * {@link UART_MAX_POLLS_LIMIT} (10 000 000). Default {@link UART_DEFAULT_MAX_POLLS} (1 000 000).
   */
  maxPolls?: number;
}

function toRegs(regs: unknown): RegisterIO {
  return toObjectWith<RegisterIO>(regs, 'regs', REGISTER_IO_METHODS, 'a RegisterIO');
}

function maxPollsOf(options: unknown): number {
  const o = toOptions<UartPollOptions>(options, 'options', ['maxPolls']);
  const max = o.maxPolls ?? UART_DEFAULT_MAX_POLLS;
  if (typeof max !== 'number') throw invalidType('options.maxPolls', 'of type number', max);
  if (!Number.isInteger(max) || max < 1 || max > UART_MAX_POLLS_LIMIT) {
    throw outOfRange('options.maxPolls', `an integer >= 1 and <= ${UART_MAX_POLLS_LIMIT}`, max);
  }
  return max;
}

function toByte(c: unknown): number {
  if (typeof c === 'string') {
    if (c.length === 0) throw invalidValue('c', 'a non-empty string or a byte', c);
    return c.charCodeAt(0) & 0xff;
  }
  if (typeof c !== 'number') throw invalidType('c', 'of type number or string', c);
  if (!Number.isInteger(c)) {
    throw outOfRange('c', 'an integer (its low 8 bits are sent)', c);
  }
  return c & 0xff;
}

function putc(regs: RegisterIO, byte: number, max: number): number {
  let polls = 0;
  while ((regs.read32(UART_STATUS) & UART_TX_EMPTY) === 0) {
    polls++;
    if (polls >= max) {
      throw codedError('ERR_MMAPKIT_TIMEOUT', `UART transmitter still busy after ${polls} STATUS reads`);
    }
  }
  regs.write32(UART_DATA, byte);
  return polls + 1;
}

/**
 * Send one byte (a number's low 8 bits, or a string's first character): spin until STATUS[5]
 * (tx empty) is set, then write it to DATA. Returns the number of STATUS reads it took. Throws an
 * MmapkitError with code ERR_MMAPKIT_TIMEOUT after `maxPolls` reads (default 1 000 000).
 */
export function uartPutc(regs: RegisterIO, c: number | string, options: UartPollOptions = {}): number {
  const io = toRegs(regs);
  const byte = toByte(c);
  return putc(io, byte, maxPollsOf(options));
}

/**
 * Send a string (Latin-1) or bytes (a Uint8Array, Buffer included) with uartPutc; returns the
 * total number of STATUS reads.
 */
export function uartWrite(regs: RegisterIO, data: string | Uint8Array, options: UartPollOptions = {}): number {
  const io = toRegs(regs);
  const max = maxPollsOf(options);
  let bytes: ArrayLike<number>;
  if (typeof data === 'string') {
    bytes = Array.from(data, (ch) => ch.charCodeAt(0));
  } else if (data instanceof Uint8Array) {
    if (data.byteLength === 0 && isDetached(data.buffer)) throw detachedError(data.buffer, 'data');
    // The bytes are read in a JavaScript loop: a mapping's bytes are checked first (and a
    // file-backed one probed) so that a protected or truncated page is an error, not a signal.
    const probe = checkLoop(data.buffer, data.byteOffset, data.byteLength, 'read', 'uartWrite()');
    probe?.(0, data.byteLength);
    bytes = Uint8Array.from(data);
  } else {
    throw invalidType('data', 'of type string or an instance of Uint8Array', data);
  }
  let polls = 0;
  for (let i = 0; i < bytes.length; i++) polls += putc(io, bytes[i] & 0xff, max);
  return polls;
}

/** Receive one byte if STATUS[0] (rx ready) is set, else undefined. */
export function uartGetc(regs: RegisterIO): number | undefined {
  const io = toRegs(regs);
  if ((io.read32(UART_STATUS) & UART_RX_READY) === 0) return undefined;
  return io.read32(UART_DATA) & 0xff;
}
