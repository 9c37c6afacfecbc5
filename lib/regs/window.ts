/**
 * Register windows: a shared mapping of a device file (/dev/mem at a physical address,
 * /dev/gpiomem, /dev/uioN, a PCI BAR resource file) or of any file or memfd, exposing exactly the
 * requested byte range. Each access is one volatile load or store of its width in native code;
 * bounds, alignment, allowed widths, the read-only flag and the closed state are checked there
 * before any access.
 */
import * as fs from 'node:fs';
import type { AccessWidth, RegisterIO } from '../interfaces';
import { MmapkitSystemError, codedError, systemError } from '../errors';
import type { NativeWindow } from '../binding';
import { binding } from '../native';
import { refuseUnmappable } from '../filetype';
import { invalidType, toLength, toObject, toOffset, toOptions, toWidth } from '../validate';

/** Options of {@link openRegisterWindow}. */
export interface RegisterWindowOptions {
  /** The file to map. Default '/dev/mem'. */
  path?: string;
  /** Physical address for /dev/mem, byte offset into the file otherwise. Need not be page-aligned. */
  offset: number | bigint;
  /** Bytes in the window. */
  length: number;
  /** Map read-write. Default false: writes throw ERR_MMAPKIT_READ_ONLY. */
  writable?: boolean;
  /**
   * Access widths the device takes; other widths throw ERR_MMAPKIT_WIDTH before any access.
   * Default: all of 8, 16, 32 and 64.
   */
  widths?: readonly AccessWidth[];
}

const MAX_OFFSET = (1n << 63n) - 1n;
const WINDOW_KEYS = ['path', 'offset', 'length', 'writable', 'widths'];

function widthMask(widths: unknown): number {
  if (widths === undefined) return 15;
  if (!Array.isArray(widths)) {
    throw invalidType('options.widths', 'an array of 8, 16, 32 or 64', widths);
  }
  let mask = 0;
  for (const w of widths) {
    mask |= toWidth(w) / 8;
  }
  if (mask === 0) throw codedError('ERR_OUT_OF_RANGE', 'The "options.widths" property must name at least one access width');
  return mask;
}

const hex = (v: bigint | number): string => '0x' + v.toString(16);

/** Advice added to the mapping errors users meet; undefined when errors.ts already says it. */
function adviceFor(err: MmapkitSystemError, path: string, offset: bigint, length: number): string | undefined {
  const range = `[${hex(offset)}, ${hex(offset + BigInt(length))})`;
  if (err.code === 'ENOENT' && path === '/dev/mem') {
    return (
      'This system has no /dev/mem (a kernel without CONFIG_DEVMEM, or a container that does not pass it through). ' +
      'Map a narrower device file instead: /dev/gpiomem for Raspberry Pi GPIO, /sys/bus/pci/devices/<bdf>/resourceN ' +
      'for a PCI BAR (openPciBar), /dev/uioN for a UIO device (openUio).'
    );
  }
  if (err.syscall === 'mmap' && (err.code === 'EINVAL' || err.code === 'EOVERFLOW' || err.code === 'ENXIO')) {
    return path === '/dev/mem'
      ? `The physical range ${range} cannot be mapped through /dev/mem: it lies beyond the physical addresses this CPU ` +
          'and kernel can map, or the kernel refuses that kind of memory there.'
      : `The range ${range} of '${path}' cannot be mapped: the file or device does not support mmap of that range ` +
          '(for a PCI resource file: it is past the end of the BAR, or the BAR is an I/O-port BAR).';
  }
  if (err.syscall === 'mmap' && err.code === 'ENODEV') return `'${path}' does not support mmap.`;
  return undefined;
}

/** The same system error with `advice` as its second line (replacing any earlier hint). */
export function withAdvice(err: MmapkitSystemError, advice: string): MmapkitSystemError {
  const first = err.message.split('\n')[0];
  const m = /^[A-Z0-9_]+: (.*), [a-z0-9_]+(?: '.*')?$/.exec(first);
  return systemError(err.errno, err.syscall, err.path, m ? m[1] : undefined, advice);
}

/**
 * A window of device registers (or of any file) mapped into this process. Implements
 * {@link RegisterIO}; every accessor is exactly one load or store of its width.
 */
export class RegisterWindow implements RegisterIO, Disposable {
  /** The mapped file. */
  readonly path: string;
  /** Physical address (/dev/mem) or file offset of the window's first byte. */
  readonly offset: bigint;
  /** Bytes in the window. */
  readonly size: number;
  readonly writable: boolean;
  /** Access widths the window accepts. */
  readonly widths: readonly AccessWidth[];
  readonly #h: NativeWindow;
  #closed = false;

