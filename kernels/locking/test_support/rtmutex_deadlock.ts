/*
 * Test kernel for rt_mutex deadlock detection (rtmutex_pi.test.ts): `rtmutex_deadlock.case=abba`
 * has two tasks on two CPUs take rtmutex_A and rtmutex_B in opposite orders, each holding its
 * first lock until the other holds its own, a real deadlock; `case=aa` has one task take the
 * same rt_mutex twice. A watcher powers the guest off a few seconds later (the deadlocked tasks
 * never return). With CONFIG_PROVE_LOCKING the chain walk is the full one: the second blocker's
 * walk comes back to its own lock (-EDEADLK) and rt_mutex_lock() WARNs `rtmutex deadlock
 * detected`, as rt_mutex_handle_deadlock(); the AA case is seen in any configuration.
 */

import { kapi } from '../../../harness/kapi.js';
import { module_param } from '../../moduleparam.js';
import { DEFINE_RT_MUTEX, rt_mutex_lock, type RtMutex } from '../rtmutex.js';

async function take_two(first: RtMutex, second: RtMutex, flags: number, mine: number, other: number): Promise<void> {
  await rt_mutex_lock(first);
  Atomics.store(kapi.shm, flags + mine, 1);
  while (Atomics.load(kapi.shm, flags + other) === 0) await kapi.scheduleTimeout(1);
  kapi.printk(`rtmutex_deadlock: ${kapi.current().comm} takes its second lock`);
  await rt_mutex_lock(second);
  kapi.printk(`rtmutex_deadlock: ${kapi.current().comm} took both (not a deadlock?)`);
}

export function boot(cpu: number): void {
  const which = module_param('rtmutex_deadlock.case', 'charp', 'abba');
  const a = DEFINE_RT_MUTEX('rtmutex_A');
  const b = DEFINE_RT_MUTEX('rtmutex_B');
  const flags = kapi.shmAlloc('rtmutex_deadlock_test', 16).base;
  if (which === 'aa') {
    if (cpu === 0) {
      kapi.kthreadRun(async () => {
        await rt_mutex_lock(a);
        await rt_mutex_lock(a);
      }, 'dl_aa');
    }
  } else {
    if (cpu === 0) kapi.kthreadRun(() => take_two(a, b, flags, 0, 1), 'dl_ab');
    if (cpu === 1) kapi.kthreadRun(() => take_two(b, a, flags, 1, 0), 'dl_ba');
  }
  if (cpu === 1) {
    kapi.kthreadRun(async () => {
      await kapi.scheduleTimeout(3000);
      kapi.printk('rtmutex_deadlock: watcher done');
      kapi.powerOff();
    }, 'dl_watch');
  }
}
