/**
 * Summing the numbers of a CSV with a byte-at-a-time loop: digits build a number, ',' and '\n'
 * end it, every other byte is skipped. Sums use 64-bit wrapping arithmetic and are BigInt.
 *
 * Every method gives exactly the bytewise reference loop's answer on every input:
 *   - '0'..'9': x = 10 * x + digit (64-bit wrapping);
 *   - ',' or '\n': sum += x (64-bit wrapping), x = 0;
 *   - any other byte is skipped (x is kept, so "1 2," is the number 12);
 *   - a final number with no ',' or '\n' after it is NOT added (the bytewise loop adds a number only
 *     when a separator ends it). {@link CsvSummer} keeps it pending across chunks instead.
 * The sum is returned as a signed 64-bit BigInt (a C `long`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { types } from 'node:util';
import type { MemoryView } from './interfaces';
import { codedError, systemError, fromFsError } from './errors';
import { addonAvailable, binding } from './native';
import { Mapping, mapFile } from './mapping';
import { checkAccess, checkLoop, checkMappingLoop, detachedError, isDetached, viewFacts, type LoopProbe } from './views';
import { S_IFDIR, S_IFREG, refuseEndless, statFd } from './filetype';
import { invalidType, invalidValue, toBool, toChoice, toInt, toObject, toObjectWith, toOptions, toPathOrFd } from './validate';
import { chooseCsvSource, defaultThreads, MIN_BYTES_PER_THREAD } from './csv/source';
import { csvWasmAvailable, csvWasmCheck, wasmCsvUpdate, type WasmCsvState } from './csv/wasm';

const EISDIR = os.constants.errno.EISDIR;

/**
 * The bytewise reference loop, written once against {@link MemoryView}: it runs over a native
 * mapping or a mapping in a simulated process. A final number with no newline after it is not added
 * (the loop adds a number only when ',' or '\n' ends it).
 */
export function bytewiseCsvSum(view: MemoryView): bigint {
  let sum = 0n;
  let x = 0n;
  if (!(view instanceof Mapping)) toObjectWith<MemoryView>(view, 'view', ['load8'], 'a MemoryView');
  const n: unknown = view.length;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw invalidType('view', 'a MemoryView (an object with load8 and a non-negative integer length)', view);
  }
  // Over a real mapping, check it first and probe each chunk before the loop reads it (a
  // truncated file would end the process with SIGBUS otherwise).
  const probe = view instanceof Mapping ? checkMappingLoop(view, 0, n, 'read', 'bytewiseCsvSum()') : undefined;
  const step = probe === undefined ? n : LOOP_CHUNK;
  for (let start = 0; start < n; start += step) {
    const end = Math.min(n, start + step);
    if (probe !== undefined) probe(start, end - start);
    for (let i = start; i < end; i++) {
      const c = view.load8(i);
      if (c >= 0x30 && c <= 0x39) {
        x = BigInt.asIntN(64, 10n * x + BigInt(c - 0x30));
      } else if (c === 0x2c || c === 0x0a) {
        sum = BigInt.asIntN(64, sum + x);
        x = 0n;
      }
    }
  }
  return sum;
}

/**
 * Bytes a library JavaScript loop walks between two probes of a file-backed mapping (a multiple of
 * 8, so the word loop's alignment is the same in every chunk).
 */
const LOOP_CHUNK = 1 << 20;

/**
 * @deprecated Since 0.2.0: use {@link bytewiseCsvSum}. The same function under its 0.1 name; it
 * will be removed in 0.3.0.
 */
export const seedCsvSum: (view: MemoryView) => bigint = bytewiseCsvSum;

/**
 * A CSV-sum method. Native: 'bytewise' (the byte-at-a-time reference loop compiled in the addon),
 * 'swar' (8 bytes at a time, portable), 'avx2', 'avx512' (x86-64, chosen at run time), 'neon'
 * (AArch64). WebAssembly: 'wasm' (SIMD128, lib/csv/wasm.ts). JavaScript: 'js-bytewise' (the
 * reference loop) and 'js' (8 bytes at a time). 'auto' picks the fastest native method, or 'wasm'
 * where the addon is not available.
 *
 * 'seed' and 'js-seed' are deprecated aliases of 'bytewise' and 'js-bytewise' (accepted until
 * 0.3.0; the methods they select report their new names).
 */
export type CsvMethod = 'auto' | 'bytewise' | 'swar' | 'avx2' | 'avx512' | 'neon' | 'wasm' | 'js' | 'js-bytewise' | CsvMethodAlias;

/** @deprecated Since 0.2.0: the 0.1 names of 'bytewise' ('seed') and 'js-bytewise' ('js-seed'). */
export type CsvMethodAlias = 'seed' | 'js-seed';

