/*
 * One helper makes the tests' temporary directories (temp_dir.ts): a test file or test helper
 * that calls mkdtempSync() itself would name its directory as it likes and remove it (or not) as
 * it likes, out of reach of the per-file cleanup. Product code may make its own (it removes them).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTestFile, repoSources } from './boundary.js';
import { TEST_TEMP_PREFIX, makeTestTempDir, removeTestTempDirs } from './temp_dir.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

describe('test temporary directories', () => {
  it('are made by makeTestTempDir() only, in every test file and test helper', () => {
    // The helper itself, the global setup's per-run directory, and this file (which names the call).
    const own = new Set(['temp_dir.ts', 'temp_dir_global.ts', 'temp_dir.test.ts'].map((f) => `harness/test_support/${f}`));
    const offenders = [...repoSources(ROOT)].filter(([f, src]) => isTestFile(f) && !own.has(f) && /\bmkdtempSync\s*\(/.test(src)).map(([f]) => f);
    expect(offenders, 'use makeTestTempDir() from harness/test_support/temp_dir.ts').toEqual([]);
  });

  it('carry the one prefix and are removed by removeTestTempDirs()', () => {
    const a = makeTestTempDir('probe');
    expect(path.basename(a).startsWith(`${TEST_TEMP_PREFIX}probe-`)).toBe(true);
    expect(existsSync(a)).toBe(true);
    removeTestTempDirs();
    expect(existsSync(a)).toBe(false);
  });
});
