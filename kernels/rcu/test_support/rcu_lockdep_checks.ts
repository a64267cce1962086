/*
 * Test guest module (1 CPU, PREEMPT_NONE, CONFIG_PROVE_LOCKING=y): every RCU-lockdep check once
 * where it holds (nothing may be reported) and once where it does not (each a report naming the
 * line marked `// bad:` below), the bad ones three times each (reported once per site), then a
 * sleep inside rcu_read_lock() and inside rcu_read_lock_sched(). CPU 0
 * prints `rcu-lockdep-checks: done` and powers off. rcu_lockdep.test.ts reads the console.
 */

import { kapi } from '../../../harness/kapi.js';
import { DEFINE_MUTEX, mutex_lock, mutex_unlock, type Mutex } from '../../locking/mutex.js';
import {
  lockdep_assert_in_rcu_read_lock,
  lockdep_assert_in_rcu_read_lock_bh,
  lockdep_assert_in_rcu_read_lock_sched,
  lockdep_assert_in_rcu_reader,
  rcu_dereference,
  rcu_dereference_bh,
  rcu_dereference_check,
  rcu_dereference_protected,
  rcu_dereference_sched,
  rcu_read_lock_bh,
  rcu_read_lock_sched,
  rcu_read_unlock_bh,
  rcu_read_unlock_sched,
} from '../rcupdate_lockdep.js';
import { rcu_init, rcu_read_lock, rcu_read_unlock, synchronize_rcu } from '../tree.js';

let gp_mutex: Mutex | null = null;
let ptr = 0;

function gp_mutex_held(): boolean {
  return gp_mutex !== null && kapi.lockdep.isHeld(gp_mutex.dep_map);
}

async function good(): Promise<void> {
  rcu_read_lock();
  rcu_dereference(ptr);
  rcu_dereference_check(ptr, null);
  lockdep_assert_in_rcu_read_lock();
  lockdep_assert_in_rcu_reader();
  rcu_read_unlock();
  rcu_read_lock_bh();
  rcu_dereference_bh(ptr);
  lockdep_assert_in_rcu_read_lock_bh();
  rcu_read_unlock_bh();
  rcu_read_lock_sched();
  rcu_dereference_sched(ptr);
  lockdep_assert_in_rcu_read_lock_sched();
  rcu_read_unlock_sched();
  kapi.preemptDisable();
  rcu_dereference_sched(ptr); // preempt_disable() is an RCU-sched reader
  lockdep_assert_in_rcu_reader();
  kapi.preemptEnable();
  const m = gp_mutex as Mutex;
  await mutex_lock(m);
  rcu_dereference_protected(ptr, gp_mutex_held);
  rcu_dereference_check(ptr, gp_mutex_held);
  mutex_unlock(m);
  await synchronize_rcu();
}

async function bad(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    rcu_dereference(ptr); // bad: rcu_dereference
    rcu_dereference_bh(ptr); // bad: rcu_dereference_bh
    rcu_dereference_sched(ptr); // bad: rcu_dereference_sched
    rcu_dereference_protected(ptr, gp_mutex_held); // bad: rcu_dereference_protected
    lockdep_assert_in_rcu_read_lock(); // bad: lockdep_assert_in_rcu_read_lock
    lockdep_assert_in_rcu_read_lock_bh(); // bad: lockdep_assert_in_rcu_read_lock_bh
    lockdep_assert_in_rcu_read_lock_sched(); // bad: lockdep_assert_in_rcu_read_lock_sched
    lockdep_assert_in_rcu_reader(); // bad: lockdep_assert_in_rcu_reader
    rcu_read_lock();
    // One CPU and PREEMPT_NONE: rcu_blocking_is_gp(), so it returns without sleeping.
    await synchronize_rcu(); // bad: synchronize_rcu
    rcu_read_unlock();
  }
  // Sleeps inside the readers that may not sleep (once each: every one is also a BUG for sched).
  rcu_read_lock();
  await kapi.scheduleTimeout(1); // bad: sleep in rcu_read_lock
  rcu_read_unlock();
  rcu_read_lock_sched();
  await kapi.scheduleTimeout(1); // bad: sleep in rcu_read_lock_sched
  rcu_read_unlock_sched();
}

export function boot(cpu: number): void {
  rcu_init(cpu);
  gp_mutex = DEFINE_MUTEX('rcu_lockdep_checks.gp_mutex');
  ptr = kapi.shmAlloc('rcu_lockdep_checks', 1).base;
  if (cpu !== 0) return;
  kapi.kthreadRun(async () => {
    await good();
    kapi.printk('rcu-lockdep-checks: good done');
    await bad();
    kapi.printk('rcu-lockdep-checks: done');
    kapi.powerOff();
  }, 'rcu_ld_checks');
}
