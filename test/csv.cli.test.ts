// `mmapkit csv-sum` and `mmapkit residency` as a user runs them (the compiled CLI, real files).
import { spawn, spawnSync } from 'node:child_process';
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

  it("prints tiny.csv's 847 by default, over read() and with every method", () => {
    expect(cli('csv-sum', file).stdout).toBe('847\n');
    expect(cli('csv-sum', '--via', 'read', '--chunk', '3', '--method', 'js', file).stdout).toBe('847\n');
    const all = cli('csv-sum', '--all', '--json', file);
    expect(all.status).toBe(0);
    const j = JSON.parse(all.stdout) as { results: { method: string; sum: string }[] };
    expect(j.results.map((r) => r.method)).toEqual(expect.arrayContaining(['bytewise', 'swar', 'js', 'js-bytewise']));
    for (const r of j.results) expect(r.sum).toBe('847');
  });

  it('--threads, --via auto and --method wasm; --json and --time say the source, why, and the threads', () => {
    const big = path.join(dir, 'big.csv');
    fs.writeFileSync(big, '1234,5\n'.repeat(1_500_000)); // 10.5 MB: above the read() crossover
    const want = String(1239n * 1_500_000n);
    const j = JSON.parse(cli('csv-sum', '--json', '--threads', '2', big).stdout);
    expect(j).toMatchObject({ sum: want, method: 'auto', via: 'read', threads: 2 });
    expect(j.reason).toMatch(/read\(\) crossover/);
    const small = JSON.parse(cli('csv-sum', '--json', file).stdout);
    expect(small).toMatchObject({ sum: '847', via: 'mmap', threads: 1 });
    expect(JSON.parse(cli('csv-sum', '--json', '--via', 'mmap', '--threads', '3', big).stdout)).toMatchObject({
      sum: want,
      via: 'mmap',
      reason: 'asked',
      threads: 3,
    });
    const t = cli('csv-sum', '--time', '--method', 'wasm', big);
    expect(t.stdout).toBe(`${want}\n`);
    expect(t.stderr).toMatch(/^wasm via read \(one sequential pass over \d+ bytes >= 8388608 \(the read\(\) crossover\)\), 1 thread: /);
    const all = JSON.parse(cli('csv-sum', '--all', '--json', big).stdout) as { results: { method: string; sum: string }[] };
    expect(all.results.map((r) => r.method)).toContain('wasm');
    for (const r of all.results) expect(r.sum).toBe(want);
    const bad = cli('csv-sum', '--threads', '0', file);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--threads/);
  });

  it('fails with a coded message: 1 for a missing file, 2 for an unknown method', () => {
    const missing = cli('csv-sum', path.join(dir, 'nope.csv'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/\[ENOENT\]/);
    const bad = cli('csv-sum', '--method', 'fast', file);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(
      "mmapkit csv-sum: --method must be one of auto, bytewise, swar, avx2, avx512, neon, wasm, js, js-bytewise. Received 'fast' [ERR_INVALID_ARG_VALUE]\n",
    );
  });
});

/** Runs the CLI asynchronously (so this process can feed a FIFO at the same time). */
function cliAsync(args: string[], feed?: (child: ReturnType<typeof spawn>) => void): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    feed?.(child);
  });
}

