// Arguments of csvSumFile, the native scans and randomOffsets: unknown or mistyped options and
// out-of-range numbers throw before any work, with exact codes and messages.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvSumFile, randomOffsets, scanByteSum, scanRandomRead32, scanStrideSum, scanTouchWrite } from '../lib';
import { tempDir, TINY_CSV, expectCode } from './support/helpers';

const dir = tempDir('mmapkit-csvargs-');
const file = path.join(dir, 'tiny.csv');
fs.writeFileSync(file, TINY_CSV);

describe('csvSumFile arguments', () => {
  it('sums by path and by descriptor', () => {
    expect(csvSumFile(file)).toBe(847n);
    const fd = fs.openSync(file, 'r');
    try {
      expect(csvSumFile(fd)).toBe(847n);
      expect(csvSumFile(fd, { via: 'read', chunkSize: 5, method: 'js' })).toBe(847n);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('refuses unknown options', () => {
    expectCode(
      () => csvSumFile(file, { chunk: 4 } as never),
      TypeError,
      'ERR_INVALID_ARG_VALUE',
      'Unknown option "chunk" in "options". Known options: method, via, chunkSize, threads',
    );
    expectCode(() => csvSumFile(file, { method: 'js', bogus: true } as never), TypeError, 'ERR_INVALID_ARG_VALUE');
  });

  it('refuses mistyped options', () => {
    expectCode(
      () => csvSumFile(file, 5 as never),
      TypeError,
      'ERR_INVALID_ARG_TYPE',
      'The "options" argument must be of type object. Received type number (5)',
    );
    expectCode(() => csvSumFile(file, [] as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => csvSumFile(file, { via: 1 } as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(
      () => csvSumFile(file, { via: 'pipe' } as never),
      TypeError,
      'ERR_INVALID_ARG_VALUE',
      `The "options.via" argument must be one of 'auto', 'mmap', 'read'. Received 'pipe'`,
    );
    expectCode(
      () => csvSumFile(file, { chunkSize: '4' } as never),
      TypeError,
      'ERR_INVALID_ARG_TYPE',
      `The "options.chunkSize" argument must be of type number. Received type string ('4')`,
    );
    for (const bad of [0, -1, 1.5, NaN, 2 ** 31]) expectCode(() => csvSumFile(file, { chunkSize: bad }), RangeError, 'ERR_OUT_OF_RANGE');
    for (const bad of [0, -1, 1.5, 1025]) expectCode(() => csvSumFile(file, { threads: bad }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => csvSumFile(file, { method: 'fast' } as never), TypeError, 'ERR_INVALID_ARG_VALUE');
  });

  it('refuses a file that is neither a path nor a descriptor', () => {
    expectCode(
      () => csvSumFile(true as never),
      TypeError,
      'ERR_INVALID_ARG_TYPE',
      'The "file" argument must be a path (string) or a file descriptor (number). Received type boolean (true)',
    );
    expectCode(() => csvSumFile(null as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    for (const bad of [-1, 1.5, NaN, 2 ** 31]) expectCode(() => csvSumFile(bad), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => csvSumFile(''), Error, 'ERR_INVALID_ARG_VALUE', 'The "file" argument must be a non-empty path without NUL bytes');
    expectCode(() => csvSumFile('a\0b'), Error, 'ERR_INVALID_ARG_VALUE');
    // A descriptor that is not open: the fstat error.
    expect(() => csvSumFile(999_999)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'fstat' }));
  });
});

describe('scan arguments', () => {
  const b = Buffer.alloc(64, 1);

  it('scanByteSum takes an options object with a boolean plain and nothing else', () => {
    expect(scanByteSum(b)).toBe(64);
    expect(scanByteSum(b, {})).toBe(64);
    expect(scanByteSum(b, { plain: true })).toBe(64);
    expectCode(() => scanByteSum(b, 5 as never), TypeError, 'ERR_INVALID_ARG_TYPE', 'The "options" argument must be of type object. Received type number (5)');
    expectCode(() => scanByteSum(b, null as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(
      () => scanByteSum(b, { plain: 1 } as never),
      TypeError,
      'ERR_INVALID_ARG_TYPE',
      'The "options.plain" argument must be of type boolean. Received type number (1)',
    );
    expectCode(() => scanByteSum(b, { plane: true } as never), TypeError, 'ERR_INVALID_ARG_VALUE', 'Unknown option "plane" in "options". Known options: plain');
  });

  it('strides, counts and seeds are integers in range', () => {
    expectCode(() => scanStrideSum(b, 'x' as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    for (const bad of [0, -1, 1.5, NaN, Infinity]) {
      expectCode(() => scanStrideSum(b, bad), RangeError, 'ERR_OUT_OF_RANGE');
      expectCode(() => scanTouchWrite(b, bad), RangeError, 'ERR_OUT_OF_RANGE');
    }
    expectCode(() => scanRandomRead32(b, '1' as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    for (const bad of [-1, 1.5, NaN]) expectCode(() => scanRandomRead32(b, bad), RangeError, 'ERR_OUT_OF_RANGE');
    for (const bad of [-1, 0.5, 2 ** 53]) expectCode(() => scanRandomRead32(b, 1, bad), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => scanRandomRead32(b.subarray(0, 3), 1), RangeError, 'ERR_OUT_OF_RANGE');
    expect(scanRandomRead32(b, 10, 3)).toBe(10 * 0x01010101);
  });
});

describe('randomOffsets arguments', () => {
  it('length is an integer from 4, count an integer from 0 to 2^27, seed a safe integer >= 0', () => {
    for (const bad of [2, 3, -1, NaN, 4.5, Infinity, 2 ** 53]) {
      expectCode(() => randomOffsets(bad, 1), RangeError, 'ERR_OUT_OF_RANGE');
    }
    expectCode(
      () => randomOffsets(2, 1),
      RangeError,
      'ERR_OUT_OF_RANGE',
      'The value of "length" is out of range. It must be an integer >= 4 and <= 9007199254740991. Received 2',
    );
    expectCode(
      () => randomOffsets('x' as never, 1),
      TypeError,
      'ERR_INVALID_ARG_TYPE',
      `The "length" argument must be of type number. Received type string ('x')`,
    );
    for (const bad of [-1, 1.5, NaN, 2 ** 27 + 1]) expectCode(() => randomOffsets(64, bad), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => randomOffsets(64, '3' as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    for (const bad of [-1, 0.5]) expectCode(() => randomOffsets(64, 1, bad), RangeError, 'ERR_OUT_OF_RANGE');
  });

  it('gives count offsets, multiples of 4 that leave room for a 4-byte read, matching scanRandomRead32', () => {
    expect(randomOffsets(64, 0).length).toBe(0);
    expect(Array.from(randomOffsets(4, 5))).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(randomOffsets(7, 3))).toEqual([0, 0, 0]);
    const offs = randomOffsets(1001, 500, 0);
    expect(offs.length).toBe(500);
    for (const o of offs) expect(o % 4 === 0 && o + 4 <= 1001).toBe(true);
    const data = Buffer.alloc(1001);
    for (let i = 0; i < data.length; i++) data[i] = (i * 13) & 255;
    let want = 0;
    for (const o of offs) want += data.readUInt32LE(o);
    expect(scanRandomRead32(data, 500, 0)).toBe(want);
  });
});
