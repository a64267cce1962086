/*
 * What a run must reach to count as tested: a suite's floors (its work per second of test, CPU
 * hotplug when it is on, its final statistics), per scenario, and the shortfall of a run below
 * them. recheck (harness/recheck/verdict.ts) asks the suite; a run short of its floor with no
 * finding is INCONCLUSIVE, not a pass: a run on a loaded host that tortured for 37 ms said nothing.
 * A finding always wins (a run that failed tested enough to fail).
 *
 * The floors are rates over the test time (from all CPUs up to End of test, harness/formats/
 * console_facts.ts testSec), and at least one of each in any run. They are set from measured runs
 * (configs/rcu/README.md, configs/lock/README.md) low enough that a run at load 10 passes them.
 */

import type { ConsoleFacts } from '../formats/console_facts.js';

/** One scenario's floors. */
export interface MeaningfulFloor {
  /** The suite's work (rcu: grace periods; lock: acquisitions of the least busy writer) per second of test. */
  readonly perSec: number;
}

/** A suite's floors: `default` for every scenario the table does not name (by base name, `TREE05` for `TREE05.2`). */
export type MeaningfulFloors = { readonly default: MeaningfulFloor } & Readonly<Record<string, MeaningfulFloor>>;

/** What the floors are checked against: one scenario's console facts and how it was booted. */
export interface MeaningfulInput {
  readonly facts: ConsoleFacts;
  /** Seconds of test (the console's, else the duration); 0 when unknown (only the "at least one" floors apply). */
  readonly testSec: number;
  /** A boot parameter of the suite's torture module (`onoff_interval`), as booted, or undefined. */
  readonly param: (name: string) => string | undefined;
  /** A Kconfig option as booted (`CONFIG_HOTPLUG_CPU`), or undefined. */
  readonly kconfig: (name: string) => string | undefined;
  readonly nrCpus: number | null;
}

/** A suite's declaration of a meaningful run. */
export interface SuiteMeaningful {
  readonly floors: MeaningfulFloors;
  /** Why a run of `scenario` is short of its floor (one clause, without the name), or null if it is not. */
  shortfall(scenario: string, input: MeaningfulInput): string | null;
}

/** The floor of a scenario run (`TREE05.2` is a repeat of `TREE05`). */
export function floorOf(floors: MeaningfulFloors, scenario: string): MeaningfulFloor {
  return floors[scenario.replace(/\.\d+$/, '')] ?? floors.default;
}

/** How many of a thing a run of `testSec` must have made at `perSec`: at least one. */
export function needed(perSec: number, testSec: number): number {
  return Math.max(1, Math.floor(perSec * testSec));
}

/** `in 0.04 s of test` (or nothing when the test time is unknown). */
export function inTestTime(testSec: number): string {
  return testSec > 0 ? ` in ${testSec.toFixed(testSec < 1 ? 2 : 1)} s of test` : '';
}

/** `count` things below the floor at `perSec`: the shortfall clause, or null. */
export function belowFloor(count: number, what: string, perSec: number, testSec: number): string | null {
  const n = needed(perSec, testSec);
  if (count >= n) return null;
  return `${count} ${what}${inTestTime(testSec)} (at least ${n} needed${testSec > 0 ? `, ${perSec}/s` : ''})`;
}

/**
 * CPU hotplug, when the run has it on (CONFIG_HOTPLUG_CPU=y, `onoff_interval` > 0, more than one
 * CPU): at least one CPU went off or on line once the test outlasted the holdoff by a second.
 */
export function hotplugShortfall(input: MeaningfulInput): string | null {
  const interval = Number(input.param('onoff_interval') ?? '0');
  const holdoff = Number(input.param('onoff_holdoff') ?? '0');
  if (input.kconfig('CONFIG_HOTPLUG_CPU') !== 'y' || !(interval > 0) || (input.nrCpus ?? 0) < 2) return null;
  if (input.testSec > 0 && input.testSec < holdoff + 1) return null;
  const h = input.facts.hotplug;
  if (h === null) return `no CPU-hotplug statistics printed (onoff_interval=${interval})`;
  const ops = h.onlineOk + h.offlineOk;
  return ops > 0 ? null : `0 CPU-hotplug operations${inTestTime(input.testSec)} (onoff_interval=${interval}, onoff_holdoff=${holdoff})`;
}
