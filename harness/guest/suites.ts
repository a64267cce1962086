/*
 * Which kernel modules a guest of each suite boots, in order. Each module may export
 * `boot(cpu: number)`, called on every CPU before the boot barrier (see harness/cpu/cpu_main.ts).
 * The torture module of a suite boots the kernel subsystems it needs (RCU, slab) itself.
 */

import type { TortureSuite } from './guest_spec.js';

const SUITE_MODULES: Record<TortureSuite, readonly string[]> = {
  lock: ['../../kernels/cpu/hotplug.js', '../torture/lock_torture.js'],
  rcu: ['../../kernels/cpu/hotplug.js', '../torture/rcu_torture.js'],
};

/** Absolute module URLs for a suite. */
export function suiteModules(suite: TortureSuite): string[] {
  return SUITE_MODULES[suite].map((m) => new URL(m, import.meta.url).href);
}
