/*
 * Test guest module: SRCU's API on real worker-thread CPUs, Tree SRCU with CONFIG_SMP=y, Tiny
 * SRCU without (as rcutorture's srcu ops choose). CPU 0's kthread checks, in order:
 *   1. synchronize_srcu() waits for a reader that sleeps inside its critical section on CPU 1
 *      (`srcu-check: sync waited for the reader`);
 *   2. call_srcu() from every CPU, then srcu_barrier(): every callback ran exactly once
 *      (`srcu-check: barrier N/N`);
 *   3. start_poll_synchronize_srcu() / poll_state_synchronize_srcu(): the cookie is not done at
 *      once while a reader holds the struct, and is done after the reader leaves;
 *   4. one second of back-to-back synchronize_srcu() with no readers: `srcu-check: N GPs/s`
 *      (a figure, not a check);
 * then prints `srcu-check: done` and powers off. A failed check prints `srcu-check: FAIL ...`.
 */

import { kapi } from '../../../harness/kapi.js';
import { rcu_callback } from '../rcu_callback.js';
import { rcu_init } from '../tree.js';
import * as tree from '../srcu_tree.js';
import * as tiny from '../srcu_tiny.js';
import { DEFINE_STATIC_SRCU } from '../srcu_tree_struct.js';

const srcu_check = DEFINE_STATIC_SRCU('srcu_check');
const N_CBS_PER_CPU = 50;

export function boot(cpu: number): void {
  rcu_init(cpu);
  const isTiny = kapi.config.kconfig.get('CONFIG_SMP') === 'n';
  const impl = isTiny ? tiny : tree;
  if (isTiny) tiny.srcu_tiny_init(cpu);
  else tree.srcu_init(cpu);
  const st = kapi.shmAlloc('srcu_check.state', 16);
  const W_IN = st.base;
  const W_LEFT = st.base + 1;
  const W_CBS = st.base + 2;
  const W_CALLS_DONE = st.base + 3;
  const cb = rcu_callback('srcu_check_cb', () => {
    Atomics.add(kapi.shm, W_CBS, 1);
  });
  const barrier = isTiny ? tiny.synchronize_srcu : tree.srcu_barrier;
  const reader = async (sleepJ: number): Promise<void> => {
    const idx = impl.srcu_read_lock(srcu_check);
    Atomics.store(kapi.shm, W_IN, 1);
    await kapi.scheduleTimeout(sleepJ);
    Atomics.store(kapi.shm, W_LEFT, 1);
    impl.srcu_read_unlock(srcu_check, idx);
  };
  // call_srcu() from every CPU (with one CPU, from CPU 0).
  kapi.kthreadRun(async () => {
    await kapi.scheduleTimeout(20);
    for (let i = 0; i < N_CBS_PER_CPU; i++) {
      impl.call_srcu(srcu_check, i, cb);
      if (i % 10 === 0) await kapi.scheduleTimeout(1);
    }
    Atomics.add(kapi.shm, W_CALLS_DONE, 1);
  }, `srcu_check_cb/${cpu}`);
  if (cpu !== 0) return;
  const say = (s: string): void => kapi.printk(`srcu-check: ${s}`);
  kapi.kthreadRun(async () => {
    // 1. A sleeping reader on another CPU (or this one) holds synchronize_srcu() up.
    const r = kapi.kthreadRun(() => reader(100), 'srcu_check_rdr');
    if (kapi.nrCpuIds > 1) kapi.kthreadBind(r, 1);
    while (Atomics.load(kapi.shm, W_IN) === 0) await kapi.scheduleTimeout(1);
    const cookie = impl.start_poll_synchronize_srcu(srcu_check);
    if (impl.poll_state_synchronize_srcu(srcu_check, cookie)) say('FAIL poll done with a reader inside');
    await impl.synchronize_srcu(srcu_check);
    say(Atomics.load(kapi.shm, W_LEFT) === 1 ? 'sync waited for the reader' : 'FAIL sync returned with the reader inside');
    say(impl.poll_state_synchronize_srcu(srcu_check, cookie) ? 'poll done after the reader' : 'FAIL poll not done after a grace period');
    // 2. Every CPU's callbacks, then srcu_barrier().
    while (Atomics.load(kapi.shm, W_CALLS_DONE) < kapi.nrCpuIds) await kapi.scheduleTimeout(1);
    await barrier(srcu_check);
    const want = N_CBS_PER_CPU * kapi.nrCpuIds;
    const got = Atomics.load(kapi.shm, W_CBS);
    say(got === want ? `barrier ${got}/${want}` : `FAIL barrier ${got}/${want}`);
    // 4. Grace-period rate.
    const end = kapi.jiffies() + 1000;
    let n = 0;
    while (kapi.jiffies() < end) {
      await impl.synchronize_srcu(srcu_check);
      n++;
    }
    say(`${n} GPs/s`);
    say('done');
    kapi.powerOff();
  }, 'srcu_check');
}
