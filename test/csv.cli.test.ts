// `mmapkit csv-sum` and `mmapkit residency` as a user runs them (the compiled CLI, real files).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir, TINY_CSV } from './support/helpers';

const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
const dir = tempDir('mmapkit-cli-csv-');

describe('mmapkit csv-sum', () => {
  const file = path.join(dir, 'tiny.csv');
  fs.writeFileSync(file, TINY_CSV);

  it("prints the seed's 847 by default, over read() and with every method", () => {
    expect(cli('csv-sum', file).stdout).toBe('847\n');
    expect(cli('csv-sum', '--via', 'read', '--chunk', '3', '--method', 'js', file).stdout).toBe('847\n');
    const all = cli('csv-sum', '--all', '--json', file);
    expect(all.status).toBe(0);
    const j = JSON.parse(all.stdout) as { results: { method: string; sum: string }[] };
    expect(j.results.map((r) => r.method)).toEqual(expect.arrayContaining(['seed', 'swar', 'js', 'js-seed']));
    for (const r of j.results) expect(r.sum).toBe('847');
  });

  it('fails with a coded message for a missing file or an unknown method', () => {
    const missing = cli('csv-sum', path.join(dir, 'nope.csv'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/\[ENOENT\]/);
    const bad = cli('csv-sum', '--method', 'fast', file);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/\[ERR_INVALID_ARG_VALUE\]/);
  });
});

describe('mmapkit residency', () => {
  it('evicts, touches and reports pages, bytes and percent (text and JSON)', () => {
    const file = path.join(dir, 'data.bin');
    fs.writeFileSync(file, Buffer.alloc(64 * 4096 + 10, 1));
    const ev = JSON.parse(cli('residency', '--evict', '--json', file).stdout) as { files: { pages: number; resident: number; percent: number }[] };
    expect(ev.files[0].pages).toBe(65);
    expect(ev.files[0].resident).toBe(0);
    const t = JSON.parse(cli('residency', '--touch', '--json', file).stdout) as { files: { resident: number; residentBytes: number; percent: number }[]; total: { files: number } };
    expect(t.files[0].resident).toBe(65);
    expect(t.files[0].residentBytes).toBe(64 * 4096 + 10);
    expect(t.files[0].percent).toBe(100);
    const text = cli('residency', dir).stdout;
    expect(text).toMatch(/data\.bin\s+65\/65\s+\S+\s+100%/);
    expect(text).toMatch(/total \(\d+ files\)/);
    const both = cli('residency', '--touch', '--evict', file);
    expect(both.status).toBe(1);
    expect(both.stderr).toMatch(/\[ERR_INVALID_ARG_VALUE\]/);
  });
});
