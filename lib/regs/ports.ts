/**
 * Port I/O: the x86 I/O port space through /dev/port (pread/pwrite at offset = port) or, on x86,
 * through ioperm()/iopl() and the in/out instructions.
 */
import * as fs from 'node:fs';
import type { PortIO } from '../interfaces';
import { MmapkitSystemError, codedError } from '../errors';
import { binding, type Binding } from '../native';
import { withAdvice } from './window';
import { invalidValue, toBool, toObject, toOptions, toPort, toRegisterValue } from '../validate';

/** Options of {@link openPorts}. */
export interface PortOptions {
  /**
   * 'devport' (default): pread/pwrite on /dev/port; the kernel does byte-wide in/out, so a 16- or
   * 32-bit access becomes 2 or 4 byte accesses at consecutive ports. 'ioperm': the in/out
   * instruction of the access's width, after ioperm() (ports below 0x400) or iopl(3); x86 only.
   */
  method?: 'devport' | 'ioperm';
  /** Open /dev/port read-write (default true; 'devport' only). */
  writable?: boolean;
}

const PORT_ADVICE =
  'Port I/O needs root: /dev/port needs CAP_SYS_RAWIO to open, and ioperm()/iopl() need CAP_SYS_RAWIO ' +
  "(method 'ioperm'). In a container, /dev/port is usually not passed through.";

/** An open port space; implements {@link PortIO}. */
export class Ports implements PortIO, Disposable {
  readonly method: 'devport' | 'ioperm';
  readonly #b: Binding;
  #fd: number;
  #closed = false;

  /** @internal Use {@link openPorts}. */
  constructor(method: 'devport' | 'ioperm', fd: number, b: Binding) {
    this.method = method;
    this.#fd = fd;
    this.#b = b;
  }

  get closed(): boolean {
    return this.#closed;
  }

  #check(port: unknown, bytes: number, value?: unknown): void {
    if (this.#closed) throw codedError('ERR_MMAPKIT_CLOSED', 'The port space is closed');
    toPort(port, bytes);
    if (arguments.length > 2) toRegisterValue(value, (bytes * 8) as 8 | 16 | 32);
  }

  #grant(port: number, bytes: number): void {
    try {
      this.#b.portGrant(port, bytes);
    } catch (err) {
      if (err instanceof MmapkitSystemError && (err.code === 'EPERM' || err.code === 'EACCES')) throw withAdvice(err, PORT_ADVICE);
      throw err;
    }
  }

  #in(port: number, bytes: number): number {
    this.#check(port, bytes);
    if (this.method === 'devport') return this.#b.portRead(this.#fd, port, bytes);
    this.#grant(port, bytes);
    return this.#b.portIn(port, bytes);
  }

  #out(port: number, bytes: number, value: number): void {
    this.#check(port, bytes, value);
    const v = value < 0 ? value + 2 ** (bytes * 8) : value;
    if (this.method === 'devport') {
      this.#b.portWrite(this.#fd, port, bytes, v);
      return;
    }
    this.#grant(port, bytes);
    this.#b.portOut(port, bytes, v);
  }

  inb(port: number): number {
    return this.#in(port, 1);
  }
  inw(port: number): number {
    return this.#in(port, 2);
  }
  inl(port: number): number {
    return this.#in(port, 4);
  }
  outb(port: number, value: number): void {
    this.#out(port, 1, value);
  }
  outw(port: number, value: number): void {
    this.#out(port, 2, value);
  }
  outl(port: number, value: number): void {
    this.#out(port, 4, value);
  }

  /** Closes /dev/port. Idempotent; later accesses throw ERR_MMAPKIT_CLOSED. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#fd >= 0) this.#b.portClose(this.#fd);
    this.#fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Opens the I/O port space (root only). */
export function openPorts(options: PortOptions = {}): Ports {
  toObject(options, 'options');
  toOptions<PortOptions>(options, 'options', ['method', 'writable']);
  const method = options.method ?? 'devport';
  if (method !== 'devport' && method !== 'ioperm') {
    throw invalidValue('options.method', "'devport' or 'ioperm'", method);
  }
  const writable = options.writable === undefined ? true : toBool(options.writable, 'options.writable');
  const b = binding();
  if (method === 'ioperm') {
    if (!b.portHasInstructions) {
      throw codedError(
        'ERR_MMAPKIT_UNSUPPORTED',
        `Port I/O instructions exist only on x86; this is ${process.arch}. Use method 'devport' where /dev/port exists.`,
      );
    }
    const ports = new Ports('ioperm', -1, b);
    // Ask for port 0x80 (the POST diagnostic port) now, so a missing privilege shows up here.
    try {
      b.portGrant(0x80, 1);
    } catch (err) {
      if (err instanceof MmapkitSystemError && (err.code === 'EPERM' || err.code === 'EACCES')) throw withAdvice(err, PORT_ADVICE);
      throw err;
    }
    return ports;
  }
  let fd: number;
  try {
    fd = b.portOpen(writable);
  } catch (err) {
    if (err instanceof MmapkitSystemError && (err.code === 'EPERM' || err.code === 'EACCES')) throw withAdvice(err, PORT_ADVICE);
    if (err instanceof MmapkitSystemError && err.code === 'ENOENT') {
      throw withAdvice(
        err,
        fs.existsSync('/dev')
          ? "This system has no /dev/port (a kernel without CONFIG_DEVPORT, a container, or not x86). On x86 try method 'ioperm'."
          : 'There is no /dev on this system.',
      );
    }
    throw err;
  }
  return new Ports('devport', fd, b);
}
