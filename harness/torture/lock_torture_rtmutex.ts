/*
 * locktorture's rtmutex_lock type (kernel/locking/locktorture.c, CONFIG_RT_MUTEXES) and its
 * rt-boost stress, torture_rt_boost(), which every type's writers run (rt_boost=2, the default)
 * or only rtmutex_lock's (rt_boost=1): once every nrealwriters_stress * rt_boost_factor
 * acquisitions a SCHED_NORMAL writer becomes SCHED_FIFO (sched_set_fifo()), and a FIFO one goes
 * back to SCHED_NORMAL once every twice that; at the end each writer is reset. With rtmutex_lock a
 * boosted writer that blocks boosts the holder, and so on down the chain of nested locks.
 *
 * The boost check (ours: the kernel's locktorture has none, a failed boost shows there as
 * priority inversion, a stall or a hung task): the holder checks, after its hold delay, that its
 * prio is at least as good as its top waiter's (rt_mutex_owner_boost_ok()); a failure counts in
 * the writer's Fail column, so the run ends in FAILURE. BUSTED-BOOST plants the boost that never
 * happens (rtmutex.test_broken_pi=1).
 */

import { kapi } from '../kapi.js';
import { torture_random, type TortureRandomState } from './common.js';
import { torture_hold_delay, torture_udelay } from './torture_delay.js';
import type { LockTortureOps } from './lock_torture_ops.js';
import { DEFINE_RT_MUTEX, rt_mutex_lock, rt_mutex_owner_boost_ok, rt_mutex_unlock, type RtMutex } from '../../kernels/locking/rtmutex.js';
import { rt_task, sched_set_fifo, sched_set_normal } from '../../kernels/sched/core.js';
import { LD_WAIT } from '../kapi.js';

/** What this file reads of locktorture's settings (lock_torture_types.ts' LockTortureTuning has them). */
export interface RtBoostTuning {
  readonly long_hold: number;
  readonly nested_locks: number;
  readonly nrealwriters_stress: number;
  readonly rt_boost: number;
  readonly rt_boost_factor: number;
}

/** __torture_rt_boost(): boost once every nrealwriters * factor calls, unboost at twice that (null: reset). */
function __torture_rt_boost(trsp: TortureRandomState | null, t: RtBoostTuning): void {
  const factor = t.rt_boost_factor;
  const cur = kapi.current();
  if (!rt_task(cur)) {
    if (trsp !== null && torture_random(trsp) % (t.nrealwriters_stress * factor) === 0) sched_set_fifo(cur);
  } else if (trsp === null || torture_random(trsp) % (t.nrealwriters_stress * factor * 2) === 0) {
    sched_set_normal(cur, 0);
  }
}

/** torture_rt_boost(): every type's task_boost, active with rt_boost=2. */
export function torture_rt_boost(trsp: TortureRandomState | null, t: RtBoostTuning): void {
  if (t.rt_boost !== 2) return;
  __torture_rt_boost(trsp, t);
}

/** torture_rt_boost_rtmutex(): rtmutex_lock's, active with any rt_boost but 0. */
function torture_rt_boost_rtmutex(trsp: TortureRandomState | null, t: RtBoostTuning): void {
  if (t.rt_boost === 0) return;
  __torture_rt_boost(trsp, t);
}

/** torture_rtmutex_delay(): mostly short, now and then long (asleep here: lock_torture.ts says why). */
async function torture_rtmutex_delay(trsp: TortureRandomState, t: RtBoostTuning): Promise<void> {
  const shortdelay_us = 2;
  if (t.long_hold > 0 && torture_random(trsp) % (t.nrealwriters_stress * 2000 * t.long_hold) === 0) await torture_hold_delay(t.long_hold);
  if (torture_random(trsp) % (t.nrealwriters_stress * 200 * shortdelay_us) === 0) {
    const d = torture_udelay(shortdelay_us);
    if (d !== null) await d;
  }
  if (torture_random(trsp) % (t.nrealwriters_stress * 20000) === 0) {
    const pp = kapi.preemptPoint();
    if (pp !== null) await pp;
  }
}

/** rtmutex_lock_ops; `tuning` reads the module's settings at call time, `max_nested` is MAX_NESTED_LOCKS. */
export function rtmutex_lock_ops(tuning: () => RtBoostTuning, max_nested: number): LockTortureOps {
  let lock: RtMutex | null = null;
  const nested: RtMutex[] = [];
  return {
    name: 'rtmutex_lock',
    init: () => {
      lock = DEFINE_RT_MUTEX('torture_rtmutex');
      for (let i = 0; i < max_nested; i++) {
        // __rt_mutex_init(&torture_nested_rtmutexes[i], __func__, &nested_rtmutex_keys[i]):
        // a class each, all named after the function (lockdep prints torture_rtmutex_init#2 ...).
        const key = kapi.lockClass('torture_rtmutex_init', 'mutex', LD_WAIT.SLEEP);
        nested.push(DEFINE_RT_MUTEX(`torture_nested_rtmutexes[${i}]`, key));
      }
    },
    nested_lock: async (_tid: number, lockset: number) => {
      const n = tuning().nested_locks;
      for (let i = 0; i < n; i++) if ((lockset & (1 << i)) !== 0) await rt_mutex_lock(nested[i] as RtMutex);
    },
    writelock: () => rt_mutex_lock(lock as RtMutex),
    write_delay: (trsp) => torture_rtmutex_delay(trsp, tuning()),
    task_boost: (trsp) => torture_rt_boost_rtmutex(trsp, tuning()),
    check_boost: () => {
      const r = rt_mutex_owner_boost_ok(lock as RtMutex);
      return r.ok ? null : `rt_mutex owner at prio ${r.owner} below its top waiter's prio ${r.waiter}: not boosted`;
    },
    writeunlock: () => rt_mutex_unlock(lock as RtMutex),
    nested_unlock: (_tid: number, lockset: number) => {
      for (let i = tuning().nested_locks - 1; i >= 0; i--) if ((lockset & (1 << i)) !== 0) rt_mutex_unlock(nested[i] as RtMutex);
    },
  };
}
