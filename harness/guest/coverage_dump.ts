/*
 * The guest's coverage block (harness/formats/coverage_block.ts): the coverage counters of every
 * executor summed and printed once the CPU workers are gone.
 *
 * Why plain reads suffice: each executor writes only its own block (kapi's cov(), a non-atomic
 * `++`), and the guest's main thread reads the blocks only after `Worker.terminate()` resolved for
 * every worker: the worker's thread has then exited and been joined by Node (a thread join is a
 * full barrier of the host), so every count it wrote is visible and none is written any more. The
 * partner of this read is that join, not an Atomics operation.
 */

import { DECLARED_PARAMS } from '../config/boot_params.js';
import { coverageBlockLines } from '../formats/coverage_block.js';
import { COVERAGE_COUNTERS, type CoverageFacts } from '../formats/coverage_points.js';
import { coverageCounts } from '../shm/layout.js';
import { SUITES } from '../suites/index.js';
import type { GuestSpec } from './guest_spec.js';

/** A boot parameter as booted, else its declared default. */
function paramOrDefault(bootParams: Readonly<Record<string, string>>, name: string): string {
  return bootParams[name] ?? String(DECLARED_PARAMS.find((p) => p.name === name)?.dflt ?? '');
}

/** The facts the guest's points are judged by (coverage_points.ts), from the guest's own configuration. */
export function coverageFactsOf(spec: Pick<GuestSpec, 'suite' | 'kconfig' | 'bootParams'>): CoverageFacts {
  const mod = SUITES[spec.suite].tortureModule;
  const interval = Number(paramOrDefault(spec.bootParams, `${mod}.onoff_interval`));
  return {
    suite: spec.suite,
    tortureType: paramOrDefault(spec.bootParams, `${mod}.torture_type`),
    onoff: spec.kconfig['CONFIG_HOTPLUG_CPU'] === 'y' && interval > 0,
    preempt: spec.kconfig['CONFIG_PREEMPT'] === 'y',
  };
}

/** The coverage block of a guest whose workers have all ended (see the header). */
export function coverageDump(i32: Int32Array, spec: GuestSpec): string[] {
  return coverageBlockLines(coverageFactsOf(spec), coverageCounts(i32, spec.nrCpus, COVERAGE_COUNTERS));
}
