/**
 * POSIX shared memory (shm_open), memfd objects (memfd_create) with seals, and process-shared
 * futex wait / wake on 32-bit words in shared memory.
 */
import { codedError } from './errors';
import { Mapping, mapFd, type MapFileOptions } from './mapping';
import { checkOpen } from './views';
import { kernelConstants, type KernelConstantName } from './constants';
import { binding } from './native';
import { invalidType, outOfRange, toBool, toChoice, toIndex, toInt, toOptions } from './validate';

const closer = new FinalizationRegistry<number>((fd) => {
  try {
    binding().close(fd);
  } catch {
    /* already closed */
  }
});

/** What a shared object's map() accepts: mapFile's options without the file. */
export type MapObjectOptions = Omit<MapFileOptions, never>;
const MAP_KEYS = ['mode', 'offset', 'length', 'populate', 'lock', 'hugePages', 'advice'];

/** A file descriptor of a shared object, closed by close() or when it is collected. */
abstract class FdObject implements Disposable {
  #fd: number;
  readonly #token = {};
  protected abstract readonly kind: 'shared-memory' | 'memfd';

  protected constructor(fd: number) {
    this.#fd = fd;
    closer.register(this, fd, this.#token);
  }

  /** The file descriptor (-1 once closed). */
  get fd(): number {
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  protected live(): number {
    if (this.#fd < 0) throw codedError('ERR_MMAPKIT_CLOSED', `The ${this.kind} object has been closed`);
    return this.#fd;
  }

  /** Current size in bytes. */
  get size(): number {
    return binding().fileSize(this.live());
  }

  /** Sets the size (ftruncate). New bytes read as zero. */
  truncate(size: number | bigint): void {
    binding().ftruncate(this.live(), toIndex(size, 'size'));
  }

  /**
   * Maps the object. Defaults to mode 'readwrite' (MAP_SHARED), the whole object. Mappings stay
   * valid after close().
   */
  map(options?: MapObjectOptions): Mapping {
    const o = toOptions<MapFileOptions>(options, 'options', MAP_KEYS);
    const fd = this.live();
    return mapFd(fd, { mode: 'readwrite', ...o }, this.kind, this.describe());
  }

  protected abstract describe(): string;

  /** Closes the descriptor. Mappings made from it stay valid. Safe to call twice. */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    closer.unregister(this.#token);
    binding().close(fd);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export interface OpenSharedMemoryOptions {
  /** Create the object if it does not exist (O_CREAT). Default false. */
  create?: boolean;
  /** With create: fail with EEXIST if it exists (O_EXCL). Default false. */
  exclusive?: boolean;
  /** Permission bits for a new object. Default 0o600. */
  mode?: number;
  /** Set the size (ftruncate) after opening. */
  size?: number | bigint;
  /** Open read-only (O_RDONLY); maps must then use mode 'readonly'. Default false. */
  readOnly?: boolean;
}
const SHM_KEYS = ['create', 'exclusive', 'mode', 'size', 'readOnly'];

/** Checks a POSIX shared-memory name: '/name', 1–254 characters after the slash, no other '/'. */
export function validateShmName(name: unknown): string {
  if (typeof name !== 'string') throw invalidType('name', 'of type string', name);
  const rest = name.startsWith('/') ? name.slice(1) : name;
  if (rest.length === 0 || rest.length > 254 || rest.includes('/') || rest.includes('\0') || rest === '.' || rest === '..') {
    throw codedError(
      'ERR_INVALID_ARG_VALUE',
      `Invalid shared-memory name '${name}': it must be '/' followed by 1 to 254 characters, none of them '/' or NUL, and not '.' or '..'`,
    );
  }
  return '/' + rest;
}

/** A POSIX shared-memory object (shm_open), living in /dev/shm until unlinked. */
export class SharedMemory extends FdObject {
  protected readonly kind = 'shared-memory' as const;
  /** The object's name, with its leading '/'. */
  readonly name: string;

  private constructor(fd: number, name: string) {
    super(fd);
    this.name = name;
  }

  /** Opens (and optionally creates) a named object. */
  static open(name: string, options?: OpenSharedMemoryOptions): SharedMemory {
    const n = validateShmName(name);
    const o = toOptions<OpenSharedMemoryOptions>(options, 'options', SHM_KEYS);
    const create = o.create === undefined ? false : toBool(o.create, 'options.create');
    const exclusive = o.exclusive === undefined ? false : toBool(o.exclusive, 'options.exclusive');
    const readOnly = o.readOnly === undefined ? false : toBool(o.readOnly, 'options.readOnly');
    const mode = o.mode === undefined ? 0o600 : toInt(o.mode, 'options.mode', 0, 0o7777);
    const size = o.size === undefined ? undefined : toIndex(o.size, 'options.size');
    if (exclusive && !create) throw codedError('ERR_INVALID_ARG_VALUE', 'options.exclusive needs options.create');
    if (readOnly && size !== undefined) throw codedError('ERR_INVALID_ARG_VALUE', 'options.size cannot be set on an object opened with options.readOnly');
    const k = kernelConstants();
    let flags = readOnly ? k.O_RDONLY : k.O_RDWR;
    if (create) flags |= k.O_CREAT;
    if (exclusive) flags |= k.O_EXCL;
    const fd = binding().shmOpen(n, flags, mode);
    const shm = new SharedMemory(fd, n);
    if (size !== undefined) {
      try {
        shm.truncate(size);
      } catch (err) {
        shm.close();
        throw err;
      }
    }
    return shm;
  }

  /** Removes the name (shm_unlink); open descriptors and mappings stay valid. */
  unlink(): void {
    binding().shmUnlink(this.name);
  }

  /** Removes a named object (shm_unlink). */
  static unlink(name: string): void {
    binding().shmUnlink(validateShmName(name));
  }

  protected describe(): string {
    return `/dev/shm${this.name}`;
  }
}

/** Opens a POSIX shared-memory object; see {@link SharedMemory.open}. */
export function openSharedMemory(name: string, options?: OpenSharedMemoryOptions): SharedMemory {
  return SharedMemory.open(name, options);
}

/** Removes a POSIX shared-memory name; see {@link SharedMemory.unlink}. */
export function unlinkSharedMemory(name: string): void {
  SharedMemory.unlink(name);
}

/** memfd seals (fcntl F_ADD_SEALS). */
export type Seal = 'seal' | 'shrink' | 'grow' | 'write' | 'future-write';
const SEAL_C: Record<Seal, KernelConstantName> = {
  seal: 'F_SEAL_SEAL',
  shrink: 'F_SEAL_SHRINK',
  grow: 'F_SEAL_GROW',
  write: 'F_SEAL_WRITE',
  'future-write': 'F_SEAL_FUTURE_WRITE',
};
const SEAL_NAMES = Object.keys(SEAL_C) as Seal[];
/** The F_SEAL_* bit of a seal, from the system headers (kernelConstants). */
const sealBit = (s: Seal): number => kernelConstants()[SEAL_C[s]];

export interface MemfdOptions {
  /** Allow seals to be added later (MFD_ALLOW_SEALING). Default true. */
  allowSealing?: boolean;
  /** Initial size in bytes. */
  size?: number | bigint;
}

/**
 * An anonymous shareable memory object (memfd_create). Share it with a child process by passing
 * its fd (for example through the stdio array of child_process.spawn) or its `path`.
 */
export class Memfd extends FdObject {
  protected readonly kind = 'memfd' as const;
  /** The name given at creation (shown in /proc/<pid>/fd as memfd:<name>). */
  readonly name: string;

  private constructor(fd: number, name: string) {
    super(fd);
    this.name = name;
  }

  static create(name: string, options?: MemfdOptions): Memfd {
    if (typeof name !== 'string') throw invalidType('name', 'of type string', name);
    if (Buffer.byteLength(name) > 249 || name.includes('\0')) {
      throw codedError('ERR_INVALID_ARG_VALUE', `Invalid memfd name '${name}': at most 249 bytes and no NUL`);
    }
    const o = toOptions<MemfdOptions>(options, 'options', ['allowSealing', 'size']);
    const sealing = o.allowSealing === undefined ? true : toBool(o.allowSealing, 'options.allowSealing');
    const size = o.size === undefined ? undefined : toIndex(o.size, 'options.size');
    const k = kernelConstants();
    const fd = binding().memfdCreate(name, k.MFD_CLOEXEC | (sealing ? k.MFD_ALLOW_SEALING : 0));
    const m = new Memfd(fd, name);
    if (size !== undefined) m.truncate(size);
    return m;
  }

  /** A path that opens this object from this process (/proc/self/fd/N). */
  get path(): string {
    return `/proc/${process.pid}/fd/${this.live()}`;
  }

  /** Adds seals; a sealed object refuses the sealed operation with EPERM. */
  seal(seals: Seal | readonly Seal[]): void {
    const list = Array.isArray(seals) ? seals : [seals];
    if (list.length === 0) throw codedError('ERR_OUT_OF_RANGE', 'At least one seal is needed');
    let bits = 0;
    for (const s of list) bits |= sealBit(toChoice(s, 'seals', SEAL_NAMES));
    binding().addSeals(this.live(), bits);
  }

  /** The seals in force. */
  get seals(): Seal[] {
    const bits = binding().getSeals(this.live());
    return SEAL_NAMES.filter((s) => (bits & sealBit(s)) !== 0);
  }

  protected describe(): string {
    return `memfd:${this.name}`;
  }
}

/** Creates a memfd object; see {@link Memfd.create}. */
export function createMemfd(name: string, options?: MemfdOptions): Memfd {
  return Memfd.create(name, options);
}

// ---- futex ----

/** The result of a wait, as Atomics.wait reports it. */
export type WaitResult = 'ok' | 'not-equal' | 'timed-out';

function checkWord(array: unknown, index: unknown): number {
  if (!(array instanceof Int32Array) && !(array instanceof Uint32Array)) {
    throw invalidType('array', 'an Int32Array or Uint32Array', array);
  }
  if (array.length === 0 && array.buffer.byteLength === 0) {
    throw codedError('ERR_MMAPKIT_CLOSED', 'The array has no memory behind it (was its mapping unmapped?)');
  }
  checkOpen(array.buffer, 'array'); // a view over a mapping since unmapped or resized
  return toInt(index, 'index', 0, array.length - 1);
}

function toTimeoutNs(timeout: unknown): number {
  if (timeout === undefined || timeout === Infinity) return -1;
  if (typeof timeout !== 'number') throw invalidType('timeout', 'of type number', timeout);
  if (Number.isNaN(timeout) || timeout < 0) {
    throw outOfRange('timeout', '>= 0 (milliseconds) or Infinity', timeout);
  }
  return Math.round(timeout * 1e6);
}

/**
 * Process-shared futex wait: blocks while array[index] holds `expected`, until futexWake() or the
 * timeout (milliseconds; default Infinity). Works across processes when the array views a shared
 * mapping (MAP_SHARED file, shared memory, memfd) — what Atomics.wait cannot do — and across
 * worker threads on a SharedArrayBuffer. Blocks the thread like Atomics.wait; see futexWaitAsync()
 * for a Promise. The word must be 4-byte aligned in memory (ERR_MMAPKIT_UNALIGNED otherwise, e.g.
 * for a mapping made at a file offset that is not a multiple of 4). Like any futex wait it may
 * return 'ok' without a matching futexWake() (a spurious wake): check the word after waking.
 */
export function futexWait(array: Int32Array | Uint32Array, index: number, expected: number, timeout?: number): WaitResult {
  const i = checkWord(array, index);
  const exp = toInt(expected, 'expected', -0x80000000, 0xffffffff) >>> 0;
  return binding().futexWait(array, i, exp, toTimeoutNs(timeout));
}

/**
 * futexWait() as a Promise: the event loop keeps running. A word that does not hold `expected`
 * (or a timeout of 0) settles without waiting; otherwise the wait sleeps on a thread of its own
 * (kept idle for the next wait afterwards), never on the libuv pool, so any number of pending
 * waits leaves fs, crypto and zlib their threads. That thread reaches the kernel a little after
 * the call: a word changed meanwhile resolves 'ok', but a futexWake() in that moment finds no
 * one asleep (returns 0), so change the word before waking. A pending wait keeps the process alive, as a timer does, until it is woken, times out
 * or its memory is unmapped: unmap(), close() or resize() of the mapping holding the word rejects
 * the wait with ERR_MMAPKIT_CLOSED. That cancellation wakes the word in the kernel, which another
 * asynchronous waiter on the same word elsewhere (another process, another mapping of the same
 * object) may see as a spurious 'ok'; a futexWait() never sees it. The wait holds the array, so
 * its memory is not collected while it waits.
 */
export function futexWaitAsync(array: Int32Array | Uint32Array, index: number, expected: number, timeout?: number): Promise<WaitResult> {
  try {
    const i = checkWord(array, index);
    const exp = toInt(expected, 'expected', -0x80000000, 0xffffffff) >>> 0;
    return binding().futexWaitAsync(array, i, exp, toTimeoutNs(timeout));
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Wakes up to `count` waiters (default: all) on array[index]; returns how many woke. */
export function futexWake(array: Int32Array | Uint32Array, index: number, count?: number): number {
  const i = checkWord(array, index);
  const n = count === undefined || count === Infinity ? 0x7fffffff : toInt(count, 'count', 0, 0x7fffffff);
  return binding().futexWake(array, i, n);
}
