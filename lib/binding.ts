/**
 * The native addon's exports, typed: one interface per file of native/binding/ (the C++ function
 * that implements each entry is named in its section). lib/native.ts loads the addon as a
 * {@link Binding}. Arguments arrive validated by lib/; the C++ side re-checks their types only.
 * Every function throws the errors built by lib/errors.ts (the addon calls its factory).
 */
import type { RegisterIO } from './interfaces';
import type { KernelConstants } from './kernel-constants';

/** A mapping's id in the addon's table (a slot and a generation); 0 means none. */
export type NativeMapId = number;

/** A futex wait's outcome, as Atomics.wait reports it. */
export type NativeWaitResult = 'ok' | 'not-equal' | 'timed-out';

/** native/binding/errors.cc */
export interface ErrorsBinding {
  /** Installs the JavaScript function the addon calls to build every error it throws. */
  setErrorFactory(factory: (kind: string, a: unknown, b: unknown, c: unknown, d: unknown) => Error): void;
}

/** native/binding/constants.cc: numbers read from the system headers when the addon was compiled. */
export interface ConstantsBinding {
  /** PROT_*, MAP_*, MS_*, MADV_*, MFD_*, F_SEAL_*, MCL_*, MLOCK_*, O_* … by their C names. */
  readonly constants: KernelConstants;
}

/** native/binding/mapping.cc (and map_budget.cc): one mapping, reached by its id. */
export interface MappingBinding {
  /**
   * mmap(2): writes the new id into out[0] and returns the owner (an external Buffer over all mapped
   * bytes, or an opaque object when the mapping is empty or longer than bufferMax). flags: PROT_*
   * bits, then mmapkit's own bits (lib/mapping.ts MAP_*_BIT). fd -1 maps anonymous memory.
   */
  mapNew(out: Float64Array, fd: number, offset: number, length: number, flags: number, bufferMax: number): Buffer | object;
  /** An ArrayBuffer over [offset, offset + length) of the mapping, tracked as a holder until collected. */
  mapArrayBuffer(id: NativeMapId, offset: number, length: number): ArrayBuffer;
  /** msync(2) of the range with MS_* flags. */
  mapSync(id: NativeMapId, offset: number, length: number, flags: number): void;
  /** msync(2) on a libuv pool thread; resolves when it is done. */
  mapSyncAsync(id: NativeMapId, offset: number, length: number, flags: number): Promise<void>;
  /**
   * On a libuv pool thread, the mapping pinned meanwhile: job 0 msync (arg: MS_* flags), 1 madvise
   * (arg: MADV_*), 2 mlock (arg 1: on fault), 3 populate (arg: MADV_POPULATE_READ / _WRITE, or -1
   * to read one byte per page). Lock and populate go in 64 MiB steps; `token` (cancelToken())
   * stops them between two (ABORT_ERR).
   */
  mapRangeAsync(id: NativeMapId, offset: number, length: number, job: 0 | 1 | 2 | 3, arg: number, token: object | null): Promise<void>;
  /** madvise(2) of the range with one MADV_* value. */
  mapAdvise(id: NativeMapId, offset: number, length: number, advice: number): void;
  /** mprotect(2) of the range (widened to pages) with PROT_* bits. */
  mapProtect(id: NativeMapId, offset: number, length: number, prot: number): void;
  /** mlock(2) of the range, or mlock2(MLOCK_ONFAULT) when onFault. */
  mapLock(id: NativeMapId, offset: number, length: number, onFault: boolean): void;
  /** munlock(2) of the range. */
  mapUnlock(id: NativeMapId, offset: number, length: number): void;
  /** mincore(2): one byte (0 or 1) per page of the widened range. */
  mapResidency(id: NativeMapId, offset: number, length: number): Uint8Array;
  /** mremap(2) to length; returns the new owner. exposed: the old owner left the library. */
  mapResize(id: NativeMapId, length: number, mayMove: boolean, owner: Buffer | object, bufferMax: number, exposed: boolean): Buffer | object;
  /** A guarded copy of the range (SIGBUS and SIGSEGV become coded errors). */
  mapRead(id: NativeMapId, offset: number, length: number): Buffer;
  /** A guarded copy of data's bytes (engine's pointer and length) to offset; returns the count. */
  mapWrite(id: NativeMapId, offset: number, data: ArrayBufferView): number;
  /** Reads one byte of every page of the range, guarded; `what` names the caller in errors. */
  mapTouch(id: NativeMapId, offset: number, length: number, what?: string): void;
  /** Unmaps or retires the range (native/binding/mapping.cc, "Lifetime"); false if already done. */
  mapUnmap(id: NativeMapId, owner: Buffer | object, exposed: boolean): boolean;
  /** The address of the first mapped byte. */
  mapAddress(id: NativeMapId): bigint;
}

