/*
 * The coverage points: ONE table of every named rare path of the kernel (kernels/**) and of the
 * machine (harness/cpu/**) that a run may or may not reach. A point is a per-executor counter
 * increment (`cov(COV.x)` from harness/kapi.ts: a plain typed-array `++`, no Atomics, no
 * allocation), always on. This file says what each point is, which subsystem it belongs to and in
 * which scenarios it is *expected* (the code it counts is the code the scenario tortures); the
 * counters live in the guest's shared memory (harness/shm/layout.ts, COV_BASE) and are printed at
 * the end of every guest as the coverage block (coverage_block.ts).
 *
 * Points with parts: a row with `parts` owns 1 + parts.length counters: the total, then one per
 * part (`name.PART`). `covPart(COV.x, k)` bumps the total and part k's counter (k clamped to the
 * last part). The rcu_node points have one part per leaf rcu_node (`leaf0` .. `leaf15`, leaves in
 * CPU order, the last also counting every leaf above it; readers queue on leaves only), never
 * judged: they say where the events happened. The cpuhp
 * points have one part per cpuhp state (CPUHP_STATES of kernels/cpu/hotplug.ts, lower case,
 * without `CPUHP_`; an agreement test keeps the two lists equal), judged by `expectPart`: each
 * state with a callback, in each direction it has one.
 *
 * Names must never contain a phrase the kernel's scripts take for badness (console-badness.sh,
 * parse-console.sh): coverage_points.test.ts checks every name against those patterns.
 */

/** The subsystems a point belongs to (the report groups by it). */
export const COVERAGE_SUBSYSTEMS = ['lock', 'rcu', 'hotplug', 'slab'] as const;
export type CoverageSubsystem = (typeof COVERAGE_SUBSYSTEMS)[number];

/**
 * What decides whether a point is expected in a scenario: read from the guest's own configuration
 * and printed in the coverage block's header, so that every reader of a results directory judges
 * with what the guest knew.
 */
export interface CoverageFacts {
  /** The suite (`rcu`, `lock`, ...). */
  readonly suite: string;
  /** The suite's torture_type (`spin_lock`, `rwsem_lock`, `rcu`, ...). */
  readonly tortureType: string;
  /** CPU hotplug torture on: CONFIG_HOTPLUG_CPU=y and the torture module's onoff_interval > 0. */
  readonly onoff: boolean;
  /** CONFIG_PREEMPT=y (preemptible RCU: readers are preempted and queued on their rcu_node). */
  readonly preempt: boolean;
  /** More than one CPU (CONFIG_NR_CPUS > 1): migrations and remote frees need another CPU. */
  readonly smp: boolean;
}

export type CoverageExpect = (f: CoverageFacts) => boolean;

/** Expected where the lock suite tortures one of `types`. */
function lockType(...types: readonly string[]): CoverageExpect {
  return (f) => f.suite === 'lock' && types.includes(f.tortureType);
}
const SPIN_TYPES = ['spin_lock', 'spin_lock_irq', 'raw_spin_lock', 'raw_spin_lock_irq'] as const;
const RWLOCK_TYPES = ['rw_lock', 'rw_lock_irq'] as const;
/**
 * Tree RCU under rcutorture's real flavour (`busted` fakes its grace periods). One CPU without
 * preemption is Tiny RCU (TINY_RCU = !PREEMPT_RCU && !SMP, kernels/rcu/rcu.ts), which has none of
 * Tree's paths: no GP kthread, FQS scans, expedited GPs, blocked readers or stall warnings.
 * (The facts say "one CPU", not CONFIG_SMP: an SMP kernel with NR_CPUS=1 and no preemption,
 * which no scenario sets, would be judged as Tiny.)
 */
const rcu: CoverageExpect = (f) => f.suite === 'rcu' && f.tortureType === 'rcu' && (f.preempt || f.smp);
/** Expected where rcutorture tortures the flavour `type` (kernels/rcu/rcu_torture_ops.ts). */
function rcuType(type: string): CoverageExpect {
  return (f) => f.suite === 'rcu' && f.tortureType === type;
}
const rcuPreempt: CoverageExpect = (f) => rcu(f) && f.preempt;
/** Tiny RCU under rcutorture's real flavour: one CPU, no preemption. */
const rcuTiny: CoverageExpect = (f) => f.suite === 'rcu' && f.tortureType === 'rcu' && !f.preempt && !f.smp;
/**
 * Preemptible RCU on more than one CPU: a migration needs another CPU, and on one CPU a reader never
 * blocks the current GP (the GP kthread starts it on that CPU, and the switch back to any reader
 * reports the CPU's quiescent state first).
 */
