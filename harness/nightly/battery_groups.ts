/*
 * The battery's groups, in run order: one scenario group per torture suite, from the battery role
 * the suite declares (harness/suites/suite.ts, `Suite.battery`), then the groups every battery has.
 * Each group has `--do-X` / `--do-no-X` / `--no-X`, and a scenario group `--configs-X "LIST"`, so a
 * third suite adds its group, its switches and its jobs with no edit here or in battery_plan.ts.
 * Small on purpose: `torture` loads it at start-up for the nightly command's words.
 */

import { SUITES, TORTURE_SUITES, type TortureSuite } from '../suites/index.js';
import type { SuiteBattery } from '../suites/suite.js';

/** A suite's scenario group: the suite and its declared battery role. */
export interface ScenarioGroup extends SuiteBattery {
  readonly suite: TortureSuite;
}

export const SCENARIO_GROUPS: readonly ScenarioGroup[] = TORTURE_SUITES.map((suite) => ({ suite, ...SUITES[suite].battery }));

/** The groups of every battery, after the scenario groups: torture.sh's selftest, checks and bench. */
export const FIXED_GROUPS = ['selftest', 'busted', 'seed', 'lockdep', 'bench'] as const;

export const BATTERY_GROUPS: readonly string[] = [...SCENARIO_GROUPS.map((g) => g.group), ...FIXED_GROUPS];