/** fileResidency()'s answer. */
export interface NativeFileResidency {
  pages: number;
  resident: number;
  /** One byte per page, when asked for. */
  vector?: Uint8Array;
}

/** native/binding/files.cc: descriptors, files, POSIX shared memory and memfd. */
export interface FilesBinding {
  /** open(2) with O_* flags and a mode; returns the descriptor. */
  open(path: string, flags: number, mode: number): number;
  /** close(2). */
  close(fd: number): void;
  /** The size of the file behind fd (fstat, or lseek for a block device). */
  fileSize(fd: number): number;
  /** One fstat: out[0] = size, out[1] = st_mode & S_IFMT. */
  fileStat(fd: number, out: Float64Array): void;
  /** The file offset (lseek SEEK_CUR), or -1 where there is none (a pipe, a socket). */
  fdOffset(fd: number): number;
  /** Reads into chunk at position (pread), or at the file offset when -1; 0 at end of file. */
  readFd(fd: number, chunk: Uint8Array, position: number): number;
  /** ftruncate(2). */
  ftruncate(fd: number, size: number): void;
  /** posix_fadvise(DONTNEED): drops the file's clean pages from the page cache. */
  evict(fd: number): void;
  /** mincore(2) over a temporary map of the first `size` bytes. */
  fileResidency(fd: number, size: number, wantVector: boolean): NativeFileResidency;
  /** Faults the first `size` bytes of the file into the page cache, guarded. */
  fileTouch(fd: number, size: number): void;
  /** The system page size. */
  pageSize(): number;
  /** shm_open(3); returns the descriptor. */
  shmOpen(name: string, flags: number, mode: number): number;
  /** shm_unlink(3). */
  shmUnlink(name: string): void;
  /** memfd_create(2) with MFD_* flags; returns the descriptor. */
  memfdCreate(name: string, flags: number): number;
  /** fcntl(F_ADD_SEALS) with F_SEAL_* bits. */
  addSeals(fd: number, seals: number): void;
  /** fcntl(F_GET_SEALS): the F_SEAL_* bits in place. */
  getSeals(fd: number): number;
}

/** native/binding/futex.cc: process-shared futex waits on a 32-bit word. */
export interface FutexBinding {
  /** Blocks while array[index] === expected (timeoutNs < 0: no timeout). */
  futexWait(array: Int32Array | Uint32Array, index: number, expected: number, timeoutNs: number): NativeWaitResult;
  /** The same on a waiter thread of the addon's; unmap() of the word's mapping rejects it. */
  futexWaitAsync(array: Int32Array | Uint32Array, index: number, expected: number, timeoutNs: number): Promise<NativeWaitResult>;
  /** Wakes up to count waiters; returns how many woke. */
  futexWake(array: Int32Array | Uint32Array, index: number, count: number): number;
}

/** native/binding/csv.cc: the CSV sums and the scans over bytes (guarded native loops). */
export interface CsvBinding {
  /** The sum of every field of a CSV, with the native method at index `method` of csvMethods(). */
  csvSum(data: Uint8Array, method: number): bigint;
  /** One chunk of a streamed sum; state is [sum, the pending field] and is updated in place. */
  csvSumChunk(data: Uint8Array, method: number, state: BigUint64Array): void;
  /** The native methods this CPU runs, fastest last. */
  csvMethods(): string[];
  /** The fastest native method here. */
  csvBestMethod(): string;
  /** The sum of every byte (plain: without SIMD). */
  scanByteSum(data: Uint8Array, plain?: boolean): number;
  /** The sum of one byte every `stride` bytes. */
  scanStrideSum(data: Uint8Array, stride: number): number;
  /** Writes one byte every `stride` bytes. */
  scanStrideTouchWrite(data: Uint8Array, stride: number): void;
  /** The sum of `count` pseudo-random aligned 32-bit loads from `seed`. */
  scanRandomRead32(data: Uint8Array, count: number, seed: number): number;
  /** Which scan loop the build uses ('avx2', 'sse2', 'neon' or 'scalar'). */
  scanVariant(): string;
}

