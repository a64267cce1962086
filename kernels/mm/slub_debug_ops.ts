/*
 * SLUB's debug paths (mm/slub.c alloc_debug_processing, free_debug_processing, the CPU
 * freelist's pointer checks, cache_from_obj) on slub_mem.ts's memory, and the planted caller bugs
 * that prove them (`slub.test_uaf_write`, `test_double_free`, `test_redzone`,
 * `test_wrong_cpu_free`: kernels/README.md, "SLUB debug").
 */

import { kapi } from '../../harness/kapi.js';
import { WARN, WARN_ONCE } from '../bug.js';
import { spin_lock_irqsave, spin_unlock_irqrestore } from '../locking/spinlock.js';
import {
  init_object, set_track, shm_u8, SLAB_CONSISTENCY_CHECKS, SLAB_STORE_USER, SLUB_RED_ACTIVE, SLUB_RED_INACTIVE, TRACK_ALLOC, TRACK_FREE,
} from './slub_debug.js';
import { check_object, check_valid_pointer, object_err, on_freelist, pointer_px, print_tracking, slab_fix } from './slub_check.js';
import {
  C_MIN_PARTIAL, SL_STATE, SL_ONLIST, N_PARTIAL_HEAD, N_NR_PARTIAL, K_FREELIST, K_TID, PCP_STRIDE, type KmemCache, type SlotMem, cw, nr_slabs, mem,
  oo, objAddr, get_freepointer, set_freepointer, slw, st_fl, st_inuse, st_pack, flObj, objFl, kmem_cache_debug, add_partial, remove_partial,
  new_slab, discard_slab, slub_params, next_tid, objOf, slot_of_addr, debug_view, slub_cache_by_slot,
} from './slub_mem.js';

/* Planted caller bugs (ours), each every N-th time on a CPU (0: never); caught with slub_debug=FZPU. */
const test_uaf_write = slub_params.param('uint', 'test_uaf_write', 0, 'Write 4 bytes into every N-th object just freed (use after free)');
const test_double_free = slub_params.param('uint', 'test_double_free', 0, "Free every N-th debug cache's object twice");
const test_redzone = slub_params.param('uint', 'test_redzone', 0, 'Write one byte past every N-th object allocated');
const test_wrong_cpu_free = slub_params.param('uint', 'test_wrong_cpu_free', 0, "Free every N-th object to this CPU's slab whatever its slab");

/**
 * alloc_single_from_partial() / alloc_single_from_new_slab() with alloc_debug_processing(): a
 * debug cache's object, under the node lock. With SLAB_CONSISTENCY_CHECKS the object must still
 * be as it was freed (check_object(): poison, red zones, free pointer); a slab that fails is
 * taken out of service ("Marking all objects used") and the next one is tried.
 */
export function alloc_debug(s: KmemCache, m: SlotMem): number {
  const i32 = kapi.shm;
  const v = debug_view(s.slot, m);
  const flags = spin_lock_irqsave(m.lock);
  for (let tries = 0; tries <= nr_slabs(); tries++) {
    let slab = (i32[m.node.base + N_PARTIAL_HEAD] ?? 0) - 1;
    if (slab < 0) {
      slab = new_slab(s, m);
      if (slab < 0) break;
      add_partial(m, slab, false);
    }
    const old = Atomics.load(i32, slw(m, slab, SL_STATE));
    const obj = flObj(s.slot, slab, st_fl(old));
    const addr = objAddr(s.slot, m, obj - 1);
    if ((s.flags & SLAB_CONSISTENCY_CHECKS) !== 0 && !check_object(v, slab, addr, SLUB_RED_INACTIVE)) {
      slab_fix(v, 'Marking all objects used');
      Atomics.store(i32, slw(m, slab, SL_STATE), st_pack(0, oo(s.slot), false));
      remove_partial(m, slab);
      continue;
    }
    let next = get_freepointer(s.slot, m, obj - 1);
    // Without consistency checks a corrupt free pointer is followed blindly by the kernel; here it
    // would corrupt the state word's other fields, so it ends the freelist instead.
    if (!check_valid_pointer(v, slab, next)) next = 0;
    const inuse = st_inuse(old) + 1;
    Atomics.store(i32, slw(m, slab, SL_STATE), st_pack(objFl(s.slot, slab, next), inuse, false));
    if (inuse === oo(s.slot) || next === 0) remove_partial(m, slab);
    if ((s.flags & SLAB_STORE_USER) !== 0) set_track(v.l, addr, TRACK_ALLOC, 'kmem_cache_alloc');
    init_object(v.l, addr, SLUB_RED_ACTIVE);
    spin_unlock_irqrestore(m.lock, flags);
    return obj;
  }
  spin_unlock_irqrestore(m.lock, flags);
  return 0;
}

