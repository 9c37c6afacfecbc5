// The check every mmapkit error must pass: its code is in the error table (or is an errno name,
// or a simulated signal) and it is of that code's one class.
import { MmapkitError, MmapkitSystemError, classOf } from '../../lib/errors';

const CLASSES = { TypeError, RangeError, MmapkitError, MmapkitSystemError } as const;

/** Why `err` is not what the table says its code is, or undefined when it is. */
export function auditProblem(err: unknown): string | undefined {
  if (!(err instanceof Error)) return `not an Error: ${String(err)}`;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return `no code: ${err.name}: ${err.message}`;
  const cls = classOf(code);
  if (cls === undefined) return `${code} is not in the error table (${err.message})`;
  if (cls === 'SimSignal') return err instanceof MmapkitError && err.name === 'SimSignal' ? undefined : `${code} is not a SimSignal`;
  const want = CLASSES[cls];
  // TypeError and RangeError exactly; MmapkitError and its subclasses (SimBusError …).
  const ok = cls === 'MmapkitError' ? err instanceof MmapkitError : Object.getPrototypeOf(err) === want.prototype;
  if (!ok) return `${code} is thrown as ${err.constructor.name}, the table says ${cls}`;
  if (typeof err.message !== 'string' || err.message === '') return `${code} has an empty message`;
  return undefined;
}
