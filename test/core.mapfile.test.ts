import * as fs from 'node:fs';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fileResidency, mapAnonymous, mapFile, pageSize, bytewiseCsvSum } from '../lib';
import { TINY_CSV, mappingTracker, tempDir } from './support/helpers';

const dir = tempDir();
const track = mappingTracker();

function file(name: string, data: Buffer | string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return p;
}

describe('mapping files', () => {
  it('sums tiny.csv to 847 with the bytewise loop', () => {
    const p = file('tiny.csv', TINY_CSV);
    const m = track(mapFile(p));
    expect(m.length).toBe(16);
    expect(m.buffer.equals(TINY_CSV)).toBe(true);
    expect(bytewiseCsvSum(m)).toBe(847n);
    expect(inspect(m)).toBe(`Mapping { kind: 'file', mode: 'readonly', offset: 0, length: 16, path: '${p}', closed: false }`);
  });

  it('maps a 9000-byte file onto 3 pages; the rest of the last page reads as zero', () => {
    expect(pageSize()).toBe(4096);
    const data = Buffer.alloc(9000, 0x61);
    const p = file('nine.bin', data);
    const m = track(mapFile(p, { length: 3 * 4096 }));
    m.touch();
    const r = m.residency();
    expect(r.pages).toBe(3);
    expect(r.resident).toBe(3);
    expect(m.read(0, 9000).equals(data)).toBe(true);
    const tail = m.read(9000, 12288 - 9000);
    expect(tail.length).toBe(3288);
    expect(tail.every((b) => b === 0)).toBe(true);
    expect(m.load8(12287)).toBe(0);
  });

  it('reads offset 9999 of a 10 000-byte file: 3 pages, the last byte of the file', () => {
    const data = Buffer.alloc(10000);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    const m = track(mapFile(file('ten.bin', data)));
    expect(m.residency().pages).toBe(3);
    expect(m.load8(9999)).toBe(9999 % 251);
  });

  it('accepts an offset that is not page-aligned and exposes exactly the requested bytes', () => {
    const data = Buffer.alloc(20000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    const p = file('unaligned.bin', data);
    const m = track(mapFile(p, { offset: 5001, length: 333 }));
    expect(m.length).toBe(333);
    expect(m.offset).toBe(5001);
    expect(m.buffer.equals(data.subarray(5001, 5334))).toBe(true);
    const rest = track(mapFile(p, { offset: 12345n }));
    expect(rest.length).toBe(20000 - 12345);
    expect(rest.load8(0)).toBe(data[12345]);
  });

  it('maps a sparse file over 4 GiB at offsets past 2 GiB and 4 GiB', () => {
    const p = path.join(dir, 'sparse.bin');
    const fd = fs.openSync(p, 'w+');
    const far = 4 * 1024 ** 3 + 12345; // past 4 GiB, not page-aligned
    fs.writeSync(fd, Buffer.from('far away'), 0, 8, far);
    fs.writeSync(fd, Buffer.from('middle'), 0, 6, 2 ** 31 + 1);
    fs.closeSync(fd);
    expect(fs.statSync(p).size).toBe(far + 8);
    const m = track(mapFile(p, { offset: BigInt(far), length: 8 }));
    expect(m.buffer.toString()).toBe('far away');
    const mid = track(mapFile(p, { offset: 2 ** 31 + 1, length: 6 }));
    expect(mid.buffer.toString()).toBe('middle');
    // The whole 4 GiB+ file in one mapping: too large for one Buffer in Node 20, but views work.
    const all = track(mapFile(p));
    expect(all.length).toBe(far + 8);
    expect(all.view(far, 8).toString()).toBe('far away');
    expect(all.load8(far)).toBe('f'.charCodeAt(0));
    expect(all.read(2 ** 31 + 1, 6).toString()).toBe('middle');
  });

  it('maps by file descriptor and leaves the descriptor open', () => {
    const p = file('byfd.txt', 'hello by fd');
    const fd = fs.openSync(p, 'r');
    try {
      const m = track(mapFile(fd));
      expect(m.buffer.toString()).toBe('hello by fd');
      expect(fs.fstatSync(fd).size).toBe(11);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('gives an empty mapping for an empty file or a zero length', () => {
    const p = file('empty.bin', '');
    const m = track(mapFile(p));
    expect(m.length).toBe(0);
    expect(m.buffer.length).toBe(0);
    expect(m.read().length).toBe(0);
    expect(m.residency().pages).toBe(0);
    m.sync();
    const z = track(mapFile(file('z.bin', 'abc'), { length: 0 }));
    expect(z.length).toBe(0);
    const a = track(mapAnonymous(0));
    expect(a.buffer.length).toBe(0);
    expect(() => z.resize(10)).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_UNSUPPORTED' }));
  });

  it('refuses an offset past the end of the file when no length is given', () => {
    const p = file('short.bin', 'abc');
    expect(() => mapFile(p, { offset: 4 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it("keeps 'private' writes out of the file and puts 'readwrite' writes into it", () => {
    const p = file('modes.txt', 'ABC\n' + 'x'.repeat(4092));
    const priv = track(mapFile(p, { mode: 'private' }));
    priv.store8(1, 0x78);
    expect(priv.read(0, 4).toString()).toBe('AxC\n');
    expect(fs.readFileSync(p).subarray(0, 4).toString()).toBe('ABC\n');
    const shared = track(mapFile(p, { mode: 'readwrite' }));
    expect(shared.read(0, 4).toString()).toBe('ABC\n');
    shared.write(2, 'Z');
    shared.sync();
    expect(fs.readFileSync(p).subarray(0, 4).toString()).toBe('ABZ\n');
  });

  it('refuses library writes to a read-only mapping with ERR_MMAPKIT_READ_ONLY', () => {
    const m = track(mapFile(file('ro.txt', 'read only')));
    expect(() => m.write(0, 'x')).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_READ_ONLY' }));
    expect(() => m.store8(0, 1)).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_READ_ONLY' }));
    expect(() => m.store64(0, 1n)).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_READ_ONLY' }));
    expect(() => m.protect('readwrite')).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_READ_ONLY' }));
    expect(m.buffer.toString()).toBe('read only');
  });

  it('reports a missing file like fs does: ENOENT, errno, syscall and path', () => {
    const missing = path.join(dir, 'nope.bin');
    try {
      mapFile(missing);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'open', path: missing });
      expect((err as Error).message).toBe(`ENOENT: no such file or directory, open '${missing}'`);
    }
  });

  it('reports mapping a directory with the mmap or open error', () => {
    expect(() => mapFile(dir)).toThrow(expect.objectContaining({ syscall: expect.stringMatching(/open|mmap|fstat/) }));
  });

  it('reads and writes little-endian values through the MemoryView methods', () => {
    const m = track(mapAnonymous(64));
    m.store16(0, 0xbeef);
    m.store32(4, 0xdeadbeef);
    m.store64(8, 0x1122334455667788n);
    expect(m.load16(0)).toBe(0xbeef);
    expect(m.load32(4)).toBe(0xdeadbeef);
    expect(m.load64(8)).toBe(0x1122334455667788n);
    // The seed's little-endian example: 88 77 66 55 44 33 22 11.
    expect([...m.read(8, 8)]).toEqual([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
    expect(() => m.load32(62)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => m.load8(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => m.load8(1.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('fileResidency counts pages of a file in the page cache', () => {
    const p = file('res.bin', Buffer.alloc(5 * 4096 + 1, 1));
    const r = fileResidency(p, { vector: true });
    expect(r.pages).toBe(6);
    expect(r.bytes).toBe(5 * 4096 + 1);
    expect(r.vector?.length).toBe(6);
    expect(r.resident).toBeLessThanOrEqual(6);
  });
});
