/*
 * RCU-lockdep (CONFIG_PROVE_RCU, include/linux/rcupdate.h and kernel/rcu/update.c): the lockdep
 * maps of the three readers (rcu_read_lock, rcu_read_lock_bh, rcu_read_lock_sched), the
 * `*_held()` questions, rcu_dereference_check() and its family, RCU_LOCKDEP_WARN() and
 * rcu_sleep_check(), and lockdep_assert_in_rcu_read_lock() and its family.
 *
 * PROVE_RCU is def_bool PROVE_LOCKING in the kernel's Kconfig (the derived row in
 * harness/config/known_options.ts), so the checks are on exactly when the lockdep validator is
 * installed. As kapi.lockdep, the choice is made once per CPU, at rcu_init() (rcu_lockdep_init()):
 * the exported checks are `let` bindings that hold either the checking function or a do-nothing
 * one, so a call site never tests a flag and, with PROVE_RCU off, rcu_dereference(p) is an
 * identity function V8 inlines. A condition is passed as a function (declared once at module
 * scope by the caller, never a closure per call) and is only called with PROVE_RCU on.
 *
 * A failed check is lockdep_rcu_suspicious()'s `WARNING: suspicious RCU usage` (printed by the
 * validator, harness/lockdep/report.ts), naming `file:line` as the kernel's __FILE__/__LINE__:
 * for the macros (rcu_dereference*(), RCU_LOCKDEP_WARN() at its caller) the line of their caller,
 * for rcu_sleep_check()'s static inline check the line in this file. Once per site, as the
 * kernel's per-site `__warned`; the site is found from a stack capture, taken only when a check
 * fails.
 *
 * Not modelled: rcu_is_watching() (no code runs in the model's idle), Tasks RCU maps. SRCU's maps
 * are each srcu_struct's own (srcu_tree_struct.ts, srcu_tiny.ts).
 */

import { kapi, LD_WAIT, type LockdepMap, type WaitType } from '../../harness/kapi.js';

/** A lockdep condition of rcu_dereference_check() (`lockdep_is_held(&lock)`, `current == writer`). */
export type RcuLockdepCond = () => boolean;

let rcu_lock_map: LockdepMap | null = null;
let rcu_bh_lock_map: LockdepMap | null = null;
let rcu_sched_lock_map: LockdepMap | null = null;
/** CONFIG_PREEMPT_RCU: rcu_read_lock() does not disable preemption and may sleep-switch. */
let preempt_rcu = false;

function map(name: string, inner: WaitType): LockdepMap {
  // struct lockdep_map rcu_*_lock_map: one static class each, taken as a recursive read; outer wait
  // type FREE (LOCK_TYPE_PROPS.rcu), inner as update.c's maps: CONFIG for rcu and rcu_bh, SPIN for sched.
  const key = kapi.lockClass(name, 'rcu', inner);
  return { key, addr: kapi.shmAlloc(`${name}_map`, 1).base * 4, name };
}

function must(m: LockdepMap | null): LockdepMap {
  if (m === null) throw new Error('RCU-lockdep used before rcu_init()');
  return m;
}

/* ---------------- the *_held() questions (update.c, CONFIG_DEBUG_LOCK_ALLOC) ---------------- */

/** debug_lockdep_rcu_enabled(): lockdep validating and not switched off by a report. */
export function debug_lockdep_rcu_enabled(): boolean {
  return kapi.lockdep.enabled;
}

/**
 * rcu_lockdep_current_cpu_online(): RCU is not watching an offline CPU. The CPU's own online bit,
 * read with a plain load (the kernel's READ_ONCE()s of its rcu_node's masks): its writer is
 * set_cpu_online() on the CPU's home executor while it holds the CPU's run token, which the reader
 * holds now (harness/shm/layout.ts thisCpuOnlineIn() names the hand-off that orders them).
 */
function rcu_lockdep_current_cpu_online(): boolean {
  return kapi.thisCpuOnline();
}

