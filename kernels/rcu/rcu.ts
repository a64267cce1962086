/*
 * The kernel's RCU, as its users see it (include/linux/rcupdate.h with rcutree.h or rcutiny.h):
 * one API, bound once per CPU at rcu_init() to the implementation Kconfig chooses, as the kernel
 * links exactly one of kernel/rcu/tree.c and kernel/rcu/tiny.c:
 *
 *   TINY_RCU = !PREEMPT_RCU && !SMP     (PREEMPT_RCU = PREEMPTION)   -> tiny.ts
 *   TREE_RCU otherwise                                                -> tree.ts
 *
 * So TREE09 (SMP=n, PREEMPT=y) runs preemptible Tree RCU on its one CPU, TINY01/TINY02 run Tiny
 * RCU. Code that needs RCU (rcutorture's ops, update.c's self tests, the benchmarks) imports it
 * from here, never from tree.ts or tiny.ts.
 *
 * Cost: the exports are `let` bindings that rcu_init() assigns once (as rcupdate_lockdep.ts does
 * for PROVE_RCU), so a call site calls the chosen function through one module-binding load, with
 * no per-call test of which RCU runs (`torture bench` rcu_read_lock rows measure it).
 *
 * Bound before rcu_init(), every function throws, as tree.ts's and tiny.ts's own do.
 */

import { HZ, kapi, type KernelConfig } from '../../harness/kapi.js';
import type { RcuCallback } from './rcu_callback.js';
import * as tree from './tree.js';
import * as tiny from './tiny.js';

/** The RCU API one implementation provides. */
export interface RcuApi {
  /** Which one: `tree` or `tiny`. */
  readonly flavor: RcuImpl;
  rcu_init(cpu: number): void;
  rcu_read_lock(): void;
  rcu_read_unlock(): void;
  call_rcu(arg: number, func: RcuCallback): void;
  synchronize_rcu(): Promise<void>;
  synchronize_rcu_expedited(): Promise<void>;
  get_state_synchronize_rcu(): number;
  start_poll_synchronize_rcu(): number;
  poll_state_synchronize_rcu(oldstate: number): boolean;
  cond_synchronize_rcu(oldstate: number): Promise<void>;
  rcu_barrier(): Promise<void>;
  /** rcu_get_gp_seq() of kernel/rcu/rcu.h: 0 on Tiny. */
  rcu_get_gp_seq(): number;
  /** rcutorture_get_gp_data(): flags and gp_seq; 0 and 0 on Tiny. */
  rcutorture_get_gp_data(): { flags: number; gp_seq: number };
  /** cond_resched()'s RCU quiescent state outside a reader (PREEMPT_NONE). */
  cond_resched_rcu_qs(): void;
  /** show_rcu_gp_kthreads()'s line, `<flavour>: wait state: <state>`; null on Tiny (no GP kthread). */
  show_rcu_gp_kthreads(): string | null;
  /** Callbacks adopted from dead CPUs and the CPUs they came from (none on Tiny: no hotplug callbacks). */
  rcu_migrate_stats(): { adopted: number; cpus: number };
  /** The flavour name (`rcu_preempt`, `rcu_sched`; `rcu` on Tiny, as its rcu_torture_ops). */
  rcu_flavor_name(): string;
  /** Grace periods completed since boot (benchmarks). */
  rcu_gp_count(): number;
  /** rcu_jiffies_till_stall_check() (rcutorture's ->stall_dur()); Tiny's is 21 * HZ (rcutiny.h). */
  rcu_stall_dur(): number;
  /** rcu_force_quiescent_state() (rcutorture's fqs bursts); a no-op on Tiny (rcu.h). */
  rcu_force_quiescent_state(): void;
  /** rcu_gp_set_torture_wait() (stall_gp_kthread, the flood's planted GP stall); a no-op on Tiny (rcu.h). */
  rcu_gp_set_torture_wait(duration: number): void;
  /** The tick's need_resched() for a CPU holding a GP up (rcu_urgent_qs); never on Tiny. */
  rcu_urgent_qs(): boolean;
  /** rcu_gp_slow_register(): the GP kthread's debug delays off while shm word `index` is nonzero; Tiny has none. */
  rcu_gp_slow_register(index: number): void;
}

