/*
 * Temporary directories of the tests: one prefix, one place that makes them, one that removes
 * them. Every test that needs a scratch directory (a results root, a configs tree, a guest's
 * resdir) asks makeTestTempDir(); the per-file setup (temp_dir_setup.ts) removes all of them after
 * the file's tests, so a test run leaves nothing in the OS temporary directory, and the global
 * setup (temp_dir_global.ts) fails the run naming any `torture-` entry still there at the end.
 */

import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The prefix of every temporary directory a test makes (the leftover check looks for `torture-`). */
export const TEST_TEMP_PREFIX = 'torture-test-';

const made: string[] = [];

/** A fresh directory `<tmp>/torture-test-<tag>-XXXXXX`, removed after the test file. */
export function makeTestTempDir(tag: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${TEST_TEMP_PREFIX}${tag}-`));
  made.push(dir);
  return dir;
}

/** Remove every directory makeTestTempDir() made in this test file (the per-file afterAll). */
export function removeTestTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * Write `text` at `rel` under `root` (directories made) with its times set to `sec` seconds since
 * the epoch, and return its path: the staleness tests' files, whose order in time is the point.
 */
export function writeFileDated(root: string, rel: string, text: string, sec: number): string {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  utimesSync(p, sec, sec);
  return p;
}
