/*
 * sysrq-t and sysrq-l over shared memory: show_state() (every task, its state, the lock it waits
 * for and who holds it, then debug_show_all_locks()) and the "backtrace" of every active CPU
 * (what it runs), for the guest's main thread to print when the driver's monitor asks before it
 * kills the guest (harness/guest/show_state_request.ts). A guest killed at duration + grace then
 * says why it did not end: the lockup detectors need 10-20 s, often more than the run had.
 *
 * Like the hang detector it only reads what the CPUs mirror, never a lock, so it works however
 * wedged the CPUs are (the main thread is no CPU); it reuses the hang reports' pieces
 * (hang_detector.ts). There are no stacks: a task's frames live in its CPU's worker, which may be
 * the thing that is stuck.
 *
 * Our addition to the kernel's output is the last line, `sysrq: Stuck: ...`, the one-line answer
 * the monitor's kill line and recheck quote (harness/formats/console_lines.ts stateDumpStuck()).
 */

import { CPU_CURR_PID, CPU_IDLE, CPU_TOKEN_HOLDER, HDR_BOOTED, HDR_GO, HDR_NR_CPUS, TASK_ST, cpuOnlineIn, cpuWord } from '../shm/layout.js';
import { heldLocksLines, isUninterruptible, kthreadStopLines, lockWaitLines, pvWaitLines, readTasks, runTokenLines, schedShowTaskLine, type TaskView } from './hang_detector.js';
import { SHOW_STATE_HEADER, SHOW_STATE_STUCK } from '../formats/console_lines.js';

export interface StateDump {
  readonly lines: readonly string[];
  /** The stuck tasks or CPUs in one line (what `sysrq: Stuck:` says). */
  readonly stuck: string;
}

/** At most this many findings in the one-line summary; the console has them all. */
const STUCK_SHOWN = 3;
/**
 * An uninterruptible sleep shorter than this is a healthy guest's traffic (a barrier, a grace
 * period), not why it outlived its time. A lock wait is named whatever its age: it is rarer, and
 * a deadlock is one from its first jiffy.
 */
const STUCK_MIN_J = 1000;

/**
 * show_state(): sched_show_task() for every task, with our lock-wait lines, then the held locks.
 * `waits` gets one summary per lock waited for (its first waiter's, with the count of the others).
 */
function showStateFilter(i32: Int32Array, tasks: readonly TaskView[], nowJ: number, waits: string[], blocked: string[]): string[] {
  const lines = [SHOW_STATE_HEADER];
  const perLock = new Map<number, { summary: string; others: number }>();
  for (const t of tasks) {
    lines.push(schedShowTaskLine(t));
    const summaries: string[] = [];
    const w = lockWaitLines(i32, tasks, t, nowJ, summaries);
    // A task in kthread_stop(): whom it waits for, and what that kthread waits for.
    const stopSummary: string[] = [];
    lines.push(...w, ...kthreadStopLines(i32, tasks, t, nowJ, stopSummary));
    const seen = perLock.get(t.waitAddr);
    if (seen !== undefined) seen.others++;
    else if (summaries[0] !== undefined) perLock.set(t.waitAddr, { summary: summaries[0], others: 0 });
    if (w.length === 0 && isUninterruptible(t) && nowJ - t.sleepSince >= STUCK_MIN_J) blocked.push(stopSummary[0] ?? `${t.comm}/${t.pid} blocked for ${Math.floor((nowJ - t.sleepSince) / 1000)}s`);
  }
  for (const { summary, others } of perLock.values()) waits.push(others === 0 ? summary : `${summary} (and ${others} more waiter${others === 1 ? '' : 's'})`);
  lines.push(...heldLocksLines(i32, tasks));
  return lines;
}

/** sysrq-l: what every active CPU runs; idle and offline CPUs are skipped as the kernel does. */
function showCpus(i32: Int32Array, tasks: readonly TaskView[], nowJ: number, release: string, spinning: string[], busy: string[]): string[] {
  const lines = ['sysrq: Show backtrace of all active CPUs'];
  const nr = Atomics.load(i32, HDR_NR_CPUS);
  for (let cpu = 0; cpu < nr; cpu++) {
    if (!cpuOnlineIn(i32, cpu)) continue;
    // A CPU whose run token nobody holds runs nothing, whatever its idle word last said.
    if (Atomics.load(i32, cpuWord(cpu, CPU_IDLE)) === 1 || Atomics.load(i32, cpuWord(cpu, CPU_TOKEN_HOLDER)) === 0) {
      lines.push(`NMI backtrace for cpu ${cpu} skipped: idling at default_idle+0x0/0x20`);
      continue;
    }
    const curr = Atomics.load(i32, cpuWord(cpu, CPU_CURR_PID));
    const running = tasks.find((t) => t.cpu === cpu && t.state === TASK_ST.running) ?? tasks.find((t) => t.pid === curr && curr !== 0);
    const comm = running?.comm ?? `swapper/${cpu}`;
    lines.push(`NMI backtrace for cpu ${cpu}`, `CPU: ${cpu} PID: ${running?.pid ?? 0} Comm: ${comm} Not tainted ${release}`);
    const pv = pvWaitLines(i32, tasks, cpu, nowJ, spinning);
    lines.push(...pv);
    if (pv.length === 0) busy.push(`CPU#${cpu} running ${running === undefined ? comm : `${comm}/${running.pid}`}`);
  }
  return lines;
}

/** The findings most likely to be the cause first: lock waits, CPUs spinning on a lock, other D sleeps, busy CPUs. */
function stuckSummary(...groups: readonly (readonly string[])[]): string {
  const all = groups.flat();
  if (all.length === 0) return 'no task blocked, no CPU busy';
  const shown = all.slice(0, STUCK_SHOWN).join('; ');
  return all.length > STUCK_SHOWN ? `${shown}; and ${all.length - STUCK_SHOWN} more` : shown;
}

/** The dump the guest prints on the monitor's request; `nowJ` is the guest's jiffies. */
export function showState(i32: Int32Array, nowJ: number, release: string): StateDump {
  const tasks = readTasks(i32);
  const waits: string[] = [];
  const blocked: string[] = [];
  const spinning: string[] = [];
  const busy: string[] = [];
  const lines = [...showStateFilter(i32, tasks, nowJ, waits, blocked), ...showCpus(i32, tasks, nowJ, release, spinning, busy), ...runTokenLines(i32)];
  // Busy CPUs explain a kill only when nothing sleeps on a lock (a task spinning without end);
  // a guest killed before SMP boot ended never started its test.
  const booting = Atomics.load(i32, HDR_GO) === 0 ? [`still booting: ${Atomics.load(i32, HDR_BOOTED)} of ${Atomics.load(i32, HDR_NR_CPUS)} CPUs booted`] : [];
  const stuck = stuckSummary(booting, waits, spinning, blocked, booting.length + waits.length + spinning.length + blocked.length === 0 ? busy : []);
  lines.push(`${SHOW_STATE_STUCK}${stuck}`);
  return { lines, stuck };
}