const rcuPreemptSmp: CoverageExpect = (f) => rcuPreempt(f) && f.smp;
const rcuSmp: CoverageExpect = (f) => rcu(f) && f.smp;
const rcuOnoff: CoverageExpect = (f) => rcu(f) && f.onoff;
const onoff: CoverageExpect = (f) => f.onoff;
/** Never expected: a path only a planted bug or a stalled machine takes (the stall reports). */
const never: CoverageExpect = () => false;
/** rcutorture's SRCU flavours: Tree SRCU with more than one CPU, Tiny SRCU on one (CONFIG_SMP=n). */
const srcuAny: CoverageExpect = (f) => f.suite === 'rcu' && (f.tortureType === 'srcu' || f.tortureType === 'srcud');
const srcuTree: CoverageExpect = (f) => srcuAny(f) && f.smp;
const srcuTiny: CoverageExpect = (f) => srcuAny(f) && !f.smp;

export interface CoveragePointRow {
  readonly name: string;
  readonly subsystem: CoverageSubsystem;
  readonly description: string;
  readonly expect: CoverageExpect;
  /** Per-part counters after the total (see the header). */
  readonly parts?: readonly string[];
  /** Whether part `part` is expected under the facts (default: parts are never judged). */
  readonly expectPart?: (f: CoverageFacts, part: string) => boolean;
  /**
   * Where the point is expected but its reach target (coverageReachTarget()) is out of reach in a
   * 30 s run, and why: the declaration the reach rule allows instead of the count.
   */
  readonly unreachable?: CoverageUnreachable;
}

/**
 * A point declared out of reach in the scenarios where `where` holds (the guest's facts and the
 * scenario's name), for the reason `why`: the mechanism in words, no figure. The counts (rates,
 * estimates, measurements) live in configs/<suite>/README.md, "Reach", which names the point: one
 * source for the numbers (coverage_points.test.ts checks both).
 */
export interface CoverageUnreachable {
  readonly where: (f: CoverageFacts, scenario: string) => boolean;
  readonly why: string;
  /** The lower target that holds there instead (a lock point out of reach of 1,000 held to 100); none: no target. */
  readonly instead?: number;
}
/** A 30 s run's reach target of an expected point (coverageReachTarget(), below). */
export const REACH_TARGET = 100;
/** A CPU goes offline once per two onoff_intervals (configs/rcu/README.md, "Reach", has the counts). */
const PER_OFFLINE = 'at most once per CPU offline, and only when the dying CPU had that work: a CPU goes offline once per two onoff_intervals, even at the fastest rate the CFLIST scenarios cycle, and only some of those offlines qualify';

/**
 * LOCK05 (rtmutex_lock, no nested locks): a boost needs a SCHED_NORMAL holder that a SCHED_FIFO
 * writer blocks on, and the FIFO writers take the lock ahead of the others.
 */
const PI_BOOSTS: CoverageUnreachable = {
  where: (f, scenario) => f.tortureType === 'rtmutex_lock' && scenario.startsWith('LOCK05'),
  why: "a boost (and its deboost) needs a SCHED_NORMAL holder that a SCHED_FIFO writer blocks on; rt-boost keeps most of the writers FIFO and they take the lock ahead of the others (rtmutex.steal), so a normal task seldom holds it with a FIFO waiter, whatever rt_boost_factor, long_hold or nwriters_stress (LOCK09's nested locks reach the slow-path target); held to the common target",
  instead: REACH_TARGET,
};

/**
 * LOCK03 (rwsem_lock, long_hold=1): readers hold the rwsem long_hold / 2 ms, 0 ms there; the
 * setting that gives readers a held writer to meet takes away the reader a writer waits out.
 */