/** preemptible(): preempt_count() == 0 and irqs on; without PREEMPT_RCU rcu_read_lock() counts. */
function preemptible(): boolean {
  if (!preempt_rcu && kapi.rcuReadDepth() > 0) return false;
  return kapi.preemptible();
}

/** rcu_read_lock_held_common(): true or false when it can decide alone, null otherwise. */
function rcu_read_lock_held_common(): boolean | null {
  if (!debug_lockdep_rcu_enabled()) return true;
  if (!rcu_lockdep_current_cpu_online()) return false;
  return null;
}

/**
 * rcu_read_lock_held(): in an rcu_read_lock() section (true when lockdep cannot tell). The
 * task's nesting answers yes without a walk of its held locks: rcu_read_lock() acquires
 * rcu_lock_map exactly when the nesting leaves 0 (tree.ts), so a nesting above 0 is the map held;
 * a no is lockdep's own answer.
 */
export function rcu_read_lock_held(): boolean {
  const c = rcu_read_lock_held_common();
  if (c !== null) return c;
  return kapi.rcuReadDepth() > 0 || kapi.lockdep.isHeld(must(rcu_lock_map));
}

/** rcu_read_lock_bh_held(): bottom halves or irqs disabled, or in a softirq. */
export function rcu_read_lock_bh_held(): boolean {
  return rcu_read_lock_held_common() ?? (kapi.inInterrupt() || kapi.irqsDisabled());
}

/** rcu_read_lock_sched_held(): in rcu_read_lock_sched(), or not preemptible. */
export function rcu_read_lock_sched_held(): boolean {
  return rcu_read_lock_held_common() ?? (!preemptible() || kapi.lockdep.isHeld(must(rcu_sched_lock_map)));
}

/** rcu_read_lock_any_held(): any of the three readers, or not preemptible. */
export function rcu_read_lock_any_held(): boolean {
  const c = rcu_read_lock_held_common();
  if (c !== null) return c;
  const ld = kapi.lockdep;
  return ld.isHeld(must(rcu_lock_map)) || ld.isHeld(must(rcu_bh_lock_map)) || ld.isHeld(must(rcu_sched_lock_map)) || !preemptible();
}

/** lock_is_held(&map) for the RCU maps (RCU_LOCKDEP_WARN() tests debug_lockdep_rcu_enabled() first). */
function lock_is_held(m: LockdepMap | null): boolean {
  return m !== null && kapi.lockdep.isHeld(m);
}

/** Any of the three maps held: synchronize_rcu()'s RCU_LOCKDEP_WARN() condition. */
export function rcu_lock_maps_held(): boolean {
  return lock_is_held(rcu_lock_map) || lock_is_held(rcu_bh_lock_map) || lock_is_held(rcu_sched_lock_map);
}

/* ---------------- the other readers ---------------- */

/** rcu_read_lock_bh(): local_bh_disable() and rcu_bh_lock_map. */
export function rcu_read_lock_bh(): void {
  kapi.localBhDisable();
  kapi.lockdep.acquire(must(rcu_bh_lock_map), 0, false, 2, null);
}

/** rcu_read_unlock_bh(). */
export function rcu_read_unlock_bh(): void {
  kapi.lockdep.release(must(rcu_bh_lock_map));
  kapi.localBhEnable();
}

/** rcu_read_lock_sched(): preempt_disable() and rcu_sched_lock_map. */
export function rcu_read_lock_sched(): void {
  kapi.preemptDisable();
  kapi.lockdep.acquire(must(rcu_sched_lock_map), 0, false, 2, null);
}

/** rcu_read_unlock_sched(). */
export function rcu_read_unlock_sched(): void {
  kapi.lockdep.release(must(rcu_sched_lock_map));
  kapi.preemptEnable();
}

/* ---------------- RCU_LOCKDEP_WARN() ---------------- */

/**
 * Frames that are the kernel's macros (expanded at their caller, so never a `file:line`) or this
 * machinery; the site is the first frame that is not one of them.
 */
