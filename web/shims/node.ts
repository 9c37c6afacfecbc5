/**
 * Stand-ins for the Node built-ins that lib/ imports, for the browser bundle of the interactive
 * page. The simulator never reaches the file system, the native addon or child processes; the
 * functions here that would need them throw ERR_MMAPKIT_UNSUPPORTED if they were ever called.
 * `util.types` and `os.constants.errno` are real: the simulator's argument checks and error
 * names use them.
 */
function unsupported(name: string): never {
  const err = new Error(`${name} is not available in a browser`);
  (err as Error & { code: string }).code = 'ERR_MMAPKIT_UNSUPPORTED';
  throw err;
}

const tag = (v: unknown): string => Object.prototype.toString.call(v).slice(8, -1);
const typedNames = new Set([
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
]);

export const types = {
  isArrayBuffer: (v: unknown): boolean => v instanceof ArrayBuffer,
  isSharedArrayBuffer: (v: unknown): boolean => typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer,
  isAnyArrayBuffer: (v: unknown): boolean => types.isArrayBuffer(v) || types.isSharedArrayBuffer(v),
  isTypedArray: (v: unknown): boolean => ArrayBuffer.isView(v) && typedNames.has(tag(v)),
  isUint8Array: (v: unknown): boolean => v instanceof Uint8Array,
  isDataView: (v: unknown): boolean => v instanceof DataView,
};

// Linux's errno numbers (x86-64 and arm64 agree on these).
const errno: Record<string, number> = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EPIPE: 32,
  EDOM: 33,
  ERANGE: 34,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  EOVERFLOW: 75,
  EOPNOTSUPP: 95,
  ETIMEDOUT: 110,
};
export const constants = { errno, signals: {} as Record<string, number> };
export const EOL = '\n';
export const cpus = (): unknown[] => [];
export const arch = (): string => 'wasm';
export const platform = (): string => 'browser';
export const endianness = (): string => 'LE';

// node:path — only join/dirname/basename/resolve are reached, and only by native paths.
export const sep = '/';
export const join = (...parts: string[]): string => parts.join('/').replace(/\/+/g, '/');
export const resolve = join;
export const dirname = (p: string): string => p.replace(/\/[^/]*$/, '') || '/';
export const basename = (p: string): string => p.replace(/.*\//, '');

// node:fs, node:child_process, node:tty, node:util parseArgs — never reached by the simulator.
export const existsSync = (): boolean => false;
export const readFileSync = (): never => unsupported('fs.readFileSync');
export const readdirSync = (): never => unsupported('fs.readdirSync');
export const statSync = (): never => unsupported('fs.statSync');
export const fstatSync = (): never => unsupported('fs.fstatSync');
export const openSync = (): never => unsupported('fs.openSync');
export const closeSync = (): never => unsupported('fs.closeSync');
export const readSync = (): never => unsupported('fs.readSync');
export const writeSync = (): never => unsupported('fs.writeSync');
export const spawnSync = (): never => unsupported('child_process.spawnSync');
export const isatty = (): boolean => false;
export const parseArgs = (): never => unsupported('util.parseArgs');

// node:events — a small EventEmitter for the modules the page bundles (the simulated GPIO chip).
type Listener = (...args: unknown[]) => void;
export class EventEmitter {
  #listeners = new Map<string | symbol, Listener[]>();
  on(event: string | symbol, fn: Listener): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), fn]);
    return this;
  }
  addListener(event: string | symbol, fn: Listener): this {
    return this.on(event, fn);
  }
  once(event: string | symbol, fn: Listener): this {
    const wrapped: Listener = (...args) => {
      this.off(event, wrapped);
      fn(...args);
    };
    return this.on(event, wrapped);
  }
  off(event: string | symbol, fn: Listener): this {
    this.#listeners.set(
      event,
      (this.#listeners.get(event) ?? []).filter((l) => l !== fn),
    );
    return this;
  }
  removeListener(event: string | symbol, fn: Listener): this {
    return this.off(event, fn);
  }
  removeAllListeners(event?: string | symbol): this {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
    return this;
  }
  emit(event: string | symbol, ...args: unknown[]): boolean {
    const list = this.#listeners.get(event) ?? [];
    for (const l of list) l(...args);
    return list.length > 0;
  }
  listenerCount(event: string | symbol): number {
    return (this.#listeners.get(event) ?? []).length;
  }
}
