// The `ring` scenario: two simulated processes share a frame holding a channel's ring; the
// producer's stores pass a store buffer. Without the release before the tail store the consumer
// sees torn messages on a weakly ordered CPU; with it, never; on TSO, never either.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { simRingRun, simRingScenario, simRingSurvey } from '../lib';
import { ROOT } from './support/helpers';

describe('sim ring scenario', () => {
  it('the two processes reach the same bytes through their own page tables', () => {
    const r = simRingRun({ seed: 3 });
    expect(r.sharedFrame.sameBytes).toBe(true);
    expect(r.received.map((m) => m.index)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('with the release every message is whole; without it some seeds tear (arm), none on tso', () => {
    const arm = simRingSurvey(60, 'arm');
    expect(arm.tornWithRelease).toBe(0);
    expect(arm.tornWithoutRelease).toBeGreaterThan(0);
    const torn = simRingRun({ seed: arm.exampleTornSeeds[0], release: false });
    expect(torn.torn).toBeGreaterThan(0);
    expect(torn.received.find((m) => !m.whole)!.seen).toMatch(/length|payload/);
    expect(simRingSurvey(60, 'tso').tornWithoutRelease).toBe(0);
  });

  it('is deterministic per seed', () => {
    expect(simRingRun({ seed: 9, release: false }).lines).toEqual(simRingRun({ seed: 9, release: false }).lines);
  });

  it('rejects bad options with coded errors', () => {
    expect(() => simRingRun({ seed: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => simRingRun({ model: 'x' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => simRingScenario({ bogus: 1 } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  it('mmapkit sim ring prints the trace and exits 0 with and without --no-barrier; --json has the survey', () => {
    const main = path.join(ROOT, 'dist', 'cli', 'main.js');
    const a = spawnSync(process.execPath, [main, 'sim', 'ring', '--survey', '30'], { encoding: 'utf8' });
    expect(a.status).toBe(0);
    expect(a.stdout).toContain('WITH a release');
    const b = spawnSync(process.execPath, [main, 'sim', 'ring', '--no-barrier', '--survey', '30', '--json'], { encoding: 'utf8' });
    expect(b.status).toBe(0);
    const j = JSON.parse(b.stdout);
    expect(j.scenario).toBe('ring');
    expect(j.survey.tornWithRelease).toBe(0);
    expect(j.survey.tornWithoutRelease).toBeGreaterThan(0);
  });
});
