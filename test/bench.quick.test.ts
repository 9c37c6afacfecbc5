// `mmapkit bench --quick` end to end, as CI runs it: every suite runs in its own process on tiny
// data and checks its sums; the reports are written. No timing is asserted.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './support/helpers';

const OWN_SUITES = ['scan-warm', 'scan-cold', 'csv-sum', 'random', 'faults', 'tlb', 'map-overhead', 'sharing', 'ipc'];

interface Report {
  ok: boolean;
  machine: { cpu: string; kernel: string; node: string; pageSize: number; thp: Record<string, string> };
  facts: Record<string, unknown>;
  suites: { suite: string; error?: string; skipped?: string; rows: unknown[]; checks: { name: string; ok: boolean; detail?: string }[] }[];
}

describe('mmapkit bench --quick', () => {
  it('runs every suite, checks every sum, and writes the reports', () => {
    const out = tempDir('mmapkit-bench-test-');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli', 'main.js'), 'bench', '--quick', '--out', out, '--cache', path.join(out, 'cache')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 170_000,
    });
    expect(r.signal).toBeNull();
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
    expect(r.status).toBe(report.ok ? 0 : 1);
    for (const f of ['report.md', 'report.svg', 'report.txt']) expect(fs.statSync(path.join(out, f)).size).toBeGreaterThan(100);
    expect(fs.readFileSync(path.join(out, 'report.svg'), 'utf8')).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(report.machine.node).toBe(process.version);
    expect(report.machine.pageSize).toBeGreaterThan(0);
    expect(typeof report.facts.folios).toBe('string');
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('kernel:');
    expect(md).toContain('transparent huge pages:');
    for (const name of OWN_SUITES) {
      const s = report.suites.find((x) => x.suite === name);
      expect(s, `suite ${name}`).toBeDefined();
      expect(s!.error, `suite ${name} error`).toBeUndefined();
      // Only the cold-scan suite may be skipped, and only when the temporary folder is in memory.
      if (s!.skipped !== undefined) {
        expect(name).toBe('scan-cold');
        expect(s!.skipped).toMatch(/tmpfs|ramfs/);
        continue;
      }
      expect(s!.rows.length, `suite ${name} rows`).toBeGreaterThan(0);
      const failed = s!.checks.filter((c) => !c.ok);
      expect(failed, `suite ${name} failed checks`).toEqual([]);
    }
    // The CSV-sum suite checked every method over the mapping and over read() chunks.
    const csv = report.suites.find((x) => x.suite === 'csv-sum')!;
    const names = csv.checks.map((c) => c.name);
    for (const m of ['bytewise', 'swar', 'js', 'js-bytewise']) {
      expect(names).toContain(`sum over the mapping: ${m}`);
      expect(names).toContain(`sum over read() 4093-byte chunks: ${m}`);
    }
  }, 180_000);

  it('lists the suites and rejects an unknown one', () => {
    const main = path.join(ROOT, 'dist', 'cli', 'main.js');
    const list = spawnSync(process.execPath, [main, 'bench', '--list'], { cwd: ROOT, encoding: 'utf8' });
    expect(list.status).toBe(0);
    for (const name of OWN_SUITES) expect(list.stdout).toContain(name);
    const bad = spawnSync(process.execPath, [main, 'bench', '--quick', '--suite', 'nonesuch'], { cwd: ROOT, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('no suite matches nonesuch');
  });
});
