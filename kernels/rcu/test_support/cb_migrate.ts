/*
 * Test guest module (3 CPUs, PREEMPT_NONE, CONFIG_HOTPLUG_CPU=y): CPU 2 holds a reader until CPU 1
 * is offline (at most 5 s), so no grace period can end; meanwhile CPU 1 queues 20 call_rcu()
 * callbacks and is taken offline. Its callbacks must move to CPU 0 (rcutree_migrate_callbacks(),
 * counted in rcutree_migrate_stats()) and, after rcu_barrier(), each must have run exactly once.
 * CPU 0 prints `cb-migrate: OK ...` or `cb-migrate: FAIL ...`; when callbacks were left on CPU 1
 * (rcutree.test_skip_migrate=1) it says so and powers off without rcu_barrier(), which would wait
 * for CPU 1 to come back.
 */

import { kapi } from '../../../harness/kapi.js';
import { remove_cpu } from '../../cpu/hotplug.js';
import { rcu_callback } from '../rcu_callback.js';
import { call_rcu, rcu_barrier, rcu_cbs_pending, rcu_init, rcu_read_lock, rcu_read_unlock, rcutree_migrate_stats } from '../tree.js';

const W_GO = 0;
const W_READER_IN = 1;
const W_QUEUE = 2;
const W_QUEUED = 3;
const W_INVOKED = 4;
const N = 20;

export function boot(cpu: number): void {
  rcu_init(cpu);
  const r = kapi.shmAlloc('cb_migrate', 8);
  const w = (k: number): number => r.base + k;
  const cb = rcu_callback('cb_migrate_cb', () => {
    Atomics.add(kapi.shm, w(W_INVOKED), 1);
  });
  const until = async (k: number): Promise<void> => {
    while (Atomics.load(kapi.shm, w(k)) === 0) await kapi.scheduleTimeout(1);
  };
  if (cpu === 2) {
    kapi.kthreadRun(async () => {
      await until(W_GO);
      rcu_read_lock();
      Atomics.store(kapi.shm, w(W_READER_IN), 1);
      // Spin inside the reader (the worker blocks in 1 ms slices) until CPU 1 is offline.
      const spin = new Int32Array(new SharedArrayBuffer(4));
      const deadline = Date.now() + 5000;
      while (kapi.cpuOnline(1) && Date.now() < deadline) Atomics.wait(spin, 0, 0, 1);
      rcu_read_unlock();
    }, 'reader');
  }
  if (cpu === 1) {
    kapi.kthreadRun(async () => {
      await until(W_QUEUE);
      for (let k = 0; k < N; k++) call_rcu(k, cb);
      Atomics.store(kapi.shm, w(W_QUEUED), 1);
    }, 'queuer');
  }
  if (cpu !== 0) return;
  kapi.kthreadRun(async () => {
    Atomics.store(kapi.shm, w(W_GO), 1);
    await until(W_READER_IN);
    Atomics.store(kapi.shm, w(W_QUEUE), 1);
    await until(W_QUEUED);
    const pendingBefore = rcu_cbs_pending(1);
    const ret = await remove_cpu(1);
    const pendingAfter = rcu_cbs_pending(1);
    const adopted = rcutree_migrate_stats().adopted;
    if (pendingAfter !== 0) {
      kapi.printk(`cb-migrate: FAIL remove_cpu=${ret} pending-before=${pendingBefore} pending-after=${pendingAfter} adopted=${adopted}`);
      kapi.powerOff();
      return;
    }
    await rcu_barrier();
    const invoked = Atomics.load(kapi.shm, w(W_INVOKED));
    const ok = ret === 0 && pendingBefore === N && invoked === N && adopted === N;
    kapi.printk(`cb-migrate: ${ok ? 'OK' : 'FAIL'} remove_cpu=${ret} pending-before=${pendingBefore} pending-after=${pendingAfter} adopted=${adopted} invoked=${invoked}/${N}`);
    kapi.powerOff();
  }, 'orchestrator');
}
