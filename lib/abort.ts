/**
 * Cancelling the asynchronous jobs: the AbortError they reject with, the options' signal checked
 * up front, and a native job's cancel token wired to the signal for as long as the job runs.
 */
import { codedError } from './errors';
import { binding } from './native';
import { toInstance } from './validate';

/** Options of the asynchronous forms that can be cancelled. */
export interface AsyncScanOptions {
  /** Aborting it rejects the promise with an AbortError (code 'ABORT_ERR', cause: the reason). */
  signal?: AbortSignal;
}

/** @internal The AbortError a cancelled job rejects with. */
export function abortError(signal: AbortSignal | undefined, what: string): Error {
  const err = codedError('ABORT_ERR', `${what} was aborted`);
  err.name = 'AbortError';
  if (signal !== undefined) (err as { cause?: unknown }).cause = signal.reason;
  return err;
}

/** @internal The options' signal, checked; throws at once if it is already aborted. */
export function toSignal(options: unknown, what: string): AbortSignal | undefined {
  const s = options !== null && typeof options === 'object' ? (options as { signal?: unknown }).signal : undefined;
  if (s === undefined) return undefined;
  const signal = toInstance(s, 'options.signal', AbortSignal);
  if (signal.aborted) throw abortError(signal, what);
  return signal;
}

/**
 * Runs a native job given a cancel token (cancelToken()), the signal wired to it: aborting cancels
 * the job at its next step, and a promise whose signal was aborted before it settled always
 * rejects with an AbortError naming `what`.
 * @internal
 */
export async function withCancelToken<T>(signal: AbortSignal | undefined, what: string, run: (token: object | null) => Promise<T>): Promise<T> {
  if (signal?.aborted) throw abortError(signal, what);
  if (signal === undefined) return run(null);
  const b = binding();
  const token = b.cancelToken();
  const onAbort = (): void => b.cancelJob(token);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const r = await run(token);
    if (signal.aborted) throw abortError(signal, what);
    return r;
  } catch (err) {
    if (signal.aborted) throw abortError(signal, what);
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
