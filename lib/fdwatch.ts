/**
 * Watch a file descriptor for readability on Node's own event loop (libuv's uv_poll): the
 * callback runs on the main thread each time the descriptor has data, with no polling loop and no
 * thread. Used for GPIO edge events and line-info changes; works for any pollable descriptor
 * (eventfd, UIO, pipes, sockets).
 *
 *   const w = watchFd(fd, (status) => { if (status === 0) drain(fd); });
 *   w.unref();   // do not keep the process alive for it
 *   w.close();   // before closing fd
 */
import { usageError } from './errors';
import { binding } from './native';
import { invalidType, toFunction } from './validate';

/** A running watcher. close() is idempotent; the descriptor itself is never closed by it. */
export interface FdWatcher {
  /** True until close(). */
  readonly active: boolean;
  close(): void;
  /** Keep the process alive while the watcher is active (the default). */
  ref(): void;
  /** Let the process exit even though the watcher is active. */
  unref(): void;
}

/**
 * Calls `callback(status)` each time `fd` is readable: status 0, or a negative libuv error code
 * when polling failed (the descriptor was closed under the watcher, for instance). Level
 * triggered: read what is pending in the callback, or it runs again.
 */
export function watchFd(fd: number, callback: (status: number) => void): FdWatcher {
  if (typeof fd !== 'number') throw invalidType('fd', 'of type number', fd);
  if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
    throw usageError('ERR_OUT_OF_RANGE', `The value of "fd" is out of range. It must be a file descriptor (0 to 2147483647). Received ${fd}`);
  }
  toFunction(callback, 'callback');
  const w = new (binding().FdWatcher)(fd, callback) as FdWatcher;
  return w;
}
