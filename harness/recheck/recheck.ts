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
 * Does not throw for a damaged results directory: what is missing becomes a failure reason, and
 * a run its plan names that left no directory is `missing` (missing_runs.ts). It refuses a
 * directory that is not a results directory (exit 2) before writing anything into it. A file it
 * cannot write (a full disk) is one line after the summary and fails the recheck; the other
 * writers still write.
 */

import path from 'node:path';
import { TortureError } from '../errors.js';
import { missingRuns } from '../formats/batches_file.js';
import { RUN_FILE, isLoneScenarioDir, isScenarioDir, logSeed, notResultsDir, readText, scenarioDirs } from '../formats/results_files.js';
import { readScenarioFiles } from '../formats/scenario_files.js';
import type { RunSummary } from '../formats/summary_json.js';
import { WriteFailure, isWriteFailure } from '../lib/write_file_atomic.js';
import { missingVerdict } from './missing_runs.js';
import { runVerdict, scenarioVerdict, type RunVerdict, type ScenarioVerdict } from './verdict.js';
import { WRITERS } from './writers/index.js';
import type { Writer } from './writers/writer.js';
import { endRunFooter, endRunHeader, runText } from './writers/text.js';

export { endRunFooter, endRunHeader } from './writers/text.js';

export interface RunRecheck {
  readonly summary: RunSummary;
  /** kvm-recheck.sh's output, then one `Cannot write ...` line per file that could not be written. */
  readonly lines: readonly string[];
  readonly verdict: RunVerdict;
  /** The files that could not be written (`Cannot write DIR/summary.json as the disk is full (ENOSPC)`). */
  readonly writeFailures: readonly string[];
  /** The verdict's exit code, or 1 when a file could not be written. */
  readonly exitCode: 0 | 1;
}

/** A scenario directory's verdict; one that holds nothing a guest leaves is `missing`. */
export function judgeScenarioDir(dir: string): ScenarioVerdict {
  return isScenarioDir(dir) ? scenarioVerdict(readScenarioFiles(dir)) : missingVerdict(dir);
}

/**
 * The scenario directories of results directory `dir` (absolute) in name order: those present and
 * those its plan names but that are gone; `dir` alone for a lone scenario directory.
 */
export function resultsScenarioDirs(dir: string): { readonly single: boolean; readonly dirs: readonly string[] } {
  if (isLoneScenarioDir(dir)) return { single: true, dirs: [dir] };
  const present = scenarioDirs(dir);
  const missing = missingRuns(dir).map((n) => path.join(dir, n));
  return { single: false, dirs: [...new Set([...present, ...missing])].sort() };
}

/** Refuse `dir` unless it is a results directory (nothing is read or written into it). */
export function checkResultsDir(dirArg: string, doing: string): void {
  const why = notResultsDir(path.resolve(dirArg));
  if (why !== null) throw new TortureError('RESULTS_DIR', `Cannot ${doing} as '${dirArg}' must be a results directory: current value is ${why}`);
}

/** Run one writer call; a file it could not write is added to `failures` (other errors throw). */
function tryWrite(failures: string[], shown: string, write: () => void): void {
  try {
    write();
  } catch (e) {
    if (isWriteFailure(e)) failures.push(e.message);
    else if (e instanceof Error && 'code' in e) failures.push(new WriteFailure(shown, e).message);
    else throw e;
  }
}

/** Recheck one scenario directory and write every writer's per-scenario output. */
export function recheckScenario(dir: string): ScenarioVerdict {
  const v = judgeScenarioDir(path.resolve(dir));
  for (const w of WRITERS) w.scenario?.(v);
  return v;
}

/**
 * Recheck one results directory (or a single scenario directory) and write every writer's output,
 * then each of `also` (the caller's: the report's index.html and junit.xml, drawn from these
 * verdicts in memory; recheck itself knows nothing of the report).
 */
export function recheckResults(dirArg: string, also: readonly Writer[] = []): RunRecheck {
  checkResultsDir(dirArg, 'recheck');
  const dir = path.resolve(dirArg);
  const { single, dirs } = resultsScenarioDirs(dir);
  const scenarios = dirs.map(judgeScenarioDir);
  const logText = readText(path.join(dir, RUN_FILE.log)) ?? '';
  const verdict = runVerdict({
    dir,
    commandLine: logText.split('\n')[0] ?? '',
    suiteFile: readText(path.join(dir, RUN_FILE.suite))?.trim() ?? null,
    seed: logSeed(logText),
    single,
    scenarios,
  });
  const failures: string[] = [];
  for (const w of [...WRITERS, ...also]) {
    // A missing run has no directory to write into: the run-level files carry it.
    const write = w.scenario;
    if (write !== undefined) for (const s of scenarios) if (isScenarioDir(s.dir)) tryWrite(failures, path.join(s.dir, w.name), () => write(s));
    const writeRun = w.run;
    if (writeRun !== undefined && !single) tryWrite(failures, path.join(dir, w.name), () => writeRun(dir, verdict));
  }
  const exitCode = failures.length > 0 ? 1 : verdict.summary.exitCode;
  return { summary: verdict.summary, lines: [...runText(verdict), ...failures], verdict, writeFailures: failures, exitCode };
}

/** `torture recheck DIR...`: print each directory's report; 0 if every run succeeded, else 1. */
export function recheckMain(dirs: readonly string[], print: (line: string) => void, also: readonly Writer[] = []): 0 | 1 {
  let rc: 0 | 1 = 0;
  for (const d of dirs) {
    const start = Date.now();
    const r = recheckResults(d, also);
    for (const l of endRunHeader(r.summary.resultsDir)) print(l);
    for (const l of r.lines) print(l);
    print(endRunFooter(start, r.exitCode));
    if (r.exitCode !== 0) rc = 1;
  }
  return rc;
}
