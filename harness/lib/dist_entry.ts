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

/** Every compiled entry point started by path (the .js that tsc writes, relative to dist/). */
export const DIST_ENTRIES = {
  guestMain: 'harness/guest/guest_main.js',
  jobChild: 'harness/commands/job_child.js',
  reportPage: 'harness/report/page/report_page.js',
  traceWorker: 'harness/lockdep/trace/trace_worker.js',
  traceReadWorker: 'harness/lockdep/trace/trace_read_worker.js',
  lockdepTraceChild: 'harness/bench/lockdep_trace_child.js',
  opsCheckChild: 'harness/torture/ops_check_child.js',
} as const;
export type DistEntry = keyof typeof DIST_ENTRIES;

/** The absolute path of a file under dist/ (`harness/bench/contended_worker.js`), built or not. */
export function distFile(rel: string): string {
  return path.join(repoRoot(), 'dist', ...rel.split('/'));
}

/** The absolute path of a compiled entry point (whether or not it was built). */
export function distPath(entry: DistEntry): string {
  return distFile(DIST_ENTRIES[entry]);
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
