/*
 * mm/slub.c, reduced: slab caches whose objects live in guest shared memory, allocated as SLUB
 * does — from the current CPU's slab (struct kmem_cache_cpu) without locks, falling back to the
 * node's partial list under its list_lock — and the cpuhp dead callback slub_cpu_dead(), which
 * takes slab_mutex and flushes a dead CPU's slab of every cache back to the node lists.
 *
 * Kernel names are kept so that lockdep stacks read like the seed report: kmem_cache_open() is
 * where commit 1f0723a4c0df enabled the slub_debug_enabled static key (under slab_mutex).
 *
 * The shape (mm/slub.c's, paraphrased):
 *  - A cache's objects sit in slabs (one 2 KiB "page" each here: SLAB_BYTES). A slab has a free
 *    list threaded through its free objects (the free pointer at the kernel's offset, the middle
 *    of the object, or after it for caches with a constructor) and one state word holding what
 *    the kernel's cmpxchg_double(slab->freelist, slab->counters) updates together: the first free
 *    object, inuse, and frozen (owned by a CPU). Every state change is one Atomics.compareExchange.
 *  - Each CPU has a kmem_cache_cpu per cache: freelist (objects of its slab that only it hands
 *    out), the slab itself (frozen), and tid. kmem_cache_alloc()/kmem_cache_free() first try the
 *    lockless fast path: read tid and freelist, then update both with this_cpu_cmpxchg only if
 *    tid is unchanged. tid starts at the CPU's number and steps by TID_STEP (a power of two >=
 *    NR_CPUS), so an update made on another CPU (after a migration between the reads) or after an
 *    interrupt that used the cache on this CPU fails and retries, as the kernel's. On this
 *    machine interrupts and task switches happen only at kapi calls, so the check never fails
 *    today; it keeps the fast path correct if a kapi call is ever put between the reads.
 *  - The slow path (___slab_alloc) runs with the cpu slab's local_lock held irqsave (irqs off,
 *    so neither an interrupt nor a migration can come between reading this CPU and updating its
 *    kmem_cache_cpu): it refills the CPU's freelist from objects freed remotely into its slab
 *    (get_freelist), or takes a slab off the node's partial list (spin_lock on
 *    &n->list_lock, irqs already off), or a fresh slab, and freezes it for this CPU.
 *  - A free to another slab than this CPU's is __slab_free(): a cmpxchg on that slab's state; the
 *    node lock only when the slab must move (it was full and gets a free object: add_partial; it
 *    became empty with min_partial slabs already partial: discard_slab).
 *  - Debug caches (SLAB_STORE_USER and the other SLAB_DEBUG_FLAGS, from the caller or slub_debug=)
 *    bypass the CPU slabs, as the kernel's do: alloc_single_from_partial()/free_to_partial_list()
 *    under the node lock, with alloc_debug_processing()/free_debug_processing(): the layout,
 *    poison, red zones, tracks and checks of slub_debug.ts and slub_check.ts.
 *  - slub_cpu_dead(): for every cache, __flush_cpu_slab() of the dead CPU: deactivate_slab()
 *    splices its freelist back into its slab, unfreezes it and puts it on the node's partial list
 *    (or discards it when empty). A dead CPU's kmem_cache_cpu is touched by the control CPU only
 *    after the CPU is dead; WARN if it is still online or running a task ("a cache flushed while
 *    its CPU still runs": the planted cpuhp.test_dead_early=1 does that). The work it did is
 *    counted (slub_cpu_dead_stats()) so that tests and rcutorture's stats show it is non-empty.
 *
 * The shared memory and its primitives are slub_mem.ts's; the debug paths slub_debug_ops.ts's
 * (checks and reports: slub_check.ts, layout and slub_debug=: slub_debug.ts); what tests and
 * mem_dump_obj() read, slub_info.ts's.
 *
 * Departures: one NUMA node; no per-CPU partial lists (CONFIG_SLUB_CPU_PARTIAL=n); slab pages come
 * from a fixed pool per cache (nr_slabs(), ample for the objects rcutorture keeps); the cpu slab's
 * local_lock is irq disabling only (no lockdep class); kmem_cache_destroy() flushes other CPUs'
 * slabs itself instead of queueing flush work on them (the cache has no users by then); no objects
 * bigger than MAX_OBJ_BYTES. The CPU freelists are checked (an object on the wrong CPU's slab, a
 * corrupt free pointer) at every fast-path allocation and in deactivate_slab(), which the kernel
 * does only with SLAB_CONSISTENCY_CHECKS (kernels/README.md, "SLUB debug").
 */

