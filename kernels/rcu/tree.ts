/*
 * Tree RCU (kernel/rcu/tree.c, tree_plugin.h), on worker-thread CPUs and shared memory.
 *
 * What it guarantees: a grace period (GP) ends only after every CPU that was online when it began
 * has passed a quiescent state (QS) and every reader preempted inside a read-side critical
 * section that blocks it has left that section. synchronize_rcu() returns, and a call_rcu()
 * callback runs, only after a full GP that began after the call.
 *
 * How:
 *  - rcu_state, the rcu_node tree (rcu_node_tree.ts) and per-CPU rcu_data live in shm. Each node
 *    has qsmask (CPUs/children the current GP still waits for), qsmaskinit (who the next GP waits
 *    for), qsmaskinitnext (online CPUs, leaves only), its copy of gp_seq, and for PREEMPT=y the
 *    number of blocked readers (blkd) and of those that block the current GP (gp_tasks). Each
 *    node has a raw spinlock, taken with irqs off, never across an await, and seen by lockdep
 *    with one class per tree level as the kernel's rcu_node_class[] (`rcu_node_0` is the root);
 *    QS reports climb the tree one node lock at a time.
 *  - The GP kthread (`rcu_preempt` with PREEMPT=y, else `rcu_sched`, on CPU 0) sleeps until a GP
 *    is requested (gp_seq_needed), then rcu_gp_init() (apply hotplug state at the leaves, then
 *    set up every node breadth first), rcu_gp_fqs_loop(), rcu_gp_cleanup(). The rcutree
 *    gp_{preinit,init,cleanup}_delay parameters sleep as the kernel's rcu_gp_slow() does: only
 *    in GPs whose number is a multiple of (nodes * 3 * delay).
 *  - QS sources: every context switch (the scheduler hook runs between tasks, when no reader can
 *    be running on the CPU; a reader preempted with PREEMPT=y is queued as blocked first), idle
 *    entry, and the force-quiescent-state scan, which samples each waiting CPU's dynticks
 *    counter (even = idle or offline) against a snapshot. Reporting from the switch and idle
 *    hooks directly, rather than from the next tick's softirq, is a departure that lets a GP end
 *    in well under a jiffy; the first FQS scan also runs at once instead of after
 *    jiffies_till_first_fqs, so an idle CPU costs a GP nothing.
 *  - Callbacks: per-CPU segmented lists (rcu_segcblist.ts) in shm, invoked in RCU_SOFTIRQ; a
 *    dead CPU's callbacks move to the control CPU (rcutree_migrate_callbacks()). CPUs with
 *    callbacks ask to be rung at the end of each GP so that an idle CPU invokes them promptly.
 *  - synchronize_rcu() requests the GP it needs and sleeps on a wait queue that rcu_gp_cleanup()
 *    wakes (like the kernel's rcu_normal_wake_from_gp), so waiters wake exactly at GP end.
 *  - synchronize_rcu_expedited() is a normal GP that skips the rcu_gp_slow() delays and scans
 *    every jiffy: there are no IPIs to force a busy CPU.
 *  - rcu_barrier(): each CPU with callbacks entrains a barrier callback behind them (an emulated
 *    IPI: a request word plus a doorbell ring, served in the target's tick or idle exit; a CPU
 *    offline for RCU is entrained on its behalf under barrier_lock), then waits for them all.
 *
 *  - RCU CPU stall warnings are tree_stall.ts, fed from the tick, rcu_gp_init() and the GP
 *    kthread's state changes.
 *  - For rcutorture: rcu_force_quiescent_state() (RCU_GP_FLAG_FQS: the FQS wait ends at once for
 *    a scan), rcu_gp_set_torture_wait() (the GP kthread sleeps at its next wait: the
 *    stall_gp_kthread test), rcu_gp_slow_register() (the forward-progress tests switch the
 *    gp_*_delay sleeps off while they run) and rcu_stall_dur() (their ->stall_dur()).
 *
 * Test-only parameters (switch a planted bug, as the kernel's rcutree.test_broken_gp):
 * rcutree.test_broken_gp=1 ends GPs without waiting; rcutree.test_lost_qs_cpu=N makes CPU N
 * lose its quiescent states (no reports, and its dynticks counter never shows it idle), so every
 * GP waits for it until the stall warning fires; rcutree.test_lock_inversion=1 takes barrier_lock
 * inside an rcu_node lock in rcu_cpu_starting() (the reverse of rcutree_migrate_callbacks());
 * rcutree.test_sleep_under_rcu_node=1 moves rcu_gp_init()'s debug sleep under the node lock;
 * rcutree.test_skip_migrate=1 makes rcutree_migrate_callbacks() forget the merge, leaving the dead
 * CPU's callbacks where they are (its closing WARN_ONCE reports them, as the kernel's).
 *
 * Not modelled: NOCB offloading, priority boosting, callback batching limits, expedited-GP
 * machinery (IPIs, ->expmask), lazy callbacks.
 */

import { COV, cov, covPart, fnv1a, HZ, kapi, type LockdepMap, type ShmRegion, type TaskRef, type WaitQueueHead, LD_WAIT } from '../../harness/kapi.js';
import { ModuleParams } from '../moduleparam.js';
import { WARN, WARN_ONCE, WARN_ON_ONCE, lockdep_assert_held, lockdep_assert_irqs_disabled, lockdep_assert_irqs_enabled } from '../bug.js';
import { cpuhp_setup_state_nocalls } from '../cpu/hotplug.js';
import {
  DEFINE_RAW_SPINLOCK,
  raw_spin_lock,
  raw_spin_lock_irqsave,
  raw_spin_unlock,
  raw_spin_unlock_irqrestore,
  type RawSpinlock,
} from '../locking/spinlock.js';
import { DEFINE_MUTEX, mutex_lock, mutex_unlock, type Mutex } from '../locking/mutex.js';
import { rcu_callback, rcu_callback_lookup, type RcuCallback } from './rcu_callback.js';
import { rcu_dump_rcu_node_tree, rcu_init_geometry, type RcuGeometry, type RcuNodeShape } from './rcu_node_tree.js';
import { RcuSegCbList, rcu_segcblist_words } from './rcu_segcblist.js';
import { RCU_LOCKDEP_WARN, rcu_lock_maps_held, rcu_lockdep_init } from './rcupdate_lockdep.js';
import {
  rcu_gp_activity,
  rcu_stall_cpu_awake,
  rcu_stall_fqs_wait,
  rcu_stall_init,
  rcu_stall_note_softirq,
  rcu_stall_tick,
  record_gp_stall_check_time,
  type RcuStall,
  type RcuStallView,
} from './tree_stall.js';
import {
  RCU_SEQ_CTR_SHIFT,
  ULONG_CMP_GE,
  ULONG_CMP_LT,
  rcu_seq_ctr,
  rcu_seq_done,
  rcu_seq_end,
  rcu_seq_snap,
  rcu_seq_start,
  rcu_seq_state,
} from './rcu_seq.js';

/* ---------------- shared layout ---------------- */

/** rcu_state words. */
/* ---------------- module parameters (tree.c, tree_plugin.h, tree_nocb.h) ---------------- */

export const rcutree_params = new ModuleParams('rcutree', ['rcu']);
const rcu_fanout_leaf = rcutree_params.param('int', 'rcu_fanout_leaf', 16, 'CPUs per leaf rcu_node (default CONFIG_RCU_FANOUT_LEAF)', { min: 2, max: 32 });
const rcu_fanout_exact = rcutree_params.param('bool', 'rcu_fanout_exact', false, 'Disable the rcu_node tree balancing');
const gp_preinit_delay = rcutree_params.param('int', 'gp_preinit_delay', 0, 'Jiffies to sleep in rcu_gp_init() before its hotplug pass', { min: 0 });
const gp_init_delay = rcutree_params.param('int', 'gp_init_delay', 0, 'Jiffies to sleep per rcu_node in rcu_gp_init()', { min: 0 });
const gp_cleanup_delay = rcutree_params.param('int', 'gp_cleanup_delay', 0, 'Jiffies to sleep per rcu_node in rcu_gp_cleanup()', { min: 0 });
const jiffies_till_next_fqs = rcutree_params.param('int', 'jiffies_till_next_fqs', 3, 'Jiffies between force-quiescent-state scans', { min: 1 });
const dump_tree = rcutree_params.param('bool', 'dump_tree', false, 'Print the rcu_node tree at boot');
// Planted bugs (ours, named as the kernel's test_* switches).
const test_broken_gp = rcutree_params.param('int', 'test_broken_gp', 0, '1: GPs end without waiting for QSes, 2: GPs ignore preempted readers', { values: ['0', '1', '2'] });
const test_lost_qs_cpu = rcutree_params.param('int', 'test_lost_qs_cpu', -1, 'A CPU that never reports a quiescent state');
const test_lock_inversion = rcutree_params.param('bool', 'test_lock_inversion', false, 'barrier_lock inside rcu_node in rcu_cpu_starting()');
const test_sleep_under_rcu_node = rcutree_params.param('bool', 'test_sleep_under_rcu_node', false, 'rcu_gp_init() sleeps under an rcu_node lock');
const test_skip_migrate = rcutree_params.param('bool', 'test_skip_migrate', false, 'rcutree_migrate_callbacks() forgets the merge');
/** `rcu_nocbs=` (tree_nocb.h's __setup, no module prefix): this model offloads no callbacks. */
export const rcu_nocb_params = new ModuleParams('', ['rcu']);
rcu_nocb_params.refuse('charp', 'rcu_nocbs', 'callback offloading (CONFIG_RCU_NOCB_CPU)');

