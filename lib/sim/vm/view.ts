/**
 * A pointer into a simulated process: a {@link MemoryView} whose loads and stores go through that
 * process's TLB, page tables and fault handler, exactly like the CPU's would.
 */
import { codedError } from '../../errors';
import type { MemoryView } from '../../interfaces';
import type { SimTlb } from './tlb';
import { C_HITS } from './constants';
import { isSimProcess } from './files';
import type { Mmu } from './mmu';
import type { SimProcess } from './process';
import { simBytes, simInteger, simNum, simBig } from '../../validate';
import { invalidType, toInt } from '../../validate';

/**
 * A mapping in a simulated process, seen through the MemoryView interface. Offsets are relative to
 * `address`; like a C pointer, the view does not stop at `length`: an access past the mapping's
 * last page meets whatever the address space holds there (usually nothing: SIGSEGV), and bytes
 * past `length` inside the last page are accessible as they are in C.
 *
 * The hot path keeps the TLB slot of the last page used and checks, with one typed-array read, that
 * the TLB still holds that entry; a hit then counts as a TLB hit and makes the entry most recently used.
 */
export class SimMapping implements MemoryView {
  /** Virtual address of byte 0. */
  readonly address: number;
  /** Length in bytes. */
  readonly length: number;
  readonly process: SimProcess;
  private readonly mmu: Mmu;
  private readonly mem: Uint8Array;
  private readonly dv: DataView;
  private readonly ctr: Float64Array;
  // Cached translation: view offsets [cOff, cOff + cSpan) → physical cBase.
  private cOff = 0;
  private cSpan = -1;
  private cBase = 0;
  private cSlot = 0;
  private cGen = -1;
  private cWritable = false;
  private tlb: SimTlb | null = null;
  private tlbGen: Float64Array = new Float64Array(1);
  private tlbMru: Int32Array = new Int32Array(1);
  private cSet = 0;

  constructor(process: SimProcess, address: number, length: number) {
    if (!isSimProcess(process)) throw invalidType('process', 'an instance of SimProcess', process);
    if (simInteger(address, 'address') < 0 || address > 2 ** 48) {
      throw codedError('ERR_OUT_OF_RANGE', `The value of "address" is out of range. It must be >= 0 and <= 2^48. Received ${address}`);
    }
    if (simInteger(length, 'length') < 0 || length > 2 ** 48) {
      throw codedError('ERR_OUT_OF_RANGE', `The value of "length" is out of range. It must be >= 0 and <= 2^48. Received ${length}`);
    }
    this.process = process;
    this.mmu = process.k.mmu;
    this.address = address;
    this.length = length;
    this.mem = process.k.frames.mem;
    this.dv = new DataView(this.mem.buffer, this.mem.byteOffset, this.mem.byteLength);
    this.ctr = process.ctr;
  }

  private hit(): void {
    if (this.tlbMru[this.cSet] !== this.cSlot) this.tlb!.touch(this.cSlot);
    this.ctr[C_HITS]++;
  }

  /** Translate through the kernel (TLB lookup, walk, fault) and cache the entry used. */
  private slow(offset: number, size: number, write: boolean): number {
    if (typeof offset !== 'number' || !Number.isInteger(offset)) {
      throw codedError('ERR_INVALID_ARG_TYPE', `The "offset" argument must be an integer. Received ${String(offset)}`);
    }
    const v = this.address + offset;
    if (v < 0 || v + size > 2 ** 48) {
      throw codedError('ERR_OUT_OF_RANGE', `The address 0x${v.toString(16)} is outside the 48-bit address space.`);
    }
    const vm = this.mmu;
    const phys = vm.translate(this.process, v, write);
    if (v - vm.tPage + size > vm.tSpan) return -1; // straddles two pages
    this.cOff = vm.tPage - this.address;
    this.cSpan = vm.tSpan;
    this.cBase = vm.tBase;
    this.cSlot = vm.tSlot;
    this.cGen = vm.tGen;
    this.cWritable = vm.tWritable;
    this.tlb = vm.tTlb;
    this.tlbGen = vm.tTlb.gen;
    this.tlbMru = vm.tTlb.mru;
    this.cSet = vm.tTlb.setOf[vm.tSlot];
    return phys;
  }

  load8(offset: number): number {
    if (typeof offset !== 'number') simNum(offset, 'offset');
    const o = offset - this.cOff;
    if (o >>> 0 === o && o < this.cSpan && this.tlbGen[this.cSlot] === this.cGen) {
      this.hit();
      return this.mem[this.cBase + o];
    }
    return this.mem[this.slow(offset, 1, false)];
  }

  load16(offset: number): number {
    if (typeof offset !== 'number') simNum(offset, 'offset');
    const o = offset - this.cOff;
    if (o >>> 0 === o && o + 2 <= this.cSpan && this.tlbGen[this.cSlot] === this.cGen) {
      this.hit();
      return this.dv.getUint16(this.cBase + o, true);
    }
    const a = this.slow(offset, 2, false);
    return a >= 0 ? this.dv.getUint16(a, true) : Number(this.process.straddleLoad(this.address + offset, 2));
  }

