/*
 * Test kernel: kthread_stop() of a kthread that cannot stop. On CPU 0 `kstop_holder` takes
 * `kstop_mutex` and waits (interruptibly) for the stop flag; `kstop_worker` waits for the flag and
 * then takes `kstop_mutex` once before it exits; `kstop_stopper` sets the flag, wakes both and
 * kthread_stop()s the worker. Unmodified, the holder unlocks at the flag, the worker exits and
 * the stopper powers off. With `kthread_stop_stuck.hold=1` (the planted bug) the holder ignores
 * the flag and keeps the mutex: the worker sleeps on it for good, and the stopper in
 * kthread_stop() is a hung task whose report names the worker, the mutex it waits for and its
 * holder (harness/cpu/hung_task.test.ts). All three share CPU 0's executor, so one khungtaskd
 * pass sees them; the stopper went to sleep first, so it is reported first.
 */

import { kapi } from '../../kapi.js';
import { module_param } from '../../../kernels/moduleparam.js';
import { DEFINE_MUTEX, mutex_lock, mutex_unlock } from '../../../kernels/locking/mutex.js';
import { kthread_stop } from '../../../kernels/kthread.js';

const W_STOP = 0;
const W_STOP_WQ = 1;

export function boot(cpu: number): void {
  if (cpu !== 0) return;
  const r = kapi.shmAlloc('kthread_stop_stuck', 16);
  const i32 = kapi.shm;
  const stopWq = { i32, index: r.base + W_STOP_WQ };
  const stopping = (): boolean => Atomics.load(i32, r.base + W_STOP) !== 0;
  const hold = module_param('kthread_stop_stuck.hold', 'bool', false);
  const m = DEFINE_MUTEX('kstop_mutex');
  kapi.kthreadRun(async () => {
    await mutex_lock(m);
    await kapi.waitEventInterruptible(stopWq, () => !hold && stopping());
    mutex_unlock(m);
  }, 'kstop_holder');
  const worker = kapi.kthreadRun(async () => {
    await kapi.waitEventInterruptible(stopWq, stopping);
    await mutex_lock(m);
    mutex_unlock(m);
  }, 'kstop_worker');
  kapi.kthreadRun(async () => {
    await kapi.scheduleTimeout(300);
    // The stop flag before the wake-ups: pairs with the waitEventInterruptible conditions.
    Atomics.store(i32, r.base + W_STOP, 1);
    kapi.wakeUp(stopWq);
    await kthread_stop(worker.pid);
    kapi.printk('kthread_stop_stuck: worker stopped');
    kapi.powerOff();
  }, 'kstop_stopper');
}
