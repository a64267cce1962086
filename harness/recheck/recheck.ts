/*
 * kvm-recheck.sh and kvm-end-run-stats.sh (the last step of a kvm.sh run): re-derive every
 * verdict of a results directory from its files, print the first line of `log` (the command line),
 * each scenario's recheck, and the tallies (`N runs with runtime errors.`, only when nonzero, as
 * kvm-recheck prints them). Writes `<dir>/summary.json` with every scenario's summary.
 *
 * Used both at the end of a run and by `torture recheck DIR...`, so that running and judging
 * share no state: the verdict is whatever the files say.
 * Does not throw for a damaged results directory: what is missing becomes a failure reason.
 */

import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TortureError } from '../errors.js';
import { dateText } from '../lib/kvm_date.js';
import { recheckScenario, type ScenarioRecheck, type ScenarioSummary } from './recheck_scenario.js';

export interface RunSummary {
  readonly resultsDir: string;
  readonly commandLine: string;
  readonly suite: string | null;
  /** The run's random seed (`Random seed: N` in the log), or null for older results. */
  readonly seed: number | null;
  readonly exitCode: 0 | 1;
  readonly runs: number;
  readonly failures: number;
  readonly configErrors: number;
  readonly scenarios: readonly ScenarioSummary[];
}

export interface RunRecheck {
  readonly summary: RunSummary;
  /** kvm-recheck.sh's output. */
  readonly lines: readonly string[];
}

function isScenarioDir(dir: string): boolean {
  return ['guest-spec.json', 'console.log', 'guest-retval'].some((f) => existsSync(path.join(dir, f)));
}

/** Scenario directories of a results directory, in name order (kvm-recheck's glob order). */
export function scenarioDirs(resdir: string): string[] {
  return readdirSync(resdir)
    .map((f) => path.join(resdir, f))
    .filter((d) => statSync(d).isDirectory() && isScenarioDir(d))
    .sort();
}

function seedOfLog(log: string): number | null {
  const m = /^Random seed: (\d+)/m.exec(log);
  return m === null ? null : Number(m[1]);
}

/** Recheck one results directory (or a single scenario directory). */
export function recheckResults(dirArg: string): RunRecheck {
  const dir = path.resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new TortureError('RESULTS_DIR', `Cannot recheck as '${dirArg}' must be a results directory: current value is not a directory`);
  }
  const single = isScenarioDir(dir) && !existsSync(path.join(dir, 'log'));
  const dirs = single ? [dir] : scenarioDirs(dir);
  const logText = existsSync(path.join(dir, 'log')) ? readFileSync(path.join(dir, 'log'), 'utf8') : '';
  const commandLine = logText.split('\n')[0] ?? '';
  const suiteText = existsSync(path.join(dir, 'torture_suite')) ? readFileSync(path.join(dir, 'torture_suite'), 'utf8').trim() : null;

  const lines: string[] = [];
  if (commandLine !== '') lines.push(commandLine);
  const rechecks: ScenarioRecheck[] = dirs.map((d) => recheckScenario(d));
  for (const r of rechecks) lines.push(...r.lines);
  if (rechecks.length === 0) lines.push(`BUG: no scenario directories in ${dir}`);

  const configErrors = rechecks.filter((r) => r.configErrors).length;
  const failures = rechecks.filter((r) => r.summary.verdict === 'failure').length;
  const runtimeErrors = rechecks.filter((r) => r.summary.verdict === 'failure' && !(r.configErrors && r.summary.reasons.every((x) => x.endsWith('improperly set')))).length;
  if (configErrors > 0) lines.push(`${configErrors} runs with .config errors.`);
  if (runtimeErrors > 0) lines.push(`${runtimeErrors} runs with runtime errors.`);

  const exitCode: 0 | 1 = failures > 0 || rechecks.length === 0 ? 1 : 0;
  const summary: RunSummary = {
    resultsDir: dir,
    commandLine,
    suite: suiteText ?? rechecks[0]?.summary.suite ?? null,
    seed: seedOfLog(logText),
    exitCode,
    runs: rechecks.length,
    failures,
    configErrors,
    scenarios: rechecks.map((r) => r.summary),
  };
  if (!single) writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return { summary, lines };
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

/** `torture recheck DIR...`: print each directory's report; 0 if every run succeeded, else 1. */
export function recheckMain(dirs: readonly string[], print: (line: string) => void): 0 | 1 {
  let rc: 0 | 1 = 0;
  for (const d of dirs) {
    const start = Date.now();
    const r = recheckResults(d);
    for (const l of endRunHeader(r.summary.resultsDir)) print(l);
    for (const l of r.lines) print(l);
    print(endRunFooter(start, r.summary.exitCode));
    if (r.summary.exitCode !== 0) rc = 1;
  }
  return rc;
}
