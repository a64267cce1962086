/*
 * The driver's registry of boot parameters, DERIVED from their declarations: every module that
 * reads boot parameters declares them beside the reading code (kernels/moduleparam.ts,
 * ModuleParams), and this table only lists those modules. A new parameter is one declaration
 * beside its reader; a new declaring module is one line here. boot_params.test.ts fails when a
 * declared parameter is read nowhere, so a name the driver accepts is a name the guest honours,
 * or one it refuses (ModuleParams.refuse(): the kernel has it, this model does not).
 */

import type { ParamDecl } from '../../kernels/moduleparam.js';
import { core_params, sched_params } from '../../kernels/core_params.js';
import { cpuidle_haltpoll_params, haltpoll_params } from '../cpu/cpuidle_haltpoll.js';
import { cpuhp_params } from '../../kernels/cpu/hotplug.js';
import { mutex_params } from '../../kernels/locking/mutex.js';
import { percpu_rwsem_params } from '../../kernels/locking/percpu_rwsem.js';
import { rtmutex_params } from '../../kernels/locking/rtmutex.js';
import { spinlock_params } from '../../kernels/locking/spinlock.js';
import { ww_mutex_params } from '../../kernels/locking/ww_mutex_waiters.js';
import { slub_params } from '../../kernels/mm/slub.js';
import { slub_debug_params } from '../../kernels/mm/slub_debug.js';
import { rcu_nocb_params, rcutree_params } from '../../kernels/rcu/tree.js';
import { rcupdate_stall_params } from '../../kernels/rcu/tree_stall.js';
import { rcutiny_params } from '../../kernels/rcu/tiny.js';
import { rcupdate_params } from '../../kernels/rcu/update.js';
import { srcutree_params } from '../../kernels/rcu/srcu_params.js';
import { rcupdate_tasks_params } from '../../kernels/rcu/tasks.js';
import { torture_params } from '../torture/common.js';
import { locktorture_params } from '../torture/lock_torture.js';
import { objecttorture_params } from '../torture/object_torture.js';
import { rcutorture_params } from '../torture/rcu_torture.js';
import { rcutorture_prove_rcu_params } from '../torture/rcu_torture_prove_rcu.js';
import { rcutorture_srcu_lockdep_params } from '../torture/rcu_torture_srcu_lockdep.js';
import { user_ops_params } from '../torture/user_ops.js';

/** Every declaring module's parameters, in the order the registry lists them. */
export const DECLARED_PARAMS: readonly ParamDecl[] = [
  core_params,
  sched_params,
  cpuidle_haltpoll_params,
  haltpoll_params,
  cpuhp_params,
  mutex_params,
  percpu_rwsem_params,
  rtmutex_params,
  spinlock_params,
  ww_mutex_params,
  torture_params,
  rcutorture_params,
  rcutorture_prove_rcu_params,
  rcutorture_srcu_lockdep_params,
  rcutree_params,
  rcu_nocb_params,
  rcutiny_params,
  rcupdate_params,
  rcupdate_stall_params,
  srcutree_params,
  rcupdate_tasks_params,
  slub_params,
  slub_debug_params,
  locktorture_params,
  user_ops_params,
  objecttorture_params,
].flatMap((m) => m.all);