  /** @internal Use {@link openRegisterWindow}. */
  constructor(path: string, offset: bigint, size: number, writable: boolean, widths: readonly AccessWidth[], handle: NativeWindow) {
    this.path = path;
    this.offset = offset;
    this.size = size;
    this.writable = writable;
    this.widths = widths;
    this.#h = handle;
  }

  /** Whether {@link close} has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  read8(offset: number): number {
    return this.#h.read8(offset);
  }
  read16(offset: number): number {
    return this.#h.read16(offset);
  }
  read32(offset: number): number {
    return this.#h.read32(offset);
  }
  read64(offset: number): bigint {
    return this.#h.read64(offset);
  }
  write8(offset: number, value: number): void {
    this.#h.write8(offset, value);
  }
  write16(offset: number, value: number): void {
    this.#h.write16(offset, value);
  }
  write32(offset: number, value: number): void {
    this.#h.write32(offset, value);
  }
  write64(offset: number, value: bigint): void {
    this.#h.write64(offset, value);
  }

  /** `count` consecutive registers of `width` bits from `offset`, one volatile load each. */
  readBlock(offset: number, count: number, width: 8): Uint8Array;
  readBlock(offset: number, count: number, width: 16): Uint16Array;
  readBlock(offset: number, count: number, width?: 32): Uint32Array;
  readBlock(offset: number, count: number, width: 64): BigUint64Array;
  readBlock(offset: number, count: number, width?: AccessWidth): Uint8Array | Uint16Array | Uint32Array | BigUint64Array;
  readBlock(offset: number, count: number, width: AccessWidth = 32): Uint8Array | Uint16Array | Uint32Array | BigUint64Array {
    return this.#h.readBlock(offset, count, toWidth(width));
  }

  /** Unmaps the window. Idempotent; later accesses throw ERR_MMAPKIT_CLOSED. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#h.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    return `RegisterWindow(${this.path} @ ${hex(this.offset)}, ${this.size} bytes${this.writable ? ', writable' : ''}${this.#closed ? ', closed' : ''})`;
  }
}

/**
 * Maps `length` bytes of `path` (default /dev/mem) at `offset` (a physical address for /dev/mem)
 * and returns a {@link RegisterWindow} over exactly that range. Page alignment is handled inside.
 */
export function openRegisterWindow(options: RegisterWindowOptions): RegisterWindow {
  toObject(options, 'options');
  toOptions<RegisterWindowOptions>(options, 'options', WINDOW_KEYS);
  const path = options.path ?? '/dev/mem';
  if (typeof path !== 'string' || path === '') {
    throw invalidType('options.path', 'a non-empty string', path);
  }
  const offset = toOffset(options.offset, 'options.offset');
  const length = toLength(options.length, 'options.length');
  const writable = options.writable ?? false;
  if (typeof writable !== 'boolean') {
    throw invalidType('options.writable', 'of type boolean', writable);
  }
  const mask = widthMask(options.widths);
  const widths = ([8, 16, 32, 64] as const).filter((w) => (mask & (w / 8)) !== 0);
  if (offset + BigInt(length) - 1n > MAX_OFFSET) {
    throw codedError('ERR_OUT_OF_RANGE', `The window ${hex(offset)} + ${length} bytes reaches past the largest file offset (2^63 - 1)`);
  }
  // Regular files (including sysfs PCI resource files, whose size is the BAR's): refuse a window
  // past the end, which would raise SIGBUS on access instead of failing here.
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(path);
  } catch {
    st = undefined; // the native open reports the error with its errno
  }
  // A FIFO, socket or directory can never be mapped (the native open also checks, with O_NONBLOCK
  // and fstat, in case the path changes in between).
  if (st !== undefined) refuseUnmappable('openRegisterWindow()', path, st.mode);
  if (st?.isFile() && offset + BigInt(length) > BigInt(st.size)) {
    throw codedError('ERR_OUT_OF_RANGE', `The window [${hex(offset)}, ${hex(offset + BigInt(length))}) reaches past the end of '${path}' (${st.size} bytes)`);
  }
  let handle: NativeWindow;
  try {
    handle = binding().regsOpen(path, offset, length, writable, mask);
  } catch (err) {
    if (err instanceof MmapkitSystemError) {
      const advice = adviceFor(err, path, offset, length);
      if (advice !== undefined) {
        throw withAdvice(err, advice);
      }
    }
    throw err;
  }
  return new RegisterWindow(path, offset, length, writable, widths, handle);
}
