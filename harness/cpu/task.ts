/*
 * A task (kthread) of one CPU: an async function driven by the CPU's scheduler. The fields are
 * the scheduler's bookkeeping; what other threads need to see (state, the lock waited for, held
 * locks, comm) is mirrored into the task's slot in shared memory for the hang detector.
 */

import type { TaskRef, WaitQueueHead } from '../kapi.js';
import {
  TASK_CPU,
  TASK_DEPTH,
  TASK_HELD,
  TASK_HELD_MAX,
  TASK_PID,
  TASK_ST,
  TASK_STATE,
  TASK_WAIT_ADDR,
  TASK_WAIT_SINCE,
  taskWord,
  writeComm,
} from '../shm/layout.js';

export const TASK_COMM_LEN = 16;

function TASK_BASE_OF(slot: number): number {
  return taskWord(slot, 0);
}

export type TaskState = 'runnable' | 'running' | 'blocked' | 'exited';

export class Task implements TaskRef {
  readonly pid: number;
  readonly comm: string;
  readonly cpu: number;
  readonly slot: number;
  readonly fn: () => Promise<void>;
  state: TaskState = 'runnable';
  /** Resolves the promise the task is parked on; null while it runs. */
  resume: (() => void) | null = null;
  /** Sleep condition (waitEvent), re-evaluated when the CPU is rung. */
  waitCond: (() => boolean) | null = null;
  waitWq: WaitQueueHead | null = null;
  /** Jiffies deadline of the sleep, Infinity for none. */
  deadline = Infinity;
  /** What waitEvent returns: false when the deadline ended the sleep. */
  waitResult = true;
  /** True while the task sleeps on a foreign promise (kapi.sleepOn). */
  external = false;
  /** True when the last switch away from this task was a preemption. */
  preempted = false;
  rcuDepth = 0;
  lockDepth = 0;
  /** Between lock_contended() and lock_acquired(): the last lock in lockDepth is not held yet. */
  waitingForLock = false;
  /** The lockdep validator keeps its held-lock stack here. */
  lockdep?: unknown;
  readonly #i32: Int32Array;

  constructor(i32: Int32Array, pid: number, comm: string, cpu: number, slot: number, fn: () => Promise<void>) {
    this.#i32 = i32;
    this.pid = pid;
    this.comm = comm.slice(0, TASK_COMM_LEN - 1);
    this.cpu = cpu;
    this.slot = slot;
    this.fn = fn;
    if (slot >= 0) {
      Atomics.store(i32, taskWord(slot, TASK_PID), pid);
      Atomics.store(i32, taskWord(slot, TASK_CPU), cpu);
      writeComm(i32, slot, this.comm);
      this.setSharedState('runnable');
    }
  }

  setSharedState(s: TaskState | 'frozen'): void {
    if (this.slot < 0) return;
    const v = s === 'frozen' ? TASK_ST.frozen : TASK_ST[s];
    Atomics.store(this.#i32, taskWord(this.slot, TASK_STATE), v);
  }

  /*
   * The held-lock mirror is written with plain stores: it sits on every lock's fast path, and its
   * only reader is the hang detector on the guest main thread, which polls it with Atomics.load
   * and tolerates a stale value for one scan (int32 stores never tear).
   */
  noteAcquire(addr: number): void {
    const d = this.lockDepth++;
    if (this.slot < 0) return;
    const base = TASK_BASE_OF(this.slot);
    if (d < TASK_HELD_MAX) this.#i32[base + TASK_HELD + d] = addr + 1;
    this.#i32[base + TASK_DEPTH] = d + 1;
  }

  noteRelease(addr: number): void {
    if (this.lockDepth > 0) this.lockDepth--;
    if (this.slot < 0) return;
    const i32 = this.#i32;
    const base = TASK_BASE_OF(this.slot);
    const top = this.lockDepth;
    // Fast case: releasing the most recent lock (LIFO).
    if (top < TASK_HELD_MAX && i32[base + TASK_HELD + top] === addr + 1) {
      i32[base + TASK_HELD + top] = 0;
    } else {
      const n = Math.min(top + 1, TASK_HELD_MAX);
      for (let k = 0; k < n; k++) {
        if (i32[base + TASK_HELD + k] !== addr + 1) continue;
        for (let m = k; m < n - 1; m++) i32[base + TASK_HELD + m] = i32[base + TASK_HELD + m + 1] ?? 0;
        i32[base + TASK_HELD + n - 1] = 0;
        break;
      }
    }
    i32[base + TASK_DEPTH] = top;
  }

  noteWait(addr: number, jiffies: number): void {
    this.waitingForLock = true;
    if (this.slot < 0) return;
    Atomics.store(this.#i32, taskWord(this.slot, TASK_WAIT_SINCE), jiffies);
    Atomics.store(this.#i32, taskWord(this.slot, TASK_WAIT_ADDR), addr + 1);
  }

  noteWaitDone(): void {
    this.waitingForLock = false;
    if (this.slot < 0) return;
    Atomics.store(this.#i32, taskWord(this.slot, TASK_WAIT_ADDR), 0);
  }

  /**
   * At a safe point a dying CPU may freeze this task: it holds no lock and is not in an RCU
   * reader. lock_acquire() is called before a task waits for a lock, so a lock it is still
   * waiting for counts in lockDepth without being held: a waiter holding nothing else is safe
   * (its wait simply resumes, and retries, when its CPU comes back).
   */
  get atSafePoint(): boolean {
    return this.lockDepth - (this.waitingForLock ? 1 : 0) === 0 && this.rcuDepth === 0;
  }
}
