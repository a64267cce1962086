/*
 * Test kernel for rt_mutex priority inheritance across CPUs (rtmutex_pi.test.ts): on CPU 0 a
 * SCHED_NORMAL task `pi_low` takes an rt_mutex; on CPU 1 a SCHED_FIFO task `pi_high` blocks on
 * it. The holder prints its prio while the waiter waits (boosted to the waiter's) and after its
 * unlock (restored), and checks the PI invariant as locktorture's boost check does: with
 * `rtmutex.test_broken_pi=1` the boost never comes and the check WARNs and fails the guest.
 */

import { kapi } from '../../../harness/kapi.js';
import { DEFINE_RT_MUTEX, rt_mutex_lock, rt_mutex_owner_boost_ok, rt_mutex_unlock, rt_mutex_waiters, type RtMutex } from '../rtmutex.js';
import { sched_set_fifo, task_prio } from '../../sched/core.js';

const HELD = 0;
const DONE = 1;

async function pi_low(lock: RtMutex, flags: number): Promise<void> {
  const me = kapi.current();
  await rt_mutex_lock(lock);
  const before = task_prio(me);
  Atomics.store(kapi.shm, flags + HELD, 1);
  while (rt_mutex_waiters(lock).length === 0) await kapi.scheduleTimeout(1);
  const waiter = rt_mutex_waiters(lock)[0] ?? 0;
  const check = rt_mutex_owner_boost_ok(lock);
  kapi.printk(`rtmutex_pi: holder ${me.comm}/${me.pid} prio ${before} -> ${task_prio(me)} while pid ${waiter} (prio ${check.waiter}) waits`);
  if (!check.ok) {
    kapi.warn('pi_low', `rt_mutex owner at prio ${check.owner} below its top waiter's prio ${check.waiter}: not boosted`);
    kapi.noteFailure('rtmutex_pi: owner not boosted');
  }
  rt_mutex_unlock(lock);
  kapi.printk(`rtmutex_pi: holder ${me.comm}/${me.pid} prio after unlock ${task_prio(me)}`);
}

async function pi_high(lock: RtMutex, flags: number): Promise<void> {
  const me = kapi.current();
  sched_set_fifo(me);
  while (Atomics.load(kapi.shm, flags + HELD) === 0) await kapi.scheduleTimeout(1);
  await rt_mutex_lock(lock);
  kapi.printk(`rtmutex_pi: waiter ${me.comm}/${me.pid} prio ${task_prio(me)} took the lock`);
  rt_mutex_unlock(lock);
  Atomics.store(kapi.shm, flags + DONE, 1);
}

export function boot(cpu: number): void {
  const lock = DEFINE_RT_MUTEX('pi_test_rtmutex');
  const flags = kapi.shmAlloc('rtmutex_pi_test', 16).base;
  if (cpu === 0) kapi.kthreadRun(() => pi_low(lock, flags), 'pi_low');
  if (cpu === 1) {
    kapi.kthreadRun(async () => {
      await pi_high(lock, flags);
      kapi.printk('rtmutex_pi: done');
      kapi.powerOff();
    }, 'pi_high');
  }
}
