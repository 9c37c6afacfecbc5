// `mmapkit residency` against vmtouch itself: the same walk (symbolic links not followed unless -f,
// loops and hard links counted once, dangling links and non-regular files skipped with a warning)
// and the same numbers (resident pages × page size). Debian's vmtouch package is installed here
// when apt can provide it; the comparisons are skipped, with the reason, only when it cannot.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './support/helpers';

const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [MAIN, 'residency', ...args], { encoding: 'utf8', timeout: 60_000 });

/** Finds vmtouch, installing Debian's package when it is missing; returns why not when it cannot. */
function ensureVmtouch(): { ok: true } | { ok: false; reason: string } {
  const has = () => spawnSync('vmtouch', ['-h'], { encoding: 'utf8' }).error === undefined;
  if (has()) return { ok: true };
  const policy = spawnSync('apt-cache', ['policy', 'vmtouch'], { encoding: 'utf8' });
  if (policy.error) return { ok: false, reason: 'vmtouch is not installed and apt-cache is not available' };
  if (!/Candidate: (?!\(none\))/.test(policy.stdout)) return { ok: false, reason: 'apt has no vmtouch package here (apt-cache policy vmtouch: no candidate)' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'vmtouch is not installed and installing it needs root' };
  let inst = spawnSync('apt-get', ['install', '-y', '-q', 'vmtouch'], { encoding: 'utf8', timeout: 300_000 });
  if (inst.status !== 0) {
    spawnSync('apt-get', ['update', '-q'], { encoding: 'utf8', timeout: 300_000 });
    inst = spawnSync('apt-get', ['install', '-y', '-q', 'vmtouch'], { encoding: 'utf8', timeout: 300_000 });
  }
  return has() ? { ok: true } : { ok: false, reason: `apt-get install vmtouch failed: ${(inst.stderr || inst.stdout).trim().split('\n').pop()}` };
}

const vmtouch = ensureVmtouch();
if (!vmtouch.ok) process.stderr.write(`note: skipping the vmtouch comparisons: ${vmtouch.reason}\n`);

const dir = tempDir('mmapkit-residency-');
const tree = path.join(dir, 'tree');
const pageSize = Number(spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).stdout.trim()) || 4096;

beforeAll(() => {
  fs.mkdirSync(path.join(tree, 'sub', 'deeper'), { recursive: true });
  fs.writeFileSync(path.join(tree, 'a.bin'), Buffer.alloc(65 * pageSize + 10, 7));
  fs.writeFileSync(path.join(tree, 'sub', 'b.bin'), Buffer.alloc(5000, 1));
  fs.writeFileSync(path.join(tree, 'sub', 'deeper', 'c.bin'), Buffer.alloc(3 * pageSize, 2));
  fs.writeFileSync(path.join(tree, 'empty'), '');
  fs.symlinkSync('nowhere', path.join(tree, 'dangling'));
  fs.symlinkSync('..', path.join(tree, 'sub', 'up')); // a loop once followed
  fs.symlinkSync(path.join(tree, 'sub', 'b.bin'), path.join(tree, 'link-to-b'));
  fs.linkSync(path.join(tree, 'a.bin'), path.join(tree, 'hard-a.bin'));
  expect(spawnSync('mkfifo', [path.join(tree, 'fifo')]).status).toBe(0);
  // A known mix: c.bin evicted, then its first page read back.
  expect(cli('-e', path.join(tree, 'sub', 'deeper', 'c.bin')).status).toBe(0);
});

/** The total row of mmapkit's table: [resident/pages, size/size, percent]. */
function totalRow(text: string): string[] {
  const line = text.split('\n').find((l) => l.startsWith('total ('));
  expect(line, text).toBeDefined();
  return line!
    .replace(/^total \([^)]*\)\s+/, '')
    .trim()
    .split(/\s+/);
}

