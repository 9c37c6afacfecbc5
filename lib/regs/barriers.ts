/**
 * Memory barriers as native functions: x86-64 mfence / sfence / lfence, AArch64 dmb ish / ishst /
 * ishld (and dsb sy / dsb st). Each is also a compiler barrier, and a call into native code is one
 * for the JavaScript JIT.
 */
import type { Barriers } from '../interfaces';
import { binding, type Binding } from '../native';

let b: Binding | undefined;
const native = (): Binding => (b ??= binding());

/** Stops the compiler from moving memory accesses across this point (no instruction). */
export function compilerBarrier(): void {
  native().barrierCompiler();
}
/** Full barrier: x86-64 mfence, AArch64 dmb ish. */
export function fullBarrier(): void {
  native().barrierFull();
}
/** Store barrier, the one before a doorbell write: x86-64 sfence, AArch64 dmb ishst. */
export function storeBarrier(): void {
  native().barrierStore();
}
/** Load barrier: x86-64 lfence, AArch64 dmb ishld. */
export function loadBarrier(): void {
  native().barrierLoad();
}
/** Data synchronization barrier, full system: AArch64 dsb sy, x86-64 mfence. */
export function dsbSy(): void {
  native().barrierDsbSy();
}
/** Data synchronization barrier for stores: AArch64 dsb st, x86-64 sfence. */
export function dsbSt(): void {
  native().barrierDsbSt();
}

/** The native barriers as a {@link Barriers} object, plus the dsb variants. */
export interface NativeBarriers extends Barriers {
  dsbSy(): void;
  dsbSt(): void;
  /** Which instructions they compile to: 'x86-64', 'aarch64', 'armv7' or 'generic' (compiler fences). */
  readonly arch: string;
}

export const barriers: NativeBarriers = {
  compiler: compilerBarrier,
  full: fullBarrier,
  store: storeBarrier,
  load: loadBarrier,
  dsbSy,
  dsbSt,
  get arch(): string {
    return native().barrierArch;
  },
};
