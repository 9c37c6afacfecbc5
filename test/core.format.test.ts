// Sizes, durations and rates (lib/format.ts): the one grammar and the one way of printing that the
// command line and the benchmark share.
import { describe, expect, it } from 'vitest';
import { formatBytes, formatBytesVmtouch, formatDuration, formatRate, formatSizeShort, parseSize } from '../lib';

describe('parseSize', () => {
  it('reads bytes and k/m/g/t units in powers of 1024, any case, with i and b', () => {
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('10b')).toBe(10);
    expect(parseSize('64k')).toBe(65536);
    expect(parseSize('1M')).toBe(2 ** 20);
    expect(parseSize('2MiB')).toBe(2 ** 21);
    expect(parseSize('1.5g')).toBe(1.5 * 2 ** 30);
    expect(parseSize(' 1 t ')).toBe(2 ** 40);
    expect(parseSize('0.5k')).toBe(512);
    expect(parseSize('1.0001k')).toBe(1024); // a fraction of a byte is dropped
  });

  it('refuses what is not a size, and sizes outside the range, naming the value', () => {
    expect(() => parseSize('fast', '--chunk')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: "--chunk must be a size such as 4096, 64k, 1m, 2MiB or 1.5g. Received 'fast'" }),
    );
    expect(() => parseSize('5ib')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => parseSize('-1')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => parseSize('1k', '--size', { min: 4096, max: 2 ** 31 - 1 })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: "--size must be from 4k to 2147483647. Received '1k'" }),
    );
    expect(() => parseSize('9999999t')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});

describe('formatting', () => {
  it('formatSizeShort gives the largest unit that divides the count, as parseSize reads it', () => {
    expect([4096, 2 ** 20, 3 * 2 ** 30, 2 ** 40, 1000, 0].map(formatSizeShort)).toEqual(['4k', '1m', '3g', '1t', '1000', '0']);
    for (const n of [4096, 2 ** 20, 3 * 2 ** 30, 1000]) expect(parseSize(formatSizeShort(n))).toBe(n);
  });

  it('formatBytes: B, KiB, MiB, GiB, decimals only where needed', () => {
    expect([512, 4096, 1536, 4 * 2 ** 20, 1.5 * 2 ** 20, 2 ** 30, 2.25 * 2 ** 30].map(formatBytes)).toEqual([
      '512 B',
      '4 KiB',
      '1.5 KiB',
      '4 MiB',
      '1.5 MiB',
      '1 GiB',
      '2.25 GiB',
    ]);
  });

  it('formatBytesVmtouch: as vmtouch prints sizes (truncated K, M, G)', () => {
    expect([1000, 266_000, 5 * 2 ** 20 + 1, 3 * 2 ** 30].map(formatBytesVmtouch)).toEqual(['1000', '259K', '5M', '3G']);
  });

  it('formatDuration and formatRate', () => {
    expect([85, 1200, 3.45e6, 2e9].map(formatDuration)).toEqual(['85.0 ns', '1.20 µs', '3.45 ms', '2.00 s']);
    expect(formatRate(1.234e9)).toBe('1.23 GB/s');
    expect(formatRate(0)).toBe('0.00 GB/s');
  });
});
