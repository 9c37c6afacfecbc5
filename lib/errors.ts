/**
 * Every error mmapkit raises is built here, from one table: each code names its one class and
 * how its message is written. Usage errors (bad arguments, calls on a closed mapping …) carry a
 * stable `code`; system errors are shaped like Node's fs errors (`code`, `errno`, `syscall`,
 * `path`). The native addon builds its errors through {@link nativeErrorFactory}, so both sides
 * produce the same classes and messages.
 *
 * Classes follow Node's convention: ERR_INVALID_ARG_TYPE and ERR_INVALID_ARG_VALUE are
 * TypeErrors, ERR_OUT_OF_RANGE is a RangeError, mmapkit's own ERR_MMAPKIT_* codes are
 * MmapkitErrors, and failed system calls are MmapkitSystemErrors coded by their errno name.
 */
import * as os from 'node:os';

/**
 * What a wrong argument was, after "Received" in ERR_INVALID_ARG_TYPE messages: its type and a
 * short primitive, `function name`, or its class name. Never converts an object (a Buffer's bytes
 * are not read) and never runs a getter that throws.
 */
export function received(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') {
    let fname: unknown;
    try {
      fname = (value as { name?: unknown }).name;
    } catch {
      fname = undefined;
    }
    return `function ${typeof fname === 'string' && fname !== '' ? fname : '(anonymous)'}`;
  }
  if (typeof value === 'object') {
    let ctor: unknown;
    try {
      ctor = (value as { constructor?: { name?: unknown } }).constructor?.name;
    } catch {
      ctor = undefined;
    }
    return typeof ctor === 'string' && ctor !== '' ? `an instance of ${ctor}` : 'an object';
  }
  let shown = typeof value === 'bigint' ? `${value}n` : String(value);
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  if (typeof value === 'string') shown = `'${shown}'`;
  return `type ${typeof value} (${shown})`;
}

/**
 * A value after "Received" in ERR_OUT_OF_RANGE and ERR_INVALID_ARG_VALUE messages: a number as
 * JavaScript writes it, a bigint with its `n`, a string quoted; anything else as {@link received}.
 */
export function shown(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return `'${value.length > 28 ? `${value.slice(0, 25)}...` : value}'`;
  return received(value);
}

/** The class a code is thrown as. */
export type ErrorBase = 'TypeError' | 'RangeError' | 'MmapkitError';

interface Entry<A extends unknown[]> {
  readonly base: ErrorBase;
  /** The message from the code's own arguments. */
  readonly message: (...args: A) => string;
}

const E = <A extends unknown[]>(base: ErrorBase, message: (...args: A) => string): Entry<A> => ({ base, message });
/** Codes whose message is one sentence saying what happened (their arguments differ too much to share a form). */
const sentence = (base: ErrorBase): Entry<[message: string]> => E(base, (message: string) => message);

/**
 * The table: code → class → message. ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE and
 * ERR_OUT_OF_RANGE take (name, what it must be, the value); every code also takes a whole
 * sentence (see {@link codedError}).
 */
