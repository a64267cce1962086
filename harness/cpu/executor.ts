/*
 * What the parts of one executor share (harness/cpu/README.md, "Executors and run tokens"): the
 * context of the running task that the kapi fast paths read, the runqueue, and the parts
 * themselves. CpuRuntime (cpu_runtime.ts) is the one implementation; RunTokens, Sleepers,
 * Interrupts, Hotplug and Khungtaskd see it through this interface, so that no part imports the
 * runtime that imports it (the import graph stays acyclic: harness/boundary.test.ts).
 */

import type { KernelConfig, SchedHooks } from '../kapi.js';
import type { Hotplug } from './hotplug.js';
import type { Interrupts } from './interrupts.js';
import type { RunTokens } from './run_tokens.js';
import type { Sleepers } from './sleepers.js';
import type { Task } from './task.js';

/** What a CPU worker provides to its executor: the machine, the configuration, and the reports. */
export interface CpuEnv {
  readonly i32: Int32Array;
  readonly cpu: number;
  readonly config: KernelConfig;
  /** Boot time in performance.now() milliseconds (the same origin on every thread). */
  readonly bootMs: number;
  /** A task threw: print the Oops, fail the guest. */
  oops(err: unknown, where: string, fatal: boolean): void;
  /** Scheduling while atomic, sleeping in an RCU reader ...: report (kernel-shaped) and fail. */
  schedBug(kind: 'atomic' | 'rcu', task: Task): void;
  /** might_sleep() in atomic context: `BUG: sleeping function called from invalid context`. */
  mightSleepBug(task: Task): void;
  /** A task ended: lockdep checks for locks still held. */
  taskExit(task: Task): void;
  /**
   * khungtaskd found `tasks` asleep (uninterruptible) for longer than `hungJ`: report them and the
   * guest's other hung tasks (their stacks as published), end the guest.
   */
  hungTasks(tasks: readonly Task[], nowJ: number, hungJ: number): void;
  /** Publish the stacks of this executor's hung `tasks` for the reporter (hung_stacks.ts). */
  publishHungTasks(tasks: readonly Task[]): void;
  /**
   * Tasks of other executors asleep (uninterruptible) for `hungJ - soonJ` or longer (hung, or hung
   * within `soonJ`) whose stacks are not published; 0 once the table is full.
   */
  hungElsewhereUnpublished(nowJ: number, hungJ: number, soonJ: number): number;
}

export interface Executor {
  /** The executor's index: its home CPU, its doorbell, its bit in wait-queue masks. */
  readonly id: number;
  /** smp_processor_id(): the CPU whose run token this executor holds, -1 when none (RunTokens writes it). */
  cpu: number;
  readonly i32: Int32Array;
  readonly config: KernelConfig;
  readonly env: CpuEnv;
  /** Runnable tasks of this executor, in FIFO order (the parts push woken and unparked tasks). */
  runqueue: Task[];
  /** The loop must look at its sleepers at the next pass even without a ring of the doorbell. */
  selfPoll: boolean;
  /** The tick found another task runnable: PREEMPT=y switches at the next preemptible point. */
  needResched: boolean;
  readonly hooks: readonly SchedHooks[];
  irqsOff: boolean;
  hardirqCount: number;
  softirqCount: number;
  bhCount: number;

  readonly tokens: RunTokens;
  readonly sleepers: Sleepers;
  readonly irqs: Interrupts;
  readonly hotplug: Hotplug;

  /** HZ is 1000 (kapi.ts): one jiffy per millisecond of performance.now(). */
  jiffies(): number;
  /** Oops reporting outside a task (boot, interrupt context, hotplug callbacks). */
  oops(err: unknown, where: string, fatal: boolean): void;
  /** The running task, for a call that may sleep; throws in interrupt context or outside a task. */
  taskOrThrow(): Task;
  /** schedule_debug(): sleeping in atomic context or in an RCU reader is a bug, reported here. */
  checkMaySleep(t: Task): void;
  /** Park the running task on a promise and hand the CPU back to the scheduler loop. */
  block(t: Task): Promise<void>;
}
