/*
 * mm/slab_common.c: the allocator-independent half of the slab allocator — cache creation and
 * destruction under slab_mutex, and mem_dump_obj().
 *
 * Lock order (kernels/README.md, "The seed bug"): cpu_hotplug_lock is OUTER, slab_mutex INNER. The cpuhp dead
 * callback slub_cpu_dead() runs under cpus_write_lock() and takes slab_mutex; kmem_cache_destroy()
 * takes cpus_read_lock() then slab_mutex. kmem_cache_create_usercopy() enables the slub_debug
 * static key (which takes cpus_read_lock()) BEFORE slab_mutex: the fix, afe0c26d1968. Boot
 * parameter `slub.debug_key_under_slab_mutex=1` moves that call back into kmem_cache_open(),
 * under slab_mutex, as commit 1f0723a4c0df had it: the seed bug.
 *
 * Not modelled: cache merging (every create makes a new cache), kmalloc caches, sysfs, memcg.
 */

import { kapi } from '../../harness/kapi.js';
import { WARN } from '../bug.js';
import { cpus_read_lock, cpus_read_unlock } from '../cpu/hotplug.js';
import { mutex_lock, mutex_unlock } from '../locking/mutex.js';
import { static_key_enable } from '../jump_label.js';
import {
  SLAB_DEBUG_FLAGS,
  __kmem_cache_create,
  __kmem_cache_shutdown,
  kmem_cache_release,
  slab_mutex,
  slub_debug_enabled,
  slub_debug_key_under_slab_mutex,
  slub_find_object,
  type KmemCache,
} from './slub.js';

export { kmem_cache_alloc, kmem_cache_free, SLAB_CONSISTENCY_CHECKS, SLAB_HWCACHE_ALIGN, SLAB_POISON, SLAB_RED_ZONE, SLAB_STORE_USER, type KmemCache } from './slub.js';
export { pointer_px } from './slub_check.js';
import { pointer_px } from './slub_check.js';

/** ZERO_SIZE_PTR: what kmalloc(0) returns. */
export const ZERO_SIZE_PTR = 16;


/** kmem_cache_create_usercopy(): a new cache, or null on failure. */
export async function kmem_cache_create_usercopy(
  name: string,
  size: number,
  align: number,
  flags: number,
  useroffset: number,
  usersize: number,
  ctor: ((obj: number) => void) | null,
): Promise<KmemCache | null> {
  // afe0c26d1968: enable the key before slab_mutex, so cpu_hotplug_lock stays outside it.
  if ((flags & SLAB_DEBUG_FLAGS) !== 0 && !slub_debug_key_under_slab_mutex()) await static_key_enable(slub_debug_enabled());
  await mutex_lock(slab_mutex());
  let s: KmemCache | null = null;
  try {
    if (name.length === 0 || size < 1 || useroffset < 0 || usersize < 0 || useroffset + usersize > size) {
      WARN(true, `kmem_cache_create(${name}) integrity check failed`);
    } else {
      s = await __kmem_cache_create(name, size, align, flags, useroffset, usersize, ctor);
    }
  } finally {
    mutex_unlock(slab_mutex());
  }
  if (s === null) kapi.printk(`kmem_cache_create(${name}) failed with error -12`);
  return s;
}

/** kmem_cache_create(). */
export async function kmem_cache_create(
  name: string,
  size: number,
  align: number,
  flags: number,
  ctor: ((obj: number) => void) | null,
): Promise<KmemCache | null> {
  return await kmem_cache_create_usercopy(name, size, align, flags, 0, 0, ctor);
}

/** kmem_cache_destroy(): cpus_read_lock() then slab_mutex, the hotplug path's order. */
export async function kmem_cache_destroy(s: KmemCache | null): Promise<void> {
  if (s === null) return;
  await cpus_read_lock();
  await mutex_lock(slab_mutex());
  try {
    if (__kmem_cache_shutdown(s) !== 0) {
      kapi.printk(`kmem_cache_destroy ${s.name}: Slab cache still has objects when called from kmem_cache_destroy`);
    } else {
      kmem_cache_release(s);
    }
  } finally {
    mutex_unlock(slab_mutex());
    cpus_read_unlock();
  }
}

/**
 * kmem_dump_obj(): ` slab <name> start <slot> [data offset <red zone>] pointer offset <n> [size
 * <usersize>] [allocated at <caller>]`, then the allocation stack and, after ` Free path:`, the
 * stack of the object's last free, for a SLAB_STORE_USER cache (as 5.14 and later print them;
 * the size is the cache's usersize, as in the seed's 5.12). Returns the lines.
 */
function kmem_dump_obj(addr: number): string[] | null {
  const o = slub_find_object(addr);
  if (o === null) return null;
  let first = ` slab ${o.cacheName} start ${pointer_px(o.objAddr)}`;
  if (o.dataOffset !== 0) first += ` data offset ${o.dataOffset}`;
  first += ` pointer offset ${addr - o.objAddr - o.dataOffset}`;
  if (o.usersize > 0) first += ` size ${o.usersize}`;
  const lines: string[] = [o.allocStack.length > 0 ? `${first} allocated at ${o.allocStack[0]}` : first];
  for (const f of o.allocStack) lines.push(`    ${f}`);
  if (o.freeStack.length > 0) lines.push(' Free path:');
  for (const f of o.freeStack) lines.push(`    ${f}`);
  return lines;
}

/**
 * mem_dump_obj(): describe what `addr` points at. The first line is the continuation of the
 * caller's `mem_dump_obj(...):` line (pr_cont), so it is returned for the caller to join.
 */
export function mem_dump_obj(addr: number): string[] {
  const slab = kmem_dump_obj(addr);
  if (slab !== null) return slab;
  if (addr === 0) return [' NULL pointer.'];
  if (addr === ZERO_SIZE_PTR) return [' zero-size pointer.'];
  if (addr < 4096) return [' non-paged memory.'];
  return [' non-slab/vmalloc memory.'];
}
