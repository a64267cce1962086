/*
 * futex_wait for the locks: Atomics.wait (sync) and Atomics.waitAsync (async) on one Int32 word
 * while it holds an expected value, with a deadline. With lockdep off the wait is one call for the
 * whole timeout. With lockdep on it sleeps in slices (waitSliceMs(), default 100 ms) and between
 * two slices calls `checkWaits()`: a thread blocked in Atomics.wait runs nothing, so each blocked
 * waiter looks at the shared wait-for table itself, and when every thread of a program is blocked
 * on every other the first of them to wake from a slice reports the cycle (lockdep's wait_check).
 *
 * Returns 'ok' (woken), 'not-equal' (the word had changed: retry) or 'timed-out' (the deadline,
 * never a slice, has passed). A wake-up may be spurious (a notify meant for another waiter): the
 * callers re-check their word in a loop, as futex users must.
 */

import { waitSliceMs, type LocksLockdep } from './lockdep_hook.js';

export type WaitResult = 'ok' | 'not-equal' | 'timed-out';

/** The deadline (performance.now() clock) of a timeout in ms; Infinity for none. */
export function deadlineOf(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined || timeoutMs === Infinity) return Infinity;
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) throw new RangeError(`Cannot wait as 'timeoutMs' must be a number >= 0 or Infinity: current value is ${String(timeoutMs)}`);
  return performance.now() + timeoutMs;
}

function remaining(deadline: number): number {
  return deadline === Infinity ? Infinity : Math.max(0, deadline - performance.now());
}

/** futex_wait(): sleep while i32[idx] === val, until woken or the deadline. */
export function futexWait(i32: Int32Array, idx: number, val: number, deadline: number, ld: LocksLockdep | null): WaitResult {
  if (ld === null) return Atomics.wait(i32, idx, val, remaining(deadline));
  const slice = waitSliceMs();
  for (;;) {
    const left = remaining(deadline);
    const r = Atomics.wait(i32, idx, val, Math.min(slice, left));
    if (r !== 'timed-out') return r;
    if (left <= slice) return 'timed-out';
    ld.checkWaits();
  }
}

/** futexWait() without blocking the thread: Atomics.waitAsync, same slices and results. */
export async function futexWaitAsync(i32: Int32Array, idx: number, val: number, deadline: number, ld: LocksLockdep | null): Promise<WaitResult> {
  const slice = ld === null ? Infinity : waitSliceMs();
  for (;;) {
    const left = remaining(deadline);
    const w = Atomics.waitAsync(i32, idx, val, Math.min(slice, left));
    let r: WaitResult;
    if (w.async) {
      // Node does not count a pending Atomics.waitAsync as work: without a timer the thread's
      // event loop would end (exit code 13 for an unsettled top-level await) while we wait.
      const keepAlive = setInterval(() => {}, 0x7fffffff);
      r = await w.value;
      clearInterval(keepAlive);
    } else r = w.value;
    if (r !== 'timed-out') return r;
    if (left <= slice) return 'timed-out';
    ld?.checkWaits();
  }
}
