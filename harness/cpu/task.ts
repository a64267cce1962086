/*
 * A task (kthread): an async function driven by the scheduler of the executor (worker thread)
 * that created it. A closure cannot cross threads, so the executor is fixed; the CPU it runs on is
 * not: `cpu` is task_cpu(), the CPU whose run token the executor held when the task last ran
 * (harness/cpu/README.md, "Executors and run tokens"). The fields are the scheduler's
 * bookkeeping; what other threads need to see (state, CPU, the lock waited for, held locks, comm)
 * is mirrored into the task's slot in shared memory for the hang detector.
 */

import type { LockStatHeld } from './lock_stat.js';
import { COV, cov, type TaskRef, type WaitQueueHead } from '../kapi.js';
import {
  HDR_SHUFFLE_GEN,
  cpuOnlineIn,
  TASK_CPU,
  TASK_DEPTH,
  TASK_EXECUTOR,
  TASK_HELD,
  TASK_MIGRATIONS,
  TASK_NIVCSW,
  TASK_NVCSW,
  TASK_HELD_MAX,
  TASK_PID,
  TASK_SLEEP_SINCE,
  TASK_ST,
  TASK_WAKE_SEQ,
  TASK_STATE,
  TASK_WAIT_ADDR,
  TASK_WAIT_SINCE,
  taskWord,
  writeComm,
} from '../shm/layout.js';
import { initTaskPrio } from './sched_prio.js';

export const TASK_COMM_LEN = 16;

function TASK_BASE_OF(slot: number): number {
  return taskWord(slot, 0);
}

/** blocked: TASK_UNINTERRUPTIBLE (hung-task checked); sleeping: TASK_INTERRUPTIBLE or TASK_IDLE. */
export type TaskState = 'runnable' | 'running' | 'blocked' | 'sleeping' | 'exited';

export class Task implements TaskRef {
  readonly pid: number;
  readonly comm: string;
  /** task_cpu(): where the task runs or last ran (set at each switch-in). */
  cpu: number;
  /** The executor that runs it (its worker thread). */
  readonly executor: number;
  /** kthread_bind(): the only CPU it may run on, -1 for any online CPU. */
  bound = -1;
  /**
   * set_cpus_allowed_ptr() (torture_sched_setaffinity()): the CPUs it may run on, null for all.
   * When none of them is online it runs on any online CPU, as select_fallback_rq() breaks affinity.
   */
  allowed: readonly number[] | null = null;
  /** torture_shuffle_task_register(): its affinity excludes the shuffle-idle CPU. */
  shuffled = false;
  /* torture.random_shuffle: the last shuffle this task flipped for, and the CPU it avoids since. */
  #shuffleGen = 0;
  #shuffleAvoid = -1;
  /** se.nr_migrations. */
  migrations = 0;
  readonly slot: number;
  readonly fn: () => Promise<void>;
  state: TaskState = 'runnable';
  /** Resolves the promise the task is parked on; null while it runs. */
  resume: (() => void) | null = null;
  /** The wait queue slept on, null for a timeout or a foreign promise. */
  waitWq: WaitQueueHead | null = null;
  /** The wait queue's wake sequence when the task went to sleep: a change is a wake_up(). */
  waitSeq = 0;
  /** Jiffies deadline of the sleep, Infinity for none. */
  deadline = Infinity;
  /** True when the deadline (not a wake-up) ended the last sleep. */
  timedOut = false;
  /** True while the task sleeps on a foreign promise (kapi.sleepOn). */
  external = false;
  /** Set when that promise settled: the task is woken at the CPU's next pass. */
  externalSettled = false;
  /** TASK_WAKE_SEQ when the task went to sleep: a change is a wake_up_process(). */
  wakeSeq = 0;
  /** Jiffies when the task last went to sleep (khungtaskd's last_switch_time). */
  sleepSinceJ = 0;
  /** True for TASK_UNINTERRUPTIBLE sleeps (khungtaskd's). */
  uninterruptible = false;
  /** Set by khungtaskd: wake only to record the stack where the task sleeps, then sleep again. */
  stackProbe = false;
  /** The stack recorded by that probe (formatted only if reported), and the sleep it belongs to. */
  sleepSite: Error | null = null;
  sleepSiteJ = -1;
  /** Set after a probe: the next sleep continues the one it interrupted (same start time). */
  keepSleepSince = false;
  /** True when the last switch away from this task was a preemption. */
  preempted = false;
  rcuDepth = 0;
  lockDepth = 0;
  /** Between lock_contended() and lock_acquired(): the last lock in lockDepth is not held yet. */
  waitingForLock = false;
  /** The lockdep validator keeps its held-lock stack here. */
  lockdep?: unknown;
  /** lock_stat's held-lock stamps (lock_stat.ts, CONFIG_LOCK_STAT=y only) and their depth. */
  lockStatHeld?: LockStatHeld[];
  lockStatDepth?: number;
  readonly #i32: Int32Array;
  /*
   * The mirror's words, computed once (-1 without a slot): noteAcquire() is inlined into every
   * lock's path, where each bytecode counts against V8's inlining budget for the caller.
   */
  readonly #heldWord: number;
  readonly #depthWord: number;

