/*
 * The RCU flavours rcutorture can torture (struct rcu_torture_ops in kernel/rcu/rcutorture.c):
 * `rcu` (the kernel's RCU: Tree or Tiny, rcu.ts), `busted` (a deliberately broken RCU whose grace
 * periods end at once and whose callbacks run immediately, so rcutorture must report FAILURE),
 * `srcu` and `srcud` (Tree or Tiny SRCU, srcu_torture_ops.ts), and the Tasks RCU family `tasks`,
 * `tasks-rude`, `tasks-tracing` (tasks_torture_ops.ts). A member the kernel's struct may leave
 * NULL is optional here (`call`, `cb_barrier`, the polled and conditional primitives):
 * rcutorture skips what a flavour lacks.
 *
 * The ops carry everything rcutorture needs from an RCU implementation (its boot, cond_resched()'s
 * quiescent state, the GP kthread's state for a writer stall, the callback-migration counts), so
 * harness/torture/ imports no implementation: a new flavour is one file plus one line in
 * RCU_TORTURE_OPS. The kernel under every flavour runs the kernel's RCU (rcu.ts: Tree RCU, or
 * Tiny RCU where Kconfig chooses TINY_RCU), as a real kernel does while rcutorture tests another
 * flavour, so `busted` boots and reports that RCU's side too; `rcu` IS that RCU, with Tiny's
 * rcutorture view on Tiny (gp_seq 0, no GP kthread line: kernel/rcu/rcu.h).
 *
 * What this does not do: the kernel's other flavours (`trivial`, `trivial-preempt`, `srcu` with
 * reader_flavor, `rcu_busted`'s cousins).
 */

import type { RcuCallback } from './rcu_callback.js';
import { rcu_seq_diff } from './rcu_seq.js';
import { KERNEL_RCU } from './kernel_rcu.js';
import { RCU_CBLIST_CAPACITY } from './tree.js';
import { srcu_ops, srcud_ops } from './srcu_torture_ops.js';
import { tasks_ops, tasks_rude_ops, tasks_tracing_ops } from './tasks_torture_ops.js';
import { rcu_read_lock_bh_held, rcu_read_lock_sched_held } from './rcupdate_lockdep.js';
import {
  call_rcu,
  cond_synchronize_rcu,
  get_state_synchronize_rcu,
  poll_state_synchronize_rcu,
  rcu_barrier,
  rcu_get_gp_seq,
  rcu_impl,
  rcu_read_lock,
  rcu_read_unlock,
  rcu_force_quiescent_state,
  rcu_gp_slow_register,
  rcu_stall_dur,
  rcutorture_get_gp_data,
  show_rcu_gp_kthreads,
  start_poll_synchronize_rcu,
  synchronize_rcu,
  synchronize_rcu_expedited,
} from './rcu.js';

export interface RcuTortureOps {
  /** torture_type as printed: `rcu`, `busted`. */
  readonly name: string;
  readlock(): number;
  readunlock(idx: number): void;
  /** Whether this flavour's reader is held by other means too (rcu_dereference_check()'s condition in the reader); absent: always. */
  readonly readlock_held?: () => boolean;
  get_gp_seq(): number;
  /** Grace periods between two get_gp_seq() values (Reader Batch). */
  gp_diff(cur: number, old: number): number;
  /** The flavour's call_rcu(); absent (the kernel's NULL) for a flavour without one (`tasks-rude`). */
  readonly call?: (arg: number, cb: RcuCallback) => void;
  sync(): Promise<void>;
  exp_sync(): Promise<void>;
  /* The polled and conditional primitives; absent for a flavour without them (the Tasks RCU family). */
  readonly get_gp_state?: () => number;
  readonly start_gp_poll?: () => number;
  readonly poll_gp_state?: (cookie: number) => boolean;
  readonly cond_sync?: (cookie: number) => Promise<void>;
  /** The flavour's rcu_barrier(); absent with `call`. */
  readonly cb_barrier?: () => Promise<void>;
  /** Which of rcutorture's reader delays the flavour's readers use (srcu_read_delay() may sleep inside the reader); absent: rcu_read_delay(). */
  readonly read_delay?: 'rcu_read_delay' | 'srcu_read_delay';
  get_gp_data(): { flags: number; gp_seq: number };
  /** Readers may run in timer handlers. */
  readonly irq_capable: boolean;
  readonly can_boost: number;
  /** Boot this CPU's RCU (rcu_init() and rcu_early_boot_tests(); every flavour runs on the kernel's RCU, rcu.ts). */
  init(cpu: number): void;
  /** cond_resched()'s report from a task outside any reader (PREEMPT_NONE: Tree's rcu_all_qs(), Tiny's schedule() on need_resched). */
  cond_resched_qs(): void;
  /** show_rcu_gp_kthreads()'s line for a writer stall, `<flavour>: wait state: <state>`; none when absent. */
  readonly gp_kthread_dbg?: () => string;
  /** Callbacks adopted from dead CPUs and the CPUs they came from (the hotplug stats line). */
  cb_migrate_stats(): { adopted: number; cpus: number };
  /** The flavour's own stats line (cur_ops->stats(): srcu_torture_stats_print()); none when absent. */
  readonly stats?: () => string;
  /** ->stall_dur(): the CPU-stall timeout in jiffies; absent: no need_resched() forward-progress test. */
  readonly stall_dur?: () => number;
  /** ->cbflood_max: the call_rcu() flood's callback cap; absent: flood until memory runs out. */
  readonly cbflood_max?: number;
  /** ->gp_slow_register(): suppress the GP debug delays while the shm word at `index` is nonzero. */
  readonly gp_slow_register?: (index: number) => void;
  /** ->fqs(): force a quiescent-state scan now (rcutorture's fqs_* bursts); absent: none. */
  readonly fqs?: () => void;
  /** rcu_gp_set_torture_wait(): the flavour's GP kthread sleeps this many jiffies (stall_gp_kthread); absent: none. */
  readonly gp_set_torture_wait?: (duration: number) => void;
  /** need_resched() as RCU's tick would set it for a CPU holding up a GP (rcu_urgent_qs); absent: never. */
  readonly urgent_qs?: () => boolean;
}


