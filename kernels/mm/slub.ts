/*
 * mm/slub.c, reduced: slab caches whose objects live in guest shared memory, with real per-CPU
 * object caches (kmem_cache_cpu) that a CPU allocates from and frees to without locks, a shared
 * free list per cache under its list_lock (a spinlock taken irqsave, one lockdep class
 * `&n->list_lock` for all caches, as init_kmem_cache_node()'s), the SLAB_STORE_USER allocation track, and the cpuhp
 * dead callback slub_cpu_dead(), which takes slab_mutex and flushes a dead CPU's per-CPU caches of
 * every cache back to the shared lists.
 *
 * Kernel names are kept so that lockdep stacks read like the seed report: kmem_cache_open() is
 * where commit 1f0723a4c0df enabled the slub_debug_enabled static key (under slab_mutex).
 *
 * Layout (one slot per cache in `slab_caches`, CACHE_WORDS each; the slot's object arena, free
 * stack and per-CPU caches are separate shm regions named after the slot):
 *   C_INUSE, C_OBJ_SIZE, C_STRIDE_WORDS, C_FLAGS, C_NOBJS, C_FREE_TOP, C_ALLOCATED, C_USERSIZE,
 *   C_NAME.. (64 bytes of UTF-8)
 * Per-CPU cache of slot s, CPU c: `kmem_cache_cpu.<s>` word c*16: count, then up to PCP_MAX
 * object indices. Only CPU c touches it, except the control CPU after c is dead (slub_cpu_dead)
 * and kmem_cache_destroy() of a cache nobody may use any more.
 *
 * Not modelled: slab pages, partial lists, NUMA nodes, poisoning/red zones, allocation of objects
 * bigger than MAX_OBJ_BYTES, the free track.
 */

import { LD_WAIT, kapi, type LockClassKey, type ShmRegion } from '../../harness/kapi.js';
import { WARN, lockdep_assert_held } from '../bug.js';
import { cpuhp_setup_state_nocalls } from '../cpu/hotplug.js';
import { DEFINE_SPINLOCK, spin_lock_irqsave, spin_unlock_irqrestore, type Spinlock } from '../locking/spinlock.js';
import { DEFINE_MUTEX, mutex_lock, mutex_unlock, type Mutex } from '../locking/mutex.js';
import { DEFINE_STATIC_KEY_FALSE, jump_label_init, static_key_enable, type StaticKey } from '../jump_label.js';
import { module_param } from '../moduleparam.js';

export const SLAB_CONSISTENCY_CHECKS = 0x00000100;
export const SLAB_RED_ZONE = 0x00000400;
export const SLAB_POISON = 0x00000800;
export const SLAB_HWCACHE_ALIGN = 0x00002000;
export const SLAB_STORE_USER = 0x00010000;
export const SLAB_TRACE = 0x00200000;
/** SLAB_DEBUG_FLAGS: any of these makes a cache a debug cache (and enables the static key). */
export const SLAB_DEBUG_FLAGS = SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TRACE | SLAB_CONSISTENCY_CHECKS;

export const MAX_CACHES = 32;
export const MAX_OBJS = 128;
export const MAX_OBJ_BYTES = 512;
const PCP_MAX = 14;
const PCP_BATCH = 7;
const PCP_STRIDE = 16;

const CACHE_WORDS = 32;
const C_INUSE = 0;
const C_OBJ_SIZE = 1;
const C_STRIDE_WORDS = 2;
const C_FLAGS = 3;
const C_NOBJS = 4;
const C_FREE_TOP = 5;
const C_ALLOCATED = 6;
const C_USERSIZE = 7;
const C_NAME = 16;
const NAME_BYTES = 64;

/** struct kmem_cache, as the creating CPU holds it. `slot` names the shared state. */
export interface KmemCache {
  readonly slot: number;
  readonly name: string;
  readonly object_size: number;
  readonly align: number;
  readonly flags: number;
  readonly useroffset: number;
  readonly usersize: number;
  readonly ctor: ((obj: number) => void) | null;
}

let slab_mutex_: Mutex | null = null;
let slub_debug_enabled_: StaticKey | null = null;
let caches_: ShmRegion | null = null;
const list_locks = new Map<number, Spinlock>();
/** init_kmem_cache_node()'s spin_lock_init(&n->list_lock): one class for every cache's list_lock. */
let list_lock_key: LockClassKey | null = null;
/** SLAB_STORE_USER tracks of objects allocated on this CPU (object address -> frames). */
const alloc_tracks = new Map<number, string[]>();

