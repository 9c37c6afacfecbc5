// The existing tests the soak run reuses at full size (the simulator/kernel comparison, the
// map/unmap leak check), run as a nested vitest by test/soak/existing.soak.ts. No global setup:
// the soak run's own setup has compiled dist/ already.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: new URL('../..', import.meta.url).pathname,
  test: {
    include: ['test/sim.vm.kernel-diff.test.ts', 'test/core.processes.test.ts'],
    pool: 'forks',
    testTimeout: 3_600_000,
    hookTimeout: 600_000,
  },
});
