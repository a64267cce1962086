/*
 * kapi: the one narrow interface through which kernels/ reach the harness.
 *
 * Code under kernels/ imports nothing from harness/ except this file. A CPU worker installs the
 * real implementation (harness/cpu/kapi_impl.ts) once at start-up with installKapi(); lockdep on
 * or off is chosen at that moment by which `lockdep` object is installed, so annotation call
 * sites never test a flag (the analogue of CONFIG_PROVE_LOCKING compiling to nothing).
 *
 * Execution model (harness/cpu/README.md, "Executors and run tokens"): worker threads are
 * executors, each running a non-preemptive scheduler of its tasks on whichever CPU it holds the run
 * token of; a task stays with its executor and moves between CPUs (smpProcessorId() is the held
 * CPU, stable between two awaits). A task is an async function; every `await` on a kapi promise
 * is a context switch.
 * Kernel code must await kapi promises directly (never `.then`) so that V8's async stack traces
 * keep the kernel call chain (cpu_down -> _cpu_down -> ... -> slub_cpu_dead) for lockdep reports.
 *
 * What this file does not do: it holds no policy. Everything behind it is in harness/cpu/.
 */

import { COVERAGE_COUNTERS, COVERAGE_PARTS } from './formats/coverage_points.js';

/** Shared words of one guest: every kernel structure in shared memory is a view of this. */
export interface ShmRegion {
  /** Int32 view over the whole guest SharedArrayBuffer. */
  readonly i32: Int32Array;
  /** First Int32 index of this region inside `i32`. */
  readonly base: number;
  /** Number of Int32 words in this region. */
  readonly words: number;
}

/** A task (kthread) as reports print it: `comm/pid`. */
export interface TaskRef {
  readonly pid: number;
  /** At most 15 characters (TASK_COMM_LEN - 1), truncated as the kernel truncates. */
  readonly comm: string;
  /** task_cpu(): the CPU the task runs on or last ran on (tasks migrate: harness/cpu/README.md). */
  readonly cpu: number;
}

/**
 * A wait-queue head in shared memory: one Int32 word holding the mask of executors 0-31 (worker
 * threads; executor k is CPU k's home) that have at least one task sleeping on it: sleepers never
 * change executor, so wake-ups ring executors (harness/cpu/README.md). The mask of further
 * executors and the wake-up count live in shadow planes the harness keeps (harness/shm/layout.ts),
 * so the head needs no second word.
 */
export interface WaitQueueHead {
  readonly i32: Int32Array;
  readonly index: number;
}

/** A task as Tasks RCU's scan of all tasks sees it (for_each_process_thread(), from any CPU). */
export interface TaskSchedSnapshot extends TaskRef {
  /** Where the task lives in the task table: taskAt(slot) looks at it again. */
  readonly slot: number;
  /** t->on_rq: running, runnable, preempted or parked, not blocked at a sleep of its own. */
  readonly onRq: boolean;
  /** task_curr(): running on a CPU now. */
  readonly running: boolean;
  /** t->nvcsw: its switches that were not preemptions (a sleep, schedule(), cond_resched()). */
  readonly nvcsw: number;
  /** t->nivcsw: its preemptions. */
  readonly nivcsw: number;
}

/** HZ: jiffies per second of the guest's clock (kapi.jiffies()). */
export const HZ = 1000;

/** The project's one string hash, for kernel code that names things by hashing (rcu_callback). */
export { fnv1a } from './lib/fnv1a.js';

/** The coverage points' counter indexes (the one table: harness/formats/coverage_points.ts). */
export { COV, COVERAGE_COUNTERS } from './formats/coverage_points.js';

/**
 * lockdep's wait types (enum lockdep_wait_type), printed `{outer:inner}` in reports, numbered as
 * with CONFIG_PROVE_RAW_LOCK_NESTING=y, where CONFIG (spinlock_t: preemptible under PREEMPT_RT)
 * is a type of its own between SPIN (raw_spinlock_t) and SLEEP. Without it the kernel's CONFIG
 * is SPIN and SLEEP is 3: lockdep folds the values so (harness/lockdep/wait_context.ts), for its
 * wait-context check and for what reports print.
 */