/** slab_mutex: protects the list of caches and cache creation/destruction. */
export function slab_mutex(): Mutex {
  slab_mutex_ ??= DEFINE_MUTEX('slab_mutex');
  return slab_mutex_;
}

/** DEFINE_STATIC_KEY_FALSE(slub_debug_enabled). */
export function slub_debug_enabled(): StaticKey {
  slub_debug_enabled_ ??= DEFINE_STATIC_KEY_FALSE('slub_debug_enabled');
  return slub_debug_enabled_;
}

function caches(): ShmRegion {
  caches_ ??= kapi.shmAlloc('slab_caches', MAX_CACHES * CACHE_WORDS);
  return caches_;
}

function cw(slot: number, w: number): number {
  return caches().base + slot * CACHE_WORDS + w;
}

function arena(slot: number): ShmRegion {
  return kapi.shmAlloc(`slab_arena.${slot}`, MAX_OBJS * (MAX_OBJ_BYTES / 4));
}

function freeStack(slot: number): ShmRegion {
  return kapi.shmAlloc(`slab_freelist.${slot}`, MAX_OBJS);
}

function cpuSlab(slot: number): ShmRegion {
  return kapi.shmAlloc(`kmem_cache_cpu.${slot}`, kapi.nrCpuIds * PCP_STRIDE);
}

function listLock(slot: number): Spinlock {
  let l = list_locks.get(slot);
  if (l === undefined) {
    list_lock_key ??= kapi.lockClass('&n->list_lock', 'spinlock', LD_WAIT.CONFIG);
    l = DEFINE_SPINLOCK(`kmem_cache_node.list_lock.${slot}`, list_lock_key);
    list_locks.set(slot, l);
  }
  return l;
}

function readName(slot: number): string {
  const u8 = new Uint8Array(kapi.shm.buffer, cw(slot, C_NAME) * 4, NAME_BYTES);
  const end = u8.indexOf(0);
  return new TextDecoder().decode(u8.slice(0, end < 0 ? NAME_BYTES : end));
}

function objAddr(slot: number, idx: number): number {
  const stride = Atomics.load(kapi.shm, cw(slot, C_STRIDE_WORDS));
  return (arena(slot).base + idx * stride) * 4;
}

/**
 * kmem_cache_open(): set the cache up. Under slab_mutex; with slub.debug_key_under_slab_mutex=1 it
 * also enables slub_debug_enabled here, as commit 1f0723a4c0df did (the seed bug).
 */
async function kmem_cache_open(s: KmemCache): Promise<number> {
  const i32 = kapi.shm;
  const stride = Math.ceil(Math.max(s.object_size, s.align, 4) / 4);
  Atomics.store(i32, cw(s.slot, C_OBJ_SIZE), s.object_size);
  Atomics.store(i32, cw(s.slot, C_STRIDE_WORDS), stride);
  Atomics.store(i32, cw(s.slot, C_FLAGS), s.flags);
  Atomics.store(i32, cw(s.slot, C_USERSIZE), s.usersize);
  const nobjs = Math.min(MAX_OBJS, Math.floor((MAX_OBJS * (MAX_OBJ_BYTES / 4)) / stride));
  Atomics.store(i32, cw(s.slot, C_NOBJS), nobjs);
  const fs = freeStack(s.slot);
  for (let k = 0; k < nobjs; k++) Atomics.store(i32, fs.base + k, nobjs - 1 - k);
  Atomics.store(i32, cw(s.slot, C_FREE_TOP), nobjs);
  Atomics.store(i32, cw(s.slot, C_ALLOCATED), 0);
  const pcp = cpuSlab(s.slot);
  for (let c = 0; c < kapi.nrCpuIds; c++) Atomics.store(i32, pcp.base + c * PCP_STRIDE, 0);
  const u8 = new Uint8Array(i32.buffer, cw(s.slot, C_NAME) * 4, NAME_BYTES);
  u8.fill(0);
  u8.set(new TextEncoder().encode(s.name).subarray(0, NAME_BYTES - 1));
  if ((s.flags & SLAB_DEBUG_FLAGS) !== 0 && slub_debug_key_under_slab_mutex()) await static_key_enable(slub_debug_enabled());
  return 0;
}

/** The boot parameter that restores commit 1f0723a4c0df's lock order (not a kernel parameter). */
export function slub_debug_key_under_slab_mutex(): boolean {
  return module_param('slub.debug_key_under_slab_mutex', 'bool', false);
}

