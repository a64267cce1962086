/*
 * Test guest module (2+ CPUs, CONFIG_HOTPLUG_CPU=y): CPU 1's slab of a cache holds objects when
 * CPU 1 goes offline, and slub_cpu_dead() must give them back to the node's partial list.
 *
 *   1. CPU 1 allocates 5 objects and frees them (fast path: its private freelist holds a whole
 *      slab), then allocates 3 more and publishes them.
 *   2. CPU 0 frees one of the three: a remote free into CPU 1's frozen slab (__slab_free()).
 *   3. CPU 0 takes CPU 1 offline: slub_cpu_dead() deactivates CPU 1's slab, so the node's
 *      partial list holds every object but the two still allocated, and slub_cpu_dead_stats()
 *      counts the slab and the objects of CPU 1's freelist.
 *   4. CPU 0 frees the other two and destroys the cache (it must be empty).
 * CPU 0 prints `slab-hotplug: OK ...` or `slab-hotplug: FAIL: ...` and powers off.
 */

import { kapi } from '../../../harness/kapi.js';
import { remove_cpu } from '../../cpu/hotplug.js';
import { kmem_cache_alloc, kmem_cache_create, kmem_cache_destroy, kmem_cache_free } from '../slab_common.js';
import {
  slub_cache_by_slot,
  slub_cpu_cached_objects,
  slub_cpu_dead_stats,
  slub_init,
  slub_node_free_objects,
  slub_objects_per_slab,
} from '../slub.js';

const W_SLOT = 0;
const W_READY = 1;
const W_OBJS = 2; // 3 words

export function boot(cpu: number): void {
  slub_init();
  const r = kapi.shmAlloc('slab_hotplug', 8, (reg) => Atomics.store(reg.i32, reg.base + W_SLOT, -1));
  const w = (k: number): number => r.base + k;
  if (cpu === 1) {
    kapi.kthreadRun(async () => {
      while (Atomics.load(kapi.shm, w(W_SLOT)) < 0) await kapi.scheduleTimeout(1);
      const s = slub_cache_by_slot(Atomics.load(kapi.shm, w(W_SLOT)));
      if (s === null) return;
      const objs: number[] = [];
      for (let k = 0; k < 5; k++) objs.push(kmem_cache_alloc(s));
      for (const o of objs) kmem_cache_free(s, o);
      for (let k = 0; k < 3; k++) Atomics.store(kapi.shm, w(W_OBJS + k), kmem_cache_alloc(s));
      // The objects before the flag: pairs with CPU 0's load of W_READY.
      Atomics.store(kapi.shm, w(W_READY), 1);
    }, 'slab_user');
  }
  if (cpu !== 0) return;
  kapi.kthreadRun(async () => {
    const say = (m: string): void => {
      kapi.printk(`slab-hotplug: ${m}`);
      kapi.powerOff();
    };
    const s = await kmem_cache_create('test_cache', 64, 8, 0, null);
    if (s === null) return say('FAIL: kmem_cache_create');
    const per = slub_objects_per_slab(s);
    Atomics.store(kapi.shm, w(W_SLOT), s.slot);
    while (Atomics.load(kapi.shm, w(W_READY)) === 0) await kapi.scheduleTimeout(1);
    const objs = [0, 1, 2].map((k) => Atomics.load(kapi.shm, w(W_OBJS + k)));
    if (objs.some((o) => o === 0)) return say('FAIL: kmem_cache_alloc on CPU 1');
    const cached = slub_cpu_cached_objects(s, 1);
    if (cached !== per - 3 || slub_node_free_objects(s) !== 0) return say(`FAIL: CPU 1 caches ${cached} of ${per}, node ${slub_node_free_objects(s)}`);
    kmem_cache_free(s, objs[0] as number); // remote free into CPU 1's frozen slab
    const before = slub_cpu_dead_stats();
    if ((await remove_cpu(1)) !== 0) return say('FAIL: remove_cpu(1)');
    const after = slub_cpu_dead_stats();
    const flushedSlabs = after.cpuSlabs - before.cpuSlabs;
    const flushedObjs = after.objects - before.objects;
    if (slub_cpu_cached_objects(s, 1) !== 0 || slub_node_free_objects(s) !== per - 2) {
      return say(`FAIL: slub_cpu_dead did not flush CPU 1: node ${slub_node_free_objects(s)} of ${per}`);
    }
    if (flushedSlabs !== 1 || flushedObjs !== cached) return say(`FAIL: stats ${flushedSlabs} slabs ${flushedObjs} objects`);
    kmem_cache_free(s, objs[1] as number);
    kmem_cache_free(s, objs[2] as number);
    if (slub_node_free_objects(s) !== per) return say('FAIL: frees after offline');
    await kmem_cache_destroy(s);
    say(`OK: slub_cpu_dead flushed ${flushedSlabs} cpu slab, ${flushedObjs} objects`);
  }, 'slab_test');
}