/** vmtouch's "Files", "Directories" and "Resident Pages: R/P  X/Y  Z%" as the same three strings. */
function vmtouchSummary(args: string[]): { files: number; dirs: number; row: string[] } {
  const r = spawnSync('vmtouch', args, { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  const files = Number(/Files: (\d+)/.exec(r.stdout)![1]);
  const dirs = Number(/Directories: (\d+)/.exec(r.stdout)![1]);
  const row = /Resident Pages: (.*)/.exec(r.stdout)![1].trim().split(/\s+/);
  return { files, dirs, row };
}

describe('mmapkit residency walks a tree as vmtouch does', () => {
  it('skips the dangling link, the FIFO and the links with warnings, finishes the report, exits 0', () => {
    const r = cli(tree);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`mmapkit residency: warning: not following symbolic link '${path.join(tree, 'dangling')}'`);
    expect(r.stderr).toContain(`skipping non-regular file '${path.join(tree, 'fifo')}'`);
    expect(r.stderr).toContain(`not following symbolic link '${path.join(tree, 'sub', 'up')}'`);
    // a.bin and its hard link are one file; the report lists every regular file and a total.
    expect(r.stdout).toContain(path.join(tree, 'sub', 'deeper', 'c.bin'));
    expect(r.stdout.match(/a\.bin/g)).toHaveLength(1);
    expect(r.stdout).toMatch(/total \(4 files, 3 folders\)/);
  });

  it('-f follows links: a dangling one is a warning, the loop back to the top is walked once', () => {
    const r = cli('-f', '--json', tree);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { files: { path: string }[]; total: { files: number; folders: number }; warnings: string[] };
    // link-to-b counts as a file of its own (b.bin has one link), as in vmtouch -f.
    expect(j.total).toMatchObject({ files: 5, folders: 3 });
    expect(j.warnings.some((w) => w.includes('dangling symbolic link') && w.includes('dangling'))).toBe(true);
    expect(j.warnings.some((w) => w.includes('loop') && w.includes(path.join('sub', 'up')))).toBe(true);
  });

  it('exits 1 only when nothing could be read', () => {
    const missing = cli(path.join(dir, 'nope'));
    expect(missing.status).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/unable to stat .*nope.*ENOENT/);
    const some = cli(path.join(dir, 'nope'), path.join(tree, 'sub', 'b.bin'));
    expect(some.status).toBe(0);
    expect(some.stdout).toMatch(/b\.bin\s+\d\/2/);
  });

  it('-t, -e, -v, -q and -m', () => {
    const a = path.join(tree, 'a.bin');
    const e = JSON.parse(cli('-e', '--json', a).stdout) as { files: { resident: number; pages: number }[] };
    expect(e.files[0]).toMatchObject({ pages: 66, resident: 0 });
    const t = JSON.parse(cli('-t', '--json', a).stdout) as { files: { resident: number; residentBytes: number }[] };
    expect(t.files[0]).toMatchObject({ resident: 66, residentBytes: 66 * pageSize });
    const v = cli('-v', a);
    expect(v.stdout.split('\n').slice(0, 2)).toEqual([a, `[${'O'.repeat(33)}] 66/66`]); // 66 pages: 2 a character, as vmtouch draws
    const q = cli('-q', tree);
    expect(q).toMatchObject({ status: 0, stdout: '', stderr: '' });
    const m = JSON.parse(cli('-m', '16k', '--json', tree).stdout) as { files: { path: string }[]; warnings: string[] };
    expect(m.files.map((f) => path.basename(f.path))).toEqual(['empty', 'b.bin', 'c.bin']);
    expect(m.warnings).toContain(`file '${a}' is larger than -m 16K, skipping`);
    const bad = cli('-m', '16q', tree);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--max-file-size must be a size such as/);
  });

  it.skipIf(!vmtouch.ok)('prints the numbers vmtouch prints (no -f, -f, -m), on a partly resident tree', () => {
    // Bring part of c.bin back: its first page (readahead may bring more; both tools see the same state).
    const fd = fs.openSync(path.join(tree, 'sub', 'deeper', 'c.bin'), 'r');
    fs.readSync(fd, Buffer.alloc(10), 0, 10, 0);
    fs.closeSync(fd);
    for (const flags of [[], ['-f'], ['-m', '16k']]) {
      const theirs = vmtouchSummary([...flags, tree]);
      const ours = cli(...flags, tree);
      expect(ours.status, ours.stderr).toBe(0);
      expect(ours.stdout).toContain(`total (${theirs.files} files, ${theirs.dirs} folders)`);
      expect(totalRow(ours.stdout)).toEqual(theirs.row);
    }
    // One file, evicted then touched.
    const b = path.join(tree, 'sub', 'b.bin');
    spawnSync('vmtouch', ['-e', b]);
    const one = vmtouchSummary([b]);
    expect(cli(b).stdout).toMatch(new RegExp(`b\\.bin\\s+${one.row[0]}\\s+${one.row[1]}\\s*${one.row[2] ?? ''}`));
  });
});
