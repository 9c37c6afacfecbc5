import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Modules of bench/ import the package by name; in tests that is the current source, not dist/
  // (child processes that load the package by name still get the built package).
  resolve: { alias: [{ find: /^mmapkit$/, replacement: path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'lib/index.ts') }] },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/error-audit.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 600_000,
  },
});
