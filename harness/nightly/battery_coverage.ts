/*
 * The battery's coverage lines (README.md, "Coverage"), printed by `torture nightly` and
 * `torture merge` before torture.sh's closing lines: one warning per job whose clean runs left a
 * point they expected at 0, and the points never reached anywhere in the battery. Warnings, not
 * failures: the battery's verdict stays the runs' verdicts (README.md says why).
 */

import path from 'node:path';
import type { BatteryRecord, JobRecord } from '../formats/battery_files.js';
import { collectCoverage, neverReached, sumCoverage, type CoverageTotal } from '../formats/coverage_sum.js';

/** The results directories of a job's runs that finished clean (exit 0): the ones whose reach is judged. */
function cleanRunDirs(dir: string, j: JobRecord): string[] {
  return j.steps.filter((s) => s.output === 'results-dir' && s.state === 'done' && s.exitCode === 0).map((s) => path.join(dir, j.name, s.name));
}

function coldText(t: CoverageTotal): string {
  return t.coldIn < t.expectedIn ? `${t.name} (0 in ${t.coldIn} of ${t.expectedIn} scenarios)` : t.name;
}

/** The job's expected points left at 0 by its clean runs (empty: nothing to warn about). */
export function jobColdPoints(dir: string, j: JobRecord): CoverageTotal[] {
  const { found } = collectCoverage(cleanRunDirs(dir, j));
  return sumCoverage(found).totals.filter((t) => t.coldIn > 0);
}

/** The coverage lines of battery `dir` (a battery's or a merge's). */
export function batteryCoverageLines(dir: string, r: BatteryRecord): string[] {
  const lines: string[] = [];
  for (const j of r.jobs) {
    const cold = jobColdPoints(dir, j);
    if (cold.length > 0) lines.push(` --- Coverage warning: ${j.name}: ${cold.length} expected point${cold.length === 1 ? '' : 's'} never reached: ${cold.map(coldText).join(', ')}`);
  }
  lines.push(coverageSummaryLine([dir]));
  return lines;
}

/** The battery-wide line: every scenario under `dirs` summed (a battery, a merge, or its shards). */
export function coverageSummaryLine(dirs: readonly string[]): string {
  const all = sumCoverage(collectCoverage(dirs).found);
  const expected = all.totals.filter((t) => t.expectedIn > 0).length;
  const never = neverReached(all);
  return ` --- Coverage: ${all.scenarios} scenario${all.scenarios === 1 ? '' : 's'}, ${expected - never.length} of ${expected} expected points reached; never reached anywhere: ${never.length === 0 ? 'none' : never.join(' ')}`;
}