const S_GP_SEQ = 0;
const S_GP_SEQ_NEEDED = 1;
/** Wait queue of the GP kthread (requests, QS completion). */
const S_GP_WQ = 2;
/** Wait queue of synchronize_rcu() callers, woken at each GP end. */
const S_GP_DONE_WQ = 3;
/** Outstanding synchronize_rcu_expedited() callers. */
const S_EXP_REQ = 4;
const S_BARRIER_WQ = 5;
/** CPUs with callbacks set their bit: rcu_gp_cleanup() rings them. */
const S_CB_WAKE_WQ = 6;
const S_GP_STATE = 7;
const S_BARRIER_COUNT = 8;
const S_BARRIER_SEQ = 9;
const S_N_FORCE_QS = 10;
const S_GP_START_J = 11;
/** Sequence of the rcu_barrier() in progress, 0 when none (written under barrier_lock). */
const S_BARRIER_ACTIVE = 12;
/** pid of the GP kthread (stall reports print it). */
const S_GP_KTHREAD_PID = 13;
/** rcutree_migrate_callbacks(): callbacks adopted from dead CPUs, and how many CPUs had some. */
const S_N_CBS_ADOPTED = 14;
const S_N_CPUS_ADOPTED = 15;
/** RCU_GP_FLAG_FQS: rcu_force_quiescent_state() asks the GP kthread for a scan now. */
const S_GP_FLAG_FQS = 16;
/** sleep_duration: rcu_gp_set_torture_wait()'s jiffies for the GP kthread to sleep (rcutorture's stall_gp_kthread). */
const S_TORTURE_WAIT = 17;
const S_WORDS = 20;

/** rcu_node words. */
const N_QSMASK = 0;
const N_QSMASKINIT = 1;
const N_QSMASKINITNEXT = 2;
const N_GP_SEQ = 3;
const N_BLKD = 4;
const N_GP_TASKS = 5;
/**
 * ->wait_blkd_tasks: this leaf lost its last online CPU while readers preempted on it were still
 * queued (they migrated off it), so it stays in its parent's qsmaskinit until they are gone.
 */
const N_WAIT_BLKD = 6;
const NODE_WORDS = 16;

/** rcu_data words (one cache line per CPU). */
const D_DYNTICKS = 0;
const D_DYNTICKS_SNAP = 1;
/* Word 2 is free (rcu_barrier()'s IPI is kapi.sendIpi()). */
const D_BARRIER_REQ = 3;
const D_BARRIER_ACK = 4;
/* Word 5 is free. */
const D_N_CBS_INVOKED = 6;
/** 1 while the CPU is online as far as RCU is concerned (rcu_rdp_cpu_online()). */
const D_RCU_ONLINE = 7;
const RDP_WORDS = 16;

/** Callback ring capacity per CPU. */
export const RCU_CBLIST_CAPACITY = 4096;

/** The kernel starts gp_seq 300 GPs before wrap to catch wrap bugs early; so do we. */
export const RCU_GP_SEQ_INIT = -300 << RCU_SEQ_CTR_SHIFT;

const PER_RCU_NODE_PERIOD = 3;

export const RCU_GP_STATES = [
  'RCU_GP_IDLE',
  'RCU_GP_WAIT_GPS',
  'RCU_GP_DONE_GPS',
  'RCU_GP_ONOFF',
  'RCU_GP_INIT',
  'RCU_GP_WAIT_FQS',
  'RCU_GP_DOING_FQS',
  'RCU_GP_CLEANUP',
  'RCU_GP_CLEANED',
] as const;
export type RcuGpState = (typeof RCU_GP_STATES)[number];

interface BlockedReader {
  /** rcu_seq_ctr() of the first GP this reader blocks. */
  readonly firstGp: number;
  /** The leaf rcu_node it is queued on (the kernel's t->rcu_blocked_node). */
  readonly node: number;
}

interface RcuTree {
  readonly geo: RcuGeometry;
  readonly st: ShmRegion;
  readonly nodes: ShmRegion;
  readonly rdps: ShmRegion;
  /** rcu_node locks: one lockdep class per tree level (rcu_node_class[]), named rcu_node_<level>. */
  readonly locks: readonly RawSpinlock[];
  readonly cblists: readonly RcuSegCbList[];
  readonly preempt: boolean;
  readonly name: string;
  readonly gpPreinitDelay: number;
  readonly gpInitDelay: number;
  readonly gpCleanupDelay: number;
  readonly jiffiesTillNextFqs: number;
  /**
   * Test-only `rcutree.test_broken_gp`: 1 ends each GP without waiting for QSes; 2 makes GPs
   * ignore readers preempted inside their critical sections (blocked tasks). 0: a correct RCU.
   */
  readonly brokenGp: number;
  /** Test-only `rcutree.test_lost_qs_cpu=N`: CPU N loses its QSes (see the header); -1 for none. */
  readonly lostQsCpu: number;
  /** Test-only `rcutree.test_lock_inversion=1`: rcu_cpu_starting() nests barrier_lock in rcu_node. */
  readonly testLockInversion: boolean;
  /** Test-only `rcutree.test_sleep_under_rcu_node=1`: rcu_gp_init() sleeps holding an rcu_node lock. */
  readonly testSleepUnderRcuNode: boolean;
  /** Test-only `rcutree.test_skip_migrate=1`: rcutree_migrate_callbacks() leaves the dead CPU's callbacks. */
  readonly testSkipMigrate: boolean;
  /** tree_stall.ts's state for this CPU. */
  stall: RcuStall;
  readonly barrierMutex: Mutex;
  /** rcu_state.exp_mutex: serializes expedited GPs; exp_wake_mutex nests inside it for the wake-up. */
  readonly expMutex: Mutex;
  readonly expWakeMutex: Mutex;
  /** rcu_state.barrier_lock: orders barrier entraining against CPU death and migration. */
  readonly barrierLock: RawSpinlock;
  readonly lockMap: LockdepMap;
  /** Readers of this CPU preempted inside a read-side critical section (PREEMPT=y). */
  readonly blkd: WeakMap<TaskRef, BlockedReader>;
  /** gp_seq rcu_core() last saw, per CPU (rcu_pending()'s hint). */
  readonly lastCoreGsOf: number[];
  /** JS ref of the GP kthread, on CPU 0 only. */
  gpTask: TaskRef | null;
}

let rcu: RcuTree | null = null;

function R(): RcuTree {
  if (rcu === null) throw new Error('RCU used before rcu_init()');
  return rcu;
}

/*
 * This CPU (smp_processor_id()), its leaf rcu_node and its bit there. Not fields of rcu_state:
 * the executor running this module may hold another CPU's run token after a task switch
 * (harness/cpu/README.md). Stable within a synchronous section (a switch needs an await).
 */
function myLeaf(r: RcuTree): number {
  return r.geo.leafOfCpu[kapi.smpProcessorId()] ?? 0;
}

function myMask(r: RcuTree): number {
  return r.geo.cpuGrpmask[kapi.smpProcessorId()] ?? 0;
}

/** rcutree.test_lost_qs_cpu: this CPU loses its quiescent states. */
function lostQs(r: RcuTree): boolean {
  return r.lostQsCpu === kapi.smpProcessorId();
}

function sw(r: RcuTree, w: number): number {
  return r.st.base + w;
}

function nw(r: RcuTree, node: number, w: number): number {
  return r.nodes.base + node * NODE_WORDS + w;
}

function dw(r: RcuTree, cpu: number, w: number): number {
  return r.rdps.base + cpu * RDP_WORDS + w;
}

function wq(i: number): WaitQueueHead {
  return { i32: kapi.shm, index: i };
}

function kconfigInt(name: string, dflt: number): number {
  const v = kapi.config.kconfig.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  return Number.isInteger(n) ? n : dflt;
}

/* ---------------- initialisation ---------------- */

/**
 * rcu_init(): build this CPU's view of RCU. Call from boot() on every CPU, in the same order
 * relative to other lock-class declarations. One-time shared init happens in shmAlloc's init.
 */
