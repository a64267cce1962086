/*
 * vitest setup file (vitest.config.ts `setupFiles`): runs in every test file's context, so that the
 * temporary directories that file made with makeTestTempDir() are removed after its tests,
 * whether they passed or failed, without an afterAll in each test file.
 */

import { afterAll } from 'vitest';
import { removeTestTempDirs } from './temp_dir.js';

afterAll(() => removeTestTempDirs());
