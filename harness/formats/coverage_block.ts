/*
 * The coverage block: the last lines a guest prints (before `reboot: Power down`), one line per
 * coverage point (coverage_points.ts), so that the console alone says which rare paths the run
 * reached. Written by the guest's main thread once its CPU workers are gone; read back by recheck
 * (summary.json), the report and `torture coverage`.
 *
 *   [   30.412345] coverage: begin points=61 expected=14 cold=1 suite=lock torture_type=spin_lock onoff=1 preempt=1 smp=1
 *   [   30.412345] coverage: spin.slowpath 1234567 hot
 *   [   30.412345] coverage: spin.pv_kick 0 cold
 *   [   30.412345] coverage: rcu.fqs_round 17 -
 *   [   30.412345] coverage: rcu.blkd_queued.n0 0 -
 *   [   30.412345] coverage: end
 *
 * Each point line is `coverage: NAME COUNT MARK`: MARK is `hot` (expected in this scenario and
 * reached), `cold` (expected and never reached) or `-` (not expected here: the scenario does not
 * torture that code, or the line is a per-rcu_node counter, which is never judged). The header
 * carries the counts of points, expected points and cold points, then the facts the guest judged
 * expectation by (coverage_points.ts, CoverageFacts), so a reader of an old results directory
 * judges with what the guest knew. Counts are sums over all executors of the guest.
 *
 * No word of the block matches the kernel scripts' badness patterns (console-badness.sh,
 * parse-console.sh): coverage_block.test.ts checks a block with every point, hot and cold.
 */

import { COVERAGE_SLOTS, coverageExpected, coverageSlotByName, type CoverageFacts } from './coverage_points.js';
import { stripStamp } from './console_lines.js';

/** A point's state in one scenario. */
export const COVERAGE_MARKS = ['hot', 'cold', '-'] as const;
export type CoverageMark = (typeof COVERAGE_MARKS)[number];

/** What a coverage block says: the facts, and every point's count and whether it was expected. */
export interface CoverageBlock {
  readonly facts: CoverageFacts;
  /** Point name -> count (every line of the block, per-node counters included). */
  readonly counts: Readonly<Record<string, number>>;
  /** Names of the points expected in this scenario (totals only). */
  readonly expected: readonly string[];
}

const PREFIX = 'coverage: ';
const BEGIN = /^coverage: begin points=(\d+) expected=(\d+) cold=(\d+) suite=(\S+) torture_type=(\S+) onoff=([01]) preempt=([01])(?: smp=([01]))?$/;
const POINT = /^coverage: ([a-z0-9_.]+) (\d+) (hot|cold|-)$/;
const END = 'coverage: end';

/** Whether a console line (with or without its stamp) belongs to a coverage block. */
export function isCoverageLine(line: string): boolean {
  return stripStamp(line).startsWith(PREFIX);
}

/** The point's mark for a count. */
export function coverageMark(expected: boolean, count: number): CoverageMark {
  return !expected ? '-' : count > 0 ? 'hot' : 'cold';
}

/** The block's lines (without stamps) for the counters in COVERAGE_SLOTS order. */
export function coverageBlockLines(facts: CoverageFacts, counts: readonly number[]): string[] {
  const points = COVERAGE_SLOTS.map((s, i) => ({ name: s.name, count: counts[i] ?? 0, expected: coverageExpected(s, facts) }));
  const expected = points.filter((p) => p.expected);
  const cold = expected.filter((p) => p.count === 0).length;
  const f = facts;
  return [
    `${PREFIX}begin points=${points.length} expected=${expected.length} cold=${cold} suite=${f.suite} torture_type=${f.tortureType} onoff=${f.onoff ? 1 : 0} preempt=${f.preempt ? 1 : 0} smp=${f.smp ? 1 : 0}`,
    ...points.map((p) => `${PREFIX}${p.name} ${p.count} ${coverageMark(p.expected, p.count)}`),
    END,
  ];
}

/**
 * The last complete coverage block of a console (lines with or without stamps), or null when
 * there is none (a guest killed before its end, or results from before coverage existed).
 * Points the table no longer knows are kept with the mark the guest gave them.
 */
export function parseCoverageBlock(lines: readonly string[]): CoverageBlock | null {
  let found: CoverageBlock | null = null;
  let cur: { facts: CoverageFacts; counts: Record<string, number>; expected: string[] } | null = null;
  for (const line of lines) {
    const msg = stripStamp(line);
    if (!msg.startsWith(PREFIX)) continue;
    const b = BEGIN.exec(msg);
    if (b !== null) {
      cur = { facts: { suite: b[4] ?? '', tortureType: b[5] ?? '', onoff: b[6] === '1', preempt: b[7] === '1', smp: b[8] !== '0' }, counts: {}, expected: [] };
      continue;
    }
    if (cur === null) continue;
    if (msg === END) {
      found = cur;
      cur = null;
      continue;
    }
    const p = POINT.exec(msg);
    if (p === null) continue;
    const name = p[1] ?? '';
    cur.counts[name] = Number(p[2]);
    if (p[3] !== '-') cur.expected.push(name);
  }
  return found;
}

/** Is `name` a judged point (a total, not a per-node counter) of the current table? */
export function isCoverageTotal(name: string): boolean {
  return coverageSlotByName(name)?.part === null;
}