export function rcu_init(cpu: number): void {
  if (rcu !== null) return;
  const nr = kapi.nrCpuIds;
  const fanout = kconfigInt('CONFIG_RCU_FANOUT', 64);
  const leafFanout = rcu_fanout_leaf.get(kconfigInt('CONFIG_RCU_FANOUT_LEAF', 16));
  const geo = rcu_init_geometry(nr, Math.min(fanout, 32), Math.min(leafFanout, 32), rcu_fanout_exact.get());
  const st = kapi.shmAlloc('rcu_state', S_WORDS, (reg) => {
    Atomics.store(reg.i32, reg.base + S_GP_SEQ, RCU_GP_SEQ_INIT);
    Atomics.store(reg.i32, reg.base + S_GP_SEQ_NEEDED, RCU_GP_SEQ_INIT);
  });
  const nodes = kapi.shmAlloc('rcu_node', geo.nodes.length * NODE_WORDS, (reg) => {
    for (const n of geo.nodes) {
      const b = reg.base + n.idx * NODE_WORDS;
      Atomics.store(reg.i32, b + N_GP_SEQ, RCU_GP_SEQ_INIT);
      let init = 0;
      if (n.isLeaf) {
        for (let c = n.grplo; c <= n.grphi; c++) init |= 1 << (c - n.grplo);
        Atomics.store(reg.i32, b + N_QSMASKINITNEXT, init);
      } else {
        for (const ch of geo.nodes) if (ch.parent === n.idx) init |= ch.grpmask;
      }
      Atomics.store(reg.i32, b + N_QSMASKINIT, init);
    }
  });
  const rdps = kapi.shmAlloc('rcu_data', nr * RDP_WORDS, (reg) => {
    for (let c = 0; c < nr; c++) {
      Atomics.store(reg.i32, reg.base + c * RDP_WORDS + D_DYNTICKS, 1);
      Atomics.store(reg.i32, reg.base + c * RDP_WORDS + D_RCU_ONLINE, 1);
    }
  });
  // rcu_init_one(): lockdep_set_class_and_name(&rnp->lock, &rcu_node_class[level], "rcu_node_<level>").
  const rcu_node_class = geo.levelCnt.map((_n, level) => kapi.lockClass(`rcu_node_${level}`, 'spinlock', LD_WAIT.SPIN));
  const locks = geo.nodes.map((n) => DEFINE_RAW_SPINLOCK(`rcu_node.lock.${n.idx}`, rcu_node_class[n.level]));
  const cblists: RcuSegCbList[] = [];
  for (let c = 0; c < nr; c++) {
    const reg = kapi.shmAlloc(`rcu_data.cblist.${c}`, rcu_segcblist_words(RCU_CBLIST_CAPACITY));
    cblists.push(new RcuSegCbList(reg.i32, reg.base, RCU_CBLIST_CAPACITY));
  }
  const preempt = kapi.config.preempt;
  const lostQsCpu = test_lost_qs_cpu.get();
  rcu = {
    geo,
    st,
    nodes,
    rdps,
    locks,
    cblists,

    preempt,
    name: preempt ? 'rcu_preempt' : 'rcu_sched',
    gpPreinitDelay: gp_preinit_delay.get(),
    gpInitDelay: gp_init_delay.get(),
    gpCleanupDelay: gp_cleanup_delay.get(),
    jiffiesTillNextFqs: jiffies_till_next_fqs.get(),
    brokenGp: test_broken_gp.get(),
    lostQsCpu,
    testLockInversion: test_lock_inversion.get(),
    testSleepUnderRcuNode: test_sleep_under_rcu_node.get(),
    testSkipMigrate: test_skip_migrate.get(),
    stall: undefined as unknown as RcuStall,
    barrierMutex: DEFINE_MUTEX('rcu_state.barrier_mutex'),
    expMutex: DEFINE_MUTEX('rcu_state.exp_mutex'),
    expWakeMutex: DEFINE_MUTEX('rcu_state.exp_wake_mutex'),
    barrierLock: DEFINE_RAW_SPINLOCK('rcu_state.barrier_lock'),
    lockMap: rcu_lockdep_init(),
    blkd: new WeakMap(),
    lastCoreGsOf: new Array<number>(nr).fill(RCU_GP_SEQ_INIT),
    gpTask: null,
  };
  rcu.stall = rcu_stall_init(rcu_stall_view(rcu));
  rcu_barrier_cb = rcu_callback('rcu_barrier_callback', rcu_barrier_callback);
  kapi.registerSchedHooks({
    contextSwitch: rcu_note_context_switch,
    idleEnter: rcu_idle_enter,
    idleExit: rcu_idle_exit,
    tick: rcu_sched_clock_irq,
  });
  kapi.openSoftirq('RCU_SOFTIRQ', rcu_core);
  cpuhp_setup_state_nocalls('CPUHP_RCUTREE_PREP', 'RCU/tree:prepare', rcutree_prepare_cpu, rcutree_dead_cpu);
  cpuhp_setup_state_nocalls('CPUHP_AP_RCUTREE_DYING', 'RCU/tree:dying', rcu_cpu_starting, rcutree_dying_cpu);
  if (cpu === 0) {
    kapi.printk(preempt ? 'rcu: Preemptible hierarchical RCU implementation.' : 'rcu: Hierarchical RCU implementation.');
    if (dump_tree.get()) for (const l of rcu_dump_rcu_node_tree(geo)) kapi.printk(l);
    rcu_spawn_gp_kthread();
  }
}

/** What tree_stall.ts reads: the shared state, by Atomics.load (diagnostic reads). */
function rcu_stall_view(r: RcuTree): RcuStallView {
  const i32 = kapi.shm;
  return {
    name: r.name,
    get cpu(): number {
      return kapi.smpProcessorId();
    },
    leaves: r.geo.nodes.filter((n) => n.isLeaf),
    leafOfCpu: r.geo.leafOfCpu,
    cpuGrpmask: r.geo.cpuGrpmask,
    gpSeq: () => Atomics.load(i32, sw(r, S_GP_SEQ)),
    gpFlags: () => rcutorture_get_gp_data().flags,
    gpStateIndex: () => Atomics.load(i32, sw(r, S_GP_STATE)),
    gpStateName: () => rcu_gp_state_name(),
    nodeGpSeq: (node: number) => Atomics.load(i32, nw(r, node, N_GP_SEQ)),
    qsmask: (node: number) => Atomics.load(i32, nw(r, node, N_QSMASK)),
    qsmaskinit: (node: number) => Atomics.load(i32, nw(r, node, N_QSMASKINIT)),
    qsmaskinitnext: (node: number) => Atomics.load(i32, nw(r, node, N_QSMASKINITNEXT)),
    dynticks: (cpu: number) => Atomics.load(i32, dw(r, cpu, D_DYNTICKS)),
    nForceQs: () => Atomics.load(i32, sw(r, S_N_FORCE_QS)),
    nCbs: (cpu: number) => (r.cblists[cpu] as RcuSegCbList).length(),
    gpKthreadCpu: 0,
    gpKthreadPid: () => Atomics.load(i32, sw(r, S_GP_KTHREAD_PID)),
    jiffiesTillNextFqs: r.jiffiesTillNextFqs,
  };
}

/** The flavour name: `rcu_preempt` or `rcu_sched` (also the GP kthread's comm). */
export function rcu_flavor_name(): string {
  return R().name;
}

/** rcu_num_nodes and friends, for boot messages and tests. */
export function rcu_geometry(): RcuGeometry {
  return R().geo;
}

/* ---------------- node locks ---------------- */

/*
 * The kernel takes an rcu_node lock with irqs disabled everywhere (raw_spin_lock_irqsave_rcu_node(),
 * or raw_spin_lock_rcu_node() where irqs are already off); the model uses the irqsave form at
 * every site, which is the same to lockdep and to the preempt count.
 */

/** raw_spin_lock_irqsave_rcu_node(): returns the flags for the matching unlock. */
function raw_spin_lock_irqsave_rcu_node(r: RcuTree, node: number): number {
  return raw_spin_lock_irqsave(r.locks[node] as RawSpinlock);
}

function raw_spin_unlock_irqrestore_rcu_node(r: RcuTree, node: number, flags: number): void {
  raw_spin_unlock_irqrestore(r.locks[node] as RawSpinlock, flags);
}

function shape(r: RcuTree, node: number): RcuNodeShape {
  return r.geo.nodes[node] as RcuNodeShape;
}

/* ---------------- QS reporting ---------------- */

/** rcu_report_qs_rsp(): the root has no more QSes to wait for: wake the GP kthread. */
function rcu_report_qs_rsp(r: RcuTree): void {
  // raw_lockdep_assert_held_rcu_node(rcu_get_root()): node 0 is the root (rcu_node_tree.ts).
  lockdep_assert_held((r.locks[0] as RawSpinlock).dep_map);
  WARN_ON_ONCE(!rcu_gp_in_progress(r));
  kapi.wakeUp(wq(sw(r, S_GP_WQ))); // pairs with the waitEvent in rcu_gp_fqs_loop()
}

/**
 * rcu_report_qs_rnp(): clear `mask` in `node` for the GP `gps` and, when the node has nothing
 * left to wait for (no bits, no blocking readers), report the node to its parent, up to the root.
 * A report for another GP (the node's gp_seq differs) is stale and dropped. mask 0 only
 * propagates an already-empty node.
 */
