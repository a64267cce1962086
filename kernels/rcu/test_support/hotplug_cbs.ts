/*
 * Test guest module (4 CPUs, PREEMPT_NONE, CONFIG_HOTPLUG_CPU=y): CPU 1 queues call_rcu()
 * callbacks while a reader on CPU 2 holds the grace period up (spinning until CPU 1 is offline), then CPU 0 takes CPU 1 offline
 * (rcutree_migrate_callbacks() adopts the callbacks under barrier_lock and the leaf's rcu_node
 * lock) and brings it back (rcu_cpu_starting()). Both RCU hotplug paths run once, in that order,
 * deterministically; the test then reads what lockdep made of them. CPU 0 prints
 * `hotplug-cbs: done remove=R add=A` and powers off.
 */

import { kapi } from '../../../harness/kapi.js';
import { add_cpu, remove_cpu } from '../../cpu/hotplug.js';
import { rcu_callback } from '../rcu_callback.js';
import { call_rcu, rcu_barrier, rcu_init, rcu_read_lock, rcu_read_unlock } from '../tree.js';

const W_GO = 0;
const W_READER_IN = 1;
const W_QUEUE = 2;
const W_QUEUED = 3;
const W_REMOVED = 4;

export function boot(cpu: number): void {
  rcu_init(cpu);
  const r = kapi.shmAlloc('hotplug_cbs', 8);
  const w = (k: number): number => r.base + k;
  const cb = rcu_callback('hotplug_cbs_cb', () => {});
  const until = async (k: number): Promise<void> => {
    while (Atomics.load(kapi.shm, w(k)) === 0) await kapi.scheduleTimeout(1);
  };
  if (cpu === 2) {
    kapi.kthreadRun(async () => {
      await until(W_GO);
      rcu_read_lock();
      Atomics.store(kapi.shm, w(W_READER_IN), 1);
      // Spin inside the reader until CPU 1 is offline, so that its callbacks are still pending.
      Atomics.wait(kapi.shm, w(W_REMOVED), 0, 5000);
      rcu_read_unlock();
    }, 'reader');
  }
  if (cpu === 1) {
    kapi.kthreadRun(async () => {
      await until(W_QUEUE);
      for (let k = 0; k < 10; k++) call_rcu(k, cb);
      Atomics.store(kapi.shm, w(W_QUEUED), 1);
    }, 'queuer');
  }
  if (cpu !== 0) return;
  kapi.kthreadRun(async () => {
    Atomics.store(kapi.shm, w(W_GO), 1);
    await until(W_READER_IN);
    Atomics.store(kapi.shm, w(W_QUEUE), 1);
    await until(W_QUEUED);
    const removed = await remove_cpu(1);
    Atomics.store(kapi.shm, w(W_REMOVED), 1);
    Atomics.notify(kapi.shm, w(W_REMOVED)); // pairs with the reader's Atomics.wait
    const added = await add_cpu(1);
    await rcu_barrier();
    kapi.printk(`hotplug-cbs: done remove=${removed} add=${added}`);
    kapi.powerOff();
  }, 'orchestrator');
}
