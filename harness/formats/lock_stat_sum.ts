/*
 * lock_stat over results directories: every scenario directory under a run, a battery, a merge of
 * shards or a lone scenario directory, its `lock_stat` file (lock_stat.ts) read back, and the sum
 * over them (`torture coverage` prints it after the coverage table; a battery and a merge write
 * it as `lock_stat` at their top). The sum is lock_stats()'s per class (addLockStat), so the sum
 * over a battery's shards is the sum over the merged battery.
 */

import path from 'node:path';
import { addLockStat, parseLockStat, type LockStatClass } from './lock_stat.js';
import { scenarioDirsUnder } from './coverage_sum.js';
import { SCENARIO_FILE, readText } from './results_files.js';

export interface LockStatSum {
  /** Scenario directories with a readable `lock_stat` file. */
  readonly scenarios: number;
  readonly classes: readonly LockStatClass[];
}

/** The classes of a scenario directory's `lock_stat`, or null when it has none. */
export function scenarioLockStat(dir: string): LockStatClass[] | null {
  const text = readText(path.join(dir, SCENARIO_FILE.lockStat));
  return text === null ? null : parseLockStat(text);
}

/** The sum over every scenario under `dirs` that has a `lock_stat` file. */
export function collectLockStat(dirs: readonly string[]): LockStatSum {
  let classes: LockStatClass[] = [];
  let scenarios = 0;
  for (const d of dirs.flatMap((x) => scenarioDirsUnder(path.resolve(x)))) {
    const c = scenarioLockStat(d);
    if (c === null) continue;
    scenarios++;
    classes = addLockStat(classes, c);
  }
  return { scenarios, classes };
}