function rcu_report_qs_rnp(r: RcuTree, mask: number, node: number, gps: number): void {
  const i32 = kapi.shm;
  for (;;) {
    const nflags = raw_spin_lock_irqsave_rcu_node(r, node);
    const qsmask = i32[nw(r, node, N_QSMASK)] ?? 0;
    if ((mask !== 0 && (qsmask & mask) === 0) || (i32[nw(r, node, N_GP_SEQ)] ?? 0) !== gps) {
      raw_spin_unlock_irqrestore_rcu_node(r, node, nflags);
      return;
    }
    // Only leaves queue blocked readers (rcu_preempt_blocked_readers_cgp() of an inner node).
    WARN_ON_ONCE(!shape(r, node).isLeaf && (i32[nw(r, node, N_GP_TASKS)] ?? 0) !== 0);
    const left = qsmask & ~mask;
    // Pairs with the lock-free loads of qsmask in rcu_qs() and rcu_gp_done().
    Atomics.store(i32, nw(r, node, N_QSMASK), left);
    if (left !== 0 || (i32[nw(r, node, N_GP_TASKS)] ?? 0) !== 0) {
      raw_spin_unlock_irqrestore_rcu_node(r, node, nflags);
      return;
    }
    const sh = shape(r, node);
    if (sh.parent < 0) {
      // Under the root's lock, as the kernel's: rcu_gp_cleanup() cannot end the GP meanwhile.
      rcu_report_qs_rsp(r);
      raw_spin_unlock_irqrestore_rcu_node(r, node, nflags);
      return;
    }
    raw_spin_unlock_irqrestore_rcu_node(r, node, nflags);
    mask = sh.grpmask;
    node = sh.parent;
  }
}

/** rcu_qs() + rcu_report_qs_rdp(): this CPU is quiescent now; report if the GP waits for it. */
function rcu_qs(r: RcuTree): void {
  if (lostQs(r)) return;
  // Lock-free peek: pairs with the Atomics.store of qsmask in rcu_gp_init().
  if ((Atomics.load(kapi.shm, nw(r, myLeaf(r), N_QSMASK)) & myMask(r)) === 0) return;
  const gps = Atomics.load(kapi.shm, nw(r, myLeaf(r), N_GP_SEQ));
  if (rcu_seq_state(gps) === 0) return;
  rcu_report_qs_rnp(r, myMask(r), myLeaf(r), gps);
}

/**
 * rcu_preempt_ctxt_queue(): a task switched out inside a read-side critical section (PREEMPT=y).
 * It blocks the current GP if this CPU has not reported its QS for it yet, and every later GP
 * until it leaves its critical section.
 */
function rcu_preempt_ctxt_queue(r: RcuTree, t: TaskRef): void {
  const i32 = kapi.shm;
  const leaf = myLeaf(r);
  const nflags = raw_spin_lock_irqsave_rcu_node(r, leaf);
  const gps = i32[nw(r, leaf, N_GP_SEQ)] ?? 0;
  const inGp = rcu_seq_state(gps) !== 0;
  const blocksCurrent = inGp && ((i32[nw(r, leaf, N_QSMASK)] ?? 0) & myMask(r)) !== 0;
  Atomics.add(i32, nw(r, leaf, N_BLKD), 1);
  covPart(COV.rcu_blkd_queued, leaf - (r.geo.leafOfCpu[0] ?? 0)); // the leaf's ordinal
  if (blocksCurrent && r.brokenGp !== 2) Atomics.add(i32, nw(r, leaf, N_GP_TASKS), 1);
  if (blocksCurrent) cov(COV.rcu_reader_blocks_gp);
  raw_spin_unlock_irqrestore_rcu_node(r, leaf, nflags);
  const ctr = rcu_seq_ctr(gps);
  r.blkd.set(t, { firstGp: blocksCurrent || !inGp ? ctr : ctr + 1, node: leaf });
}

/** rcu_read_unlock_special(): a blocked reader left its critical section. */
function rcu_read_unlock_special(r: RcuTree, t: TaskRef, b: BlockedReader): void {
  const i32 = kapi.shm;
  r.blkd.delete(t);
  // The node it was queued on (t->rcu_blocked_node): the task may have migrated since.
  const leaf = b.node;
  const nflags = raw_spin_lock_irqsave_rcu_node(r, leaf);
  Atomics.sub(i32, nw(r, leaf, N_BLKD), 1);
  covPart(COV.rcu_blkd_dequeued, leaf - (r.geo.leafOfCpu[0] ?? 0));
  const gps = i32[nw(r, leaf, N_GP_SEQ)] ?? 0;
  let report = false;
  if (r.brokenGp !== 2 && rcu_seq_state(gps) !== 0 && ULONG_CMP_GE(rcu_seq_ctr(gps), b.firstGp)) {
    const left = Atomics.sub(i32, nw(r, leaf, N_GP_TASKS), 1) - 1;
    report = left === 0 && (i32[nw(r, leaf, N_QSMASK)] ?? 0) === 0;
  }
  raw_spin_unlock_irqrestore_rcu_node(r, leaf, nflags);
  // rcu_report_unblock_qs_rnp(): the leaf is now empty for this GP; report it upward.
  if (report) rcu_report_qs_rnp(r, 0, leaf, gps);
}

/* ---------------- scheduler hooks ---------------- */

/** rcu_note_context_switch(): a context switch is a QS; a preempted reader becomes blocked. */
function rcu_note_context_switch(prev: TaskRef, rcuDepth: number): void {
  const r = rcu;
  if (r === null) return;
  if (r.preempt && rcuDepth > 0 && !r.blkd.has(prev)) rcu_preempt_ctxt_queue(r, prev);
  rcu_qs(r);
}

/** rcu_idle_enter(): dynticks becomes even (an extended QS) and the QS is reported at once. */
function rcu_idle_enter(): void {
  const r = rcu;
  if (r === null) return;
  // Pairs with the Atomics.load in rcu_gp_fqs() on the GP kthread's CPU.
  if (!lostQs(r)) Atomics.add(kapi.shm, dw(r, kapi.smpProcessorId(), D_DYNTICKS), 1);
  rcu_qs(r);
}

/** rcu_idle_exit(): dynticks becomes odd; serve barrier requests and ready callbacks. */
function rcu_idle_exit(): void {
  const r = rcu;
  if (r === null) return;
  if (!lostQs(r)) Atomics.add(kapi.shm, dw(r, kapi.smpProcessorId(), D_DYNTICKS), 1);
  rcu_stall_cpu_awake(r.stall);
  rcu_check_ipi(r);
  if (rcu_pending(r)) kapi.raiseSoftirq('RCU_SOFTIRQ');
}

/** rcu_sched_clock_irq(): the tick (hardirq): stall check, IPI emulation and rcu_pending(). */
function rcu_sched_clock_irq(): void {
  const r = rcu;
  if (r === null) return;
  rcu_stall_tick(r.stall);
  rcu_check_ipi(r);
  if (rcu_pending(r)) kapi.raiseSoftirq('RCU_SOFTIRQ');
}

/** rcu_pending(): callbacks may have become ready since rcu_core() last looked. */
function rcu_pending(r: RcuTree): boolean {
  const l = r.cblists[kapi.smpProcessorId()] as RcuSegCbList;
  if (l.length() === 0) return false;
  return Atomics.load(kapi.shm, sw(r, S_GP_SEQ)) !== (r.lastCoreGsOf[kapi.smpProcessorId()] ?? RCU_GP_SEQ_INIT) || l.readyCbs();
}

/* ---------------- callbacks ---------------- */

function myList(r: RcuTree): RcuSegCbList {
  return r.cblists[kapi.smpProcessorId()] as RcuSegCbList;
}

/** rcu_accelerate_cbs() + rcu_start_this_gp(): give new callbacks a GP and request it. */
function rcu_accelerate_cbs(r: RcuTree, l: RcuSegCbList): void {
  const s = rcu_seq_snap(Atomics.load(kapi.shm, sw(r, S_GP_SEQ)));
  if (l.accelerate(s)) rcu_start_this_gp(r, s);
  if (l.length() > 0) kapi.waitQueueIpi(wq(sw(r, S_CB_WAKE_WQ)), true);
}

/**
 * call_rcu(): invoke `func(arg)` after a full GP, in softirq context on this CPU (or on the CPU
 * that adopts this CPU's callbacks if it goes offline first).
 */
export function call_rcu(arg: number, func: RcuCallback): void {
  const r = R();
  const l = myList(r);
  if (!l.enqueue(func.id, arg)) {
    WARN(true, `rcu: callback list of CPU ${kapi.smpProcessorId()} overflowed (${l.capacity} callbacks)`);
    return;
  }
  rcu_accelerate_cbs(r, l);
}

/** rcu_core(): RCU_SOFTIRQ: advance the callback list to the current GP and invoke what is done. */
function rcu_core(): void {
  const r = rcu;
  if (r === null) return;
  const i32 = kapi.shm;
  const l = myList(r);
  rcu_stall_note_softirq(r.stall);
  const gs = Atomics.load(i32, sw(r, S_GP_SEQ));
  r.lastCoreGsOf[kapi.smpProcessorId()] = gs;
  l.advance(gs);
  rcu_accelerate_cbs(r, l);
  if (!l.readyCbs()) {
    if (l.length() === 0) kapi.waitQueueIpi(wq(sw(r, S_CB_WAKE_WQ)), false);
    return;
  }
  rcu_do_batch(r, l);
}

