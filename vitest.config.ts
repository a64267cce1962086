import { defineConfig } from 'vitest/config';

// Tests sit beside their sources. Worker threads always load compiled JS from dist/
// (Node 20 cannot start a .ts worker), so `npm test` builds first.
export default defineConfig({
  test: {
    include: ['harness/**/*.test.ts', 'kernels/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