import { COV, cov, kapi, type ShmRegion } from '../../harness/kapi.js';
import { WARN, WARN_ONCE, lockdep_assert_held } from '../bug.js';
import { cpuhp_setup_state_nocalls } from '../cpu/hotplug.js';
import { spin_lock, spin_lock_irqsave, spin_unlock, spin_unlock_irqrestore } from '../locking/spinlock.js';
import { DEFINE_MUTEX, mutex_lock, mutex_unlock, type Mutex } from '../locking/mutex.js';
import { DEFINE_STATIC_KEY_FALSE, jump_label_init, static_key_enable, static_key_enable_early, type StaticKey } from '../jump_label.js';
import { stack_depot_init } from './stack_depot.js';
import { calculate_sizes, kmem_cache_flags, setup_slub_debug, SLAB_CONSISTENCY_CHECKS } from './slub_debug.js';
import {
  MAX_CACHES, MAX_OBJ_BYTES, SLAB_WORDS, C_INUSE, C_OBJ_SIZE, C_STRIDE_WORDS, C_FLAGS, C_OO, C_USERSIZE, C_FP, C_MIN_PARTIAL, C_RED_LEFT, C_INUSE_B,
  C_OFFSET_B, C_TRACK_OFF, C_SIZE_B, C_NAME, NAME_BYTES, INUSE_MASK, FROZEN, SL_STATE, SL_PAGE, SL_ONLIST, SL_WORDS, N_PARTIAL_HEAD, N_NR_PARTIAL,
  NODE_WORDS, K_FREELIST, K_TID, K_SLAB, PCP_STRIDE, type KmemCache, type SlotMem, caches, cw, nr_slabs, mem, readName, oo, objAddr, get_freepointer,
  set_freepointer, slw, st_fl, st_inuse, st_pack, flObj, objFl, slab_update_freelist, kmem_cache_debug, add_partial, remove_partial, new_slab,
  discard_slab, slub_params, next_tid, objOf, debug_view, slub_cache_by_slot,
} from './slub_mem.js';
import {
  alloc_debug, cache_from_obj, cpu_freelist_valid, free_debug, planted_after_alloc, planted_after_free, planted_wrong_cpu_free, slub_debug_ops_init,
} from './slub_debug_ops.js';
import { object_err, pointer_px, slab_err, slab_fix } from './slub_check.js';

export { kmem_cache_release, MAX_CACHES, MAX_OBJ_BYTES, slub_cache_by_slot, slub_params, type KmemCache } from './slub_mem.js';
export {
  slub_cpu_cached_objects,
  slub_find_object,
  slub_free_pointer_addr,
  slub_max_objects,
  slub_node_free_objects,
  slub_obj_index,
  slub_objects_per_slab,
  type SlabObjectInfo,
} from './slub_info.js';
export {
  SLAB_CONSISTENCY_CHECKS,
  SLAB_DEBUG_FLAGS,
  SLAB_HWCACHE_ALIGN,
  SLAB_POISON,
  SLAB_RED_ZONE,
  SLAB_STORE_USER,
  SLAB_TRACE,
  SLAB_BYTES,
} from './slub_debug.js';

