/*
 * rcutorture's SRCU flavours (srcu_ops and srcud_ops of kernel/rcu/rcutorture.c): `srcu`
 * tortures the static srcu_ctl (DEFINE_STATIC_SRCU) with srcu_read_lock(); `srcud` the
 * dynamically initialised srcu_ctld (init_srcu_struct() at rcutorture's start) with
 * srcu_read_lock_nmisafe(), as 6.12's rcutorture does (it has no reader_flavor parameter; that
 * came later). With CONFIG_SMP=y the implementation is Tree SRCU (srcu_tree.ts), else Tiny SRCU
 * (srcu_tiny.ts), as Kconfig's TINY_SRCU/TREE_SRCU choice. The kernel's own RCU (Tree RCU)
 * runs underneath, as for every flavour.
 */

import { kapi } from '../../harness/kapi.js';
import type { RcuCallback } from './rcu_callback.js';
import { KERNEL_RCU } from './kernel_rcu.js';
import * as tree from './srcu_tree.js';
import * as tiny from './srcu_tiny.js';
import { DEFINE_SRCU_DYNAMIC, DEFINE_STATIC_SRCU, SRCU_CBLIST_CAPACITY, type SrcuDecl } from './srcu_tree_struct.js';

/** DEFINE_STATIC_SRCU(srcu_ctl) and `static struct srcu_struct srcu_ctld;` of rcutorture.c. */
const srcu_ctl = DEFINE_STATIC_SRCU('srcu_ctl');
const srcu_ctld = DEFINE_SRCU_DYNAMIC('srcu_ctld');


/** The implementation Kconfig chose: Tiny SRCU without SMP (decided at boot, on the CPU thread). */
let impl: typeof tree | typeof tiny = tree;

/** srcu_init() of the chosen implementation, after the kernel's RCU. */
function srcu_boot(cpu: number): void {
  KERNEL_RCU.init(cpu);
  impl = kapi.config.kconfig.get('CONFIG_SMP') === 'n' ? tiny : tree;
  if (impl === tree) tree.srcu_init(cpu);
  else tiny.srcu_tiny_init(cpu);
}

/**
 * The ops of one srcu_struct; `nmisafe` picks srcu_read_lock_nmisafe() (srcud). An RcuTortureOps:
 * RCU_TORTURE_OPS checks it (`satisfies`), since importing the type from rcu_torture_ops.ts, which
 * imports this file, would be an import cycle.
 */
function srcu_torture_ops(name: 'srcu' | 'srcud', d: SrcuDecl, nmisafe: boolean) {
  return {
    name,
    readlock: () => (nmisafe && impl === tree ? tree.srcu_read_lock_nmisafe(d) : impl.srcu_read_lock(d)),
    readunlock: (idx: number) => (nmisafe && impl === tree ? tree.srcu_read_unlock_nmisafe(d, idx) : impl.srcu_read_unlock(d, idx)),
    readlock_held: () => impl.srcu_read_lock_held(d),
    // rcu.h: with CONFIG_TINY_RCU (which Tiny SRCU's !SMP && !PREEMPT implies) srcu_batches_completed()
    // is 0, so SRCU-T/U readers count no batches; Tiny's srcu_idx moves twice per grace period,
    // and a reader sleeping across one GP's end and the next one's start read as a close call.
    get_gp_seq: () => (impl === tree ? tree.srcu_batches_completed(d) : 0),
    gp_diff: (cur: number, old: number) => (cur - old) | 0,
    call: (arg: number, cb: RcuCallback) => impl.call_srcu(d, arg, cb),
    sync: () => impl.synchronize_srcu(d),
    exp_sync: () => (impl === tree ? tree.synchronize_srcu_expedited(d) : tiny.synchronize_srcu(d)),
    get_gp_state: () => impl.get_state_synchronize_srcu(d),
    start_gp_poll: () => impl.start_poll_synchronize_srcu(d),
    poll_gp_state: (cookie: number) => impl.poll_state_synchronize_srcu(d, cookie),
    cond_sync: async (cookie: number): Promise<void> => {
      if (!impl.poll_state_synchronize_srcu(d, cookie)) await impl.synchronize_srcu(d);
    },
    cb_barrier: () => (impl === tree ? tree.srcu_barrier(d) : tiny.synchronize_srcu(d)),
    get_gp_data: () => (impl === tree ? tree.srcutorture_get_gp_data(d) : { flags: 0, gp_seq: tiny.srcu_batches_completed(d) }),
    stats: () => impl.srcu_torture_stats_print(d, name, '-torture:'),
    read_delay: 'srcu_read_delay' as const,
    // The kernel's srcu_ops caps the forward-progress flood at 50,000 callbacks; here a CPU's SRCU
    // callback ring holds SRCU_CBLIST_CAPACITY (Tiny's the same), shared with rcutorture's own
    // frees, so the flood gets an eighth of it (harness/torture/rcu_torture_fwd_prog.ts).
    cbflood_max: SRCU_CBLIST_CAPACITY / 8,
    irq_capable: true,
    can_boost: 0,
    ...KERNEL_RCU,
    init: (cpu: number) => {
      srcu_boot(cpu);
      // srcu_torture_init(): init_srcu_struct(&srcu_ctld) for srcud.
      if (d.dynamic && impl === tree) tree.init_srcu_struct(d);
    },
  };
}

export const srcu_ops = srcu_torture_ops('srcu', srcu_ctl, false);
export const srcud_ops = srcu_torture_ops('srcud', srcu_ctld, true);