/** torture_readlock_not_held(): the reader's dereference is also fine under rcu_read_lock_bh()/_sched(). */
function torture_readlock_not_held(): boolean {
  return rcu_read_lock_bh_held() || rcu_read_lock_sched_held();
}

function gp_kthread_line(): string {
  return show_rcu_gp_kthreads() ?? '';
}

function rcu_torture_read_lock(): number {
  rcu_read_lock();
  return 0;
}

function rcu_torture_read_unlock(_idx: number): void {
  rcu_read_unlock();
}

export const rcu_ops: RcuTortureOps = {
  name: 'rcu',
  readlock: rcu_torture_read_lock,
  readunlock: rcu_torture_read_unlock,
  readlock_held: torture_readlock_not_held,
  get_gp_seq: () => rcu_get_gp_seq(),
  gp_diff: rcu_seq_diff,
  call: (arg, cb) => call_rcu(arg, cb),
  sync: () => synchronize_rcu(),
  exp_sync: () => synchronize_rcu_expedited(),
  get_gp_state: () => get_state_synchronize_rcu(),
  start_gp_poll: () => start_poll_synchronize_rcu(),
  poll_gp_state: (cookie) => poll_state_synchronize_rcu(cookie),
  cond_sync: (cookie) => cond_synchronize_rcu(cookie),
  // Named rcu_barrier (a property key names the arrow): the forward-progress test prints it as %pS.
  cb_barrier: { rcu_barrier: () => rcu_barrier() }.rcu_barrier,
  get_gp_data: () => rcutorture_get_gp_data(),
  irq_capable: true,
  can_boost: 0,
  ...KERNEL_RCU,
  // show_rcu_gp_kthreads(): Tiny has no GP kthread (an empty function in kernel/rcu/rcu.h).
  get gp_kthread_dbg(): (() => string) | undefined {
    return rcu_impl === 'tiny' ? undefined : gp_kthread_line;
  },
  stall_dur: () => rcu_stall_dur(),
  // Not the kernel's (its rcu_ops floods until the OOM notifier): each CPU's callback list here
  // is a ring of RCU_CBLIST_CAPACITY (Tiny's the same), so the flood is capped as the kernel caps
  // Tasks RCU's.
  cbflood_max: RCU_CBLIST_CAPACITY / 4,
  gp_slow_register: (index: number) => rcu_gp_slow_register(index),
  fqs: () => rcu_force_quiescent_state(),
};

/** synchronize_rcu_busted(): "This is a deliberate bug for testing purposes only!" */
async function synchronize_rcu_busted(): Promise<void> {}

/** call_rcu_busted(): invokes the callback at once, with readers still looking. */
function call_rcu_busted(arg: number, cb: RcuCallback): void {
  cb.fn(arg);
}

export const rcu_busted_ops: RcuTortureOps = {
  name: 'busted',
  readlock: rcu_torture_read_lock,
  readunlock: rcu_torture_read_unlock,
  readlock_held: torture_readlock_not_held,
  get_gp_seq: () => 0,
  gp_diff: (cur, old) => cur - old,
  call: call_rcu_busted,
  sync: synchronize_rcu_busted,
  exp_sync: synchronize_rcu_busted,
  get_gp_state: () => 0,
  start_gp_poll: () => 0,
  poll_gp_state: () => true,
  cond_sync: synchronize_rcu_busted,
  cb_barrier: async () => {},
  get_gp_data: () => ({ flags: 0, gp_seq: 0 }),
  irq_capable: true,
  can_boost: 0,
  ...KERNEL_RCU,
};

/** A flavour whose ops are its own (`init` boots the flavour) on the kernel's RCU: KERNEL_RCU's boot first. */
export type FlavourOps = Omit<RcuTortureOps, keyof typeof KERNEL_RCU> & { init(cpu: number): void };
function onKernelRcu(ops: FlavourOps): RcuTortureOps {
  return {
    ...KERNEL_RCU,
    ...ops,
    init: (cpu: number): void => {
      KERNEL_RCU.init(cpu);
      ops.init(cpu);
    },
  };
}

/**
 * torture_ops[] of rcutorture.c: the one list of RCU flavours (`rcutorture.torture_type`), in the
 * kernel's order. The driver's option registry and rcutorture's "types:" line read it; a new
 * flavour is one entry here (its key equal to its ops' name).
 */
export const RCU_TORTURE_OPS = {
  rcu: rcu_ops,
  busted: rcu_busted_ops,
  srcu: srcu_ops,
  srcud: srcud_ops,
  tasks: onKernelRcu(tasks_ops),
  'tasks-rude': onKernelRcu(tasks_rude_ops),
  'tasks-tracing': onKernelRcu(tasks_tracing_ops),
} as const satisfies Record<string, RcuTortureOps>;
export type RcuTortureType = keyof typeof RCU_TORTURE_OPS;
export const RCU_TORTURE_TYPES = Object.keys(RCU_TORTURE_OPS) as readonly RcuTortureType[];

/** The ops of `name`, or undefined for a name that is not a flavour. */
export function rcu_torture_ops_of(name: string): RcuTortureOps | undefined {
  return Object.hasOwn(RCU_TORTURE_OPS, name) ? RCU_TORTURE_OPS[name as RcuTortureType] : undefined;
}
