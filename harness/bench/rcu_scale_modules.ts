/*
 * The modules the rcu.synchronize* rows' guest boots (rcu_update.ts), by their path under dist/
 * without the extension: one list for the bench and for bin/build_cpu_bundle.js, which links them
 * into the CPU bundle beside every suite's boot modules, so that the row measures the code image
 * a torture run boots (the bundle), not the ES-module fallback.
 */

export const RCU_SCALE_MODULES = ['kernels/cpu/hotplug', 'harness/bench/rcu_scale_mod'] as const;
