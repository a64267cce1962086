/*
 * The SLUB model's shared memory (slub.ts is the allocator): the caches' table, each cache's
 * slab pages, node and per-CPU slabs, and the primitives every path uses on them — objects and
 * their free pointers, slab state words, the node's partial list, slab pages — plus the geometry
 * slub_check.ts reads (debug_layout(), debug_view()) and the boot parameters of `slub.`.
 *
 * Layout (slot s of `slab_caches`, CACHE_WORDS each; the slot's arena, slab states, node and
 * per-CPU slabs are shm regions named after the slot, the same size for every cache so that a
 * slot reused by another cache finds them):
 *   slab_caches:        C_INUSE, C_OBJ_SIZE, C_STRIDE_WORDS, C_FLAGS, C_OO, C_USERSIZE, C_FP,
 *                       C_MIN_PARTIAL, a debug cache's layout in bytes (C_RED_LEFT, C_INUSE_B,
 *                       C_OFFSET_B, C_TRACK_OFF, C_SIZE_B), C_NAME.. (64 bytes of UTF-8)
 *   slab_pages.<s>:     per slab: SL_STATE, SL_NEXT, SL_PREV, SL_PAGE (in use), SL_ONLIST
 *   kmem_cache_node.<s>: partial list head, tail, nr_partial
 *   kmem_cache_cpu.<s>: per CPU (a cache line each): K_FREELIST, K_TID, K_SLAB
 * Objects and slabs are numbered; shm words hold number + 1 so that 0 is NULL. An object's address
 * is its slot's plus the left red zone (C_RED_LEFT, 0 but for SLAB_RED_ZONE caches).
 */

import { COV, cov, LD_WAIT, kapi, type LockClassKey, type ShmRegion } from '../../harness/kapi.js';
import { DEFINE_SPINLOCK, type Spinlock } from '../locking/spinlock.js';
import { ModuleParams } from '../moduleparam.js';
import { setup_object_debug, SLAB_BYTES, SLAB_DEBUG_FLAGS, type DebugLayout } from './slub_debug.js';
import type { DebugCacheView } from './slub_check.js';

export const MAX_CACHES = 32;
export const MAX_OBJ_BYTES = 512;
export const SLAB_WORDS = SLAB_BYTES / 4;
/** tid step: a power of two >= NR_CPUS (128 at most), so tid % TID_STEP is the CPU. */
const TID_STEP = 128;

const CACHE_WORDS = 32;
export const C_INUSE = 0;
export const C_OBJ_SIZE = 1;
export const C_STRIDE_WORDS = 2;
export const C_FLAGS = 3;
/** s->oo: objects per slab. */
export const C_OO = 4;
export const C_USERSIZE = 5;
/** s->offset: word offset of the free pointer in an object. */
export const C_FP = 6;
export const C_MIN_PARTIAL = 7;
/* A debug cache's layout in bytes (slub_debug.ts); C_RED_LEFT is 0 for other caches. */
export const C_RED_LEFT = 8;
export const C_INUSE_B = 9;
export const C_OFFSET_B = 10;
export const C_TRACK_OFF = 11;
export const C_SIZE_B = 12;
export const C_NAME = 16;
export const NAME_BYTES = 64;

/* Slab state word: the kernel's slab->freelist and slab->counters, updated together. */
const FL_MASK = 0x1ff; // first free object of the slab, local number + 1 (0: none)
const INUSE_SHIFT = 9;
export const INUSE_MASK = 0x1ff;
export const FROZEN = 1 << 18;

export const SL_STATE = 0;
export const SL_NEXT = 1;
const SL_PREV = 2;
/** 1 while the slab page is allocated to the cache (the page allocator's bit). */
export const SL_PAGE = 3;
/** 1 while on the node's partial list (slab_test_node_partial()); under list_lock. */
export const SL_ONLIST = 4;
export const SL_WORDS = 8;

export const N_PARTIAL_HEAD = 0;
const N_PARTIAL_TAIL = 1;
export const N_NR_PARTIAL = 2;
export const NODE_WORDS = 16;