/** rcu_do_batch(): invoke the DONE callbacks. */
function rcu_do_batch(r: RcuTree, l: RcuSegCbList): void {
  const i32 = kapi.shm;
  WARN_ON_ONCE(!kapi.cpuOnline(kapi.smpProcessorId()));
  // The extracted callbacks still count in the length until they are invoked (add_len below):
  // rcu_barrier() reading zero means they ran.
  const done = l.extractDone();
  for (const cb of done) {
    const f = rcu_callback_lookup(cb.fn);
    if (f === undefined) WARN(true, `rcu: unknown callback id ${cb.fn} on CPU ${kapi.smpProcessorId()}`);
    else f.fn(cb.arg);
  }
  Atomics.add(i32, dw(r, kapi.smpProcessorId(), D_N_CBS_INVOKED), done.length);
  l.addLen(-done.length); // rcu_segcblist_add_len(-count); pairs with the length() in rcu_barrier()
  if (l.length() === 0) kapi.waitQueueIpi(wq(sw(r, S_CB_WAKE_WQ)), false);
}

/**
 * rcutree_migrate_callbacks(): adopt a dead CPU's callbacks (control CPU, task context). Under
 * barrier_lock: a barrier in progress that has not reached `cpu` yet gets its callback entrained
 * behind `cpu`'s callbacks first, so that it moves with them.
 */
export function rcutree_migrate_callbacks(cpu: number): void {
  const r = R();
  const i32 = kapi.shm;
  const src = r.cblists[cpu] as RcuSegCbList;
  const bflags = raw_spin_lock_irqsave(r.barrierLock);
  if (src.length() === 0) {
    raw_spin_unlock_irqrestore(r.barrierLock, bflags);
    return; // No callbacks to migrate.
  }
  WARN_ON_ONCE(Atomics.load(i32, dw(r, cpu, D_RCU_ONLINE)) !== 0);
  cov(COV.rcu_cb_migrate);
  const active = Atomics.load(i32, sw(r, S_BARRIER_ACTIVE));
  if (active !== 0 && Atomics.load(i32, dw(r, cpu, D_BARRIER_ACK)) !== active) rcu_barrier_entrain(r, cpu, active);
  // The kernel's order: barrier_lock, then this CPU's leaf (irqs already off), released in the
  // other order once the lists are merged.
  const my_rnp = r.locks[myLeaf(r)] as RawSpinlock;
  raw_spin_lock(my_rnp);
  const l = myList(r);
  // rcu_segcblist_merge(); skipped by the planted rcutree.test_skip_migrate=1.
  let moved = 0;
  if (!r.testSkipMigrate) {
    const cbs = src.extractAll();
    src.setLen(0); // rcu_segcblist_merge(): barrier_lock excludes rcu_barrier() here
    for (const cb of cbs) {
      if (!l.enqueue(cb.fn, cb.arg)) {
        WARN(true, `rcu: callback list of CPU ${kapi.smpProcessorId()} overflowed while adopting CPU ${cpu}'s`);
        break;
      }
      moved++;
    }
  }
  raw_spin_unlock(r.barrierLock); // irqs remain disabled
  rcu_accelerate_cbs(r, l);
  raw_spin_unlock(my_rnp);
  if (bflags === 0) kapi.localIrqEnable();
  lockdep_assert_irqs_enabled();
  if (moved > 0) {
    Atomics.add(i32, sw(r, S_N_CBS_ADOPTED), moved);
    Atomics.add(i32, sw(r, S_N_CPUS_ADOPTED), 1);
  }
  const left = src.length();
  WARN_ONCE(left !== 0, `rcu_cleanup_dead_cpu: Callbacks on offline CPU ${cpu}: qlen=${left}, 1stCB=${left !== 0 ? first_cb_ptr(src) : '0000000000000000'}`);
}

/** %p of a list's first callback: the hashed address of its ring entry, as the kernel hashes %p. */
function first_cb_ptr(l: RcuSegCbList): string {
  const h = fnv1a(`rcu_head.${l.head()}.${l.firstEntryAddr()}`);
  return h.toString(16).padStart(16, '0');
}

/** What rcutree_migrate_callbacks() has done since boot: callbacks adopted, CPUs they came from. */
export function rcutree_migrate_stats(): { adopted: number; cpus: number } {
  const r = R();
  return { adopted: Atomics.load(kapi.shm, sw(r, S_N_CBS_ADOPTED)), cpus: Atomics.load(kapi.shm, sw(r, S_N_CPUS_ADOPTED)) };
}

/* ---------------- grace-period requests ---------------- */

/** rcu_start_this_gp(): make sure the GP ending at `s` will happen. */
function rcu_start_this_gp(r: RcuTree, s: number): void {
  const i32 = kapi.shm;
  const w = sw(r, S_GP_SEQ_NEEDED);
  for (;;) {
    const cur = Atomics.load(i32, w);
    if (ULONG_CMP_GE(cur, s)) return;
    if (Atomics.compareExchange(i32, w, cur, s) === cur) break;
  }
  kapi.wakeUp(wq(sw(r, S_GP_WQ))); // pairs with the waitEvent in rcu_gp_kthread()
}

function rcu_gp_in_progress(r: RcuTree): boolean {
  return rcu_seq_state(Atomics.load(kapi.shm, sw(r, S_GP_SEQ))) !== 0;
}

/** rcu_get_gp_seq(). */
export function rcu_get_gp_seq(): number {
  return Atomics.load(kapi.shm, sw(R(), S_GP_SEQ));
}

/** Grace periods completed since boot. */
export function rcu_gp_count(): number {
  const completed = rcu_get_gp_seq() & ~((1 << RCU_SEQ_CTR_SHIFT) - 1);
  return ((completed - RCU_GP_SEQ_INIT) | 0) >> RCU_SEQ_CTR_SHIFT;
}

/** rcutorture_get_gp_data(): flags (1 when a GP is wanted) and gp_seq. */
export function rcutorture_get_gp_data(): { flags: number; gp_seq: number } {
  const r = R();
  const gs = Atomics.load(kapi.shm, sw(r, S_GP_SEQ));
  const need = Atomics.load(kapi.shm, sw(r, S_GP_SEQ_NEEDED));
  return { flags: ULONG_CMP_LT(gs, need) ? 1 : 0, gp_seq: gs };
}

/**
 * The kernel's rcu_data.rcu_urgent_qs, as this CPU's tick would see it: the current GP still waits
 * for this CPU and is older than jiffies_to_sched_qs (HZ/10 here), so the kernel's tick would set
 * need_resched on the running task (rcu_sched_clock_irq()). The model's tick does not, so code
 * that hides cond_resched() behind need_resched() asks this too (rcutorture's fwd_prog_nr).
 */
export function rcu_urgent_qs(): boolean {
  const r = R();
  const i32 = kapi.shm;
  if (!rcu_gp_in_progress(r) || (Atomics.load(i32, nw(r, myLeaf(r), N_QSMASK)) & myMask(r)) === 0) return false;
  return kapi.jiffies() - Atomics.load(i32, sw(r, S_GP_START_J)) > HZ / 10;
}

/** rcu_jiffies_till_stall_check() of this guest: the stall timeout in jiffies (rcutorture's ->stall_dur()). */
export function rcu_stall_dur(): number {
  return R().stall.tillStallJ;
}

/** The GP kthread's state, for writer-stall messages. */
export function rcu_gp_state_name(): RcuGpState {
  return RCU_GP_STATES[Atomics.load(kapi.shm, sw(R(), S_GP_STATE))] ?? 'RCU_GP_IDLE';
}

/* ---------------- the grace-period kthread ---------------- */

function setGpState(r: RcuTree, s: RcuGpState): void {
  Atomics.store(kapi.shm, sw(r, S_GP_STATE), RCU_GP_STATES.indexOf(s));
  rcu_gp_activity(r.stall);
}

function expedited(r: RcuTree): boolean {
  return Atomics.load(kapi.shm, sw(r, S_EXP_REQ)) > 0;
}

/**
 * rcu_gp_slow_register(): rcutorture's forward-progress tests suppress the debug delays while they
 * run (the kernel registers its rcu_fwd_cb_nodelay atomic); here the shm word at `index`, nonzero
 * while a test runs. Registered on every CPU (the GP kthread's CPU reads its own module's copy).
 */
let gpSlowSuppress = -1;
export function rcu_gp_slow_register(index: number): void {
  gpSlowSuppress = index;
}

/** rcu_gp_slow_unregister(). */
export function rcu_gp_slow_unregister(): void {
  gpSlowSuppress = -1;
}

/** rcu_gp_slow(): the debug delay, in one GP out of (nodes * 3 * delay). */
async function rcu_gp_slow(r: RcuTree, delay: number): Promise<void> {
  if (delay <= 0 || expedited(r)) return;
  // Pairs with rcutorture's Atomics.add/sub of its nodelay word around a forward-progress test.
  if (gpSlowSuppress >= 0 && Atomics.load(kapi.shm, gpSlowSuppress) !== 0) return;
  const ctr = rcu_seq_ctr(Atomics.load(kapi.shm, sw(r, S_GP_SEQ)));
  const period = r.geo.nodes.length * PER_RCU_NODE_PERIOD * delay;
  if (((ctr % period) + period) % period === 0) await kapi.scheduleTimeout(delay);
}

/** Propagate a leaf's (non-)emptiness into its ancestors' qsmaskinit. Caller holds no lock. */
function rcu_propagate_qsmaskinit(r: RcuTree, node: number, nonEmpty: boolean): void {
  const i32 = kapi.shm;
  let child = shape(r, node);
  while (child.parent >= 0) {
    const p = child.parent;
    const nflags = raw_spin_lock_irqsave_rcu_node(r, p);
    const old = i32[nw(r, p, N_QSMASKINIT)] ?? 0;
    const now = nonEmpty ? old | child.grpmask : old & ~child.grpmask;
    Atomics.store(i32, nw(r, p, N_QSMASKINIT), now);
    raw_spin_unlock_irqrestore_rcu_node(r, p, nflags);
    if ((old === 0) === (now === 0)) return;
    child = shape(r, p);
  }
}