const UP_READ_WAKES: CoverageUnreachable = {
  where: (f, scenario) => f.tortureType === 'rwsem_lock' && scenario.startsWith('LOCK03'),
  why: "the last reader out wakes a writer that queued behind readers, and a reader holds the rwsem half of long_hold: no time with long_hold=1, the setting readers meeting a held writer need; a writer then finds readers inside only in a reader's rare long hold or while one is preempted, whatever nreaders_stress; a longer long_hold (with or without torture.time_scale) gives the wakes but takes readers meeting a held writer below their target; held to the common target",
  instead: REACH_TARGET,
};

/** TRACE01 (CONFIG_TASKS_TRACE_RCU_READ_MB=y): the slow grace periods of that Kconfig. */
const traceReadMb = (f: CoverageFacts, scenario: string): boolean => f.tortureType === 'tasks-tracing' && scenario.startsWith('TRACE01');
const TRACE_READ_MB =
  'CONFIG_TASKS_TRACE_RCU_READ_MB=y holds IPIs back until a grace period is old and sleeps between grace periods and scans: few grace periods, and fewer with a reader to IPI or to wait for';

/** Tasks RCU's grace-period kthread: a pass per sleep, after its gp_sleep between grace periods. */
const TASKS_SCANS =
  "one pass per grace period that had a holdout, and each grace period sleeps before that pass and the kthread after it (gp_sleep), and waits for RCU grace periods besides: the sleeps alone cap the passes below the target (TASKS01, TASKS03)";

/** Per-leaf counters of the rcu_node points: leaf rcu_nodes 0 .. 15 in CPU order (the last also counts above). */
const RCU_NODE_PARTS = Array.from({ length: 16 }, (_, k) => `leaf${k}`);
/** kernels/cpu/hotplug.ts's CPUHP_STATES, lower case without `CPUHP_` (cpuhp_states.test.ts keeps them equal). */
export const CPUHP_COV_STATES = ['offline', 'rcutree_prep', 'slub_dead', 'bringup_cpu', 'ap_offline', 'ap_rcutree_dying', 'ap_online', 'ap_online_dyn', 'online'] as const;
/** The states with a callback in each direction: the lock suite's kernel has only the bring-up itself; RCU adds its states and slab's teardown. */
function cpuhpStateExpected(bringup: boolean): (f: CoverageFacts, part: string) => boolean {
  return (f, part) =>
    f.onoff && (part === 'bringup_cpu' || (f.suite === 'rcu' && (part === 'rcutree_prep' || part === 'ap_rcutree_dying' || (!bringup && part === 'slub_dead'))));
}