/** The methods in the addon's index order. */
const NATIVE_METHODS = ['bytewise', 'swar', 'avx2', 'avx512', 'neon'] as const;
type NativeMethod = (typeof NATIVE_METHODS)[number];
const ALL_METHODS: readonly CsvMethod[] = ['auto', ...NATIVE_METHODS, 'wasm', 'js', 'js-bytewise'];
/** Deprecated method names and the methods they stand for. */
const METHOD_ALIASES: Readonly<Record<CsvMethodAlias, CsvMethod>> = { seed: 'bytewise', 'js-seed': 'js-bytewise' };

/** A method name as the addon reports it ('seed' is its name for the bytewise loop), as mmapkit names it. */
function fromBinding(name: string): NativeMethod {
  return (name === 'seed' ? 'bytewise' : name) as NativeMethod;
}

export interface CsvSumOptions {
  /** Default 'auto'. */
  method?: CsvMethod;
  /**
   * csvSum only: threads a native method splits the bytes over (default 1; the pieces are
   * combined exactly). Ignored by the JavaScript methods and by CsvSummer.
   */
  threads?: number;
}

export interface CsvSumFileOptions extends CsvSumOptions {
  /**
   * 'auto' (default) chooses by size ({@link chooseCsvSource}); 'mmap' maps the file and sums the
   * mapping; 'read' sums read() chunks.
   */
  via?: 'auto' | 'mmap' | 'read';
  /** Threads a native method splits the file over (default: all cores, pieces of 4 MiB or more). */
  threads?: number;
  /**
   * Chunk size in bytes: the read() size for via 'read' (default 1 MiB); for via 'mmap', the
   * window the mapping is parsed in (default 1 GiB, so files larger than one Buffer can hold are
   * parsed window by window, with numbers carried across windows).
   */
  chunkSize?: number;
}

/** Bytes the CSV functions accept: a Buffer (a mapping's buffer too), any TypedArray, a DataView or an ArrayBuffer. */
export type CsvBytes = ArrayBufferView | ArrayBuffer;

// ------------------------------------------------------------------------------------------------
// Validation

function toMethod(options: CsvSumOptions | undefined, name: string): CsvMethod {
  if (options === undefined) return 'auto';
  const m = toObject<CsvSumOptions>(options, name).method;
  if (m === undefined) return 'auto';
  if (typeof m === 'string' && Object.hasOwn(METHOD_ALIASES, m)) return METHOD_ALIASES[m as CsvMethodAlias];
  if (typeof m !== 'string' || !ALL_METHODS.includes(m as CsvMethod)) {
    throw invalidValue(`${name}.method`, `one of ${ALL_METHODS.map((s) => `'${s}'`).join(', ')}`, m);
  }
  return m as CsvMethod;
}

/**
 * The bytes of a Buffer, TypedArray, DataView, ArrayBuffer or SharedArrayBuffer as a Uint8Array,
 * built from the engine's own offset and length (an instance's redefined `byteLength` changes
 * nothing). A detached buffer (its mapping unmapped, say) throws ERR_MMAPKIT_CLOSED; a mapping's
 * bytes that its protection table says cannot be read throw ERR_MMAPKIT_PROTECTED naming the
 * mapping's range (the native loops are guarded in any case; this gives the clearer message).
 */
function toBytes(data: unknown, name = 'data'): Uint8Array {
  let bytes: Uint8Array;
  const f = viewFacts(data);
  if (f !== undefined) {
    if (f.byteLength === 0 && isDetached(f.buffer)) throw detachedError(f.buffer, name);
    bytes = new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  } else if (types.isArrayBuffer(data) || types.isSharedArrayBuffer(data)) {
    if (isDetached(data)) throw detachedError(data, name);
    bytes = new Uint8Array(data);
  } else {
    throw invalidType(name, 'a Buffer, TypedArray, DataView or ArrayBuffer', data);
  }
  checkAccess(bytes.buffer, bytes.byteOffset, bytes.length, 'read');
  return bytes;
}

/**
 * A JavaScript CSV loop (the word loop or the bytewise loop) over `bytes`. Over a mapping's bytes the
 * mapping is checked first and, where its pages can raise SIGBUS, each chunk is probed by a guarded
 * native touch before the loop reads it.
 */
function jsLoop(bytes: Uint8Array, word: boolean, st: JsState, what: string): void {
  const probe: LoopProbe | undefined = checkLoop(bytes.buffer, bytes.byteOffset, bytes.length, 'read', what);
  if (probe === undefined) {
    if (word) jsWordRange(bytes, st);
    else jsBytewiseRange(bytes, 0, bytes.length, st);
    return;
  }
  const n = bytes.length;
  for (let off = 0; off < n; off += LOOP_CHUNK) {
    const len = Math.min(LOOP_CHUNK, n - off);
    probe(off, len);
    if (word) jsWordRange(bytes.subarray(off, off + len), st);
    else jsBytewiseRange(bytes, off, off + len, st);
  }
}

