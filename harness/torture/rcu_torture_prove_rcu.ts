/*
 * Planted RCU-usage bugs for PROVE_RCU (ours, named as the kernel's test_* switches):
 * `rcutorture.test_prove_rcu=N` starts one kthread, `rcu_prove_rcu`, that a second after boot
 * does the right thing once and then the wrong thing once, so that each detector of
 * kernels/rcu/rcupdate_lockdep.ts proves itself in a real run (configs/rcu/README.md, "PROVE_RCU"):
 *
 *   1  rcu_dereference() of rcu_torture_current outside any reader (after one inside a reader)
 *        -> WARNING: suspicious RCU usage / FILE:LINE suspicious rcu_dereference_check() usage!
 *   2  rcu_dereference_check(p, lockdep_is_held(&rcu_torture_prove_rcu_mutex)) without the mutex
 *      (after one with it held)
 *        -> the same report, naming that line
 *   3  a sleep inside rcu_read_lock_bh()
 *        -> BUG: scheduling while atomic, then
 *           ... Illegal context switch in RCU-bh read-side critical section!
 *   4  cond_resched() inside rcu_read_lock(): a reader that reports a quiescent state inside its
 *      own critical section
 *        -> with PREEMPT_NONE: ... Illegal context switch in RCU read-side critical section!
 *           (the kernel's __might_resched() check; preemptible RCU allows it, and so does this)
 *
 * The code under test is never edited: the kthread calls the same primitives the kernel model and
 * rcutorture use. Without PROVE_RCU (CONFIG_PROVE_LOCKING=n) nothing is reported for 1, 2 and 4,
 * as in the kernel; 3 is still `scheduling while atomic`.
 */

import { HZ, kapi } from '../kapi.js';
import { ModuleParams } from '../../kernels/moduleparam.js';
import { DEFINE_MUTEX, mutex_lock, mutex_unlock, type Mutex } from '../../kernels/locking/mutex.js';
import { rcu_dereference, rcu_dereference_check, rcu_read_lock_bh, rcu_read_unlock_bh } from '../../kernels/rcu/rcupdate_lockdep.js';
import { sw, T_CURRENT, tt } from './rcu_torture_state.js';

export const rcutorture_prove_rcu_params = new ModuleParams('rcutorture', ['rcu']);
const test_prove_rcu = rcutorture_prove_rcu_params.param(
  'int',
  'test_prove_rcu',
  0,
  'Plant an RCU-usage bug: 1 rcu_dereference() outside a reader, 2 rcu_dereference_check() without its lock, 3 sleep in rcu_read_lock_bh(), 4 cond_resched() in a reader',
  { values: ['0', '1', '2', '3', '4'] },
);

let prove_rcu_mutex: Mutex | null = null;

/** The planted check's condition: lockdep_is_held(&rcu_torture_prove_rcu_mutex). */
function prove_rcu_mutex_held(): boolean {
  return prove_rcu_mutex !== null && kapi.lockdep.isHeld(prove_rcu_mutex.dep_map);
}

function rcu_torture_current_word(): number {
  return Atomics.load(kapi.shm, sw(T_CURRENT));
}

async function rcu_prove_rcu_deref_outside_reader(): Promise<void> {
  const ops = tt().ops;
  const idx = ops.readlock();
  rcu_dereference(rcu_torture_current_word());
  ops.readunlock(idx);
  rcu_dereference(rcu_torture_current_word()); // the planted bug: no reader
}

async function rcu_prove_rcu_check_without_lock(): Promise<void> {
  const m = prove_rcu_mutex as Mutex;
  await mutex_lock(m);
  rcu_dereference_check(rcu_torture_current_word(), prove_rcu_mutex_held);
  mutex_unlock(m);
  rcu_dereference_check(rcu_torture_current_word(), prove_rcu_mutex_held); // the planted bug: lock not held
}

async function rcu_prove_rcu_sleep_in_bh_reader(): Promise<void> {
  rcu_read_lock_bh();
  await kapi.scheduleTimeout(1); // the planted bug: a sleep with bottom halves disabled
  rcu_read_unlock_bh();
}

async function rcu_prove_rcu_qs_in_reader(): Promise<void> {
  const ops = tt().ops;
  const idx = ops.readlock();
  ops.cond_resched_qs(); // the planted bug: cond_resched() inside the reader
  ops.readunlock(idx);
}

const PLANTS: readonly (() => Promise<void>)[] = [rcu_prove_rcu_deref_outside_reader, rcu_prove_rcu_check_without_lock, rcu_prove_rcu_sleep_in_bh_reader, rcu_prove_rcu_qs_in_reader];

async function rcu_prove_rcu(): Promise<void> {
  await kapi.scheduleTimeout(HZ);
  const plant = PLANTS[test_prove_rcu.get() - 1];
  if (plant !== undefined) await plant();
  kapi.printk(`rcu-torture: test_prove_rcu=${test_prove_rcu.get()} planted`);
}

/** Boot: every CPU declares the mutex's class (same order everywhere); CPU 0 starts the kthread. */
export function boot(cpu: number): void {
  if (test_prove_rcu.get() === 0) return;
  prove_rcu_mutex = DEFINE_MUTEX('rcu_torture_prove_rcu_mutex');
  if (cpu === 0) kapi.kthreadRun(rcu_prove_rcu, 'rcu_prove_rcu');
}
