/*
 * kthread_stop() (kernel/kthread.c): ask a kthread to stop, wake it, and wait for it to exit.
 *
 * The kernel sets KTHREAD_SHOULD_STOP, wakes the thread and sleeps in
 * wait_for_completion(&kthread->exited): TASK_UNINTERRUPTIBLE and without a timeout, so a kthread
 * that never exits leaves its stopper asleep for good, and khungtaskd reports the stopper once it
 * has slept hung_task_timeout_secs. The same here: the stopper sleeps in an uninterruptible
 * waitEvent() (khungtaskd watches it) on HDR_TASK_EXIT_WQ, which every task exit wakes
 * (CpuRuntime's task end), until the kthread's slot reads exited. A kthread that stops late but
 * stops is fine, as in the kernel; one that never stops is a hung task.
 *
 * The stopper's slot names the kthread it waits for (TASK_STOP_WAIT), so the hung-task report
 * says whom kthread_stop() waits for and what that kthread itself waits for and who holds it
 * (hang_detector.ts). The stop request itself is the caller's flag (torture kthreads loop on
 * torture_must_stop(), which the model's kthread_should_stop() is), set before this is called.
 */

import { HDR_TASK_EXIT_WQ, TASK_ST, TASK_STATE, TASK_STOP_WAIT, taskSlotOfPid, taskWord } from '../shm/layout.js';
import type { Executor } from './executor.js';

/** Whether task `pid` has exited (or never was: nothing to wait for). */
function kthread_exited(i32: Int32Array, pid: number): boolean {
  const s = taskSlotOfPid(i32, pid);
  // Pairs with the exited store of the task's end, which comes before its wake-up of HDR_TASK_EXIT_WQ.
  return s < 0 || Atomics.load(i32, taskWord(s, TASK_STATE)) === TASK_ST.exited;
}

/** kthread_stop(pid): wake the kthread and wait, uninterruptibly and without limit, for its exit. */
export async function kthreadStop(rt: Executor, pid: number): Promise<void> {
  const { i32, sleepers } = rt;
  const self = rt.taskOrThrow();
  if (kthread_exited(i32, pid)) return;
  if (self.slot >= 0) Atomics.store(i32, taskWord(self.slot, TASK_STOP_WAIT), pid);
  try {
    sleepers.wakeUpProcess(pid);
    await sleepers.waitEvent({ i32, index: HDR_TASK_EXIT_WQ }, () => kthread_exited(i32, pid));
  } finally {
    if (self.slot >= 0) Atomics.store(i32, taskWord(self.slot, TASK_STOP_WAIT), 0);
  }
}

/** The task end's half: wake every kthread_stop() sleeper (each re-checks its own kthread). */
export function kthreadExitNotify(rt: Executor): void {
  rt.sleepers.wakeUp({ i32: rt.i32, index: HDR_TASK_EXIT_WQ });
}
