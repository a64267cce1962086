/*
 * lockdep's wait types as it numbers them in this configuration (enum lockdep_wait_type), for the
 * wait-context check (wait_context.ts) and for the `{outer:inner}` every report prints (report.ts).
 * kapi's LD_WAIT numbers them as CONFIG_PROVE_RAW_LOCK_NESTING=y does; without it LD_WAIT_CONFIG
 * is LD_WAIT_SPIN and the types above it move down by one.
 */

import { LD_WAIT, LOCK_TYPE_PROPS, type LockdepMap } from '../kapi.js';

/** LD_WAIT_MAX with PROVE_RAW_LOCK_NESTING (one past SLEEP). */
const LD_WAIT_MAX = LD_WAIT.SLEEP + 1;

/** A wait type as lockdep numbers it in this configuration (CONFIG folded into SPIN without nesting). */
export function ldWait(w: number, rawLockNesting: boolean): number {
  return rawLockNesting || w < LD_WAIT.CONFIG ? w : w - 1;
}

/** The inner wait type of a map's class, as lockdep numbers it. */
export function waitInnerOf(map: LockdepMap, rawLockNesting: boolean): number {
  return ldWait(map.key.waitType, rawLockNesting);
}

/** `wait_type_outer ?: wait_type_inner` of a class given its type and (unfolded) inner type. */
export function waitOuterOf(type: keyof typeof LOCK_TYPE_PROPS, inner: number, rawLockNesting: boolean): number {
  const outer = LOCK_TYPE_PROPS[type].waitOuter;
  return outer !== LD_WAIT.INV ? ldWait(outer, rawLockNesting) : ldWait(inner, rawLockNesting);
}

/** task_wait_context(): what the current irq context allows (a hardirq handler SPIN, unless threaded). */
export function task_wait_context(hardirq: boolean, threaded: boolean, softirq: boolean, rawLockNesting: boolean): number {
  if (hardirq) return threaded ? ldWait(LD_WAIT.CONFIG, rawLockNesting) : LD_WAIT.SPIN;
  if (softirq) return ldWait(LD_WAIT.CONFIG, rawLockNesting);
  return ldWait(LD_WAIT_MAX, rawLockNesting);
}
