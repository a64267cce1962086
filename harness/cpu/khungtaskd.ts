/*
 * khungtaskd over one executor's sleepers (kernel/hung_task.c): a task in an uninterruptible
 * sleep (waitEvent(), a sleeping lock, scheduleTimeout(), sleepOn()) asleep longer than
 * hung_task_timeout_secs is reported with its stack and every lock held in the system, and the
 * guest ends (hung_task_panic). Interruptible and idle sleeps are not checked, as in the kernel.
 * Its own class because it owns the period and the timeout; the report itself is the CPU's
 * (CpuEnv.hungTasks, hang_detector.ts).
 *
 * One report lists every hung task of the guest, as the kernel's single scan does: each executor
 * publishes the stacks of its own hung tasks (hung_stacks.ts), and the first executor to find hung
 * tasks of its own waits, up to HUNG_GATHER_J, until every task hung on another executor, or about
 * to be within that time (a deadlock's tasks block milliseconds apart), has its stack published
 * (each executor scans once a second, probes at one scan and publishes at the next), then reports
 * them all; a task whose executor never publishes (one spinning for good) comes without a stack.
 */

import { HZ } from '../kapi.js';
import { hung_task_timeout_secs } from '../../kernels/core_params.js';
import { HDR_HUNG_REPORTED } from '../shm/layout.js';
import type { Executor } from './executor.js';
import type { Task } from './task.js';

/** khungtaskd's scan period (jiffies). */
const HUNG_CHECK_J = 1000;
/**
 * How long the reporter waits for the stacks of tasks hung on other executors (jiffies): each
 * executor scans once a second and publishes at the pass after its probe, so a second and a half
 * covers one scan; short, as a guest that outlives its duration and grace is killed by the driver.
 */
const HUNG_GATHER_J = 1500;
/** Its re-check period meanwhile (jiffies). */
const HUNG_GATHER_STEP_J = 100;

export class Khungtaskd {
  readonly #rt: Executor;
  /** jiffies * 1000 after which a D sleeper is hung; 0 disables (hung_task_timeout_secs=0). */
  readonly #hungJ: number;
  #lastCheckJ = 0;
  /** When this executor first had published hung tasks of its own to report (0: not yet). */
  #gatherSinceJ = 0;
  /** The tasks of the last probe: no report while one of them has not yet taken its stack. */
  #probed: readonly Task[] = [];

  constructor(rt: Executor) {
    this.#rt = rt;
    const hung = hung_task_timeout_secs.from(rt.config.bootParams);
    this.#hungJ = hung * HZ;
  }

  /** At every pass of the scheduler loop: a scan once per period. */
  poll(nowJ: number): void {
    if (this.#hungJ > 0 && nowJ - this.#lastCheckJ >= HUNG_CHECK_J) this.#checkHungTasks(nowJ);
  }

  /**
   * check_hung_uninterruptible_tasks(). A hung task is first woken once to record its stack
   * (Sleepers.probe()); the report follows at the next pass, when every hung task has one.
   */
  #checkHungTasks(now: number): void {
    this.#lastCheckJ = now;
    const sleepers = this.#rt.sleepers;
    let hung: Task[] | null = null;
    for (const t of sleepers.blocked) {
      if (t.uninterruptible && now - t.sleepSinceJ >= this.#hungJ) (hung ??= []).push(t);
    }
    if (hung === null) {
      this.#gatherSinceJ = 0;
      return;
    }
    const unprobed = hung.filter((t) => t.sleepSite === null || t.sleepSiteJ !== t.sleepSinceJ);
    if (unprobed.length > 0) {
      sleepers.probe(unprobed);
      this.#probed = unprobed;
      this.#lastCheckJ = now - HUNG_CHECK_J; // report at the next pass with a new jiffy
      return;
    }
    // A probed task still on the runqueue is out of `blocked`, so not in `hung`: wait for it.
    if (this.#probed.some((t) => t.stackProbe)) {
      this.#lastCheckJ = now - HUNG_CHECK_J + HUNG_GATHER_STEP_J;
      return;
    }
    const env = this.#rt.env;
    env.publishHungTasks(hung);
    // One report per guest (hung_task_panic): once made, nothing more to gather.
    if (Atomics.load(this.#rt.i32, HDR_HUNG_REPORTED) !== 0) return;
    if (this.#gatherSinceJ === 0) this.#gatherSinceJ = now;
    const left = HUNG_GATHER_J - (now - this.#gatherSinceJ);
    if (left > 0 && env.hungElsewhereUnpublished(now, this.#hungJ, left) > 0) {
      this.#lastCheckJ = now - HUNG_CHECK_J + HUNG_GATHER_STEP_J;
      return;
    }
    // The first executor past its gathering prints the report (the others' stacks published).
    if (Atomics.compareExchange(this.#rt.i32, HDR_HUNG_REPORTED, 0, 1) !== 0) return;
    env.hungTasks(hung, now, this.#hungJ);
  }
}
