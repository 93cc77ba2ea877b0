import { defineConfig } from 'vitest/config';

// End-to-end tests: Chromium (Playwright) against the built renderer. One file at a time, since a
// browser and the model each take real CPU; run by `npm run test:e2e` after a build.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.test.ts'],
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
