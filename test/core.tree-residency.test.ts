// treeResidencyAsync: vmtouch's walk of files and folders (links not followed unless asked, loops
// and hard links once, dangling links and FIFOs skipped with a warning) on real files, totals equal
// to the per-file residency, touch and evict, cancellation by AbortSignal mid-walk, coded errors
// for bad arguments, and an event loop that keeps turning while a few thousand files are walked.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileResidency, treeResidencyAsync, type TreeResidencyProgress } from '../lib';
import { runNode, tempDir } from './support/helpers';

const dir = tempDir('mmapkit-tree-residency-');
const tree = path.join(dir, 'tree');
const many = path.join(dir, 'many');
const ps = Number(spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).stdout.trim()) || 4096;
const MANY_FILES = 3000;
// tmpfs keeps its pages whatever posix_fadvise says: eviction is checked only elsewhere.
const TMPFS_MAGIC = 0x01021994;
const onTmpfs = fs.statfsSync(dir).type === TMPFS_MAGIC;

const at = (...p: string[]) => path.join(tree, ...p);

beforeAll(() => {
  fs.mkdirSync(at('sub', 'deeper'), { recursive: true });
  fs.writeFileSync(at('a.bin'), Buffer.alloc(65 * ps + 10, 7));
  fs.writeFileSync(at('sub', 'b.bin'), Buffer.alloc(5000, 1));
  fs.writeFileSync(at('sub', 'deeper', 'c.bin'), Buffer.alloc(3 * ps, 2));
  fs.writeFileSync(at('empty'), '');
  fs.symlinkSync('nowhere', at('dangling'));
  fs.symlinkSync('..', at('sub', 'up')); // a loop once followed
  fs.symlinkSync(at('sub', 'b.bin'), at('link-to-b'));
  fs.linkSync(at('a.bin'), at('hard-a.bin'));
  expect(spawnSync('mkfifo', [at('fifo')]).status).toBe(0);
  for (let d = 0; d < 30; d++) {
    fs.mkdirSync(path.join(many, `d${d}`), { recursive: true });
    for (let f = 0; f < MANY_FILES / 30; f++) fs.writeFileSync(path.join(many, `d${d}`, `f${f}`), 'x');
  }
});

