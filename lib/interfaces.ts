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

/** Options of {@link InterruptSource.waitInterrupt} and {@link InterruptSource.interrupts}. */
export interface WaitInterruptOptions {
  /** Gives up when this signal aborts: the promise rejects with the signal's reason (an AbortError). */
  signal?: AbortSignal;
  /** Gives up after this many milliseconds: rejects with ERR_MMAPKIT_TIMEOUT. Default: no limit. */
  timeout?: number;
  /** Re-enables (unmasks) the interrupt before waiting, as {@link InterruptSource.enableInterrupt}. Default false. */
  reenable?: boolean;
}

/**
 * A device's interrupt as a running count, the way Linux UIO reports it. Native: /dev/uioN (a
 * 4-byte read returns the count; writing 1 re-enables the interrupt). Simulated: a device's
 * simulated interrupt line with the same masking rules as uio_pci_generic.
 *
 * The count is the total number of interrupts the source has seen. Each wait returns the count at
 * that moment: a jump of more than one from the previous value means interrupts arrived that no
 * wait saw separately (missed interrupts show as gaps).
 */
export interface InterruptSource {
  /** The count the last read returned (0 before the first). */
  readonly count: number;
  /** Unmasks the interrupt (UIO: writes 1). uio_pci_generic masks it after each interrupt. */
  enableInterrupt(): void;
  /** Masks the interrupt (UIO: writes 0). */
  disableInterrupt(): void;
  /** The new count if an interrupt arrived since the last read, else undefined. Never waits. */
  takeInterrupt(): number | undefined;
  /** Resolves with the count once an interrupt arrives (at once if one arrived since the last read). */
  waitInterrupt(options?: WaitInterruptOptions): Promise<number>;
  /** Yields the count for each interrupt (or batch of interrupts) until the signal aborts. */
  interrupts(options?: WaitInterruptOptions): AsyncIterableIterator<number>;
}