/** Guest-wide slub_cpu_dead() work (slub_cpu_dead_stats()). */
const ST_DEAD_CALLS = 0;
const ST_DEAD_CPU_SLABS = 1;
const ST_DEAD_OBJECTS = 2;
const ST_WORDS = 16;

let slab_mutex_: Mutex | null = null;
let slub_debug_enabled_: StaticKey | null = null;
let stats_: ShmRegion | null = null;
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

function stats(): ShmRegion {
  stats_ ??= kapi.shmAlloc('slub_stats', ST_WORDS);
  return stats_;
}

/* ---------------- kmem_cache_open / create ---------------- */

/**
 * kmem_cache_open(): set the cache up. Under slab_mutex; with slub.debug_key_under_slab_mutex=1 it
 * also enables slub_debug_enabled here, as commit 1f0723a4c0df did (the seed bug).
 */
async function kmem_cache_open(s: KmemCache, callerFlags: number): Promise<number> {
  const i32 = kapi.shm;
  const m = mem(s.slot);
  let stride = Math.ceil(Math.max(s.object_size, s.align, 8) / 8) * 2;
  // calculate_sizes(): the free pointer in the middle of the object, or after it when a
  // constructor's work must survive the object being free.
  let fp = Math.floor(s.object_size / 16) * 2;
  if (s.ctor !== null) {
    fp = stride;
    stride += 2;
  }
  if (fp >= stride) fp = stride - 1;
  let redLeft = 0;
  if (kmem_cache_debug(s.flags)) {
    // calculate_sizes() with the debug metadata: red zones, free pointer, tracks, padding.
    const l = calculate_sizes(s.object_size, s.align, s.flags, s.ctor !== null);
    stride = l.size / 4;
    fp = l.offset / 4;
    redLeft = l.red_left_pad;
    Atomics.store(i32, cw(s.slot, C_INUSE_B), l.inuse);
    Atomics.store(i32, cw(s.slot, C_OFFSET_B), l.offset);
    Atomics.store(i32, cw(s.slot, C_TRACK_OFF), l.track_off);
    Atomics.store(i32, cw(s.slot, C_SIZE_B), l.size);
    Atomics.store(i32, cw(s.slot, C_FLAGS), l.flags);
  }
  Atomics.store(i32, cw(s.slot, C_RED_LEFT), redLeft);
  Atomics.store(i32, cw(s.slot, C_OBJ_SIZE), s.object_size);
  Atomics.store(i32, cw(s.slot, C_STRIDE_WORDS), stride);
  if (!kmem_cache_debug(s.flags)) Atomics.store(i32, cw(s.slot, C_FLAGS), s.flags);
  Atomics.store(i32, cw(s.slot, C_USERSIZE), s.usersize);
  Atomics.store(i32, cw(s.slot, C_OO), Math.min(INUSE_MASK - 1, Math.floor(SLAB_WORDS / stride)));
  Atomics.store(i32, cw(s.slot, C_FP), fp);
  // set_min_partial(): ilog2(size) / 2, within [MIN_PARTIAL, MAX_PARTIAL] = [5, 10].
  Atomics.store(i32, cw(s.slot, C_MIN_PARTIAL), Math.min(10, Math.max(5, Math.floor(Math.log2(s.object_size) / 2))));
  for (let k = 0; k < nr_slabs(); k++) {
    for (let w = 0; w < SL_WORDS; w++) Atomics.store(i32, slw(m, k, w), 0);
  }
  for (let w = 0; w < NODE_WORDS; w++) Atomics.store(i32, m.node.base + w, 0);
  // init_kmem_cache_cpus(): tid starts at the CPU's own number (init_tid()).
  for (let c = 0; c < kapi.nrCpuIds; c++) {
    const k = m.cpus.base + c * PCP_STRIDE;
    Atomics.store(i32, k + K_FREELIST, 0);
    Atomics.store(i32, k + K_SLAB, 0);
    Atomics.store(i32, k + K_TID, c);
  }
  const u8 = new Uint8Array(i32.buffer, cw(s.slot, C_NAME) * 4, NAME_BYTES);
  u8.fill(0);
  u8.set(new TextEncoder().encode(s.name).subarray(0, NAME_BYTES - 1));
  // The caller's flags, as 1f0723a4c0df's test (slub_debug= flags do not make a create take the key).
  if (kmem_cache_debug(callerFlags) && slub_debug_key_under_slab_mutex()) await static_key_enable(slub_debug_enabled());
  return 0;
}

