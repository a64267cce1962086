/*
 * Coverage over results directories: every scenario directory under a run, a battery (its jobs'
 * steps), a merge of shards or a lone scenario directory, its coverage block read from its
 * console (coverage_block.ts), and the sum over them (`torture coverage`, the report, the
 * battery's coverage lines). A sum is a plain addition per point name, so the sum over a battery's
 * shards is the sum over the merged battery.
 *
 * Marks of a summed point, in the order the table prints them (cold points first):
 *   never  expected in at least one scenario and reached in none (its count over all is 0)
 *   cold   reached somewhere, but 0 in at least one scenario that expects it
 *   hot    expected somewhere and reached in every scenario that expects it
 *   -      expected in no scenario summed (per-part counters are never judged, except cpuhp's states)
 */

import path from 'node:path';
import { parseCoverageBlock, type CoverageBlock } from './coverage_block.js';
import { COVERAGE_SLOTS, coverageReachTarget, coverageSlotByName, REACH_TARGET, REACH_TARGET_LOCK_SLOWPATH } from './coverage_points.js';
import { SCENARIO_FILE, isScenarioDir, readText, subdirs } from './results_files.js';

/** One scenario directory's coverage block. */
export interface ScenarioCoverage {
  /** The scenario directory, as given (a DIR argument, or joined below one: not resolved). */
  readonly dir: string;
  readonly block: CoverageBlock;
}

export const SUM_MARKS = ['never', 'cold', 'hot', '-'] as const;
export type SumMark = (typeof SUM_MARKS)[number];

/** One point summed over scenarios. */
export interface CoverageTotal {
  readonly name: string;
  /** Its subsystem, or `?` for a name the current table no longer has. */
  readonly subsystem: string;
  readonly count: number;
  /** Scenarios that expected it. */
  readonly expectedIn: number;
  /** Scenarios that expected it and did not reach it. */
  readonly coldIn: number;
  readonly mark: SumMark;
}

export interface CoverageSum {
  /** Scenarios with a coverage block. */
  readonly scenarios: number;
  /** Scenario directories without one (killed guests, results from before coverage). */
  readonly without: readonly string[];
  /** Every point, cold first (SUM_MARKS order), then in table order. */
  readonly totals: readonly CoverageTotal[];
}

/** How deep below a results directory scenario directories are looked for (battery/job/step/scenario). */
const MAX_DEPTH = 4;

/** Every scenario directory at or under `dir`, in name order. */
export function scenarioDirsUnder(dir: string, depth = 0): string[] {
  if (isScenarioDir(dir)) return [dir];
  if (depth >= MAX_DEPTH) return [];
  return subdirs(dir).flatMap((d) => scenarioDirsUnder(d, depth + 1));
}

/** The coverage block of a scenario directory's console, or null. */
export function scenarioCoverage(dir: string): CoverageBlock | null {
  const text = readText(path.join(dir, SCENARIO_FILE.console));
  return text === null ? null : parseCoverageBlock(text.split('\n'));
}

/** `dir` normalized but not resolved, without a trailing separator (`results/x/` names `results/x`). */
function asGiven(dir: string): string {
  const n = path.normalize(dir);
  return n.length > 1 && n.endsWith(path.sep) ? n.slice(0, -1) : n;
}

/**
 * The coverage of every scenario under `dirs`, and the scenario directories without a block. The
 * directories keep the form given (relative stays relative), so that the lines naming them say
 * what the user typed and tell two shards' scenarios of the same name apart.
 */
export function collectCoverage(dirs: readonly string[]): { found: ScenarioCoverage[]; without: string[] } {
  const found: ScenarioCoverage[] = [];
  const without: string[] = [];
  for (const d of dirs.flatMap((x) => scenarioDirsUnder(asGiven(x)))) {
    const block = scenarioCoverage(d);
    if (block === null) without.push(d);
    else found.push({ dir: d, block });
  }
  return { found, without };
}

/** The order of names: the table's, then names it no longer has, alphabetically. */
function nameOrder(names: Iterable<string>): string[] {
  const known = new Set(COVERAGE_SLOTS.map((s) => s.name));
  const extra = [...new Set(names)].filter((n) => !known.has(n)).sort();
  return [...COVERAGE_SLOTS.map((s) => s.name), ...extra];
}