export const ERROR_TABLE = {
  ERR_INVALID_ARG_TYPE: E(
    'TypeError',
    (name: string, expected: string, value: unknown) => `The "${name}" argument must be ${expected}. Received ${received(value)}`,
  ),
  ERR_INVALID_ARG_VALUE: E(
    'TypeError',
    (name: string, expected: string, value: unknown) => `The "${name}" argument must be ${expected}. Received ${shown(value)}`,
  ),
  ERR_OUT_OF_RANGE: E(
    'RangeError',
    (name: string, range: string, value: unknown) => `The value of "${name}" is out of range. It must be ${range}. Received ${shown(value)}`,
  ),
  // Node's util.parseArgs codes, which the CLI re-raises with its own wording.
  ERR_PARSE_ARGS_UNKNOWN_OPTION: sentence('TypeError'),
  ERR_PARSE_ARGS_INVALID_OPTION_VALUE: sentence('TypeError'),
  ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL: sentence('TypeError'),
  ERR_MMAPKIT_CLOSED: sentence('MmapkitError'),
  ERR_MMAPKIT_READ_ONLY: sentence('MmapkitError'),
  ERR_MMAPKIT_PROTECTED: sentence('MmapkitError'),
  ERR_MMAPKIT_SIGBUS: sentence('MmapkitError'),
  ERR_MMAPKIT_TOO_LARGE: sentence('MmapkitError'),
  ERR_MMAPKIT_TOO_MANY_MAPPINGS: sentence('MmapkitError'),
  ERR_MMAPKIT_EXTERNAL_BUFFERS: sentence('MmapkitError'),
  ERR_MMAPKIT_BINDING: sentence('MmapkitError'),
  ERR_MMAPKIT_UNALIGNED: sentence('MmapkitError'),
  ERR_MMAPKIT_WIDTH: sentence('MmapkitError'),
  ERR_MMAPKIT_BUSY: sentence('MmapkitError'),
  ERR_MMAPKIT_UNSUPPORTED: sentence('MmapkitError'),
  ERR_MMAPKIT_TIMEOUT: sentence('MmapkitError'),
  ERR_MMAPKIT_BUS_ERROR: sentence('MmapkitError'),
  ERR_MMAPKIT_DEVICE: sentence('MmapkitError'),
  ERR_MMAPKIT_NOT_RASPBERRY_PI: sentence('MmapkitError'),
  ERR_MMAPKIT_NOT_MAPPABLE: sentence('MmapkitError'),
  ERR_MMAPKIT_GPIO_NOT_OUTPUT: sentence('MmapkitError'),
  ERR_MMAPKIT_INTERRUPTED: sentence('MmapkitError'),
  /** A descriptor that epoll refuses to watch (a regular file, a directory). */
  ERR_MMAPKIT_NOT_POLLABLE: sentence('MmapkitError'),
  /** A device that is not a UIO device (/dev/uioN). */
  ERR_MMAPKIT_NOT_UIO: sentence('MmapkitError'),
  // Shared-memory channels and locks (lib/ipc).
  ERR_MMAPKIT_OWNER_DEAD: sentence('MmapkitError'),
  ERR_MMAPKIT_NOT_RECOVERABLE: sentence('MmapkitError'),
  ERR_MMAPKIT_NOT_OWNER: sentence('MmapkitError'),
  ERR_MMAPKIT_BAD_HEADER: sentence('MmapkitError'),
  ERR_MMAPKIT_VERSION: sentence('MmapkitError'),
  ERR_MMAPKIT_CORRUPT: sentence('MmapkitError'),
  ERR_MMAPKIT_PEER_DEAD: sentence('MmapkitError'),
  ERR_MMAPKIT_CHANNEL_CLOSED: sentence('MmapkitError'),
  ERR_MMAPKIT_TOO_MANY_PEERS: sentence('MmapkitError'),
  ERR_MMAPKIT_RING_TOO_SMALL: sentence('MmapkitError'),
  ERR_MMAPKIT_MESSAGE_TOO_LARGE: sentence('MmapkitError'),
  ERR_MMAPKIT_FULL: sentence('MmapkitError'),
  ERR_MMAPKIT_WRONG_ROLE: sentence('MmapkitError'),
  ERR_MMAPKIT_NOT_RESERVED: sentence('MmapkitError'),
  ERR_MMAPKIT_NOT_ACQUIRED: sentence('MmapkitError'),
  ERR_MMAPKIT_BAD_MESSAGE: sentence('MmapkitError'),
  /** A job cancelled through its AbortSignal (its name is 'AbortError', as Node's). */
  ABORT_ERR: sentence('MmapkitError'),
  /** A broken internal invariant of the simulator: a bug in mmapkit, never a user's mistake. */
  ERR_MMAPKIT_INTERNAL: sentence('MmapkitError'),
} as const;

type Table = typeof ERROR_TABLE;
/** Every code of the table. */
export type ErrorCode = keyof Table;
/** Codes whose message is built from (name, expected, value). */
export type ArgumentCode = 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE';

/** Codes of misuse errors raised by mmapkit itself (system errors use the errno name). */
export type MmapkitErrorCode = ErrorCode | (string & {});

/** Whether `code` is a code of the table. */
export function isTableCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_TABLE, code);
}

/**
 * The class of a code: the table's for its codes; outside the table, MmapkitSystemError for an
 * errno name ('ENOENT', or 'E<number>' for one without a name) and SimSignal (a MmapkitError) for
 * the simulator's signals ('SIGSEGV', 'SIGBUS', 'SIGKILL'); undefined for anything else.
 */
export function classOf(code: string): ErrorBase | 'MmapkitSystemError' | 'SimSignal' | undefined {
  if (isTableCode(code)) return ERROR_TABLE[code].base;
  if (/^E[A-Z0-9]+$/.test(code) && !code.startsWith('ERR_')) return 'MmapkitSystemError';
  if (code === 'SIGSEGV' || code === 'SIGBUS' || code === 'SIGKILL') return 'SimSignal';
  return undefined;
}

function argType(name: string, expected: string, value: unknown): Error {
  return codedError('ERR_INVALID_ARG_TYPE', name, expected, value);
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value !== undefined && typeof value !== 'string') throw argType(name, 'of type string', value);
  return value;
}