export const LD_WAIT = { INV: 0, FREE: 1, SPIN: 2, CONFIG: 3, SLEEP: 4 } as const;
export type WaitType = (typeof LD_WAIT)[keyof typeof LD_WAIT];

/** Static lock-class key: one per declared lock (DEFINE_MUTEX, lockdep_set_class), never per instance. */
export interface LockClassKey {
  readonly name: string;
  /**
   * Which declaration of `name` this is on this thread, 0 for the first. Every CPU loads the same
   * modules in the same order, so (name, ordinal) identifies one static key guest-wide; a second
   * declaration with the same name is a different class, printed `name#2` as lockdep does.
   */
  readonly ordinal: number;
  /** Wait type printed as {outer:inner} (LD_WAIT). */
  readonly waitType: WaitType;
  /** Lock type used for the trace checker and reports. */
  readonly type: LockType;
}

/** What lockdep and the trace checker know of a lock type. */
export interface LockTypeProps {
  /** The wait type of the type's locks (lockdep_init_map_type()'s inner wait type). */
  readonly waitType: WaitType;
  /**
   * The outer wait type, the context the lock may be taken in; INV (0) means the inner one, as
   * the kernel's `wait_type_outer ?: wait_type_inner`. Only rcu_read_lock()'s map differs.
   */
  readonly waitOuter: WaitType;
  /** Whether the type has readers (read_lock(), down_read(), percpu_down_read()). */
  readonly readable: boolean;
  /** Whether a read acquisition is recursive in interrupt context (read_lock_is_recursive()). */
  readonly recursiveReadInIrq: boolean;
}

/**
 * The lock types, with their properties: ONE table, read by the lock implementations
 * (kernels/locking/), lockdep's user API and the trace checker (harness/lockdep/). Key order is
 * LOCK_TYPES' order. percpu_rwsem's wait type is INV as the kernel's (its rcu_sync part is not
 * checked); rcu is rcu_read_lock()'s map, always taken as a recursive read, outer FREE (any
 * context may enter a reader) and inner CONFIG (nothing that sleeps inside it), as rcu_lock_map.
 * A raw_spinlock_t is a `spinlock` whose class has wait type SPIN (DEFINE_RAW_SPINLOCK).
 */
export const LOCK_TYPE_PROPS = {
  spinlock: { waitType: LD_WAIT.CONFIG, waitOuter: LD_WAIT.INV, readable: false, recursiveReadInIrq: false },
  rwlock: { waitType: LD_WAIT.CONFIG, waitOuter: LD_WAIT.INV, readable: true, recursiveReadInIrq: true },
  mutex: { waitType: LD_WAIT.SLEEP, waitOuter: LD_WAIT.INV, readable: false, recursiveReadInIrq: false },
  rwsem: { waitType: LD_WAIT.SLEEP, waitOuter: LD_WAIT.INV, readable: true, recursiveReadInIrq: false },
  percpu_rwsem: { waitType: LD_WAIT.INV, waitOuter: LD_WAIT.INV, readable: true, recursiveReadInIrq: false },
  rcu: { waitType: LD_WAIT.CONFIG, waitOuter: LD_WAIT.FREE, readable: true, recursiveReadInIrq: true },
  user: { waitType: LD_WAIT.SLEEP, waitOuter: LD_WAIT.INV, readable: false, recursiveReadInIrq: false },
} as const satisfies Record<string, LockTypeProps>;
export type LockType = keyof typeof LOCK_TYPE_PROPS;
export const LOCK_TYPES = Object.keys(LOCK_TYPE_PROPS) as readonly LockType[];

/** lockdep_map: identifies one lock instance and points at its class. */
export interface LockdepMap {
  readonly key: LockClassKey;
  /** Byte offset of the lock word in guest shared memory (printed as the lock's address). */
  readonly addr: number;
  /** Name printed in reports; usually key.name. */
  readonly name: string;
}

/** read argument of lock_acquire: 0 exclusive, 1 non-recursive read, 2 recursive read. */
export type LockRead = 0 | 1 | 2;

