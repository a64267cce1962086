/*
 * include/asm-generic/bug.h and include/linux/lockdep.h's assertions, for kernel code:
 * WARN_ON(), WARN_ON_ONCE(), WARN(), WARN_ONCE(), lockdep_assert_held(),
 * lockdep_assert_irqs_disabled(), lockdep_assert_irqs_enabled().
 *
 * A failed assertion prints kernel/panic.c __warn()'s block through kapi.warn():
 *
 *   ------------[ cut here ]------------
 *   <message, for WARN()/WARN_ONCE()>
 *   WARNING: CPU: 1 PID: 42 at rcu_barrier_entrain (kernels/rcu/tree.ts:912)
 *   Modules linked in:
 *   CPU: 1 PID: 42 Comm: rcu_torture_bar Not tainted ...
 *   Call Trace:
 *    ...
 *   ---[ end trace 0000000000000000 ]---
 *
 * and fails the guest; recheck counts the WARNING line. `at` names the function that carries the
 * assertion and its file:line, as the kernel's `%pS` of the WARN's address (this project prints
 * symbols as `fn (file:line)`). The _ONCE forms warn once per call site, as the kernel's
 * per-site `__already_done` flag. As in the kernel, the lockdep_assert_*() forms check nothing
 * without lockdep (CONFIG_PROVE_LOCKING=n), and lockdep_assert_held() nothing once lockdep has
 * turned itself off after a report (debug_locks == 0).
 *
 * Cost: a passing assertion is one test; the stack is captured only when one fails.
 */

import { kapi, type LockdepMap } from '../harness/kapi.js';

/** Frames of this file, skipped when naming the asserting function. */
const BUG_FRAME = / \(kernels\/bug\.ts:\d+\)$/;

/** Call sites that have already warned (the _ONCE forms). */
const already_done = new Set<string>();

/** The asserting function's frame: `fn (file:line)`. */
function warn_site(): string {
  const frames = kapi.stackTraceSave();
  return frames.find((f) => !BUG_FRAME.test(f)) ?? frames[0] ?? 'unknown';
}

function __warn_at(once: boolean, msg: string | undefined): void {
  const site = warn_site();
  if (once) {
    if (already_done.has(site)) return;
    already_done.add(site);
  }
  kapi.warn(site, msg);
}

/** WARN_ON(condition): warn if true; returns the condition. */
export function WARN_ON(condition: boolean): boolean {
  if (condition) __warn_at(false, undefined);
  return condition;
}

/** WARN_ON_ONCE(condition): as WARN_ON(), at most once per call site. */
export function WARN_ON_ONCE(condition: boolean): boolean {
  if (condition) __warn_at(true, undefined);
  return condition;
}

/** WARN(condition, msg): warn with a message line. */
export function WARN(condition: boolean, msg: string): boolean {
  if (condition) __warn_at(false, msg);
  return condition;
}

/** WARN_ONCE(condition, msg). */
export function WARN_ONCE(condition: boolean, msg: string): boolean {
  if (condition) __warn_at(true, msg);
  return condition;
}

/** lockdep_assert_held(l): `WARN_ON(debug_locks && !lockdep_is_held(l))`. */
export function lockdep_assert_held(map: LockdepMap): void {
  const ld = kapi.lockdep;
  if (ld.enabled && !ld.isHeld(map)) __warn_at(false, undefined);
}

/**
 * lockdep_assert_irqs_disabled(): with lockdep, irqs must be off here. Hardirq context counts as
 * irqs off (the kernel enters it with irqs disabled; this machine's tick does not set the flag).
 */
export function lockdep_assert_irqs_disabled(): void {
  if (kapi.lockdep.enabled && !kapi.irqsDisabled() && !kapi.inHardirq()) __warn_at(true, undefined);
}

/** lockdep_assert_irqs_enabled(): with lockdep, irqs must be on here. */
export function lockdep_assert_irqs_enabled(): void {
  if (kapi.lockdep.enabled && (kapi.irqsDisabled() || kapi.inHardirq())) __warn_at(true, undefined);
}
