// `mmapkit uio` and `mmapkit sim edu --irq` as a user runs them (the compiled CLI in a child
// process). The real /dev/uioN run of `uio edu` happens in the QEMU guest (test/hw.edu.test.ts).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/helpers';

const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
const noUio = !fs.existsSync('/sys/class/uio') || fs.readdirSync('/sys/class/uio').length === 0;

describe('mmapkit uio edu --sim / mmapkit sim edu --irq', () => {
  it('computes n! by interrupt and counts every raised interrupt (JSON)', () => {
    const r = cli('uio', 'edu', '--sim', '--n', '12', '--raise', '30', '--json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      backend: 'simulated edu (simulated UIO)',
      n: 12,
      factorial: 479001600,
      expected: 479001600,
      raised: 30,
      counted: 30,
      gaps: 0,
      ok: true,
    });
    expect(j.latencyUs.min).toBeLessThanOrEqual(j.latencyUs.median);
  });

  it('prints the same run as text, and sim edu --irq gives it as a scenario', () => {
    const r = cli('uio', 'edu', '--sim', '--raise', '5');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^simulated edu \(simulated UIO\): 10! = 3628800 by interrupt in [\d.]+ ms \(expected 3628800\)\n5 interrupts raised through IRQ_RAISE, 5 counted, 0 gaps; /,
    );
    const s = cli('sim', 'edu', '--irq', '--json');
    expect(s.status, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ scenario: 'edu', ok: true, factorial: 3628800, counted: 100, gaps: 0 });
    const plain = cli('sim', 'edu', '--json');
    expect(JSON.parse(plain.stdout)).toMatchObject({ scenario: 'edu', ok: true, factorial: 3628800, busyPolls: expect.any(Number) });
  });
});

describe('mmapkit uio on this machine', () => {
  it.runIf(noUio)('list says there are none; edu and wait fail with ERR_MMAPKIT_DEVICE and advice', () => {
    const l = cli('uio', 'list');
    expect(l.status).toBe(0);
    expect(l.stdout).toMatch(/^no UIO devices/);
    expect(JSON.parse(cli('uio', 'list', '--json').stdout)).toEqual([]);
    const e = cli('uio', 'edu');
    expect(e.status).toBe(1);
    expect(e.stderr).toMatch(/No UIO device is bound to an edu device .*uio_pci_generic\/new_id.*--sim \[ERR_MMAPKIT_DEVICE\]/);
    const w = cli('uio', 'wait', '0', '--timeout', '10');
    expect(w.status).toBe(1);
    expect(w.stderr).toMatch(/No such UIO device: uio0 .*\[ERR_MMAPKIT_DEVICE\]/);
    const n = cli('uio', 'wait', '/dev/null');
    expect(n.status).toBe(1);
    expect(n.stderr).toMatch(/is not a UIO device.*\[ERR_MMAPKIT_NOT_UIO\]/);
  });

  it('usage errors exit 2', () => {
    expect(cli('uio').status).toBe(2);
    expect(cli('uio', 'nope').status).toBe(2);
    expect(cli('uio', 'wait').status).toBe(2);
    expect(cli('uio', 'edu', '--sim', '--device', 'uio0').status).toBe(2);
    expect(cli('uio', 'edu', '--sim', '--raise', '-1').status).toBe(2);
    expect(cli('uio', 'list', 'extra').status).toBe(2);
  });

  it('--help documents the verbs', () => {
    const h = cli('uio', '--help');
    expect(h.status).toBe(0);
    for (const w of ['uio list', 'uio wait DEVICE', 'uio edu', '--sim', '--reenable', '--raise K']) expect(h.stdout).toContain(w);
  });
});
