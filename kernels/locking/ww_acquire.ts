/*
 * struct ww_class and struct ww_acquire_ctx (include/linux/ww_mutex.h): the class that hands out
 * stamps and names the lockdep classes, and the acquire context one task uses to take several
 * ww_mutexes of that class (ww_acquire_init(), ww_acquire_done(), ww_acquire_fini()).
 *
 * Both live in the guest's shared memory, since other CPUs read a context (its stamp, how many
 * locks it holds) and write it (a wound): a context is a 16-word line (layout below), named like
 * a static variable (DEFINE_WW_ACQUIRE_CTX(name), or an array of them), where the kernel puts it
 * on the stack. A ww_mutex and a waiter refer to a context by `ref` (its base word + 1; 0 is NULL).
 *
 * The class's stamp counter is one shared word (atomic_long_inc_return_relaxed()); stamps are
 * compared modulo 2^32 as the kernel compares them modulo 2^64 (`(signed long)(a - b) > 0`).
 *
 * DEBUG_WW_MUTEXES (CONFIG_DEBUG_MUTEXES, selected by CONFIG_PROVE_LOCKING here as in
 * lib/Kconfig.debug) adds done_acquire, the class check and contending_lock; their
 * DEBUG_LOCKS_WARN_ON()s are in ww_mutex.ts and here. With lockdep, the context is itself a lock
 * of class `<class>_acquire`, held from init to fini, and every ww_mutex taken under it is taken
 * with it as nest_lock: many ww_mutexes of one class are then not recursive locking.
 */

import { kapi, LOCK_TYPE_PROPS, type Kapi, type LockClassKey, type LockdepMap } from '../../harness/kapi.js';
import { DEBUG_LOCKS_WARN_ON } from './debug_locks.js';

/* ww_acquire_ctx words. */
export const CTX_TASK = 0; // pid of ctx->task
export const CTX_STAMP = 1;
export const CTX_ACQUIRED = 2;
export const CTX_WOUNDED = 3;
export const CTX_IS_WAIT_DIE = 4;
export const CTX_DONE_ACQUIRE = 5; // DEBUG_WW_MUTEXES
export const CTX_CLASS = 6; // DEBUG_WW_MUTEXES: the class's id
export const CTX_CONTENDING = 7; // DEBUG_WW_MUTEXES: contending_lock, the ww_mutex's ref (0: NULL)
/** Wake-up count: bumped by whoever wants this context's task to re-check (a die or a wound). */
export const CTX_WAKE = 8;
/** The wait queue index + 1 of the ww_mutex this context's task sleeps on (0: none). */
export const CTX_BLOCKED_ON = 9;
export const CTX_WORDS = 16;

/** struct ww_class: DEFINE_WW_CLASS() (wound-wait) or DEFINE_WD_CLASS() (wait-die). */
export interface WwClass {
  readonly name: string;
  /** Guest-wide identity of the class (the base word of its stamp line). */
  readonly id: number;
  readonly is_wait_die: boolean;
  /** `<name>_acquire`: the class of the contexts' dep_maps. */
  readonly acquire_key: LockClassKey;
  /** `<name>_mutex`: the class of every ww_mutex of this class. */
  readonly mutex_key: LockClassKey;
}

/** struct ww_acquire_ctx: a line of shared memory and the lockdep map of its `<class>_acquire` lock. */
export interface WwAcquireCtx {
  readonly i32: Int32Array;
  readonly base: number;
  /** What a ww_mutex's ctx word and a waiter hold to name this context. */
  readonly ref: number;
  dep_map: LockdepMap;
}

function ww_class(name: string, is_wait_die: boolean): WwClass {
  const r = kapi.shmAlloc(`ww_class:${name}`, 16);
  const sleep = LOCK_TYPE_PROPS.mutex.waitType;
  return {
    name,
    id: r.base,
    is_wait_die,
    acquire_key: kapi.lockClass(`${name}_acquire`, 'mutex', sleep),
    mutex_key: kapi.lockClass(`${name}_mutex`, 'mutex', sleep),
  };
}

/** DEFINE_WW_CLASS(name): wound-wait, the older context wounds a younger holder. */
export function DEFINE_WW_CLASS(name: string): WwClass {
  return ww_class(name, false);
}

/** DEFINE_WD_CLASS(name): wait-die, a younger context dies rather than wait for an older one. */
export function DEFINE_WD_CLASS(name: string): WwClass {
  return ww_class(name, true);
}

