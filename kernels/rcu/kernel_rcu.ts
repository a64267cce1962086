/*
 * What every rcutorture flavour takes from the kernel's own RCU underneath it (rcu.ts: Tree RCU,
 * or Tiny RCU when Kconfig says TINY_RCU): its boot, cond_resched()'s quiescent state, the
 * callback-migration counts, and the GP-kthread hooks rcutorture calls whatever flavour it tests.
 * One object, spread into each flavour's ops (rcu_torture_ops.ts, srcu_torture_ops.ts, ...).
 */

import { rcu_sleep_check } from './rcupdate_lockdep.js';
import { cond_resched_rcu_qs, rcu_gp_set_torture_wait, rcu_init, rcu_migrate_stats, rcu_urgent_qs } from './rcu.js';
import { rcu_early_boot_tests } from './update.js';

/**
 * cond_resched()'s RCU side: __might_resched()'s rcu_sleep_check() (PROVE_RCU), then the kernel's
 * RCU's quiescent state (Tree: rcu_all_qs(); Tiny: schedule() when the tick asked for it).
 */
function cond_resched_rcu(): void {
  rcu_sleep_check();
  cond_resched_rcu_qs();
}

/**
 * What every flavour takes from the kernel's own RCU underneath it (rcu.ts: Tree RCU, or Tiny RCU
 * when Kconfig says TINY_RCU). The members are calls through rcu.ts's bindings, made when used:
 * the implementation is bound at init(), after this object was built.
 */
export const KERNEL_RCU = {
  init: (cpu: number): void => {
    rcu_init(cpu);
    rcu_early_boot_tests(cpu);
  },
  cond_resched_qs: cond_resched_rcu,
  cb_migrate_stats: (): { adopted: number; cpus: number } => rcu_migrate_stats(),
  // rcutorture calls the kernel RCU's rcu_gp_set_torture_wait() whatever flavour it tests. Calls
  // through rcu.ts's bindings, made when used (bound at init(), after this object was built).
  gp_set_torture_wait: (duration: number): void => rcu_gp_set_torture_wait(duration),
  urgent_qs: (): boolean => rcu_urgent_qs(),
} as const;