/** rcu_gp_init(): start a GP: hotplug state into qsmaskinit, then every node breadth first. */
async function rcu_gp_init(r: RcuTree): Promise<number> {
  const i32 = kapi.shm;
  WARN_ON_ONCE(rcu_gp_in_progress(r));
  setGpState(r, 'RCU_GP_ONOFF');
  const gp = rcu_seq_start(Atomics.load(i32, sw(r, S_GP_SEQ)));
  // Stall times before gp_seq says the GP started: check_cpu_stall() reads them the other way.
  record_gp_stall_check_time(r.stall);
  Atomics.store(i32, sw(r, S_GP_SEQ), gp);
  Atomics.store(i32, sw(r, S_GP_START_J), kapi.jiffies());
  for (const n of r.geo.nodes) {
    if (!n.isLeaf) continue;
    await rcu_gp_slow(r, r.gpPreinitDelay);
    const nflags = raw_spin_lock_irqsave_rcu_node(r, n.idx);
    const old = i32[nw(r, n.idx, N_QSMASKINIT)] ?? 0;
    const next = Atomics.load(i32, nw(r, n.idx, N_QSMASKINITNEXT));
    const hasTasks = (i32[nw(r, n.idx, N_BLKD)] ?? 0) > 0;
    Atomics.store(i32, nw(r, n.idx, N_QSMASKINIT), next);
    // The kernel's order: a leaf that just became empty but still has blocked readers (tasks
    // migrate away from offline CPUs in their critical sections) waits for them in the tree
    // (->wait_blkd_tasks); one that became empty without them leaves it (rcu_cleanup_dead_rnp()).
    let propagate: boolean | null = null;
    if ((old === 0) !== (next === 0)) {
      if (old === 0) propagate = true;
      else if (hasTasks) Atomics.store(i32, nw(r, n.idx, N_WAIT_BLKD), 1);
      else propagate = false;
    }
    if ((i32[nw(r, n.idx, N_WAIT_BLKD)] ?? 0) !== 0 && (!hasTasks || next !== 0)) {
      Atomics.store(i32, nw(r, n.idx, N_WAIT_BLKD), 0);
      if (next === 0) propagate = false;
    }
    raw_spin_unlock_irqrestore_rcu_node(r, n.idx, nflags);
    if (propagate !== null) rcu_propagate_qsmaskinit(r, n.idx, propagate);
  }
  setGpState(r, 'RCU_GP_INIT');
  for (const n of r.geo.nodes) {
    if (!r.testSleepUnderRcuNode) await rcu_gp_slow(r, r.gpInitDelay);
    const nflags = raw_spin_lock_irqsave_rcu_node(r, n.idx);
    // Planted bug (rcutree.test_sleep_under_rcu_node=1): the debug delay moved under the lock.
    if (r.testSleepUnderRcuNode) await rcu_gp_slow(r, r.gpInitDelay);
    if (n.isLeaf) Atomics.store(i32, nw(r, n.idx, N_GP_TASKS), r.brokenGp === 2 ? 0 : (i32[nw(r, n.idx, N_BLKD)] ?? 0));
    Atomics.store(i32, nw(r, n.idx, N_QSMASK), i32[nw(r, n.idx, N_QSMASKINIT)] ?? 0);
    // gp_seq last: a CPU that sees the new gp_seq also sees its qsmask bit (rcu_qs()).
    Atomics.store(i32, nw(r, n.idx, N_GP_SEQ), gp);
    raw_spin_unlock_irqrestore_rcu_node(r, n.idx, nflags);
  }
  // Leaves that wait for nothing (no online CPU, no blocked reader) report themselves now.
  for (const n of r.geo.nodes) {
    if (n.isLeaf && Atomics.load(i32, nw(r, n.idx, N_QSMASK)) === 0 && Atomics.load(i32, nw(r, n.idx, N_GP_TASKS)) === 0) {
      rcu_report_qs_rnp(r, 0, n.idx, gp);
    }
  }
  return gp;
}

/** All QSes in: the root waits for nothing. */
function rcu_gp_done(r: RcuTree): boolean {
  return Atomics.load(kapi.shm, nw(r, 0, N_QSMASK)) === 0 && Atomics.load(kapi.shm, nw(r, 0, N_GP_TASKS)) === 0;
}

/**
 * rcu_gp_fqs(): force quiescent states: a waiting CPU whose dynticks counter is even (idle or
 * offline) or has moved since the first scan of this GP has passed a QS; so has an offline CPU.
 */
function rcu_gp_fqs(r: RcuTree, gp: number, first: boolean): void {
  const i32 = kapi.shm;
  Atomics.add(i32, sw(r, S_N_FORCE_QS), 1);
  cov(COV.rcu_fqs_round);
  for (const n of r.geo.nodes) {
    if (!n.isLeaf) continue;
    const waiting = Atomics.load(i32, nw(r, n.idx, N_QSMASK));
    if (waiting === 0) continue;
    const online = Atomics.load(i32, nw(r, n.idx, N_QSMASKINITNEXT));
    let qs = 0;
    for (let m = waiting; m !== 0; m &= m - 1) {
      const bit = m & -m;
      const cpu = n.grplo + 31 - Math.clz32(bit);
      const d = Atomics.load(i32, dw(r, cpu, D_DYNTICKS));
      if (first) {
        Atomics.store(i32, dw(r, cpu, D_DYNTICKS_SNAP), d);
        if ((d & 1) === 0 || (online & bit) === 0) qs |= bit;
      } else if ((d & 1) === 0 || d !== Atomics.load(i32, dw(r, cpu, D_DYNTICKS_SNAP)) || (online & bit) === 0) {
        qs |= bit;
      }
    }
    if (qs !== 0) rcu_report_qs_rnp(r, qs, n.idx, gp);
  }
}

/** rcu_gp_fqs_loop(): wait for the QSes, scanning every jiffies_till_next_fqs. */
async function rcu_gp_fqs_loop(r: RcuTree, gp: number): Promise<void> {
  let first = true;
  while (!rcu_gp_done(r)) {
    if (first) {
      setGpState(r, 'RCU_GP_DOING_FQS');
      rcu_gp_fqs(r, gp, true);
      first = false;
      continue;
    }
    setGpState(r, 'RCU_GP_WAIT_FQS');
    const j = expedited(r) ? 1 : r.jiffiesTillNextFqs;
    rcu_stall_fqs_wait(r.stall, j);
    // swait_event_idle_timeout_exclusive(): TASK_IDLE, not a hung-task candidate. A forced
    // scan (rcu_gp_fqs_check_wake()'s RCU_GP_FLAG_FQS) ends the wait early.
    await kapi.waitEventInterruptible(wq(sw(r, S_GP_WQ)), () => rcu_gp_done(r) || Atomics.load(kapi.shm, sw(r, S_GP_FLAG_FQS)) !== 0, j);
    await rcu_gp_torture_wait(r);
    // Pairs with the store in rcu_force_quiescent_state(): this scan serves that request.
    Atomics.store(kapi.shm, sw(r, S_GP_FLAG_FQS), 0);
    if (!rcu_gp_done(r)) {
      setGpState(r, 'RCU_GP_DOING_FQS');
      rcu_gp_fqs(r, gp, false);
    }
  }
}

/** rcu_gp_set_torture_wait(): the GP kthread sleeps `duration` jiffies at its next wait (rcutorture's stall_gp_kthread). */
export function rcu_gp_set_torture_wait(duration: number): void {
  if (duration > 0) Atomics.store(kapi.shm, sw(R(), S_TORTURE_WAIT), duration);
}

/** rcu_gp_torture_wait(): take the requested sleep, if any (TASK_IDLE: no hung-task candidate). */
async function rcu_gp_torture_wait(r: RcuTree): Promise<void> {
  const duration = Atomics.exchange(kapi.shm, sw(r, S_TORTURE_WAIT), 0);
  if (duration <= 0) return;
  kapi.printk(`rcu_gp_torture_wait: Waiting ${duration} jiffies`);
  // Nobody wakes this queue: a timed idle sleep (the state and gp_activity stay as they were).
  await kapi.waitEventInterruptible(wq(sw(r, S_TORTURE_WAIT)), () => false, duration);
  kapi.printk('rcu_gp_torture_wait: Wait complete');
}

/**
 * rcu_force_quiescent_state(): ask the GP kthread for a force-quiescent-state scan now
 * (rcutorture's ->fqs). No effect without a GP in progress, as the kernel's.
 */
export function rcu_force_quiescent_state(): void {
  const r = R();
  if (!rcu_gp_in_progress(r)) return;
  if (Atomics.exchange(kapi.shm, sw(r, S_GP_FLAG_FQS), 1) !== 0) return; // Someone beat us to it.
  kapi.wakeUp(wq(sw(r, S_GP_WQ))); // pairs with the waitEvent in rcu_gp_fqs_loop()
}

