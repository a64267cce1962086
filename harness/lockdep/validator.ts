/*
 * The per-thread half of lockdep: lock_acquire()/lock_release() on the current task's held-lock
 * stack, the chain-key cache in front of the shared chain hash, and, on a miss, validate_chain()
 * under the graph lock (check_deadlock, check_prevs_add with the strong-path BFS, irq usage checks).
 *
 * Guarantees:
 *  - Chain-cache hit path: one class lookup (thread-local Map), one chain-key mix, one probe of a
 *    thread-local table; no allocation, no closure, no stack capture, no lock.
 *  - A held-lock sequence is validated once per guest (the chain is inserted into the shared hash
 *    before validation, as lookup_chain_cache_add() does).
 *  - Stacks are captured only for new chains, new dependencies, new usage bits and reports.
 *  - First report switches debug_locks off for every thread (shared word), unless
 *    continueAfterReport, in which case each distinct problem (kind + classes) is reported once.
 * Deliberately not done: lock_stat (contended/acquired are accepted and ignored), wait-context
 * checks (`Invalid wait context`), held-lock-freed checks, cross-release.
 */

import type { LockClassKey, LockdepMap, LockRead } from '../kapi.js';
import { chainKey, chainKeyId, initialChainKey, LocalChains, mixChainKey, taskChainHi } from './chain_cache.js';
import { Graph } from './graph.js';
import { dependencyCount, readGraph, type LockdepGraphView } from './graph_view.js';
import { HeldLocks, sameLock, type HeldLock, type IrqTrace } from './held_locks.js';
import { C_MAX_DEPTH, C_REPORTS, C_VALIDATIONS, DEP_EN, DEP_ER, DEP_SN, DEP_SR, E_TRACE, H_DEBUG_LOCKS, MAX_LOCK_DEPTH, MAX_LOCKDEP_SUBCLASSES, type Layout } from './layout.js';
import {
  assertHeldReport,
  heldLocks,
  badIrqDependencyReport,
  capacityReport,
  circularReport,
  heldAtExitReport,
  irqInversionReport,
  nestLockNotTakenReport,
  recursiveReport,
  suspiciousRcuReport,
  unlockImbalanceReport,
  usageBugReport,
  type HeldView,
  type IrqFlagsView,
  type IrqTraceView,
  type PathEntry,
  type ReportCtx,
} from './report.js';
import { captureStack as defaultCapture, siteOf } from './stack.js';
import { CapacityError, externalStackId, hashString, tokenOf } from './stack_store.js';
import { procStatsText } from './stats.js';
import type { Lockdep, LockdepBugKind, LockdepEnv, LockdepFinding, LockdepTask } from './types.js';
import {
  exclusiveBit,
  exclusiveMask,
  LOCK_ENABLED_HARDIRQ,
  LOCK_ENABLED_HARDIRQ_READ,
  LOCK_ENABLED_SOFTIRQ,
  LOCK_ENABLED_SOFTIRQ_READ,
  LOCK_USED,
  LOCK_USED_IN_HARDIRQ,
  LOCK_USED_IN_HARDIRQ_READ,
  LOCK_USED_IN_SOFTIRQ,
  LOCK_USED_IN_SOFTIRQ_READ,
  LOCKF_ENABLED_IRQ_ALL,
  LOCKF_IRQ,
  LOCKF_USED_IN_IRQ_ALL,
  originalMask,
  stateName,
  USAGE_READ_MASK,
} from './usage.js';

/**
 * check_deadlock()'s verdict: `deadlock` (reported), `no_deadlock`, or `nested` (the same class is
 * held, but this instance is taken under its nest_lock: no new dependency).
 */
type DeadlockVerdict = 'deadlock' | 'no_deadlock' | 'nested';

/* The class cache a map carries (the kernel's lockdep_map::class_cache), keyed by validator. */
const CLASS_CACHE: unique symbol = Symbol('lockdep.class_cache');
type CachedMap = LockdepMap & { [CLASS_CACHE]?: { readonly v: object; readonly sub: number; readonly cls: number } };

function calcDep(prevRead: number, nextRead: number): number {
  const idx = (prevRead === 0 ? 1 : 0) + (nextRead !== 2 ? 2 : 0);
  return idx === 0 ? DEP_SR : idx === 1 ? DEP_ER : idx === 2 ? DEP_SN : DEP_EN;
}

export interface ValidatorOptions {
  readonly continueAfterReport: boolean;
}

export class Validator implements Lockdep {
  readonly g: Graph;
  readonly #env: LockdepEnv;
  readonly #continue: boolean;
  readonly #release: string;
  readonly #capture: () => string[];
  /* LockdepEnv.stackToken: exact per-acquisition sites and irq stamps without capturing stacks. */
  readonly #token: (() => number) | null;
  readonly #dbg: number;
  readonly #i32: Int32Array;
  readonly #classCache = new Map<LockClassKey, Int32Array>();
  readonly #local = new LocalChains();
  /* With stack tokens: the one-lock chains (class, read, trylock, irq context) already in the hash. */
  readonly #headSeen: Uint8Array;
  /* The record acquire() hands to #acquireCls (reused: the hit path allocates nothing). */
  readonly #next: HeldLock = { map: { key: { name: '', ordinal: 0, type: 'user', waitType: 0 }, addr: 0, name: '' }, cls: 0, read: 0, trylock: false, nest: null, hardirq: false, softirq: false, irqsOff: false, bhOff: false, checkUsage: true };
  #reports = 0;
  #validations = 0;
  #maxDepth = 0;
  /* The stack captured for the current slow path (lazily, at most once per acquire). */
  #frames: string[] | null = null;
  /* The irq flags of the current slow path, updated in place (a report takes a copy). */
  readonly #flags = { hardirq: false, softirq: false, hardirqsEnabled: true, softirqsEnabled: true };

