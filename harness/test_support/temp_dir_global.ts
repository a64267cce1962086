/*
 * vitest global setup (vitest.config.ts `globalSetup`): the check that no test leaves files behind.
 * The test processes, and every guest, driver and browser they start, get a temporary directory
 * of their own (TMPDIR, which os.tmpdir() reads), so that what other jobs on the same host write
 * to the shared one is never mistaken for ours. At the end every entry named `torture-...` still
 * in it (what the project's code and tests make: makeTestTempDir(), runGuest()'s default resdir,
 * the benchmarks' and the browser's scratch directories) fails the run, named; then the whole
 * directory is removed, so that nothing else is left either.
 */

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Names the project gives its temporary entries (TEST_TEMP_PREFIX and the product's own). */
const PROJECT_PREFIX = 'torture-';

export default function setup(): () => void {
  const root = mkdtempSync(path.join(os.tmpdir(), 'torture-vitest-'));
  const before = process.env['TMPDIR'];
  // Read by os.tmpdir() in the test workers (forked after this runs) and in their children.
  process.env['TMPDIR'] = root;
  return () => {
    if (before === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = before;
    const left = readdirSync(root).filter((n) => n.startsWith(PROJECT_PREFIX)).sort();
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    if (left.length === 0) return;
    // vitest reports an error thrown here but keeps its exit code: set the failure ourselves.
    process.exitCode = 1;
    throw new Error(`tests left ${left.length} temporary entries behind (removed now): ${left.join(' ')}; make them with makeTestTempDir() (harness/test_support/temp_dir.ts)`);
  };
}
