/*
 * The scheduler's atomic-sleep reports, in kernel/sched/core.c's shapes:
 *
 *   __might_resched() (might_sleep() in a sleeping primitive, CONFIG_DEBUG_ATOMIC_SLEEP):
 *     BUG: sleeping function called from invalid context at kernels/locking/mutex.ts:117
 *     in_atomic(): 1, irqs_disabled(): 1, non_block: 0, pid: 42, name: rcu_sched
 *     preempt_count: 1, expected: 0
 *     RCU nest depth: 0, expected: 0            (CONFIG_PREEMPT_RCU only)
 *     1 lock held by rcu_sched/42:              (debug_show_held_locks, with lockdep)
 *      #0: ... (rcu_node_1){....}-{2:2}, at: ...
 *     CPU: 0 PID: 42 Comm: rcu_sched Not tainted ...
 *     Call Trace:
 *
 *   __schedule_bug() (the task really switches with a non-zero preempt count):
 *     BUG: scheduling while atomic: rcu_sched/42/0x00000002
 *     <held locks>
 *     Modules linked in:
 *     CPU: ... / Call Trace:
 *
 * The preempt count printed by __schedule_bug() includes the one schedule() itself adds, as the
 * kernel's does (one spinlock held reads 0x00000002). `Preemption disabled at:` and the irq event
 * lines are left out: the model does not record where preemption or irqs were disabled.
 * Pure functions of their inputs; cpu_main.ts prints and counts them.
 */

/** PREEMPT_OFFSET / SOFTIRQ_OFFSET / HARDIRQ_OFFSET as the kernel packs preempt_count(). */
const SOFTIRQ_OFFSET = 0x100;
/** SOFTIRQ_DISABLE_OFFSET: local_bh_disable() (rcu_read_lock_bh(), spin_lock_bh()). */
const SOFTIRQ_DISABLE_OFFSET = 0x200;
const HARDIRQ_OFFSET = 0x10000;

export interface AtomicContext {
  readonly preemptCount: number;
  readonly softirq: boolean;
  /** Bottom halves disabled (local_bh_disable()). */
  readonly bhDisabled: boolean;
  readonly hardirq: boolean;
  readonly irqsDisabled: boolean;
  readonly rcuDepth: number;
}

/** preempt_count() of a context. */
export function preempt_count(c: AtomicContext): number {
  return (c.preemptCount & 0xff) | (c.softirq ? SOFTIRQ_OFFSET : 0) | (c.bhDisabled ? SOFTIRQ_DISABLE_OFFSET : 0) | (c.hardirq ? HARDIRQ_OFFSET : 0);
}

export interface SchedBugTask {
  readonly pid: number;
  readonly comm: string;
}

/** __might_resched()'s lines: `file:line` is the might_sleep() site. */
export function might_resched_report(
  site: string,
  c: AtomicContext,
  t: SchedBugTask,
  preemptRcu: boolean,
  heldLocks: readonly string[],
  dumpStack: readonly string[],
): string[] {
  const pc = preempt_count(c);
  const lines = [
    `BUG: sleeping function called from invalid context at ${site}`,
    `in_atomic(): ${pc !== 0 ? 1 : 0}, irqs_disabled(): ${c.irqsDisabled ? 1 : 0}, non_block: 0, pid: ${t.pid}, name: ${t.comm}`,
    `preempt_count: ${pc.toString(16)}, expected: 0`,
  ];
  if (preemptRcu) lines.push(`RCU nest depth: ${c.rcuDepth}, expected: 0`);
  lines.push(...heldLocks, ...dumpStack);
  return lines;
}

/** __schedule_bug()'s lines. */
export function schedule_bug_report(c: AtomicContext, t: SchedBugTask, heldLocks: readonly string[], dumpStack: readonly string[]): string[] {
  // schedule() runs __schedule() with one more preempt_disable() of its own.
  const pc = preempt_count(c) + 1;
  return [`BUG: scheduling while atomic: ${t.comm}/${t.pid}/0x${pc.toString(16).padStart(8, '0')}`, ...heldLocks, 'Modules linked in:', ...dumpStack];
}

/** Whether might_sleep() here is a bug (__might_resched()'s test, without the RCU part). */
export function might_sleep_is_bug(c: AtomicContext): boolean {
  return preempt_count(c) !== 0 || c.irqsDisabled;
}
