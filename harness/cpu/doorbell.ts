/*
 * An executor's doorbell (CPU_DOORBELL of its home slot): the one way another thread makes an
 * executor look again at its sleepers, its hotplug command and its timer line. Its own module
 * because wake-ups, run-token waiters, hotplug control and standalone CPUs all ring it.
 *
 * The word is a ring count in steps of DOORBELL_RING with one flag bit, DOORBELL_SLEEPING: set
 * only by the owner, only while it is (about to be) asleep in Atomics.wait on the word. A ringer
 * notifies only when it finds the flag: an executor that is running, or polling the word in its
 * idle loop (cpuidle_haltpoll.ts), sees the new count by itself, so the ringer's store is the
 * whole wake-up. This is the kernel's TIF_POLLING_NRFLAG rule (set_nr_if_polling(): a CPU polling
 * need_resched gets no IPI) seen from the other side: the flag here says "not looking, notify me".
 */

import { CPU_DOORBELL, cpuWord } from '../shm/layout.js';

/** Set in the doorbell word while its owner sleeps on it: a ring must notify. */
export const DOORBELL_SLEEPING = 1;
/** One ring: the count moves by this, leaving DOORBELL_SLEEPING as it is. */
export const DOORBELL_RING = 2;

/** Host wake-ups (Atomics.notify) this thread's rings made, and the rings that needed none. */
export const ringStats = { notified: 0, silent: 0 };

/** Ring executor `cpu`'s doorbell: it re-checks its sleepers and commands. Any thread. */
export function ringCpu(i32: Int32Array, cpu: number): void {
  if (ringNoNotify(i32, cpu)) notifyCpu(i32, cpu);
}

/**
 * The ring without its notify: true when the owner sleeps on the word and must be notified
 * (notifyCpu()). For a waker ringing several executors at once (wakeUp()): every ring first, so
 * that running and polling owners see theirs before the first futex wake-up can preempt the waker.
 */
export function ringNoNotify(i32: Int32Array, cpu: number): boolean {
  // The add, then the flag it returns: pairs with the compareExchange in doorbellHalt(). Either
  // the sleeper's flag is in the value we add to (we notify), or its compareExchange comes after
  // our add and fails (it does not sleep), or its Atomics.wait sees a value it does not expect.
  if ((Atomics.add(i32, cpuWord(cpu, CPU_DOORBELL), DOORBELL_RING) & DOORBELL_SLEEPING) !== 0) return true;
  ringStats.silent++;
  return false;
}

/** The notify a ring found owed (ringNoNotify() returned true): wakes the owner's Atomics.wait. */
export function notifyCpu(i32: Int32Array, cpu: number): void {
  ringStats.notified++;
  Atomics.notify(i32, cpuWord(cpu, CPU_DOORBELL), 1);
}

/**
 * The owner sleeps on its doorbell word `w` until a ring moves it from `seen` (read by the owner
 * while awake, so its flag is clear) or `timeoutMs` passes. Returns at once ('rung') if a ring
 * came since `seen` was read; else Atomics.wait's result. The flag is cleared before it returns.
 */
export function doorbellHalt(i32: Int32Array, w: number, seen: number, timeoutMs: number): 'rung' | 'ok' | 'not-equal' | 'timed-out' {
  // Pairs with ringCpu()'s Atomics.add: a ring since `seen` makes this fail.
  if (Atomics.compareExchange(i32, w, seen, seen | DOORBELL_SLEEPING) !== seen) return 'rung';
  const r = Atomics.wait(i32, w, seen | DOORBELL_SLEEPING, timeoutMs);
  Atomics.and(i32, w, ~DOORBELL_SLEEPING);
  return r;
}

/** doorbellHalt() for an executor whose event loop must turn meanwhile (Atomics.waitAsync). */
export async function doorbellHaltAsync(i32: Int32Array, w: number, seen: number, timeoutMs: number): Promise<void> {
  if (Atomics.compareExchange(i32, w, seen, seen | DOORBELL_SLEEPING) !== seen) return;
  const r = Atomics.waitAsync(i32, w, seen | DOORBELL_SLEEPING, timeoutMs);
  if (r.async) await r.value;
  Atomics.and(i32, w, ~DOORBELL_SLEEPING);
}
