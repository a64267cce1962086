/*
 * Verdicts, apart from how they are written: a pure function from a scenario's files to a typed
 * ScenarioVerdict (the recheck rules' findings, in order, and the summary.json it makes,
 * harness/formats/summary_json.ts), and from a results directory's scenario verdicts to a RunVerdict. The writers (writers/) turn verdicts into the
 * text summary, summary.json and console.log.diags; nothing here touches the filesystem.
 *
 * A run FAILS when any finding has a reason: a lockdep splat fails it even if rcutorture said
 * SUCCESS, as kvm-recheck counts it as a run with runtime errors. A run with no finding that fell
 * short of what its suite says a meaningful run reaches (harness/suites/meaningful.ts: grace
 * periods, acquisitions per writer, CPU hotplug) is INCONCLUSIVE, and fails the run too; so is
 * a clean run the driver killed because the run was stopped (a STOP file, SIGINT: `stopped by
 * STOP file`), as its end was never meant to come.
 */

import path from 'node:path';
import { KILLED_RETVAL } from '../guest/guest_spec.js';
import { SUITES, isTortureSuite, type TortureSuite } from '../suites/index.js';
import type { Finding, RecheckInput } from '../formats/recheck_rule.js';
import type { ScenarioFiles } from '../formats/scenario_files.js';
import type { RunSummary, ScenarioSummary } from '../formats/summary_json.js';
import { parseConsole } from './parse_console.js';
import { parseCoverageBlock } from '../formats/coverage_block.js';
import { parseLockStat, type LockStatClass } from '../formats/lock_stat.js';
import { RECHECK_RULES } from './rules.js';

export interface ScenarioVerdict {
  readonly dir: string;
  readonly summary: ScenarioSummary;
  /** What the rules found, in kvm-recheck's order (the headline is summary.headline). */
  readonly findings: readonly Finding[];
  /** Console lines for console.log.diags (empty: nothing flagged there). */
  readonly diags: readonly string[];
  /** A `#CHECK#` line failed (kvm-recheck's ".config errors"). */
  readonly configErrors: boolean;
}

export interface RunVerdict {
  readonly summary: RunSummary;
  readonly scenarios: readonly ScenarioVerdict[];
  /** Runs that failed for more than `#CHECK#` lines (kvm-recheck's "runs with runtime errors"). */
  readonly runtimeErrors: number;
  /** A lone scenario directory was rechecked (no run-level files are written). */
  readonly single: boolean;
}

/** Judge one scenario from its files. */
export function scenarioVerdict(files: ScenarioFiles): ScenarioVerdict {
  const name = path.basename(files.dir);
  const { spec, result } = files;
  const retval = files.retvalText === null || !/^\s*-?\d+\s*$/.test(files.retvalText) ? null : Number(files.retvalText.trim());
  const suite: TortureSuite | null = isTortureSuite(spec?.suite) ? spec.suite : isTortureSuite(files.suiteFile) ? files.suiteFile : null;
  const judgedAs = SUITES[suite ?? 'rcu'];
  const consoleFile = path.join(files.dir, 'console.log');
  const facts = files.console === null ? null : parseConsole(files.console, consoleFile, name);
  const durationSec = spec?.durationSec ?? null;
  const shutdownText = spec?.bootParams?.[`${judgedAs.tortureModule}.shutdown_secs`];
  const durSec = shutdownText !== undefined && Number(shutdownText) > 0 ? Number(shutdownText) : (durationSec ?? 0);

  // Only a guest the driver killed for the stop counts as stopped (one that ended first is judged as it ended).
  const stoppedBy = retval === KILLED_RETVAL && files.stoppedText !== null && files.stoppedText !== '' ? files.stoppedText : null;
  const input: RecheckInput = { name, files, suite, suiteRules: judgedAs.rules, consoleFile, facts, retval, durSec, stoppedBy };
  const headline = judgedAs.headline(name, facts, durSec);
  const findings = RECHECK_RULES.flatMap((rule) => rule(input));
  const failed = findings.flatMap((f) => f.reasons);
  const testSec = facts?.testSec ?? durSec;
  // A finding wins: only a clean run can be short of its floor (and a clean run has a console).
  // A clean run the stop cut short is INCONCLUSIVE for that reason, whatever it reached.
  const shortfall =
    failed.length > 0
      ? null
      : stoppedBy !== null
        ? `stopped by ${stoppedBy}`
        : facts === null
          ? null
          : judgedAs.meaningful.shortfall(name, {
              facts,
              testSec,
              param: (p) => spec?.bootParams?.[`${judgedAs.tortureModule}.${p}`],
              kconfig: (k) => spec?.kconfig?.[k],
              nrCpus: spec?.nrCpus ?? null,
            });
  const reasons = shortfall === null ? failed : [shortfall];

  const summary: ScenarioSummary = {
    scenario: name,
    suite,
    verdict: shortfall !== null ? 'inconclusive' : reasons.length === 0 ? 'success' : 'failure',
    reasons,
    ...headline.stats,
    lockdepReports: facts?.badness.lockdep ?? 0,
    lockdepTitles: facts?.lockdepTitles ?? [],
    hotplug: facts?.hotplug ?? null,
    durationSec,
    bootSec: facts?.bootSec ?? null,
    testSec: facts?.testSec ?? null,
    completedSec: result?.seconds ?? null,
    endOfTest: facts?.endOfTest ?? null,
    guestRetval: retval,
    killed: retval === KILLED_RETVAL,
    headline: headline.text,
    coverage: files.console === null ? null : parseCoverageBlock(files.console.split('\n')),
    ...lockStatOf(files.lockStat),
  };
  return { dir: files.dir, summary, findings, diags: facts?.diags ?? [], configErrors: findings.some((f) => f.configError === true) };
}

/** summary.json's `lockStat`: the classes of a readable `lock_stat` file, nothing without one. */
function lockStatOf(text: string | null | undefined): { lockStat?: LockStatClass[] } {
  const classes = text === null || text === undefined ? null : parseLockStat(text);
  return classes === null ? {} : { lockStat: classes };
}

/** Judge a results directory from its scenarios' verdicts (in name order). */
export function runVerdict(o: {
  readonly dir: string;
  readonly commandLine: string;
  readonly suiteFile: string | null;
  readonly seed: number | null;
  readonly single: boolean;
  readonly scenarios: readonly ScenarioVerdict[];
}): RunVerdict {
  const s = o.scenarios;
  const failures = s.filter((v) => v.summary.verdict === 'failure').length;
  const inconclusive = s.filter((v) => v.summary.verdict === 'inconclusive').length;
  const runtimeErrors = s.filter((v) => v.summary.verdict === 'failure' && !(v.configErrors && v.summary.reasons.every((x) => x.endsWith('improperly set')))).length;
  const summary: RunSummary = {
    resultsDir: o.dir,
    commandLine: o.commandLine,
    suite: o.suiteFile ?? s[0]?.summary.suite ?? null,
    seed: o.seed,
    exitCode: failures > 0 || inconclusive > 0 || s.length === 0 ? 1 : 0,
    runs: s.length,
    failures,
    inconclusive,
    configErrors: s.filter((v) => v.configErrors).length,
    scenarios: s.map((v) => v.summary),
  };
  return { summary, scenarios: s, runtimeErrors, single: o.single };
}