/** Every coverage point. Add a row here and one `cov(COV.id)` line where the path runs. */
export const COVERAGE_POINT_ROWS = [
  // --- spinlock (kernels/locking/spinlock.ts; pv_wait/pv_kick: harness/cpu/pv_halt.ts)
  { name: 'spin.slowpath', subsystem: 'lock', description: 'queued_spin_lock_slowpath(): the first CAS failed', expect: lockType(...SPIN_TYPES) },
  { name: 'spin.pv_wait', subsystem: 'lock', description: 'a spinlock waiter halted its CPU in pv_wait()', expect: lockType(...SPIN_TYPES) },
  { name: 'spin.pv_kick', subsystem: 'lock', description: 'an unlock kicked a CPU halted on the lock (pv_kick())', expect: lockType(...SPIN_TYPES) },
  // --- rwlock (kernels/locking/rwlock.ts)
  { name: 'rwlock.read_slowpath', subsystem: 'lock', description: 'queued_read_lock_slowpath(): a reader found a writer', expect: lockType(...RWLOCK_TYPES) },
  { name: 'rwlock.read_meets_writer', subsystem: 'lock', description: 'a reader waited for a held or waiting writer to go', expect: lockType(...RWLOCK_TYPES) },
  { name: 'rwlock.write_slowpath', subsystem: 'lock', description: 'queued_write_lock_slowpath(): the writer CAS failed', expect: lockType(...RWLOCK_TYPES) },
  { name: 'rwlock.write_waits_readers', subsystem: 'lock', description: 'a writer set _QW_WAITING and waited for readers to drain', expect: lockType(...RWLOCK_TYPES) },
  { name: 'rwlock.park', subsystem: 'lock', description: 'an rwlock waiter halted its CPU (paravirt wait)', expect: lockType(...RWLOCK_TYPES) },
  { name: 'rwlock.kick', subsystem: 'lock', description: 'an rwlock unlock kicked halted waiters', expect: lockType(...RWLOCK_TYPES) },
  // --- mutex (kernels/locking/mutex.ts)
  { name: 'mutex.slowpath', subsystem: 'lock', description: '__mutex_lock_slowpath(): the fast CAS failed', expect: lockType('mutex_lock') },
  { name: 'mutex.optimistic_spin', subsystem: 'lock', description: 'mutex_optimistic_spin() took the lock while spinning', expect: lockType('mutex_lock') },
  { name: 'mutex.wait_list', subsystem: 'lock', description: 'a mutex waiter flagged WAITERS and slept', expect: lockType('mutex_lock') },
  { name: 'mutex.unlock_wake', subsystem: 'lock', description: '__mutex_unlock_slowpath() woke the waiters', expect: lockType('mutex_lock') },
  // --- ww_mutex (kernels/locking/ww_mutex.ts, ww_mutex_waiters.ts). LOCK07's writers all take their
  // three locks in one order, so no back-off ever happens there (nor in the kernel's LOCK07):
  // kernels/locking/test_support/ww_abba.ts reaches the back-off points.
  { name: 'ww_mutex.slowpath', subsystem: 'lock', description: '__ww_mutex_lock(): the fast CAS failed, the wait_lock path ran', expect: lockType('ww_mutex_lock') },
  { name: 'ww_mutex.sleep', subsystem: 'lock', description: 'a ww_mutex waiter slept on the wait queue', expect: lockType('ww_mutex_lock') },
  { name: 'ww_mutex.unlock_wake', subsystem: 'lock', description: 'a ww_mutex unlock found WAITERS and woke the wait queue', expect: lockType('ww_mutex_lock') },
  { name: 'ww_mutex.kill', subsystem: 'lock', description: '__ww_mutex_kill(): a context holding locks was told -EDEADLK (back-off)', expect: never },
  { name: 'ww_mutex.lock_slow', subsystem: 'lock', description: 'ww_mutex_lock_slow(): the contended lock taken after a back-off', expect: never },
  { name: 'ww_mutex.die', subsystem: 'lock', description: '__ww_mutex_die(): a younger waiter holding locks was woken to die (wait-die)', expect: never },
  { name: 'ww_mutex.wound', subsystem: 'lock', description: '__ww_mutex_wound(): a younger holder was wounded (wound-wait; locktorture uses a wait-die class)', expect: never },
  // --- rt_mutex (kernels/locking/rtmutex.ts)
  { name: 'rtmutex.slowlock', subsystem: 'lock', description: 'rt_mutex_slowlock(): the fast CAS failed', expect: lockType('rtmutex_lock') },
  { name: 'rtmutex.pi_boost', subsystem: 'lock', description: 'a blocking waiter raised its owner\'s prio (rt_mutex_adjust_prio_chain())', expect: lockType('rtmutex_lock'), unreachable: PI_BOOSTS },
  { name: 'rtmutex.pi_deboost', subsystem: 'lock', description: "rt_mutex_slowunlock(): the boosted owner's prio fell back as it released the lock (rt_mutex_adjust_prio())", expect: lockType('rtmutex_lock'), unreachable: PI_BOOSTS },
  { name: 'rtmutex.chain_walk', subsystem: 'lock', description: 'a PI chain walk went on past a blocked owner to the next lock\'s owner', expect: never },
  { name: 'rtmutex.steal', subsystem: 'lock', description: 'a better-prio task took a released rt_mutex before its woken top waiter', expect: lockType('rtmutex_lock') },
  { name: 'rtmutex.unlock_wake', subsystem: 'lock', description: 'rt_mutex_slowunlock() woke the top waiter', expect: lockType('rtmutex_lock') },
  // --- rwsem (kernels/locking/rwsem.ts)
  { name: 'rwsem.down_read_slowpath', subsystem: 'lock', description: 'rwsem_down_read_slowpath(): the reader trylock failed', expect: lockType('rwsem_lock') },
  { name: 'rwsem.read_meets_writer', subsystem: 'lock', description: 'a reader slept because a writer held the rwsem', expect: lockType('rwsem_lock') },
  { name: 'rwsem.down_write_slowpath', subsystem: 'lock', description: 'rwsem_down_write_slowpath(): the writer trylock failed', expect: lockType('rwsem_lock') },
  { name: 'rwsem.write_waits_readers', subsystem: 'lock', description: 'a writer slept while readers held the rwsem', expect: lockType('rwsem_lock') },
  { name: 'rwsem.wait_list', subsystem: 'lock', description: 'a waiter flagged WAITERS (joined the wait list) and slept', expect: lockType('rwsem_lock') },
  { name: 'rwsem.up_write_wake', subsystem: 'lock', description: 'up_write() found waiters and woke them', expect: lockType('rwsem_lock') },
  { name: 'rwsem.up_read_wake', subsystem: 'lock', description: 'the last up_read() found waiters and woke them', expect: lockType('rwsem_lock'), unreachable: UP_READ_WAKES },
  // --- percpu_rwsem (kernels/locking/percpu_rwsem.ts; also cpu_hotplug_lock)
  { name: 'percpu_rwsem.read_slowpath', subsystem: 'lock', description: '__percpu_down_read(): a reader found a writer and slept', expect: lockType('percpu_rwsem_lock') },
  { name: 'percpu_rwsem.writer_waits_writer', subsystem: 'lock', description: 'percpu_down_write() waited for another writer', expect: lockType('percpu_rwsem_lock') },
  { name: 'percpu_rwsem.writer_waits_readers', subsystem: 'lock', description: 'percpu_down_write() waited for readers to drain', expect: lockType('percpu_rwsem_lock') },
  // --- the machine (harness/cpu): tasks that migrate at awkward moments
  { name: 'sched.migrate_lock_held', subsystem: 'lock', description: 'a task started running on another CPU while holding a lock', expect: lockType('mutex_lock', 'rtmutex_lock', 'rwsem_lock', 'percpu_rwsem_lock') },
  { name: 'sched.migrate_rcu_reader', subsystem: 'rcu', description: 'a task started running on another CPU inside an RCU reader', expect: rcuPreemptSmp },
  // --- RCU (kernels/rcu/tree.ts, tree_stall.ts)
  { name: 'rcu.blkd_queued', subsystem: 'rcu', description: 'a preempted reader queued on its rcu_node blkd_tasks list', expect: rcuPreempt, parts: RCU_NODE_PARTS },
  { name: 'rcu.blkd_dequeued', subsystem: 'rcu', description: 'rcu_read_unlock_special() removed a reader from its rcu_node', expect: rcuPreempt, parts: RCU_NODE_PARTS },
  { name: 'rcu.reader_blocks_gp', subsystem: 'rcu', description: 'a reader preempted before its CPU reported the quiescent state blocks the current grace period', expect: rcuPreemptSmp },
  { name: 'rcu.fqs_round', subsystem: 'rcu', description: 'rcu_gp_fqs(): one force-quiescent-state scan', expect: rcu },
  { name: 'rcu.exp_gp', subsystem: 'rcu', description: 'synchronize_rcu_expedited() requested an expedited grace period', expect: rcu },
  { name: 'rcu.cb_migrate', subsystem: 'rcu', description: 'rcutree_migrate_callbacks(): an offline CPU handed its callbacks over', expect: rcuOnoff, unreachable: { where: rcuOnoff, why: PER_OFFLINE } },
  { name: 'rcu.barrier_entrain_offline', subsystem: 'rcu', description: "rcu_barrier_entrain() for an offline CPU's callbacks (by rcu_barrier() or at callback migration)", expect: rcuOnoff, unreachable: { where: rcuOnoff, why: `${PER_OFFLINE}; it also needs rcutorture's rcu_barrier() test, which sleeps between barriers, in flight at that moment` } },
  { name: 'rcu.stall_check', subsystem: 'rcu', description: 'check_cpu_stall() found a grace period past its stall timeout', expect: never },
  { name: 'rcu.stall_self', subsystem: 'rcu', description: 'a CPU reported that it holds the grace period up itself', expect: never },
  { name: 'rcu.stall_other', subsystem: 'rcu', description: 'a CPU reported other CPUs or tasks holding the grace period up', expect: never },
  // --- SRCU (kernels/rcu/srcu_tree_gp.ts, srcu_tree.ts, srcu_tiny.ts)
  { name: 'srcu.flip', subsystem: 'rcu', description: 'srcu_flip(): new readers sent to the other index', expect: srcuTree },
  { name: 'srcu.scan_retry', subsystem: 'rcu', description: 'try_check_zero(): readers still counted on the index, scanned again', expect: srcuTree },
  { name: 'srcu.exp_gp', subsystem: 'rcu', description: 'srcu_gp_start_if_needed(): a CPU asked for an expedited SRCU grace period (synchronize_srcu_expedited(), or synchronize_srcu() on an idle srcu_struct)', expect: srcuTree },
  { name: 'srcu.funnel_level', subsystem: 'rcu', description: 'srcu_funnel_gp_start() recorded a grace period at an srcu_node (part: tree level)', expect: never, parts: ['level0', 'level1', 'level2', 'level3'] },
  { name: 'srcu.funnel_stop', subsystem: 'rcu', description: 'srcu_funnel_gp_start() stopped at an srcu_node that already asked for the grace period', expect: never },
  { name: 'srcu.barrier_cpu', subsystem: 'rcu', description: "srcu_barrier() queued its callback behind a CPU's callbacks", expect: srcuTree },
  { name: 'srcu.tiny_gp_wait', subsystem: 'rcu', description: 'srcu_drive_gp() slept until the old index had no readers', expect: srcuTiny, unreachable: { where: srcuTiny, why: "needs a reader asleep in its critical section as a grace period starts: rcutorture's srcu_read_delay() sleeps in a rare read per reader (SRCU-T, SRCU-U)" } },
  // --- Tiny RCU (kernels/rcu/tiny.ts)
  { name: 'rcu.tiny_resched_qs', subsystem: 'rcu', description: "Tiny RCU: cond_resched()'s schedule(), asked for by rcu_sched_clock_irq() while callbacks waited, was the quiescent state", expect: rcuTiny },
  // --- Tasks RCU family (kernels/rcu/tasks_*.ts), expected where rcutorture tortures that flavour
  { name: 'rcu.tasks_holdout', subsystem: 'rcu', description: "a task running or preempted at a Tasks RCU grace period's start was held out (rcu_tasks_pertask())", expect: rcuType('tasks') },
  { name: 'rcu.tasks_holdout_scan', subsystem: 'rcu', description: 'check_all_holdout_tasks(): a Tasks RCU grace period scanned its holdouts again after a sleep', expect: rcuType('tasks'), unreachable: { where: rcuType('tasks'), why: TASKS_SCANS } },
  { name: 'rcu.tasks_rude_work', subsystem: 'rcu', description: "Tasks Rude RCU's work item ran on a CPU (rcu_tasks_be_rude())", expect: rcuType('tasks-rude') },
  { name: 'rcu.tasks_trace_ipi', subsystem: 'rcu', description: 'Tasks Trace RCU sent an IPI to a CPU running a task it had to check (trc_wait_for_one_reader())', expect: rcuType('tasks-tracing'), unreachable: { where: traceReadMb, why: TRACE_READ_MB } },
  { name: 'rcu.tasks_trace_need_qs', subsystem: 'rcu', description: "a Tasks Trace reader was found inside its read-side section and must report at its unlock (trc_reader_special's need_qs)", expect: rcuType('tasks-tracing'), unreachable: { where: traceReadMb, why: TRACE_READ_MB } },
  { name: 'rcu.tasks_trace_holdout_scan', subsystem: 'rcu', description: "a Tasks Trace RCU grace period scanned its holdouts again (the holdout loop's pass after a sleep)", expect: rcuType('tasks-tracing') },
  // --- CPU hotplug (kernels/cpu/hotplug.ts)
  { name: 'cpuhp.teardown', subsystem: 'hotplug', description: 'a cpuhp state torn down (its callback run) as a CPU went offline', expect: onoff, parts: CPUHP_COV_STATES, expectPart: cpuhpStateExpected(false) },
  { name: 'cpuhp.startup', subsystem: 'hotplug', description: 'a cpuhp state brought up (its callback run) as a CPU came online', expect: onoff, parts: CPUHP_COV_STATES, expectPart: cpuhpStateExpected(true) },
  // --- slab (kernels/mm/slub.ts): rcutorture allocates its objects from a kmem_cache
  { name: 'slab.cpu_dead_flush', subsystem: 'slab', description: "slub_cpu_dead() flushed a dead CPU's slab", expect: rcuOnoff, unreachable: { where: rcuOnoff, why: PER_OFFLINE } },
  { name: 'slab.remote_free', subsystem: 'slab', description: "kmem_cache_free() of an object outside this CPU's slab (__slab_free())", expect: rcu },
  { name: 'slab.partial_add', subsystem: 'slab', description: 'a slab moved onto the partial list', expect: rcuSmp },
  { name: 'slab.partial_remove', subsystem: 'slab', description: 'a slab left the partial list (get_partial(), or emptied and discarded)', expect: rcuSmp },
  { name: 'slab.discard', subsystem: 'slab', description: 'an empty slab went back to the page pool (discard_slab())', expect: never },
] as const satisfies readonly CoveragePointRow[];

