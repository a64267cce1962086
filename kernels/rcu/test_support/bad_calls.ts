/*
 * Test guest module: calls modelled kernel functions the wrong way, so that the assertion each
 * carries (as the kernel's does) fires. `bad_call.kind=`
 *   held   __kmem_cache_create() without slab_mutex        -> lockdep_assert_held()
 *   irqs   rcu_cpu_starting() from a task with irqs on     -> lockdep_assert_irqs_disabled()
 *   online rcutree_migrate_callbacks() of an online CPU    -> WARN_ON_ONCE()
 * CPU 0 prints `bad-call: <kind> done` and powers off.
 */

import { kapi } from '../../../harness/kapi.js';
import { module_param } from '../../moduleparam.js';
import { __kmem_cache_create, slub_init } from '../../mm/slub.js';
import { rcu_callback } from '../rcu_callback.js';
import { call_rcu, rcu_cpu_starting, rcu_init, rcu_read_lock, rcu_read_unlock, rcutree_migrate_callbacks } from '../tree.js';

export function boot(cpu: number): void {
  rcu_init(cpu);
  slub_init();
  const kind = module_param('bad_call.kind', 'charp', 'held');
  const r = kapi.shmAlloc('bad_calls', 4);
  const cb = rcu_callback('bad_calls_cb', () => {});
  if (cpu === 1 && kind === 'online') {
    kapi.kthreadRun(async () => {
      // Queue callbacks, then hold the grace period they wait for (a reader spinning on its CPU)
      // until CPU 0 has made the bad call, so that they are still pending then.
      for (let k = 0; k < 4; k++) call_rcu(k, cb);
      rcu_read_lock();
      Atomics.store(kapi.shm, r.base, 1);
      Atomics.wait(kapi.shm, r.base + 1, 0, 5000);
      rcu_read_unlock();
    }, 'bad_queuer');
  }
  if (cpu !== 0) return;
  kapi.kthreadRun(async () => {
    if (kind === 'held') {
      await __kmem_cache_create('bad_call_cache', 64, 8, 0, 0, 0, null);
    } else if (kind === 'irqs') {
      rcu_cpu_starting(0);
    } else {
      while (Atomics.load(kapi.shm, r.base) === 0) await kapi.scheduleTimeout(1);
      rcutree_migrate_callbacks(1);
      Atomics.store(kapi.shm, r.base + 1, 1);
      Atomics.notify(kapi.shm, r.base + 1); // pairs with the queuer's Atomics.wait
    }
    kapi.printk(`bad-call: ${kind} done`);
    kapi.powerOff();
  }, 'bad_caller');
}
