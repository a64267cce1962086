/*
 * Test guest module (1 CPU, CONFIG_SMP=n, PREEMPT_NONE: Tiny RCU): Tiny RCU's API on a real CPU
 * worker. One task checks, in order: rcu.ts chose Tiny; call_rcu() callbacks do not run while the
 * task keeps the CPU (busy in mdelay(), taking ticks) and run, in order, once it sleeps (a
 * context switch: the quiescent state); the polled API (a cookie is not done until a QS or
 * synchronize_rcu(), then is); rcu_barrier() waits for every callback queued before it; the
 * tick's need_resched makes cond_resched() a QS. Prints `tiny-api: OK ...` or
 * `tiny-api: FAIL: <what>` and powers off.
 */

import { kapi } from '../../../harness/kapi.js';
import { rcu_callback } from '../rcu_callback.js';
import {
  call_rcu,
  cond_resched_rcu_qs,
  get_state_synchronize_rcu,
  poll_state_synchronize_rcu,
  rcu_barrier,
  rcu_impl,
  rcu_init,
  start_poll_synchronize_rcu,
  synchronize_rcu,
} from '../rcu.js';

const N = 100;
const W_COUNT = 0;
const W_ORDER_BAD = 1;

export function boot(cpu: number): void {
  rcu_init(cpu);
  const r = kapi.shmAlloc('tiny_api', 4);
  const i32 = kapi.shm;
  const cb = rcu_callback('tiny_api.cb', (k: number) => {
    if (Atomics.load(i32, r.base + W_COUNT) !== k) Atomics.add(i32, r.base + W_ORDER_BAD, 1);
    Atomics.add(i32, r.base + W_COUNT, 1);
  });
  if (cpu !== 0) return;
  kapi.kthreadRun(async () => {
    const fail: string[] = [];
    const count = (): number => Atomics.load(i32, r.base + W_COUNT);
    if (rcu_impl !== 'tiny') fail.push(`rcu.ts chose ${rcu_impl ?? 'nothing'}`);
    // Callbacks wait for a quiescent state: ticks and softirqs while this task keeps the CPU are none.
    for (let k = 0; k < N; k++) call_rcu(k, cb);
    kapi.mdelay(20);
    if (count() !== 0) fail.push(`${count()} callbacks ran before a quiescent state`);
    // Each sleep is a context switch; the softirq then runs them (at most 100 tries on a loaded host).
    for (let i = 0; i < 100 && count() !== N; i++) await kapi.scheduleTimeout(1);
    if (count() !== N) fail.push(`${count()}/${N} callbacks ran after context switches`);
    if (Atomics.load(i32, r.base + W_ORDER_BAD) !== 0) fail.push('callbacks ran out of order');
    // The polled API on gp_seq.
    const c1 = get_state_synchronize_rcu();
    if (poll_state_synchronize_rcu(c1)) fail.push('a fresh cookie polled done');
    await synchronize_rcu();
    if (!poll_state_synchronize_rcu(c1)) fail.push('a cookie not done after synchronize_rcu()');
    const c2 = start_poll_synchronize_rcu();
    await kapi.scheduleTimeout(1);
    if (!poll_state_synchronize_rcu(c2)) fail.push('a cookie not done after a context switch');
    // rcu_barrier() waits for the callbacks queued before it.
    for (let k = 0; k < N; k++) call_rcu(N + k, cb);
    await rcu_barrier();
    if (count() !== 2 * N) fail.push(`rcu_barrier() returned with ${count()}/${2 * N} callbacks run`);
    // rcu_sched_clock_irq() asks for a reschedule while callbacks wait; cond_resched() is then a QS.
    // Without a context switch: each round spins 1 ms (a tick, late on a loaded host, sets
    // need_resched), then cond_resched(); the softirq runs at an irq exit of a later delay.
    call_rcu(2 * N, cb);
    for (let i = 0; i < 500 && count() !== 2 * N + 1; i++) {
      kapi.mdelay(1);
      cond_resched_rcu_qs();
    }
    if (count() !== 2 * N + 1) fail.push('cond_resched() after the tick asked for a reschedule was no quiescent state');
    kapi.printk(fail.length === 0 ? `tiny-api: OK callbacks=${count()}` : `tiny-api: FAIL: ${fail.join('; ')}`);
    kapi.powerOff();
  }, 'tiny_api');
}
