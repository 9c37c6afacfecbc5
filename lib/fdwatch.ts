/**
 * Watching a file descriptor for readability on the event loop, without a thread: the callback
 * runs on the calling thread each time the descriptor has something to read (a UIO interrupt, a
 * GPIO edge event, a pipe's data). Built on libuv's poll handle (epoll on Linux).
 *
 * Readiness is level-triggered: while the descriptor stays readable the callback keeps being
 * called, so each call should read what is there (until EAGAIN) or pause the watcher.
 */
import type { NativeFdWatcher } from './binding';
import * as fs from 'node:fs';
import { hasCode, codedError } from './errors';
import { binding } from './native';
import { toBool, toFunction, toInt, toOptions } from './validate';

/** Options of {@link watchReadable}. */
export interface WatchReadableOptions {
  /** Whether the watcher keeps the event loop (the process) alive while it polls. Default true. */
  ref?: boolean;
  /** Start polling at once (default true); false creates a paused watcher, see {@link FdWatcher.resume}. */
  start?: boolean;
  /**
   * Receives what the callback throws (the watcher keeps polling). Without it such an error is
   * emitted as a process warning; it never ends the process.
   */
  onCallbackError?: (error: unknown) => void;
}

/** A watcher made by {@link watchReadable}. */
export interface FdWatcher extends Disposable {
  /** The descriptor given to {@link watchReadable}. */
  readonly fd: number;
  /** Whether {@link FdWatcher.close} was called (or polling failed). */
  readonly closed: boolean;
  /** Whether it is polling now (open and not paused). */
  readonly active: boolean;
  /** Stops calling back until {@link FdWatcher.resume}; the descriptor stays watched. No-op when closed. */
  pause(): this;
  /** Polls again after {@link FdWatcher.pause}. Throws ERR_MMAPKIT_CLOSED once closed. */
  resume(): this;
  /** Lets the process exit while this watcher polls (like a timer's unref). */
  unref(): this;
  /** Keeps the process alive while this watcher polls (the default). */
  ref(): this;
  /** Whether it keeps the process alive while polling. */
  hasRef(): boolean;
  /** Stops watching and closes the watcher's own duplicate of the descriptor. Closing twice is harmless. */
  close(): void;
}

type NativeWatcher = NativeFdWatcher;

class Watcher implements FdWatcher {
  readonly fd: number;
  #native: NativeWatcher | undefined;
  #active = false;
  #ref: boolean;

  constructor(fd: number, native: NativeWatcher, ref: boolean) {
    this.fd = fd;
    this.#native = native;
    this.#ref = ref;
    native.setRef(ref);
  }

  get closed(): boolean {
    return this.#native === undefined;
  }
  get active(): boolean {
    return this.#active;
  }

  pause(): this {
    if (this.#native && this.#active) {
      this.#native.stop();
      this.#active = false;
    }
    return this;
  }

  resume(): this {
    if (!this.#native) throw codedError('ERR_MMAPKIT_CLOSED', `The watcher of fd ${this.fd} is closed`);
    if (!this.#active) {
      this.#native.start();
      this.#active = true;
    }
    return this;
  }

  unref(): this {
    this.#ref = false;
    this.#native?.setRef(false);
    return this;
  }

  ref(): this {
    this.#ref = true;
    this.#native?.setRef(true);
    return this;
  }

  hasRef(): boolean {
    return this.#native !== undefined && this.#ref;
  }

  close(): void {
    const n = this.#native;
    if (!n) return;
    this.#native = undefined;
    this.#active = false;
    n.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal Polling failed: libuv has stopped the handle. */
  failed(): void {
    this.close();
  }
}

/** What kind of file fd is, for messages: 'a regular file', 'a directory' … */
function kindOf(fd: number): string {
  try {
    const st = fs.fstatSync(fd);
    if (st.isFile()) return 'a regular file';
    if (st.isDirectory()) return 'a directory';
    if (st.isBlockDevice()) return 'a block device';
  } catch {
    /* fall through */
  }
  return 'a file that epoll cannot watch';
}

/**
 * Calls `onReadable()` on this thread each time `fd` is readable; `onReadable(error)` once if
 * polling fails (the watcher is then closed). Works on anything epoll accepts: pipes, FIFOs,
 * sockets, eventfds, character devices such as /dev/uioN and GPIO line requests; a regular file
 * is always readable and is refused (ERR_MMAPKIT_NOT_POLLABLE).
 *
 * The watcher polls its own duplicate of `fd`: closing `fd` first is safe, and the open file
 * stays open until the watcher is closed too. libuv sets O_NONBLOCK on the open file.
 *
 * @example
 * const w = watchReadable(fd, () => { const n = fs.readSync(fd, buf); ... });
 * // later
 * w.close();
 */
export function watchReadable(fd: number, onReadable: (error?: Error) => void, options?: WatchReadableOptions): FdWatcher {
  toInt(fd, 'fd', 0, 0x7fffffff);
  const callback = toFunction<(error?: Error) => void>(onReadable, 'onReadable');
  const opts = toOptions<WatchReadableOptions>(options, 'options', ['ref', 'start', 'onCallbackError']);
  const ref = opts.ref === undefined ? true : toBool(opts.ref, 'options.ref');
  const start = opts.start === undefined ? true : toBool(opts.start, 'options.start');
  const onCallbackError = opts.onCallbackError === undefined ? undefined : toFunction<(e: unknown) => void>(opts.onCallbackError, 'options.onCallbackError');
  const b = binding();
  // libuv is Node's: Bun and Deno load the addon but have no libuv loop to poll on.
  const versions = process.versions as Record<string, string | undefined>;
  const runtime = versions.bun !== undefined ? 'Bun' : versions.deno !== undefined ? 'Deno' : undefined;
  if (runtime) throw codedError('ERR_MMAPKIT_UNSUPPORTED', `watchReadable() needs Node's libuv event loop, which ${runtime} does not have`);
  // eslint-disable-next-line prefer-const -- assigned once below; the closures above read it
  let watcher: Watcher | undefined;
  const report = (err: unknown): void => {
    try {
      if (onCallbackError) onCallbackError(err);
      else
        process.emitWarning(
          `the watchReadable callback of fd ${fd} threw: ${err instanceof Error ? err.stack : String(err)}`,
          'MmapkitWarning',
          'MMAPKIT_WATCH_CALLBACK',
        );
    } catch {
      /* a throwing error handler is not allowed to end the process either */
    }
  };
  // Called by the addon on this thread: status 0 = readable, < 0 = -errno of a polling failure.
  const trampoline = (status: number): void => {
    let error: Error | undefined;
    if (status < 0) {
      watcher?.failed();
      error = codedError(
        'ERR_MMAPKIT_DEVICE',
        `Polling fd ${fd} failed (${-status === 9 ? 'EBADF: the device reported an error or went away' : `errno ${-status}`}); the watcher is closed`,
      );
    }
    try {
      if (error) callback(error);
      else callback();
    } catch (err) {
      report(err);
    }
  };
  let native: NativeWatcher;
  try {
    native = new b.FdWatcher(fd, trampoline);
  } catch (err) {
    if (hasCode(err) && err.code === 'EPERM') {
      throw codedError(
        'ERR_MMAPKIT_NOT_POLLABLE',
        `fd ${fd} cannot be watched: it is ${kindOf(fd)}, which epoll refuses (a regular file is always readable: just read it)`,
      );
    }
    throw err;
  }
  watcher = new Watcher(fd, native, ref);
  if (start) watcher.resume();
  return watcher;
}
