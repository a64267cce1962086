/*
 * kernel/kthread.c's kthread_stop(): the kernel-side name of the stop, so that a stopper's stack
 * in a hung-task report reads `kthread_stop` above its caller, as the kernel's does. The wait
 * itself (wake the kthread, then wait for its exit uninterruptibly and without a limit) is the
 * CPU's (kapi.kthreadStop(), harness/cpu/kthread_stop.ts).
 */

import { kapi } from '../harness/kapi.js';

/** kthread_stop(k): wake kthread `pid` and wait until it has exited; a kthread that never does is a hung task of the caller. */
export async function kthread_stop(pid: number): Promise<void> {
  await kapi.kthreadStop(pid);
}
