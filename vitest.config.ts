import { defineConfig } from 'vitest/config';

// Tests sit beside their sources. Worker threads always load compiled JS from dist/
// (Node 20 cannot start a .ts worker), so `npm test` builds first. Temporary directories: every
// test file's are removed after it (setupFiles), and the run fails naming any left (globalSetup).
// A dist/ built by tsc alone gets its CPU bundle linked before the tests start (globalSetup).
export default defineConfig({
  test: {
    include: ['harness/**/*.test.ts', 'kernels/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 30_000,
    setupFiles: ['harness/test_support/temp_dir_setup.ts'],
    globalSetup: ['harness/test_support/cpu_bundle_global.ts', 'harness/test_support/temp_dir_global.ts'],
  },
});