let nativeList: NativeMethod[] | undefined;

function nativeAvailable(): NativeMethod[] {
  if (!nativeList) nativeList = (binding().csvMethods() as string[]).map(fromBinding);
  return nativeList;
}

/** The native method index for the binding, after checking it is available here. */
function nativeIndex(m: CsvMethod): number {
  const name: NativeMethod = m === 'auto' ? fromBinding(binding().csvBestMethod() as string) : (m as NativeMethod);
  if (!nativeAvailable().includes(name)) {
    throw codedError(
      'ERR_MMAPKIT_UNSUPPORTED',
      `CSV-sum method '${name}' is not available on this machine (${process.arch}); available: ${csvMethods().join(', ')}`,
    );
  }
  return NATIVE_METHODS.indexOf(name);
}

/**
 * The methods that run on this machine: the native ones the CPU supports, then 'js' and 'js-bytewise'
 * (only those two where the native addon is not available). 'auto' is always accepted and is not
 * listed.
 */
export function csvMethods(): CsvMethod[] {
  return [...(addonAvailable() ? nativeAvailable() : []), ...(csvWasmAvailable() ? (['wasm'] as const) : []), 'js', 'js-bytewise'];
}

/** What 'auto' runs: the addon's best method, else 'wasm', else 'js'. */
function resolveAuto(m: CsvMethod): CsvMethod {
  if (m !== 'auto' || addonAvailable()) return m;
  return csvWasmAvailable() ? 'wasm' : 'js';
}

/** The wasm kernel over `bytes`, probing a file-backed mapping's chunks first (as jsLoop does). */
function wasmLoop(bytes: Uint8Array, st: WasmCsvState, what: string): void {
  const probe: LoopProbe | undefined = checkLoop(bytes.buffer, bytes.byteOffset, bytes.length, 'read', what);
  if (probe === undefined) {
    wasmCsvUpdate(bytes, st);
    return;
  }
  for (let off = 0; off < bytes.length; off += LOOP_CHUNK) {
    const len = Math.min(LOOP_CHUNK, bytes.length - off);
    probe(off, len);
    wasmCsvUpdate(bytes.subarray(off, off + len), st);
  }
}

/** The native method 'auto' chooses here ('avx512', 'avx2', 'neon' or 'swar'). */
export function csvBestMethod(): CsvMethod {
  return fromBinding(binding().csvBestMethod() as string);
}

// ------------------------------------------------------------------------------------------------
// JavaScript methods. State: sum and x as exact doubles while they are small, BigInt beyond.

interface JsState {
  /** Part of the sum kept as a double, always < 2^53 and exact. */
  sum: number;
  /** The rest of the sum, wrapped to 64 bits now and then. */
  big: bigint;
  /** The open number as an exact double, or -1 when it lives in xb. */
  x: number;
  xb: bigint;
}

const SUM_FLUSH = 4e15; // sum < 4e15 + (2 numbers < 1e15 each) stays below 2^53
const X_FAST_MAX = 4e14; // x <= 4e15 + 9, so sum + x stays below 2^53

function newJsState(): JsState {
  return { sum: 0, big: 0n, x: 0, xb: 0n };
}

