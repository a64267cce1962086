/*
 * Test guest module: SRCU's API on real worker-thread CPUs, Tree SRCU with CONFIG_SMP=y, Tiny
 * SRCU without (as rcutorture's srcu ops choose). CPU 0's kthread checks, in order:
 *   1. synchronize_srcu() waits for a reader that sleeps inside its critical section on CPU 1
 *      (`srcu-check: sync waited for the reader`);
 *   2. call_srcu() from every CPU, then srcu_barrier(): every callback ran exactly once
 *      (`srcu-check: barrier N/N`);
 *   2b. (Tree SRCU) srcu_barrier() called on another CPU while a callback is being invoked (taken
 *      off its list, spinning in the callback) waits for it:
 *      `srcu-check: barrier waited for an invoking callback`;
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
  const W_SLOW_IN = st.base + 4;
  const W_SLOW_DONE = st.base + 5;
  const W_BARRIER_CALLED = st.base + 6;
  const W_BARRIER_RET = st.base + 7;
  const W_BAR_READY = st.base + 8;
  const W_BAR_GO = st.base + 9;
  const cb = rcu_callback('srcu_check_cb', () => {
    Atomics.add(kapi.shm, W_CBS, 1);
  });
  // 2b's callback: it says on which CPU it is being invoked, then spins (a plain host spin: bottom
  // halves are off, so nothing else runs on its CPU) until srcu_barrier() has been called and 50 ms
  // more (at most 10 s in all: a loaded host), then counts itself done.
  const slow = rcu_callback('srcu_check_slow_cb', () => {
    Atomics.store(kapi.shm, W_SLOW_IN, kapi.smpProcessorId() + 1);
    const cap = performance.now() + 10_000;
    while (Atomics.load(kapi.shm, W_BARRIER_CALLED) === 0 && performance.now() < cap);
    if (Atomics.load(kapi.shm, W_BARRIER_CALLED) === 0) {
      // No srcu_barrier() while it was being invoked: nothing was tested. Close the window (a late
      // caller must not claim it) and say so (W_SLOW_DONE 2).
      Atomics.store(kapi.shm, W_SLOW_IN, 0);
      Atomics.store(kapi.shm, W_SLOW_DONE, 2);
      return;
    }
    const end = performance.now() + 50;
    while (performance.now() < end);
    Atomics.store(kapi.shm, W_SLOW_DONE, 1);
  });
  // 2b's barrier callers: a kthread of each CPU's executor but CPU 0's (a task runs on the host
  // thread that created it, and CPU 0's, which runs the SRCU work kthread, is busy in the
  // callback). Told to start, each busy-polls (the timed sleepers' wake-ups come from a tick that
  // a spinning CPU 0 does not take); the first that sees the slow callback spinning on another
  // CPU claims the call (W_BARRIER_CALLED) and calls srcu_barrier().
  const slowBarrier = async (): Promise<void> => {
    while (Atomics.load(kapi.shm, W_BAR_GO) === 0) await kapi.scheduleTimeout(1);
    Atomics.add(kapi.shm, W_BAR_READY, 1);
    for (;;) {
      const me = kapi.smpProcessorId() + 1;
      const on = Atomics.load(kapi.shm, W_SLOW_IN);
      if (on !== 0 && on !== me && Atomics.compareExchange(kapi.shm, W_BARRIER_CALLED, 0, me) === 0) break;
      if (Atomics.load(kapi.shm, W_BARRIER_CALLED) !== 0 || Atomics.load(kapi.shm, W_BARRIER_RET) !== 0) return;
      const p = kapi.udelay(20);
      if (p !== null) await p;
      await kapi.condResched();
    }
    await tree.srcu_barrier(srcu_check);
    Atomics.store(kapi.shm, W_BARRIER_RET, Atomics.load(kapi.shm, W_SLOW_DONE) === 1 ? 1 : 2);
  };
  if (!isTiny && kapi.nrCpuIds > 1 && cpu !== 0) kapi.kthreadRun(slowBarrier, `srcu_check_bar/${cpu}`);
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
    // 2b. srcu_barrier() from a CPU other than the one invoking the slow callback.
    if (!isTiny && kapi.nrCpuIds > 1) {
      Atomics.store(kapi.shm, W_BAR_GO, 1);
      // Every caller polling before the callback can be invoked.
      while (Atomics.load(kapi.shm, W_BAR_READY) < kapi.nrCpuIds - 1) await kapi.scheduleTimeout(1);
      impl.call_srcu(srcu_check, 0, slow);
      while (Atomics.load(kapi.shm, W_BARRIER_RET) === 0 && Atomics.load(kapi.shm, W_SLOW_DONE) !== 2) await kapi.scheduleTimeout(1);
      if (Atomics.load(kapi.shm, W_SLOW_DONE) === 2) say('FAIL no srcu_barrier() call while the callback was being invoked');
      else say(Atomics.load(kapi.shm, W_BARRIER_RET) === 1 ? 'barrier waited for an invoking callback' : 'FAIL barrier returned while a callback was being invoked');
    }
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
