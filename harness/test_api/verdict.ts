/*
 * The typed verdict a test asserts on, read from the files the run left (summary.json, the
 * scenario's console.log, objecttorture's object_history.json): what recheck judged, never a
 * second opinion.
 */

import path from 'node:path';
import { isSplatStart, stripStamp, endOfTestTag } from '../formats/console_lines.js';
import { readJson, readText, SCENARIO_FILE } from '../formats/results_files.js';
import type { RunSummary, ScenarioSummary, ScenarioVerdictKind } from '../formats/summary_json.js';
import type { ObjectCheckRecord } from '../formats/object_check_json.js';

export type TortureVerdictKind = 'PASS' | 'FAIL' | 'INCONCLUSIVE';

const VERDICT_OF: Readonly<Record<ScenarioVerdictKind, TortureVerdictKind>> = { success: 'PASS', failure: 'FAIL', inconclusive: 'INCONCLUSIVE' };

/** A finding: its first console line (without the stamp) and the lines of its report. */
export interface Finding {
  readonly title: string;
  readonly excerpt: readonly string[];
}

export interface TortureVerdict {
  readonly verdict: TortureVerdictKind;
  /** verdict === 'PASS'. */
  readonly ok: boolean;
  /** recheck's reasons (summary.json), one line each. */
  readonly reasons: readonly string[];
  readonly findings: readonly Finding[];
  /** The scenario's numbers from summary.json (acquisitions, acquisitionsPerSec, hotplug operations, testSec, ...). */
  readonly counters: Readonly<Record<string, number>>;
  /** summary.json's `coverage`, when the run records it. */
  readonly coverage?: unknown;
  /** objecttorture's check: the verdict and, for a violation, the minimal history (object_history.json). */
  readonly history?: ObjectCheckRecord;
  /** The results directory and the scenario's directory in it. */
  readonly resultsDir: string;
  readonly scenarioDir: string;
  readonly seed: number;
  /** The `torture` command line that reruns this case with the same seed. */
  readonly rerun: string;
}

/** Most lines of one finding's excerpt. */
const EXCERPT_LINES = 40;

/** Each splat of the console (a `!!!` line, a lockdep banner, BUG:, WARNING:, a hung task) with the lines after it. */
export function findingsOf(consoleText: string): Finding[] {
  const lines = consoleText.split('\n');
  const out: Finding[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] ?? '';
    if (!isSplatStart(l)) continue;
    const excerpt = [l];
    for (let j = i + 1; j < lines.length && excerpt.length < EXCERPT_LINES; j++) {
      const next = lines[j] ?? '';
      if (next === '' || isSplatStart(next) || endOfTestTag(stripStamp(next)) !== null) break;
      excerpt.push(next);
    }
    out.push({ title: stripStamp(l).trim(), excerpt });
    i += excerpt.length - 1;
  }
  return out;
}

/** The numeric fields of a scenario's summary.json, and its hotplug counts. */
function countersOf(s: ScenarioSummary): Record<string, number> {
  const c: Record<string, number> = {};
  for (const [k, v] of Object.entries(s)) if (typeof v === 'number') c[k] = v;
  if (s.hotplug !== null) for (const [k, v] of Object.entries(s.hotplug)) c[`hotplug.${k}`] = v;
  return c;
}

/** The verdict of the one scenario a case ran in `resultsDir`, or null when the run left no summary. */
export function readVerdict(resultsDir: string, scenario: string, seed: number, rerun: string): TortureVerdict | null {
  const file = path.join(resultsDir, SCENARIO_FILE.summary);
  const run = readJson<RunSummary & { coverage?: unknown }>(file);
  if (run === null) return null;
  const s = run.scenarios.find((x) => x.scenario === scenario) ?? run.scenarios[0];
  if (s === undefined) return null;
  const scenarioDir = path.join(resultsDir, s.scenario);
  const consoleFile = path.join(scenarioDir, SCENARIO_FILE.console);
  const consoleText = readText(consoleFile);
  const findings = consoleText !== null ? findingsOf(consoleText) : [];
  const history = readJson<ObjectCheckRecord>(path.join(scenarioDir, SCENARIO_FILE.objectHistory));
  const coverage = (s as ScenarioSummary & { coverage?: unknown }).coverage ?? run.coverage;
  const verdict = VERDICT_OF[s.verdict];
  return {
    verdict,
    ok: verdict === 'PASS',
    reasons: s.reasons,
    findings,
    counters: countersOf(s),
    ...(coverage !== undefined ? { coverage } : {}),
    ...(history !== null ? { history } : {}),
    resultsDir,
    scenarioDir,
    seed: run.seed ?? seed,
    rerun,
  };
}