/** The boot parameter that restores commit 1f0723a4c0df's lock order (not a kernel parameter). */
const debug_key_under_slab_mutex = slub_params.param('bool', 'debug_key_under_slab_mutex', false, "Enable slub_debug_enabled under slab_mutex (1f0723a4c0df's order)", {
  values: ['0', '1'],
});
/** Planted bug (ours): SLUB's slow path takes the cpu slab lock without disabling irqs. */
const test_local_lock_irqs_on_param = slub_params.param('bool', 'test_local_lock_irqs_on', false, 'Take the cpu slab lock with irqs on');
export function slub_debug_key_under_slab_mutex(): boolean {
  return debug_key_under_slab_mutex.get();
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
  // kmem_cache_flags(): slub_debug= adds its flags here, after the static key was seen to (the
  // caller's flags decide that, as the kernel's kmem_cache_create_usercopy()).
  const s: KmemCache = { slot, name, object_size: size, align: Math.max(align, 8), flags: kmem_cache_flags(flags, name), useroffset, usersize, ctor };
  const err = await kmem_cache_open(s, flags);
  if (err !== 0) return null;
  // Publish the cache last: pairs with the Atomics.load(C_INUSE) in slub_cpu_dead() and
  // slub_find_object() on other CPUs.
  Atomics.store(i32, cw(slot, C_INUSE), 1);
  return s;
}

/* ---------------- allocation ---------------- */

/**
 * Test-only `slub.test_local_lock_irqs_on=1` (a planted bug): the slow path takes the cpu slab's
 * lock with local_lock(), which only disables preemption, instead of local_lock_irqsave(). An
 * interrupt that allocates from the same cache on this CPU (the timer readers do) can then run
 * in the middle of ___slab_alloc(): lockdep reports `&n->list_lock` taken with softirqs on and in
 * softirq context, and without lockdep the interrupted update loses or doubles objects.
 */
let test_local_lock_irqs_on = false;
const LOCAL_LOCK_PREEMPT_ONLY = 2;

/** local_lock_irqsave(&s->cpu_slab->lock): irqs off, so this CPU stays ours. Returns the flags. */
function local_lock_irqsave(): number {
  if (test_local_lock_irqs_on) {
    kapi.preemptDisable();
    return LOCAL_LOCK_PREEMPT_ONLY;
  }
  const flags = kapi.irqsDisabled() ? 1 : 0;
  kapi.localIrqDisable();
  return flags;
}

function local_unlock_irqrestore(flags: number): void {
  if (flags === LOCAL_LOCK_PREEMPT_ONLY) kapi.preemptEnable();
  else if (flags === 0) kapi.localIrqEnable();
}

/**
 * get_freelist(): take the objects freed into this CPU's frozen slab by other CPUs. Returns the
 * first (number + 1), the slab staying frozen, or 0 and the slab is unfrozen (full: on no list).
 */
function get_freelist(s: KmemCache, m: SlotMem, slab: number): number {
  for (;;) {
    const old = Atomics.load(kapi.shm, slw(m, slab, SL_STATE));
    const fl = st_fl(old);
    if (slab_update_freelist(m, slab, old, st_pack(0, oo(s.slot), fl !== 0))) return flObj(s.slot, slab, fl);
  }
}

/** freeze_slab(): a slab just taken off the partial list becomes this CPU's; its free objects. */
function freeze_slab(s: KmemCache, m: SlotMem, slab: number): number {
  for (;;) {
    const old = Atomics.load(kapi.shm, slw(m, slab, SL_STATE));
    if (slab_update_freelist(m, slab, old, st_pack(0, oo(s.slot), true))) return flObj(s.slot, slab, st_fl(old));
  }
}

