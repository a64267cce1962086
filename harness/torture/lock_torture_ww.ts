/*
 * locktorture's ww_mutex_lock type (kernel/locking/locktorture.c, ww_mutex_lock_ops): each writer
 * takes three ww_mutexes of one wait-die class (torture_ww_class) under its own acquire context,
 * in list order; on -EDEADLK it unlocks what it holds, sleeps for the contended lock with
 * ww_mutex_lock_slow(), moves that lock to the head of its list and takes the rest again. The
 * writers start from the same order, but each back-off reorders one writer's list, so opposite
 * orders meet and wait-die is what keeps them from deadlocking (LOCK07).
 *
 * The contexts are one shared-memory line per writer (`ww_acquire_ctxs[tid]`), where the kernel
 * kmalloc()s an array of nrealwriters_stress: a writer may migrate, and other CPUs read its
 * context's stamp and write its wound state.
 *
 * Its own file so that the type table (lock_torture_types.ts) stays one line per type.
 */

import type { TortureRandomState } from './common.js';
import type { LockTortureOps, MaybeSleep } from './lock_torture_ops.js';
import { DEFINE_WD_CLASS, DEFINE_WW_ACQUIRE_CTX, ww_acquire_fini, ww_acquire_init, type WwAcquireCtx, type WwClass } from '../../kernels/locking/ww_acquire.js';
import { EDEADLK, ww_mutex_init, ww_mutex_lock, ww_mutex_lock_slow, ww_mutex_unlock, type WwMutex } from '../../kernels/locking/ww_mutex.js';

/** ww_mutex_lock_ops with locktorture's write delay (torture_mutex_delay()). */
export function ww_mutex_lock_ops(write_delay: (trsp: TortureRandomState) => MaybeSleep): LockTortureOps {
  let cls: WwClass | null = null;
  const locks: WwMutex[] = [];
  const ctxs = new Map<number, WwAcquireCtx>();
  const ctxOf = (tid: number): WwAcquireCtx => {
    let c = ctxs.get(tid);
    if (c === undefined) {
      c = DEFINE_WW_ACQUIRE_CTX(`ww_acquire_ctxs[${tid}]`);
      ctxs.set(tid, c);
    }
    return c;
  };
  /** torture_ww_mutex_lock(): the three locks with the back-off loop. */
  const torture_ww_mutex_lock = async (tid: number): Promise<void> => {
    const ctx = ctxOf(tid);
    const [l0, l1, l2] = locks as [WwMutex, WwMutex, WwMutex];
    // Three list_add()s at the head: the list is 2, 1, 0.
    const list: WwMutex[] = [l2, l1, l0];
    ww_acquire_init(ctx, cls as WwClass);
    for (let i = 0; i < list.length; i++) {
      const ll = list[i] as WwMutex;
      const err = await ww_mutex_lock(ll, ctx);
      if (err === 0) continue;
      // list_for_each_entry_continue_reverse(): unlock what this pass took before `ll`.
      for (let j = i - 1; j >= 0; j--) ww_mutex_unlock(list[j] as WwMutex);
      if (err !== -EDEADLK) return;
      await ww_mutex_lock_slow(ll, ctx);
      // list_move(&ll->link, &list): `ll` is held and first; the walk goes on after it.
      list.splice(i, 1);
      list.unshift(ll);
      i = 0;
    }
  };
  return {
    name: 'ww_mutex_lock',
    init: () => {
      // The three share torture_ww_class's lock class (ww_mutex_init()), so lockdep sees one
      // class taken three times under the context's nest_lock, never recursive locking.
      cls = DEFINE_WD_CLASS('torture_ww_class');
      for (let i = 0; i < 3; i++) locks.push(ww_mutex_init(`torture_ww_mutex_${i}`, cls));
    },
    writelock: torture_ww_mutex_lock,
    write_delay,
    writeunlock: (tid: number) => {
      for (const l of locks) ww_mutex_unlock(l);
      ww_acquire_fini(ctxOf(tid));
    },
  };
}
