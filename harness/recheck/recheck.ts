/*
 * kvm-recheck.sh and kvm-end-run-stats.sh (the last step of a kvm.sh run): re-derive every
 * verdict of a results directory from its files, print the first line of `log` (the command line),
 * each scenario's recheck, and the tallies (`N runs with runtime errors.`, only when nonzero, as
 * kvm-recheck prints them). Every writer (writers/index.ts) then writes its output: summary.json
 * in each scenario and in the results directory, console.log.diags where something was flagged;
 * then the caller's writers (harness/report/report_writers.ts: junit.xml and index.html in the
 * results directory, from the verdicts in memory).
 *
 * Used both at the end of a run and by `torture recheck DIR...`, so that running and judging
 * share no state: the verdict is whatever the files say (verdict.ts, a pure function of them).
 * Does not throw for a damaged results directory: what is missing becomes a failure reason.
 */

import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { TortureError } from '../errors.js';
import { RUN_FILE, isLoneScenarioDir, logSeed, readText, scenarioDirs } from '../formats/results_files.js';
import { readScenarioFiles } from '../formats/scenario_files.js';
import type { RunSummary } from '../formats/summary_json.js';
import { runVerdict, scenarioVerdict, type RunVerdict, type ScenarioVerdict } from './verdict.js';
import { WRITERS } from './writers/index.js';
import type { Writer } from './writers/writer.js';
import { endRunFooter, endRunHeader, runText } from './writers/text.js';

export { endRunFooter, endRunHeader } from './writers/text.js';

export interface RunRecheck {
  readonly summary: RunSummary;
  /** kvm-recheck.sh's output. */
  readonly lines: readonly string[];
  readonly verdict: RunVerdict;
}

/** Recheck one scenario directory and write every writer's per-scenario output. */
export function recheckScenario(dir: string): ScenarioVerdict {
  const v = scenarioVerdict(readScenarioFiles(path.resolve(dir)));
  for (const w of WRITERS) w.scenario?.(v);
  return v;
}

/**
 * Recheck one results directory (or a single scenario directory) and write every writer's output,
 * then each of `also` (the caller's: the report's index.html and junit.xml, drawn from these
 * verdicts in memory; recheck itself knows nothing of the report).
 */
export function recheckResults(dirArg: string, also: readonly Writer[] = []): RunRecheck {
  const dir = path.resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new TortureError('RESULTS_DIR', `Cannot recheck as '${dirArg}' must be a results directory: current value is not a directory`);
  }
  const single = isLoneScenarioDir(dir);
  const scenarios = (single ? [dir] : scenarioDirs(dir)).map((d) => scenarioVerdict(readScenarioFiles(d)));
  const logText = readText(path.join(dir, RUN_FILE.log)) ?? '';
  const verdict = runVerdict({
    dir,
    commandLine: logText.split('\n')[0] ?? '',
    suiteFile: readText(path.join(dir, RUN_FILE.suite))?.trim() ?? null,
    seed: logSeed(logText),
    single,
    scenarios,
  });
  for (const w of [...WRITERS, ...also]) {
    if (w.scenario !== undefined) for (const s of scenarios) w.scenario(s);
    if (w.run !== undefined && !single) w.run(dir, verdict);
  }
  return { summary: verdict.summary, lines: runText(verdict), verdict };
}

/** `torture recheck DIR...`: print each directory's report; 0 if every run succeeded, else 1. */
export function recheckMain(dirs: readonly string[], print: (line: string) => void, also: readonly Writer[] = []): 0 | 1 {
  let rc: 0 | 1 = 0;
  for (const d of dirs) {
    const start = Date.now();
    const r = recheckResults(d, also);
    for (const l of endRunHeader(r.summary.resultsDir)) print(l);
    for (const l of r.lines) print(l);
    print(endRunFooter(start, r.summary.exitCode));
    if (r.summary.exitCode !== 0) rc = 1;
  }
  return rc;
}
