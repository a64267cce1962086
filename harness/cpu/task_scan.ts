/*
 * for_each_process_thread() for Tasks RCU (kernels/rcu/tasks_classic.ts, tasks_trace.ts): every
 * task of the guest as its shared mirror shows it (task.ts), from any CPU. `onRq` is t->on_rq
 * (running, runnable, a preempted task, or parked by hotplug: it did not block of its own);
 * `nvcsw` is t->nvcsw and `nivcsw` t->nivcsw (Task.noteSwitch()). A snapshot may be stale by one switch, as the
 * kernel's lockless READ_ONCE()s of another task's fields are: Tasks RCU re-reads until it sees
 * a switch.
 */

import type { TaskSchedSnapshot } from '../kapi.js';
import { HDR_NEXT_TASK_SLOT, MAX_TASKS, TASK_CPU, TASK_NIVCSW, TASK_NVCSW, TASK_PID, TASK_ST, TASK_STATE, readComm, taskWord } from '../shm/layout.js';

/** The task in `slot` now, null for a free or exited slot. */
export function taskAt(i32: Int32Array, slot: number): TaskSchedSnapshot | null {
  if (slot < 0 || slot >= MAX_TASKS) return null;
  // State first: pairs with the Atomics.add of TASK_NVCSW, made after the switch the state names.
  const st = Atomics.load(i32, taskWord(slot, TASK_STATE));
  if (st === TASK_ST.free || st === TASK_ST.exited) return null;
  return {
    slot,
    pid: Atomics.load(i32, taskWord(slot, TASK_PID)),
    comm: readComm(i32, slot),
    cpu: Atomics.load(i32, taskWord(slot, TASK_CPU)),
    onRq: st === TASK_ST.running || st === TASK_ST.runnable || st === TASK_ST.frozen,
    running: st === TASK_ST.running,
    nvcsw: Atomics.load(i32, taskWord(slot, TASK_NVCSW)),
    nivcsw: Atomics.load(i32, taskWord(slot, TASK_NIVCSW)),
  };
}

/** Every live task. */
export function forEachTask(i32: Int32Array): TaskSchedSnapshot[] {
  // Pairs with the slot's TASK_PID/TASK_STATE stores when a task is created (Task's constructor).
  const n = Math.min(Atomics.load(i32, HDR_NEXT_TASK_SLOT), MAX_TASKS);
  const out: TaskSchedSnapshot[] = [];
  for (let s = 0; s < n; s++) {
    const t = taskAt(i32, s);
    if (t !== null) out.push(t);
  }
  return out;
}
