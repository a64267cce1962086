/*
 * The compiled entry points other processes and pages start from (dist/harness/...js), in one
 * table, and the one "not built" error for all of them: a guest, a battery job, a trace worker
 * and the report's page script are all files tsc writes into dist/, and a checkout that was never
 * built (`npm run build`) must say so the same way wherever it is noticed first.
 */

import { existsSync } from 'node:fs';
import path from 'node:path';
import { TortureError } from '../errors.js';
import { repoRoot } from './repo_root.js';

/** Every compiled entry point started by path (the repo-relative .js that tsc writes). */
export const DIST_ENTRIES = {
  guestMain: 'dist/harness/guest/guest_main.js',
  jobChild: 'dist/harness/nightly/job_child.js',
  reportPage: 'dist/harness/report/page/report_page.js',
  traceWorker: 'dist/harness/lockdep/trace_worker.js',
  traceReadWorker: 'dist/harness/lockdep/trace_read_worker.js',
  lockdepTraceChild: 'dist/harness/bench/lockdep_trace_child.js',
} as const;
export type DistEntry = keyof typeof DIST_ENTRIES;

/** The absolute path of a compiled entry point (whether or not it was built). */
export function distPath(entry: DistEntry): string {
  return path.join(repoRoot(), ...DIST_ENTRIES[entry].split('/'));
}

/** The one "not built" error: what could not be done, and the file that is missing. */
export function notBuiltError(what: string, file: string): TortureError {
  return new TortureError('USAGE', `Cannot ${what} as '${path.relative(process.cwd(), file)}' must exist (run npm run build): current value is missing`);
}

/** The path of a compiled entry point that must exist to `what` (`start guests`); else notBuiltError. */
export function builtEntry(entry: DistEntry, what: string): string {
  const f = distPath(entry);
  if (!existsSync(f)) throw notBuiltError(what, f);
  return f;
}