  constructor(i32: Int32Array, pid: number, comm: string, cpu: number, executor: number, slot: number, fn: () => Promise<void>) {
    this.#i32 = i32;
    this.#heldWord = slot >= 0 ? TASK_BASE_OF(slot) + TASK_HELD : -1;
    this.#depthWord = slot >= 0 ? TASK_BASE_OF(slot) + TASK_DEPTH : -1;
    this.pid = pid;
    this.comm = comm.slice(0, TASK_COMM_LEN - 1);
    this.cpu = cpu;
    this.executor = executor;
    this.slot = slot;
    this.fn = fn;
    if (slot >= 0) {
      Atomics.store(i32, taskWord(slot, TASK_PID), pid);
      Atomics.store(i32, taskWord(slot, TASK_CPU), cpu);
      Atomics.store(i32, taskWord(slot, TASK_EXECUTOR), executor);
      writeComm(i32, slot, this.comm);
      initTaskPrio(i32, slot);
      this.setSharedState('runnable');
    }
  }

  /** set_task_cpu(): the task starts running on `cpu`; a change is a migration. */
  setCpu(cpu: number): void {
    if (cpu === this.cpu) return;
    this.cpu = cpu;
    this.migrations++;
    if (this.lockDepth > (this.waitingForLock ? 1 : 0) + (this.rcuDepth > 0 ? 1 : 0)) cov(COV.sched_migrate_lock_held); // not the lock waited for, nor rcu_read_lock()'s map
    if (this.rcuDepth > 0) cov(COV.sched_migrate_rcu_reader);
    if (this.slot < 0) return;
    // Diagnostic mirrors (hang detector, tests): plain-value readers tolerate one stale scan.
    Atomics.store(this.#i32, taskWord(this.slot, TASK_CPU), cpu);
    Atomics.store(this.#i32, taskWord(this.slot, TASK_MIGRATIONS), this.migrations);
  }

  /**
   * May the task run on `cpu` now (its affinity; `cpu` is online)? `shuffleIdle` is the CPU
   * shuffled tasks avoid (-1: none; -2: only one CPU is online, so every task may run there, as
   * select_fallback_rq()). With torture.random_shuffle (HDR_SHUFFLE_GEN > 0) the task flips a coin
   * for each shuffle it sees and on tails keeps the CPU it avoided before; the coin is a hash of
   * its pid and the shuffle's number, so a run is reproducible. A task that slept through several
   * shuffles flips once, for the latest.
   */
  allowedOn(cpu: number, shuffleIdle: number): boolean {
    if (this.bound >= 0) return cpu === this.bound;
    if (this.allowed !== null && !this.allowed.includes(cpu) && this.allowed.some((c) => cpuOnlineIn(this.#i32, c))) return false;
    if (!this.shuffled || shuffleIdle === -2) return true;
    const gen = Atomics.load(this.#i32, HDR_SHUFFLE_GEN); // pairs with the Atomics.add in setShuffleIdleCpu()
    if (gen === 0) return cpu !== shuffleIdle;
    if (gen !== this.#shuffleGen) {
      this.#shuffleGen = gen;
      const h = Math.imul(this.pid ^ Math.imul(gen, 0x9e3779b1), 0x85ebca6b);
      if (((h ^ (h >>> 15)) & 1) === 0) this.#shuffleAvoid = shuffleIdle;
    }
    return cpu !== this.#shuffleAvoid;
  }

  setSharedState(s: TaskState | 'frozen'): void {
    if (this.slot < 0) return;
    const v = s === 'frozen' ? TASK_ST.frozen : TASK_ST[s];
    Atomics.store(this.#i32, taskWord(this.slot, TASK_STATE), v);
  }

  /** Mirror the start of a sleep for the hang detector; remember the wake_up_process() count. */
  noteSleep(j: number): void {
    this.sleepSinceJ = j;
    if (this.slot < 0) return;
    Atomics.store(this.#i32, taskWord(this.slot, TASK_SLEEP_SINCE), j);
    this.wakeSeq = Atomics.load(this.#i32, taskWord(this.slot, TASK_WAKE_SEQ));
  }

  /** True once wake_up_process() was called for this task since it went to sleep. */
  get wokenAsProcess(): boolean {
    return this.slot >= 0 && Atomics.load(this.#i32, taskWord(this.slot, TASK_WAKE_SEQ)) !== this.wakeSeq;
  }

  /*
   * The held-lock mirror is written with plain stores: it sits on every lock's fast path, and its
   * only reader is the hang detector on the guest main thread, which polls it with Atomics.load
   * and tolerates a stale value for one scan (int32 stores never tear).
   */
  noteAcquire(addr: number): void {
    const d = this.lockDepth++;
    const held = this.#heldWord;
    if (held < 0) return;
    const i32 = this.#i32;
    if (d < TASK_HELD_MAX) i32[held + d] = addr + 1;
    i32[this.#depthWord] = d + 1;
  }

  noteRelease(addr: number): void {
    if (this.lockDepth > 0) this.lockDepth--;
    // A wait given up without the lock (ww_mutex's -EDEADLK: lock_contended(), then the release
    // of that lock): the task no longer waits. A field test on the release path; other releases
    // while waiting (a wait_lock between passes of a wait loop) leave the wait as it is.
    if (this.waitingForLock && this.slot >= 0 && this.#i32[taskWord(this.slot, TASK_WAIT_ADDR)] === addr + 1) this.noteWaitDone();
    const held = this.#heldWord;
    if (held < 0) return;
    const i32 = this.#i32;
    const top = this.lockDepth;
    // Fast case: releasing the most recent lock (LIFO); the rest apart, so this inlines small.
    if (top < TASK_HELD_MAX && i32[held + top] === addr + 1) i32[held + top] = 0;
    else this.#noteReleaseInside(addr, top);
    i32[this.#depthWord] = top;
  }

  /** noteRelease() of a lock that is not the most recent one: the entries above it move down. */
  #noteReleaseInside(addr: number, top: number): void {
    const i32 = this.#i32;
    const held = this.#heldWord;
    const n = Math.min(top + 1, TASK_HELD_MAX);
    for (let k = 0; k < n; k++) {
      if (i32[held + k] !== addr + 1) continue;
      for (let m = k; m < n - 1; m++) i32[held + m] = i32[held + m + 1] ?? 0;
      i32[held + n - 1] = 0;
      break;
    }
  }

  noteWait(addr: number, jiffies: number): void {
    this.waitingForLock = true;
    if (this.slot < 0) return;
    Atomics.store(this.#i32, taskWord(this.slot, TASK_WAIT_SINCE), jiffies);
    Atomics.store(this.#i32, taskWord(this.slot, TASK_WAIT_ADDR), addr + 1);
  }

  /**
   * The task switched away: at a point of its own (a sleep, schedule(), cond_resched()): t->nvcsw++;
   * by a preemption: t->nivcsw++. Tasks RCU's holdout scan on another CPU compares nvcsw with the
   * count it saw at the grace period's start (harness/cpu/task_scan.ts; pairs with its Atomics.load).
   */
  noteSwitch(preempted: boolean): void {
    if (this.slot >= 0) Atomics.add(this.#i32, taskWord(this.slot, preempted ? TASK_NIVCSW : TASK_NVCSW), 1);
  }

  noteWaitDone(): void {
    this.waitingForLock = false;
    if (this.slot < 0) return;
    Atomics.store(this.#i32, taskWord(this.slot, TASK_WAIT_ADDR), 0);
  }

}