export const K_FREELIST = 0;
export const K_TID = 1;
export const K_SLAB = 2;
export const PCP_STRIDE = 16;

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

/** This thread's handles on one slot's shared regions (the same regions on every CPU). */
export interface SlotMem {
  readonly arena: ShmRegion;
  readonly pages: ShmRegion;
  readonly node: ShmRegion;
  readonly cpus: ShmRegion;
  readonly lock: Spinlock;
}

let caches_: ShmRegion | null = null;
const slot_mem = new Map<number, SlotMem>();
/** init_kmem_cache_node()'s spin_lock_init(&n->list_lock): one class for every cache's list_lock. */
let list_lock_key: LockClassKey | null = null;

export function caches(): ShmRegion {
  caches_ ??= kapi.shmAlloc('slab_caches', MAX_CACHES * CACHE_WORDS);
  return caches_;
}

export function cw(slot: number, w: number): number {
  return caches().base + slot * CACHE_WORDS + w;
}

/** Slab pages per cache: room for every CPU to hold a slab or two and for objects awaiting RCU. */
export function nr_slabs(): number {
  return 4 * kapi.nrCpuIds + 32;
}

export function mem(slot: number): SlotMem {
  let m = slot_mem.get(slot);
  if (m === undefined) {
    list_lock_key ??= kapi.lockClass('&n->list_lock', 'spinlock', LD_WAIT.CONFIG);
    const n = nr_slabs();
    m = {
      arena: kapi.shmAlloc(`slab_arena.${slot}`, n * SLAB_WORDS),
      pages: kapi.shmAlloc(`slab_pages.${slot}`, n * SL_WORDS),
      node: kapi.shmAlloc(`kmem_cache_node.${slot}`, NODE_WORDS),
      cpus: kapi.shmAlloc(`kmem_cache_cpu.${slot}`, kapi.nrCpuIds * PCP_STRIDE),
      lock: DEFINE_SPINLOCK(`kmem_cache_node.list_lock.${slot}`, list_lock_key),
    };
    slot_mem.set(slot, m);
  }
  return m;
}

export function readName(slot: number): string {
  const u8 = new Uint8Array(kapi.shm.buffer, cw(slot, C_NAME) * 4, NAME_BYTES);
  const end = u8.indexOf(0);
  return new TextDecoder().decode(u8.slice(0, end < 0 ? NAME_BYTES : end));
}

/* ---------------- objects, slabs, state words ---------------- */

export function oo(slot: number): number {
  return kapi.shm[cw(slot, C_OO)] ?? 1;
}

/** Word index of object `obj` (a number, not + 1). */
function objWord(slot: number, m: SlotMem, obj: number): number {
  const per = oo(slot);
  const slab = Math.floor(obj / per);
  return m.arena.base + slab * SLAB_WORDS + (obj - slab * per) * (kapi.shm[cw(slot, C_STRIDE_WORDS)] ?? 1) + (kapi.shm[cw(slot, C_RED_LEFT)] ?? 0) / 4;
}

export function objAddr(slot: number, m: SlotMem, obj: number): number {
  return objWord(slot, m, obj) * 4;
}

/** get_freepointer(): the next free object after `obj` (number + 1, 0 for none). */
export function get_freepointer(slot: number, m: SlotMem, obj: number): number {
  return kapi.shm[objWord(slot, m, obj) + (kapi.shm[cw(slot, C_FP)] ?? 0)] ?? 0;
}

export function set_freepointer(slot: number, m: SlotMem, obj: number, next: number): void {
  kapi.shm[objWord(slot, m, obj) + (kapi.shm[cw(slot, C_FP)] ?? 0)] = next;
}

export function slw(m: SlotMem, slab: number, w: number): number {
  return m.pages.base + slab * SL_WORDS + w;
}

export function st_fl(st: number): number {
  return st & FL_MASK;
}

export function st_inuse(st: number): number {
  return (st >> INUSE_SHIFT) & INUSE_MASK;
}

export function st_pack(fl: number, inuse: number, frozen: boolean): number {
  return fl | (inuse << INUSE_SHIFT) | (frozen ? FROZEN : 0);
}

