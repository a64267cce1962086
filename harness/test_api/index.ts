/*
 * `torture/test`: torture your lock or your concurrent object from any test runner (vitest,
 * node:test, mocha, ...) and assert on a typed verdict. See README.md here.
 */

import path from 'node:path';
import { repoRoot } from '../lib/repo_root.js';

export { tortureLock, tortureObject } from './torture_run.js';
export { PREEMPTION_MODELS, type PreemptionModel, type TortureOptions } from './torture_case.js';
export type { Finding, TortureVerdict, TortureVerdictKind } from './verdict.js';
export type { ObjectCheckRecord, RecordedCall } from '../formats/object_check_json.js';
export type { HistoryOp, ObjectValue, SequentialSpec } from '../linearizability/history.js';

/** The path of a shipped example: `example('lock', 'futex_lock')`, `example('object', 'locked_queue')`. */
export function example(kind: 'lock' | 'object', name: string): string {
  return path.join(repoRoot(), 'configs', kind, 'examples', `${name}.mjs`);
}
