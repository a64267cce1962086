/*
 * The text summary: kvm-recheck.sh's and kvm-end-run-stats.sh's output, as lines. It is printed
 * (`torture recheck`, the end of a run) and logged; it is not a file of its own.
 */

import { dateText } from '../../lib/kvm_date.js';
import type { RunVerdict, ScenarioVerdict } from '../verdict.js';

/**
 * One scenario's lines: the headline, then every finding's lines in order, then (a clean run short
 * of its suite's floor) `INCONCLUSIVE: TREE03: 0 grace periods in 0.04 s of test (...)`.
 */
export function scenarioText(v: ScenarioVerdict): string[] {
  const inconclusive = v.summary.verdict === 'inconclusive' ? v.summary.reasons.map((r) => `INCONCLUSIVE: ${v.summary.scenario}: ${r}`) : [];
  return [v.summary.headline, ...v.findings.flatMap((f) => f.lines), ...inconclusive];
}

/** A results directory's lines: the command line from `log`, each scenario, the tallies. */
export function runText(v: RunVerdict): string[] {
  const lines: string[] = [];
  if (v.summary.commandLine !== '') lines.push(v.summary.commandLine);
  for (const s of v.scenarios) lines.push(...scenarioText(s));
  if (v.scenarios.length === 0) lines.push(`BUG: no scenario directories in ${v.summary.resultsDir}`);
  if (v.summary.configErrors > 0) lines.push(`${v.summary.configErrors} runs with .config errors.`);
  if (v.runtimeErrors > 0) lines.push(`${v.runtimeErrors} runs with runtime errors.`);
  const inconclusive = v.summary.inconclusive ?? 0;
  if (inconclusive > 0) lines.push(`${inconclusive} runs inconclusive (too little tested to say).`);
  return lines;
}

/** kvm-end-run-stats.sh's header: ` --- <date> Test summary:` and `Results directory: ...`. */
export function endRunHeader(resdir: string, now: Date = new Date()): string[] {
  return [` --- ${dateText(now)} Test summary:`, `Results directory: ${resdir}`];
}

/** kvm-end-run-stats.sh's last line. */
export function endRunFooter(startMs: number, rc: number, now: Date = new Date()): string {
  const secs = Math.max(0, Math.round((now.getTime() - startMs) / 1000));
  return ` --- Done at ${dateText(now)} (${secs} seconds) exitcode ${rc}`;
}
