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

import { CPU_DOORBELL, cpuWord, execWakeFwdWord } from '../shm/layout.js';

/** Set in the doorbell word while its owner sleeps on it: a ring must notify. */
export const DOORBELL_SLEEPING = 1;
/** One ring: the count moves by this, leaving DOORBELL_SLEEPING as it is. */
export const DOORBELL_RING = 2;

/**
 * Host wake-ups (Atomics.notify) this thread made, the rings that needed none, the notifies this
 * thread left to the first executor it woke of a burst (notifyBurst()), and those of them it took
 * back and made itself (that executor was not asleep after all).
 */
export const ringStats = { notified: 0, silent: 0, forwarded: 0, reclaimed: 0 };

/** Ring executor `cpu`'s doorbell: it re-checks its sleepers and commands. Any thread. */
export function ringCpu(i32: Int32Array, cpu: number): void {
  if (ringNoNotify(i32, cpu)) notifyCpu(i32, cpu);
}

/**
 * The ring without its notify: true when the owner sleeps on the word and this ring must notify
 * it (notifyCpu(), or notifyBurst()). For a waker ringing several executors at once (wakeUp()):
 * every ring first, so that running and polling owners see theirs before the first futex wake-up
 * can preempt the waker.
 *
 * The ring that finds the flag also takes it (clears it): of several rings of one sleeping owner
 * only the first owes the notify, the others are silent (the owner is woken, or about to be).
 */
export function ringNoNotify(i32: Int32Array, cpu: number): boolean {
  const w = cpuWord(cpu, CPU_DOORBELL);
  // The add, then the flag it returns: pairs with the compareExchange in doorbellHalt(). Either
  // the sleeper's flag is in the value we add to (we notify), or its compareExchange comes after
  // our add and fails (it does not sleep), or its Atomics.wait sees a value it does not expect.
  if ((Atomics.add(i32, w, DOORBELL_RING) & DOORBELL_SLEEPING) !== 0) {
    // Take the flag: whoever clears it owes the notify (pairs with the owner's Atomics.and after
    // its wait, and with other ringers' and). The owner's wait is on a value with the flag, which
    // our add already moved, so the one notify is all it needs; an owner that cleared the flag
    // itself is awake.
    if ((Atomics.and(i32, w, ~DOORBELL_SLEEPING) & DOORBELL_SLEEPING) !== 0) return true;
  }
  ringStats.silent++;
  return false;
}

/** The notify a ring found owed (ringNoNotify() returned true): wakes the owner's Atomics.wait. */
export function notifyCpu(i32: Int32Array, cpu: number): boolean {
  ringStats.notified++;
  return Atomics.notify(i32, cpuWord(cpu, CPU_DOORBELL), 1) !== 0;
}

/**
 * The notifies a burst of rings found owed, `owed` a mask of executors `group * 32 + bit`: the
 * waker notifies one of them, the first, and leaves it the others (its wake forward word,
 * execWakeFwdWord()); that executor notifies them as its halt ends (takeForwarded()). So a waker
 * that wakes k sleeping executors pays one futex wake-up, not k, and is preempted by at most one
 * woken thread: the kernel's ttwu_queue_wakelist() (the woken CPU does the enqueue work) for host
 * wake-ups. What the guest sees is unchanged: every ring was made by the waker (running and polling
 * owners see theirs at once), only the host notify of the others waits for the first to wake.
 */
export function notifyBurst(i32: Int32Array, group: number, owed: number): void {
  const first = 31 - Math.clz32(owed & -owed);
  const d = group * 32 + first;
  const rest = owed & ~(1 << first);
  if (rest !== 0) {
    // The mask, then a second ring after it: pairs with takeForwarded() at both ends of the
    // owner's doorbellHalt(). A halt that began before this ring fails its compareExchange or its
    // wait, and looks at the mask on its way out; one that began after it saw the mask on entry.
    Atomics.or(i32, execWakeFwdWord(d), rest);
    Atomics.add(i32, cpuWord(d, CPU_DOORBELL), DOORBELL_RING);
    for (let m = rest; m !== 0; m &= m - 1) ringStats.forwarded++;
  }
  // A notify that woke nobody: `d`'s halt ended on its own (a timeout, another ring) after our
  // ring took its flag and before our or, and it may next block where it does not flush (a spin,
  // a user lock's futex). Make the left notifies here, then; if `d` takes them first the exchange
  // leaves us none (pairs with takeForwarded()'s exchange; a notify made twice is harmless). A `d`
  // between its compareExchange and its wait is not waiting yet either: its wait then fails on
  // our ring and it finds the word empty.
  if (!notifyCpu(i32, d) && rest !== 0) ringStats.reclaimed += takeForwarded(i32, d);
}

/**
 * The notifies a waker left to executor `self` (notifyBurst()), made by `self`: at both ends of
 * each halt on its doorbell, at every pass of its run loop (the second ring preempts a running
 * task back to it) and on its way out, at every tick a task takes, and before the run-token wait,
 * pv_wait() and a busy-wait's sleep on the timer line. A notify is left only to an executor the
 * waker's own notify found asleep (else notifyBurst() makes them itself), so `self` is on its way
 * out of a halt, whose exit flushes: the left notifies wait for one host wake-up of `self`.
 */
export function takeForwarded(i32: Int32Array, self: number): number {
  const w = execWakeFwdWord(self);
  // A plain-speed check first: nothing forwarded is the common case. Pairs with notifyBurst()'s or.
  if (Atomics.load(i32, w) === 0) return 0;
  const base = self & ~31;
  let n = 0;
  for (let m = Atomics.exchange(i32, w, 0); m !== 0; m &= m - 1, n++) notifyCpu(i32, base + 31 - Math.clz32(m & -m));
  return n;
}

/**
 * The owner sleeps on its doorbell word until a ring moves it from `seen` (read by the owner
 * while awake, so its flag is clear) or `timeoutMs` passes. Returns at once ('rung') if a ring
 * came since `seen` was read; else Atomics.wait's result. The flag is cleared before it returns.
 * `self` is the owner (its wake forward word: takeForwarded()).
 */
export function doorbellHalt(i32: Int32Array, self: number, seen: number, timeoutMs: number): 'rung' | 'ok' | 'not-equal' | 'timed-out' {
  const w = cpuWord(self, CPU_DOORBELL);
  takeForwarded(i32, self);
  // Pairs with ringNoNotify()'s Atomics.add: a ring since `seen` makes this fail.
  if (Atomics.compareExchange(i32, w, seen, seen | DOORBELL_SLEEPING) !== seen) {
    takeForwarded(i32, self);
    return 'rung';
  }
  const r = Atomics.wait(i32, w, seen | DOORBELL_SLEEPING, timeoutMs);
  Atomics.and(i32, w, ~DOORBELL_SLEEPING);
  takeForwarded(i32, self);
  return r;
}

/** doorbellHalt() for an executor whose event loop must turn meanwhile (Atomics.waitAsync). */
export async function doorbellHaltAsync(i32: Int32Array, self: number, seen: number, timeoutMs: number): Promise<void> {
  const w = cpuWord(self, CPU_DOORBELL);
  takeForwarded(i32, self);
  if (Atomics.compareExchange(i32, w, seen, seen | DOORBELL_SLEEPING) === seen) {
    const r = Atomics.waitAsync(i32, w, seen | DOORBELL_SLEEPING, timeoutMs);
    if (r.async) await r.value;
    Atomics.and(i32, w, ~DOORBELL_SLEEPING);
  }
  takeForwarded(i32, self);
}
