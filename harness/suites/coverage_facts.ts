/*
 * The facts a guest's coverage points are judged by (harness/formats/coverage_points.ts,
 * CoverageFacts), from the guest's own configuration: its suite, the suite's torture_type as
 * booted (else the torture module's declared default), whether CPU-hotplug torture is on
 * (CONFIG_HOTPLUG_CPU=y and onoff_interval > 0), CONFIG_PREEMPT and whether there is more than one
 * CPU (CONFIG_SMP=n has one, whatever CONFIG_NR_CPUS says). Here because the suites know
 * their torture module's declarations; the guest (harness/guest/coverage_dump.ts) prints them in
 * the coverage block's header.
 */

import type { ParamDecl } from '../../kernels/moduleparam.js';
import type { CoverageFacts } from '../formats/coverage_points.js';
import { locktorture_params } from '../torture/lock_torture.js';
import { objecttorture_params } from '../torture/object_torture.js';
import { rcutorture_params } from '../torture/rcu_torture.js';
import { SUITES, type TortureSuite } from './index.js';

/** Each suite's torture module declarations (a suite added to SUITES does not compile until it is here). */
const TORTURE_PARAMS: Record<TortureSuite, { readonly all: readonly ParamDecl[] }> = { rcu: rcutorture_params, lock: locktorture_params, object: objecttorture_params };

/** A boot parameter as booted, else its declared default. */
function paramOrDefault(suite: TortureSuite, bootParams: Readonly<Record<string, string>>, name: string): string {
  return bootParams[name] ?? String(TORTURE_PARAMS[suite].all.find((p) => p.name === name)?.dflt ?? '');
}

export function coverageFactsOf(spec: { readonly suite: TortureSuite; readonly kconfig: Readonly<Record<string, string>>; readonly bootParams: Readonly<Record<string, string>> }): CoverageFacts {
  const mod = SUITES[spec.suite].tortureModule;
  const interval = Number(paramOrDefault(spec.suite, spec.bootParams, `${mod}.onoff_interval`));
  return {
    suite: spec.suite,
    tortureType: paramOrDefault(spec.suite, spec.bootParams, `${mod}.torture_type`),
    onoff: spec.kconfig['CONFIG_HOTPLUG_CPU'] === 'y' && interval > 0,
    preempt: spec.kconfig['CONFIG_PREEMPT'] === 'y',
    // CONFIG_SMP=n is a one-CPU guest whatever CONFIG_NR_CPUS says (SRCU-T/U set no NR_CPUS).
    smp: spec.kconfig['CONFIG_SMP'] !== 'n' && Number(spec.kconfig['CONFIG_NR_CPUS'] ?? '2') > 1,
  };
}
