/*
 * A torture suite as a plug-in: everything the driver, the guest and recheck need to know about
 * one suite (rcu, lock), so that none of them tests a suite's name. A third suite is one new file
 * here and one line in index.ts (see README.md here).
 */

import type { RecheckRule } from '../formats/recheck_rule.js';
import type { ConsoleFacts } from '../formats/console_facts.js';
import type { SuiteMeaningful } from './meaningful.js';

/** The headline of kvm-recheck-<suite>.sh and the numbers summary.json keeps from it. */
export interface SuiteHeadline {
  readonly text: string;
  /** Fields for summary.json, in the order they appear there (gps, gpsPerSec / acquisitions, ...). */
  readonly stats: Readonly<Record<string, number>>;
}

/**
 * The suite's role in the nightly battery (harness/nightly/, torture.sh's shape): its scenario
 * jobs and their share of the time, and the scenario that must fail. Declared here so that the
 * battery can loop over the suite table and a third suite needs no edit there.
 */
export interface SuiteBattery {
  /** The battery group and job-name prefix (`rcutorture-TREE05`), torture.sh's name for the suite. */
  readonly group: string;
  /** The suite's weight in torture.sh's split of the run time (rcutorture 7 : locktorture 1). */
  readonly weight: number;
  /** Boot arguments every battery scenario run of the suite adds ('' for none). */
  readonly bootargs: string;
  /** What each scenario job adds to `<group> scenario NAME` in its description ('' for nothing). */
  readonly scenarioNote: string;
  /** The scenario that must end in a torture FAILURE (proves the checks can fail). */
  readonly busted: string;
  /**
   * When that FAILURE shows: `stats`, at a stats print while the test runs (BUSTED's `!!!`: the
   * battery stops the step there, its --duration only a cap); `end`, only when the test ends (a
   * check of the whole run, as objecttorture's linearizability check of its history), so the step
   * runs its planned time: stopping at the event would wait for the cap every time.
   */
  readonly bustedShows: 'stats' | 'end';
}

export interface Suite {
  /** `--torture` value and configs/<name>/ directory. */
  readonly name: string;
  /** Boot-parameter prefix of the suite's torture module (`rcutorture`). */
  readonly tortureModule: string;
  /**
   * ver_functions.sh's per_version_boot_params after the CPU-hotplug onoff pair (which is the
   * same for every suite): `param` (without the module prefix) and value, in boot-line order.
   */
  bootDefaults(durationSec: number): readonly (readonly [string, string | number])[];
  /** Module URLs a guest of this suite boots, in order (each may export boot(cpu)). */
  readonly bootModules: readonly string[];
  /** Whether `--ops FILE` (a user lock-ops module) is meaningful. */
  readonly userOps: boolean;
  /** What the live display counts for a running guest: a counter of its progress report, and its unit. */
  readonly progress: { readonly counter: 'gps' | 'acquisitions'; readonly unit: string };
  /**
   * Files the guest writes beside console.log when it ends, read from its shared memory (name →
   * JSON value; a null value writes nothing), e.g. locktorture's per-task acquisitions for the report.
   */
  guestFiles(i32: Int32Array): Readonly<Record<string, unknown>>;
  /** kvm-recheck-<suite>.sh's headline. */
  headline(name: string, facts: ConsoleFacts | null, durSec: number): SuiteHeadline;
  /** Suite-specific recheck rules, run after the console's own findings. */
  readonly rules: readonly RecheckRule[];
  /** What a run must reach to count as tested (meaningful.ts); short of it and clean: INCONCLUSIVE. */
  readonly meaningful: SuiteMeaningful;
  /** What the nightly battery runs of this suite. */
  readonly battery: SuiteBattery;
}