export type CoveragePointName = (typeof COVERAGE_POINT_ROWS)[number]['name'];
/** A point's identifier in code: its name with `.` as `_` (`COV.spin_pv_wait`). */
type IdOf<N extends string> = N extends `${infer A}.${infer B}` ? IdOf<`${A}_${B}`> : N;
export type CoveragePointId = IdOf<CoveragePointName>;

/** One counter slot: a row's total or one of its per-node counters. */
export interface CoverageSlot {
  readonly name: string;
  readonly row: CoveragePointRow;
  /** The part of a per-part counter, null for a total. */
  readonly part: string | null;
}

function buildSlots(): { slots: CoverageSlot[]; ids: Record<string, number> } {
  const slots: CoverageSlot[] = [];
  const ids: Record<string, number> = {};
  for (const row of COVERAGE_POINT_ROWS as readonly CoveragePointRow[]) {
    ids[row.name.replaceAll('.', '_')] = slots.length;
    slots.push({ name: row.name, row, part: null });
    for (const part of row.parts ?? []) slots.push({ name: `${row.name}.${part}`, row, part });
  }
  return { slots, ids };
}
const built = buildSlots();

/** Every counter, in counter order (the order of the coverage block and of summary.json). */
export const COVERAGE_SLOTS: readonly CoverageSlot[] = built.slots;
/** A point's counter index (for `cov()` / `covPart()`), by identifier. */
export const COV = built.ids as Readonly<Record<CoveragePointId, number>>;
/** Counters one executor needs. */
export const COVERAGE_COUNTERS = COVERAGE_SLOTS.length;
/** By counter index: the number of parts of a total's row (0 for a row without parts and for a part). */
export const COVERAGE_PARTS: readonly number[] = COVERAGE_SLOTS.map((s) => (s.part === null ? (s.row.parts?.length ?? 0) : 0));