  constructor(i32: Int32Array, lay: Layout, env: LockdepEnv, opts: ValidatorOptions) {
    this.g = new Graph(i32, lay);
    this.#env = env;
    this.#continue = opts.continueAfterReport;
    this.#release = env.kernelRelease ?? '0.1.0-torture #1';
    const cap = env.captureStack;
    this.#capture = cap !== undefined ? () => cap.call(env) : defaultCapture;
    const tok = env.stackToken;
    const stackOf = env.stackOf;
    this.#token = tok !== undefined && stackOf !== undefined ? () => tok.call(env) : null;
    if (stackOf !== undefined && this.#token !== null) this.g.stacks.external = (t) => stackOf.call(env, t);
    this.#i32 = i32;
    this.#dbg = lay.base + H_DEBUG_LOCKS;
    this.#headSeen = new Uint8Array(this.#token !== null ? lay.maxKeys * 24 : 0);
  }

  get enabled(): boolean {
    return this.g.debugLocks();
  }

  get reports(): number {
    return this.#reports;
  }

  get validations(): number {
    return this.#validations;
  }

  /* ---------------- hooks ---------------- */

  acquire(map: LockdepMap, subclass: number, trylock: boolean, read: LockRead, nestLock: LockdepMap | null): void {
    // Plain read: debug_locks only goes 1 -> 0, and a stale 1 costs at most one more validation.
    if (this.#i32[this.#dbg] === 0) return;
    // lockdep_map::class_cache: the class of this map's last subclass, for this validator.
    const cc = (map as CachedMap)[CLASS_CACHE];
    let cls: number;
    if (cc !== undefined && cc.v === this && cc.sub === subclass) cls = cc.cls;
    else {
      cls = this.#classOf(map.key, subclass);
      if (cls < 0) return;
      // A map the caller froze simply goes without (the Map look-up each time).
      if (Object.isExtensible(map)) (map as CachedMap)[CLASS_CACHE] = { v: this, sub: subclass, cls };
    }
    const task = this.#env.current();
    const h = this.#held(task);
    const irq = this.#env.irqState();
    const next = this.#next;
    next.map = map;
    next.cls = cls;
    next.read = read;
    next.trylock = trylock;
    next.nest = nestLock;
    next.hardirq = irq.hardirq;
    next.softirq = irq.softirq;
    next.irqsOff = irq.irqsDisabled || irq.hardirq;
    next.bhOff = irq.bhDisabled;
    next.checkUsage = true;
    this.#acquireCls(task, h, next);
  }

  release(map: LockdepMap): void {
    if (this.#i32[this.#dbg] === 0) return;
    const task = this.#env.current();
    const h = this.#held(task);
    let i = h.depth - 1;
    // Fast path: releasing the most recent lock.
    if (i >= 0 && h.maps[i] === map && h.refs[i] === 0) {
      h.depth = i;
      h.maps[i] = null;
      h.nest[i] = null;
      return;
    }
    while (i >= 0 && !this.#matches(h, i, map)) i--;
    if (i < 0) {
      this.#unlockImbalance(task, h, map);
      return;
    }
    if ((h.refs[i] ?? 0) > 1) {
      h.refs[i] = (h.refs[i] ?? 0) - 1;
      return;
    }
    this.#removeAt(task, h, i);
  }

  contended(_map: LockdepMap): void {
    /* lock_stat is not modelled. */
  }

  acquired(_map: LockdepMap): void {
    /* lock_stat is not modelled. */
  }

  /** lockdep_is_held(): true when the current context holds `map`, or lockdep is off. */
  isHeld(map: LockdepMap): boolean {
    if (!this.g.debugLocks()) return true;
    const h = this.#held(this.#env.current());
    for (let i = 0; i < h.depth; i++) if (this.#matches(h, i, map)) return true;
    return false;
  }

  assertHeld(map: LockdepMap): void {
    if (!this.g.debugLocks()) return;
    const task = this.#env.current();
    const h = this.#held(task);
    for (let i = 0; i < h.depth; i++) if (this.#matches(h, i, map)) return;
    const frames = this.#capture();
    const ctx = this.#ctx(task, h, h.depth, frames);
    this.#report('assert_held', `lockdep_assert_held(${map.name})`, hashString(`assert:${map.name}`), ctx, () => assertHeldReport(ctx, map.name, siteOf(frames)), []);
  }

  /** debug_show_held_locks(current): `N locks held by comm/pid:` and the list; nothing once lockdep is off. */
  showHeldLocks(): string[] {
    if (!this.g.debugLocks()) return [];
    const task = this.#env.current();
    const h = this.#held(task);
    return heldLocks(this.#ctx(task, h, h.depth, []));
  }

  rcuSuspicious(file: string, line: number, msg: string): void {
    if (!this.g.debugLocks()) return;
    const task = this.#env.current();
    const h = this.#held(task);
    const where = line > 0 ? `${file}:${line}` : file;
    const ctx = this.#ctx(task, h, h.depth, this.#capture());
    this.#report('suspicious_rcu', 'WARNING: suspicious RCU usage', hashString(`rcu:${where}:${msg}`), ctx, () => suspiciousRcuReport(ctx, where, msg), []);
  }

  taskExit(task: LockdepTask): void {
    const h = task.lockdep;
    if (!(h instanceof HeldLocks) || h.depth === 0) return;
    if (this.g.debugLocks()) {
      const ctx = this.#ctx(task, h, h.depth, this.#capture());
      this.#report('locks_held_at_exit', `WARNING: ${task.comm}/${task.pid} still has locks held!`, hashString(`exit:${task.comm}:${h.cls[0] ?? 0}`), ctx, () => heldAtExitReport(ctx), []);
    }
    h.depth = 0;
  }

  hardirqsOn(): void {
    if (!this.g.debugLocks()) return;
    const task = this.#env.current();
    const h = this.#held(task);
    const irq = this.#env.irqState();
    if (this.#token !== null && !h.irq.hardirqsEnabled) {
      // lockdep_hardirqs_on(): an OFF -> ON transition is stamped; a redundant call is not.
      h.irq.hardirqsEnabled = true;
      h.irq.hardirqEnableSite = this.#siteId();
      h.irq.hardirqEnableEvent = ++h.irq.events;
    }
    const softOn = !irq.bhDisabled && !irq.softirq;
    this.#setFlags(irq.hardirq, irq.softirq, true, softOn);
    this.#markHeld(task, h, LOCK_ENABLED_HARDIRQ);
    if (softOn) this.#markHeld(task, h, LOCK_ENABLED_SOFTIRQ);
  }

  softirqsOn(): void {
    if (!this.g.debugLocks()) return;
    const task = this.#env.current();
    const h = this.#held(task);
    const irq = this.#env.irqState();
    if (this.#token !== null && !h.irq.softirqsEnabled) {
      h.irq.softirqsEnabled = true;
      h.irq.softirqEnableSite = this.#siteId();
      h.irq.softirqEnableEvent = ++h.irq.events;
    }
    if (irq.irqsDisabled || irq.hardirq) return;
    this.#setFlags(irq.hardirq, irq.softirq, true, true);
    this.#markHeld(task, h, LOCK_ENABLED_SOFTIRQ);
  }

  hardirqsOff(): void {
    if (this.#token === null || !this.g.debugLocks()) return;
    const h = this.#held(this.#env.current());
    if (!h.irq.hardirqsEnabled) return;
    h.irq.hardirqsEnabled = false;
    h.irq.hardirqDisableSite = this.#siteId();
    h.irq.hardirqDisableEvent = ++h.irq.events;
  }

  softirqsOff(): void {
    if (this.#token === null || !this.g.debugLocks()) return;
    const h = this.#held(this.#env.current());
    if (!h.irq.softirqsEnabled) return;
    h.irq.softirqsEnabled = false;
    h.irq.softirqDisableSite = this.#siteId();
    h.irq.softirqDisableEvent = ++h.irq.events;
  }

  procStats(): string {
    return procStatsText(this.g);
  }

  readGraph(stacks = true): LockdepGraphView {
    return readGraph(this.g, stacks);
  }

  get dependencies(): number {
    return dependencyCount(this.g);
  }

  /* ---------------- internals: acquire ---------------- */

  #held(task: LockdepTask): HeldLocks {
    const h = task.lockdep;
    if (h instanceof HeldLocks) return h;
    const n = new HeldLocks();
    task.lockdep = n;
    return n;
  }

  #classOf(key: LockClassKey, subclass: number): number {
    let ids = this.#classCache.get(key);
    if (ids === undefined) {
      ids = new Int32Array(MAX_LOCKDEP_SUBCLASSES).fill(-1);
      this.#classCache.set(key, ids);
    }
    const sub = subclass & (MAX_LOCKDEP_SUBCLASSES - 1);
    const c = ids[sub] ?? -1;
    if (c >= 0) return c;
    return this.#registerClass(key, sub, ids);
  }

  #registerClass(key: LockClassKey, sub: number, ids: Int32Array): number {
    const g = this.g;
    let c = g.findClass(key.name, key.ordinal, sub);
    if (c < 0) {
      g.lock();
      try {
        c = g.registerClass(key.name, key.ordinal, sub, key.waitType, key.type);
      } catch (e) {
        this.#capacity(e);
        return -1;
      } finally {
        g.unlock();
      }
    }
    ids[sub] = c;
    return c;
  }

  /** __lock_acquire(): push `hl` on the task's held locks, mark its usage, validate a new chain. */
  #acquireCls(task: LockdepTask, h: HeldLocks, hl: HeldLock): void {
    const d = h.depth;
    if (d >= MAX_LOCK_DEPTH) {
      this.#depthOverflow(task, h);
      return;
    }
    const { cls, read, trylock, nest } = hl;
    // nest_lock: instances of one class taken under the nest lock merge into the top entry.
    if (nest !== null && d > 0 && h.cls[d - 1] === cls) {
      h.refs[d - 1] = Math.max(1, h.refs[d - 1] ?? 0) + 1;
      return;
    }
    const ctx = (hl.hardirq ? 2 : 0) | (hl.softirq ? 1 : 0);
    h.cls[d] = cls;
    h.read[d] = read;
    h.trylock[d] = trylock ? 1 : 0;
    h.refs[d] = 0;
    h.ctx[d] = ctx;
    h.irqsOff[d] = hl.irqsOff ? 1 : 0;
    // With stack tokens the site is this acquisition's own; otherwise the chain's (see README).
    h.site[d] = this.#token !== null ? externalStackId(this.#token()) : 0;
    h.maps[d] = hl.map;
    h.nest[d] = nest;
    this.#frames = null;

    if (hl.checkUsage) {
      // mark_usage(): the bits this acquisition sets; fast when the class already has them all.
      const softOn = !hl.irqsOff && !hl.bhOff && !hl.softirq;
      let need = 1 << LOCK_USED;
      if (!trylock) {
        if (hl.hardirq) need |= 1 << (read !== 0 ? LOCK_USED_IN_HARDIRQ_READ : LOCK_USED_IN_HARDIRQ);
        if (hl.softirq) need |= 1 << (read !== 0 ? LOCK_USED_IN_SOFTIRQ_READ : LOCK_USED_IN_SOFTIRQ);
      }
      if (!hl.irqsOff) {
        need |= 1 << (read !== 0 ? LOCK_ENABLED_HARDIRQ_READ : LOCK_ENABLED_HARDIRQ);
        if (softOn) need |= 1 << (read !== 0 ? LOCK_ENABLED_SOFTIRQ_READ : LOCK_ENABLED_SOFTIRQ);
      }
      if ((this.g.usageHint(cls) & need) !== need) {
        this.#setFlags(hl.hardirq, hl.softirq, !hl.irqsOff, !hl.bhOff && !hl.softirq);
        if (!this.#markUsage(task, h, d, need)) {
          this.#push(h, d);
          return;
        }
      }
    }
    if (nest !== null && !this.#isHeld(h, d, nest)) {
      const ctxr = this.#ctx(task, h, d, this.#stack());
      const self = this.#view(h, d);
      this.#report('nest_lock_not_taken', 'WARNING: Nested lock was not taken', hashString(`nest:${cls}`), ctxr, () => nestLockNotTakenReport(ctxr, self, nest.name), [cls], [self]);
      this.#push(h, d);
      return;
    }

    const head = d === 0 || h.ctx[d - 1] !== ctx;
    if (head) initialChainKey(ctx);
    else {
      chainKey.hi = h.keyHi[d] ?? 0;
      chainKey.lo = h.keyLo[d] ?? 0;
    }
    mixChainKey(chainKey.hi, chainKey.lo, chainKeyId(cls, read, trylock));
    const hi = chainKey.hi;
    const lo = chainKey.lo;
    h.keyHi[d + 1] = hi;
    h.keyLo[d + 1] = lo;

    // The chain cache. With stack tokens (one thread, sites free): the shared hash alone, and for a
    // lock taken with nothing held (a chain of one: validation only inserts it) a bit per class.
    if (this.#token !== null) {
      let head1 = -1;
      if (d === 0) {
        head1 = ((cls * 3 + read) * 2 + (trylock ? 1 : 0)) * 4 + ctx;
        if (this.#headSeen[head1] === 1) {
          this.#push(h, d);
          return;
        }
      }
      if (head1 >= 0) this.#headSeen[head1] = 1;
      const miss = this.g.chains.find(hi, lo);
      if (miss < 0) {
        this.#setFlags(hl.hardirq, hl.softirq, !hl.irqsOff, !hl.bhOff && !hl.softirq);
        this.#validate(task, h, d, head, trylock, hi, lo, ctx, miss);
      }
      this.#push(h, d);
      return;
    }
    // Otherwise the thread-local table of (chain, task) first: a hit also gives this task's own
    // acquisition site for the chain, captured when the task first took it.
    const thi = taskChainHi(hi, task.pid);
    const site1 = this.#local.lookup(thi, lo);
    if (site1 !== 0) {
      if (h.site[d] === 0) h.site[d] = site1 - 1;
      this.#push(h, d);
      return;
    }
    let site: number;
    const miss = this.g.chains.find(hi, lo);
    if (miss >= 0) site = this.#ownSite();
    else {
      // The [HC.:SC.:HE.:SE.] of reports validation may print: this acquisition's context.
      this.#setFlags(hl.hardirq, hl.softirq, !hl.irqsOff, !hl.bhOff && !hl.softirq);
      site = this.#validate(task, h, d, head, trylock, hi, lo, ctx, miss);
    }
    if (h.site[d] === 0) h.site[d] = site;
    this.#local.put(thi, lo, site);
    this.#push(h, d);
  }

  /** This acquisition's site, for a chain another task validated (stored under the graph lock). */
  #ownSite(): number {
    const g = this.g;
    g.lock();
    try {
      return this.#siteId();
    } catch (e) {
      this.#capacity(e);
      return 0;
    } finally {
      g.unlock();
    }
  }

  #setFlags(hardirq: boolean, softirq: boolean, hardirqsEnabled: boolean, softirqsEnabled: boolean): void {
    const f = this.#flags;
    f.hardirq = hardirq;
    f.softirq = softirq;
    f.hardirqsEnabled = hardirqsEnabled;
    f.softirqsEnabled = softirqsEnabled;
  }

  #push(h: HeldLocks, d: number): void {
    h.depth = d + 1;
    if (d + 1 > this.#maxDepth) {
      this.#maxDepth = d + 1;
      const w = this.g.b + C_MAX_DEPTH;
      if (Atomics.load(this.#i32, w) < d + 1) Atomics.store(this.#i32, w, d + 1);
    }
  }

  #stack(): string[] {
    if (this.#frames === null) this.#frames = this.#capture();
    return this.#frames;
  }

  /** Stack id of the current stack (save_trace()); under the graph lock. */
  #trace(): number {
    if (this.#token !== null) return externalStackId(this.#token());
    return this.g.stacks.putStack(this.#stack());
  }

  /** Stack id of the current `at:` site. */
  #siteId(): number {
    if (this.#token !== null) return externalStackId(this.#token());
    return this.g.stacks.putStack([siteOf(this.#stack())]);
  }

  /**
   * validate_chain() on a chain-cache miss (`miss`: the lock-free find()'s result). Returns the
   * site id recorded for the chain.
   */
  #validate(task: LockdepTask, h: HeldLocks, d: number, head: boolean, trylock: boolean, hi: number, lo: number, ctx: number, miss: number): number {
    const g = this.g;
    g.lock();
    try {
      if (!g.debugLocks()) return g.chains.find(hi, lo) >= 0 && this.#token === null ? this.#siteId() : 0;
      // Another thread may have validated the chain since the lock-free look-up: then insert() does nothing.
      if (!g.chains.insert(hi, lo, ctx, d + 1, miss)) return this.#token !== null ? 0 : this.#siteId();
      this.#validations++;
      g.bumpLocked(C_VALIDATIONS);
      // With stack tokens the entry's site is already its own; otherwise this acquisition's.
      const site = this.#token !== null ? 0 : this.#siteId();
      if (h.site[d] === 0) h.site[d] = site;
      // A trylock cannot deadlock and adds no dependency on the locks already held.
      if (!trylock) {
        // A nested instance (under its nest_lock) adds no dependency; a deadlock was reported.
        if (this.#checkDeadlock(task, h, d) === 'no_deadlock' && !head) this.#checkPrevsAdd(task, h, d);
      }
      return site;
    } catch (e) {
      this.#capacity(e);
      return 0;
    } finally {
      g.unlock();
    }
  }

  /** check_deadlock(): is the class of entry d already held (AA)? */
  #checkDeadlock(task: LockdepTask, h: HeldLocks, d: number): DeadlockVerdict {
    const cls = h.cls[d] ?? 0;
    const nread = h.read[d] ?? 0;
    const nestMap = h.nest[d] ?? null;
    let nest = false;
    for (let i = 0; i < d; i++) {
      if (nestMap !== null && sameLock(h.maps[i] ?? null, nestMap)) nest = true;
      if (h.cls[i] !== cls) continue;
      // read-after-read recursion of a recursive-read lock is allowed.
      if (nread === 2 && h.read[i] !== 0) continue;
      if (nest) return 'nested';
      const ctx = this.#ctx(task, h, d, this.#stack());
      const next = this.#view(h, d);
      const prev = this.#view(h, i);
      this.#report('recursive', 'WARNING: possible recursive locking detected', hashString(`AA:${cls}`), ctx, () => recursiveReport(ctx, next, prev), [cls], [next, prev]);
      return 'deadlock';
    }
    return 'no_deadlock';
  }

  /** check_prevs_add(): edges from the held locks down to (and including) the first non-trylock. */
  #checkPrevsAdd(task: LockdepTask, h: HeldLocks, d: number): void {
    let depth = d;
    for (;;) {
      const i = depth - 1;
      if (!this.#checkPrevAdd(task, h, i, d)) return;
      if (h.trylock[i] === 0) return;
      depth--;
      if (depth === 0) return;
      if (h.ctx[depth] !== h.ctx[depth - 1]) return;
    }
  }

  /** check_prev_add(): circular check, irq usage check, then add or merge prev -> next. */
  #checkPrevAdd(task: LockdepTask, h: HeldLocks, i: number, d: number): boolean {
    const g = this.g;
    const prev = h.cls[i] ?? 0;
    const next = h.cls[d] ?? 0;
    const prevRead = h.read[i] ?? 0;
    const nextRead = h.read[d] ?? 0;
    // check_noncircular(): does next already reach prev through a strong path? The class order
    // answers "no path at all" without a search; only a possible path gets the kernel's BFS.
    const qi = g.mayReach(next, prev) ? g.bfs(next, nextRead === 2, true, (c, onlyXr) => c === prev && (prevRead === 0 || !onlyXr)) : -1;
    if (qi >= 0) {
      const path = g.pathTo(qi);
      const ctx = this.#ctx(task, h, d, this.#stack());
      const nv = this.#view(h, d);
      const pv = this.#view(h, i);
      const current = this.#stack();
      this.#report('circular', 'WARNING: possible circular locking dependency detected', hashString(`circ:${Math.min(prev, next)}:${Math.max(prev, next)}`), ctx, () =>
        circularReport(ctx, nv, pv, path, current),
        [next, ...path.slice(1).map((p) => p.cls)], [nv, pv], this.#edgeTraces(path),
      );
      return false;
    }
    if (!this.#checkIrqUsage(task, h, i, d)) return false;
    const dep = calcDep(prevRead, nextRead);
    const e = g.findEdge(prev, next);
    if (e >= 0) {
      g.mergeEdge(e, dep, d - i);
      return true;
    }
    g.addEdge(prev, next, dep, this.#trace(), d - i, e);
    return true;
  }

  #usageMatch(mask: number): (c: number, flag: boolean) => boolean {
    const g = this.g;
    return (c, flag) => ((flag ? g.usage(c) & LOCKF_IRQ : g.usage(c)) & mask) !== 0;
  }

  /** check_irq_usage(): an irq-safe lock behind prev must not reach an irq-unsafe lock after next. */
  #checkIrqUsage(task: LockdepTask, h: HeldLocks, i: number, d: number): boolean {
    const g = this.g;
    const prev = h.cls[i] ?? 0;
    const next = h.cls[d] ?? 0;
    // No class is irq-safe anywhere: nothing behind prev can be (the BFS below would find 0).
    if ((g.usageAny() & LOCKF_USED_IN_IRQ_ALL) === 0) return true;
    let acc = 0;
    g.bfs(prev, (h.read[i] ?? 0) !== 0, false, (c, flag) => {
      acc |= flag ? g.usage(c) & LOCKF_IRQ : g.usage(c);
      return false;
    });
    acc &= LOCKF_USED_IN_IRQ_ALL;
    if (acc === 0) return true;
    const q1 = g.bfs(next, h.read[d] === 2, true, this.#usageMatch(exclusiveMask(acc)));
    if (q1 < 0) return true;
    const fwdPath = g.pathTo(q1);
    const t1 = fwdPath[fwdPath.length - 1]?.cls ?? next;
    const q0 = g.bfs(prev, (h.read[i] ?? 0) !== 0, false, this.#usageMatch(originalMask(g.usage(t1) & LOCKF_ENABLED_IRQ_ALL)));
    if (q0 < 0) return true;
    const backPath = g.pathTo(q0);
    const t0 = backPath[backPath.length - 1]?.cls ?? prev;
    const u0 = g.usage(t0) & LOCKF_USED_IN_IRQ_ALL;
    const u1 = g.usage(t1);
    let bit1 = -1;
    let bit2 = -1;
    for (let bit = 0; bit < LOCK_USED && bit1 < 0; bit++) {
      if (!(u0 & (1 << bit))) continue;
      const ex = exclusiveBit(bit);
      if (u1 & (1 << ex)) [bit1, bit2] = [bit, ex];
      else if (u1 & (1 << (ex | USAGE_READ_MASK))) [bit1, bit2] = [bit, ex | USAGE_READ_MASK];
    }
    if (bit1 < 0) return true;
    const ctx = this.#ctx(task, h, d, this.#stack());
    const pv = this.#view(h, i);
    const nv = this.#view(h, d);
    const flags: IrqFlagsView = { ...this.#flags };
    const b1 = bit1;
    const b2 = bit2;
    this.#report('bad_irq_dependency', `WARNING: ${stateName(b1)}-safe -> ${stateName(b1)}-unsafe lock order detected`, hashString(`irqdep:${t0}:${t1}:${b1}`), ctx, () =>
      badIrqDependencyReport(ctx, pv, nv, backPath, fwdPath, b1, b2, flags),
      [next, prev, t0, t1], [nv, pv], [g.usageTrace(t0, b1), g.usageTrace(t1, b2), ...this.#edgeTraces(backPath), ...this.#edgeTraces(fwdPath)],
    );
    return false;
  }

  /* ---------------- internals: usage ---------------- */

  #markUsage(task: LockdepTask, h: HeldLocks, idx: number, need: number): boolean {
    const g = this.g;
    const cls = h.cls[idx] ?? 0;
    for (let bit = 0; bit <= LOCK_USED; bit++) {
      if (!(need & (1 << bit)) || g.usage(cls) & (1 << bit)) continue;
      if (!this.#markLock(task, h, idx, bit)) return false;
    }
    return true;
  }

  /** mark_lock(): set one usage bit with its trace, then mark_lock_irq(). */
  #markLock(task: LockdepTask, h: HeldLocks, idx: number, bit: number): boolean {
    const g = this.g;
    const cls = h.cls[idx] ?? 0;
    g.lock();
    try {
      if (g.usage(cls) & (1 << bit)) return true;
      if (!g.debugLocks()) return false;
      g.setUsage(cls, bit, this.#trace());
      if (h.site[idx] === 0) h.site[idx] = this.#siteId();
      if (bit === LOCK_USED) return true;
      return this.#markLockIrq(task, h, idx, bit);
    } catch (e) {
      this.#capacity(e);
      return false;
    } finally {
      g.unlock();
    }
  }

  #markLockIrq(task: LockdepTask, h: HeldLocks, idx: number, bit: number): boolean {
    const g = this.g;
    const cls = h.cls[idx] ?? 0;
    const excl = exclusiveBit(bit);
    const read = bit & USAGE_READ_MASK;
    const dir = bit & 2;
    const u = g.usage(cls);
    let bad = -1;
    if (u & (1 << excl)) bad = excl;
    else if (!read && u & (1 << (excl | USAGE_READ_MASK))) bad = excl | USAGE_READ_MASK;
    if (bad >= 0) {
      const ctx = this.#ctx(task, h, idx, this.#stack());
      const self = this.#view(h, idx);
      const flags: IrqFlagsView = { ...this.#flags };
      const prevBit = bad;
      this.#report('inconsistent', 'WARNING: inconsistent lock state', hashString(`usage:${cls}:${prevBit}:${bit}`), ctx, () => usageBugReport(ctx, self, prevBit, bit, flags), [cls], [self], [g.usageTrace(cls, prevBit)]);
      return false;
    }
    const mask = (1 << excl) | (1 << (excl | USAGE_READ_MASK));
    const rd = h.read[idx] ?? 0;
    const forwards = dir === 0;
    const qi = forwards ? g.bfs(cls, rd === 2, true, this.#usageMatch(mask)) : g.bfs(cls, rd !== 0, false, this.#usageMatch(mask));
    if (qi < 0) return true;
    const path = g.pathTo(qi);
    const other = path[path.length - 1]?.cls ?? cls;
    const irqclass = g.usage(other) & (1 << excl) ? stateName(excl) : stateName(excl | USAGE_READ_MASK);
    const ctx = this.#ctx(task, h, idx, this.#stack());
    const self = this.#view(h, idx);
    this.#report('irq_inversion', 'WARNING: possible irq lock inversion dependency detected', hashString(`inv:${cls}:${other}:${bit}`), ctx, () =>
      irqInversionReport(ctx, self, path, forwards, irqclass),
      [cls, other], [self], [g.usageTrace(other, excl) || g.usageTrace(other, excl | USAGE_READ_MASK), ...this.#edgeTraces(path)],
    );
    return false;
  }

  /** mark_held_locks(): irqs (or softirqs) are being enabled with locks held. */
  #markHeld(task: LockdepTask, h: HeldLocks, base: number): void {
    this.#frames = null;
    for (let i = 0; i < h.depth; i++) {
      const bit = base + ((h.read[i] ?? 0) !== 0 ? 1 : 0);
      if (this.g.usage(h.cls[i] ?? 0) & (1 << bit)) continue;
      if (!this.#markLock(task, h, i, bit)) return;
    }
  }

  /* ---------------- internals: release ---------------- */

  #matches(h: HeldLocks, i: number, map: LockdepMap): boolean {
    const m = h.maps[i] ?? null;
    if (sameLock(m, map)) return true;
    // Merged nest_lock instances match by class (match_held_lock with references).
    return (h.refs[i] ?? 0) > 0 && m !== null && m.key === map.key;
  }

  #isHeld(h: HeldLocks, d: number, map: LockdepMap): boolean {
    for (let i = 0; i < d; i++) if (sameLock(h.maps[i] ?? null, map)) return true;
    return false;
  }

  /** Remove entry i and re-add the entries above it (reacquire_held_locks()), revalidating new chains. */
  #removeAt(task: LockdepTask, h: HeldLocks, i: number): void {
    // The nest_lock goes back on after the re-add, so that the entry does not merge again.
    const saved: { hl: HeldLock; nest: LockdepMap | null; refs: number; site: number }[] = [];
    for (let j = i + 1; j < h.depth; j++) {
      const map = h.maps[j];
      if (map === null || map === undefined) continue;
      const ctx = h.ctx[j] ?? 0;
      saved.push({
        hl: {
          map,
          cls: h.cls[j] ?? 0,
          read: h.read[j] ?? 0,
          trylock: h.trylock[j] === 1,
          nest: null,
          hardirq: (ctx & 2) !== 0,
          softirq: (ctx & 1) !== 0,
          irqsOff: h.irqsOff[j] === 1,
          bhOff: true,
          checkUsage: false,
        },
        nest: h.nest[j] ?? null,
        refs: h.refs[j] ?? 0,
        site: h.site[j] ?? 0,
      });
    }
    h.depth = i;
    for (let j = i; j < h.maps.length; j++) {
      h.maps[j] = null;
      h.nest[j] = null;
    }
    for (const s of saved) {
      const d = h.depth;
      this.#acquireCls(task, h, s.hl);
      if (h.depth === d + 1) {
        h.refs[d] = s.refs;
        h.nest[d] = s.nest;
        if (s.site !== 0) h.site[d] = s.site;
      }
    }
  }

  #unlockImbalance(task: LockdepTask, h: HeldLocks, map: LockdepMap): void {
    const frames = this.#capture();
    const ctx = this.#ctx(task, h, h.depth, frames);
    const site = siteOf(frames);
    this.#report('unlock_imbalance', 'WARNING: bad unlock balance detected!', hashString(`unlock:${map.name}:${site}`), ctx, () => unlockImbalanceReport(ctx, map.name, site), []);
  }

  /* ---------------- internals: reports ---------------- */

  #view(h: HeldLocks, i: number): HeldView {
    const site = h.site[i] ?? 0;
    // Arena sites are stored as the one `at:` frame; a stack token names the whole call chain.
    const text = site === 0 ? '0x0' : site > 0 ? (this.g.stacks.getStack(site)[0] ?? '0x0') : siteOf(this.g.stacks.getStack(site));
    return { cls: h.cls[i] ?? 0, read: h.read[i] ?? 0, addr: h.maps[i]?.addr ?? 0, site: text, siteId: site };
  }

  #ctx(task: LockdepTask, h: HeldLocks, depth: number, frames: readonly string[]): ReportCtx {
    const held: HeldView[] = [];
    for (let i = 0; i < depth; i++) held.push(this.#view(h, i));
    return { g: this.g, release: this.#release, task: { pid: task.pid, comm: task.comm, cpu: task.cpu }, held, backtrace: frames, irqTrace: this.#irqTraceView(h.irq) };
  }

  /** print_irqtrace_events() data: only where the task's irq events were stamped (with real sites). */
  #irqTraceView(t: IrqTrace): IrqTraceView | null {
    if (t.events === 0) return null;
    const site = (id: number): string => (id === 0 ? '' : siteOf(this.g.stacks.getStack(id)));
    return {
      events: t.events,
      hardirqEnable: { event: t.hardirqEnableEvent, site: site(t.hardirqEnableSite) },
      hardirqDisable: { event: t.hardirqDisableEvent, site: site(t.hardirqDisableSite) },
      softirqEnable: { event: t.softirqEnableEvent, site: site(t.softirqEnableSite) },
      softirqDisable: { event: t.softirqDisableEvent, site: site(t.softirqDisableSite) },
    };
  }

  /** The stack ids of the dependencies along a BFS path (the first recording of each). */
  #edgeTraces(path: readonly PathEntry[]): number[] {
    const out: number[] = [];
    for (const p of path) if (p.edge >= 0) out.push(this.g.edgeWord(p.edge, E_TRACE));
    return out;
  }

  /**
   * Print a report once: the first report switches debug_locks off for everyone
   * (debug_locks_off()); with continueAfterReport each distinct problem prints once instead.
   * `classes`, `views` and `stacks` say what the report is about (LockdepFinding).
   */
  #report(
    kind: LockdepBugKind,
    title: string,
    problem: number,
    ctx: ReportCtx,
    lines: () => string[],
    classes: readonly number[],
    views: readonly HeldView[] = [],
    stacks: readonly number[] = [],
  ): void {
    const g = this.g;
    // WARN_ON-style findings (suspicious RCU usage, lockdep_assert_held) leave debug_locks on, as
    // lockdep_rcu_suspicious() and WARN_ON() do; they print once per distinct problem.
    const warnOnly = kind === 'suspicious_rcu' || kind === 'assert_held';
    if (this.#continue || warnOnly) {
      if (!g.firstReport(hashString(kind, problem))) return;
    } else if (!g.debugLocksOff()) {
      return;
    }
    this.#reports++;
    g.bump(C_REPORTS);
    this.#env.print(lines());
    this.#env.onReport(kind, title, this.#finding(ctx, classes, views, stacks));
  }

  #finding(ctx: ReportCtx, classes: readonly number[], views: readonly HeldView[], stacks: readonly number[]): LockdepFinding {
    const names: string[] = [];
    for (const c of classes) {
      const n = this.g.className(c);
      if (!names.includes(n)) names.push(n);
    }
    const tokens: number[] = [];
    const add = (t: number): void => {
      if (t >= 0 && !tokens.includes(t)) tokens.push(t);
    };
    if (this.#token !== null) add(this.#token());
    for (const v of views) add(tokenOf(v.siteId));
    for (const v of ctx.held) add(tokenOf(v.siteId));
    for (const id of stacks) add(tokenOf(id));
    return { classes: names, task: { pid: ctx.task.pid, comm: ctx.task.comm }, tokens };
  }

  /**
   * A capacity limit hit under the graph lock (any other error is rethrown): the kernel's
   * `BUG: MAX_... too low!` report, once, and lockdep off. The caller's catch returns its fallback.
   */
  #capacity(e: unknown): void {
    if (!(e instanceof CapacityError)) throw e;
    if (!this.g.debugLocksOff()) return;
    const task = this.#env.current();
    const ctx = this.#ctx(task, this.#held(task), 0, this.#capture());
    this.#reports++;
    this.g.bump(C_REPORTS);
    this.#env.print(capacityReport(ctx, e.message));
    this.#env.onReport('capacity', e.message, this.#finding(ctx, [], [], []));
  }

  #depthOverflow(task: LockdepTask, h: HeldLocks): void {
    if (!this.g.debugLocksOff()) return;
    const ctx = this.#ctx(task, h, h.depth, this.#capture());
    this.#reports++;
    this.#env.print(['BUG: MAX_LOCK_DEPTH too low!', `depth: ${h.depth}  max: ${MAX_LOCK_DEPTH}!`, 'turning off the locking correctness validator.', ...capacityReport(ctx, '').slice(2)]);
    this.#env.onReport('capacity', 'BUG: MAX_LOCK_DEPTH too low!', this.#finding(ctx, [], [], []));
  }
}