/** What a threaded scan returns: the CSV sum and its pending field, the byte sum, the threads used. */
export interface NativeScanResult {
  sum: bigint;
  pending: bigint;
  bytesSum: number;
  threads: number;
}

/**
 * The arguments of fileScan / fileScanAsync, as lib/csv.ts fileScanArgs() builds them: fd, start,
 * length, via read (else mmap), what (for messages), kind (0 CSV, 1 byte sum, 2 touch), method
 * index, threads, chunk size, page size.
 */
export type FileScanArgs = [number, number, number, boolean, string, number, number, number, number, number];

/** native/binding/csv_async.cc: CSV sums and scans split over threads, and file jobs off the main thread. */
export interface CsvAsyncBinding {
  /** A scan of `data` split over `threads` threads, combined exactly (kind 0 CSV, 1 byte sum). */
  scanThreads(data: Uint8Array, kind: number, method: number, threads: number, unused: number, chunk: number): NativeScanResult;
  /** The CSV sum of `data` cut at the offsets in `cuts`, each piece summed alone and combined: [sum, pending]. */
  csvSumPieces(data: Uint8Array, method: number, cuts: Float64Array): [bigint, bigint];
  /** A whole-file job (sum, byte sum or touch) through a mapping or read() chunks, on the calling thread's pool of threads. */
  fileScan(...args: FileScanArgs): NativeScanResult;
  /** The same job on its own thread; `token` (cancelToken()) cancels it. */
  fileScanAsync(...args: [...FileScanArgs, object]): Promise<NativeScanResult>;
  /** A cancellation token for fileScanAsync. */
  cancelToken(): object;
  /** Cancels the job holding `token` (it rejects with ABORT_ERR). */
  cancelJob(token: object): void;
}

/** A native descriptor watcher (native/binding/fd_watch.cc): a uv_poll_t on its own duplicate of the fd. */
export interface NativeFdWatcher {
  start(): void;
  stop(): void;
  close(): void;
  setRef(on: boolean): void;
  hasRef(): boolean;
}

/** native/binding/fd_watch.cc: readability of a descriptor, reported on the event loop. */
export interface FdWatchBinding {
  /** Watches `fd` (a duplicate of it); `onReadable` runs on the main thread with libuv's status (0, or a negative errno). */
  FdWatcher: new (fd: number, onReadable: (status: number) => void) => NativeFdWatcher;
}

/** A GPIO line's information as the kernel reports it (struct gpio_v2_line_info). */
export interface NativeGpioLineInfo {
  offset: number;
  name: string;
  consumer: string;
  /** GPIO_V2_LINE_FLAG_* bits. */
  flags: number;
  debounceUs: number;
}