/** The row of a point name (totals and per-node names alike), or undefined. */
export function coverageSlotByName(name: string): CoverageSlot | undefined {
  return slotByName.get(name);
}
const slotByName = new Map(COVERAGE_SLOTS.map((s) => [s.name, s] as const));

/** Is the slot expected under `facts` (a total by its row's `expect`, a part by its `expectPart`)? */
export function coverageExpected(slot: CoverageSlot, facts: CoverageFacts): boolean {
  if (slot.part === null) return slot.row.expect(facts);
  return slot.row.expectPart?.(facts, slot.part) ?? false;
}

/**
 * The reach targets of a 30 s run of a CFLIST scenario: every expected point at least
 * REACH_TARGET times, a lock's slow-path point (subsystem `lock`, the `sched.` machine points
 * aside) at least REACH_TARGET_LOCK_SLOWPATH times (configs/lock/README.md, "Reach").
 */
export const REACH_TARGET_LOCK_SLOWPATH = 1000;

/**
 * The count a 30 s run of `scenario` must reach at `slot` under `facts`; null where it is not
 * expected or declared out of reach (the declaration's `instead`, if it has one).
 */
export function coverageReachTarget(slot: CoverageSlot, facts: CoverageFacts, scenario: string): number | null {
  if (!coverageExpected(slot, facts)) return null;
  const out = slot.row.unreachable;
  if (out?.where(facts, scenario) === true) return out.instead ?? null;
  return slot.row.subsystem === 'lock' && !slot.row.name.startsWith('sched.') ? REACH_TARGET_LOCK_SLOWPATH : REACH_TARGET;
}
