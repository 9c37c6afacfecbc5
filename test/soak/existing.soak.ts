// Two existing tests at full size, each run as it is in `npm test` (a nested vitest with
// test/soak/existing.config.mts), with its count set by its environment variable:
// - test/sim.vm.kernel-diff.test.ts: 10 000 random operation sequences (MMAPKIT_SIM_DIFF_RUNS) on
//   the simulator and on the real kernel, compared after every step: 0 divergences. A failure names
//   its seed (replay with MMAPKIT_SIM_DIFF_SEED=<seed>).
// - test/core.processes.test.ts: 100 000 map/unmap cycles (MMAPKIT_LEAK_CYCLES) with
//   /proc/self/maps and RSS flat.
// MMAPKIT_SOAK_SIM_DIFF_RUNS and MMAPKIT_SOAK_LEAK_CYCLES override the soak counts.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/helpers';
import { report } from './report';

const SIM_RUNS = Number(process.env.MMAPKIT_SOAK_SIM_DIFF_RUNS ?? 10_000);
const LEAK_CYCLES = Number(process.env.MMAPKIT_SOAK_LEAK_CYCLES ?? 100_000);

function vitest(file: string, name: string, env: NodeJS.ProcessEnv): { ok: boolean; out: string; secs: string } {
  const t0 = Date.now();
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '-c', path.join(__dirname, 'existing.config.mts'), file, '-t', name, '--reporter=verbose'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...env, FORCE_COLOR: '0', NO_COLOR: '1' },
      maxBuffer: 64 << 20,
    },
  );
  return { ok: r.status === 0, out: `${r.stdout}\n${r.stderr}`, secs: ((Date.now() - t0) / 1000).toFixed(0) };
}

/** The end of a failed nested run: its failure message (with the replay seed). */
function failure(out: string): string {
  const i = out.indexOf('FAIL');
  return (i >= 0 ? out.slice(i) : out.slice(-3000)).slice(0, 3000);
}

describe('soak: existing checks at full size', () => {
  it(`${SIM_RUNS} random operation sequences, simulator against the kernel: 0 divergences`, () => {
    const r = vitest('test/sim.vm.kernel-diff.test.ts', 'agrees on bytes seen', { MMAPKIT_SIM_DIFF_RUNS: String(SIM_RUNS) });
    const line = /simulator vs kernel: (\d+) sequences, (\d+) evictions, (\d+) writebacks, (\d+) ended/.exec(r.out);
    const seed = /replay with MMAPKIT_SIM_DIFF_SEED=(-?\d+)/.exec(r.out)?.[1];
    report(
      r.ok && line
        ? `soak: ${line[1]} random operation sequences, simulator against the kernel: 0 divergences (${line[2]} evictions, ${line[3]} writebacks on the way, ${line[4]} runs ended by the simulator's OOM killer) (${r.secs} s)`
        : `soak: ${SIM_RUNS} random operation sequences, simulator against the kernel: FAILED${seed ? ` (replay with MMAPKIT_SIM_DIFF_SEED=${seed})` : ''} (${r.secs} s)`,
      r.ok ? '' : failure(r.out),
    );
    expect(r.ok, failure(r.out)).toBe(true);
    expect(Number(line?.[1])).toBe(SIM_RUNS);
  }, 3_600_000);

  it(`${LEAK_CYCLES} map/unmap cycles: /proc/self/maps and RSS flat`, () => {
    const r = vitest('test/core.processes.test.ts', 'map/unmap cycles', { MMAPKIT_LEAK_CYCLES: String(LEAK_CYCLES) });
    const line = /map\/unmap leak check: (\d+) cycles, \/proc\/self\/maps (\d+) -> (\d+) lines, RSS ([\d.]+) -> ([\d.]+) MiB/.exec(r.out);
    report(
      r.ok && line
        ? `soak: ${line[1]} map/unmap cycles (after 140 000 to warm up): /proc/self/maps ${line[2]} -> ${line[3]} lines, RSS ${line[4]} -> ${line[5]} MiB (${r.secs} s)`
        : `soak: ${LEAK_CYCLES} map/unmap cycles: FAILED (${r.secs} s)`,
      r.ok ? '' : failure(r.out),
    );
    expect(r.ok, failure(r.out)).toBe(true);
    expect(Number(line?.[1])).toBe(LEAK_CYCLES);
  }, 3_600_000);
});