/** rcu_gp_cleanup(): end the GP: every node's gp_seq, then rcu_state's; wake the waiters. */
async function rcu_gp_cleanup(r: RcuTree, gp: number): Promise<void> {
  const i32 = kapi.shm;
  setGpState(r, 'RCU_GP_CLEANUP');
  const newgp = rcu_seq_end(gp);
  for (const n of r.geo.nodes) {
    const nflags = raw_spin_lock_irqsave_rcu_node(r, n.idx);
    WARN_ON_ONCE((i32[nw(r, n.idx, N_GP_TASKS)] ?? 0) !== 0);
    WARN_ON_ONCE((i32[nw(r, n.idx, N_QSMASK)] ?? 0) !== 0);
    Atomics.store(i32, nw(r, n.idx, N_GP_SEQ), newgp);
    raw_spin_unlock_irqrestore_rcu_node(r, n.idx, nflags);
    await rcu_gp_slow(r, r.gpCleanupDelay);
  }
  // Pairs with the loads of gp_seq in the synchronize_rcu()/poll conditions and rcu_pending().
  Atomics.store(i32, sw(r, S_GP_SEQ), newgp);
  setGpState(r, 'RCU_GP_CLEANED');
  kapi.wakeUp(wq(sw(r, S_GP_DONE_WQ)));
  kapi.wakeUp(wq(sw(r, S_CB_WAKE_WQ)));
  kapi.wakeUp(wq(sw(r, S_BARRIER_WQ)));
}

function rcu_gp_needed(r: RcuTree): boolean {
  return ULONG_CMP_LT(Atomics.load(kapi.shm, sw(r, S_GP_SEQ)), Atomics.load(kapi.shm, sw(r, S_GP_SEQ_NEEDED)));
}

/** rcu_gp_kthread(): the body of rcu_preempt / rcu_sched. Never exits. */
async function rcu_gp_kthread(): Promise<void> {
  const r = R();
  for (;;) {
    setGpState(r, 'RCU_GP_WAIT_GPS');
    await kapi.waitEventInterruptible(wq(sw(r, S_GP_WQ)), () => rcu_gp_needed(r)); // swait_event_idle_exclusive()
    await rcu_gp_torture_wait(r);
    setGpState(r, 'RCU_GP_DONE_GPS');
    const gp = await rcu_gp_init(r);
    if (r.brokenGp !== 1) await rcu_gp_fqs_loop(r, gp);
    await rcu_gp_cleanup(r, gp);
  }
}

function rcu_spawn_gp_kthread(): void {
  const r = R();
  r.gpTask = kapi.kthreadRun(rcu_gp_kthread, r.name);
  Atomics.store(kapi.shm, sw(r, S_GP_KTHREAD_PID), r.gpTask.pid);
}

/* ---------------- readers ---------------- */

/** rcu_read_lock(): enter a read-side critical section (lockdep: outermost level only). */
export function rcu_read_lock(): void {
  // One kapi call for the nesting and rcu_lock_map's acquisition: one current-task look-up.
  kapi.rcuReadLockAcquire(R().lockMap);
}

/** rcu_read_unlock(): leave it; a reader that was preempted inside it stops blocking GPs. */
export function rcu_read_unlock(): void {
  const r = R();
  if (kapi.rcuReadUnlockRelease(r.lockMap) === 0 && r.preempt && kapi.inTask()) {
    const t = kapi.current();
    const b = r.blkd.get(t);
    if (b !== undefined) rcu_read_unlock_special(r, t, b);
  }
}

/** rcu_preempt_has_tasks() of this CPU's leaf rcu_node: readers preempted inside their critical sections are queued there. */
export function rcu_preempt_has_tasks(): boolean {
  const r = R();
  return Atomics.load(kapi.shm, nw(r, myLeaf(r), N_BLKD)) > 0;
}

/**
 * rcu_all_qs(): cond_resched()'s report: the running task is not in a reader and every reader of
 * this CPU that was switched out inside one is queued as blocked, so the CPU is quiescent now.
 */
export function rcu_all_qs(): void {
  const r = rcu;
  if (r === null || kapi.rcuReadDepth() > 0) return;
  rcu_qs(r);
}

/* ---------------- updaters ---------------- */


/** rcu_blocking_is_gp(): with one online CPU and no preemption, blocking is a GP. */
function rcu_blocking_is_gp(r: RcuTree): boolean {
  if (r.preempt) return false;
  return kapi.numOnlineCpus() <= 1;
}

async function wait_for_gp_seq(r: RcuTree, s: number): Promise<void> {
  const i32 = kapi.shm;
  const w = sw(r, S_GP_SEQ);
  await kapi.waitEvent(wq(sw(r, S_GP_DONE_WQ)), () => rcu_seq_done(Atomics.load(i32, w), s));
}

/** synchronize_rcu(): wait for a full GP. */
export async function synchronize_rcu(): Promise<void> {
  const r = R();
  RCU_LOCKDEP_WARN(rcu_lock_maps_held(), 'Illegal synchronize_rcu() in RCU read-side critical section');
  if (rcu_blocking_is_gp(r)) return;
  const s = rcu_seq_snap(Atomics.load(kapi.shm, sw(r, S_GP_SEQ)));
  rcu_start_this_gp(r, s);
  await wait_for_gp_seq(r, s);
}

/**
 * synchronize_rcu_expedited(): a GP without the debug delays, scanned every jiffy. The request is
 * made under rcu_state.exp_mutex, as the kernel's exp_funnel_lock() (a caller whose GP completed
 * while it waited for the mutex returns at once, as sync_exp_work_done()), and the wake-up side
 * takes exp_wake_mutex nested inside it (rcu_exp_wait_wake()). Departure: the kernel holds
 * exp_mutex across the wait too; here a task holding a lock keeps its CPU from its hotplug safe
 * point, so a mutex held across every expedited GP would hold up CPU hotplug for as long.
 */
export async function synchronize_rcu_expedited(): Promise<void> {
  const r = R();
  RCU_LOCKDEP_WARN(rcu_lock_maps_held(), 'Illegal synchronize_rcu_expedited() in RCU read-side critical section');
  if (rcu_blocking_is_gp(r)) return;
  const i32 = kapi.shm;
  const s = rcu_seq_snap(Atomics.load(i32, sw(r, S_GP_SEQ)));
  await mutex_lock(r.expMutex);
  if (rcu_seq_done(Atomics.load(i32, sw(r, S_GP_SEQ)), s)) {
    mutex_unlock(r.expMutex);
    return;
  }
  Atomics.add(i32, sw(r, S_EXP_REQ), 1);
  cov(COV.rcu_exp_gp);
  rcu_start_this_gp(r, s);
  kapi.wakeUp(wq(sw(r, S_GP_WQ)));
  await mutex_lock(r.expWakeMutex);
  mutex_unlock(r.expWakeMutex);
  mutex_unlock(r.expMutex);
  try {
    await wait_for_gp_seq(r, s);
  } finally {
    Atomics.sub(i32, sw(r, S_EXP_REQ), 1);
  }
}

/** get_state_synchronize_rcu(): a cookie for poll_state_synchronize_rcu(). */
export function get_state_synchronize_rcu(): number {
  return rcu_seq_snap(Atomics.load(kapi.shm, sw(R(), S_GP_SEQ)));
}

/** start_poll_synchronize_rcu(): a cookie, and make sure its GP will happen. */
export function start_poll_synchronize_rcu(): number {
  const r = R();
  const s = rcu_seq_snap(Atomics.load(kapi.shm, sw(r, S_GP_SEQ)));
  rcu_start_this_gp(r, s);
  return s;
}

/** poll_state_synchronize_rcu(): has a full GP elapsed since the cookie was taken? */
export function poll_state_synchronize_rcu(oldstate: number): boolean {
  return rcu_seq_done(Atomics.load(kapi.shm, sw(R(), S_GP_SEQ)), oldstate);
}

/** cond_synchronize_rcu(): synchronize_rcu() unless a GP already elapsed since the cookie. */
export async function cond_synchronize_rcu(oldstate: number): Promise<void> {
  if (!poll_state_synchronize_rcu(oldstate)) await synchronize_rcu();
}

/* ---------------- rcu_barrier ---------------- */

let rcu_barrier_cb: RcuCallback | null = null;

function rcu_barrier_callback(): void {
  const r = R();
  if (Atomics.sub(kapi.shm, sw(r, S_BARRIER_COUNT), 1) === 1) kapi.wakeUp(wq(sw(r, S_BARRIER_WQ)));
}

/**
 * rcu_barrier_entrain(): put a barrier callback behind `cpu`'s callbacks and mark `cpu` done for
 * barrier `seq`. Caller holds barrier_lock; `cpu` is this CPU, or one that is offline for RCU.
 */
function rcu_barrier_entrain(r: RcuTree, cpu: number, seq: number): void {
  const i32 = kapi.shm;
  lockdep_assert_held(r.barrierLock.dep_map);
  if (cpu !== kapi.smpProcessorId()) cov(COV.rcu_barrier_entrain_offline);
  const l = r.cblists[cpu] as RcuSegCbList;
  Atomics.add(i32, sw(r, S_BARRIER_COUNT), 1);
  if (rcu_barrier_cb === null || !l.enqueue(rcu_barrier_cb.id, seq)) {
    Atomics.sub(i32, sw(r, S_BARRIER_COUNT), 1);
    WARN(true, `rcu: cannot entrain the barrier callback on CPU ${cpu}`);
  } else if (cpu === kapi.smpProcessorId()) {
    rcu_accelerate_cbs(r, l);
  }
  // Pairs with the ACK loads in rcu_barrier()'s loop and wait condition.
  Atomics.store(i32, dw(r, cpu, D_BARRIER_ACK), seq);
}

