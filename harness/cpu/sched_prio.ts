/*
 * Task priorities (kernel/sched/core.c's prio fields, harness/cpu/README.md "Priorities"): every
 * task slot carries two words in shared memory, `normal_prio` (TASK_NORMAL_PRIO: the prio of its
 * policy, set by __sched_setscheduler()) and the prio it inherits through rt_mutexes
 * (TASK_PI_PRIO: rt_mutex_setprio()'s pi_task prio, MAX_PRIO when none). The effective `prio` is
 * their minimum, as rt_effective_prio() computes it. Both words live in shared memory because a
 * boost is written by the thread of the waiter that walks the PI chain, not by the owner's.
 *
 * Numbers are the kernel's: 0..99 real-time (prio = MAX_RT_PRIO - 1 - rt_priority), 100..139
 * SCHED_NORMAL (120 + nice). Policy is read back from normal_prio (< MAX_RT_PRIO: SCHED_FIFO).
 *
 * Cost: HDR_NR_RT_PRIO counts the words holding a real-time prio, guest-wide; each write is an
 * exchange that adjusts it when the value crosses MAX_RT_PRIO. While it is 0 (every task
 * SCHED_NORMAL and unboosted) the runqueue pick is the FIFO pick it always was, behind one load.
 */

import type { SchedPrio } from '../kapi.js';
import { HDR_NR_RT_PRIO, TASK_NORMAL_PRIO, TASK_PI_PRIO, taskSlotOfPid, taskWord } from '../shm/layout.js';

export const MAX_RT_PRIO = 100;
export const MAX_PRIO = 140;
export const DEFAULT_PRIO = 120;
export const MIN_NICE = -20;
export const MAX_NICE = 19;

/** Store `prio` into a priority word, keeping HDR_NR_RT_PRIO true; returns the old value. */
function setPrioWord(i32: Int32Array, word: number, prio: number): number {
  // The exchange and the add are each atomic: concurrent writers of one word each count their own crossing.
  const old = Atomics.exchange(i32, word, prio);
  const delta = (prio < MAX_RT_PRIO ? 1 : 0) - (old < MAX_RT_PRIO ? 1 : 0);
  if (delta !== 0) Atomics.add(i32, HDR_NR_RT_PRIO, delta); // pairs with the load in rtPrioInUse()
  return old;
}

/** A new task: SCHED_NORMAL, nice 0, not boosted (plain stores: nobody knows the slot yet). */
export function initTaskPrio(i32: Int32Array, slot: number): void {
  Atomics.store(i32, taskWord(slot, TASK_NORMAL_PRIO), DEFAULT_PRIO);
  Atomics.store(i32, taskWord(slot, TASK_PI_PRIO), MAX_PRIO);
}

/** An exiting task gives its real-time counts back (the pick stays cheap once nobody is RT). */
export function exitTaskPrio(i32: Int32Array, slot: number): void {
  if (slot < 0) return;
  setPrioWord(i32, taskWord(slot, TASK_NORMAL_PRIO), DEFAULT_PRIO);
  setPrioWord(i32, taskWord(slot, TASK_PI_PRIO), MAX_PRIO);
}

/** Some task is real-time or boosted: the pick must look at priorities. */
export function rtPrioInUse(i32: Int32Array): boolean {
  return Atomics.load(i32, HDR_NR_RT_PRIO) !== 0;
}

/** p->prio: rt_effective_prio(), the better of normal_prio and the inherited one. */
export function effectivePrio(i32: Int32Array, slot: number): number {
  if (slot < 0) return DEFAULT_PRIO;
  return Math.min(Atomics.load(i32, taskWord(slot, TASK_NORMAL_PRIO)), Atomics.load(i32, taskWord(slot, TASK_PI_PRIO)));
}

/**
 * pick_next_task()'s class order: the first allowed task of the best real-time prio (FIFO among
 * equals, as SCHED_FIFO's per-prio queue), else the first allowed task (the fair class is FIFO
 * here). Only called while rtPrioInUse(). -1 when no task may run.
 */
export function pickPrioIndex<T extends { readonly slot: number }>(i32: Int32Array, runqueue: readonly T[], allowed: (t: T) => boolean): number {
  let best = -1;
  let bestPrio = MAX_PRIO + 1;
  for (let k = 0; k < runqueue.length; k++) {
    const t = runqueue[k] as T;
    if (!allowed(t)) continue;
    const prio = effectivePrio(i32, t.slot);
    const key = prio < MAX_RT_PRIO ? prio : MAX_RT_PRIO; // every non-RT task ranks equal
    if (key < bestPrio) {
      best = k;
      bestPrio = key;
    }
  }
  return best;
}

/**
 * kapi.sched of one executor: pid lookups cached per thread (slots are never reused within a
 * guest), every field in shared memory so that any thread may read or boost any task.
 */
export function makeSchedPrio(i32: Int32Array): SchedPrio {
  const slots = new Map<number, number>();
  const slotOf = (pid: number): number => {
    let s = slots.get(pid);
    if (s === undefined) {
      s = taskSlotOfPid(i32, pid);
      if (s >= 0) slots.set(pid, s);
    }
    return s;
  };
  const slotOrThrow = (pid: number): number => {
    const s = slotOf(pid);
    if (s < 0) throw new Error(`sched: no task with pid ${pid}`);
    return s;
  };
  return {
    /** __sched_setscheduler(): normal_prio from the policy; the effective prio follows (min with the boost). */
    setscheduler(pid, policy, rtPriority, nice): void {
      if (policy === 'SCHED_FIFO' && (rtPriority < 1 || rtPriority > MAX_RT_PRIO - 1)) throw new Error(`sched_setscheduler: rt_priority ${rtPriority} outside 1..99`);
      if (policy === 'SCHED_NORMAL' && (nice < MIN_NICE || nice > MAX_NICE)) throw new Error(`sched_setscheduler: nice ${nice} outside -20..19`);
      const prio = policy === 'SCHED_FIFO' ? MAX_RT_PRIO - 1 - rtPriority : DEFAULT_PRIO + nice;
      setPrioWord(i32, taskWord(slotOrThrow(pid), TASK_NORMAL_PRIO), prio);
    },
    prio: (pid) => effectivePrio(i32, slotOf(pid)),
    normalPrio(pid): number {
      const s = slotOf(pid);
      return s < 0 ? DEFAULT_PRIO : Atomics.load(i32, taskWord(s, TASK_NORMAL_PRIO));
    },
    /** rt_mutex_setprio()'s store: the prio `pid` inherits (MAX_PRIO: none). */
    setPiPrio(pid, prio): void {
      setPrioWord(i32, taskWord(slotOrThrow(pid), TASK_PI_PRIO), prio);
    },
  };
}
