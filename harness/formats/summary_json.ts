/*
 * summary.json, the format other tools read (fields are only ever added): a ScenarioSummary in
 * each scenario directory and a RunSummary (with all of them) in the results directory. recheck
 * (harness/recheck/verdict.ts) makes them; this file says what they hold and writes them.
 */

import path from 'node:path';
import { writeFileAtomic } from '../lib/write_file_atomic.js';
import type { HotplugCounts } from './console_lines.js';
import type { CoverageBlock } from './coverage_block.js';
import type { LockStatClass } from './lock_stat.js';
import { SCENARIO_FILE } from './results_files.js';

/** A scenario's verdict: tested and clean, a finding, or not tested enough to say. */
export const SCENARIO_VERDICTS = ['success', 'failure', 'inconclusive'] as const;
export type ScenarioVerdictKind = (typeof SCENARIO_VERDICTS)[number];

/** summary.json of one scenario. */
export interface ScenarioSummary {
  readonly scenario: string;
  /** The suite it was judged as (a key of harness/suites/'s SUITES), or null when unknown. */
  readonly suite: string | null;
  /**
   * `inconclusive`: no finding, but the run fell short of what its suite says a meaningful run
   * reaches (harness/suites/meaningful.ts); its one reason says how. It fails the run (exit 1).
   */
  readonly verdict: ScenarioVerdictKind;
  readonly reasons: readonly string[];
  /** Last `ver:` value (rcutorture writer updates, each needing a grace period). */
  readonly gps?: number;
  readonly gpsPerSec?: number;
  /** locktorture: last Writes Total (what kvm-recheck-lock.sh's headline counts). */
  readonly acquisitions?: number;
  readonly acquisitionsPerSec?: number;
  /** locktorture read-write types: last Reads Total (not in the headline, as in the kernel). */
  readonly readAcquisitions?: number;
  readonly lockdepReports: number;
  readonly lockdepTitles: readonly string[];
  readonly hotplug: HotplugCounts | null;
  readonly durationSec: number | null;
  /** Seconds from the guest's start to all CPUs up (the test's start), or null when the console does not say. */
  readonly bootSec?: number | null;
  /** Seconds from the test's start to its end, by the console's stamps, or null. */
  readonly testSec?: number | null;
  readonly completedSec: number | null;
  readonly endOfTest: string | null;
  /** Exit code recorded in guest-retval (137 = killed), or null if absent. */
  readonly guestRetval: number | null;
  readonly killed: boolean;
  /** The headline line (`TREE05 ------- 123 GPs (12.3/s) [rcu: g5 f0x0 ]`). */
  readonly headline: string;
  /**
   * The console's coverage block (coverage_block.ts): every point's count, the points expected in
   * this scenario and the facts that decided it; null when the console has none (a guest killed
   * before its end, results from before coverage existed).
   */
  readonly coverage?: CoverageBlock | null;
  /** The `lock_stat` file's classes (lock_stat.ts; CONFIG_LOCK_STAT=y), absent without one. */
  readonly lockStat?: readonly LockStatClass[];
}

/** summary.json of a results directory. */
export interface RunSummary {
  readonly resultsDir: string;
  readonly commandLine: string;
  readonly suite: string | null;
  /** The run's random seed (`Random seed: N` in the log), or null for older results. */
  readonly seed: number | null;
  readonly exitCode: 0 | 1;
  readonly runs: number;
  readonly failures: number;
  /** Scenarios with the verdict `inconclusive` (absent in results from before it existed). */
  readonly inconclusive?: number;
  readonly configErrors: number;
  readonly scenarios: readonly ScenarioSummary[];
}

/** Write `dir`/summary.json (a scenario's or a results directory's), never half of it. */
export function writeSummaryJson(dir: string, summary: ScenarioSummary | RunSummary): void {
  writeFileAtomic(path.join(dir, SCENARIO_FILE.summary), JSON.stringify(summary, null, 2) + '\n');
}
