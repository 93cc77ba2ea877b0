import { defineConfig } from 'vitest/config';

// `npm run package:check`: the app laid out by electron-builder (offline, stand-in Electron) once
// in the global setup, then the checks on it, one file at a time.
export default defineConfig({
  test: {
    include: ['scripts/packaging/**/*.check.ts'],
    globalSetup: ['scripts/packaging/lay-out-app.ts'],
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
