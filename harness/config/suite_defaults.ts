/*
 * Per-suite boot parameters every run gets, the analogue of configs/<suite>/ver_functions.sh
 * (`per_version_boot_params`): the CPU-hotplug onoff pair, then the suite's own list
 * (harness/suites/<suite>.ts, bootDefaults). A default is added only when the scenario's .boot and
 * --bootargs do not set that parameter, which is what kvm.sh achieves by putting the defaults first
 * on the command line (the kernel keeps the last value).
 *
 * Departures from kvm.sh, and why:
 *   - stat_interval is 15 s as in kvm.sh, but runs shorter than 60 s use max(2, floor(duration/4))
 *     so that a 10 s run still prints several stats lines (kvm.sh never runs that short).
 *   - CPU-hotplug kernels get onoff_interval=200 (jiffies) and onoff_holdoff=1 (s) instead of
 *     kvm.sh's 1000/30: those leave a booting qemu 30 s of quiet, but our guests boot in well under
 *     a second and a 10 s run must hotplug.
 * Does not validate anything: the parameters are in the registry already.
 */

import { SUITES, type TortureSuite } from '../suites/index.js';

export { DEFAULT_STAT_INTERVAL, statIntervalFor } from '../suites/stat_interval.js';
export const DEFAULT_ONOFF_INTERVAL_JIFFIES = 200;
export const DEFAULT_ONOFF_HOLDOFF_SECS = 1;

export interface SuiteDefaults {
  /** Words to append to the boot line, in order. */
  readonly words: readonly string[];
  /** Lines for the run log (`CPU-hotplug kernel, adding rcutorture onoff.`). */
  readonly notes: readonly string[];
}

/** The module prefix of a suite's torture parameters. */
export function tortureModule(suite: TortureSuite): string {
  return SUITES[suite].tortureModule;
}

/**
 * The defaults to add, given the parameters already set (`module.param` -> value) and the merged
 * Kconfig.
 */
export function suiteDefaults(
  suite: TortureSuite,
  durationSec: number,
  bootParams: Readonly<Record<string, string>>,
  kconfig: Readonly<Record<string, string>>,
): SuiteDefaults {
  const mod = tortureModule(suite);
  const words: string[] = [];
  const notes: string[] = [];
  const add = (param: string, value: string | number): void => {
    const key = `${mod}.${param}`;
    if (!(key in bootParams)) words.push(`${key}=${value}`);
  };
  if (kconfig['CONFIG_HOTPLUG_CPU'] === 'y' && !Object.keys(bootParams).some((k) => k.startsWith(`${mod}.onoff_`))) {
    notes.push(`CPU-hotplug kernel, adding ${mod} onoff.`);
    add('onoff_interval', DEFAULT_ONOFF_INTERVAL_JIFFIES);
    add('onoff_holdoff', DEFAULT_ONOFF_HOLDOFF_SECS);
  }
  for (const [param, value] of SUITES[suite].bootDefaults(durationSec)) add(param, value);
  return { words, notes };
}
