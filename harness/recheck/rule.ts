/*
 * A recheck rule: one check kvm-recheck.sh (or one of its helpers) makes on a scenario directory,
 * as a pure function from what the directory holds to findings. verdict.ts runs the common rules
 * (rules.ts) and the suite's own (harness/suites/), in kvm-recheck's order; a finding with
 * reasons fails the run, one with only lines is information (a WARNING that does not fail).
 */

import type { ConsoleFacts } from './parse_console.js';

/**
 * What recheck reads of guest-spec.json (the driver's GuestSpec): the file may be damaged or from
 * another version, so every field is optional and checked where it is used.
 */
export interface SpecFile {
  readonly suite?: string;
  readonly durationSec?: number;
  readonly bootParams?: Readonly<Record<string, string>>;
}

/** What recheck reads of guest-result.json (the guest's GuestResult), on the same terms. */
export interface ResultFile {
  readonly seconds?: number;
  readonly problems?: readonly string[];
}

/** What a scenario directory holds, read once (scenario_files.ts); null where a file is missing. */
export interface ScenarioFiles {
  /** The scenario directory (absolute). */
  readonly dir: string;
  readonly spec: SpecFile | null;
  readonly result: ResultFile | null;
  /** guest-retval as written, or null. */
  readonly retvalText: string | null;
  /** `torture_suite` of the enclosing results directory, trimmed, or null. */
  readonly suiteFile: string | null;
  readonly console: string | null;
  /** qemu-output (the kvm.sh-compatible layout), or null. */
  readonly qemuOutput: string | null;
  /** guest-output (older results), or null. */
  readonly guestOutput: string | null;
  readonly configFragmentInput: string | null;
  readonly dotConfig: string | null;
}

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