describe('mmapkit csv-sum on standard input, pipes and FIFOs (read with read(), never mapped as empty)', () => {
  it("'-' and /dev/stdin read a real pipe: printf '1,2\\n' | mmapkit csv-sum /dev/stdin gives 3", () => {
    for (const name of ['-', '/dev/stdin']) {
      const sh = spawnSync('sh', ['-c', `printf '1,2\\n' | '${process.execPath}' '${MAIN}' csv-sum ${name}`], { encoding: 'utf8', timeout: 60_000 });
      expect(sh.stderr).toBe('');
      expect(sh.status).toBe(0);
      expect(sh.stdout).toBe('3\n');
    }
    // Node's own child-process stdin (a socket pair) works the same.
    for (const name of ['-', '/dev/stdin']) {
      const r = spawnSync(process.execPath, [MAIN, 'csv-sum', name], { input: '1,2\n', encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('3\n');
    }
    // A larger stream split across many read() chunks, with --chunk in the one size grammar.
    const rows = Array.from({ length: 20_000 }, (_, i) => `${i},${i * 7}\n`).join('');
    const want = Array.from({ length: 20_000 }, (_, i) => BigInt(i) + BigInt(i * 7)).reduce((a, b) => a + b, 0n);
    const big = spawnSync(process.execPath, [MAIN, 'csv-sum', '--chunk', '1k', '--json', '-'], { input: rows, encoding: 'utf8', timeout: 60_000 });
    expect(big.status, big.stderr).toBe(0);
    expect(JSON.parse(big.stdout)).toMatchObject({ file: '-', via: 'read', sum: want.toString(), bytes: Buffer.byteLength(rows) });
    // Every method over the same stream (read once, kept).
    const all = spawnSync(process.execPath, [MAIN, 'csv-sum', '--all', '--json', '-'], { input: rows, encoding: 'utf8', timeout: 60_000 });
    expect(all.status, all.stderr).toBe(0);
    for (const r of (JSON.parse(all.stdout) as { results: { sum: string }[] }).results) expect(r.sum).toBe(want.toString());
  });

  it('a real FIFO (mkfifo) written in pieces by another process sums to the right answer', async () => {
    const fifo = path.join(dir, 'data.fifo');
    const mk = spawnSync('mkfifo', [fifo]);
    expect(mk.status).toBe(0);
    expect(fs.statSync(fifo).isFIFO()).toBe(true);
    const done = cliAsync(['csv-sum', fifo]);
    // The writer opens the FIFO (which also releases the reader's open) and writes in three pieces.
    const writer = spawnSync('sh', ['-c', `{ printf '1,2\\n'; sleep 0.2; printf '40,'; sleep 0.2; printf '100\\n'; } > '${fifo}'`], { timeout: 30_000 });
    expect(writer.status).toBe(0);
    const r = await done;
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('143\n');
  });

  it('a /proc file (stat size 0, real content) is read, not taken as empty', () => {
    const r = cli('csv-sum', '--json', '/proc/self/mountinfo');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { bytes: number; via: string };
    expect(j.via).toBe('read');
    expect(j.bytes).toBeGreaterThan(0);
  });

  it('a folder is a failure (exit 1), not a sum of 0', () => {
    const r = cli('csv-sum', dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/\[EISDIR\]/);
  });
});

describe('mmapkit residency', () => {
  it('evicts, touches and reports pages, bytes and percent (text and JSON)', () => {
    const file = path.join(dir, 'data.bin');
    fs.writeFileSync(file, Buffer.alloc(64 * 4096 + 10, 1));
    const ev = JSON.parse(cli('residency', '--evict', '--json', file).stdout) as { files: { pages: number; resident: number; percent: number }[] };
    expect(ev.files[0].pages).toBe(65);
    expect(ev.files[0].resident).toBe(0);
    const t = JSON.parse(cli('residency', '--touch', '--json', file).stdout) as {
      files: { resident: number; residentBytes: number; percent: number }[];
      total: { files: number };
    };
    expect(t.files[0].resident).toBe(65);
    expect(t.files[0].residentBytes).toBe(65 * 4096); // resident pages × page size, as vmtouch counts
    expect(t.files[0].percent).toBe(100);
    const text = cli('residency', dir).stdout;
    expect(text).toMatch(/data\.bin\s+65\/65\s+260K\/260K\s+100%/);
    expect(text).toMatch(/total \(\d+ files, 1 folders\)/);
    const both = cli('residency', '--touch', '--evict', file);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/\[ERR_INVALID_ARG_VALUE\]/);
  });
});