/** get_partial(): a slab off the node's partial list, or -1. Irqs are off (the cpu slab lock). */
function get_partial(m: SlotMem): number {
  const i32 = kapi.shm;
  if (Atomics.load(i32, m.node.base + N_NR_PARTIAL) === 0) return -1;
  spin_lock(m.lock);
  const head = i32[m.node.base + N_PARTIAL_HEAD] ?? 0;
  if (head !== 0) remove_partial(m, head - 1);
  spin_unlock(m.lock);
  return head - 1;
}

/**
 * ___slab_alloc(): the slow path, under the cpu slab's local lock. Returns an object (number + 1)
 * or 0 when the cache's pages are all in use.
 */
function ___slab_alloc(s: KmemCache, m: SlotMem): number {
  const i32 = kapi.shm;
  const flags = local_lock_irqsave();
  // Must re-read the CPU: it is fixed only now that irqs are off.
  const c = m.cpus.base + kapi.smpProcessorId() * PCP_STRIDE;
  let freelist = i32[c + K_FREELIST] ?? 0;
  let slab = (i32[c + K_SLAB] ?? 0) - 1;
  if (freelist === 0 && slab >= 0) {
    freelist = get_freelist(s, m, slab);
    if (freelist === 0) {
      i32[c + K_SLAB] = 0;
      i32[c + K_TID] = next_tid(i32[c + K_TID] ?? 0);
      slab = -1;
    }
  }
  if (slab < 0) {
    slab = get_partial(m);
    if (slab >= 0) {
      freelist = freeze_slab(s, m, slab);
    } else {
      slab = new_slab(s, m);
      if (slab < 0) {
        local_unlock_irqrestore(flags);
        return 0;
      }
      freelist = freeze_slab(s, m, slab);
    }
    i32[c + K_SLAB] = slab + 1;
  }
  // load_freelist:
  i32[c + K_FREELIST] = get_freepointer(s.slot, m, freelist - 1);
  i32[c + K_TID] = next_tid(i32[c + K_TID] ?? 0);
  local_unlock_irqrestore(flags);
  return freelist;
}

/**
 * kmem_cache_alloc(): slab_alloc_node(): an object from this CPU's slab, lockless, else the slow
 * path. Returns its byte address, 0 when the cache is out of pages. Any context.
 */
export function kmem_cache_alloc(s: KmemCache): number {
  const i32 = kapi.shm;
  const m = mem(s.slot);
  let obj = 0;
  if (kmem_cache_debug(s.flags)) {
    obj = alloc_debug(s, m);
  } else {
    for (;;) {
      // raw_cpu_ptr(): this CPU now; the tid check below catches a change before the update.
      const c = m.cpus.base + kapi.smpProcessorId() * PCP_STRIDE;
      const tid = i32[c + K_TID] ?? 0;
      const object = i32[c + K_FREELIST] ?? 0;
      const slab = (i32[c + K_SLAB] ?? 0) - 1;
      if (object === 0 || slab < 0) {
        obj = ___slab_alloc(s, m);
        break;
      }
      const next = get_freepointer(s.slot, m, object - 1);
      if (!cpu_freelist_valid(s, m, c, slab, object, next)) continue;
      // __update_cpu_freelist_fast(): this_cpu_cmpxchg_double(freelist, tid), on the CPU we are
      // on at this instant; only this CPU writes its kmem_cache_cpu, and nothing else runs on it
      // between these statements, so the two-word compare is atomic for it.
      const me = m.cpus.base + kapi.smpProcessorId() * PCP_STRIDE;
      if (i32[me + K_TID] === tid && i32[me + K_FREELIST] === object) {
        i32[me + K_FREELIST] = next;
        i32[me + K_TID] = next_tid(tid);
        obj = object;
        break;
      }
    }
  }
  if (obj === 0) return 0;
  const addr = objAddr(s.slot, m, obj - 1);
  planted_after_alloc(s, addr);
  return addr;
}

