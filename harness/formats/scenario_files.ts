/*
 * What a scenario directory holds for judging it, and its only reader: every file a recheck rule
 * may look at, read once, null where missing or unreadable (a damaged directory becomes failure
 * reasons, never a throw). On the ground floor because the rules (harness/recheck/) and the
 * suites' rules (harness/suites/) both read it.
 */

import path from 'node:path';
import { RUN_FILE, SCENARIO_FILE, readJson, readText } from './results_files.js';

/**
 * What recheck reads of guest-spec.json (the driver's GuestSpec): the file may be damaged or from
 * another version, so every field is optional and checked where it is used.
 */
export interface SpecFile {
  readonly suite?: string;
  readonly durationSec?: number;
  readonly bootParams?: Readonly<Record<string, string>>;
  readonly kconfig?: Readonly<Record<string, string>>;
  readonly nrCpus?: number;
}

/** What recheck reads of guest-result.json (the guest's GuestResult), on the same terms. */
export interface ResultFile {
  readonly seconds?: number;
  readonly problems?: readonly string[];
}

/** What a scenario directory holds, read once; null where a file is missing. */
export interface ScenarioFiles {
  /** The scenario directory (absolute). */
  readonly dir: string;
  readonly spec: SpecFile | null;
  readonly result: ResultFile | null;
  /** guest-retval as written, or null. */
  readonly retvalText: string | null;
  /** guest-stopped (what stopped the run while the guest ran, e.g. `STOP file`), trimmed, or null. */
  readonly stoppedText: string | null;
  /** `torture_suite` of the enclosing results directory, trimmed, or null. */
  readonly suiteFile: string | null;
  readonly console: string | null;
  /** qemu-output (the kvm.sh-compatible layout), or null. */
  readonly qemuOutput: string | null;
  /** guest-output (older results), or null. */
  readonly guestOutput: string | null;
  readonly configFragmentInput: string | null;
  readonly dotConfig: string | null;
  /** `lock_stat` (CONFIG_LOCK_STAT=y), or null. */
  readonly lockStat?: string | null;
}

/** Read scenario directory `dir` (absolute). */
export function readScenarioFiles(dir: string): ScenarioFiles {
  return {
    dir,
    spec: readJson<SpecFile>(path.join(dir, SCENARIO_FILE.spec)),
    result: readJson<ResultFile>(path.join(dir, SCENARIO_FILE.result)),
    retvalText: readText(path.join(dir, SCENARIO_FILE.retval)),
    stoppedText: readText(path.join(dir, SCENARIO_FILE.stopped))?.trim() ?? null,
    suiteFile: readText(path.join(path.dirname(dir), RUN_FILE.suite))?.trim() ?? null,
    console: readText(path.join(dir, SCENARIO_FILE.console)),
    qemuOutput: readText(path.join(dir, SCENARIO_FILE.qemuOutput)),
    guestOutput: readText(path.join(dir, SCENARIO_FILE.guestOutput)),
    configFragmentInput: readText(path.join(dir, SCENARIO_FILE.configFragmentInput)),
    dotConfig: readText(path.join(dir, SCENARIO_FILE.dotConfig)),
    lockStat: readText(path.join(dir, SCENARIO_FILE.lockStat)),
  };
}
