/*
 * Nothing silently lost: a run the results directory's plan names (`batches`, else `scenarios`)
 * whose scenario directory is gone, or holds nothing a guest leaves, is judged as a failure with
 * the reason `missing` (kvm-recheck.sh globs the directories present, so a deleted one used to
 * vanish from recheck and the report: exit 0, junit tests="1"). Its headline is the suite's for a
 * run with no console, its one finding says where it was expected.
 */

import path from 'node:path';
import type { Finding } from '../formats/recheck_rule.js';
import { readScenarioFiles } from '../formats/scenario_files.js';
import { scenarioVerdict, type ScenarioVerdict } from './verdict.js';

/** The reason a missing run fails with (summary.json, JUnit, the report). */
export const MISSING_REASON = 'missing';

/** The verdict of planned run directory `dir` that left nothing to judge. */
export function missingVerdict(dir: string): ScenarioVerdict {
  const name = path.basename(dir);
  const v = scenarioVerdict(readScenarioFiles(dir));
  const finding: Finding = { lines: [`BUG: ${name}: ${MISSING_REASON}: planned but no scenario directory`, `    ${dir}`], reasons: [MISSING_REASON] };
  return { ...v, summary: { ...v.summary, verdict: 'failure', reasons: [MISSING_REASON] }, findings: [finding], diags: [], configErrors: false };
}
