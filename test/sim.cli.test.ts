import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from '../lib/cli/sim';
import { ROOT } from './support/helpers';

const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [MAIN, 'sim', ...args], { encoding: 'utf8', timeout: 60_000 });

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('mmapkit sim', () => {
  it('--help lists the scenarios', async () => {
    expect(await run(['--help'])).toBe(0);
    for (const s of ['uart', 'doorbell', 'ring', 'byte-lanes', 'portio', 'volatile', 'gpio', 'edu', 'vm']) expect(out).toContain(s);
  });

  it('no scenario prints usage and exits 2; an unknown one throws ERR_INVALID_ARG_VALUE', async () => {
    expect(await run([])).toBe(2);
    expect(err).toContain('usage: mmapkit sim');
    expect(await codeOf(run(['nope']))).toBe('ERR_INVALID_ARG_VALUE');
    expect(await codeOf(run(['uart', '--divisor', 'x']))).toBe('ERR_INVALID_ARG_VALUE');
  });

  it('uart prints the trace and the transmitted string', async () => {
    expect(await run(['uart', '--text', 'hi'])).toBe(0);
    expect(out).toContain('transmitted: "hi"');
    expect(out).toMatch(/store32 0x10000000 = 0x00000068 @ uart\+0x00 DATA/);
    expect(out).toContain('OK:');
  });

  it('uart --json gives the same facts as JSON', async () => {
    expect(await run(['uart', '--text', 'ok', '--json'])).toBe(0);
    const j = JSON.parse(out);
    expect(j.scenario).toBe('uart');
    expect(j.ok).toBe(true);
    expect(j.output).toBe('ok');
    expect(j.writesWithoutTxEmpty).toBe(0);
    expect(Array.isArray(j.trace)).toBe(true);
  });

  it("byte-lanes prints the seed's lane table", async () => {
    expect(await run(['byte-lanes'])).toBe(0);
    expect(out).toContain('0x10000008  01\n0x10000009  00\n0x1000000a  00\n0x1000000b  00');
    expect(out).toContain('88 77 66 55 44 33 22 11');
  });

  it('doorbell with and without the barrier', async () => {
    expect(await run(['doorbell', '--seed', '2', '--survey', '50', '--json'])).toBe(0);
    const withBarrier = JSON.parse(out);
    expect(withBarrier.barrier).toBe(true);
    expect(withBarrier.stale).toEqual([]);
    expect(withBarrier.survey.staleWithBarrier).toBe(0);
    expect(withBarrier.survey.staleWithoutBarrier).toBeGreaterThan(0);
    const staleSeed = withBarrier.survey.exampleStaleSeeds[0] as number;
    out = '';
    expect(await run(['doorbell', '--no-barrier', '--seed', String(staleSeed), '--survey', '50'])).toBe(0);
    expect(out).toContain('WITHOUT the store barrier');
    expect(out).toMatch(/STALE: descriptor \d (len|flags|addr)/);
    expect(await codeOf(run(['doorbell', '--barrier', '--no-barrier']))).toBe('ERR_INVALID_ARG_VALUE');
  });

  it('portio, volatile, edu and gpio run and show what they should', async () => {
    for (const s of ['portio', 'volatile', 'edu', 'gpio']) {
      out = '';
      expect(await run([s, '--json'])).toBe(0);
      const j = JSON.parse(out);
      expect(j.scenario).toBe(s);
      expect(j.ok).toBe(true);
    }
  });

  it('volatile reports that the cached loop spun out', async () => {
    expect(await run(['volatile', '--cap', '5000'])).toBe(0);
    expect(out).toContain('SPUN OUT at the cap of 5000 iterations');
  });

  it('all runs every scenario', async () => {
    expect(await run(['all', '--json', '--survey', '20'])).toBe(0);
    const j = JSON.parse(out) as Array<{ scenario: string }>;
    expect(j.map((r) => r.scenario).sort()).toEqual(['byte-lanes', 'doorbell', 'edu', 'gpio', 'portio', 'ring', 'uart', 'volatile']);
  });

  it('vm forwards to lib/cli/sim-vm.ts when it exists, else says so', async () => {
    const exists = fs.existsSync(path.join(__dirname, '../lib/cli/sim-vm.ts'));
    if (exists) {
      const code = await run(['vm', '--help']);
      expect(code).toBe(0);
      expect(out).toContain('vm');
    } else {
      expect(await codeOf(run(['vm', 'x']))).toBe('ERR_MMAPKIT_UNSUPPORTED');
    }
  });
});

describe('mmapkit sim bounds its numeric options (the real CLI, child processes)', () => {
  it('--n 1e9 is a usage error at once (exit 2), not a run that never ends', () => {
    const t0 = Date.now();
    const r = cli('edu', '--n', '1e9');
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("mmapkit sim: --n must be an integer from 0 to 10000. Received '1e9' [ERR_INVALID_ARG_VALUE]\n");
    expect(cli('edu', '--n', '10001').stderr).toMatch(/--n must be an integer from 0 to 10000\. Received '10001' \[ERR_OUT_OF_RANGE\]/);
  });

  it('the largest --n still finishes, with the right answer', () => {
    const r = cli('edu', '--n', '10000', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ scenario: 'edu', ok: true });
  });

  it('every other numeric option is bounded the same way (exit 2, the option named)', () => {
    const cases: Array<[string[], RegExp]> = [
      [['doorbell', '--survey', '100000'], /--survey must be an integer from 1 to 10000/],
      [['doorbell', '--survey', '0'], /--survey must be an integer from 1 to 10000/],
      [['volatile', '--cap', '1000000000'], /--cap must be an integer from 1 to 100000000/],
      [['uart', '--divisor', '65535'], /--divisor must be an integer from 1 to 16/],
      [['uart', '--divisor', '12'], /--divisor 12 with the default 19-character text is too slow to simulate/],
      [['uart', '--text', 'x'.repeat(101)], /--text must be at most 100 characters\. Received 101/],
      [['uart', '--text', 'x'.repeat(30), '--divisor', '10'], /--text of 30 characters at --divisor 10 is too slow/],
      [['uart', '--seed=-1'], /--seed must be an integer from 0 to 4294967295\. Received '-1'/],
      [['doorbell', '--model', 'sc'], /--model must be arm or tso\. Received 'sc'/],
      [['vm', 'csv-sum', '--trace', 'lots'], /^mmapkit sim: --trace must be an integer from 0 to 1000000/],
    ];
    for (const [args, want] of cases) {
      const r = cli(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(want);
    }
  });
});
