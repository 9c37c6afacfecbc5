/** The shape of a simulated device (no imports: the argument checks in lib/validate.ts read it too). */
/** Access sizes in bytes. */
export type SimAccessSize = 1 | 2 | 4 | 8;

/** Which accesses a device accepts. */
export interface SimAccessRules {
  /** Sizes the device's callbacks handle. */
  readonly sizes: readonly SimAccessSize[];
  /**
   * What an access of another size does. 'split': a wider access becomes several accesses of the
   * widest valid size (lowest address first), a narrower read reads the enclosing valid-size
   * register and keeps its lanes; a narrower write is still refused (widening it would clobber the
   * neighbouring bytes). 'refuse': a bus error.
   */
  readonly other: 'split' | 'refuse';
  /** Whether accesses not aligned to their size are allowed (default false: bus error). */
  readonly unaligned?: boolean;
}

/** A device on the bus (or behind a port range). */
export interface SimDevice {
  /** Short name used in traces and errors ('uart', 'edu' …). */
  readonly name: string;
  /** Size of the register region in bytes. */
  readonly size: number;
  readonly access: SimAccessRules;
  /** A number for sizes 1, 2 and 4; a bigint for size 8. */
  read(offset: number, size: SimAccessSize): number | bigint;
  /** `value` is a number for sizes 1, 2 and 4 and a bigint for size 8. */
  write(offset: number, value: number | bigint, size: SimAccessSize): void;
  /** Optional: the name of the register at `offset`, for traces. */
  registerName?(offset: number): string | undefined;
}