/* ---------------- freeing ---------------- */

/** __slab_free(): to a slab that is not this CPU's: a cmpxchg, the node lock when it must move. */
function __slab_free(s: KmemCache, m: SlotMem, slab: number, obj: number): void {
  cov(COV.slab_remote_free);
  const i32 = kapi.shm;
  let locked = false;
  let flags = 0;
  let old = 0;
  let inuse = 0;
  let prior = 0;
  let frozen = false;
  for (;;) {
    if (locked) {
      spin_unlock_irqrestore(m.lock, flags);
      locked = false;
    }
    old = Atomics.load(i32, slw(m, slab, SL_STATE));
    prior = st_fl(old);
    frozen = (old & FROZEN) !== 0;
    inuse = st_inuse(old) - 1;
    set_freepointer(s.slot, m, obj, flObj(s.slot, slab, prior));
    if ((inuse === 0 || prior === 0) && !frozen) {
      flags = spin_lock_irqsave(m.lock);
      locked = true;
    }
    if (slab_update_freelist(m, slab, old, st_pack(objFl(s.slot, slab, obj + 1), inuse, frozen))) break;
  }
  if (!locked) return; // frozen: the owning CPU takes it with get_freelist()
  const onList = (i32[slw(m, slab, SL_ONLIST)] ?? 0) !== 0;
  if (prior !== 0 && !onList) {
    spin_unlock_irqrestore(m.lock, flags);
    return;
  }
  if (inuse === 0 && Atomics.load(i32, m.node.base + N_NR_PARTIAL) >= (i32[cw(s.slot, C_MIN_PARTIAL)] ?? 5)) {
    if (onList) remove_partial(m, slab);
    spin_unlock_irqrestore(m.lock, flags);
    discard_slab(m, slab);
    return;
  }
  if (prior === 0) add_partial(m, slab, true);
  spin_unlock_irqrestore(m.lock, flags);
}

/**
 * kmem_cache_free(): do_slab_free(): to this CPU's slab lockless, else __slab_free(); a debug
 * cache's through free_debug(). First the checks every free gets: the cache the object belongs to
 * (cache_from_obj()), lockdep's debug_check_no_locks_freed() (slab_free_hook()), and, for a debug
 * cache with SLAB_CONSISTENCY_CHECKS, a pointer that is not an object's start (`Invalid object
 * pointer`).
 */
export function kmem_cache_free(s0: KmemCache, addr: number): void {
  const i32 = kapi.shm;
  const s = cache_from_obj(s0, addr);
  if (s === null) return;
  const m = mem(s.slot);
  kapi.lockdep.checkNoLocksFreed(addr, s.object_size);
  const obj = objOf(s.slot, m, addr);
  if (obj < 0) {
    const slab = Math.floor((addr / 4 - m.arena.base) / SLAB_WORDS);
    if ((s.flags & SLAB_CONSISTENCY_CHECKS) !== 0) {
      const v = debug_view(s.slot, m);
      slab_err(v, slab, `Invalid object pointer 0x${pointer_px(addr)}`);
      slab_fix(v, `Object at 0x${pointer_px(addr)} not freed`);
    } else {
      // The kernel would thread its freelist through the wrong bytes; the model refuses.
      WARN(true, `kmem_cache_free: ${s.name}: 0x${pointer_px(addr)} is not the start of an object`);
    }
    return;
  }
  const slab = Math.floor(obj / oo(s.slot));
  if (kmem_cache_debug(s.flags)) {
    free_debug(s, m, slab, obj);
    planted_after_free(s, m, addr, slab, obj);
    return;
  }
  const wrongCpu = planted_wrong_cpu_free();
  for (;;) {
    const c = m.cpus.base + kapi.smpProcessorId() * PCP_STRIDE;
    const tid = i32[c + K_TID] ?? 0;
    if ((i32[c + K_SLAB] ?? 0) !== slab + 1 && !(wrongCpu && (i32[c + K_SLAB] ?? 0) !== 0)) {
      __slab_free(s, m, slab, obj);
      break;
    }
    const freelist = i32[c + K_FREELIST] ?? 0;
    set_freepointer(s.slot, m, obj, freelist);
    const me = m.cpus.base + kapi.smpProcessorId() * PCP_STRIDE;
    if (i32[me + K_TID] === tid && i32[me + K_FREELIST] === freelist) {
      i32[me + K_FREELIST] = obj + 1;
      i32[me + K_TID] = next_tid(tid);
      break;
    }
  }
  planted_after_free(s, m, addr, slab, obj);
}