describe('treeResidencyAsync walks a tree as vmtouch does', () => {
  it('sorted entries, hard links once, links and the FIFO skipped with warnings; totals are the sum of fileResidency', async () => {
    const warned: string[] = [];
    const r = await treeResidencyAsync(tree, { onWarning: (m) => warned.push(m) });
    // Sorted at every level; hard-a.bin is a.bin's second name, counted once.
    expect(r.files.map((f) => path.relative(tree, f.path))).toEqual(['a.bin', 'empty', 'sub/b.bin', 'sub/deeper/c.bin']);
    expect(r.total).toMatchObject({ files: 4, folders: 3 });
    expect(r.warnings).toEqual([
      `not following symbolic link '${at('dangling')}' (use { follow: true } to follow)`,
      `skipping non-regular file '${at('fifo')}'`,
      `not following symbolic link '${at('link-to-b')}' (use { follow: true } to follow)`,
      `not following symbolic link '${at('sub', 'up')}' (use { follow: true } to follow)`,
    ]);
    expect(warned).toEqual(r.warnings);
    const each = r.files.map((f) => fileResidency(f.path));
    const sum = (k: 'pages' | 'resident' | 'bytes' | 'residentBytes') => each.reduce((s, f) => s + f[k], 0);
    expect(r.total).toMatchObject({ pages: sum('pages'), resident: sum('resident'), bytes: sum('bytes'), residentBytes: sum('residentBytes') });
    expect(r.total.pages).toBe(66 + 2 + 3);
    expect(r.total.percent).toBeCloseTo((100 * r.total.resident) / r.total.pages, 10);
  });

  it('follow: the dangling link is a warning, the loop back up is walked once, a link to a file is a file', async () => {
    const r = await treeResidencyAsync([tree + '/'], { follow: true });
    expect(r.total).toMatchObject({ files: 5, folders: 3 });
    expect(r.files.map((f) => path.basename(f.path))).toEqual(['a.bin', 'empty', 'link-to-b', 'b.bin', 'c.bin']);
    expect(r.warnings).toContain(`skipping dangling symbolic link '${at('dangling')}'`);
    expect(r.warnings).toContain(`symbolic link loop detected: '${at('sub', 'up')}', skipping`);
  });

  it('maxFileSize skips larger files with a warning (still counted as files); several paths; a missing one is a warning', async () => {
    const r = await treeResidencyAsync([at('sub'), at('a.bin'), path.join(dir, 'nope')], { maxFileSize: 16 << 10 });
    expect(r.files.map((f) => path.basename(f.path))).toEqual(['b.bin', 'c.bin']);
    expect(r.total).toMatchObject({ files: 3, folders: 2 });
    expect(r.warnings).toContain(`file '${at('a.bin')}' is larger than maxFileSize 16K, skipping`);
    expect(r.warnings).toContain(`unable to stat '${path.join(dir, 'nope')}' (ENOENT)`);
    const none = await treeResidencyAsync(path.join(dir, 'nope'));
    expect(none).toEqual({
      files: [],
      total: { files: 0, folders: 0, pages: 0, resident: 0, bytes: 0, residentBytes: 0, percent: 100 },
      warnings: [`unable to stat '${path.join(dir, 'nope')}' (ENOENT)`],
    });
  });

  it('touch makes every page resident, evict drops them, vector gives the page map', async () => {
    const t = await treeResidencyAsync(tree, { action: 'touch', threads: 2, vector: true });
    expect(t.total.percent).toBe(100);
    expect(t.total.resident).toBe(t.total.pages);
    for (const f of t.files) expect(f.vector!.length === f.pages && f.vector!.every((v) => (v & 1) === 1)).toBe(true);
    const e = await treeResidencyAsync(tree, { action: 'evict' });
    expect(e.files.every((f) => f.vector === undefined)).toBe(true);
    if (!onTmpfs) expect(e.total.resident).toBeLessThan(e.total.pages);
    const q = await treeResidencyAsync(tree);
    expect(q.total.resident).toBe(e.total.resident);
  });
});

