/*
 * Test kernel (1 CPU, PREEMPT_NONE): a task woken on its own CPU must run at the waker's next
 * cond_resched() after a tick, as the kernel's try_to_wake_up() makes it runnable at once and
 * the tick sets need_resched. `wake_cr_hog` wakes `wake_cr_waiter` (wake_up() of the queue it
 * sleeps on), then loops with interrupts briefly off and on (the tick comes in at the enable) and
 * cond_resched(), never sleeping, for at most 2 s; then the same for `wake_cr_sleeper`, whose
 * schedule_timeout() expires while the hog loops. It prints `wake_cond_resched: OK ...` or
 * `wake_cond_resched: FAIL: ...` and powers off. rcutorture's call_rcu() flood on Tiny SRCU is
 * such a loop, and Tiny SRCU's grace-period work the task it wakes.
 */

import { kapi } from '../../kapi.js';

const W_FLAG = 0;
const W_WQ = 1;
const W_WAITER_RAN = 2;
const W_SLEEPER_RAN = 3;
const CAP_J = 2000;

/** Spin with cond_resched() until `ran` is set or CAP_J jiffies pass; the jiffies it took, or -1. */
async function hog(ran: () => boolean): Promise<number> {
  const t0 = kapi.jiffies();
  while (!ran()) {
    if (kapi.jiffies() - t0 > CAP_J) return -1;
    kapi.localIrqDisable();
    kapi.localIrqEnable(); // the tick, if one is pending
    const cr = kapi.condResched();
    if (cr !== null) await cr;
  }
  return kapi.jiffies() - t0;
}

export function boot(cpu: number): void {
  if (cpu !== 0) return;
  const r = kapi.shmAlloc('wake_cond_resched', 8);
  const i32 = kapi.shm;
  const w = (k: number): number => r.base + k;
  kapi.kthreadRun(async () => {
    await kapi.waitEvent({ i32, index: w(W_WQ) }, () => Atomics.load(i32, w(W_FLAG)) !== 0);
    Atomics.store(i32, w(W_WAITER_RAN), 1);
  }, 'wake_cr_waiter');
  kapi.kthreadRun(async () => {
    await kapi.scheduleTimeout(200);
    Atomics.store(i32, w(W_SLEEPER_RAN), 1);
  }, 'wake_cr_sleeper');
  kapi.kthreadRun(async () => {
    await kapi.scheduleTimeout(20); // the waiter is asleep on its queue
    Atomics.store(i32, w(W_FLAG), 1);
    kapi.wakeUp({ i32, index: w(W_WQ) });
    const woken = await hog(() => Atomics.load(i32, w(W_WAITER_RAN)) !== 0);
    const timed = await hog(() => Atomics.load(i32, w(W_SLEEPER_RAN)) !== 0);
    if (woken >= 0 && timed >= 0) kapi.printk(`wake_cond_resched: OK woken task ran after ${woken} jiffies, timed-out sleeper after ${timed}`);
    else kapi.printk(`wake_cond_resched: FAIL: in ${CAP_J} jiffies of cond_resched() woken=${woken} timed-out=${timed} never ran`);
    kapi.powerOff();
  }, 'wake_cr_hog');
}
