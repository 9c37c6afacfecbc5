/**
 * Every error mmapkit raises is built here: usage errors (bad arguments, calls on a closed
 * mapping …) with a stable `code`, and system errors shaped like Node's fs errors
 * (`code`, `errno`, `syscall`, `path`). The native addon builds its errors through
 * {@link nativeErrorFactory}, so both sides produce the same classes and messages.
 */
import * as os from 'node:os';

/** Codes of misuse errors raised by mmapkit itself (system errors use the errno name). */
export type MmapkitErrorCode =
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_INVALID_ARG_VALUE'
  | 'ERR_OUT_OF_RANGE'
  | 'ERR_MMAPKIT_CLOSED'
  | 'ERR_MMAPKIT_READ_ONLY'
  | 'ERR_MMAPKIT_PROTECTED'
  | 'ERR_MMAPKIT_SIGBUS'
  | 'ERR_MMAPKIT_TOO_LARGE'
  | 'ERR_MMAPKIT_TOO_MANY_MAPPINGS'
  | 'ERR_MMAPKIT_EXTERNAL_BUFFERS'
  | 'ERR_MMAPKIT_BINDING'
  | 'ERR_MMAPKIT_UNALIGNED'
  | 'ERR_MMAPKIT_WIDTH'
  | 'ERR_MMAPKIT_BUSY'
  | 'ERR_MMAPKIT_UNSUPPORTED'
  | 'ERR_MMAPKIT_TIMEOUT'
  | 'ERR_MMAPKIT_BUS_ERROR'
  | 'ERR_MMAPKIT_DEVICE'
  | 'ERR_MMAPKIT_NOT_RASPBERRY_PI'
  | 'ERR_MMAPKIT_NOT_MAPPABLE'
  | 'ERR_MMAPKIT_OWNER_DEAD'
  | 'ERR_MMAPKIT_NOT_RECOVERABLE'
  | 'ERR_MMAPKIT_NOT_OWNER'
  | 'ERR_MMAPKIT_BAD_HEADER'
  | 'ERR_MMAPKIT_VERSION'
  | 'ERR_MMAPKIT_CORRUPT'
  | 'ERR_MMAPKIT_PEER_DEAD'
  | 'ERR_MMAPKIT_CHANNEL_CLOSED'
  | 'ERR_MMAPKIT_TOO_MANY_PEERS'
  | 'ERR_MMAPKIT_RING_TOO_SMALL'
  | 'ERR_MMAPKIT_MESSAGE_TOO_LARGE'
  | 'ERR_MMAPKIT_FULL'
  | 'ERR_MMAPKIT_WRONG_ROLE'
  | 'ERR_MMAPKIT_NOT_RESERVED'
  | 'ERR_MMAPKIT_NOT_ACQUIRED'
  | 'ABORT_ERR'
  | (string & {});

type ErrorClass = 'Error' | 'TypeError' | 'RangeError';

/** Attach a stable `code` to an error object of the given class. */
function withCode<E extends Error>(err: E, code: string): E & { code: string } {
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return err as E & { code: string };
}

/**
 * What a wrong argument was, for the messages below: its type, a short primitive, or its class
 * name. Never converts an object (a Buffer's bytes are not read).
 */
function received(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') {
    let ctor: unknown;
    try { ctor = (value as { constructor?: { name?: unknown } }).constructor?.name; } catch { ctor = undefined; }
    return typeof ctor === 'string' && ctor ? `an instance of ${ctor}` : 'an object';
  }
  if (typeof value === 'symbol') return 'type symbol';
  let shown = typeof value === 'bigint' ? `${value}n` : String(value);
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  if (typeof value === 'string') shown = `'${shown}'`;
  return `type ${typeof value} (${shown})`;
}

