/*
 * The scheduling-policy calls of kernel/sched/core.c that kernel code uses (sched_set_fifo(),
 * sched_set_fifo_low(), sched_set_normal(), rt_task()), over kapi.sched: the priority words
 * live in the task's slot in shared memory (harness/cpu/README.md, "Priorities"). As
 * __sched_setscheduler(), a policy change of a task blocked on an rt_mutex requeues it there and
 * carries the change down the PI chain (rt_mutex_adjust_pi()).
 */

import { kapi, type TaskRef } from '../../harness/kapi.js';
import { rt_mutex_adjust_pi } from '../locking/rtmutex.js';

export const MAX_RT_PRIO = 100;
export const MAX_PRIO = 140;
export const DEFAULT_PRIO = 120;

/** sched_set_fifo(): SCHED_FIFO at MAX_RT_PRIO / 2, the kernel's default for RT kthreads. */
export function sched_set_fifo(p: TaskRef): void {
  kapi.sched.setscheduler(p.pid, 'SCHED_FIFO', MAX_RT_PRIO / 2, 0);
  rt_mutex_adjust_pi(p.pid);
}

/** sched_set_fifo_low(): SCHED_FIFO at prio 1, just above every SCHED_NORMAL task. */
export function sched_set_fifo_low(p: TaskRef): void {
  kapi.sched.setscheduler(p.pid, 'SCHED_FIFO', 1, 0);
  rt_mutex_adjust_pi(p.pid);
}

/** sched_set_normal(): SCHED_NORMAL at `nice`. */
export function sched_set_normal(p: TaskRef, nice: number): void {
  kapi.sched.setscheduler(p.pid, 'SCHED_NORMAL', 0, nice);
  rt_mutex_adjust_pi(p.pid);
}

/** rt_prio() of p->prio: rt_task(p), true while the task runs at a real-time prio (boosted included). */
export function rt_task(p: TaskRef): boolean {
  return kapi.sched.prio(p.pid) < MAX_RT_PRIO;
}

/** p->prio. */
export function task_prio(p: TaskRef): number {
  return kapi.sched.prio(p.pid);
}