/** __kmem_cache_create(): find a free slot and open the cache there. Caller holds slab_mutex. */
export async function __kmem_cache_create(
  name: string,
  size: number,
  align: number,
  flags: number,
  useroffset: number,
  usersize: number,
  ctor: ((obj: number) => void) | null,
): Promise<KmemCache | null> {
  lockdep_assert_held(slab_mutex().dep_map);
  if (size > MAX_OBJ_BYTES) return null;
  const i32 = kapi.shm;
  let slot = -1;
  for (let k = 0; k < MAX_CACHES; k++) {
    if (Atomics.load(i32, cw(k, C_INUSE)) === 0) {
      slot = k;
      break;
    }
  }
  if (slot < 0) return null;
  const s: KmemCache = { slot, name, object_size: size, align: Math.max(align, 8), flags, useroffset, usersize, ctor };
  const err = await kmem_cache_open(s);
  if (err !== 0) return null;
  // Publish the cache last: pairs with the Atomics.load(C_INUSE) in slub_cpu_dead() and
  // slub_find_object() on other CPUs.
  Atomics.store(i32, cw(slot, C_INUSE), 1);
  return s;
}

/** Allocation track for SLAB_STORE_USER: the kernel frames above kmem_cache_alloc(). */
function set_track(): string[] {
  const frames = kapi.stackTraceSave();
  const at = frames.findIndex((f) => f.startsWith('kmem_cache_alloc '));
  return at >= 0 ? frames.slice(at + 1) : frames;
}

/** kmem_cache_alloc(): from this CPU's cache, refilled from the shared free list. 0 when empty. */
export function kmem_cache_alloc(s: KmemCache): number {
  const i32 = kapi.shm;
  const pcp = cpuSlab(s.slot).base + kapi.smpProcessorId() * PCP_STRIDE;
  let n = i32[pcp] ?? 0;
  if (n === 0) {
    const lock = listLock(s.slot);
    const fs = freeStack(s.slot);
    const flags = spin_lock_irqsave(lock);
    let top = Atomics.load(i32, cw(s.slot, C_FREE_TOP));
    while (n < PCP_BATCH && top > 0) {
      top--;
      i32[pcp + 1 + n] = i32[fs.base + top] ?? 0;
      n++;
    }
    Atomics.store(i32, cw(s.slot, C_FREE_TOP), top);
    spin_unlock_irqrestore(lock, flags);
    if (n === 0) return 0;
  }
  n--;
  const idx = i32[pcp + 1 + n] ?? 0;
  i32[pcp] = n;
  Atomics.add(i32, cw(s.slot, C_ALLOCATED), 1);
  const addr = objAddr(s.slot, idx);
  if ((s.flags & SLAB_STORE_USER) !== 0) alloc_tracks.set(addr, set_track());
  s.ctor?.(addr);
  return addr;
}

function flushToList(slot: number, pcp: number, keep: number): void {
  const i32 = kapi.shm;
  let n = i32[pcp] ?? 0;
  if (n <= keep) return;
  const lock = listLock(slot);
  const fs = freeStack(slot);
  const flags = spin_lock_irqsave(lock);
  let top = Atomics.load(i32, cw(slot, C_FREE_TOP));
  while (n > keep) {
    n--;
    i32[fs.base + top] = i32[pcp + 1 + n] ?? 0;
    top++;
  }
  Atomics.store(i32, cw(slot, C_FREE_TOP), top);
  spin_unlock_irqrestore(lock, flags);
  i32[pcp] = n;
}

/** kmem_cache_free(): to this CPU's cache, spilling half of it to the shared list when full. */
export function kmem_cache_free(s: KmemCache, addr: number): void {
  const i32 = kapi.shm;
  const stride = Atomics.load(i32, cw(s.slot, C_STRIDE_WORDS));
  const idx = (addr / 4 - arena(s.slot).base) / stride;
  if (!Number.isInteger(idx) || idx < 0 || idx >= Atomics.load(i32, cw(s.slot, C_NOBJS))) {
    WARN(true, `cache_from_obj: Wrong slab cache. ${s.name} but object is from elsewhere`);
    return;
  }
  alloc_tracks.delete(addr);
  const pcp = cpuSlab(s.slot).base + kapi.smpProcessorId() * PCP_STRIDE;
  if ((i32[pcp] ?? 0) >= PCP_MAX) flushToList(s.slot, pcp, PCP_BATCH);
  const n = i32[pcp] ?? 0;
  i32[pcp + 1 + n] = idx;
  i32[pcp] = n + 1;
  Atomics.sub(i32, cw(s.slot, C_ALLOCATED), 1);
}