/** native/binding/gpio_cdev.cc: the GPIO character device (uAPI v2), on descriptors lib/gpio/chardev.ts owns. */
export interface GpioCdevBinding {
  /** Opens /dev/gpiochipN (read-write, close-on-exec); returns the descriptor. */
  gpioOpenChip(path: string): number;
  /** Closes a chip or request descriptor. */
  gpioClose(fd: number): void;
  /** GPIO_GET_CHIPINFO_IOCTL. */
  gpioChipInfo(fd: number): { name: string; label: string; lines: number };
  /** GPIO_V2_GET_LINEINFO_IOCTL for one line. */
  gpioLineInfo(fd: number, offset: number): NativeGpioLineInfo;
  /** GPIO_V2_GET_LINEINFO_WATCH_IOCTL: starts watching the line and returns its info. */
  gpioWatchLineInfo(fd: number, offset: number, watch: true): NativeGpioLineInfo;
  /** GPIO_GET_LINEINFO_UNWATCH_IOCTL. */
  gpioWatchLineInfo(fd: number, offset: number, watch: false): undefined;
  /** GPIO_V2_GET_LINE_IOCTL: the request's descriptor. `config` is encodeConfig()'s attribute array. */
  gpioRequest(chipFd: number, offsets: Uint32Array, consumer: string, eventBufferSize: number, config: BigUint64Array): number;
  /** GPIO_V2_LINE_SET_CONFIG_IOCTL. */
  gpioSetConfig(fd: number, config: BigUint64Array): void;
  /** GPIO_V2_LINE_GET_VALUES_IOCTL: the bits of `mask`. */
  gpioGetValues(fd: number, mask: bigint): bigint;
  /** GPIO_V2_LINE_SET_VALUES_IOCTL: `bits` for the lines of `mask`. */
  gpioSetValues(fd: number, mask: bigint, bits: bigint): void;
  /** Reads pending edge events into `out` (5 words each: timestamp, id, offset, seqno, line seqno); returns how many. */
  gpioReadEvents(fd: number, out: BigUint64Array): number;
  /** Reads pending line-info changes from a chip descriptor. */
  gpioReadInfoChanged(fd: number): { info: NativeGpioLineInfo; timestampNs: bigint; type: number }[];
}

/** An open register window (regsOpen()): the accessors of RegisterIO, block reads, close. */
export interface NativeWindow extends Omit<RegisterIO, 'size' | 'writable'> {
  /** count consecutive registers of `width` bits into a new typed array, guarded. */
  readBlock(offset: number, count: number, width: number): Uint8Array | Uint16Array | Uint32Array | BigUint64Array;
  /** Unmaps the window at once; later accesses throw ERR_MMAPKIT_CLOSED. */
  close(): void;
  /** The window's offset inside its first page. */
  pageOffset(): number;
}

/** native/binding/regs.cc: register windows and memory barriers. */
export interface RegsBinding {
  /** Maps [offset, offset + length) of a device file; widths: a mask of the allowed access widths. */
  regsOpen(path: string, offset: bigint, length: number, writable: boolean, widths: number): NativeWindow;
  /** The system page size, read once at load. */
  readonly regsPageSize: number;
  /** Which instructions the barriers compile to: 'x86-64', 'aarch64', 'armv7' or 'generic'. */
  readonly barrierArch: string;
  /** A compiler barrier (no instruction). */
  barrierCompiler(): void;
  /** mfence / dmb ish. */
  barrierFull(): void;
  /** sfence / dmb ishst. */
  barrierStore(): void;
  /** lfence / dmb ishld. */
  barrierLoad(): void;
  /** dsb sy (mfence on x86-64). */
  barrierDsbSy(): void;
  /** dsb st (sfence on x86-64). */
  barrierDsbSt(): void;
}

/** native/binding/portio.cc: x86 I/O ports through /dev/port or in/out instructions. */
export interface PortioBinding {
  /** Whether this build has the in/out instructions (x86 only). */
  readonly portHasInstructions: boolean;
  /** Opens /dev/port; returns the descriptor. */
  portOpen(writable: boolean): number;
  /** close(2) of /dev/port. */
  portClose(fd: number): void;
  /** A pread of `bytes` bytes at `port`. */
  portRead(fd: number, port: number, bytes: number): number;
  /** A pwrite of `bytes` bytes at `port`. */
  portWrite(fd: number, port: number, bytes: number, value: number): void;
  /** ioperm()/iopl() for the calling thread. */
  portGrant(port: number, bytes: number): void;
  /** One in instruction (granted ports only). */
  portIn(port: number, bytes: number): number;
  /** One out instruction (granted ports only). */
  portOut(port: number, bytes: number, value: number): void;
}

/** Everything the addon exports. */
export interface Binding
  extends
    ErrorsBinding,
    ConstantsBinding,
    MappingBinding,
    FilesBinding,
    FutexBinding,
    CsvBinding,
    CsvAsyncBinding,
    FdWatchBinding,
    GpioCdevBinding,
    RegsBinding,
    PortioBinding {}