/** An errno given as an integer number or a BigInt (its absolute value is used). */
function toErrno(errno: unknown): number {
  if (typeof errno === 'bigint') {
    const a = errno < 0n ? -errno : errno;
    if (a > BigInt(Number.MAX_SAFE_INTEGER)) throw codedError('ERR_OUT_OF_RANGE', 'errno', 'a safe integer', errno);
    return Number(a);
  }
  if (typeof errno !== 'number') throw argType('errno', 'of type number', errno);
  if (!Number.isSafeInteger(errno)) throw codedError('ERR_OUT_OF_RANGE', 'errno', 'a safe integer', errno);
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

/** Every error built from the table passes through here (see {@link setErrorAudit}). */
let audit: ((err: Error & { code: string }) => void) | undefined;

/**
 * Installs a function that sees every error built from the table or by the addon's factory
 * before it is thrown (the test suite checks each one's code and class); undefined removes it.
 * Returns the one installed before.
 * @internal
 */
export function setErrorAudit(fn: ((err: Error & { code: string }) => void) | undefined): ((err: Error & { code: string }) => void) | undefined {
  const before = audit;
  audit = fn;
  return before;
}

function attachCode<T extends Error>(err: T, code: string): T & { code: string } {
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return err as T & { code: string };
}

function build(base: ErrorBase, code: string, message: string): Error & { code: string } {
  let err: Error & { code: string };
  if (base === 'TypeError') err = attachCode(new TypeError(message), code);
  else if (base === 'RangeError') err = attachCode(new RangeError(message), code);
  else err = new MmapkitError(code, message) as MmapkitError & { code: string };
  audit?.(err);
  return err;
}

/**
 * The error of a code, of the code's class. With one argument the message is that sentence;
 * ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE and ERR_OUT_OF_RANGE also take (name, what it
 * must be, the value received) and write the message in their one form.
 */
export function codedError(code: ErrorCode, message: string): Error & { code: string };
export function codedError<C extends ArgumentCode>(code: C, ...args: Parameters<Table[C]['message']>): Error & { code: string };
export function codedError(code: ErrorCode, ...args: unknown[]): Error & { code: string } {
  const entry = ERROR_TABLE[code] as Entry<unknown[]>;
  const message = args.length === 1 ? String(args[0]) : entry.message(...args);
  return build(entry.base, code, message);
}

/** Build a system error; `hint` adds a second line saying how to fix it. */
export function systemError(errno: number, syscall: string, path?: string, description?: string, hint?: string): MmapkitSystemError {
  const err = new MmapkitSystemError(errno, syscall, path, description, hint);
  audit?.(err);
  return err;
}

/**
 * Installed into the addon: it calls this with ('system', errno, syscall, path, strerror) or
 * ('usage', class, code, message) and throws what it returns. A usage error takes the class the
 * table gives its code; the class the addon names is used only for a code the table lacks.
 */
/**
 * A Node fs error (errno, syscall, path) as mmapkit's own system error, so that every file error
 * mmapkit raises has one class; anything else is returned unchanged.
 */
export function fromFsError(err: unknown): unknown {
  const e = err as { errno?: unknown; syscall?: unknown; path?: unknown } | null;
  if (e === null || typeof e !== 'object' || typeof e.errno !== 'number' || typeof e.syscall !== 'string') return err;
  return systemError(Math.abs(e.errno), e.syscall, typeof e.path === 'string' ? e.path : undefined);
}

export function nativeErrorFactory(kind: string, a: unknown, b: unknown, c: unknown, d?: unknown): Error {
  if (kind === 'system') {
    const errno = a as number;
    const syscall = b as string;
    const path = c as string;
    return systemError(errno, syscall, path === '' ? undefined : path, d as string, hintFor(errno, syscall, path));
  }
  const code = String(b);
  const message = String(c);
  if (isTableCode(code)) return codedError(code, message);
  return build(a === 'TypeError' || a === 'RangeError' ? a : 'MmapkitError', code, message);
}

/** Extra advice for the errors users meet most around device files and locked memory. */
function hintFor(errno: number, syscall: string, path: string): string | undefined {
  const code = errnoName(errno);
  if (path === '/dev/mem' && (code === 'EACCES' || code === 'EPERM')) {
    return (
      'Mapping /dev/mem needs root (CAP_SYS_RAWIO). Kernels built with CONFIG_STRICT_DEVMEM refuse ordinary RAM, and with ' +
      "CONFIG_IO_STRICT_DEVMEM also device ranges a kernel driver has claimed: boot with 'iomem=relaxed' to allow those. " +
      'Or map a narrower device file instead: /dev/gpiomem for Raspberry Pi GPIO, /sys/bus/pci/devices/<bdf>/resourceN for a ' +
      'PCI BAR, /dev/uioN for a UIO device.'
    );
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