describe('progress, cancellation and the event loop', () => {
  it('onProgress sees the walk grow, then every file; its rejection ends the walk with that error', async () => {
    const seen: TreeResidencyProgress[] = [];
    const r = await treeResidencyAsync(tree, { onProgress: (p) => void seen.push(p) });
    const walk = seen.filter((p) => p.phase === 'walk');
    const files = seen.filter((p) => p.phase === 'files');
    expect(walk.length).toBe(1 + 11); // the top, then the 11 entries under it
    expect(walk.at(-1)).toMatchObject({ done: 12, total: 12, files: 4, folders: 3, path: tree });
    expect(files.map((p) => p.done)).toEqual([0, 1, 2, 3, 4]);
    expect(files.every((p) => p.total === 4)).toBe(true);
    expect(files.slice(1).map((p) => p.path)).toEqual(r.files.map((f) => f.path));
    const stop = new Error('stop');
    await expect(treeResidencyAsync(tree, { onProgress: async (p) => (p.done === 3 ? Promise.reject(stop) : undefined) })).rejects.toBe(stop);
  });

  it('an AbortSignal cancels the walk midway (ABORT_ERR), before it starts, and during the files', async () => {
    const c = new AbortController();
    let last = 0;
    const walk = treeResidencyAsync(many, {
      signal: c.signal,
      onProgress: (p) => {
        last = p.done;
        if (p.phase === 'walk' && p.done === 200) c.abort(new Error('enough'));
      },
    });
    await expect(walk).rejects.toMatchObject({
      code: 'ABORT_ERR',
      name: 'AbortError',
      message: 'treeResidencyAsync() was aborted',
      cause: { message: 'enough' },
    });
    expect(last).toBe(200);
    await expect(treeResidencyAsync(tree, { signal: c.signal })).rejects.toMatchObject({ code: 'ABORT_ERR', name: 'AbortError' });
    const d = new AbortController();
    const files = treeResidencyAsync(tree, {
      action: 'touch',
      signal: d.signal,
      onProgress: (p) => (p.phase === 'files' && p.done === 1 ? d.abort() : undefined),
    });
    await expect(files).rejects.toMatchObject({ code: 'ABORT_ERR', name: 'AbortError' });
  });

  it(`the event loop keeps turning while ${MANY_FILES} files are walked and measured`, async () => {
    let turns = 0;
    let running = true;
    const spin = () => {
      turns++;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    const r = await treeResidencyAsync(many).finally(() => (running = false));
    expect(r.total).toMatchObject({ files: MANY_FILES, folders: 31, bytes: MANY_FILES });
    // A synchronous walk would let it turn once or twice; each file costs several pool round trips.
    expect(turns).toBeGreaterThan(MANY_FILES);
  });
});

describe('arguments', () => {
  const bad: [unknown, unknown, string][] = [
    [42, undefined, 'ERR_INVALID_ARG_TYPE'],
    [[], undefined, 'ERR_INVALID_ARG_VALUE'],
    ['', undefined, 'ERR_INVALID_ARG_VALUE'],
    [[tree, 7], undefined, 'ERR_INVALID_ARG_TYPE'],
    [['a\0b'], undefined, 'ERR_INVALID_ARG_VALUE'],
    [tree, null, 'ERR_INVALID_ARG_TYPE'],
    [tree, { action: 'copy' }, 'ERR_INVALID_ARG_VALUE'],
    [tree, { action: 1 }, 'ERR_INVALID_ARG_TYPE'],
    [tree, { follow: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
    [tree, { maxFileSize: -1 }, 'ERR_OUT_OF_RANGE'],
    [tree, { maxFileSize: '1k' }, 'ERR_INVALID_ARG_TYPE'],
    [tree, { threads: 0 }, 'ERR_OUT_OF_RANGE'],
    [tree, { vector: 1 }, 'ERR_INVALID_ARG_TYPE'],
    [tree, { signal: {} }, 'ERR_INVALID_ARG_TYPE'],
    [tree, { onProgress: 'log' }, 'ERR_INVALID_ARG_TYPE'],
    [tree, { onWarning: 1 }, 'ERR_INVALID_ARG_TYPE'],
    [tree, { recursive: true }, 'ERR_INVALID_ARG_VALUE'],
  ];
  it.each(bad)('%j with %j rejects with %s', async (paths, options, code) => {
    await expect(treeResidencyAsync(paths as string, options as object)).rejects.toMatchObject({ code });
  });

  it('names the unknown option, and the path element that is not a path', async () => {
    await expect(treeResidencyAsync(tree, { recursive: true } as object)).rejects.toThrow(/Unknown option "recursive"/);
    await expect(treeResidencyAsync([tree, 7] as unknown as string[])).rejects.toThrow(/"paths\[1\]"/);
  });

  it('without the addon: one ERR_MMAPKIT_UNSUPPORTED naming treeResidencyAsync (an empty folder needs none)', () => {
    fs.mkdirSync(path.join(dir, 'hollow'), { recursive: true });
    const r = runNode(
      `mk.treeResidencyAsync(process.argv[1]).then(() => mk.treeResidencyAsync(process.argv[2]))
        .then(() => console.log('resolved'), (e) => console.log(e.code, e.message.split(';')[0]));`,
      { args: [path.join(dir, 'hollow'), tree], env: { MMAPKIT_NO_ADDON: '1' } },
    );
    expect(r.stdout).toMatch(/^ERR_MMAPKIT_UNSUPPORTED .*treeResidencyAsync needs it\n$/);
  });
});