const MACRO_FRAMES: ReadonlySet<string> = new Set([
  'RCU_LOCKDEP_WARN',
  'rcu_lockdep_warn_at',
  'lockdep_rcu_site',
  'rcu_dereference_check_prove',
  'rcu_dereference_check_slow',
  'rcu_dereference_bh_check_prove',
  'rcu_dereference_sched_check_prove',
  'rcu_dereference_protected_prove',
  'rcu_dereference_prove',
  'rcu_dereference_bh_prove',
  'rcu_dereference_sched_prove',
  'lockdep_assert_rcu_warn',
  'lockdep_assert_in_rcu_read_lock_prove',
  'lockdep_assert_in_rcu_read_lock_bh_prove',
  'lockdep_assert_in_rcu_read_lock_sched_prove',
  'lockdep_assert_in_rcu_reader_prove',
]);
const FRAME = /^(\S+) \((.*):(\d+)\)$/;

/** The `fn (file:line)` frame that names the check, and its file and line. */
function lockdep_rcu_site(): { frame: string; file: string; line: number } {
  for (const f of kapi.stackTraceSave()) {
    const m = FRAME.exec(f);
    if (m === null || MACRO_FRAMES.has(m[1] ?? '')) continue;
    return { frame: f, file: m[2] ?? 'unknown', line: Number(m[3] ?? 0) };
  }
  return { frame: 'unknown', file: 'unknown', line: 0 };
}

/** Sites that have warned (the kernel's per-site `__warned`), on this CPU; the validator dedups guest-wide. */
const warned = new Set<string>();

function rcu_lockdep_warn_at(s: string): void {
  const site = lockdep_rcu_site();
  if (warned.has(site.frame)) return;
  warned.add(site.frame);
  kapi.lockdep.rcuSuspicious(site.file, site.line, s);
}

/**
 * RCU_LOCKDEP_WARN(c, s): `WARNING: suspicious RCU usage` naming the caller's line, once per
 * site, when c holds and lockdep-RCU is enabled (tested before and after c, as the kernel's).
 */
export function RCU_LOCKDEP_WARN(c: boolean, s: string): void {
  if (c && debug_lockdep_rcu_enabled()) rcu_lockdep_warn_at(s);
}

/* ---------------- rcu_dereference*() ---------------- */

const DEREF_MSG = 'suspicious rcu_dereference_check() usage';
const PROTECTED_MSG = 'suspicious rcu_dereference_protected() usage';

// The kernel writes `(c) || rcu_read_lock_held()`; both sides are side-effect free, so the cheap
// reader-depth test goes first (a torture reader's condition walks the held locks). Every test
// here is side-effect free too, so the common case is answered first without the enabled test:
// inside rcu_read_lock() on an online CPU rcu_read_lock_held() is true whether lockdep is on
// (the nesting is the map held) or off (true when lockdep cannot tell), so nothing can warn.
// The reader's test alone here, the rest apart (rcu_dereference_check_slow()): V8 inlines this
// small function into the reader, so a dereference inside rcu_read_lock() costs two loads.
function rcu_dereference_check_prove<T>(p: T, c: RcuLockdepCond | null): T {
  if (kapi.rcuReadDepth() > 0 && rcu_lockdep_current_cpu_online()) return p;
  rcu_dereference_check_slow(c);
  return p;
}

function rcu_dereference_check_slow(c: RcuLockdepCond | null): void {
  if (debug_lockdep_rcu_enabled() && !(rcu_read_lock_held() || (c !== null && c()))) rcu_lockdep_warn_at(DEREF_MSG);
}

function rcu_dereference_bh_check_prove<T>(p: T, c: RcuLockdepCond | null): T {
  if (debug_lockdep_rcu_enabled() && !(rcu_read_lock_bh_held() || (c !== null && c()))) rcu_lockdep_warn_at(DEREF_MSG);
  return p;
}

function rcu_dereference_sched_check_prove<T>(p: T, c: RcuLockdepCond | null): T {
  if (debug_lockdep_rcu_enabled() && !(rcu_read_lock_sched_held() || (c !== null && c()))) rcu_lockdep_warn_at(DEREF_MSG);
  return p;
}

