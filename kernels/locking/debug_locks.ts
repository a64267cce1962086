/*
 * DEBUG_LOCKS_WARN_ON(c) of include/linux/debug_locks.h: when `c` holds, switch lockdep off
 * (debug_locks_off()) and, for the caller that switched it off, WARN with the condition's text:
 *
 *   ------------[ cut here ]------------
 *   DEBUG_LOCKS_WARN_ON(ww_ctx->done_acquire)
 *   WARNING: CPU: 1 PID: 42 at __ww_mutex_lock (kernels/locking/ww_mutex.ts:210)
 *
 * So only the first such finding of a guest prints, as in the kernel (a later one finds debug_locks
 * already off). Without lockdep (CONFIG_PROVE_LOCKING=n) the hook is absent and nothing prints,
 * which is the kernel's behaviour with debug_locks == 0.
 */

import { kapi } from '../../harness/kapi.js';

/** Frames of this file, skipped when naming the asserting function. */
const OWN_FRAME = / \(kernels\/locking\/debug_locks\.ts:\d+\)$/;

/** DEBUG_LOCKS_WARN_ON(c): `expr` is the condition as the kernel's source spells it. Returns c. */
export function DEBUG_LOCKS_WARN_ON(c: boolean, expr: string): boolean {
  if (!c) return false;
  if (kapi.lockdep.debugLocksOff?.() === true) {
    const frames = kapi.stackTraceSave();
    kapi.warn(frames.find((f) => !OWN_FRAME.test(f)) ?? frames[0] ?? 'unknown', `DEBUG_LOCKS_WARN_ON(${expr})`);
  }
  return true;
}