export const RCU_IMPLS = ['tree', 'tiny'] as const;
export type RcuImpl = (typeof RCU_IMPLS)[number];

/**
 * The Kconfig choice (kernel/rcu/Kconfig): TINY_RCU is `default y if !PREEMPT_RCU && !SMP`,
 * PREEMPT_RCU `default y if PREEMPTION`. `get` reads the merged Kconfig (unset SMP is y, as
 * every kernel this project configures is SMP unless a scenario says otherwise). The driver's
 * derived CONFIG_TINY_RCU/CONFIG_TREE_RCU rows use the same function.
 */
export function rcu_select(get: (key: string) => string | undefined): RcuImpl {
  return get('CONFIG_PREEMPT') !== 'y' && get('CONFIG_SMP') === 'n' ? 'tiny' : 'tree';
}

export const TREE_RCU_API: RcuApi = {
  flavor: 'tree',
  rcu_init: tree.rcu_init,
  rcu_read_lock: tree.rcu_read_lock,
  rcu_read_unlock: tree.rcu_read_unlock,
  call_rcu: tree.call_rcu,
  synchronize_rcu: tree.synchronize_rcu,
  synchronize_rcu_expedited: tree.synchronize_rcu_expedited,
  get_state_synchronize_rcu: tree.get_state_synchronize_rcu,
  start_poll_synchronize_rcu: tree.start_poll_synchronize_rcu,
  poll_state_synchronize_rcu: tree.poll_state_synchronize_rcu,
  cond_synchronize_rcu: tree.cond_synchronize_rcu,
  rcu_barrier: tree.rcu_barrier,
  rcu_get_gp_seq: tree.rcu_get_gp_seq,
  rcutorture_get_gp_data: tree.rcutorture_get_gp_data,
  cond_resched_rcu_qs: tree.rcu_all_qs,
  show_rcu_gp_kthreads: () => `${tree.rcu_flavor_name()}: wait state: ${tree.rcu_gp_state_name()}`,
  rcu_migrate_stats: tree.rcutree_migrate_stats,
  rcu_flavor_name: tree.rcu_flavor_name,
  rcu_gp_count: tree.rcu_gp_count,
  rcu_stall_dur: tree.rcu_stall_dur,
  rcu_force_quiescent_state: tree.rcu_force_quiescent_state,
  rcu_gp_set_torture_wait: tree.rcu_gp_set_torture_wait,
  rcu_urgent_qs: tree.rcu_urgent_qs,
  rcu_gp_slow_register: tree.rcu_gp_slow_register,
};

export const TINY_RCU_API: RcuApi = {
  flavor: 'tiny',
  rcu_init: tiny.rcu_init_tiny,
  rcu_read_lock: tiny.rcu_read_lock,
  rcu_read_unlock: tiny.rcu_read_unlock,
  call_rcu: tiny.call_rcu,
  synchronize_rcu: tiny.synchronize_rcu,
  synchronize_rcu_expedited: tiny.synchronize_rcu_expedited,
  get_state_synchronize_rcu: tiny.get_state_synchronize_rcu,
  start_poll_synchronize_rcu: tiny.start_poll_synchronize_rcu,
  poll_state_synchronize_rcu: tiny.poll_state_synchronize_rcu,
  cond_synchronize_rcu: tiny.cond_synchronize_rcu,
  rcu_barrier: tiny.rcu_barrier,
  rcu_get_gp_seq: () => 0,
  rcutorture_get_gp_data: () => ({ flags: 0, gp_seq: 0 }),
  cond_resched_rcu_qs: tiny.rcu_tiny_cond_resched,
  show_rcu_gp_kthreads: () => null,
  rcu_migrate_stats: () => ({ adopted: 0, cpus: 0 }),
  rcu_flavor_name: () => 'rcu',
  rcu_gp_count: tiny.rcu_tiny_gp_count,
  rcu_stall_dur: () => 21 * HZ,
  rcu_force_quiescent_state: () => {},
  rcu_gp_set_torture_wait: () => {},
  rcu_urgent_qs: () => false,
  rcu_gp_slow_register: () => {},
};