/* ---------------- flushing ---------------- */

/**
 * deactivate_slab(): a CPU gives up its slab: splice its private freelist (`freelist`, number + 1)
 * back into the slab, unfreeze it, and put it on the partial list (or discard it when empty and
 * the node has min_partial slabs). Returns the number of objects spliced back.
 */
function deactivate_slab(s: KmemCache, m: SlotMem, slab: number, freelist: number): number {
  const i32 = kapi.shm;
  const remote = st_fl(Atomics.load(i32, slw(m, slab, SL_STATE))) !== 0;
  let delta = 0;
  let tail = 0;
  const per = oo(s.slot);
  for (let o = freelist; o !== 0 && delta <= per; o = get_freepointer(s.slot, m, o - 1)) {
    // freelist_corrupted(): the CPU's freelist holds only its slab's objects; cut it before any other.
    if (o - 1 < slab * per || o - 1 >= slab * per + per) {
      const v = debug_view(s.slot, m);
      if (tail !== 0) {
        object_err(v, slab, objAddr(s.slot, m, tail - 1), 'Freechain corrupt');
        set_freepointer(s.slot, m, tail - 1, 0);
      } else {
        slab_err(v, slab, 'Freepointer corrupt');
        freelist = 0;
      }
      slab_fix(v, 'Isolate corrupted freechain');
      break;
    }
    tail = o;
    delta++;
  }
  let next = 0;
  for (;;) {
    const old = Atomics.load(i32, slw(m, slab, SL_STATE));
    WARN_ONCE((old & FROZEN) === 0, `deactivate_slab: ${readName(s.slot)}: slab ${slab} not frozen`);
    let fl = st_fl(old);
    let inuse = st_inuse(old);
    if (tail !== 0) {
      inuse -= delta;
      set_freepointer(s.slot, m, tail - 1, flObj(s.slot, slab, fl));
      fl = objFl(s.slot, slab, freelist);
    }
    next = st_pack(fl, inuse, false);
    if (slab_update_freelist(m, slab, old, next)) break;
  }
  if (st_inuse(next) === 0 && Atomics.load(i32, m.node.base + N_NR_PARTIAL) >= (i32[cw(s.slot, C_MIN_PARTIAL)] ?? 5)) {
    discard_slab(m, slab);
  } else if (st_fl(next) !== 0) {
    const flags = spin_lock_irqsave(m.lock);
    add_partial(m, slab, remote);
    spin_unlock_irqrestore(m.lock, flags);
  }
  return delta;
}

/** __flush_cpu_slab(): CPU `cpu`'s slab of a cache back to the node. Returns objects flushed, -1 if none. */
function __flush_cpu_slab(s: KmemCache, cpu: number): number {
  const i32 = kapi.shm;
  const m = mem(s.slot);
  const c = m.cpus.base + cpu * PCP_STRIDE;
  const freelist = i32[c + K_FREELIST] ?? 0;
  const slab = (i32[c + K_SLAB] ?? 0) - 1;
  i32[c + K_SLAB] = 0;
  i32[c + K_FREELIST] = 0;
  i32[c + K_TID] = next_tid(i32[c + K_TID] ?? 0);
  if (slab < 0) return -1;
  return deactivate_slab(s, m, slab, freelist);
}