/** The lockdep annotations. With CONFIG_PROVE_LOCKING=n the installed object only counts depth. */
export interface LockdepHooks {
  /** lock_acquire(): called before the lock is taken (so a deadlock is reported before it bites). */
  acquire(map: LockdepMap, subclass: number, trylock: boolean, read: LockRead, nestLock: LockdepMap | null): void;
  /**
   * lock_sync(): an empty write-side section of `map` (synchronize_srcu()'s srcu_lock_sync()):
   * validated as an exclusive acquisition (recursion and dependencies), marks no irq-enabled
   * usage and is never held. Absent where lockdep is not validating.
   */
  sync?(map: LockdepMap): void;
  /** lock_release(). */
  release(map: LockdepMap): void;
  /** lock_contended(): the task is about to wait for `map` (the hang detector reads this). */
  contended(map: LockdepMap): void;
  /** lock_acquired(): the wait for `map` is over and the task owns it. */
  acquired(map: LockdepMap): void;
  /** lockdep_assert_held(). */
  assertHeld(map: LockdepMap): void;
  /** lockdep_is_held(): does the current context hold `map`? True when lockdep is not validating. */
  isHeld(map: LockdepMap): boolean;
  /**
   * debug_check_no_locks_freed(): [from, from + len) (guest bytes) is being freed; a lock the
   * current task holds in it is `WARNING: held lock freed!` (harness/lockdep/freed_locks.ts).
   */
  checkNoLocksFreed(from: number, len: number): void;
  /** lockdep_rcu_suspicious(): PROVE_RCU found something wrong; prints `suspicious RCU usage`. */
  rcuSuspicious(file: string, line: number, msg: string): void;
  /** Whether lockdep is validating (debug_locks and PROVE_LOCKING). */
  readonly enabled: boolean;
  /**
   * debug_locks_off(): switch lockdep off; true for the one caller that did (DEBUG_LOCKS_WARN_ON()
   * warns only then). Absent without lockdep, where debug_locks is already 0.
   */
  debugLocksOff?(): boolean;
}

/** A timer_list whose callback runs in softirq context on the CPU that armed it. */
export interface TimerList {
  /** Expiry in jiffies; 0 when not pending. */
  readonly expires: number;
  readonly pending: boolean;
}

/** Boot parameters (`rcutorture.nreaders=7` ...) and Kconfig values of the scenario. */
export interface KernelConfig {
  /** `CONFIG_X` -> value ('y', 'n', '8', ...), after CFcommon + scenario + --kconfig. */
  readonly kconfig: ReadonlyMap<string, string>;
  /** `module.param` -> value, after .boot + --bootargs + suite defaults. */
  readonly bootParams: ReadonlyMap<string, string>;
  readonly nrCpus: number;
  /** True for CONFIG_PREEMPT=y: preemptPoint() may switch tasks (also inside RCU readers). */
  readonly preempt: boolean;
}

/** The softirqs the model raises, and each one's bit in a CPU's pending mask (local_softirq_pending()). */
export const SOFTIRQ_BIT = { TIMER_SOFTIRQ: 1 << 0, RCU_SOFTIRQ: 1 << 1 } as const;
export type SoftirqNr = keyof typeof SOFTIRQ_BIT;

export interface SchedHooks {
  contextSwitch?(prev: TaskRef, rcuDepth: number, preempted: boolean): void;
  idleEnter?(): void;
  idleExit?(): void;
  tick?(): void;
  /**
   * rcu_sleep_check() (PROVE_RCU), in task context: might_sleep() calls it before its
   * atomic-context check (__might_resched()), a voluntary schedule() after its own
   * (schedule_debug()).
   */
  sleepCheck?(): void;
}

/** The scheduling policies of the model (uapi's SCHED_NORMAL, SCHED_FIFO). */
export type SchedPolicy = 'SCHED_NORMAL' | 'SCHED_FIFO';

/**
 * Task priorities (kernel/sched/core.c; harness/cpu/README.md, "Priorities"), of any task by
 * pid, any CPU: prios are the kernel's numbers (0..99 real-time, 100..139 SCHED_NORMAL, 120 +
 * nice), all in shared memory.
 */
