/**
 * Signals a real kernel would deliver to a process that touched memory it may not touch. The
 * simulator raises them as exceptions: the process stays as it was, as if a handler had caught the
 * signal and jumped out.
 */

import { MmapkitError } from '../../errors';
import { invalidType, toChoice } from '../../validate';

/** The signal codes the simulator raises. */
export type SimSignalCode = 'SIGSEGV' | 'SIGBUS' | 'SIGKILL';

/** si_code values, by name: why the signal was raised. */
export type SimSignalReason =
  | 'SEGV_MAPERR' // no mapping at the address
  | 'SEGV_ACCERR' // a mapping, but its protection forbids the access
  | 'BUS_ADRERR' // a file page wholly past end-of-file, or no huge page available
  | 'OOM'; // out of memory: no frame could be freed

const SIGNO: Record<SimSignalCode, number> = { SIGSEGV: 11, SIGBUS: 7, SIGKILL: 9 };

/**
 * A fault that would kill a real process. `code` is the signal name ('SIGSEGV', 'SIGBUS',
 * 'SIGKILL' for the out-of-memory killer), `address` the faulting virtual address, `reason` the
 * si_code, `access` whether a load or a store faulted, and `pid` the simulated process.
 */
export class SimSignal extends MmapkitError {
  declare readonly code: SimSignalCode;
  readonly signo: number;
  readonly address: number;
  readonly reason: SimSignalReason;
  readonly access: 'read' | 'write';
  readonly pid: number;
  constructor(code: SimSignalCode, reason: SimSignalReason, address: number, access: 'read' | 'write', pid: number) {
    toChoice(code, 'code', ['SIGSEGV', 'SIGBUS', 'SIGKILL']);
    toChoice(reason, 'reason', ['SEGV_MAPERR', 'SEGV_ACCERR', 'BUS_ADRERR', 'OOM']);
    if (typeof address !== 'number') throw invalidType('address', 'of type number', address);
    toChoice(access, 'access', ['read', 'write']);
    if (typeof pid !== 'number') throw invalidType('pid', 'of type number', pid);
    const where = `0x${address.toString(16)}`;
    const what = {
      SEGV_MAPERR: 'no mapping at the address',
      SEGV_ACCERR: 'the mapping does not allow this access',
      BUS_ADRERR: 'the page lies wholly past end-of-file',
      OOM: 'out of memory: no frame could be reclaimed',
    }[reason];
    super(code, `${code} (${reason}) on ${access} at ${where} in pid ${pid}: ${what}`);
    this.name = 'SimSignal';
    this.code = code;
    this.signo = SIGNO[code];
    this.address = address;
    this.reason = reason;
    this.access = access;
    this.pid = pid;
  }
}