/**
 * The object `object` (number + 1) on CPU `cpu`'s freelist, whose slab is `slab`, and its next
 * free pointer must both be objects of that slab (check_valid_pointer(), as the kernel's
 * freelist_corrupted() and alloc_consistency_checks() test them). A CPU slab's freelist is only
 * its own objects, so anything else is an object freed onto the wrong CPU's slab or a corrupt
 * free pointer: reported, and the CPU's freelist isolated (dropped). True when it was sound.
 */
export function cpu_freelist_valid(s: KmemCache, m: SlotMem, c: number, slab: number, object: number, next: number): boolean {
  const per = oo(s.slot);
  const inSlab = (o: number): boolean => o - 1 >= slab * per && o - 1 < slab * per + per;
  if (inSlab(object) && (next === 0 || inSlab(next))) return true;
  const v = debug_view(s.slot, m);
  object_err(v, slab, objAddr(s.slot, m, object - 1), inSlab(object) ? 'Freechain corrupt' : 'Freelist Pointer check fails');
  slab_fix(v, `Isolate corrupted freechain of cpu ${(c - m.cpus.base) / PCP_STRIDE}`);
  kapi.shm[c + K_FREELIST] = 0;
  kapi.shm[c + K_TID] = next_tid(kapi.shm[c + K_TID] ?? 0);
  return false;
}

/**
 * free_to_partial_list() with free_debug_processing(): a debug cache's free, under the node lock.
 * With SLAB_CONSISTENCY_CHECKS, an object already on the slab's freelist is `Object already free`
 * (on_freelist(), which also checks every free pointer on the way) and an allocated object whose
 * red zones or padding were overwritten is reported by check_object(); either way it is not freed.
 */
export function free_debug(s: KmemCache, m: SlotMem, slab: number, obj: number): void {
  const i32 = kapi.shm;
  const v = debug_view(s.slot, m);
  const addr = objAddr(s.slot, m, obj);
  const flags = spin_lock_irqsave(m.lock);
  if ((s.flags & SLAB_CONSISTENCY_CHECKS) !== 0) {
    const st = Atomics.load(i32, slw(m, slab, SL_STATE));
    const r = on_freelist(v, slab, flObj(s.slot, slab, st_fl(st)), obj + 1);
    if (r.zapHead) Atomics.store(i32, slw(m, slab, SL_STATE), st_pack(0, st_inuse(st), false));
    let ok = !r.found;
    if (r.found) object_err(v, slab, addr, 'Object already free');
    else ok = check_object(v, slab, addr, SLUB_RED_ACTIVE);
    if (!ok) {
      slab_fix(v, `Object at 0x${pointer_px(addr)} not freed`);
      spin_unlock_irqrestore(m.lock, flags);
      return;
    }
  }
  if ((s.flags & SLAB_STORE_USER) !== 0) set_track(v.l, addr, TRACK_FREE, 'kmem_cache_free');
  init_object(v.l, addr, SLUB_RED_INACTIVE);
  const old = Atomics.load(i32, slw(m, slab, SL_STATE));
  const prior = st_fl(old);
  const inuse = st_inuse(old) - 1;
  set_freepointer(s.slot, m, obj, flObj(s.slot, slab, prior));
  Atomics.store(i32, slw(m, slab, SL_STATE), st_pack(objFl(s.slot, slab, obj + 1), inuse, false));
  if (prior === 0 && (i32[slw(m, slab, SL_ONLIST)] ?? 0) === 0) add_partial(m, slab, true);
  if (inuse === 0 && Atomics.load(i32, m.node.base + N_NR_PARTIAL) > (i32[cw(s.slot, C_MIN_PARTIAL)] ?? 5)) {
    remove_partial(m, slab);
    discard_slab(m, slab);
  }
  spin_unlock_irqrestore(m.lock, flags);
}

