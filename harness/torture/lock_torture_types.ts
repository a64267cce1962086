/*
 * locktorture's torture_type names, in the kernel's ops-table order with `user` (--ops) last.
 * Data only, so that the driver's option registry and the in-guest ops table share one list
 * without the driver importing kernel code.
 */

export const LOCK_TORTURE_OPS_NAMES = [
  'lock_busted',
  'spin_lock',
  'spin_lock_irq',
  'raw_spin_lock',
  'raw_spin_lock_irq',
  'rw_lock',
  'rw_lock_irq',
  'mutex_lock',
  'rwsem_lock',
  'percpu_rwsem_lock',
  'user',
] as const;
export type LockTortureType = (typeof LOCK_TORTURE_OPS_NAMES)[number];
