/** Argument helpers shared by the simulated system calls (process.ts, mm.ts, fdtable.ts). */
import { codedError } from '../../errors';
import { simBytes } from '../../validate';

export function int(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw codedError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be an integer. Received ${typeof v === 'number' ? v : typeof v}`);
  }
  return v;
}

/** A buffer the call reads ('read') or fills ('write'). */
export function bytesArg(name: string, v: unknown, access: 'read' | 'write'): Uint8Array {
  return simBytes(v, name, access);
}

export const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;
