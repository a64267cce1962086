/*
 * Test guest module (2+ CPUs, CONFIG_HOTPLUG_CPU=y): objects freed on CPU 1 sit in CPU 1's
 * per-CPU cache; taking CPU 1 offline runs slub_cpu_dead(), which must flush them back to the
 * shared list, after which the cache can be destroyed. CPU 0 prints `slab-hotplug: OK` or
 * `slab-hotplug: FAIL: ...` and powers off.
 */

import { kapi } from '../../../harness/kapi.js';
import { remove_cpu } from '../../cpu/hotplug.js';
import { kmem_cache_alloc, kmem_cache_create, kmem_cache_destroy, kmem_cache_free } from '../slab_common.js';
import { slub_cache_by_slot, slub_cpu_cached_objects, slub_init, slub_shared_free_objects } from '../slub.js';

const W_SLOT = 0;
const W_FREED = 1;

export function boot(cpu: number): void {
  slub_init();
  const r = kapi.shmAlloc('slab_hotplug', 4, (reg) => Atomics.store(reg.i32, reg.base + W_SLOT, -1));
  const w = (k: number): number => r.base + k;
  if (cpu === 1) {
    kapi.kthreadRun(async () => {
      while (Atomics.load(kapi.shm, w(W_SLOT)) < 0) await kapi.scheduleTimeout(1);
      const s = slub_cache_by_slot(Atomics.load(kapi.shm, w(W_SLOT)));
      if (s === null) return;
      const objs: number[] = [];
      for (let k = 0; k < 5; k++) objs.push(kmem_cache_alloc(s));
      for (const o of objs) kmem_cache_free(s, o);
      Atomics.store(kapi.shm, w(W_FREED), 1);
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
    const total = slub_shared_free_objects(s);
    Atomics.store(kapi.shm, w(W_SLOT), s.slot);
    while (Atomics.load(kapi.shm, w(W_FREED)) === 0) await kapi.scheduleTimeout(1);
    const cached = slub_cpu_cached_objects(s, 1);
    if (cached === 0 || slub_shared_free_objects(s) + cached !== total) return say(`FAIL: cached ${cached} of ${total}`);
    if ((await remove_cpu(1)) !== 0) return say('FAIL: remove_cpu(1)');
    if (slub_cpu_cached_objects(s, 1) !== 0 || slub_shared_free_objects(s) !== total) return say('FAIL: slub_cpu_dead did not flush CPU 1');
    await kmem_cache_destroy(s);
    say('OK');
  }, 'slab_test');
}