export interface SchedPrio {
  /** __sched_setscheduler(): the policy of task `pid` (rt_priority 1..99 for FIFO, nice for NORMAL). */
  setscheduler(pid: number, policy: SchedPolicy, rtPriority: number, nice: number): void;
  /** p->prio: the effective prio, the better of normal_prio and the inherited one. */
  prio(pid: number): number;
  /** p->normal_prio: the prio of its policy alone. */
  normalPrio(pid: number): number;
  /** rt_mutex_setprio()'s store: the prio `pid` inherits through rt_mutexes (MAX_PRIO 140: none). */
  setPiPrio(pid: number, prio: number): void;
}

/** One CPU's kernel services. `kapi` below is the installed instance on this thread. */
export interface Kapi {
  readonly config: KernelConfig;
  readonly nrCpuIds: number;

  /* --- identity and time --- */
  /** The CPU this code runs on now: it changes when the running task migrates (at task switches only). */
  smpProcessorId(): number;
  /** The running task; throws outside task context (e.g. in a timer callback use inTask()). */
  current(): TaskRef;
  /** True while a task (not a timer/softirq/hardirq callback) is running on this CPU. */
  inTask(): boolean;
  /** Jiffies since boot (HZ per second). Shared clock: equal on every CPU at the same instant. */
  jiffies(): number;
  /** Nanoseconds since boot (local_clock()). */
  localClockNs(): number;

  /* --- shared memory --- */
  /**
   * Allocate (or find) `words` Int32 words named `name`, 64-byte aligned, zeroed on first
   * allocation. The same name yields the same region on every CPU of the guest (the analogue of a
   * static kernel variable). `init` runs exactly once per guest, on the CPU that created it.
   */
  shmAlloc(name: string, words: number, init?: (r: ShmRegion) => void): ShmRegion;
  /** The guest's whole shared memory as Int32 (for kernels that index regions directly). */
  readonly shm: Int32Array;