/** A slab's first free object from its state word, as an object number + 1. */
export function flObj(slot: number, slab: number, fl: number): number {
  return fl === 0 ? 0 : slab * oo(slot) + fl;
}

/** An object number + 1 of slab `slab` as its state word's freelist field. */
export function objFl(slot: number, slab: number, obj1: number): number {
  return obj1 === 0 ? 0 : obj1 - slab * oo(slot);
}

/** slab_update_freelist(): the cmpxchg of a slab's freelist and counters. */
export function slab_update_freelist(m: SlotMem, slab: number, old: number, next: number): boolean {
  return Atomics.compareExchange(kapi.shm, slw(m, slab, SL_STATE), old, next) === old;
}

export function kmem_cache_debug(flags: number): boolean {
  return (flags & SLAB_DEBUG_FLAGS) !== 0;
}

/* ---------------- the node's partial list (caller holds list_lock) ---------------- */

export function add_partial(m: SlotMem, slab: number, toTail: boolean): void {
  const i32 = kapi.shm;
  const n = m.node.base;
  const me = slab + 1;
  // The same link at either end, mirrored: at the tail the old tail is our prev, at the head the old head our next.
  const toEnd = toTail ? SL_PREV : SL_NEXT;
  const away = toTail ? SL_NEXT : SL_PREV;
  const endWord = n + (toTail ? N_PARTIAL_TAIL : N_PARTIAL_HEAD);
  const otherEndWord = n + (toTail ? N_PARTIAL_HEAD : N_PARTIAL_TAIL);
  const end = i32[endWord] ?? 0;
  i32[slw(m, slab, toEnd)] = end;
  i32[slw(m, slab, away)] = 0;
  if (end === 0) i32[otherEndWord] = me;
  else i32[slw(m, end - 1, away)] = me;
  i32[endWord] = me;
  i32[slw(m, slab, SL_ONLIST)] = 1;
  // Read without the lock by deactivate_slab() and __slab_free(), as the kernel's n->nr_partial.
  cov(COV.slab_partial_add);
  Atomics.add(i32, n + N_NR_PARTIAL, 1);
}

export function remove_partial(m: SlotMem, slab: number): void {
  const i32 = kapi.shm;
  const n = m.node.base;
  const next = i32[slw(m, slab, SL_NEXT)] ?? 0;
  const prev = i32[slw(m, slab, SL_PREV)] ?? 0;
  if (prev === 0) i32[n + N_PARTIAL_HEAD] = next;
  else i32[slw(m, prev - 1, SL_NEXT)] = next;
  if (next === 0) i32[n + N_PARTIAL_TAIL] = prev;
  else i32[slw(m, next - 1, SL_PREV)] = prev;
  i32[slw(m, slab, SL_ONLIST)] = 0;
  cov(COV.slab_partial_remove);
  Atomics.sub(i32, n + N_NR_PARTIAL, 1);
}

/* ---------------- slab pages ---------------- */

/** new_slab(): a free page of the cache's pool with every object on its freelist, or -1. */
export function new_slab(s: KmemCache, m: SlotMem): number {
  const i32 = kapi.shm;
  const n = nr_slabs();
  let slab = -1;
  for (let k = 0; k < n; k++) {
    // The page allocator's claim; pairs with the Atomics.store in discard_slab().
    if (Atomics.compareExchange(i32, slw(m, k, SL_PAGE), 0, 1) === 0) {
      slab = k;
      break;
    }
  }
  if (slab < 0) return -1;
  const per = oo(s.slot);
  const first = slab * per;
  const l = kmem_cache_debug(s.flags) ? debug_layout(s.slot) : null;
  for (let k = 0; k < per; k++) {
    // setup_object_debug(): a debug cache's object starts poisoned, red zones inactive, no tracks.
    if (l !== null) setup_object_debug(l, objAddr(s.slot, m, first + k));
    set_freepointer(s.slot, m, first + k, k + 1 < per ? first + k + 2 : 0);
    if (s.ctor !== null) s.ctor(objAddr(s.slot, m, first + k));
  }
  i32[slw(m, slab, SL_ONLIST)] = 0;
  Atomics.store(i32, slw(m, slab, SL_STATE), st_pack(1, 0, false));
  return slab;
}

