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
 *  - Debug caches (SLAB_STORE_USER and the other SLAB_DEBUG_FLAGS) bypass the CPU slabs, as the
 *    kernel's do: alloc_single_from_partial()/free_to_partial_list() under the node lock.
 *  - slub_cpu_dead(): for every cache, __flush_cpu_slab() of the dead CPU: deactivate_slab()
 *    splices its freelist back into its slab, unfreezes it and puts it on the node's partial list
 *    (or discards it when empty). A dead CPU's kmem_cache_cpu is touched by the control CPU only
 *    after the CPU is dead; WARN if it is still online or running a task ("a cache flushed while
 *    its CPU still runs": the planted cpuhp.test_dead_early=1 does that). The work it did is
 *    counted (slub_cpu_dead_stats()) so that tests and rcutorture's stats show it is non-empty.
 *
 * Layout (slot s of `slab_caches`, CACHE_WORDS each; the slot's arena, slab states, node and
 * per-CPU slabs are shm regions named after the slot, the same size for every cache so that a
 * slot reused by another cache finds them):
 *   slab_caches:        C_INUSE, C_OBJ_SIZE, C_STRIDE_WORDS, C_FLAGS, C_OO, C_USERSIZE, C_FP,
 *                       C_MIN_PARTIAL, C_NAME.. (64 bytes of UTF-8)
 *   slab_pages.<s>:     per slab: SL_STATE, SL_NEXT, SL_PREV, SL_PAGE (in use), SL_ONLIST
 *   kmem_cache_node.<s>: partial list head, tail, nr_partial
 *   kmem_cache_cpu.<s>: per CPU (a cache line each): K_FREELIST, K_TID, K_SLAB
 * Objects and slabs are numbered; shm words hold number + 1 so that 0 is NULL.
 *
 * Departures: one NUMA node; no per-CPU partial lists (CONFIG_SLUB_CPU_PARTIAL=n); slab pages come
 * from a fixed pool per cache (nr_slabs(), ample for the objects rcutorture keeps); the cpu slab's
 * local_lock is irq disabling only (no lockdep class); kmem_cache_destroy() flushes other CPUs'
 * slabs itself instead of queueing flush work on them (the cache has no users by then); no
 * poisoning, red zones, free track, or objects bigger than MAX_OBJ_BYTES.
 */

import { COV, cov, LD_WAIT, kapi, type LockClassKey, type ShmRegion } from '../../harness/kapi.js';
import { WARN, WARN_ONCE, lockdep_assert_held } from '../bug.js';
import { cpuhp_setup_state_nocalls } from '../cpu/hotplug.js';
import { DEFINE_SPINLOCK, spin_lock, spin_lock_irqsave, spin_unlock, spin_unlock_irqrestore, type Spinlock } from '../locking/spinlock.js';
import { DEFINE_MUTEX, mutex_lock, mutex_unlock, type Mutex } from '../locking/mutex.js';
import { DEFINE_STATIC_KEY_FALSE, jump_label_init, static_key_enable, type StaticKey } from '../jump_label.js';
import { ModuleParams } from '../moduleparam.js';

export const SLAB_CONSISTENCY_CHECKS = 0x00000100;
export const SLAB_RED_ZONE = 0x00000400;
export const SLAB_POISON = 0x00000800;
export const SLAB_HWCACHE_ALIGN = 0x00002000;
export const SLAB_STORE_USER = 0x00010000;
export const SLAB_TRACE = 0x00200000;
/** SLAB_DEBUG_FLAGS: any of these makes a cache a debug cache (and enables the static key). */
export const SLAB_DEBUG_FLAGS = SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TRACE | SLAB_CONSISTENCY_CHECKS;

export const MAX_CACHES = 32;
export const MAX_OBJ_BYTES = 512;
/** One slab: a 2 KiB page here (the kernel's order-0 page is 4 KiB). */
export const SLAB_BYTES = 2048;
const SLAB_WORDS = SLAB_BYTES / 4;
/** tid step: a power of two >= NR_CPUS (128 at most), so tid % TID_STEP is the CPU. */
const TID_STEP = 128;

const CACHE_WORDS = 32;
const C_INUSE = 0;
const C_OBJ_SIZE = 1;
const C_STRIDE_WORDS = 2;
const C_FLAGS = 3;
/** s->oo: objects per slab. */
const C_OO = 4;
const C_USERSIZE = 5;
/** s->offset: word offset of the free pointer in an object. */
const C_FP = 6;
const C_MIN_PARTIAL = 7;
const C_NAME = 16;
const NAME_BYTES = 64;

/* Slab state word: the kernel's slab->freelist and slab->counters, updated together. */
const FL_MASK = 0x1ff; // first free object of the slab, local number + 1 (0: none)
const INUSE_SHIFT = 9;
const INUSE_MASK = 0x1ff;
const FROZEN = 1 << 18;

const SL_STATE = 0;
const SL_NEXT = 1;
const SL_PREV = 2;
/** 1 while the slab page is allocated to the cache (the page allocator's bit). */
const SL_PAGE = 3;
/** 1 while on the node's partial list (slab_test_node_partial()); under list_lock. */
const SL_ONLIST = 4;
const SL_WORDS = 8;

const N_PARTIAL_HEAD = 0;
const N_PARTIAL_TAIL = 1;
const N_NR_PARTIAL = 2;
const NODE_WORDS = 16;

const K_FREELIST = 0;
const K_TID = 1;
const K_SLAB = 2;
const PCP_STRIDE = 16;

/** Guest-wide slub_cpu_dead() work (slub_cpu_dead_stats()). */
const ST_DEAD_CALLS = 0;
const ST_DEAD_CPU_SLABS = 1;
const ST_DEAD_OBJECTS = 2;
const ST_WORDS = 16;

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
interface SlotMem {
  readonly arena: ShmRegion;
  readonly pages: ShmRegion;
  readonly node: ShmRegion;
  readonly cpus: ShmRegion;
  readonly lock: Spinlock;
}

let slab_mutex_: Mutex | null = null;
let slub_debug_enabled_: StaticKey | null = null;
let caches_: ShmRegion | null = null;
let stats_: ShmRegion | null = null;
const slot_mem = new Map<number, SlotMem>();
/** init_kmem_cache_node()'s spin_lock_init(&n->list_lock): one class for every cache's list_lock. */
let list_lock_key: LockClassKey | null = null;
/** SLAB_STORE_USER tracks of objects allocated on this thread (object address -> frames). */
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

function stats(): ShmRegion {
  stats_ ??= kapi.shmAlloc('slub_stats', ST_WORDS);
  return stats_;
}

function cw(slot: number, w: number): number {
  return caches().base + slot * CACHE_WORDS + w;
}

/** Slab pages per cache: room for every CPU to hold a slab or two and for objects awaiting RCU. */
function nr_slabs(): number {
  return 4 * kapi.nrCpuIds + 32;
}

function mem(slot: number): SlotMem {
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

function readName(slot: number): string {
  const u8 = new Uint8Array(kapi.shm.buffer, cw(slot, C_NAME) * 4, NAME_BYTES);
  const end = u8.indexOf(0);
  return new TextDecoder().decode(u8.slice(0, end < 0 ? NAME_BYTES : end));
}

/* ---------------- objects, slabs, state words ---------------- */

function oo(slot: number): number {
  return kapi.shm[cw(slot, C_OO)] ?? 1;
}

/** Word index of object `obj` (a number, not + 1). */
function objWord(slot: number, m: SlotMem, obj: number): number {
  const per = oo(slot);
  const slab = Math.floor(obj / per);
  return m.arena.base + slab * SLAB_WORDS + (obj - slab * per) * (kapi.shm[cw(slot, C_STRIDE_WORDS)] ?? 1);
}

function objAddr(slot: number, m: SlotMem, obj: number): number {
  return objWord(slot, m, obj) * 4;
}

/** get_freepointer(): the next free object after `obj` (number + 1, 0 for none). */
function get_freepointer(slot: number, m: SlotMem, obj: number): number {
  return kapi.shm[objWord(slot, m, obj) + (kapi.shm[cw(slot, C_FP)] ?? 0)] ?? 0;
}

function set_freepointer(slot: number, m: SlotMem, obj: number, next: number): void {
  kapi.shm[objWord(slot, m, obj) + (kapi.shm[cw(slot, C_FP)] ?? 0)] = next;
}

function slw(m: SlotMem, slab: number, w: number): number {
  return m.pages.base + slab * SL_WORDS + w;
}

function st_fl(st: number): number {
  return st & FL_MASK;
}

function st_inuse(st: number): number {
  return (st >> INUSE_SHIFT) & INUSE_MASK;
}

function st_pack(fl: number, inuse: number, frozen: boolean): number {
  return fl | (inuse << INUSE_SHIFT) | (frozen ? FROZEN : 0);
}

/** A slab's first free object from its state word, as an object number + 1. */
function flObj(slot: number, slab: number, fl: number): number {
  return fl === 0 ? 0 : slab * oo(slot) + fl;
}

/** An object number + 1 of slab `slab` as its state word's freelist field. */
function objFl(slot: number, slab: number, obj1: number): number {
  return obj1 === 0 ? 0 : obj1 - slab * oo(slot);
}

/** slab_update_freelist(): the cmpxchg of a slab's freelist and counters. */
function slab_update_freelist(m: SlotMem, slab: number, old: number, next: number): boolean {
  return Atomics.compareExchange(kapi.shm, slw(m, slab, SL_STATE), old, next) === old;
}

function kmem_cache_debug(flags: number): boolean {
  return (flags & SLAB_DEBUG_FLAGS) !== 0;
}

/* ---------------- the node's partial list (caller holds list_lock) ---------------- */

function add_partial(m: SlotMem, slab: number, toTail: boolean): void {
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
  cov(COV.slab_partial_add);
  // Read without the lock by deactivate_slab() and __slab_free(), as the kernel's n->nr_partial.
  Atomics.add(i32, n + N_NR_PARTIAL, 1);
}

function remove_partial(m: SlotMem, slab: number): void {
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
function new_slab(s: KmemCache, m: SlotMem): number {
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
  for (let k = 0; k < per; k++) {
    set_freepointer(s.slot, m, first + k, k + 1 < per ? first + k + 2 : 0);
    if (s.ctor !== null) s.ctor(objAddr(s.slot, m, first + k));
  }
  i32[slw(m, slab, SL_ONLIST)] = 0;
  Atomics.store(i32, slw(m, slab, SL_STATE), st_pack(1, 0, false));
  return slab;
}

/** discard_slab(): the page goes back to the pool. The slab is empty and on no list. */
function discard_slab(m: SlotMem, slab: number): void {
  cov(COV.slab_discard);
  Atomics.store(kapi.shm, slw(m, slab, SL_STATE), 0);
  Atomics.store(kapi.shm, slw(m, slab, SL_PAGE), 0);
}

/* ---------------- kmem_cache_open / create ---------------- */

/**
 * kmem_cache_open(): set the cache up. Under slab_mutex; with slub.debug_key_under_slab_mutex=1 it
 * also enables slub_debug_enabled here, as commit 1f0723a4c0df did (the seed bug).
 */
async function kmem_cache_open(s: KmemCache): Promise<number> {
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
  Atomics.store(i32, cw(s.slot, C_OBJ_SIZE), s.object_size);
  Atomics.store(i32, cw(s.slot, C_STRIDE_WORDS), stride);
  Atomics.store(i32, cw(s.slot, C_FLAGS), s.flags);
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
  if (kmem_cache_debug(s.flags) && slub_debug_key_under_slab_mutex()) await static_key_enable(slub_debug_enabled());
  return 0;
}

export const slub_params = new ModuleParams('slub', ['rcu']);
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
  const s: KmemCache = { slot, name, object_size: size, align: Math.max(align, 8), flags, useroffset, usersize, ctor };
  const err = await kmem_cache_open(s);
  if (err !== 0) return null;
  // Publish the cache last: pairs with the Atomics.load(C_INUSE) in slub_cpu_dead() and
  // slub_find_object() on other CPUs.
  Atomics.store(i32, cw(slot, C_INUSE), 1);
  return s;
}

/* ---------------- allocation ---------------- */

/** Allocation track for SLAB_STORE_USER: the kernel frames above kmem_cache_alloc(). */
function set_track(): string[] {
  const frames = kapi.stackTraceSave();
  const at = frames.findIndex((f) => f.startsWith('kmem_cache_alloc '));
  return at >= 0 ? frames.slice(at + 1) : frames;
}

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

function next_tid(tid: number): number {
  return (tid + TID_STEP) | 0;
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

/** alloc_single_from_partial() / alloc_single_from_new_slab(): a debug cache's object. */
function alloc_debug(s: KmemCache, m: SlotMem): number {
  const i32 = kapi.shm;
  const flags = spin_lock_irqsave(m.lock);
  let slab = (i32[m.node.base + N_PARTIAL_HEAD] ?? 0) - 1;
  if (slab < 0) {
    slab = new_slab(s, m);
    if (slab < 0) {
      spin_unlock_irqrestore(m.lock, flags);
      return 0;
    }
    add_partial(m, slab, false);
  }
  const old = Atomics.load(i32, slw(m, slab, SL_STATE));
  const obj = flObj(s.slot, slab, st_fl(old));
  const inuse = st_inuse(old) + 1;
  Atomics.store(i32, slw(m, slab, SL_STATE), st_pack(objFl(s.slot, slab, get_freepointer(s.slot, m, obj - 1)), inuse, false));
  if (inuse === oo(s.slot)) remove_partial(m, slab);
  spin_unlock_irqrestore(m.lock, flags);
  return obj;
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
      if (object === 0 || (i32[c + K_SLAB] ?? 0) === 0) {
        obj = ___slab_alloc(s, m);
        break;
      }
      const next = get_freepointer(s.slot, m, object - 1);
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
  if ((s.flags & SLAB_STORE_USER) !== 0) alloc_tracks.set(addr, set_track());
  return addr;
}

/* ---------------- freeing ---------------- */

/** __slab_free(): to a slab that is not this CPU's: a cmpxchg, the node lock when it must move. */
function __slab_free(s: KmemCache, m: SlotMem, slab: number, obj: number): void {
  const i32 = kapi.shm;
  cov(COV.slab_remote_free);
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

/** free_to_partial_list(): a debug cache's free, under the node lock. */
function free_debug(s: KmemCache, m: SlotMem, slab: number, obj: number): void {
  const i32 = kapi.shm;
  const flags = spin_lock_irqsave(m.lock);
  const old = Atomics.load(i32, slw(m, slab, SL_STATE));
  const prior = st_fl(old);
  const inuse = st_inuse(old) - 1;
  set_freepointer(s.slot, m, obj, flObj(s.slot, slab, prior));
  Atomics.store(i32, slw(m, slab, SL_STATE), st_pack(objFl(s.slot, slab, obj + 1), inuse, false));
  if (prior === 0) add_partial(m, slab, true);
  if (inuse === 0 && Atomics.load(i32, m.node.base + N_NR_PARTIAL) > (i32[cw(s.slot, C_MIN_PARTIAL)] ?? 5)) {
    remove_partial(m, slab);
    discard_slab(m, slab);
  }
  spin_unlock_irqrestore(m.lock, flags);
}

/** The object number at byte address `addr` of cache `slot`, or -1 if it is none of its objects. */
function objOf(slot: number, m: SlotMem, addr: number): number {
  const off = addr / 4 - m.arena.base;
  if (!Number.isInteger(off) || off < 0 || off >= nr_slabs() * SLAB_WORDS) return -1;
  const slab = Math.floor(off / SLAB_WORDS);
  const stride = kapi.shm[cw(slot, C_STRIDE_WORDS)] ?? 1;
  const k = (off - slab * SLAB_WORDS) / stride;
  if (!Number.isInteger(k) || k >= oo(slot)) return -1;
  return slab * oo(slot) + k;
}

/** kmem_cache_free(): do_slab_free(): to this CPU's slab lockless, else __slab_free(). */
export function kmem_cache_free(s: KmemCache, addr: number): void {
  const i32 = kapi.shm;
  const m = mem(s.slot);
  const obj = objOf(s.slot, m, addr);
  if (obj < 0) {
    WARN(true, `cache_from_obj: Wrong slab cache. ${s.name} but object is from elsewhere`);
    return;
  }
  alloc_tracks.delete(addr);
  const slab = Math.floor(obj / oo(s.slot));
  if (kmem_cache_debug(s.flags)) {
    free_debug(s, m, slab, obj);
    return;
  }
  for (;;) {
    const c = m.cpus.base + kapi.smpProcessorId() * PCP_STRIDE;
    const tid = i32[c + K_TID] ?? 0;
    if ((i32[c + K_SLAB] ?? 0) !== slab + 1) {
      __slab_free(s, m, slab, obj);
      return;
    }
    const freelist = i32[c + K_FREELIST] ?? 0;
    set_freepointer(s.slot, m, obj, freelist);
    const me = m.cpus.base + kapi.smpProcessorId() * PCP_STRIDE;
    if (i32[me + K_TID] === tid && i32[me + K_FREELIST] === freelist) {
      i32[me + K_FREELIST] = obj + 1;
      i32[me + K_TID] = next_tid(tid);
      return;
    }
  }
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
  for (let o = freelist; o !== 0 && delta <= oo(s.slot); o = get_freepointer(s.slot, m, o - 1)) {
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

/** Free the cache's slot (after __kmem_cache_shutdown() succeeded). */
export function kmem_cache_release(s: KmemCache): void {
  Atomics.store(kapi.shm, cw(s.slot, C_INUSE), 0);
}

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

/** Upper bound of slub_obj_index() + 1 for any cache of this guest. */
export function slub_max_objects(): number {
  return nr_slabs() * INUSE_MASK;
}

/** Objects per slab of `s` (s->oo). */
export function slub_objects_per_slab(s: KmemCache): number {
  return oo(s.slot);
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
  /** Allocation frames, innermost first (null when tracked on another thread or not tracked). */
  readonly track: string[] | null;
}

/** kmem_obj_info(): the live cache object containing byte address `addr`, if any. */
export function slub_find_object(addr: number): SlabObjectInfo | null {
  const i32 = kapi.shm;
  for (let slot = 0; slot < MAX_CACHES; slot++) {
    if (Atomics.load(i32, cw(slot, C_INUSE)) === 0) continue;
    const m = mem(slot);
    const start = m.arena.base * 4;
    if (addr < start || addr >= start + nr_slabs() * SLAB_BYTES) continue;
    const stride = Atomics.load(i32, cw(slot, C_STRIDE_WORDS)) * 4;
    const slab = Math.floor((addr - start) / SLAB_BYTES);
    const k = Math.floor((addr - start - slab * SLAB_BYTES) / stride);
    if (k >= oo(slot)) return null;
    const obj = start + slab * SLAB_BYTES + k * stride;
    return { cacheName: readName(slot), objAddr: obj, usersize: Atomics.load(i32, cw(slot, C_USERSIZE)), track: alloc_tracks.get(obj) ?? null };
  }
  return null;
}

/** Boot on every CPU: lock classes in a fixed order, then the cpuhp dead callback. */
export function slub_init(): void {
  test_local_lock_irqs_on = test_local_lock_irqs_on_param.get();
  jump_label_init();
  slab_mutex();
  slub_debug_enabled();
  caches();
  stats();
  cpuhp_setup_state_nocalls('CPUHP_SLUB_DEAD', 'slub:dead', null, slub_cpu_dead);
}