/** A context in the line at `base` (one of an array, or DEFINE_WW_ACQUIRE_CTX()'s own). */
export function ww_acquire_ctx_at(base: number): WwAcquireCtx {
  return { i32: kapi.shm, base, ref: base + 1, dep_map: { key: { name: 'ww_acquire_ctx', ordinal: 0, type: 'mutex', waitType: LOCK_TYPE_PROPS.mutex.waitType }, addr: base * 4, name: 'ww_acquire_ctx' } };
}

/** A named context in shared memory (the kernel's `struct ww_acquire_ctx ctx;` on the stack). */
export function DEFINE_WW_ACQUIRE_CTX(name: string): WwAcquireCtx {
  return ww_acquire_ctx_at(kapi.shmAlloc(name, CTX_WORDS).base);
}

/** The context a ref names (a ww_mutex's ctx word, a waiter's). */
export function ww_ctx_of(ref: number): number {
  return ref - 1;
}

/**
 * DEBUG_WW_MUTEXES: CONFIG_DEBUG_MUTEXES, which CONFIG_PROVE_LOCKING selects; read once per kapi
 * (a guest's CPU 0 runs the locking self-test on a kapi of its own before its modules boot).
 */
let debugWwOf: Kapi | null = null;
let debugWw = false;
export function debug_ww_mutexes(): boolean {
  if (debugWwOf !== kapi) {
    debugWwOf = kapi;
    debugWw = kapi.config.kconfig.get('CONFIG_PROVE_LOCKING') === 'y';
  }
  return debugWw;
}

/**
 * ww_acquire_init(): a new stamp from the class, nothing acquired; with lockdep the context is
 * acquired as a lock of class `<class>_acquire` (two contexts held at once by one task is then
 * lockdep's recursive-locking report, as the kernel's).
 */
export function ww_acquire_init(ctx: WwAcquireCtx, cls: WwClass): void {
  const { i32, base } = ctx;
  Atomics.store(i32, base + CTX_TASK, kapi.inTask() ? kapi.current().pid : 0);
  // atomic_long_inc_return_relaxed(&ww_class->stamp): only uniqueness and order matter.
  Atomics.store(i32, base + CTX_STAMP, Atomics.add(i32, cls.id, 1) + 1);
  Atomics.store(i32, base + CTX_ACQUIRED, 0);
  Atomics.store(i32, base + CTX_WOUNDED, 0);
  Atomics.store(i32, base + CTX_IS_WAIT_DIE, cls.is_wait_die ? 1 : 0);
  Atomics.store(i32, base + CTX_CLASS, cls.id + 1);
  Atomics.store(i32, base + CTX_DONE_ACQUIRE, 0);
  Atomics.store(i32, base + CTX_CONTENDING, 0);
  Atomics.store(i32, base + CTX_BLOCKED_ON, 0);
  ctx.dep_map = { key: cls.acquire_key, addr: base * 4, name: cls.acquire_key.name };
  kapi.lockdep.acquire(ctx.dep_map, 0, false, 0, null);
}

/** ww_acquire_done(): no more ww_mutex_lock() under this context (DEBUG_WW_MUTEXES checks it). */
export function ww_acquire_done(ctx: WwAcquireCtx): void {
  if (!debug_ww_mutexes()) return;
  kapi.lockdep.assertHeld(ctx.dep_map);
  DEBUG_LOCKS_WARN_ON(Atomics.load(ctx.i32, ctx.base + CTX_DONE_ACQUIRE) !== 0, 'ctx->done_acquire');
  Atomics.store(ctx.i32, ctx.base + CTX_DONE_ACQUIRE, 1);
}

/** ww_acquire_fini(): the context ends; every ww_mutex taken under it must be unlocked by now. */
export function ww_acquire_fini(ctx: WwAcquireCtx): void {
  kapi.lockdep.release(ctx.dep_map);
  if (!debug_ww_mutexes()) return;
  DEBUG_LOCKS_WARN_ON(Atomics.load(ctx.i32, ctx.base + CTX_ACQUIRED) !== 0, 'ctx->acquired');
}

/** __ww_ctx_less(a, b): `a` is the younger context (the bigger stamp), modulo 2^32. */
export function __ww_ctx_less(i32: Int32Array, a: number, b: number): boolean {
  return ((Atomics.load(i32, a + CTX_STAMP) - Atomics.load(i32, b + CTX_STAMP)) | 0) > 0;
}
