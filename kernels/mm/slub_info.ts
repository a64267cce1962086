/*
 * Introspection of the SLUB model for tests, rcutorture's stats and mem_dump_obj()
 * (kmem_obj_info()): what a cache holds where, read from slub_mem.ts's memory.
 */

import { kapi } from '../../harness/kapi.js';
import { spin_lock_irqsave, spin_unlock_irqrestore } from '../locking/spinlock.js';
import { stack_depot_fetch } from './stack_depot.js';
import { SLAB_BYTES, SLAB_STORE_USER, track_handle, TRACK_ALLOC, TRACK_FREE } from './slub_debug.js';
import {
  C_STRIDE_WORDS, C_USERSIZE, INUSE_MASK, SL_STATE, SL_NEXT, N_PARTIAL_HEAD, K_FREELIST, PCP_STRIDE, type KmemCache, cw, nr_slabs, mem, readName, oo,
  get_freepointer, slw, st_inuse, objOf, slot_of_addr, debug_layout,
} from './slub_mem.js';

/* ---------------- introspection (tests, stats, mem_dump_obj) ---------------- */

/** Free objects on the node's partial list (not counting CPU slabs): for tests and stats. */
export function slub_node_free_objects(s: KmemCache): number {
  const i32 = kapi.shm;
  const m = mem(s.slot);
  const flags = spin_lock_irqsave(m.lock);
  let n = 0;
  for (let sl = i32[m.node.base + N_PARTIAL_HEAD] ?? 0; sl !== 0; sl = i32[slw(m, sl - 1, SL_NEXT)] ?? 0) {
    n += oo(s.slot) - st_inuse(Atomics.load(i32, slw(m, sl - 1, SL_STATE)));
  }
  spin_unlock_irqrestore(m.lock, flags);
  return n;
}

/** Objects on CPU `cpu`'s private freelist of `s` (a diagnostic read when `cpu` is quiet). */
export function slub_cpu_cached_objects(s: KmemCache, cpu: number): number {
  const m = mem(s.slot);
  let n = 0;
  for (let o = kapi.shm[m.cpus.base + cpu * PCP_STRIDE + K_FREELIST] ?? 0; o !== 0 && n <= oo(s.slot); o = get_freepointer(s.slot, m, o - 1)) n++;
  return n;
}

/** The object number of byte address `addr` in `s` (0 .. slub_max_objects(s) - 1), -1 if none. */
export function slub_obj_index(s: KmemCache, addr: number): number {
  return objOf(s.slot, mem(s.slot), addr);
}

/** The byte address of the free pointer of the object at `addr` of `s` (tests plant corruption there). */
export function slub_free_pointer_addr(s: KmemCache, addr: number): number {
  return addr + debug_layout(s.slot).offset;
}

/** Upper bound of slub_obj_index() + 1 for any cache of this guest. */
export function slub_max_objects(): number {
  return nr_slabs() * INUSE_MASK;
}

/** Objects per slab of `s` (s->oo). */
export function slub_objects_per_slab(s: KmemCache): number {
  return oo(s.slot);
}

export interface SlabObjectInfo {
  readonly cacheName: string;
  /** kp_objp: the object's slot (its left red zone first, with SLAB_RED_ZONE). */
  readonly objAddr: number;
  /** kp_data_offset: where the object's data starts in its slot (the left red zone). */
  readonly dataOffset: number;
  readonly usersize: number;
  readonly object_size: number;
  /** SLAB_STORE_USER: the allocation frames (the first is the caller), [] when not tracked. */
  readonly allocStack: readonly string[];
  /** SLAB_STORE_USER: the free frames of the object's last free, [] when none. */
  readonly freeStack: readonly string[];
}

/** kmem_obj_info(): the cache object containing byte address `addr`, if any. */
export function slub_find_object(addr: number): SlabObjectInfo | null {
  const slot = slot_of_addr(addr, 0);
  if (slot < 0) return null;
  const i32 = kapi.shm;
  const m = mem(slot);
  const start = m.arena.base * 4;
  const stride = Atomics.load(i32, cw(slot, C_STRIDE_WORDS)) * 4;
  const slab = Math.floor((addr - start) / SLAB_BYTES);
  const k = Math.floor((addr - start - slab * SLAB_BYTES) / stride);
  if (k >= oo(slot)) return null;
  const objp = start + slab * SLAB_BYTES + k * stride;
  const l = debug_layout(slot);
  const data = objp + l.red_left_pad;
  const tracked = (l.flags & SLAB_STORE_USER) !== 0;
  return {
    cacheName: readName(slot),
    objAddr: objp,
    dataOffset: l.red_left_pad,
    usersize: Atomics.load(i32, cw(slot, C_USERSIZE)),
    object_size: l.object_size,
    allocStack: tracked ? stack_depot_fetch(track_handle(l, data, TRACK_ALLOC)) : [],
    freeStack: tracked ? stack_depot_fetch(track_handle(l, data, TRACK_FREE)) : [],
  };
}