function argType(name: string, expected: string, value: unknown): TypeError & { code: string } {
  return typeError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be ${expected}. Received ${received(value)}`);
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value !== undefined && typeof value !== 'string') throw argType(name, 'of type string', value);
  return value;
}

/** An errno given as an integer number or a BigInt (its absolute value is used). */
function toErrno(errno: unknown): number {
  if (typeof errno === 'bigint') {
    const a = errno < 0n ? -errno : errno;
    if (a > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw rangeError('ERR_OUT_OF_RANGE', `The value of "errno" is out of range. It must be a safe integer. Received ${received(errno)}`);
    }
    return Number(a);
  }
  if (typeof errno !== 'number') throw argType('errno', 'of type number', errno);
  if (!Number.isSafeInteger(errno)) {
    throw rangeError('ERR_OUT_OF_RANGE', `The value of "errno" is out of range. It must be a safe integer. Received ${errno}`);
  }
  return Math.abs(errno);
}

/** An error raised by mmapkit for misuse; `code` is stable and meant to be matched on. */
export class MmapkitError extends Error {
  readonly code: MmapkitErrorCode;
  constructor(code: MmapkitErrorCode, message: string) {
    if (typeof code !== 'string') throw argType('code', 'of type string', code);
    optionalString(message, 'message');
    super(message);
    this.name = 'MmapkitError';
    this.code = code;
  }
}

/**
 * A failed system call. Shaped like Node's fs errors: `code` ('ENOENT'), `errno` (negative, as
 * Node reports it), `syscall` ('open', 'mmap' …) and `path` where one is involved.
 */
export class MmapkitSystemError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  readonly path?: string;
  constructor(errno: number, syscall: string, path?: string, description?: string, hint?: string) {
    const positive = toErrno(errno);
    if (typeof syscall !== 'string') throw argType('syscall', 'of type string', syscall);
    optionalString(path, 'path');
    optionalString(description, 'description');
    optionalString(hint, 'hint');
    const code = errnoName(positive);
    const text = description ?? code;
    let message = `${code}: ${text.charAt(0).toLowerCase()}${text.slice(1)}, ${syscall}`;
    if (path !== undefined && path !== '') message += ` '${path}'`;
    if (hint) message += `\n${hint}`;
    super(message);
    this.name = 'MmapkitSystemError';
    this.code = code;
    this.errno = -positive;
    this.syscall = syscall;
    if (path !== undefined && path !== '') this.path = path;
  }
}

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(os.constants.errno)) {
  if (!errnoNames.has(value)) errnoNames.set(value, name);
}
// Linux aliases: prefer the names users know.
errnoNames.set(11, 'EAGAIN');
errnoNames.set(95, 'EOPNOTSUPP');

/**
 * The symbolic name of an errno value ('ENOENT'; its sign is ignored), or 'E<number>' if unknown.
 * Takes an integer number or a BigInt.
 */
export function errnoName(errno: number): string {
  const a = toErrno(errno);
  return errnoNames.get(a) ?? `E${a}`;
}

/** Build a system error; `hint` adds a second line saying how to fix it. */
export function systemError(errno: number, syscall: string, path?: string, description?: string, hint?: string): MmapkitSystemError {
  return new MmapkitSystemError(errno, syscall, path, description, hint);
}

export function typeError(code: MmapkitErrorCode, message: string): TypeError & { code: string } {
  return withCode(new TypeError(message), code);
}

export function rangeError(code: MmapkitErrorCode, message: string): RangeError & { code: string } {
  return withCode(new RangeError(message), code);
}

export function usageError(code: MmapkitErrorCode, message: string): MmapkitError {
  return new MmapkitError(code, message);
}

function byClass(cls: ErrorClass, code: string, message: string): Error {
  if (cls === 'TypeError') return typeError(code, message);
  if (cls === 'RangeError') return rangeError(code, message);
  return usageError(code, message);
}

/**
 * Installed into the addon: it calls this with ('system', errno, syscall, path, strerror) or
 * ('usage', class, code, message) and throws what it returns.
 */
export function nativeErrorFactory(kind: string, a: unknown, b: unknown, c: unknown, d: unknown): Error {
  if (kind === 'system') {
    const errno = a as number;
    const syscall = b as string;
    const path = c as string;
    return systemError(errno, syscall, path === '' ? undefined : path, d as string, hintFor(errno, syscall, path));
  }
  return byClass(a as ErrorClass, b as string, c as string);
}

/** Extra advice for the errors users meet most around device files and locked memory. */
function hintFor(errno: number, syscall: string, path: string): string | undefined {
  const code = errnoName(errno);
  if (path === '/dev/mem' && (code === 'EACCES' || code === 'EPERM')) {
    return 'Mapping /dev/mem needs root (CAP_SYS_RAWIO). Kernels built with CONFIG_STRICT_DEVMEM refuse ordinary RAM, and with ' +
      "CONFIG_IO_STRICT_DEVMEM also device ranges a kernel driver has claimed: boot with 'iomem=relaxed' to allow those. " +
      'Or map a narrower device file instead: /dev/gpiomem for Raspberry Pi GPIO, /sys/bus/pci/devices/<bdf>/resourceN for a ' +
      'PCI BAR, /dev/uioN for a UIO device.';
  }
  if ((syscall === 'mlock' || syscall === 'mlock2' || syscall === 'mmap') && code === 'ENOMEM' && path === '') {
    return undefined;
  }
  if ((syscall === 'mlock' || syscall === 'mlock2') && (code === 'EPERM' || code === 'EAGAIN')) {
    return "Locking memory is limited by RLIMIT_MEMLOCK ('ulimit -l'); raise it or run with CAP_IPC_LOCK.";
  }
  return undefined;
}

/** Whether a value is an error carrying a string `code` (every mmapkit error does). */
export function hasCode(err: unknown): err is Error & { code: string } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}
