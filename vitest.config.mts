import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/error-audit.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 600_000,
  },
});