function rcu_dereference_protected_prove<T>(p: T, c: RcuLockdepCond): T {
  if (debug_lockdep_rcu_enabled() && !c()) rcu_lockdep_warn_at(PROTECTED_MSG);
  return p;
}

// rcu_dereference_check_prove(p, null) written out: every bytecode of a wrapper counts against
// V8's inlining budget for the reader that calls it (harness/cpu/README.md, third pass).
function rcu_dereference_prove<T>(p: T): T {
  if (kapi.rcuReadDepth() > 0 && rcu_lockdep_current_cpu_online()) return p;
  rcu_dereference_check_slow(null);
  return p;
}

function rcu_dereference_bh_prove<T>(p: T): T {
  return rcu_dereference_bh_check_prove(p, null);
}

function rcu_dereference_sched_prove<T>(p: T): T {
  return rcu_dereference_sched_check_prove(p, null);
}

/** Without PROVE_RCU the macros are the pointer itself. */
function rcu_dereference_check_nop<T>(p: T, _c: RcuLockdepCond | null): T {
  return p;
}

function rcu_dereference_nop<T>(p: T): T {
  return p;
}

/**
 * rcu_dereference_check(p, c): `p` (already READ_ONCE()'d from the __rcu pointer) may be used
 * when c() holds or inside rcu_read_lock(); otherwise suspicious RCU usage.
 */
export let rcu_dereference_check: <T>(p: T, c: RcuLockdepCond | null) => T = rcu_dereference_check_nop;
/** rcu_dereference_bh_check(p, c): c() or rcu_read_lock_bh_held(). */
export let rcu_dereference_bh_check: <T>(p: T, c: RcuLockdepCond | null) => T = rcu_dereference_check_nop;
/** rcu_dereference_sched_check(p, c): c() or rcu_read_lock_sched_held(). */
export let rcu_dereference_sched_check: <T>(p: T, c: RcuLockdepCond | null) => T = rcu_dereference_check_nop;
/** rcu_dereference_protected(p, c): the update side, c() alone (`lockdep_is_held(&lock)`). */
export let rcu_dereference_protected: <T>(p: T, c: RcuLockdepCond) => T = rcu_dereference_check_nop;
/** rcu_dereference(p): rcu_dereference_check(p, 0). */
export let rcu_dereference: <T>(p: T) => T = rcu_dereference_nop;
/** rcu_dereference_bh(p). */
export let rcu_dereference_bh: <T>(p: T) => T = rcu_dereference_nop;
/** rcu_dereference_sched(p). */
export let rcu_dereference_sched: <T>(p: T) => T = rcu_dereference_nop;

/* ---------------- rcu_sleep_check() and the lockdep_assert_in_rcu_*() family ---------------- */

/** rcu_preempt_sleep_check(): a static inline in rcupdate.h, so its own line is the site. */
function rcu_preempt_sleep_check(): void {
  if (!preempt_rcu) RCU_LOCKDEP_WARN(lock_is_held(rcu_lock_map), 'Illegal context switch in RCU read-side critical section');
}

/** rcu_sleep_check() with PROVE_RCU: the three readers that may not sleep. */
function rcu_sleep_check_prove(): void {
  if (!debug_lockdep_rcu_enabled()) return;
  rcu_preempt_sleep_check();
  RCU_LOCKDEP_WARN(lock_is_held(rcu_bh_lock_map), 'Illegal context switch in RCU-bh read-side critical section');
  RCU_LOCKDEP_WARN(lock_is_held(rcu_sched_lock_map), 'Illegal context switch in RCU-sched read-side critical section');
}

function nop(): void {}

/**
 * rcu_sleep_check(): a voluntary context switch or a might_sleep() inside a reader that may not
 * sleep. The scheduler calls it (SchedHooks.sleepCheck) from might_sleep() (__might_resched())
 * and from a voluntary schedule() (schedule_debug()); cond_resched() calls it too
 * (rcu_torture_ops' cond_resched_qs), as its __might_resched() does. Nothing without PROVE_RCU.
 */
export let rcu_sleep_check: () => void = nop;