/** Sum scenario coverage blocks (see the header for the marks). */
export function sumCoverage(list: readonly ScenarioCoverage[], without: readonly string[] = []): CoverageSum {
  const count = new Map<string, number>();
  const expectedIn = new Map<string, number>();
  const coldIn = new Map<string, number>();
  for (const { block } of list) {
    for (const [name, c] of Object.entries(block.counts)) count.set(name, (count.get(name) ?? 0) + c);
    for (const name of block.expected) {
      expectedIn.set(name, (expectedIn.get(name) ?? 0) + 1);
      if ((block.counts[name] ?? 0) === 0) coldIn.set(name, (coldIn.get(name) ?? 0) + 1);
    }
  }
  const totals = nameOrder(count.keys()).map((name): CoverageTotal => {
    const c = count.get(name) ?? 0;
    const e = expectedIn.get(name) ?? 0;
    const k = coldIn.get(name) ?? 0;
    const mark: SumMark = e === 0 ? '-' : c === 0 ? 'never' : k > 0 ? 'cold' : 'hot';
    return { name, subsystem: coverageSlotByName(name)?.row.subsystem ?? '?', count: c, expectedIn: e, coldIn: k, mark };
  });
  const rank = (m: SumMark): number => SUM_MARKS.indexOf(m);
  const stable = totals.map((t, i) => ({ t, i })).sort((a, b) => rank(a.t.mark) - rank(b.t.mark) || a.i - b.i);
  return { scenarios: list.length, without: [...without], totals: stable.map((x) => x.t) };
}

/** The points a sum says were expected somewhere and never reached anywhere. */
export function neverReached(sum: CoverageSum): string[] {
  return sum.totals.filter((t) => t.mark === 'never').map((t) => t.name);
}

/** The table `torture coverage` prints: a header, one line per point, cold points first. */
export function coverageTableLines(sum: CoverageSum): string[] {
  const expected = sum.totals.filter((t) => t.expectedIn > 0);
  const never = expected.filter((t) => t.mark === 'never').length;
  const cold = expected.filter((t) => t.mark === 'cold').length;
  const w = Math.max(5, ...sum.totals.map((t) => t.name.length));
  const cw = Math.max(5, ...sum.totals.map((t) => String(t.count).length));
  const lines = [
    `Coverage of ${sum.scenarios} scenario${sum.scenarios === 1 ? '' : 's'}: ${expected.length} points expected, ${never} never reached, ${cold} cold in some scenario`,
    `${'point'.padEnd(w)}  ${'count'.padStart(cw)}  expected-in  cold-in  mark   subsystem`,
  ];
  for (const t of sum.totals) {
    lines.push(`${t.name.padEnd(w)}  ${String(t.count).padStart(cw)}  ${String(t.expectedIn).padStart(11)}  ${String(t.coldIn).padStart(7)}  ${t.mark.padEnd(5)}  ${t.subsystem}`);
  }
  for (const d of sum.without) lines.push(`no coverage block: ${d}`);
  return lines;
}

/** An expected point of one scenario short of its reach target. */
export interface ReachShort {
  readonly name: string;
  readonly count: number;
  readonly target: number;
}

/**
 * The points of one scenario's block below the reach target of a 30 s run (coverageReachTarget():
 * expected, not declared out of reach), in table order. `scenario` is the scenario directory's
 * name (`LOCK03`, `TREE05.2`): the declarations that name a scenario match its start.
 */
export function reachShortfall(block: CoverageBlock, scenario: string): ReachShort[] {
  const short: ReachShort[] = [];
  // Judged with what the guest knew (its block's expected list), as the table above the lines is:
  // an older results directory is not held to points added since.
  const expected = new Set(block.expected);
  for (const slot of COVERAGE_SLOTS) {
    if (!expected.has(slot.name)) continue;
    const target = coverageReachTarget(slot, block.facts, scenario);
    const count = block.counts[slot.name] ?? 0;
    if (target !== null && count < target) short.push({ name: slot.name, count, target });
  }
  return short;
}

/** Code-unit order (not the locale's): the same on every machine. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The reach lines `torture coverage` prints after its table: per scenario directory, named by its
 * path as given (a battery's steps and two shards each hold an `LOCK01`), the expected points
 * short of a 30 s run's target (configs/<suite>/README.md, "Reach"), or that none is. Sorted by
 * scenario name, then path, so the order of the DIR arguments does not matter.
 */
export function coverageReachLines(list: readonly ScenarioCoverage[]): string[] {
  const head = `Reach (targets of a 30 s run: ${REACH_TARGET} per expected point, ${REACH_TARGET_LOCK_SLOWPATH} per lock slow-path point; points declared out of reach left out):`;
  const rows = list.map(({ dir, block }) => {
    const scenario = path.basename(dir);
    const short = reachShortfall(block, scenario);
    const verdict = short.length === 0 ? 'every expected point at its target' : `short: ${short.map((p) => `${p.name} ${p.count}/${p.target}`).join(', ')}`;
    return { scenario, dir, line: `${dir}: ${verdict}` };
  });
  rows.sort((a, b) => byCodeUnits(a.scenario, b.scenario) || byCodeUnits(a.dir, b.dir) || byCodeUnits(a.line, b.line));
  return [head, ...rows.map((r) => r.line)];
}
