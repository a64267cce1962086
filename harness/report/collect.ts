/*
 * Everything the HTML report and the JUnit file show, gathered from a results directory of any
 * kind: a battery (nightly.json, one directory per job), a merge of shards (the same, with
 * mergedFrom), a plain run (log + scenario directories) or a single scenario directory. Reads
 * files only (it writes nothing) through harness/formats/. The verdicts are never read back from
 * recheck's summary.json: whoever just rechecked passes them in memory (report_writers.ts), and a
 * scenario without one is judged here by recheck's pure verdict (the same function, the same files).
 * A run a results directory's plan names but whose directory is gone is shown, as recheck judges
 * it: a failure, `missing`.
 */

import type { ObjectCheckRecord } from '../formats/object_check_json.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LockdepGraphJson } from '../lockdep/graph_dump.js';
import type { BenchReport } from '../bench/bench_types.js';
import { readBatteryRecord, type BatteryRecord, type JobRecord } from '../formats/battery_files.js';
import { missingRuns } from '../formats/batches_file.js';
import { isSplatStart } from '../formats/console_lines.js';
import { isCoverageLine } from '../formats/coverage_block.js';
import { RUN_FILE, SCENARIO_FILE, isLoneScenarioDir, isScenarioDir, readJson, readText, subdirs } from '../formats/results_files.js';
import type { ScenarioSummary } from '../formats/summary_json.js';
import { judgeScenarioDir } from '../recheck/recheck.js';
import type { RunVerdict } from '../recheck/verdict.js';
import { consoleSeries, type ConsoleSeries } from './console_series.js';

export interface ScenarioView {
  /** Unique, path-like: `rcutorture-TREE05/run/TREE05`, or `TREE05` in a plain run. */
  readonly id: string;
  readonly name: string;
  /** Directory relative to the report's directory. */
  readonly rel: string;
  readonly job: string | null;
  readonly step: string | null;
  readonly summary: ScenarioSummary;
  /** The job's expectation for this scenario's step, in a battery (`exit 1 with ...`). */
  readonly expect: string | null;
  /** Did the step meet its expectation (battery), else the scenario's own verdict. */
  readonly passed: boolean;
  readonly consoleRel: string | null;
  readonly diagsRel: string | null;
  readonly series: ConsoleSeries;
  readonly graph: LockdepGraphJson | null;
  /** Per-task acquisition counts when the guest recorded them (locktorture_tasks.json). */
  readonly tasks: { readonly writers: readonly number[]; readonly readers: readonly number[] } | null;
  /** objecttorture's verdict and a violation's minimal history (object_history.json), or null. */
  readonly objectCheck: ObjectCheckRecord | null;
  /** The last lines of console.log (JUnit system-out). */
  readonly consoleTail: string;
  /** The first lines of the first splat (`====` banner or BUG:/WARNING: line) with what follows. */
  readonly splatHead: string;
}

export interface BenchView {
  readonly job: string;
  readonly rel: string;
  readonly report: BenchReport;
  /** The comparison lines the bench printed with --compare, if any. */
  readonly compare: readonly string[];
}

