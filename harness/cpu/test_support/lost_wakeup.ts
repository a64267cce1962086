/*
 * Test kernel: a wait_event() whose wake_up() is missing. On CPU 0 `lost_wakeup_waiter` sleeps
 * in wait_event(done_wq, done != 0); on CPU 1 `lost_wakeup_setter` sets `done` and, unless
 * `lost_wakeup_test.missing=1`, calls wake_up(done_wq). Meanwhile `lost_wakeup_noise` on CPU 1
 * wakes another wait queue that `lost_wakeup_ticker` on CPU 0 sleeps on, hundreds of times a
 * second: CPU 0 is rung again and again, but none of that wakes the first sleeper, so the missing
 * wake-up is a hung task (harness/cpu/hung_task.test.ts). With the wake-up, CPU 0 powers off.
 * `lost_wakeup_test.second_waiter=N` adds `lost_wakeup_wa2`, the same wait on CPU N: two hung
 * tasks on two executors, which one report must list both of.
 */

import { kapi } from '../../kapi.js';
import { module_param } from '../../../kernels/moduleparam.js';

const W_DONE = 0;
const W_DONE_WQ = 1;
const W_TICK = 2;
const W_TICK_WQ = 3;
const W_STOP = 4;

async function lost_wakeup_waiter(base: number): Promise<void> {
  const i32 = kapi.shm;
  await kapi.waitEvent({ i32, index: base + W_DONE_WQ }, () => Atomics.load(i32, base + W_DONE) !== 0);
  kapi.printk('lost_wakeup: waiter woken');
  Atomics.store(i32, base + W_STOP, 1);
  kapi.powerOff();
}

export function boot(cpu: number): void {
  const r = kapi.shmAlloc('lost_wakeup_test', 16);
  const i32 = kapi.shm;
  const b = r.base;
  const missing = module_param('lost_wakeup_test.missing', 'bool', false);
  const second = module_param('lost_wakeup_test.second_waiter', 'int', -1);
  if (cpu === second && cpu !== 0) {
    kapi.kthreadRun(async () => {
      await kapi.waitEvent({ i32, index: b + W_DONE_WQ }, () => Atomics.load(i32, b + W_DONE) !== 0);
    }, 'lost_wakeup_wa2');
  }
  if (cpu === 0) {
    kapi.kthreadRun(() => lost_wakeup_waiter(b), 'lost_wakeup_wai');
    kapi.kthreadRun(async () => {
      for (let seen = 0; Atomics.load(i32, b + W_STOP) === 0; ) {
        await kapi.waitEventInterruptible({ i32, index: b + W_TICK_WQ }, () => Atomics.load(i32, b + W_TICK) !== seen || Atomics.load(i32, b + W_STOP) !== 0);
        seen = Atomics.load(i32, b + W_TICK);
      }
    }, 'lost_wakeup_tic');
  } else if (cpu === 1) {
    kapi.kthreadRun(async () => {
      await kapi.scheduleTimeout(200);
      // The state change the waiter waits for; the wake-up that must follow it.
      Atomics.store(i32, b + W_DONE, 1);
      if (!missing) kapi.wakeUp({ i32, index: b + W_DONE_WQ });
    }, 'lost_wakeup_set');
    kapi.kthreadRun(async () => {
      while (Atomics.load(i32, b + W_STOP) === 0) {
        Atomics.add(i32, b + W_TICK, 1);
        kapi.wakeUp({ i32, index: b + W_TICK_WQ });
        await kapi.scheduleTimeout(2);
      }
    }, 'lost_wakeup_noi');
  }
}
