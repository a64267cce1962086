/*
 * Test kernel: an AB-BA deadlock that happens. `deadlock_a` on CPU 0 takes mutex lock_a,
 * `deadlock_b` on CPU 1 takes lock_b; each waits (in shared memory) until the other holds its
 * first lock, prints that it takes its second, and blocks on it for ever. Nothing powers off: the
 * guest is still running when its monitor asks for its state and kills it, and the state dump
 * must name both tasks, the lock each waits for and its holder (harness/run/killed_guest.test.ts).
 * Without CONFIG_PROVE_LOCKING, no lockdep report ends the guest first.
 */

import { kapi } from '../../kapi.js';
import { DEFINE_MUTEX, mutex_lock, type Mutex } from '../../../kernels/locking/mutex.js';

/** Shared words: 1 once the task of that CPU holds its first lock. */
const W_HOLDS = [0, 1] as const;

async function take_both(first: Mutex, second: Mutex, mine: number, other: number, base: number): Promise<void> {
  const i32 = kapi.shm;
  await mutex_lock(first);
  Atomics.store(i32, base + mine, 1); // pairs with the other task's Atomics.load below
  while (Atomics.load(i32, base + other) === 0) await kapi.scheduleTimeout(1);
  kapi.printk(`abba_deadlock: ${kapi.current().comm} holds ${first.dep_map.name}, taking ${second.dep_map.name}`);
  await mutex_lock(second);
  kapi.printk('abba_deadlock: BUG: took both locks');
}

export function boot(cpu: number): void {
  const r = kapi.shmAlloc('abba_deadlock_test', 4);
  const a = DEFINE_MUTEX('lock_a');
  const b = DEFINE_MUTEX('lock_b');
  if (cpu === 0) kapi.kthreadRun(() => take_both(a, b, W_HOLDS[0], W_HOLDS[1], r.base), 'deadlock_a');
  if (cpu === 1) kapi.kthreadRun(() => take_both(b, a, W_HOLDS[1], W_HOLDS[0], r.base), 'deadlock_b');
}
