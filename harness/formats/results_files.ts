/*
 * The files of a results directory, by name, and the few ways they are read: one table of names
 * (what kvm.sh and its scripts expect, and what our guests and recheck add), a tolerant reader
 * (a damaged or missing file is null, never a throw: recheck turns it into a failure reason and
 * the report shows what is there), and how a scenario directory is recognised and listed. The
 * record formats themselves sit beside this file: scenario_files.ts (what a scenario directory
 * holds), summary_json.ts (recheck's verdicts), battery_files.ts (nightly.json, job.json).
 */

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Files of one scenario directory. */
export const SCENARIO_FILE = {
  spec: 'guest-spec.json',
  /** The frozen Scenario the run ran (`torture again` reruns it). */
  scenario: 'scenario.json',
  result: 'guest-result.json',
  retval: 'guest-retval',
  /** Why the driver killed a running guest when the run was stopped (STOP file, SIGINT): recheck's INCONCLUSIVE. */
  stopped: 'guest-stopped',
  console: 'console.log',
  diags: 'console.log.diags',
  summary: 'summary.json',
  lockdepGraph: 'lockdep_graph.json',
  lockTasks: 'locktorture_tasks.json',
  /** CONFIG_LOCK_STAT=y: /proc/lock_stat at the end of the run (lock_stat.ts). */
  lockStat: 'lock_stat',
  /** objecttorture's linearizability verdict and a violation's minimal history (the report's timeline). */
  objectHistory: 'object_history.json',
  /** objecttorture.dump_history=1: every recorded call (the benchmark's input). */
  objectCalls: 'object_calls.json',
  configFragmentInput: 'ConfigFragment.input',
  dotConfig: '.config',
  /** kvm.sh's own files (harness/run/kvm_files.ts writes them). */
  qemuCmd: 'qemu-cmd',
  qemuOutput: 'qemu-output',
  qemuRetval: 'qemu-retval',
  makeDefconfigOut: 'Make.defconfig.out',
  makeOut: 'Make.out',
  vmlinux: 'vmlinux',
  /** Older results' name for qemu-output. */
  guestOutput: 'guest-output',
} as const;

/** Files of a results directory (beside its scenario directories). */
export const RUN_FILE = {
  log: 'log',
  suite: 'torture_suite',
  summary: 'summary.json',
  /** A battery's record (battery_files.ts). */
  nightly: 'nightly.json',
} as const;

/** The run's seed from its `log` text (the driver's `Random seed: N` line), or null. */
export function logSeed(logText: string): number | null {
  const m = /^Random seed: (\d+)/m.exec(logText);
  return m === null ? null : Number(m[1]);
}

/** A file's text, or null when it is missing or unreadable. */
export function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** A JSON file's value, or null when it is missing, unreadable or not JSON (the caller's type is trusted). */
export function readJson<T>(file: string): T | null {
  const t = readText(file);
  if (t === null) return null;
  try {
    return JSON.parse(t) as T;
  } catch {
    return null;
  }
}

/** A scenario directory holds at least one of the files a guest leaves. */
export function isScenarioDir(dir: string): boolean {
  return [SCENARIO_FILE.spec, SCENARIO_FILE.console, SCENARIO_FILE.retval].some((f) => existsSync(path.join(dir, f)));
}

/** A lone scenario directory (not a results directory with a `log`). */
export function isLoneScenarioDir(dir: string): boolean {
  return isScenarioDir(dir) && !existsSync(path.join(dir, RUN_FILE.log));
}

/**
 * Why `dir` is not a results directory (one a run, a battery or a merge made: it has `log` or
 * nightly.json; or a lone scenario directory), as the `current value is ...` of a message; null
 * when it is one. recheck, report, again and merge refuse anything else before writing into it
 * (a CI step pointed at the wrong artifact must not go green).
 */
export function notResultsDir(dir: string): string | null {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    return `${dir} (${e instanceof Error && 'code' in e ? String(e.code) : 'unreadable'})`;
  }
  if (!isDir) return `${dir} (not a directory)`;
  if ([RUN_FILE.log, RUN_FILE.nightly].some((f) => existsSync(path.join(dir, f))) || isScenarioDir(dir)) return null;
  return `${dir} (a directory without ${RUN_FILE.log}, ${RUN_FILE.nightly} or a scenario's ${SCENARIO_FILE.console})`;
}

/** The subdirectories of `dir`, in name order (kvm-recheck's glob order); none if unreadable. */
export function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir)
      .map((f) => path.join(dir, f))
      .filter((d) => statSync(d).isDirectory())
      .sort();
  } catch {
    return [];
  }
}

/** Scenario directories of a results directory, in name order. */
export function scenarioDirs(resdir: string): string[] {
  return subdirs(resdir).filter(isScenarioDir);
}