/** Sites of lockdep_assert_in_rcu_*() that have warned (WARN_ON_ONCE's `__already_done`). */
const assert_warned = new Set<string>();

/** WARN_ON_ONCE(lockdep_assert_rcu_helper(c)) at the caller (the assertions are macros). */
function lockdep_assert_rcu_warn(c: boolean): void {
  if (!debug_lockdep_rcu_enabled() || !(c || !rcu_lockdep_current_cpu_online())) return;
  const site = lockdep_rcu_site();
  if (assert_warned.has(site.frame)) return;
  assert_warned.add(site.frame);
  kapi.warn(site.frame);
}

function lockdep_assert_in_rcu_read_lock_prove(): void {
  lockdep_assert_rcu_warn(!lock_is_held(rcu_lock_map));
}

function lockdep_assert_in_rcu_read_lock_bh_prove(): void {
  lockdep_assert_rcu_warn(!lock_is_held(rcu_bh_lock_map));
}

function lockdep_assert_in_rcu_read_lock_sched_prove(): void {
  lockdep_assert_rcu_warn(!lock_is_held(rcu_sched_lock_map));
}

function lockdep_assert_in_rcu_reader_prove(): void {
  lockdep_assert_rcu_warn(!lock_is_held(rcu_lock_map) && !lock_is_held(rcu_bh_lock_map) && !lock_is_held(rcu_sched_lock_map) && preemptible());
}

/** lockdep_assert_in_rcu_read_lock(): WARN (once per site) outside rcu_read_lock(). */
export let lockdep_assert_in_rcu_read_lock: () => void = nop;
/** lockdep_assert_in_rcu_read_lock_bh(): an actual rcu_read_lock_bh(), not just local_bh_disable(). */
export let lockdep_assert_in_rcu_read_lock_bh: () => void = nop;
/** lockdep_assert_in_rcu_read_lock_sched(): an actual rcu_read_lock_sched(). */
export let lockdep_assert_in_rcu_read_lock_sched: () => void = nop;
/** lockdep_assert_in_rcu_reader(): any reader, or preemption/irqs/bh disabled. */
export let lockdep_assert_in_rcu_reader: () => void = nop;

/* ---------------- boot ---------------- */

/**
 * rcu_init()'s part: the three maps, and with PROVE_RCU (PROVE_LOCKING) the checking forms of
 * the checks and the scheduler's rcu_sleep_check(). Returns rcu_lock_map for rcu_read_lock().
 */
export function rcu_lockdep_init(): LockdepMap {
  rcu_lock_map = map('rcu_read_lock', LD_WAIT.CONFIG);
  rcu_bh_lock_map = map('rcu_read_lock_bh', LD_WAIT.CONFIG);
  rcu_sched_lock_map = map('rcu_read_lock_sched', LD_WAIT.SPIN);
  preempt_rcu = kapi.config.preempt;
  if (kapi.lockdep.enabled) {
    rcu_dereference_check = rcu_dereference_check_prove;
    rcu_dereference_bh_check = rcu_dereference_bh_check_prove;
    rcu_dereference_sched_check = rcu_dereference_sched_check_prove;
    rcu_dereference_protected = rcu_dereference_protected_prove;
    rcu_dereference = rcu_dereference_prove;
    rcu_dereference_bh = rcu_dereference_bh_prove;
    rcu_dereference_sched = rcu_dereference_sched_prove;
    lockdep_assert_in_rcu_read_lock = lockdep_assert_in_rcu_read_lock_prove;
    lockdep_assert_in_rcu_read_lock_bh = lockdep_assert_in_rcu_read_lock_bh_prove;
    lockdep_assert_in_rcu_read_lock_sched = lockdep_assert_in_rcu_read_lock_sched_prove;
    lockdep_assert_in_rcu_reader = lockdep_assert_in_rcu_reader_prove;
    rcu_sleep_check = rcu_sleep_check_prove;
    kapi.registerSchedHooks({ sleepCheck: rcu_sleep_check_prove });
  }
  return rcu_lock_map;
}
