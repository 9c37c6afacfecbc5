/**
 * The interfaces that hold mmapkit together: one interface, two backends. Code written against
 * these — a UART driver, the edu driver, the GPIO probe, the CSV scan — runs unchanged on the
 * native backend (real mappings, real device registers) and on the simulator in lib/sim/.
 */

/** Access widths in bits. 64-bit values travel as BigInt. */
export type AccessWidth = 8 | 16 | 32 | 64;

/**
 * A window of device registers, addressed by byte offset from the window's start.
 * Native: an MMIO mapping of /dev/mem, /dev/gpiomem, a UIO map or a PCI BAR file; each access is
 * one volatile load or store of exactly that width. Simulated: a device (or a bus range) in
 * lib/sim/. Offsets must be aligned to the width and inside the window, or a RangeError with a
 * stable code is thrown before any access is made.
 */
export interface RegisterIO {
  /** Size of the window in bytes. */
  readonly size: number;
  /** Whether writes are allowed; a write to a read-only window throws ERR_MMAPKIT_READ_ONLY. */
  readonly writable: boolean;
  read8(offset: number): number;
  read16(offset: number): number;
  read32(offset: number): number;
  read64(offset: number): bigint;
  write8(offset: number, value: number): void;
  write16(offset: number, value: number): void;
  write32(offset: number, value: number): void;
  write64(offset: number, value: bigint): void;
}

/**
 * Memory barriers, by the names of the native barrier functions. Native: real fence instructions
 * (x86-64 mfence / sfence / lfence; AArch64 dmb ish / ishst / ishld). Simulated: they drain the
 * simulated CPU's store buffer.
 */
export interface Barriers {
  /** Stops the compiler (and the JIT) from moving memory accesses across this point. */
  compiler(): void;
  /** Full barrier: every earlier load and store is visible before any later one. */
  full(): void;
  /** Store barrier: earlier stores are visible before later stores (the doorbell barrier). */
  store(): void;
  /** Load barrier: earlier loads complete before later loads. */
  load(): void;
}

/** An x86-style I/O port space: in / out of 8, 16 and 32 bits. */
export interface PortIO {
  inb(port: number): number;
  inw(port: number): number;
  inl(port: number): number;
  outb(port: number, value: number): void;
  outw(port: number, value: number): void;
  outl(port: number, value: number): void;
}

/**
 * Byte-addressed memory: a native mapping, or a mapping in a simulated process. Little-endian.
 * Offsets are relative to the start of the mapping.
 */
export interface MemoryView {
  /** Length in bytes. */
  readonly length: number;
  load8(offset: number): number;
  load16(offset: number): number;
  load32(offset: number): number;
  load64(offset: number): bigint;
  store8(offset: number, value: number): void;
  store16(offset: number, value: number): void;
  store32(offset: number, value: number): void;
  store64(offset: number, value: bigint): void;
}