export interface ReportModel {
  readonly kind: 'battery' | 'merge' | 'run' | 'scenario';
  readonly title: string;
  readonly dir: string;
  readonly commandLine: string;
  readonly battery: BatteryRecord | null;
  readonly scenarios: readonly ScenarioView[];
  readonly bench: readonly BenchView[];
  /** The step outputs of a battery (job -> step -> relative .out path). */
  readonly stepOutputs: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

const TAIL_LINES = 40;
const SPLAT_LINES = 30;

/** Scenario directories at or below `dir` (depth-limited: battery/job/step/scenario). */
function findScenarios(dir: string, depth = 0): string[] {
  if (isScenarioDir(dir)) return [dir];
  if (depth >= 3) return [];
  return subdirs(dir).flatMap((d) => findScenarios(d, depth + 1));
}

/** findScenarios(dir) and the runs its plan names that are gone, in name order. */
function scenariosWithMissing(dir: string): string[] {
  const found = findScenarios(dir);
  const missing = missingRuns(dir).map((n) => path.join(dir, n));
  return missing.length === 0 ? found : [...new Set([...found, ...missing])].sort();
}

function splatHead(text: string): string {
  const lines = text.split('\n');
  const i = lines.findIndex(isSplatStart);
  return i < 0 ? '' : lines.slice(i, i + SPLAT_LINES).join('\n');
}

/** Verdicts already made, by scenario directory (absolute). */
type Judged = ReadonlyMap<string, ScenarioSummary>;

function scenarioView(root: string, dir: string, job: JobRecord | null, stepName: string | null, judged: Judged): ScenarioView {
  const summary = judged.get(dir) ?? judgeScenarioDir(dir).summary;
  const consoleFile = path.join(dir, SCENARIO_FILE.console);
  const text = readText(consoleFile) ?? '';
  const rel = path.relative(root, dir) || '.';
  const step = job?.steps.find((s) => s.name === stepName) ?? null;
  // The coverage block (the console's last ~100 lines) has its own table: the tail is the rest.
  const tail = text.split('\n').filter((l) => !isCoverageLine(l));
  if (tail[tail.length - 1] === '') tail.pop();
  return {
    id: rel === '.' ? summary.scenario : rel,
    name: summary.scenario,
    rel,
    job: job?.name ?? null,
    step: stepName,
    summary,
    expect: step?.expect ?? null,
    passed: step !== null ? step.passed === true : summary.verdict === 'success',
    consoleRel: existsSync(consoleFile) ? path.join(rel, SCENARIO_FILE.console) : null,
    diagsRel: existsSync(path.join(dir, SCENARIO_FILE.diags)) ? path.join(rel, SCENARIO_FILE.diags) : null,
    series: consoleSeries(text),
    graph: readJson<LockdepGraphJson>(path.join(dir, SCENARIO_FILE.lockdepGraph)),
    tasks: readJson<{ writers: number[]; readers: number[] }>(path.join(dir, SCENARIO_FILE.lockTasks)),
    objectCheck: readJson<ObjectCheckRecord>(path.join(dir, SCENARIO_FILE.objectHistory)),
    consoleTail: tail.slice(-TAIL_LINES).join('\n'),
    splatHead: splatHead(text),
  };
}

function benchOf(root: string, job: JobRecord): BenchView[] {
  const out: BenchView[] = [];
  for (const s of job.steps) {
    if (s.output !== 'bench-json') continue;
    const f = path.join(root, job.name, s.name, 'bench.json');
    const report = readJson<BenchReport>(f);
    if (report === null) continue;
    const printed = readText(path.join(root, job.name, `${s.name}.out`)) ?? '';
    const at = printed.indexOf('\nbench.json: ');
    const compare = at < 0 ? [] : printed.slice(at).split('\n').slice(2).filter((l) => l.trim() !== '');
    out.push({ job: job.name, rel: path.relative(root, f), report, compare });
  }
  return out;
}

/**
 * The report's model of `dirArg`. `verdict`: the recheck just made of it (its scenarios are not
 * judged again); without one every scenario is judged in memory.
 */
export function collectReport(dirArg: string, verdict: RunVerdict | null = null): ReportModel {
  const dir = path.resolve(dirArg);
  const judged: Judged = new Map((verdict?.scenarios ?? []).map((v) => [v.dir, v.summary]));
  const battery = readBatteryRecord(dir);
  const logFirst = (readText(path.join(dir, RUN_FILE.log)) ?? '').split('\n')[0] ?? '';
  if (battery !== null) {
    const scenarios: ScenarioView[] = [];
    const bench: BenchView[] = [];
    const stepOutputs: Record<string, Record<string, string>> = {};
    for (const job of battery.jobs) {
      const outs: Record<string, string> = {};
      for (const s of job.steps) {
        const f = path.join(dir, job.name, `${s.name}.out`);
        if (existsSync(f)) outs[s.name] = path.relative(dir, f);
        if (s.output !== 'results-dir') continue;
        for (const sd of scenariosWithMissing(path.join(dir, job.name, s.name))) scenarios.push(scenarioView(dir, sd, job, s.name, judged));
      }
      stepOutputs[job.name] = outs;
      bench.push(...benchOf(dir, job));
    }
    return {
      kind: battery.mergedFrom !== undefined ? 'merge' : 'battery',
      title: `torture nightly: ${path.basename(dir)}`,
      dir,
      commandLine: battery.commandLine,
      battery,
      scenarios,
      bench,
      stepOutputs,
    };
  }
  const single = isLoneScenarioDir(dir);
  const dirs = single ? [dir] : scenariosWithMissing(dir);
  return {
    kind: single ? 'scenario' : 'run',
    title: `torture: ${path.basename(dir)}`,
    dir,
    commandLine: logFirst,
    battery: null,
    scenarios: dirs.map((d) => scenarioView(dir, d, null, null, judged)),
    bench: [],
    stepOutputs: {},
  };
}
