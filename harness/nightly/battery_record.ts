/*
 * How a battery is summed up: torture.sh's closing lines, then the HTML report and the JUnit
 * file, the coverage lines and, for CONFIG_LOCK_STAT jobs, their summed `lock_stat` (the records themselves: harness/formats/battery_files.ts). Shared by `torture nightly`
 * (at the end of a battery) and `torture merge` (over the shards' records), so that a merged
 * battery ends exactly as an unsharded one does.
 */

import path from 'node:path';
import { dateText } from '../lib/kvm_date.js';
import { writeJunit } from '../report/junit.js';
import { writeReport } from '../report/write_report.js';
import type { BatteryRecord, JobRecord } from '../formats/battery_files.js';
import { batteryCoverageLines } from './battery_coverage.js';
import { lockStatText } from '../formats/lock_stat.js';
import { collectLockStat } from '../formats/lock_stat_sum.js';
import { SCENARIO_FILE } from '../formats/results_files.js';
import { writeFileAtomic } from '../lib/write_file_atomic.js';

/** torture.sh's get_starttime_duration: `N seconds`, `M:SS.0`, `H:MM:SS`, `Dd H:MM:SS`. */
export function formatDuration(secs: number): string {
  const ts = Math.max(0, Math.round(secs));
  const d = Math.floor(ts / 86400);
  const h = Math.floor(ts / 3600) - d * 24;
  const m = Math.floor(ts / 60) - Math.floor(ts / 3600) * 60;
  const s = ts - Math.floor(ts / 60) * 60;
  const p2 = (n: number): string => String(n).padStart(2, '0');
  if (d >= 1) return `${d}d ${h}:${p2(m)}:${p2(s)}`;
  if (h >= 1) return `${h}:${p2(m)}:${p2(s)}`;
  if (m >= 1) return `${m}:${p2(s)}.0`;
  return `${s} seconds`;
}

/** `name(exit codes)`, as torture.sh lists a flavour under SUCCESSES: / FAILURES:. */
function tally(j: JobRecord): string {
  const codes = j.steps.map((s) => (s.exitCode === null ? '-' : String(s.exitCode))).join(',');
  return `${j.name}(${codes})`;
}

/** The closing lines; returns 0 when every job passed, else 1. */
export function summaryLines(dir: string, r: BatteryRecord): { lines: string[]; rc: 0 | 1 } {
  const ok = r.jobs.filter((j) => j.passed === true);
  const bad = r.jobs.filter((j) => j.passed !== true);
  const lines = [` --- Done ${dateText(r.endedAt !== null ? new Date(r.endedAt) : new Date())}`, 'SUCCESSES:'];
  for (const j of ok) {
    const expectedFailure = j.steps.some((s) => s.exitCode !== 0);
    lines.push(`${tally(j)} ${path.join(dir, j.name)}${expectedFailure ? ` (expected: ${j.steps.map((s) => s.expect).join('; ')})` : ''}`);
  }
  lines.push('FAILURES:');
  for (const j of bad) {
    lines.push(`${tally(j)} ${path.join(dir, j.name)}`);
    for (const x of j.reasons) lines.push(`  Summary: ${x}`);
  }
  const start = new Date(r.startedAt);
  const end = r.endedAt !== null ? new Date(r.endedAt) : new Date();
  lines.push(`Started at ${dateText(start)}, ended at ${dateText(end)}, duration ${formatDuration((end.getTime() - start.getTime()) / 1000)}.`);
  lines.push(`Summary: Successes: ${ok.length} Failures: ${bad.length}.`);
  return { lines, rc: bad.length === 0 ? 0 : 1 };
}

/** Write index.html and junit.xml, then print the summary (its last line is torture.sh's); returns the exit code. */
export function writeBatteryOutputs(dir: string, r: BatteryRecord, log: (line: string) => void): 0 | 1 {
  let reportOk = true;
  try {
    log(` --- Report: ${writeReport(dir)}`);
    log(` --- JUnit: ${writeJunit(dir)}`);
  } catch (e) {
    // A report that cannot be written fails the battery; the results themselves are all on disk.
    log(`BUG: report not written: ${e instanceof Error ? e.message : String(e)}`);
    reportOk = false;
  }
  for (const l of batteryCoverageLines(dir, r)) log(l);
  // CONFIG_LOCK_STAT jobs: their lock_stat summed per class at the battery's top (a merge's too).
  const ls = collectLockStat([dir]);
  if (ls.scenarios > 0) {
    writeFileAtomic(path.join(dir, SCENARIO_FILE.lockStat), lockStatText(ls.classes));
    log(` --- lock_stat: ${path.join(dir, SCENARIO_FILE.lockStat)} (${ls.scenarios} scenarios)`);
  }
  const s = summaryLines(dir, r);
  for (const l of s.lines) log(l);
  return reportOk ? s.rc : 1;
}
