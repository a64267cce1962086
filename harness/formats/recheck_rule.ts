/*
 * A recheck rule: one check kvm-recheck.sh (or one of its helpers) makes on a scenario directory,
 * as a pure function from what the directory holds to findings. harness/recheck/verdict.ts runs
 * the common rules (harness/recheck/rules.ts) and the suite's own (harness/suites/), in
 * kvm-recheck's order; a finding with reasons fails the run, one with only lines is information
 * (a WARNING that does not fail). On the ground floor because recheck runs the suites and the
 * suites write rules: the vocabulary both speak sits below both.
 */

import type { ConsoleFacts } from './console_facts.js';
import type { ScenarioFiles } from './scenario_files.js';

/** The inputs of every rule: the files and what is derived from them once. */
export interface RecheckInput {
  readonly name: string;
  readonly files: ScenarioFiles;
  /** The scenario's suite (`rcu`, `lock`), or null when neither the spec nor the run says. */
  readonly suite: string | null;
  /** The rules of the suite it is judged as (harness/suites/; rcu when the suite is unknown). */
  readonly suiteRules: readonly RecheckRule[];
  /** The console's path as output names it. */
  readonly consoleFile: string;
  /** parse_console's facts, or null without a console.log. */
  readonly facts: ConsoleFacts | null;
  /** The exit code in guest-retval, or null. */
  readonly retval: number | null;
  /**
   * What stopped the run while this guest ran (guest-stopped, e.g. `STOP file`) when the driver
   * killed it for that; null otherwise. Such a run is cut short, not failed: the rules leave out
   * what only the cut says (the kill, the missing end-of-test line) and the verdict is INCONCLUSIVE.
   */
  readonly stoppedBy: string | null;
  /** The run's length for rates: the torture module's shutdown_secs, else the duration; 0 unknown. */
  readonly durSec: number;
}

/** One thing a rule found: kvm-recheck's output lines for it, and the reasons it fails the run. */
export interface Finding {
  readonly lines: readonly string[];
  readonly reasons: readonly string[];
  /** A `#CHECK#` line failed (counted as a .config error, not a runtime error, when alone). */
  readonly configError?: boolean;
}

export type RecheckRule = (input: RecheckInput) => readonly Finding[];