/** rcu_barrier_handler(), reached through the emulated IPI (tick or idle exit on this CPU). */
function rcu_check_ipi(r: RcuTree): void {
  const i32 = kapi.shm;
  const req = Atomics.load(i32, dw(r, kapi.smpProcessorId(), D_BARRIER_REQ));
  // ACK may be ahead of REQ (a barrier that found this CPU empty or offline never asked it).
  if (req === 0 || req === Atomics.load(i32, dw(r, kapi.smpProcessorId(), D_BARRIER_ACK))) return;
  const bflags = raw_spin_lock_irqsave(r.barrierLock);
  // Only the barrier in progress: a stale request must not entrain a callback for a later one.
  if (req === Atomics.load(i32, sw(r, S_BARRIER_ACTIVE)) && req !== Atomics.load(i32, dw(r, kapi.smpProcessorId(), D_BARRIER_ACK))) {
    rcu_barrier_entrain(r, kapi.smpProcessorId(), req);
  }
  raw_spin_unlock_irqrestore(r.barrierLock, bflags);
  kapi.wakeUp(wq(sw(r, S_BARRIER_WQ))); // pairs with the ack wait in rcu_barrier()
}

/**
 * rcu_barrier(): wait until every callback queued before the call has been invoked. Each CPU with
 * callbacks entrains a barrier callback behind them: this CPU directly, an online CPU when its
 * emulated IPI is served, an offline one (whose callbacks await migration) by this task on its
 * behalf, under barrier_lock, which also orders it against rcutree_migrate_callbacks(). This is
 * the newer kernel's scheme; the 2021 one held cpus_read_lock() instead, which here would keep a
 * CPU whose task waits in rcu_barrier() from reaching its hotplug safe point.
 */
export async function rcu_barrier(): Promise<void> {
  const r = R();
  const i32 = kapi.shm;
  await mutex_lock(r.barrierMutex);
  try {
    const seq = Atomics.add(i32, sw(r, S_BARRIER_SEQ), 1) + 1;
    Atomics.store(i32, sw(r, S_BARRIER_COUNT), 1);
    const sflags = raw_spin_lock_irqsave(r.barrierLock);
    Atomics.store(i32, sw(r, S_BARRIER_ACTIVE), seq);
    raw_spin_unlock_irqrestore(r.barrierLock, sflags);
    for (let cpu = 0; cpu < kapi.nrCpuIds; cpu++) {
      const ack = dw(r, cpu, D_BARRIER_ACK);
      const online = dw(r, cpu, D_RCU_ONLINE);
      for (;;) {
        if (Atomics.load(i32, ack) === seq) break;
        const bflags = raw_spin_lock_irqsave(r.barrierLock);
        if (Atomics.load(i32, ack) === seq) {
          raw_spin_unlock_irqrestore(r.barrierLock, bflags);
          break;
        }
        // rcu_segcblist_n_cbs(): callbacks being invoked still count (rcu_do_batch()'s add_len).
        if ((r.cblists[cpu] as RcuSegCbList).length() === 0) {
          Atomics.store(i32, ack, seq);
          raw_spin_unlock_irqrestore(r.barrierLock, bflags);
          break;
        }
        if (cpu === kapi.smpProcessorId() || Atomics.load(i32, online) === 0) {
          rcu_barrier_entrain(r, cpu, seq);
          raw_spin_unlock_irqrestore(r.barrierLock, bflags);
          break;
        }
        raw_spin_unlock_irqrestore(r.barrierLock, bflags);
        Atomics.store(i32, dw(r, cpu, D_BARRIER_REQ), seq);
        kapi.sendIpi(cpu);
        await kapi.waitEvent(wq(sw(r, S_BARRIER_WQ)), () => Atomics.load(i32, ack) === seq || Atomics.load(i32, online) === 0, 1);
      }
    }
    if (Atomics.sub(i32, sw(r, S_BARRIER_COUNT), 1) !== 1) {
      await kapi.waitEvent(wq(sw(r, S_BARRIER_WQ)), () => Atomics.load(i32, sw(r, S_BARRIER_COUNT)) === 0);
    }
    const eflags = raw_spin_lock_irqsave(r.barrierLock);
    Atomics.store(i32, sw(r, S_BARRIER_ACTIVE), 0);
    raw_spin_unlock_irqrestore(r.barrierLock, eflags);
  } finally {
    mutex_unlock(r.barrierMutex);
  }
}

/* ---------------- CPU hotplug ---------------- */

/** rcutree_prepare_cpu(): CPUHP_RCUTREE_PREP startup, control CPU, before the CPU runs. */
function rcutree_prepare_cpu(cpu: number): void {
  const r = R();
  const i32 = kapi.shm;
  Atomics.store(i32, dw(r, cpu, D_BARRIER_ACK), Atomics.load(i32, dw(r, cpu, D_BARRIER_REQ)));
}

/** rcutree_dead_cpu(): CPUHP_RCUTREE_PREP teardown, control CPU, after the CPU died. */
function rcutree_dead_cpu(cpu: number): void {
  rcutree_migrate_callbacks(cpu);
}

/** rcu_cpu_starting(): the incoming CPU joins qsmaskinitnext (it is seen by the next GP). */
export function rcu_cpu_starting(cpu: number): void {
  const r = R();
  const i32 = kapi.shm;
  lockdep_assert_irqs_disabled();
  const d = dw(r, cpu, D_DYNTICKS);
  if ((Atomics.load(i32, d) & 1) === 0) Atomics.add(i32, d, 1);
  r.lastCoreGsOf[kapi.smpProcessorId()] = Atomics.load(i32, sw(r, S_GP_SEQ));
  rcu_stall_cpu_awake(r.stall);
  const nflags = raw_spin_lock_irqsave_rcu_node(r, myLeaf(r));
  Atomics.or(i32, nw(r, myLeaf(r), N_QSMASKINITNEXT), myMask(r));
  if (r.testLockInversion) {
    // Planted bug (rcutree.test_lock_inversion=1): barrier_lock inside the leaf's lock, the
    // reverse of rcutree_migrate_callbacks()'s order.
    const bflags = raw_spin_lock_irqsave(r.barrierLock);
    Atomics.store(i32, dw(r, cpu, D_RCU_ONLINE), 1);
    raw_spin_unlock_irqrestore(r.barrierLock, bflags);
    raw_spin_unlock_irqrestore_rcu_node(r, myLeaf(r), nflags);
  } else {
    raw_spin_unlock_irqrestore_rcu_node(r, myLeaf(r), nflags);
    const bflags = raw_spin_lock_irqsave(r.barrierLock);
    Atomics.store(i32, dw(r, cpu, D_RCU_ONLINE), 1);
    raw_spin_unlock_irqrestore(r.barrierLock, bflags);
  }
  if (myList(r).length() > 0) kapi.raiseSoftirq('RCU_SOFTIRQ');
}

/**
 * rcutree_dying_cpu() / rcu_report_dead(): CPUHP_AP_RCUTREE_DYING teardown on the dying CPU, at
 * its hotplug safe point (no reader in progress): report the QS it owes and leave
 * qsmaskinitnext; dynticks goes even, so FQS scans treat it as quiescent from now on.
 */
function rcutree_dying_cpu(cpu: number): void {
  const r = R();
  const i32 = kapi.shm;
  rcu_qs(r);
  const nflags = raw_spin_lock_irqsave_rcu_node(r, myLeaf(r));
  Atomics.and(i32, nw(r, myLeaf(r), N_QSMASKINITNEXT), ~myMask(r));
  raw_spin_unlock_irqrestore_rcu_node(r, myLeaf(r), nflags);
  const d = dw(r, cpu, D_DYNTICKS);
  if ((Atomics.load(i32, d) & 1) !== 0) Atomics.add(i32, d, 1);
  // From here rcu_barrier() entrains on our behalf (our callbacks await migration).
  const bflags = raw_spin_lock_irqsave(r.barrierLock);
  Atomics.store(i32, dw(r, cpu, D_RCU_ONLINE), 0);
  raw_spin_unlock_irqrestore(r.barrierLock, bflags);
  kapi.wakeUp(wq(sw(r, S_BARRIER_WQ)));
  // A GP initialised before the bit left still waits for us: the FQS scan sees us offline/idle.
  kapi.wakeUp(wq(sw(r, S_GP_WQ)));
}

/** Per-CPU counters for tests and stats. */
export function rcu_cbs_invoked(cpu: number): number {
  return Atomics.load(kapi.shm, dw(R(), cpu, D_N_CBS_INVOKED));
}

export function rcu_cbs_pending(cpu: number): number {
  return (R().cblists[cpu] as RcuSegCbList).length();
}

export function rcu_gp_in_progress_now(): boolean {
  return rcu_gp_in_progress(R());
}