/**
 * slub_cpu_dead(): CPUHP_SLUB_DEAD teardown, on the control CPU after `cpu` died: flush its slab
 * of every cache. `cpu` must be dead: its kmem_cache_cpu is its own while it runs.
 */
export async function slub_cpu_dead(cpu: number): Promise<void> {
  WARN_ONCE(kapi.cpuOnline(cpu) || kapi.cpuCurr(cpu) !== null, `slub_cpu_dead: CPU ${cpu}: a cache flushed while its CPU still runs`);
  await mutex_lock(slab_mutex());
  const st = stats();
  Atomics.add(kapi.shm, st.base + ST_DEAD_CALLS, 1);
  for (let slot = 0; slot < MAX_CACHES; slot++) {
    const s = Atomics.load(kapi.shm, cw(slot, C_INUSE)) !== 0 ? slub_cache_by_slot(slot) : null;
    if (s === null) continue;
    const n = __flush_cpu_slab(s, cpu);
    if (n >= 0) {
      cov(COV.slab_cpu_dead_flush);
      Atomics.add(kapi.shm, st.base + ST_DEAD_CPU_SLABS, 1);
      Atomics.add(kapi.shm, st.base + ST_DEAD_OBJECTS, n);
    }
  }
  mutex_unlock(slab_mutex());
}

/** What slub_cpu_dead() has done since boot: calls, CPU slabs deactivated, free objects returned. */
export function slub_cpu_dead_stats(): { calls: number; cpuSlabs: number; objects: number } {
  const st = stats();
  return {
    calls: Atomics.load(kapi.shm, st.base + ST_DEAD_CALLS),
    cpuSlabs: Atomics.load(kapi.shm, st.base + ST_DEAD_CPU_SLABS),
    objects: Atomics.load(kapi.shm, st.base + ST_DEAD_OBJECTS),
  };
}

/** flush_all_cpus_locked(): caller holds cpu_hotplug_lock; the cache is no longer in use. */
function flush_all_cpus_locked(s: KmemCache): void {
  for (let cpu = 0; cpu < kapi.nrCpuIds; cpu++) __flush_cpu_slab(s, cpu);
}

/** __kmem_cache_shutdown(): 0 if the cache is empty and may go (its slabs freed), else -EBUSY. */
export function __kmem_cache_shutdown(s: KmemCache): number {
  const i32 = kapi.shm;
  const m = mem(s.slot);
  flush_all_cpus_locked(s);
  const flags = spin_lock_irqsave(m.lock);
  let busy = false;
  for (let slab = 0; slab < nr_slabs(); slab++) {
    if (Atomics.load(i32, slw(m, slab, SL_PAGE)) === 0) continue;
    if (st_inuse(Atomics.load(i32, slw(m, slab, SL_STATE))) !== 0) {
      busy = true;
      continue;
    }
    if ((i32[slw(m, slab, SL_ONLIST)] ?? 0) !== 0) remove_partial(m, slab);
    discard_slab(m, slab);
  }
  spin_unlock_irqrestore(m.lock, flags);
  return busy ? -16 : 0;
}

/** Boot on every CPU: lock classes in a fixed order, then the cpuhp dead callback. */
export function slub_init(): void {
  test_local_lock_irqs_on = test_local_lock_irqs_on_param.get();
  slub_debug_ops_init();
  jump_label_init();
  slab_mutex();
  // setup_slub_debug(): the key goes on at boot when slub_debug= asks for any debugging.
  if (setup_slub_debug()) static_key_enable_early(slub_debug_enabled());
  else slub_debug_enabled();
  stack_depot_init();
  caches();
  stats();
  cpuhp_setup_state_nocalls('CPUHP_SLUB_DEAD', 'slub:dead', null, slub_cpu_dead);
}
