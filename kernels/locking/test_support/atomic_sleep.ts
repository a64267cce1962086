/*
 * Test guest module: a task calls mutex_lock() while holding a raw spinlock (preemption off),
 * the bug __might_resched() exists for. It prints `atomic-sleep: done` and powers off.
 */

import { kapi } from '../../../harness/kapi.js';
import { DEFINE_MUTEX, mutex_lock, mutex_unlock } from '../mutex.js';
import { DEFINE_RAW_SPINLOCK, raw_spin_lock, raw_spin_unlock } from '../spinlock.js';

export function boot(cpu: number): void {
  const lock = DEFINE_RAW_SPINLOCK('atomic_sleep_lock');
  const m = DEFINE_MUTEX('atomic_sleep_mutex');
  if (cpu !== 0) return;
  kapi.kthreadRun(async () => {
    raw_spin_lock(lock);
    await mutex_lock(m);
    mutex_unlock(m);
    raw_spin_unlock(lock);
    kapi.printk('atomic-sleep: done');
    kapi.powerOff();
  }, 'atomic_sleeper');
}
