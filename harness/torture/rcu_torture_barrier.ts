/*
 * The rcu_barrier() test of kernel/rcu/rcutorture.c: n_barrier_cbs kthreads each post a
 * callback per phase, rcu_torture_barrier() waits for them and checks that cb_barrier() waited
 * for every one (rtbe counts the misses).
 */

import { HZ, kapi } from '../kapi.js';
import { WARN_ON } from '../../kernels/bug.js';
import { torture_kthread_stopping, torture_must_stop, torture_sleep_interruptible, VERBOSE_TOROUT_STRING } from './common.js';
import {
  op,
  sw,
  T_BARRIER_ATTEMPTS,
  T_BARRIER_CBS_WQ,
  T_BARRIER_COUNT,
  T_BARRIER_ERROR,
  T_BARRIER_INVOKED,
  T_BARRIER_PHASE,
  T_BARRIER_SUCCESSES,
  T_BARRIER_WQ,
  tt,
  wq,
} from './rcu_torture_state.js';

/* ---------------- rcu_barrier() test ---------------- */

export function rcu_torture_barrier_cbf(): void {
  Atomics.add(kapi.shm, sw(T_BARRIER_INVOKED), 1);
}

export async function rcu_torture_barrier_cbs(myid: number): Promise<void> {
  const t = tt();
  const i32 = kapi.shm;
  let lastphase = 0;
  VERBOSE_TOROUT_STRING('rcu_torture_barrier_cbs task started');
  do {
    await kapi.waitEvent(wq(sw(T_BARRIER_CBS_WQ)), () => Atomics.load(i32, sw(T_BARRIER_PHASE)) !== lastphase || torture_must_stop());
    lastphase = Atomics.load(i32, sw(T_BARRIER_PHASE));
    if (torture_must_stop()) break;
    op('call')(myid, t.barrierCb);
    if (Atomics.sub(i32, sw(T_BARRIER_COUNT), 1) === 1) kapi.wakeUp(wq(sw(T_BARRIER_WQ)));
  } while (!torture_must_stop());
  torture_kthread_stopping('rcu_torture_barrier_cbs');
}

export async function rcu_torture_barrier(): Promise<void> {
  const t = tt();
  const i32 = kapi.shm;
  const n = t.p.n_barrier_cbs;
  VERBOSE_TOROUT_STRING('rcu_torture_barrier task starting');
  do {
    Atomics.store(i32, sw(T_BARRIER_INVOKED), 0);
    Atomics.store(i32, sw(T_BARRIER_COUNT), n);
    // Phase flip after the counters: pairs with the phase load in rcu_torture_barrier_cbs().
    Atomics.store(i32, sw(T_BARRIER_PHASE), Atomics.load(i32, sw(T_BARRIER_PHASE)) === 0 ? 1 : 0);
    kapi.wakeUp(wq(sw(T_BARRIER_CBS_WQ)));
    await kapi.waitEvent(wq(sw(T_BARRIER_WQ)), () => Atomics.load(i32, sw(T_BARRIER_COUNT)) === 0 || torture_must_stop());
    if (torture_must_stop()) break;
    Atomics.add(i32, sw(T_BARRIER_ATTEMPTS), 1);
    await op('cb_barrier')();
    const invoked = Atomics.load(i32, sw(T_BARRIER_INVOKED));
    if (invoked !== n) {
      Atomics.add(i32, sw(T_BARRIER_ERROR), 1);
      kapi.printk(`barrier_cbs_invoked = ${invoked}, n_barrier_cbs = ${n}`);
      WARN_ON(true);
    } else {
      Atomics.add(i32, sw(T_BARRIER_SUCCESSES), 1);
    }
    await torture_sleep_interruptible(HZ / 10);
  } while (!torture_must_stop());
  // kthread_stop() of the rcu_torture_barrier_cbs kthreads (rcu_torture_barrier_cleanup()): they
  // sleep on the phase queue, so wake them to see the stop (pairs with their waitEvent).
  kapi.wakeUp(wq(sw(T_BARRIER_CBS_WQ)));
  torture_kthread_stopping('rcu_torture_barrier');
}
