// The deprecated 0.1 names of the bytewise CSV loop ('seed', 'js-seed', seedCsvSum) still work, in
// the library and on the command line, and run the methods they were renamed to.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as mk from '../lib';
import { bytewiseCsvSum, csvMethods, csvSum, csvSumFile, CsvSummer, mapFile, seedCsvSum, type CsvMethod } from '../lib';
import { ROOT, tempDir, TINY_CSV } from './support/helpers';

const dir = tempDir('mmapkit-csv-alias-');
const file = path.join(dir, 'tiny.csv');
fs.writeFileSync(file, TINY_CSV);
const ALIASES: [CsvMethod, CsvMethod][] = [
  ['seed', 'bytewise'],
  ['js-seed', 'js-bytewise'],
];

describe('deprecated CSV names', () => {
  it('seedCsvSum is bytewiseCsvSum and sums a mapping', () => {
    expect(seedCsvSum).toBe(bytewiseCsvSum);
    expect(mk.seedCsvSum).toBe(mk.bytewiseCsvSum);
    const m = mapFile(file);
    try {
      expect(seedCsvSum(m)).toBe(847n);
    } finally {
      m.unmap();
    }
  });

  it("'seed' and 'js-seed' select 'bytewise' and 'js-bytewise' in csvSum, csvSumFile and CsvSummer", () => {
    for (const [old, now] of ALIASES) {
      expect(csvSum(TINY_CSV, { method: old })).toBe(847n);
      expect(csvSumFile(file, { method: old })).toBe(847n);
      expect(csvSumFile(file, { method: old, via: 'read', chunkSize: 3 })).toBe(847n);
      const s = new CsvSummer({ method: old });
      expect(s.method).toBe(now);
      expect(s.update(TINY_CSV.subarray(0, 5)).update(TINY_CSV.subarray(5)).sum).toBe(847n);
    }
  });

  it('csvMethods() and the error for an unknown method list the new names only', () => {
    const methods: string[] = csvMethods();
    expect(methods).toContain('bytewise');
    expect(methods).toContain('js-bytewise');
    expect(methods).not.toContain('seed');
    expect(methods).not.toContain('js-seed');
    expect(() => csvSum(TINY_CSV, { method: 'fast' as CsvMethod })).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_ARG_VALUE',
        message:
          "The \"options.method\" argument must be one of 'auto', 'bytewise', 'swar', 'avx2', 'avx512', 'neon', 'wasm', 'js', 'js-bytewise'. Received 'fast'",
      }),
    );
  });

  it('mmapkit csv-sum --method seed / js-seed still work; --help lists the new names', () => {
    const main = path.join(ROOT, 'dist', 'cli', 'main.js');
    for (const [old] of ALIASES) {
      const r = spawnSync(process.execPath, [main, 'csv-sum', '--method', old, '--time', file], { encoding: 'utf8', timeout: 60_000 });
      expect([r.status, r.stdout]).toEqual([0, '847\n']);
      expect(r.stderr).toMatch(old === 'seed' ? /^bytewise via mmap \(/ : /^js-bytewise via mmap \(/);
    }
    const help = spawnSync(process.execPath, [main, 'csv-sum', '--help'], { encoding: 'utf8', timeout: 60_000 });
    expect(help.stdout).toContain('bytewise, swar, avx2, avx512, neon, wasm, js or js-bytewise');
    expect(help.stdout).not.toMatch(/\bseed\b/);
  });
});