const RCU_APIS: Record<RcuImpl, RcuApi> = { tree: TREE_RCU_API, tiny: TINY_RCU_API };

function unbound(): never {
  throw new Error('RCU used before rcu_init()');
}

/* The bound API: assigned by rcu_bind(), read through the live ES binding at every call. */
export let rcu_impl: RcuImpl | null = null;
export let rcu_read_lock: () => void = unbound;
export let rcu_read_unlock: () => void = unbound;
export let call_rcu: (arg: number, func: RcuCallback) => void = unbound;
export let synchronize_rcu: () => Promise<void> = unbound;
export let synchronize_rcu_expedited: () => Promise<void> = unbound;
export let get_state_synchronize_rcu: () => number = unbound;
export let start_poll_synchronize_rcu: () => number = unbound;
export let poll_state_synchronize_rcu: (oldstate: number) => boolean = unbound;
export let cond_synchronize_rcu: (oldstate: number) => Promise<void> = unbound;
export let rcu_barrier: () => Promise<void> = unbound;
export let rcu_get_gp_seq: () => number = unbound;
export let rcutorture_get_gp_data: () => { flags: number; gp_seq: number } = unbound;
export let cond_resched_rcu_qs: () => void = unbound;
export let show_rcu_gp_kthreads: () => string | null = unbound;
export let rcu_migrate_stats: () => { adopted: number; cpus: number } = unbound;
export let rcu_flavor_name: () => string = unbound;
export let rcu_gp_count: () => number = unbound;
export let rcu_stall_dur: () => number = unbound;
export let rcu_force_quiescent_state: () => void = unbound;
export let rcu_gp_set_torture_wait: (duration: number) => void = unbound;
export let rcu_urgent_qs: () => boolean = unbound;
export let rcu_gp_slow_register: (index: number) => void = unbound;

/** Bind the API to `impl` on this CPU (rcu_init() does; tests of one implementation may too). */
export function rcu_bind(impl: RcuImpl): RcuApi {
  const a = RCU_APIS[impl];
  rcu_impl = impl;
  rcu_read_lock = a.rcu_read_lock;
  rcu_read_unlock = a.rcu_read_unlock;
  call_rcu = a.call_rcu;
  synchronize_rcu = a.synchronize_rcu;
  synchronize_rcu_expedited = a.synchronize_rcu_expedited;
  get_state_synchronize_rcu = a.get_state_synchronize_rcu;
  start_poll_synchronize_rcu = a.start_poll_synchronize_rcu;
  poll_state_synchronize_rcu = a.poll_state_synchronize_rcu;
  cond_synchronize_rcu = a.cond_synchronize_rcu;
  rcu_barrier = a.rcu_barrier;
  rcu_get_gp_seq = a.rcu_get_gp_seq;
  rcutorture_get_gp_data = a.rcutorture_get_gp_data;
  cond_resched_rcu_qs = a.cond_resched_rcu_qs;
  show_rcu_gp_kthreads = a.show_rcu_gp_kthreads;
  rcu_migrate_stats = a.rcu_migrate_stats;
  rcu_flavor_name = a.rcu_flavor_name;
  rcu_gp_count = a.rcu_gp_count;
  rcu_stall_dur = a.rcu_stall_dur;
  rcu_force_quiescent_state = a.rcu_force_quiescent_state;
  rcu_gp_set_torture_wait = a.rcu_gp_set_torture_wait;
  rcu_urgent_qs = a.rcu_urgent_qs;
  rcu_gp_slow_register = a.rcu_gp_slow_register;
  return a;
}

/** The implementation this CPU's configuration chooses. */
export function rcu_impl_of(config: KernelConfig): RcuImpl {
  return rcu_select((k) => (k === 'CONFIG_PREEMPT' ? (config.preempt ? 'y' : 'n') : config.kconfig.get(k)));
}

/** rcu_init(): choose the kernel's RCU from this CPU's Kconfig, bind the API to it, boot it. */
export function rcu_init(cpu: number): void {
  if (rcu_impl === null) rcu_bind(rcu_impl_of(kapi.config));
  RCU_APIS[rcu_impl ?? 'tree'].rcu_init(cpu);
}