/** discard_slab(): the page goes back to the pool. The slab is empty and on no list. */
export function discard_slab(m: SlotMem, slab: number): void {
  cov(COV.slab_discard);
  Atomics.store(kapi.shm, slw(m, slab, SL_STATE), 0);
  Atomics.store(kapi.shm, slw(m, slab, SL_PAGE), 0);
}

export const slub_params = new ModuleParams('slub', ['rcu']);
export function next_tid(tid: number): number {
  return (tid + TID_STEP) | 0;
}

/** The object number at byte address `addr` of cache `slot`, or -1 if it is none of its objects. */
export function objOf(slot: number, m: SlotMem, addr: number): number {
  const off = (addr - (kapi.shm[cw(slot, C_RED_LEFT)] ?? 0)) / 4 - m.arena.base;
  if (!Number.isInteger(off) || off < 0 || off >= nr_slabs() * SLAB_WORDS) return -1;
  const slab = Math.floor(off / SLAB_WORDS);
  const stride = kapi.shm[cw(slot, C_STRIDE_WORDS)] ?? 1;
  const k = (off - slab * SLAB_WORDS) / stride;
  if (!Number.isInteger(k) || k >= oo(slot)) return -1;
  return slab * oo(slot) + k;
}

/** The slot of the live cache whose slab pages hold byte address `addr`, -1 for none (virt_to_cache()). */
export function slot_of_addr(addr: number, hint: number): number {
  const inArena = (slot: number): boolean => {
    const start = mem(slot).arena.base * 4;
    return addr >= start && addr < start + nr_slabs() * SLAB_BYTES;
  };
  if (inArena(hint)) return hint;
  for (let slot = 0; slot < MAX_CACHES; slot++) {
    if (slot !== hint && Atomics.load(kapi.shm, cw(slot, C_INUSE)) !== 0 && inArena(slot)) return slot;
  }
  return -1;
}

/** The layout of cache `slot` (a debug cache's, or the plain one: free pointer inside, no metadata). */
export function debug_layout(slot: number): DebugLayout {
  const i32 = kapi.shm;
  const flags = i32[cw(slot, C_FLAGS)] ?? 0;
  const object_size = i32[cw(slot, C_OBJ_SIZE)] ?? 0;
  const size = (i32[cw(slot, C_STRIDE_WORDS)] ?? 1) * 4;
  if (!kmem_cache_debug(flags)) {
    return { flags, object_size, red_left_pad: 0, inuse: size, offset: (i32[cw(slot, C_FP)] ?? 0) * 4, track_off: size, size };
  }
  return {
    flags,
    object_size,
    red_left_pad: i32[cw(slot, C_RED_LEFT)] ?? 0,
    inuse: i32[cw(slot, C_INUSE_B)] ?? 0,
    offset: i32[cw(slot, C_OFFSET_B)] ?? 0,
    track_off: i32[cw(slot, C_TRACK_OFF)] ?? 0,
    size: i32[cw(slot, C_SIZE_B)] ?? size,
  };
}

/** What slub_check.ts needs of cache `slot`. */
export function debug_view(slot: number, m: SlotMem): DebugCacheView {
  const per = oo(slot);
  const n = nr_slabs() * per;
  return {
    // Decoded only when a report prints: every debug allocation and free builds a view.
    get name(): string {
      return readName(slot);
    },
    l: debug_layout(slot),
    oo: per,
    slabAddr: (slab) => (m.arena.base + slab * SLAB_WORDS) * 4,
    fpAddr: (fp) => (fp >= 1 && fp <= n ? objAddr(slot, m, fp - 1) : -1),
    slabState: (slab) => {
      const st = Atomics.load(kapi.shm, slw(m, slab, SL_STATE));
      return { inuse: st_inuse(st), fl: flObj(slot, slab, st_fl(st)) };
    },
  };
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

/** Free the cache's slot (after __kmem_cache_shutdown() succeeded). */
export function kmem_cache_release(s: KmemCache): void {
  Atomics.store(kapi.shm, cw(s.slot, C_INUSE), 0);
}