/**
 * cache_from_obj(): the cache `addr` really belongs to. Freeing to another cache is the kernel's
 * `Wrong slab cache` WARN with the object's tracking, and the object goes to its own cache; memory
 * of no cache is `Object is not a Slab page!` and is not freed. The kernel checks this only with
 * SLAB_CONSISTENCY_CHECKS or CONFIG_SLAB_FREELIST_HARDENED; here always, since freeing into the
 * wrong arena would corrupt the model's own state.
 */
export function cache_from_obj(s: KmemCache, addr: number): KmemCache | null {
  const slot = slot_of_addr(addr, s.slot);
  if (slot === s.slot) return s;
  const cachep = slot < 0 ? null : slub_cache_by_slot(slot);
  if (cachep === null) {
    WARN_ONCE(true, 'virt_to_cache: Object is not a Slab page!');
    return null;
  }
  if (WARN(true, `cache_from_obj: Wrong slab cache. ${s.name} but object is from ${cachep.name}`)) {
    const m = mem(slot);
    const obj = objOf(slot, m, addr);
    if (obj >= 0) print_tracking(debug_view(slot, m), addr);
  }
  return cachep;
}

/** The planted bugs' periods (0: off), read at boot. */
const planted = { uaf_write: 0, double_free: 0, redzone: 0, wrong_cpu_free: 0 };
const plantedCounts = { uaf_write: 0, double_free: 0, redzone: 0, wrong_cpu_free: 0 };

/** Whether this is the N-th event of planted bug `which` (every N-th, counted per CPU thread). */
function test_every(n: number, which: keyof typeof plantedCounts): boolean {
  return n > 0 && ++plantedCounts[which] % n === 0;
}

/** What a buggy caller does after kmem_cache_free(): write into the object, or free it again. */
export function planted_after_free(s: KmemCache, m: SlotMem, addr: number, slab: number, obj: number): void {
  if (test_every(planted.uaf_write, 'uaf_write')) shm_u8().fill(0, addr, addr + Math.min(4, s.object_size));
  // Only a debug cache's: a plain cache would thread the object into its freelist twice.
  if (kmem_cache_debug(s.flags) && test_every(planted.double_free, 'double_free')) free_debug(s, m, slab, obj);
}

/** What a buggy caller does after kmem_cache_alloc(): write one byte past the object. */
export function planted_after_alloc(s: KmemCache, addr: number): void {
  if (test_every(planted.redzone, 'redzone')) shm_u8()[addr + s.object_size] = 0x00;
}

/** Whether this fast-path free is one the planted bug sends to this CPU's slab whatever its slab. */
export function planted_wrong_cpu_free(): boolean {
  return test_every(planted.wrong_cpu_free, 'wrong_cpu_free');
}

/** Boot: read the planted bugs' periods (0: off). */
export function slub_debug_ops_init(): void {
  planted.uaf_write = test_uaf_write.get();
  planted.double_free = test_double_free.get();
  planted.redzone = test_redzone.get();
  planted.wrong_cpu_free = test_wrong_cpu_free.get();
}
