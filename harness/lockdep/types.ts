/*
 * Types of the lockdep validator's public surface: what a runtime hands the validator (LockdepEnv,
 * LockdepTask, LockdepIrqState) and what it gets back (Lockdep). No logic lives here.
 *
 * The validator is shared by every thread that calls lockdepInit() on the same SharedArrayBuffer
 * region; each thread has its own Lockdep object (held-lock stacks live on the task objects that
 * env.current() returns, never in shared memory).
 */

import type { LockdepHooks, LockdepMap } from '../kapi.js';
import type { LockdepGraphView } from './graph_view.js';
import type { LockdepLimits } from './layout.js';

/** The running task as the validator sees it. `lockdep` is reserved for the held-lock stack. */
export interface LockdepTask {
  readonly pid: number;
  readonly comm: string;
  readonly cpu: number;
  lockdep?: unknown;
}

/** The CPU context at the moment of a lock operation (the kernel's preempt_count and irq flags). */
export interface LockdepIrqState {
  hardirq: boolean;
  softirq: boolean;
  irqsDisabled: boolean;
  bhDisabled: boolean;
  /**
   * lockdep_hardirq_threaded(): this hardirq handler would run in a thread under PREEMPT_RT, so it
   * may take a spinlock_t (the wait-context check). Guests have no threaded handlers; the
   * self-test's HARDIRQ_ENTER() sets it, as the kernel's does.
   */
  hardirqThreaded?: boolean;
}

export const LOCKDEP_BUG_KINDS = [
  'circular',
  'recursive',
  'unlock_imbalance',
  'inconsistent',
  'irq_inversion',
  'bad_irq_dependency',
  'locks_held_at_exit',
  'nest_lock_not_taken',
  'invalid_wait_context',
  'assert_held',
  'suspicious_rcu',
  'held_lock_freed',
  'capacity',
] as const;
export type LockdepBugKind = (typeof LOCKDEP_BUG_KINDS)[number];

export interface LockdepEnv {
  /** The running task; in irq context the runtime passes a per-CPU pseudo task. */
  current(): LockdepTask;
  /**
   * The context flags. Called once per acquire: return one reused object (not a fresh literal)
   * so the chain-cache hit path allocates nothing.
   */
  irqState(): LockdepIrqState;
  /**
   * The same state as one integer of usage.ts's IRQ_* bits, for lock_acquire()'s fast path (no
   * object to refresh and read back). Optional: without it the validator derives it from irqState().
   */
  irqBits?(): number;
  /** Console lines; the runtime adds timestamps. */
  print(lines: readonly string[]): void;
  /** Override of the stack capture (frames `fn (file:line)`, innermost first); default stack.ts. */
  captureStack?(): string[];
  /**
   * Offline checkers whose call chains are already in memory (a recorded trace): a cheap token
   * naming the current call chain, used instead of capturing and storing a stack. With it, every
   * held lock's `at:` names its own acquisition and irq on/off events are stamped per task (the
   * kernel's irqtrace_events); stackOf() turns a token back into frames when a report prints.
   */
  stackToken?(): number;
  stackOf?(token: number): readonly string[];
  /** A report was printed: the guest marks itself failed. `finding` says what it is about. */
  onReport(kind: LockdepBugKind, title: string, finding?: LockdepFinding): void;
  /** `<release> <build>` printed in banners and `CPU:` lines, e.g. "0.1.0-torture #1". */
  kernelRelease?: string;
}

/** What a report is about, for machine-readable output. */
export interface LockdepFinding {
  /** Printed names of the lock classes involved, the one being acquired (or changed) first. */
  readonly classes: readonly string[];
  /** The reporting task. */
  readonly task: { readonly pid: number; readonly comm: string };
  /**
   * Stack tokens (LockdepEnv.stackToken) of the events involved: the current one first, then the
   * held locks' acquisitions and the recordings of the dependencies and usages the report prints.
   */
  readonly tokens: readonly number[];
}

export interface LockdepInitOptions {
  /** Report each distinct problem once instead of switching lockdep off at the first report. */
  continueAfterReport?: boolean;
  /** Zero and re-initialise the region (one thread, before the others attach). */
  resetRegion?: boolean;
  /**
   * check_wait_context() at every acquisition (`BUG: Invalid wait context`, wait_context.ts). On
   * in guests with PROVE_LOCKING and in the self-test; off in the trace checker and the user API,
   * whose lock types do not say which spinlocks are raw nor which contexts are threaded.
   */
  waitContext?: boolean;
  /**
   * CONFIG_PROVE_RAW_LOCK_NESTING: spinlock_t (LD_WAIT_CONFIG) is a wait type of its own and may
   * not be taken inside a raw_spinlock_t (harness/lockdep/wait_context.ts). Off: CONFIG is SPIN.
   */
  rawLockNesting?: boolean;
  /** Capacities for a fresh region (ignored when attaching to an initialised one). */
  limits?: Partial<LockdepLimits>;
}

/** The capacities of a validator (layout.ts sizes the shared region from them). */
export type { LockdepLimits };

export interface Lockdep extends LockdepHooks {
  /** lock_sync() (validator.ts). */
  sync(map: LockdepMap): void;
  /** `WARNING: <comm>/<pid> still has locks held!` if the task holds locks. */
  taskExit(task: LockdepTask): void;
  /** /proc/lockdep_stats text. */
  procStats(): string;
  /** The dependency graph as plain data (graph_view.ts); `stacks: false` skips the edge stacks. */
  readGraph(stacks?: boolean): LockdepGraphView;
  /** Dependencies recorded so far (the `direct dependencies` of procStats, without its walk). */
  readonly dependencies: number;
  /** Reports printed by this thread. */
  readonly reports: number;
  /** Chain validations (cache misses) done by this thread; a cache hit does not count. */
  readonly validations: number;
  /** trace_hardirqs_on(): irqs are being enabled with the current task's locks held. */
  hardirqsOn(): void;
  /** trace_softirqs_on(): bottom halves are being enabled with the current task's locks held. */
  softirqsOn(): void;
  /** trace_hardirqs_off(): irqs are being disabled (stamps the task's irq events). */
  hardirqsOff(): void;
  /** trace_softirqs_off(): bottom halves are being disabled (stamps the task's irq events). */
  softirqsOff(): void;
  /** debug_show_held_locks(current): the held-lock lines of the current task ([] when lockdep is off). */
  showHeldLocks(): string[];
}
