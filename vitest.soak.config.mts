// `npm run test:soak`: the reliability suite at full size (test/soak/*.soak.ts), kept out of
// `npm test`. The items run one after another, each using the whole machine (their own child
// processes run in parallel).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/soak/*.soak.ts'],
    globalSetup: ['test/soak/setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 3_600_000,
    hookTimeout: 600_000,
  },
});