  load32(offset: number): number {
    if (typeof offset !== 'number') simNum(offset, 'offset');
    const o = offset - this.cOff;
    if (o >>> 0 === o && o + 4 <= this.cSpan && this.tlbGen[this.cSlot] === this.cGen) {
      this.hit();
      return this.dv.getUint32(this.cBase + o, true);
    }
    const a = this.slow(offset, 4, false);
    return a >= 0 ? this.dv.getUint32(a, true) : Number(this.process.straddleLoad(this.address + offset, 4));
  }

  load64(offset: number): bigint {
    if (typeof offset !== 'number') simNum(offset, 'offset');
    const o = offset - this.cOff;
    if (o >>> 0 === o && o + 8 <= this.cSpan && this.tlbGen[this.cSlot] === this.cGen) {
      this.hit();
      return this.dv.getBigUint64(this.cBase + o, true);
    }
    const a = this.slow(offset, 8, false);
    return a >= 0 ? this.dv.getBigUint64(a, true) : this.process.straddleLoad(this.address + offset, 8);
  }

  store8(offset: number, value: number): void {
    if (typeof offset !== 'number') simNum(offset, 'offset');
    if (typeof value !== 'number') simNum(value, 'value');
    const o = offset - this.cOff;
    if (o >>> 0 === o && o < this.cSpan && this.cWritable && this.tlbGen[this.cSlot] === this.cGen) {
      this.hit();
      this.mem[this.cBase + o] = value;
      return;
    }
    this.mem[this.slow(offset, 1, true)] = value;
  }

  store16(offset: number, value: number): void {
    if (typeof offset !== 'number') simNum(offset, 'offset');
    if (typeof value !== 'number') simNum(value, 'value');
    const o = offset - this.cOff;
    if (o >>> 0 === o && o + 2 <= this.cSpan && this.cWritable && this.tlbGen[this.cSlot] === this.cGen) {
      this.hit();
      this.dv.setUint16(this.cBase + o, value, true);
      return;
    }
    const a = this.slow(offset, 2, true);
    if (a >= 0) this.dv.setUint16(a, value, true);
    else this.process.straddleStore(this.address + offset, 2, BigInt(value & 0xffff));
  }

  store32(offset: number, value: number): void {
    if (typeof offset !== 'number') simNum(offset, 'offset');
    if (typeof value !== 'number') simNum(value, 'value');
    const o = offset - this.cOff;
    if (o >>> 0 === o && o + 4 <= this.cSpan && this.cWritable && this.tlbGen[this.cSlot] === this.cGen) {
      this.hit();
      this.dv.setUint32(this.cBase + o, value, true);
      return;
    }
    const a = this.slow(offset, 4, true);
    if (a >= 0) this.dv.setUint32(a, value, true);
    else this.process.straddleStore(this.address + offset, 4, BigInt(value >>> 0));
  }

  store64(offset: number, value: bigint): void {
    if (typeof offset !== 'number') simNum(offset, 'offset');
    if (typeof value !== 'bigint') simBig(value, 'value');
    const o = offset - this.cOff;
    if (o >>> 0 === o && o + 8 <= this.cSpan && this.cWritable && this.tlbGen[this.cSlot] === this.cGen) {
      this.hit();
      this.dv.setBigUint64(this.cBase + o, value, true);
      return;
    }
    const a = this.slow(offset, 8, true);
    if (a >= 0) this.dv.setBigUint64(a, value, true);
    else this.process.straddleStore(this.address + offset, 8, BigInt.asUintN(64, value));
  }

  /**
   * Copy `length` bytes starting at `offset` out of the mapping, like memcpy: one translation per
   * page touched (faults as a load would), then the page's bytes at once.
   */
  read(offset: number, length: number): Uint8Array {
    simNum(offset, 'offset');
    toInt(length, 'length', 0, this.mem.length);
    const out = new Uint8Array(length);
    for (let done = 0; done < length;) {
      const a = this.slow(offset + done, 1, false);
      const k = Math.min(length - done, this.mmu.tSpan - (this.address + offset + done - this.mmu.tPage));
      out.set(this.mem.subarray(a, a + k), done);
      done += k;
    }
    return out;
  }

  /** Store `bytes` starting at `offset`, like memcpy: one translation per page touched, as a store. */
  write(offset: number, bytes: Uint8Array): void {
    simNum(offset, 'offset');
    simBytes(bytes, 'bytes', 'read');
    for (let done = 0; done < bytes.length;) {
      const a = this.slow(offset + done, 1, true);
      const k = Math.min(bytes.length - done, this.mmu.tSpan - (this.address + offset + done - this.mmu.tPage));
      this.mem.set(bytes.subarray(done, done + k), a);
      done += k;
    }
  }
}