/** The bytewise loop over b[start, end), exact: numbers that outgrow doubles continue in BigInt. */
function jsBytewiseRange(b: Uint8Array, start: number, end: number, st: JsState): void {
  let sum = st.sum;
  let x = st.x;
  let big = st.big;
  let xb = st.xb;
  let i = start;
  outer: while (i < end) {
    if (x < 0) {
      // The open number is a BigInt: finish it byte by byte.
      for (; i < end; i++) {
        const c = b[i];
        if (c >= 0x30 && c <= 0x39) {
          xb = BigInt.asUintN(64, xb * 10n + BigInt(c - 0x30));
        } else if (c === 0x2c || c === 0x0a) {
          big = BigInt.asUintN(64, big + xb);
          xb = 0n;
          x = 0;
          i++;
          continue outer;
        }
      }
      break;
    }
    for (; i < end; i++) {
      const c = b[i];
      if (c >= 0x30 && c <= 0x39) {
        if (x >= X_FAST_MAX) {
          xb = BigInt(x);
          x = -1;
          continue outer; // this digit again, on the BigInt path
        }
        x = x * 10 + (c - 0x30);
      } else if (c === 0x2c || c === 0x0a) {
        sum += x;
        x = 0;
        if (sum >= SUM_FLUSH) {
          big = BigInt.asUintN(64, big + BigInt(sum));
          sum = 0;
        }
      }
    }
  }
  st.sum = sum;
  st.x = x;
  st.big = big;
  st.xb = xb;
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

/** 2^27: the packed weights below keep the open number's part in the low 27 bits. */
const PACK = 134217728;
const UNPACK = 1 / PACK; // exact: a power of two
/** The word loop takes a step only while x < X_STEP_MAX, so 10^8 * x + 99999999 stays <= 4e15 + 10^8. */
const X_STEP_MAX = 4e7;

/**
 * Per two bytes (a 16-bit half of a little-endian word: the low byte comes first in the text), a
 * class and a value: bit 0 / bit 1 set when the first / second byte is a digit, bit 8 set when a
 * byte is none of '0'..'9', ',', '\n'; the value (bits 16 and up) is the pair's digits as one
 * number up to its last digit: "dd" gives 10 * d0 + d1 (both in the same number), "d," gives d0,
 * ",d" gives d1, ",," gives 0. A pair's value is then weighted by the weight of its last digit.
 */
const PAIR_TABLE = ((): Int32Array => {
  const t = new Int32Array(65536);
  const digit = (c: number): number => (c >= 0x30 && c <= 0x39 ? c - 0x30 : -1);
  const sep = (c: number): boolean => c === 0x2c || c === 0x0a;
  for (let h = 0; h < 65536; h++) {
    const c0 = h & 0xff;
    const c1 = h >>> 8;
    const d0 = digit(c0);
    const d1 = digit(c1);
    if ((d0 < 0 && !sep(c0)) || (d1 < 0 && !sep(c1))) {
      t[h] = 0x100;
      continue;
    }
    const value = d1 >= 0 ? (d0 >= 0 ? 10 * d0 + d1 : d1) : d0 >= 0 ? d0 : 0;
    t[h] = (d0 >= 0 ? 1 : 0) | (d1 >= 0 ? 2 : 0) | (value << 16);
  }
  return t;
})();

/**
 * Per digit pattern of an 8-byte step (bit k set: byte k is a digit; clear: ',' or '\n'), how the
 * step moves the state: sum += x * XS + hi(P), x = x * XX + lo(P), with P = sum(W[j] * pair[j])
 * over its four byte pairs. The weight of a pair is that of its last digit, packed: times 2^27
 * into the sum when a separator later in the step ends its number, or as is into x when its
 * number is still open at the end of the step. One multiply-add per pair, both parts exact
 * (P < 2^53, the part of x < 10^8 < 2^27). Row p holds [XS, XX, W0..W3, 0, 0].
 * Branch-free: no case depends on the data.
 */
const STEP_TABLE = ((): Float64Array => {
  const t = new Float64Array(256 * 8);
  for (let p = 0; p < 256; p++) {
    const row = p * 8;
    const isDigit = (k: number): boolean => ((p >> k) & 1) === 1;
    let first = -1;
    for (let k = 0; k < 8 && first < 0; k++) if (!isDigit(k)) first = k;
    t[row] = first >= 0 ? 10 ** first : 0;
    t[row + 1] = first >= 0 ? 0 : 1e8;
    for (let j = 0; j < 4; j++) {
      const i = isDigit(2 * j + 1) ? 2 * j + 1 : isDigit(2 * j) ? 2 * j : -1; // the pair's last digit
      if (i < 0) continue;
      let next = -1;
      for (let k = i + 1; k < 8 && next < 0; k++) if (!isDigit(k)) next = k;
      t[row + 2 + j] = next >= 0 ? 10 ** (next - 1 - i) * PACK : 10 ** (7 - i);
    }
  }
  return t;
})();

/** Steps per call of jsStepRange: short calls let the engine optimise it as a whole function. */
const STEP_BLOCK = 2048;

/**
 * Eight bytes at a time: each pair of aligned 32-bit words is classified by its four 16-bit halves
 * through PAIR_TABLE; a step of digits and separators only moves the state through STEP_TABLE
 * without a branch on the data; any other step (other bytes, or a number too long for exact doubles) goes
 * through the byte loop. The steps go by blocks of STEP_BLOCK.
 */
function jsWordRange(b: Uint8Array, st: JsState): void {
  const n = b.length;
  let head = (4 - (b.byteOffset & 3)) & 3;
  if (head > n) head = n;
  if (!LITTLE_ENDIAN || n - head < 16) {
    jsBytewiseRange(b, 0, n, st);
    return;
  }
  jsBytewiseRange(b, 0, head, st);
  const steps = (n - head) >>> 3;
  const u32 = new Int32Array(b.buffer, b.byteOffset + head, 2 * steps);
  for (let k = 0; k < steps; k += STEP_BLOCK) jsStepRange(b, u32, head, k, Math.min(steps, k + STEP_BLOCK), st);
  jsBytewiseRange(b, head + 8 * steps, n, st);
}

/** Steps k0..k1 of jsWordRange: step k reads u32[2k], u32[2k + 1], bytes head + 8k of b. */
function jsStepRange(b: Uint8Array, u32: Int32Array, head: number, k0: number, k1: number, st: JsState): void {
  const T = STEP_TABLE;
  const C = PAIR_TABLE;
  let sum = st.sum;
  let x = st.x;
  for (let k = k0; k < k1; k++) {
    const w0 = u32[2 * k];
    const w1 = u32[2 * k + 1];
    const e0 = C[w0 & 0xffff];
    const e1 = C[w0 >>> 16];
    const e2 = C[w1 & 0xffff];
    const e3 = C[w1 >>> 16];
    // Bits 0..7: the digit pattern; bits 8..15: set when a byte is not a digit, ',' or '\n'.
    const q = e0 | (e1 << 2) | (e2 << 4) | (e3 << 6);
    if ((q & 0xff00) !== 0 || !(x >= 0 && x < X_STEP_MAX)) {
      st.sum = sum;
      st.x = x;
      const at = head + 8 * k;
      jsBytewiseRange(b, at, at + 8, st);
      sum = st.sum;
      x = st.x;
      continue;
    }
    const r = (q & 0xff) << 3;
    const p = (e0 >>> 16) * T[r + 2] + (e1 >>> 16) * T[r + 3] + (e2 >>> 16) * T[r + 4] + (e3 >>> 16) * T[r + 5];
    const hi = Math.floor(p * UNPACK);
    sum += x * T[r] + hi;
    x = x * T[r + 1] + (p - hi * PACK);
    if (sum >= SUM_FLUSH) {
      st.big = BigInt.asUintN(64, st.big + BigInt(sum));
      sum = 0;
    }
  }
  st.sum = sum;
  st.x = x;
}

function jsTotal(st: JsState): bigint {
  return BigInt.asIntN(64, st.big + BigInt(st.sum));
}

function jsPending(st: JsState): bigint {
  return BigInt.asUintN(64, st.x < 0 ? st.xb : BigInt(st.x));
}

// ------------------------------------------------------------------------------------------------
// Public API

/**
 * Sums the numbers of CSV bytes with the bytewise loop's semantics (see the module comment). Works on a
 * mapping's buffer as on any Buffer. Native methods run with SIGBUS guarded: if the bytes belong
 * to a mapping whose file was truncated, this throws ERR_MMAPKIT_SIGBUS instead of crashing.
 */
export function csvSum(data: CsvBytes, options?: CsvSumOptions): bigint {
  // Options first: a getter in them runs before the bytes are looked at.
  const method = resolveAuto(toMethod(options, 'options'));
  const bytes = toBytes(data);
  if (method === 'wasm') {
    const st: WasmCsvState = { sum: 0n, x: 0n };
    wasmLoop(bytes, st, 'csvSum()');
    return BigInt.asIntN(64, st.sum);
  }
  if (method === 'js' || method === 'js-bytewise') {
    const st = newJsState();
    jsLoop(bytes, method === 'js', st, 'csvSum()');
    return jsTotal(st);
  }
  const index = nativeIndex(method);
  const threads = options?.threads === undefined ? 1 : toInt(options.threads, 'options.threads', 1, 1024);
  if (threads > 1) return binding().scanThreads(bytes, 0, index, threads, 1, READ_CHUNK).sum as bigint;
  return binding().csvSum(bytes, index) as bigint;
}

/**
 * The CSV sum over a stream of chunks (read() buffers, network data …): a number split between two
 * chunks is parsed as one. `sum` is what the bytewise loop would return for the bytes seen so far;
 * `pending` is the number still open (not yet ended by ',' or '\n').
 */
export class CsvSummer {
  readonly method: CsvMethod;
  #native = -1;
  #state = new BigUint64Array(2);
  #js: JsState = newJsState();
  #wasm: WasmCsvState | undefined;

  constructor(options?: CsvSumOptions) {
    this.method = toMethod(options, 'options');
    const m = resolveAuto(this.method);
    if (m === 'wasm') {
      csvWasmCheck();
      this.#wasm = { sum: 0n, x: 0n };
    } else if (m !== 'js' && m !== 'js-bytewise') this.#native = nativeIndex(m);
    this.#word = m !== 'js-bytewise';
  }

  #word: boolean;

  /** Adds a chunk. Returns this. */
  update(chunk: CsvBytes): this {
    const bytes = toBytes(chunk, 'chunk');
    if (this.#native >= 0) binding().csvSumChunk(bytes, this.#native, this.#state);
    else if (this.#wasm !== undefined) wasmLoop(bytes, this.#wasm, 'CsvSummer.update()');
    else jsLoop(bytes, this.#word, this.#js, 'CsvSummer.update()');
    return this;
  }

  /** The sum so far (signed 64-bit), without the pending number. */
  get sum(): bigint {
    if (this.#wasm !== undefined) return BigInt.asIntN(64, this.#wasm.sum);
    return this.#native >= 0 ? BigInt.asIntN(64, this.#state[0]) : jsTotal(this.#js);
  }

  /** The open number (unsigned 64-bit): digits seen since the last separator. */
  get pending(): bigint {
    if (this.#wasm !== undefined) return this.#wasm.x;
    return this.#native >= 0 ? this.#state[1] : jsPending(this.#js);
  }

  /** Starts over. */
  reset(): void {
    this.#state[0] = 0n;
    this.#state[1] = 0n;
    this.#js = newJsState();
    if (this.#wasm !== undefined) this.#wasm = { sum: 0n, x: 0n };
  }
}

const CSV_FILE_KEYS = ['method', 'via', 'chunkSize', 'threads'];
/** read() size when a file that was to be mapped is read instead (a pipe, FIFO, /proc file …). */
const READ_CHUNK = 1 << 20;

/**
 * Sums a CSV file, given by path or by an open file descriptor (which stays yours to close).
 *
 * A regular file with bytes in it is mapped or read in chunks: via 'auto' (the default) picks by
 * size (see {@link chooseCsvSource}), 'mmap' and 'read' force one; all give the same answer. With
 * a native method the work is split over `threads` threads (default: all cores), the pieces
 * combined exactly. Everything else is read with read() until end of file, whatever `via` says:
 * pipes and FIFOs, character devices (/dev/stdin), sockets given by descriptor, and regular files
 * whose size is 0 (the /proc and /sys files the kernel generates when read; a truly empty file
 * sums to 0n). A FIFO given by path blocks in open until a writer opens it, as reading a FIFO
 * does, and the sum ends at end of file (when the last writer closes). `csvSumFile(0)` sums
 * standard input. By descriptor, the bytes from its current offset are summed (a regular file's
 * offset is not moved; a pipe's bytes are consumed). {@link csvSumFileDetails} also says which
 * source was taken and why; {@link csvSumFileAsync} runs off the main thread.
 */
export function csvSumFile(file: string | number, options?: CsvSumFileOptions): bigint {
  return csvSumFileDetails(file, options).sum;
}

/** What {@link csvSumFileDetails} and {@link csvSumFileAsync} return. */
export interface CsvFileSum {
  /** The sum (signed 64-bit), as csvSumFile returns it. */
  sum: bigint;
  /** Bytes summed. */
  bytes: number;
  /** The method asked for ('auto' stays 'auto'; see csvBestMethod). */
  method: CsvMethod;
  /** The source taken: 'mmap' or 'read'. */
  via: 'mmap' | 'read';
  /** Why that source: 'asked', or the rule that chose it. */
  reason: string;
  /** Threads the sum ran on. */
  threads: number;
}

/** The checked options of a file sum (shared with the asynchronous form). */
export interface CsvFileArgs {
  method: CsvMethod;
  via: 'auto' | 'mmap' | 'read';
  chunkSize: number | undefined;
  threads: number | undefined;
}

/** @internal Checks csvSumFile's arguments (the file, then the options). */
export function toCsvFileArgs(file: unknown, options: unknown, known = CSV_FILE_KEYS): CsvFileArgs {
  toPathOrFd(file, 'file');
  const o = toOptions<CsvSumFileOptions>(options, 'options', known);
  const method = toMethod(o, 'options');
  const via = o.via === undefined ? 'auto' : toChoice(o.via, 'options.via', ['auto', 'mmap', 'read'] as const);
  const chunkSize = o.chunkSize === undefined ? undefined : toInt(o.chunkSize, 'options.chunkSize', 1, 2 ** 31 - 1);
  const threads = o.threads === undefined ? undefined : toInt(o.threads, 'options.threads', 1, 1024);
  return { method, via, chunkSize, threads };
}

/** csvSumFile, also saying which source was taken and why, and on how many threads. */
export function csvSumFileDetails(file: string | number, options?: CsvSumFileOptions): CsvFileSum {
  const a = toCsvFileArgs(file, options);
  const { method } = a;
  const details = (sum: bigint, bytes: number, via: 'mmap' | 'read', reason: string, threads = 1): CsvFileSum => ({ sum, bytes, method, via, reason, threads });
  // Without the addon (macOS, Windows, MMAPKIT_NO_ADDON=1) the file is read through Node's fs.
  const native = addonAvailable();
  // A path is opened blocking: a FIFO waits for its writer here, as any reader of a FIFO does.
  let fd: number;
  try {
    fd = typeof file === 'number' ? file : fs.openSync(file, 'r');
  } catch (err) {
    throw fromFsError(err);
  }
  try {
    const { size, type } = native ? statFd(fd) : jsStatFd(fd);
    if (!READABLE_TYPES.includes(type)) {
      // An anonymous inode: an eventfd, epoll, timerfd or signalfd descriptor (Node's own among
      // them). read() on those waits for events, never for end of file.
      throw codedError(
        'ERR_INVALID_ARG_VALUE',
        `csvSumFile(): ${typeof file === 'number' ? `fd ${file}` : `'${file}'`} is not a file, pipe, socket or device (an event, epoll or timer descriptor?), so it has no end to read to`,
      );
    }
    refuseEndless('csvSumFile()', file, fd, type);
    // By descriptor, start where its offset is (a redirected standard input may have been read
    // from); without the addon the offset cannot be read, so the descriptor's own offset is used.
    const byFd = typeof file === 'number' && type === S_IFREG;
    const start = byFd ? (native ? Math.max(0, binding().fdOffset(fd) as number) : -1) : 0;
    const streamChunk = Math.min(a.chunkSize ?? READ_CHUNK, a.via === 'read' ? 2 ** 31 - 1 : READ_CHUNK);
    if (type === S_IFREG && start >= 0 && size > start) {
      const length = size - start;
      const src = chooseCsvSource(length, a.via, native);
      if (native && isNativeMethod(method) && !(src.via === 'mmap' && a.chunkSize !== undefined)) {
        try {
          const r = fileScanArgs(fd, start, length, src.via, a, 'csvSumFile()');
          return details(binding().fileScan(...r).sum as bigint, length, src.via, src.reason, threadsOf(r));
        } catch (err) {
          // A file system without mmap (some FUSE and sysfs files): read it instead.
          if (src.via !== 'mmap' || (err as { code?: string }).code !== 'ENODEV') throw err;
          const r = fileScanArgs(fd, start, length, 'read', a, 'csvSumFile()');
          return details(binding().fileScan(...r).sum as bigint, length, 'read', 'the file system cannot map it', threadsOf(r));
        }
      }
      if (src.via === 'mmap') {
        try {
          return details(sumMapped(fd, start, length, a.chunkSize ?? 1 << 30, method), length, 'mmap', src.reason);
        } catch (err) {
          if ((err as { code?: string }).code !== 'ENODEV') throw err;
        }
      }
      const r = sumRead(fd, start, a.via === 'read' ? (a.chunkSize ?? READ_CHUNK) : streamChunk, method);
      return details(r.sum, r.bytes, 'read', src.via === 'read' ? src.reason : 'the file system cannot map it');
    }
    if (type === S_IFDIR) throw systemError(EISDIR, 'read', typeof file === 'number' ? undefined : file, 'Is a directory');
    const r = sumRead(fd, type === S_IFREG ? start : -1, streamChunk, method);
    return details(r.sum, r.bytes, 'read', type === S_IFREG ? 'its size reads as 0 (a generated file)' : 'not a regular file');
  } finally {
    if (typeof file !== 'number') fs.closeSync(fd);
  }
}

/** @internal Whether a method runs in the addon (and can be split over threads there). */
export function isNativeMethod(m: CsvMethod): boolean {
  return (m === 'auto' && addonAvailable()) || (NATIVE_METHODS as readonly string[]).includes(m);
}

/** Threads a file job asks for, from the tuple below. */
function threadsOf(r: unknown[]): number {
  const [, , length, , , , , threads, minPer] = r as number[];
  return Math.max(1, Math.min(threads, Math.floor(length / minPer) || 1));
}

/**
 * @internal The arguments of binding().fileScan / fileScanAsync for a CSV sum (kind 0), a byte
 * sum (1) or a page touch (2) of [start, start + length) of fd.
 */
export function fileScanArgs(
  fd: number,
  start: number,
  length: number,
  via: 'mmap' | 'read',
  a: { method?: CsvMethod; threads: number | undefined; chunkSize?: number },
  what: string,
  kind = 0,
): [number, number, number, boolean, string, number, number, number, number, number] {
  const method = kind === 0 ? nativeIndex(a.method ?? 'auto') : 0;
  const threads = a.threads ?? defaultThreads();
  // Asked for: exactly that many pieces (at least a byte each); by default, at least 4 MiB each.
  const minPer = a.threads !== undefined ? 1 : MIN_BYTES_PER_THREAD;
  const readChunk = via === 'read' ? (a.chunkSize ?? READ_CHUNK) : READ_CHUNK;
  return [fd, start, length, via === 'mmap', what, kind, method, threads, minPer, readChunk];
}

/** The file types csvSumFile reads: regular files, directories (refused by read), pipes, sockets, devices. */
const READABLE_TYPES = [S_IFREG, S_IFDIR, fs.constants.S_IFIFO, fs.constants.S_IFSOCK, fs.constants.S_IFCHR, fs.constants.S_IFBLK];

/** fstat(2) through Node's fs, for hosts without the addon: the size and the type bits. */
function jsStatFd(fd: number): { size: number; type: number } {
  const st = fs.fstatSync(fd);
  return { size: st.size, type: st.mode & fs.constants.S_IFMT };
}

/** The CSV sum of [start, start + length) of a regular file, mapped, parsed window by window. */
function sumMapped(fd: number, start: number, length: number, chunkSize: number, method: CsvMethod): bigint {
  const m = mapFile(fd, { mode: 'readonly', offset: start, length });
  try {
    if (m.length <= chunkSize) return csvSum(m.buffer, { method });
    const summer = new CsvSummer({ method });
    for (let off = 0; off < m.length; off += chunkSize) summer.update(m.view(off, Math.min(chunkSize, m.length - off)));
    return summer.sum;
  } finally {
    m.unmap();
  }
}

/**
 * The CSV sum of what read() gives until end of file: from byte `position` on (pread; the file
 * offset is not moved), or at the descriptor's offset when position is -1 (pipes, FIFOs, devices).
 */
function sumRead(fd: number, position: number, chunkSize: number, method: CsvMethod): { sum: bigint; bytes: number } {
  const native = addonAvailable();
  const summer = new CsvSummer({ method });
  const buf = Buffer.allocUnsafe(chunkSize);
  let at = position;
  let bytes = 0;
  for (;;) {
    const got = native ? (binding().readFd(fd, buf, at) as number) : jsRead(fd, buf, at);
    if (got === 0) break;
    summer.update(buf.subarray(0, got));
    bytes += got;
    if (at >= 0) at += got;
  }
  return { sum: summer.sum, bytes };
}

/** read(2) through Node's fs (no addon): waits out EAGAIN on a non-blocking descriptor. */
function jsRead(fd: number, buf: Buffer, position: number): number {
  for (;;) {
    try {
      return fs.readSync(fd, buf, 0, buf.length, position >= 0 ? position : null);
    } catch (err) {
      if ((err as { code?: string }).code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Native byte loops for scans and benchmarks

/**
 * Sum of all bytes (each 0..255) — a native loop that reads every byte, vectorised when the CPU
 * allows ({ plain: true } forces the plain loop). SIGBUS-guarded like csvSum.
 */
export function scanByteSum(data: CsvBytes, options?: { plain?: boolean }): number {
  const o = toOptions<{ plain: boolean }>(options, 'options', ['plain']);
  const plain = o.plain === undefined ? false : toBool(o.plain, 'options.plain');
  return binding().scanByteSum(toBytes(data), plain) as number;
}

/** Sum of one byte every `stride` bytes (stride = page size reads one byte per page). */
export function scanStrideSum(data: CsvBytes, stride: number): number {
  const st = toInt(stride, 'stride', 1, Number.MAX_SAFE_INTEGER);
  return binding().scanStrideSum(toBytes(data), st) as number;
}

/** Adds 1 to one byte every `stride` bytes: a write fault on each fresh page. */
export function scanTouchWrite(data: CsvBytes, stride: number): void {
  const st = toInt(stride, 'stride', 1, Number.MAX_SAFE_INTEGER);
  const bytes = toBytes(data);
  checkAccess(bytes.buffer, bytes.byteOffset, bytes.length, 'write');
  binding().scanStrideTouchWrite(bytes, st);
}

/**
 * `count` 4-byte little-endian reads at pseudo-random 4-byte-aligned offsets (xorshift64 from
 * `seed`), summed: a native random-access loop. {@link randomOffsets} yields the same offsets.
 * `data` must hold at least 4 bytes; `count` is an integer >= 0, `seed` a safe integer >= 0.
 */
export function scanRandomRead32(data: CsvBytes, count: number, seed = 1): number {
  const n = toInt(count, 'count', 0, Number.MAX_SAFE_INTEGER);
  const sd = toInt(seed, 'seed', 0, Number.MAX_SAFE_INTEGER);
  return binding().scanRandomRead32(toBytes(data), n, sd) as number;
}

/** The most offsets {@link randomOffsets} returns in one array (2^27 numbers, 1 GiB). */
const MAX_OFFSETS = 2 ** 27;

/**
 * The offsets scanRandomRead32 reads, for a region of `length` bytes (same generator, same seed):
 * `count` multiples of 4 below `length` rounded down to a multiple of 4. `length` is an integer
 * from 4 (one 4-byte read fits) to 2^53 - 1, `count` an integer from 0 to 2^27, `seed` a safe
 * integer >= 0 (0 stands for a fixed non-zero seed, as in scanRandomRead32).
 */
export function randomOffsets(length: number, count: number, seed = 1): Float64Array {
  const len = toInt(length, 'length', 4, Number.MAX_SAFE_INTEGER);
  const n = toInt(count, 'count', 0, MAX_OFFSETS);
  const sd = toInt(seed, 'seed', 0, Number.MAX_SAFE_INTEGER);
  const out = new Float64Array(n);
  const slots = BigInt(Math.floor(len / 4));
  let r = sd === 0 ? 0x9e3779b97f4a7c15n : BigInt(sd);
  const M = (1n << 64n) - 1n;
  for (let k = 0; k < n; k++) {
    r ^= (r << 13n) & M;
    r ^= r >> 7n;
    r ^= (r << 17n) & M;
    out[k] = Number((r % slots) * 4n);
  }
  return out;
}
