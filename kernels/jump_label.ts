/*
 * Static keys (kernel/jump_label.c): a boolean in shared memory that code tests cheaply
 * (static_branch_unlikely) and that is flipped by patching code under cpus_read_lock() and
 * jump_label_mutex.
 *
 * What matters here is the locking, which is the kernel's: static_key_enable() takes
 * cpu_hotplug_lock for read on EVERY call, even when the key is already on (the kernel does, so
 * lockdep records the dependency each time), and jump_label_mutex nested inside it when the key
 * actually changes. Taking static_key_enable() under slab_mutex is the seed bug (kernels/README.md).
 *
 * Not modelled: code patching itself, static_key_slow_inc/dec reference counts, module keys.
 */

import { kapi, type ShmRegion } from '../harness/kapi.js';
import { cpus_read_lock, cpus_read_unlock, lockdep_assert_cpus_held } from './cpu/hotplug.js';
import { DEFINE_MUTEX, mutex_lock, mutex_unlock, type Mutex } from './locking/mutex.js';

/** struct static_key: `enabled` is 0 off, 1 on, -1 while being switched on (as the kernel's). */
export interface StaticKey {
  readonly name: string;
  readonly region: ShmRegion;
}

let jump_label_mutex: Mutex | null = null;

function jumpLabelMutex(): Mutex {
  jump_label_mutex ??= DEFINE_MUTEX('jump_label_mutex');
  return jump_label_mutex;
}

/** DEFINE_STATIC_KEY_FALSE(name): the named key, off at boot, the same on every CPU. */
export function DEFINE_STATIC_KEY_FALSE(name: string): StaticKey {
  return { name, region: kapi.shmAlloc(`static_key.${name}`, 1) };
}

/** static_key_enabled() / static_branch_unlikely(): is the key on? */
export function static_key_enabled(key: StaticKey): boolean {
  // Pairs with the release store in static_key_enable_cpuslocked().
  return Atomics.load(key.region.i32, key.region.base) > 0;
}

/** jump_label_lock(). */
export async function jump_label_lock(): Promise<void> {
  await mutex_lock(jumpLabelMutex());
}

/** jump_label_unlock(). */
export function jump_label_unlock(): void {
  mutex_unlock(jumpLabelMutex());
}

/** static_key_enable_cpuslocked(): caller holds cpu_hotplug_lock. */
export async function static_key_enable_cpuslocked(key: StaticKey): Promise<void> {
  lockdep_assert_cpus_held();
  const { i32, base } = key.region;
  if (Atomics.load(i32, base) > 0) return;
  await jump_label_lock();
  if (Atomics.load(i32, base) === 0) {
    Atomics.store(i32, base, -1);
    // jump_label_update(): nothing to patch in this model.
    Atomics.store(i32, base, 1); // pairs with the load in static_key_enabled()
  }
  jump_label_unlock();
}

/** static_key_enable() (static_branch_enable): cpus_read_lock() every time, as the kernel. */
export async function static_key_enable(key: StaticKey): Promise<void> {
  await cpus_read_lock();
  await static_key_enable_cpuslocked(key);
  cpus_read_unlock();
}

/** Declare the jump-label lock class at boot, in the same order on every CPU. */
export function jump_label_init(): void {
  jumpLabelMutex();
}

/**
 * static_branch_enable() from an early boot parameter (setup_slub_debug()): before other CPUs and
 * cpu_hotplug_lock matter, so without the lock. Every CPU runs it at its boot; idempotent.
 */
export function static_key_enable_early(key: StaticKey): void {
  Atomics.store(key.region.i32, key.region.base, 1); // pairs with the load in static_key_enabled()
}