  /* --- tasks and scheduling (task context only unless said otherwise) --- */
  /**
   * kthread_run() on this CPU: start `fn` as a new task. Returns the task. The task ends when `fn`
   * returns; a kthread that loops checks mustStop() (torture_must_stop()) itself, as the kernel's
   * kthread_should_stop() is checked by the thread. Allowed from task context or from boot().
   */
  kthreadRun(fn: () => Promise<void>, comm: string): TaskRef;
  /**
   * kthread_bind(): `t` (just created by kthreadRun() on this thread) runs only on `cpu`; while
   * `cpu` is offline it is parked (smpboot's kthread_park()). Unbound tasks run on any online CPU.
   */
  kthreadBind(t: TaskRef, cpu: number): void;
  /**
   * torture_sched_setaffinity() (set_cpus_allowed_ptr()): `t` (created on this thread) runs only
   * on the CPUs of `cpus` (when none of them is online, on any online CPU: select_fallback_rq()).
   */
  setCpusAllowed(t: TaskRef, cpus: readonly number[]): void;
  /**
   * kthread_stop(pid): wake the kthread and wait for it to exit, uninterruptibly and without a
   * limit (wait_for_completion(&kthread->exited)): a kthread that never exits is a hung task of
   * the caller, reported by khungtaskd. The stop request is the caller's (kthreads check
   * mustStop()/torture_must_stop()). Task context.
   */
  kthreadStop(pid: number): Promise<void>;
  /** torture_shuffle_task_register(): `t` (created on this thread) follows setShuffleIdleCpu(). */
  tortureShuffleTaskRegister(t: TaskRef): void;
  /**
   * torture_shuffle_tasks()' set_cpus_allowed_ptr() of every registered task: all online CPUs
   * but `cpu` (-1: all). Running tasks move off it at their next switch. With `random`
   * (torture.random_shuffle), each task takes the new mask only with probability 1/2.
   */
  setShuffleIdleCpu(cpu: number, random?: boolean): void;
  /** schedule()/cond_resched(): let other runnable tasks of this executor run; a quiescent state. */
  schedule(): Promise<void>;
  /** schedule_timeout_uninterruptible(j): sleep at least `j` jiffies (a hung-task candidate, as in the kernel). */
  scheduleTimeout(j: number): Promise<void>;
  /**
   * wait_event(wq, cond) / wait_event_timeout(): sleep (TASK_UNINTERRUPTIBLE) until cond() is
   * true. The task wakes only when wakeUp(wq) is called (or the timeout expires) and then
   * re-checks cond(), which must only read shared memory. Returns false if it timed out with
   * cond() still false. A sleep longer than hung_task_timeout_secs is reported as a hung task.
   */
  waitEvent(wq: WaitQueueHead, cond: () => boolean, timeoutJ?: number): Promise<boolean>;
  /** wait_event_interruptible() / wait_event_idle(): as waitEvent, but not watched by khungtaskd. */
  waitEventInterruptible(wq: WaitQueueHead, cond: () => boolean, timeoutJ?: number): Promise<boolean>;
  /** wake_up_all(wq): wake every task sleeping on wq, on any CPU. Any context. */
  wakeUp(wq: WaitQueueHead): void;
  /** wake_up_process(): wake task `pid` (any CPU) out of whatever it sleeps on; it re-checks its condition. */
  wakeUpProcess(pid: number): void;
  /**
   * While `on`, this CPU takes every wakeUp(wq) as an IPI even with no sleeper on wq (the bit of
   * its home executor in wq's mask stays set): RCU's "CPUs with callbacks" wake-up at the end of a GP.
   */
  waitQueueIpi(wq: WaitQueueHead, on: boolean): void;
  /** An IPI to `cpu` (smp_send_reschedule()): it leaves idle and takes its pending interrupts. */
  sendIpi(cpu: number): void;
  /**
   * A preemption point: with CONFIG_PREEMPT=y it may switch to another task (returns a promise),
   * with PREEMPT_NONE it returns null and costs a load. Use: `const p = kapi.preemptPoint(); if (p) await p;`
   */
  preemptPoint(): Promise<void> | null;
  /**
   * cond_resched() (PREEMPT_NONE's voluntary preemption point): when the tick has set
   * need_resched (another task of this executor is runnable, or another executor waits for this
   * CPU's run token) and the caller is preemptible, switch tasks (returns a promise; a quiescent
   * state for RCU, as any switch); else null, for the cost of a load. Use as preemptPoint().
   */
  condResched(): Promise<void> | null;
  /**
   * might_sleep(): called at the top of a sleeping primitive (mutex_lock, down_read, ...). In
   * atomic context (preemption or irqs disabled, e.g. under a raw spinlock) it reports `BUG:
   * sleeping function called from invalid context at <caller's file:line>` and fails the guest,
   * whether or not the primitive then sleeps.
   */
  mightSleep(): void;
  /** Await an arbitrary promise (e.g. a user lock's) as a sleeping wait: the executor runs other tasks meanwhile. */
  sleepOn<T>(p: Promise<T>): Promise<T>;

  /* --- spinning waits (the CPU stays busy with this task) --- */
  /**
   * Paravirt spin wait: block this worker thread until i32[index] !== value or `sliceMs` passes.
   * Never yields to other tasks. Used by spinlocks after a short spin.
   */
  spinWait(i32: Int32Array, index: number, value: number, sliceMs: number): void;
  /** Kick CPUs blocked in spinWait on i32[index] (the paravirt unlock kick). */
  spinKick(i32: Int32Array, index: number): void;
  /**
   * pv_wait(): if i32[index] still reads `value`, halt this CPU (the executor holding it blocks) until
   * some CPU calls pvKick() for it. Only a kick ends the halt (or a kick that came before the
   * halt began): a lost kick is a CPU halted for good, which the soft-lockup watchdog reports.
   * Returns early, as the kernel's may, when the word changed before halting. `seen` is this
   * CPU's pvKickSeq() read before the waiter published itself to its kickers: any kick after that
   * publication ends the wait, even when the word has meanwhile gone back to `value` (ABA).
   */
  pvWait(i32: Int32Array, index: number, value: number, seen: number): void;
  /** This CPU's pv kick count, read before a waiter makes itself known to its kickers. */
  pvKickSeq(): number;
  /** pv_kick(cpu): end `cpu`'s pv_wait() (or its next one, if it is about to halt). */
  pvKick(cpu: number): void;