/** __flush_cpu_slab(): give CPU `cpu`'s cached objects of a cache back to its shared list. */
function __flush_cpu_slab(slot: number, cpu: number): void {
  flushToList(slot, cpuSlab(slot).base + cpu * PCP_STRIDE, 0);
}

/** slub_cpu_dead(): CPUHP_SLUB_DEAD teardown, on the control CPU after `cpu` died. */
export async function slub_cpu_dead(cpu: number): Promise<void> {
  await mutex_lock(slab_mutex());
  for (let slot = 0; slot < MAX_CACHES; slot++) {
    if (Atomics.load(kapi.shm, cw(slot, C_INUSE)) !== 0) __flush_cpu_slab(slot, cpu);
  }
  mutex_unlock(slab_mutex());
}

/** flush_all_cpus_locked(): caller holds cpu_hotplug_lock; the cache is no longer in use. */
function flush_all_cpus_locked(s: KmemCache): void {
  for (let cpu = 0; cpu < kapi.nrCpuIds; cpu++) __flush_cpu_slab(s.slot, cpu);
}

/** __kmem_cache_shutdown(): 0 if the cache is empty and may go, else -EBUSY. */
export function __kmem_cache_shutdown(s: KmemCache): number {
  flush_all_cpus_locked(s);
  return Atomics.load(kapi.shm, cw(s.slot, C_ALLOCATED)) === 0 ? 0 : -16;
}

/** Free the cache's slot (after __kmem_cache_shutdown() succeeded). */
export function kmem_cache_release(s: KmemCache): void {
  Atomics.store(kapi.shm, cw(s.slot, C_INUSE), 0);
}

/** Objects on the cache's shared free list (not counting per-CPU caches): for tests and stats. */
export function slub_shared_free_objects(s: KmemCache): number {
  return Atomics.load(kapi.shm, cw(s.slot, C_FREE_TOP));
}

/** Objects sitting in CPU `cpu`'s per-CPU cache of `s`. */
export function slub_cpu_cached_objects(s: KmemCache, cpu: number): number {
  return Atomics.load(kapi.shm, cpuSlab(s.slot).base + cpu * PCP_STRIDE);
}

/** The live cache in `slot` as another CPU sees it (kmem_cache pointers are shared in the kernel). */
export function slub_cache_by_slot(slot: number): KmemCache | null {
  const i32 = kapi.shm;
  if (slot < 0 || slot >= MAX_CACHES || Atomics.load(i32, cw(slot, C_INUSE)) === 0) return null;
  return {
    slot,
    name: readName(slot),
    object_size: Atomics.load(i32, cw(slot, C_OBJ_SIZE)),
    align: 8,
    flags: Atomics.load(i32, cw(slot, C_FLAGS)),
    useroffset: 0,
    usersize: Atomics.load(i32, cw(slot, C_USERSIZE)),
    ctor: null,
  };
}

export interface SlabObjectInfo {
  readonly cacheName: string;
  readonly objAddr: number;
  readonly usersize: number;
  /** Allocation frames, innermost first (null when tracked on another CPU or not tracked). */
  readonly track: string[] | null;
}

/** kmem_obj_info(): the live cache object containing byte address `addr`, if any. */
export function slub_find_object(addr: number): SlabObjectInfo | null {
  const i32 = kapi.shm;
  for (let slot = 0; slot < MAX_CACHES; slot++) {
    if (Atomics.load(i32, cw(slot, C_INUSE)) === 0) continue;
    const stride = Atomics.load(i32, cw(slot, C_STRIDE_WORDS));
    const nobjs = Atomics.load(i32, cw(slot, C_NOBJS));
    const start = arena(slot).base * 4;
    if (addr < start || addr >= start + nobjs * stride * 4) continue;
    const idx = Math.floor((addr - start) / (stride * 4));
    const obj = start + idx * stride * 4;
    return { cacheName: readName(slot), objAddr: obj, usersize: Atomics.load(i32, cw(slot, C_USERSIZE)), track: alloc_tracks.get(obj) ?? null };
  }
  return null;
}

/** Boot on every CPU: lock classes in a fixed order, then the cpuhp dead callback. */
export function slub_init(): void {
  jump_label_init();
  slab_mutex();
  slub_debug_enabled();
  caches();
  cpuhp_setup_state_nocalls('CPUHP_SLUB_DEAD', 'slub:dead', null, slub_cpu_dead);
}
