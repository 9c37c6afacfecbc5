// The command line as a whole, run as users run it (the compiled CLI in child processes): exit
// statuses (0 success, 1 failure, 2 usage error, 130 interrupted), help for every command, one size
// grammar, progress only on a terminal, and Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir, TINY_CSV } from './support/helpers';

const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
const dir = tempDir('mmapkit-cli-main-');
const tiny = path.join(dir, 'tiny.csv');
fs.writeFileSync(tiny, TINY_CSV);
const COMMANDS = ['bench', 'csv-sum', 'residency', 'devmem', 'gpio', 'gpiochip', 'sim'];

describe('exit statuses and usage', () => {
  it('mmapkit alone prints the usage to stderr and exits 2; --help prints it to stdout, exit 0', () => {
    const bare = cli();
    expect(bare.status).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toMatch(/^usage: mmapkit <command> \[options\]/);
    for (const c of COMMANDS) expect(bare.stderr).toContain(`  ${c} `);
    const help = cli('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toBe(bare.stderr);
  });

  it('an unknown command is a usage error (2)', () => {
    const r = cli('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mmapkit: unknown command 'frobnicate'\n/);
    expect(cli('help', 'frobnicate').status).toBe(2);
  });

  it("'mmapkit help CMD' and 'mmapkit CMD --help' print the same help, exit 0", () => {
    for (const c of COMMANDS) {
      const a = cli('help', c);
      const b = cli(c, '--help');
      expect(a.status, `${c}: ${a.stderr}`).toBe(0);
      expect(b.status).toBe(0);
      expect(a.stdout).toMatch(new RegExp(`^usage: mmapkit ${c}`));
      expect(a.stdout).toBe(b.stdout);
      expect(a.stdout).toContain('exit status: 0 success, 1 failure, 2 usage error');
    }
    expect(cli('sim', 'vm', '--help').stdout).toMatch(/^usage: mmapkit sim vm/);
  });

  it('an unknown option is a usage error (2) naming it, in every command', () => {
    for (const c of COMMANDS) {
      const r = cli(c, '--no-such-option', 'x');
      expect(r.status, c).toBe(2);
      expect(r.stderr).toBe(`mmapkit ${c}: unknown option '--no-such-option' (see 'mmapkit ${c} --help') [ERR_PARSE_ARGS_UNKNOWN_OPTION]\n`);
    }
  });

  it('a missing or malformed argument is a usage error (2) naming what was typed', () => {
    const missing = cli('csv-sum', '--json');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^mmapkit csv-sum: expected 1 argument, got 0/);
    const extra = cli('csv-sum', tiny, 'more');
    expect(extra.status).toBe(2);
    expect(extra.stderr).toMatch(/unexpected 'more'/);
    const noValue = cli('csv-sum', tiny, '--chunk');
    expect(noValue.status).toBe(2);
    expect(noValue.stderr).toMatch(/^mmapkit csv-sum: --chunk needs a value/);
    const chunk = cli('csv-sum', '--via', 'read', '--chunk', '0', tiny);
    expect(chunk.status).toBe(2);
    expect(chunk.stderr).toBe("mmapkit csv-sum: --chunk must be from 1 to 2147483647. Received '0' [ERR_OUT_OF_RANGE]\n");
    expect(chunk.stderr).not.toMatch(/options\.|chunkSize/);
    const via = cli('csv-sum', '--via', 'carrier-pigeon', tiny);
    expect(via.status).toBe(2);
    expect(via.stderr).toMatch(/--via must be one of auto, mmap, read\. Received 'carrier-pigeon'/);
  });

  it('a reader that stops early (| head -1) ends the command quietly', () => {
    const r = spawnSync('sh', ['-c', `'${process.execPath}' '${MAIN}' gpio get --sim pi4 | head -1; '${process.execPath}' '${MAIN}' bench --list | head -1`], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toMatch(/^ 0: /);
    expect(r.stdout.split('\n')[1]).toMatch(/^01 /);
  });

  it('a runtime failure exits 1', () => {
    const r = cli('csv-sum', path.join(dir, 'missing.csv'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^mmapkit csv-sum: ENOENT.*\[ENOENT\]\n$/);
  });
});

describe('one size grammar for every size option', () => {
  it('--chunk takes bytes and k, m, g units with optional i and b, in any case', () => {
    for (const size of ['3', '1k', '64K', '1m', '1M', '2MiB', '1.5k', '4096b', '1g']) {
      const r = cli('csv-sum', '--via', 'read', '--chunk', size, tiny);
      expect(r.stdout, `${size}: ${r.stderr}`).toBe('847\n');
      expect(r.status).toBe(0);
    }
    for (const size of ['1x', 'k', '-1', '1.5.1m', '']) {
      const r = cli('csv-sum', `--chunk=${size}`, tiny);
      expect(r.status, size).toBe(2);
      expect(r.stderr).toMatch(/^mmapkit csv-sum: --chunk must be a size such as 4096, 64k, 1m, 2MiB or 1\.5g\. Received/);
    }
  });

  it('residency -m and bench --size use the same grammar (checked before any work)', () => {
    expect(cli('residency', '-m', '1MiB', tiny).status).toBe(0);
    const m = cli('residency', '-m', '1y', tiny);
    expect(m.status).toBe(2);
    expect(m.stderr).toMatch(/--max-file-size must be a size such as/);
    const b = cli('bench', '--size', '12 parsecs');
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/^mmapkit bench: --size must be a size such as/);
    const small = cli('bench', '--size', '1k');
    expect(small.status).toBe(2);
    expect(small.stderr).toMatch(/--size must be from 4k to/);
  });
});

describe('progress: on a terminal only', () => {
  // A 64 MiB sparse file: large enough for csv-sum's progress, cheap to make.
  const big = path.join(dir, 'big.csv');
  const fd = fs.openSync(big, 'w');
  fs.ftruncateSync(fd, 64 << 20);
  fs.closeSync(fd);
  const tree = path.join(dir, 'tree');
  for (let i = 0; i < 30; i++) {
    fs.mkdirSync(path.join(tree, `d${i % 5}`), { recursive: true });
    fs.writeFileSync(path.join(tree, `d${i % 5}`, `f${i}`), 'x'.repeat(100 * i));
  }

  it('piped: nothing but the answer on stdout and nothing on stderr', () => {
    const c = cli('csv-sum', big);
    expect(c.stdout).toBe('0\n');
    expect(c.stderr).toBe('');
    const r = cli('residency', '-t', tree);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(/\r/);
  });

  const script = spawnSync('script', ['--version'], { encoding: 'utf8' });
  it.skipIf(script.error !== undefined)('on a terminal (script -qc from util-linux): a progress line on stderr, erased at the end', () => {
    // stdout and stderr both go to script's terminal; stderr gets the progress, stdout the answer.
    const run = (cmd: string) =>
      spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, COLUMNS: '120' } });
    const c = run(`'${process.execPath}' '${MAIN}' csv-sum '${big}'`);
    expect(c.status).toBe(0);
    expect(c.stdout).toMatch(/\r\x1b\[Kcsv-sum .*big\.csv: \d+M?\/64M \(\d+%\)/);
    expect(c.stdout).toMatch(/\r\x1b\[K0\r?\n/); // erased, then the sum
    const r = run(`'${process.execPath}' '${MAIN}' residency -t '${tree}'`);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\r\x1b\[Kresidency: /);
    expect(r.stdout).toMatch(/total \(30 files, 6 folders\)/);
    // --quiet / -q: no progress even on a terminal.
    const q = run(`'${process.execPath}' '${MAIN}' csv-sum -q '${big}'`);
    expect(q.stdout.replace(/\r/g, '')).toBe('0\n');
  });
});

describe('Ctrl-C', () => {
  it('ends csv-sum blocked on a FIFO at once (by the signal: the shell sees 130), one line on stderr, no stack', async () => {
    const fifo = path.join(dir, 'slow.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // A writer that sends a little and then keeps the FIFO open.
    const writer = spawn('sh', ['-c', `{ printf '1,2\\n'; sleep 30; } > '${fifo}'`], { stdio: 'ignore' });
    const child = spawn(process.execPath, [MAIN, 'csv-sum', fifo], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    child.kill('SIGINT');
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    writer.kill('SIGKILL');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(code === 130 || signal === 'SIGINT', `code ${code}, signal ${signal}`).toBe(true);
    expect(stdout).toBe('');
    expect(stderr).toBe('mmapkit csv-sum: interrupted\n');
  });

  it('ends csv-sum over an endless stream at its next checkpoint: exit status 130', async () => {
    const yes = spawn('yes', ['1,'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const child = spawn(process.execPath, [MAIN, 'csv-sum', '-'], { stdio: [yes.stdout!, 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    child.kill('SIGINT');
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    yes.kill('SIGKILL');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect([code, signal]).toEqual([130, null]);
    expect(stdout).toBe('');
    expect(stderr).toBe('mmapkit csv-sum: interrupted\n');
  });

  it('ends a long simulation at once, by the signal, without a stack trace', async () => {
    const child = spawn(process.execPath, [MAIN, 'sim', 'doorbell', '--survey', '10000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    child.kill('SIGINT');
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(code === 130 || signal === 'SIGINT').toBe(true);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
