/**
 * The 'wasm' CSV-sum method: a WebAssembly SIMD128 kernel (wasm/csv_sum.cc, shipped built as
 * wasm/csv-sum.wasm) that runs wherever WebAssembly with SIMD does: Node without the addon, Bun,
 * Deno, browsers. Bytes are copied into the module's memory 1 MiB at a time and summed there; the
 * state (sum, open number) is kept across chunks, so a number split between two chunks is one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { codedError, hasCode } from '../errors';
import { invalidType } from '../validate';
import { packageRoot } from '../native';

interface Kernel {
  mem: Uint8Array;
  view: DataView;
  input: number;
  capacity: number;
  state: number;
  run: (n: number) => void;
}

/** The little of the WebAssembly API used here (the DOM typings are not part of this build). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasmApi = (): WasmApi | undefined => (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let kernel: Kernel | undefined;
let failure: string | undefined;

/** The shipped module's path. */
export function csvWasmPath(): string {
  return path.join(packageRoot(), 'wasm', 'csv-sum.wasm');
}

function instantiate(bytes: Uint8Array): Kernel {
  const api = wasmApi();
  if (api === undefined) throw codedError('ERR_MMAPKIT_UNSUPPORTED', 'this runtime has no WebAssembly');
  const e = new api.Instance(new api.Module(bytes), {}).exports;
  const memory = e.memory as { buffer: ArrayBuffer };
  const call = (name: string): number => (e[name] as () => number)();
  return {
    mem: new Uint8Array(memory.buffer),
    view: new DataView(memory.buffer),
    input: call('csv_buffer'),
    capacity: call('csv_capacity'),
    state: call('csv_state'),
    run: e.csv_run as (n: number) => void,
  };
}

/**
 * Installs the kernel from the bytes of csv-sum.wasm, where the package's files cannot be read
 * (a browser bundle: fetch the file, then call this once). Elsewhere it loads on first use.
 */
export function initCsvWasm(bytes: ArrayBufferView | ArrayBuffer): void {
  if (!(bytes instanceof ArrayBuffer) && !ArrayBuffer.isView(bytes)) throw invalidType('bytes', 'an ArrayBuffer or an ArrayBufferView', bytes);
  const b = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    kernel = instantiate(b);
  } catch (err) {
    if (err instanceof Error && !hasCode(err))
      throw codedError('ERR_INVALID_ARG_VALUE', `The "bytes" argument is not mmapkit's CSV-sum WebAssembly module (${err.message})`);
    throw err;
  }
  failure = undefined;
}

function load(): Kernel {
  if (kernel !== undefined) return kernel;
  if (failure === undefined) {
    try {
      kernel = instantiate(fs.readFileSync(csvWasmPath()));
      return kernel;
    } catch (err) {
      failure = (err as Error).message;
    }
  }
  throw codedError(
    'ERR_MMAPKIT_UNSUPPORTED',
    `CSV-sum method 'wasm' is not available here: ${failure} (it needs WebAssembly with SIMD128 and wasm/csv-sum.wasm)`,
  );
}

/** Whether the 'wasm' method runs here (WebAssembly with SIMD128, the module found). */
export function csvWasmAvailable(): boolean {
  try {
    load();
    return true;
  } catch {
    return false;
  }
}

/** The CSV state the kernel carries: the sum and the open number, as unsigned 64-bit. */
export interface WasmCsvState {
  sum: bigint;
  x: bigint;
}

/**
 * Sums `bytes` into `st` (chunks of at most the kernel's capacity: callers probing a mapping
 * pass chunks they have probed).
 */
export function wasmCsvUpdate(bytes: Uint8Array, st: WasmCsvState): void {
  const k = load();
  k.view.setBigUint64(k.state, st.sum, true);
  k.view.setBigUint64(k.state + 8, st.x, true);
  const n = bytes.length;
  for (let off = 0; off < n; off += k.capacity) {
    const len = Math.min(k.capacity, n - off);
    k.mem.set(off === 0 && len === n ? bytes : bytes.subarray(off, off + len), k.input);
    k.run(len);
  }
  st.sum = k.view.getBigUint64(k.state, true);
  st.x = k.view.getBigUint64(k.state + 8, true);
}

/** Throws ERR_MMAPKIT_UNSUPPORTED when the 'wasm' method cannot run here. */
export function csvWasmCheck(): void {
  load();
}