  /**
   * udelay()/mdelay(): busy-wait inside the task (the CPU runs nothing else meanwhile). Pending
   * interrupts are taken while it spins, unless irqs are off. With CONFIG_PREEMPT=y, where the
   * task is preemptible (preempt count 0, irqs on), the tick may preempt it: then a promise is
   * returned and the rest of the delay runs when the task is back; await it. Null otherwise.
   */
  udelay(us: number): Promise<void> | null;
  mdelay(ms: number): Promise<void> | null;

  /* --- context (of the running executor, on the CPU it holds: the kernel's preempt_count and irq flags) --- */
  localIrqDisable(): void;
  localIrqEnable(): void;
  localBhDisable(): void;
  localBhEnable(): void;
  irqsDisabled(): boolean;
  inHardirq(): boolean;
  inSoftirq(): boolean;
  /** in_interrupt(): hardirq, softirq, or bottom halves disabled. */
  inInterrupt(): boolean;
  preemptDisable(): void;
  preemptEnable(): void;
  /** preemptible(): preempt count (preemption, softirq, hardirq, bottom halves) zero and irqs on. */
  preemptible(): boolean;

  /* --- timers (callbacks run in softirq context on this CPU) --- */
  timerSetup(fn: () => void): TimerList;
  modTimer(t: TimerList, expiresJiffies: number): void;
  delTimer(t: TimerList): boolean;

  /* --- output and failure --- */
  /** printk(): one console line (KERN_ALERT level implied); the timestamp is added here. */
  printk(line: string): void;
  /** WARN_ON_ONCE-style splat: `WARNING: CPU: n PID: p at where` + a Call Trace of the current stack. */
  warn(where: string, msg?: string): void;
  /**
   * stack_trace_save(): the current kernel call chain, innermost first, as `fn (file.ts:line)`
   * (harness and Node frames left out). Costs ~20 us: for debug records, not hot paths.
   */
  stackTraceSave(): string[];
  /** Mark the guest failed with a reason (counted by recheck), e.g. a torture check failed. */
  noteFailure(reason: string): void;
  /**
   * cpu_curr(cpu): the task running on `cpu` now, null when it is idle (from the CPU's shared
   * mirror; a diagnostic read for reports such as dump_cpu_task(), possibly stale by one switch).
   */
  cpuCurr(cpu: number): TaskRef | null;
  /** for_each_process_thread(): every live task of the guest (Tasks RCU's holdout scan). Any context. */
  forEachTask(): TaskSchedSnapshot[];
  /** The task in `slot` now (TaskSchedSnapshot.slot), null once it exited. Any context. */
  taskAt(slot: number): TaskSchedSnapshot | null;

  /* --- lockdep --- */
  readonly lockdep: LockdepHooks;
  /** Declare a static lock class (by key name; the same name on every CPU is the same class). */
  lockClass(name: string, type: LockType, waitType: WaitType): LockClassKey;

  /* --- scheduler hooks for RCU (registered once per CPU at boot) --- */
  /**
   * rcu_note_context_switch() and friends. contextSwitch runs on every switch away from a task
   * (`preempted` true when it was an involuntary preemptPoint() switch); idleEnter/idleExit bracket
   * idle periods (dynticks); tick runs in hardirq context about once per jiffy while the CPU is
   * online and awake (scheduler_tick -> rcu_sched_clock_irq).
   */
  registerSchedHooks(h: SchedHooks): void;
  /** open_softirq(): `handler` runs in softirq context on this CPU after raiseSoftirq(nr). */
  openSoftirq(nr: SoftirqNr, handler: () => void): void;
  /** raise_softirq(): run the handler at this CPU's next interrupt-enabled scheduling point. */
  raiseSoftirq(nr: SoftirqNr): void;

