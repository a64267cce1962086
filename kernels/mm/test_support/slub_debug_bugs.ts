/*
 * Test guest module: a caller that misuses a slab cache in one way, chosen by
 * `slub_debug_bugs.case` (boot with `slub_debug=FZPU` or its per-cache form), as the kernel's
 * lib/slub_kunit.c does to prove the SLUB debug checks:
 *
 *   wrong_cache  an object of slub_test_64 freed to slub_test_32   -> cache_from_obj: Wrong slab cache
 *   not_start    a pointer 8 bytes into an object freed            -> Invalid object pointer
 *   freelist     a free object's free pointer overwritten          -> Freepointer corrupt (next alloc)
 *   held_lock    an object freed while a spinlock inside it is held -> WARNING: held lock freed!
 *   ops          ordinary allocations and frees only (the boot switches slub.test_* plant the bug)
 *   dump         no misuse: mem_dump_obj() of an object freed and allocated again (both tracks)
 *
 * CPU 0 prints `slub-debug-bugs: done <case> flags=<slub_test_64's>,<slub_test_32's>` and powers off.
 */

import { kapi, LD_WAIT } from '../../../harness/kapi.js';
import { spin_lock, spin_lock_init } from '../../locking/spinlock.js';
import { module_param } from '../../moduleparam.js';
import { kmem_cache_alloc, kmem_cache_create, kmem_cache_destroy, kmem_cache_free, mem_dump_obj, pointer_px } from '../slab_common.js';
import { slub_free_pointer_addr, slub_init } from '../slub.js';

export function boot(cpu: number): void {
  slub_init();
  if (cpu !== 0) return;
  const key = kapi.lockClass('slub_test_obj_lock', 'spinlock', LD_WAIT.CONFIG);
  kapi.kthreadRun(async () => {
    const which = module_param('slub_debug_bugs.case', 'charp', 'ops');
    const a = await kmem_cache_create('slub_test_64', 64, 8, 0, null);
    const b = await kmem_cache_create('slub_test_32', 32, 8, 0, null);
    if (a === null || b === null) return kapi.printk('slub-debug-bugs: FAIL: kmem_cache_create');
    const objs: number[] = [];
    for (let k = 0; k < 8; k++) objs.push(kmem_cache_alloc(a));
    const o = objs.pop() ?? 0;
    if (which === 'wrong_cache') {
      kmem_cache_free(b, o);
    } else if (which === 'not_start') {
      kmem_cache_free(a, o + 8);
    } else if (which === 'freelist') {
      kmem_cache_free(a, o);
      kapi.shm[slub_free_pointer_addr(a, o) / 4] = 0x12345;
      objs.push(kmem_cache_alloc(a));
    } else if (which === 'dump') {
      kmem_cache_free(a, o);
      const again = kmem_cache_alloc(a);
      const [first, ...rest] = mem_dump_obj(again + 8);
      kapi.printk(`mem_dump_obj(${pointer_px(again + 8)}):${first ?? ''}`);
      for (const l of rest) kapi.printk(l);
      objs.push(again);
    } else if (which === 'held_lock') {
      const lock = spin_lock_init(o + 16, key);
      spin_lock(lock);
      kmem_cache_free(a, o);
      // The lock died with its memory (now poisoned): only lockdep's record of it is dropped.
      kapi.lockdep.release(lock.dep_map);
      kapi.preemptEnable();
    } else {
      for (let round = 0; round < 50; round++) {
        for (let k = 0; k < 8; k++) objs.push(kmem_cache_alloc(a));
        for (let k = 0; k < 8; k++) kmem_cache_free(a, objs.pop() ?? 0);
        await kapi.schedule();
      }
      kmem_cache_free(a, o);
    }
    for (const x of objs) if (x !== 0) kmem_cache_free(a, x);
    const flags = `flags=0x${(a.flags >>> 0).toString(16)},0x${(b.flags >>> 0).toString(16)}`;
    await kmem_cache_destroy(a);
    await kmem_cache_destroy(b);
    kapi.printk(`slub-debug-bugs: done ${which} ${flags}`);
    kapi.powerOff();
  }, 'slab_test');
}