  /* --- RCU read-side bookkeeping the scheduler needs (safe points, QS, illegal switches) --- */
  /** Current task's RCU read-side nesting (rcu_read_lock depth). */
  rcuReadDepth(): number;
  rcuReadDepthAdd(delta: number): void;
  /**
   * rcu_read_lock()'s bookkeeping (__rcu_read_lock() and rcu_lock_acquire()) in one call: at the
   * outermost level `map` is acquired (lock_acquire() as a recursive read), then the current
   * task's nesting goes up by one. One current-task look-up serves the nesting, the runtime's
   * held-lock mirror and the validator; the interrupt points are those of the two calls it replaces
   * (after the acquire, after the nesting).
   */
  rcuReadLockAcquire(map: LockdepMap): void;
  /**
   * rcu_read_unlock()'s: at the outermost level `map` is released, then the nesting goes down by
   * one (the same interrupt points). Returns the nesting left.
   */
  rcuReadUnlockRelease(map: LockdepMap): number;
  /**
   * cpu_online(smp_processor_id()) for RCU-lockdep's rcu_lockdep_current_cpu_online(): the
   * running CPU's own online bit, read with a plain load (harness/shm/layout.ts thisCpuOnlineIn()).
   */
  thisCpuOnline(): boolean;

  /* --- CPU hotplug plumbing (used by kernels/cpu/hotplug.ts only) --- */
  cpuOnline(cpu: number): boolean;
  /** num_online_cpus(). */
  numOnlineCpus(): number;
  /**
   * Take `cpu` down: its home executor takes its token at its next task switch and runs
   * `apTeardown` there (irqs off); the CPU's tasks move to online CPUs, bound ones park. Resolves
   * when the CPU is dead. Task context on the control CPU (which may be `cpu` itself).
   */
  parkCpu(cpu: number): Promise<void>;
  /** Unpark `cpu`; it runs `apStartup` callbacks in its own context and resumes its tasks. */
  unparkCpu(cpu: number): Promise<void>;
  /** Register per-CPU code that the AP runs on itself when it parks/unparks (CPUHP_AP_* states). */
  registerApCallbacks(name: string, teardown: (() => void) | null, startup: (() => void) | null): void;

  /* --- shutdown --- */
  /** kernel_power_off(): the guest ends cleanly after consoles are flushed. */
  powerOff(): void;
  /** torture_must_stop(): true once shutdown started. */
  mustStop(): boolean;
  /** Task priorities (SchedPrio). */
  readonly sched: SchedPrio;

  /* --- coverage --- */
  /** This executor's coverage counters (only this thread writes them): what cov() bumps. */
  readonly coverage: Uint32Array;
}

/** The installed kapi of this thread. Kernels read it at call time (live ES binding). */
export let kapi: Kapi = undefined as unknown as Kapi;

/** Install the implementation; called once per CPU worker before any kernel module runs. */
export function installKapi(impl: Kapi): void {
  kapi = impl;
  covCounts = impl.coverage;
}

/* Until a kapi is installed (unit tests of kernel code), points count into a private array. */
let covCounts: Uint32Array = new Uint32Array(COVERAGE_COUNTERS);

/**
 * A coverage point: `cov(COV.mutex_slowpath)` on the path it names. A plain `++` of this
 * executor's counter (a per-executor block of the guest's shared memory that no other thread
 * writes): no Atomics, no allocation; the guest's main thread reads the blocks after the workers
 * have ended (harness/guest/coverage_dump.ts).
 */
export function cov(id: number): void {
  covCounts[id]!++;
}

/**
 * A point with parts (a row with `parts`: per rcu_node, per cpuhp state): its total and the
 * counter of part `part`, clamped to the last (`covPart(COV.rcu_blkd_queued, rnp.grpnum)`).
 */
export function covPart(id: number, part: number): void {
  covCounts[id]!++;
  // Clamped at both ends (a -1 from indexOf() counts in part 0), and nothing for a row without
  // parts: never another point's counter.
  const n = COVERAGE_PARTS[id]!;
  if (n > 0) covCounts[id + 1 + Math.max(0, Math.min(part, n - 1))]!++;
}
