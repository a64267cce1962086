/*
 * The per-thread half of lockdep: lock_acquire()/lock_release() on the current task's held-lock
 * stack, the chain-key cache in front of the shared chain hash, and, on a miss, validate_chain()
 * under the graph lock (check_deadlock, check_prevs_add with the strong-path BFS, irq usage checks).
 *
 * Guarantees:
 *  - Hit paths (acquire_hit.ts, stack-capture sites): a repeat of a slot's last acquisition on
 *    the same chain is four compares and four stores; else one class lookup (the map's
 *    class_cache), one usage test, one chain-key mix, one probe of the (chain, task) table. No
 *    allocation, no closure per lock, no stack capture, no lock. Small methods apart from the slow
 *    ones, so that V8 inlines them into the lock's hook.
 *  - A held-lock sequence is validated once per guest (the chain is inserted into the shared hash
 *    before validation, as lookup_chain_cache_add() does).
 *  - Stacks are captured only for new chains, new dependencies, new usage bits and reports.
 *  - First report switches debug_locks off for every thread (shared word), unless
 *    continueAfterReport, in which case each distinct problem (kind + classes) is reported once.
 * Where sites and saved stacks come from (stack tokens or stack captures) is a SiteStrategy chosen
 * once at construction (site_strategy.ts); reports go through the Reporter (reporter.ts), which
 * prints a report found under the graph lock only after the lock is released, as lockdep.c does.
 * check_wait_context() runs at every acquisition when the init options ask for it (wait_context.ts).
 * Deliberately not done: lock_stat (contended/acquired are accepted and ignored), held-lock-freed
 * checks, cross-release.
 */

import type { LockdepMap, LockRead } from '../kapi.js';
import { CapturedSites } from './captured_sites.js';
import { acquireHit, memoBits, memoIrq, rememberHit } from './acquire_hit.js';
import { chainKey, chainKeyId, initialChainKey, mixChainKey, type LocalChains } from './chain_cache.js';
import { ClassLookup } from './class_lookup.js';
import { FrameCache } from './frame_cache.js';
import { freedLockReport, heldLockIn } from './freed_locks.js';
import { Graph } from './graph.js';
import { dependencyCount, readGraph, type LockdepGraphView } from './graph_view.js';
import { heldLocksOf, HeldLocks, sameLock, type HeldLock } from './held_locks.js';
import { IrqChecks } from './irq_checks.js';
import { C_MAX_DEPTH, C_VALIDATIONS, DEP_EN, DEP_ER, DEP_SN, DEP_SR, H_DEBUG_LOCKS, MAX_LOCK_DEPTH, type Layout } from './layout.js';
import {
  assertHeldReport,
  heldLocks,
  circularReport,
  heldAtExitReport,
  nestLockNotTakenReport,
  recursiveReport,
  suspiciousRcuReport,
  unlockImbalanceReport,
} from './report.js';
import { Reporter } from './reporter.js';
import type { ChainAttempt, ChainValidator, SiteStrategy } from './site_strategy.js';
import { TokenSites } from './token_sites.js';
import { siteOf } from './stack.js';
import { hashString } from './stack_store.js';
import { procStatsText } from './stats.js';
import type { Lockdep, LockdepEnv, LockdepTask } from './types.js';
import { waitContextInvalid } from './wait_context.js';
import { IRQ_BH_OFF, IRQ_HARDIRQ, IRQ_IRQS_OFF, IRQ_SOFTIRQ, IRQ_THREADED, irqBitsOf, LOCK_ENABLED_HARDIRQ, LOCK_ENABLED_SOFTIRQ, LOCK_USED, usageBitsOf } from './usage.js';

/**
 * check_deadlock()'s verdict: `deadlock` (reported), `no_deadlock`, or `nested` (the same class is
 * held, but this instance is taken under its nest_lock: no new dependency).
 */
type DeadlockVerdict = 'deadlock' | 'no_deadlock' | 'nested';

function calcDep(prevRead: number, nextRead: number): number {
  const idx = (prevRead === 0 ? 1 : 0) + (nextRead !== 2 ? 2 : 0);
  return idx === 0 ? DEP_SR : idx === 1 ? DEP_ER : idx === 2 ? DEP_SN : DEP_EN;
}

/** Stack tokens when the env gives both stackToken and stackOf, else stack captures. */
export function pickSites(env: LockdepEnv, g: Graph, lay: Layout, frames: FrameCache): SiteStrategy {
  const tok = env.stackToken;
  const stackOf = env.stackOf;
  if (tok !== undefined && stackOf !== undefined) {
    g.stacks.external = (t) => stackOf.call(env, t);
    return new TokenSites(env, g, lay, () => tok.call(env));
  }
  return new CapturedSites(g, frames);
}

export interface ValidatorOptions {
  readonly continueAfterReport: boolean;
  /** check_wait_context() at every acquisition, and CONFIG_PROVE_RAW_LOCK_NESTING (wait_context.ts). */
  readonly waitContext?: boolean;
  readonly rawLockNesting?: boolean;
}

export class Validator implements Lockdep {
  readonly g: Graph;
  readonly #env: LockdepEnv;
  readonly #frames: FrameCache;
  /* Where sites and saved stacks come from, chosen once (site_strategy.ts). */
  readonly #sites: SiteStrategy;
  /* The thread-local (chain, task) table the fast path probes (stack-capture sites only), else null. */
  readonly #local: LocalChains | null;
  /* The irq state of an acquisition as IRQ_* bits (LockdepEnv.irqBits, else from irqState()). */
  readonly #irqBits: () => number;
  readonly #reporter: Reporter;
  /* What the site strategy calls back on a chain-cache miss. */
  readonly #chainValidator: ChainValidator = { validate: (c) => this.#validate(c), ownSite: () => this.#ownSite() };
  readonly #dbg: number;
  readonly #i32: Int32Array;
  readonly #classes: ClassLookup;
  readonly #irq: IrqChecks;
  /* The record acquire() hands to #acquireCls (reused: the hit path allocates nothing). */
  readonly #next: HeldLock = { map: { key: { name: '', ordinal: 0, type: 'user', waitType: 0 }, addr: 0, name: '' }, cls: 0, read: 0, trylock: false, nest: null, hardirq: false, hardirqThreaded: false, softirq: false, irqsOff: false, bhOff: false, checkUsage: true };
  /* The record #acquireCls hands the site strategy's chain cache (reused likewise). */
  readonly #attempt: ChainAttempt;
  #validations = 0;
  #maxDepth = 0;
  /* check_wait_context() on (guests, self-test) or off (traces, user API). */
  readonly #waitContext: boolean;
  /* The irq flags of the current slow path, updated in place (a report takes a copy). */
  readonly #flags = { hardirq: false, softirq: false, hardirqsEnabled: true, softirqsEnabled: true };
  /* The last #acquireCls() reached the chain cache with usage marked (acquire() reads it). */
  #chained = false;
  /* lock_sync() in progress: the acquisition is hlock->sync (scenario line `sync(`). */
  #sync = false;

  constructor(i32: Int32Array, lay: Layout, env: LockdepEnv, opts: ValidatorOptions) {
    this.g = new Graph(i32, lay);
    this.g.rawLockNesting = opts.rawLockNesting === true;
    this.#waitContext = opts.waitContext === true;
    this.#env = env;
    this.#frames = new FrameCache(env);
    this.#sites = pickSites(env, this.g, lay, this.#frames);
    this.#local = this.#sites instanceof CapturedSites ? this.#sites.local : null;
    const bits = env.irqBits;
    this.#irqBits = bits !== undefined ? bits.bind(env) : () => irqBitsOf(env.irqState());
    this.#reporter = new Reporter(this.g, env, this.#sites, this.#frames, opts.continueAfterReport);
    this.#classes = new ClassLookup(this.g, this.#reporter);
    this.#irq = new IrqChecks(this.g, this.#reporter, this.#frames, this.#flags);
    this.#i32 = i32;
    this.#dbg = lay.base + H_DEBUG_LOCKS;
    this.#attempt = { task: { pid: 0, comm: '', cpu: 0 }, h: new HeldLocks(), d: 0, hl: this.#next, head: true, hi: 0, lo: 0, ctx: 0, miss: -1 };
  }

  get enabled(): boolean {
    // A plain load, as acquire()'s: every rcu_dereference() asks twice (debug_lockdep_rcu_enabled()),
    // V8 does not inline Atomics.load, and debug_locks only goes 1 -> 0 (a stale 1 is one more check).
    return this.#i32[this.#dbg] !== 0;
  }

  get reports(): number {
    return this.#reporter.reports;
  }

  get validations(): number {
    return this.#validations;
  }

  /* ---------------- hooks ---------------- */

  acquire(map: LockdepMap, subclass: number, trylock: boolean, read: LockRead, nestLock: LockdepMap | null): void {
    this.acquireFor(this.#env.current(), map, subclass, trylock, read, nestLock);
  }

  /** acquire() by a caller that already has env.current() (the CPU's hook: one look-up for both). */
  acquireFor(task: LockdepTask, map: LockdepMap, subclass: number, trylock: boolean, read: LockRead, nestLock: LockdepMap | null): void {
    this.acquireIrq(task, this.#irqBits(), map, subclass, trylock, read, nestLock);
  }

  /**
   * acquire() by a caller that also has the irq state as IRQ_* bits (usage.ts), the env's
   * irqBits() read from the same fields as current(): the CPU's hook reads them once for both.
   */
  acquireIrq(task: LockdepTask, irq: number, map: LockdepMap, subclass: number, trylock: boolean, read: LockRead, nestLock: LockdepMap | null): void {
    // Plain read: debug_locks only goes 1 -> 0, and a stale 1 costs at most one more validation.
    if (this.#i32[this.#dbg] === 0) return;
    const h = heldLocksOf(task);
    const d = h.depth;
    // memoBits(subclass, read, trylock, irq), written out: every bytecode here counts against
    // V8's budget for inlining this method and the hook into the lock (see the fast path, README).
    const memo = (subclass << 8) | (irq << 3) | (trylock ? 4 : 0) | read;
    // The repeat memo's hit (acquire_hit.ts rememberHit()), written out here: this method stays
    // small so that V8 inlines it into the lock's hook (a call costs about what the hit does).
    // Only stack-capture validators ever remember; a nest_lock acquisition may merge instead, and
    // lock_sync() never comes here (sync() enters at #acquireMiss()). At depth 0 the chain below
    // is empty (keyHi/keyLo[0] are never written), so the chain-key compare is skipped there.
    if (h.last[d] === map && h.lastBits[d] === memo && nestLock === null && (d === 0 || (h.preHi[d] === h.keyHi[d] && h.preLo[d] === h.keyLo[d]))) {
      // maps[d] is already `map` and nest[d] already null: the memo's fill wrote both, and every
      // other write of either is a fill (which clears the memo) or #removeAt()'s clearing (which
      // clears it too); a release only lowers the depth. So no pointer store (and no write
      // barrier) here: the push is the depth and the count.
      h.refs[d] = 0;
      h.depth = d + 1;
      if (d >= this.#maxDepth) this.#push(h, d);
      return;
    }
    this.#acquireMiss(task, h, map, subclass, read, trylock, nestLock, memo);
  }

  /** lock_acquire() past the repeat memo: the chain-cache probe (acquireHit()), else __lock_acquire(). */
  #acquireMiss(task: LockdepTask, h: HeldLocks, map: LockdepMap, subclass: number, read: number, trylock: boolean, nestLock: LockdepMap | null, memo: number): void {
    const irq = memoIrq(memo);
    const cls = this.#classes.classOf(map, subclass);
    if (cls < 0) return;
    const d = h.depth;
    const local = this.#local;
    const fast = local !== null && nestLock === null && !this.#sync;
    if (fast && acquireHit(this.g, local, h, task.pid, map, cls, read, trylock, irq, this.g.rawLockNesting)) {
      rememberHit(h, d, map, memo);
      this.#push(h, d);
      return;
    }
    this.#chained = false;
    this.#acquireSlow(task, h, map, cls, read, trylock, irq, nestLock);
    if (fast && this.#chained) rememberHit(h, d, map, memo);
  }

  /** lock_acquire() past the fast path: fill the reused record and run __lock_acquire(). */
  #acquireSlow(task: LockdepTask, h: HeldLocks, map: LockdepMap, cls: number, read: number, trylock: boolean, irq: number, nestLock: LockdepMap | null): void {
    const next = this.#next;
    next.map = map;
    next.cls = cls;
    next.read = read;
    next.trylock = trylock;
    next.nest = nestLock;
    next.hardirq = (irq & IRQ_HARDIRQ) !== 0;
    next.hardirqThreaded = (irq & IRQ_THREADED) !== 0;
    next.softirq = (irq & IRQ_SOFTIRQ) !== 0;
    next.irqsOff = (irq & (IRQ_IRQS_OFF | IRQ_HARDIRQ)) !== 0;
    next.bhOff = (irq & IRQ_BH_OFF) !== 0;
    next.checkUsage = !this.#sync;
    this.#acquireCls(task, h, next);
  }

  /**
   * lock_sync(): __lock_acquire() with hlock->sync: validated (check_deadlock, the dependencies
   * from the held locks), no ENABLED usage marked (no critical section exists), never pushed.
   */
  sync(map: LockdepMap): void {
    if (this.#i32[this.#dbg] === 0) return;
    const task = this.#env.current();
    const h = heldLocksOf(task);
    const d = h.depth;
    this.#sync = true;
    try {
      // Past the repeat memo, whose hit has no #sync test (a sync is never pushed or remembered).
      this.#acquireMiss(task, h, map, 0, 0, false, null, memoBits(0, 0, false, this.#irqBits()));
    } finally {
      this.#sync = false;
    }
    if (h.depth > d) {
      h.depth = d;
      h.maps[d] = null;
      h.nest[d] = null;
    }
  }

  release(map: LockdepMap): void {
    this.releaseFor(this.#env.current(), map);
  }

  /** release() by a caller that already has env.current(). */
  releaseFor(task: LockdepTask, map: LockdepMap): void {
    if (this.#i32[this.#dbg] === 0) return;
    const h = heldLocksOf(task);
    const top = h.depth - 1;
    // Fast path: releasing the most recent lock (small, to be inlined into the lock's hook). The
    // slot's map and nest_lock stay (every reader stops at depth; the next fill of the slot
    // writes both): two pointer stores with their write barriers less per release.
    if (top >= 0 && h.maps[top] === map && h.refs[top] === 0) {
      h.depth = top;
      return;
    }
    this.#releaseSlow(task, h, map);
  }

  /** lock_release() of a lock that is not the most recent one, or merged, or not held. */
  #releaseSlow(task: LockdepTask, h: HeldLocks, map: LockdepMap): void {
    let i = h.depth - 1;
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
    // A plain load, as acquire()'s: might_sleep()'s rcu_sleep_check() asks this of three RCU maps
    // at every sleeping lock with PROVE_RCU, and V8 does not inline Atomics.load.
    if (this.#i32[this.#dbg] === 0) return true;
    const h = heldLocksOf(this.#env.current());
    for (let i = 0; i < h.depth; i++) if (this.#matches(h, i, map)) return true;
    return false;
  }

  assertHeld(map: LockdepMap): void {
    if (!this.g.debugLocks()) return;
    const task = this.#env.current();
    const h = heldLocksOf(task);
    for (let i = 0; i < h.depth; i++) if (this.#matches(h, i, map)) return;
    const frames = this.#frames.capture();
    const ctx = this.#reporter.ctx(task, h, h.depth, frames);
    this.#reporter.report({ kind: 'assert_held', title: `lockdep_assert_held(${map.name})`, problem: hashString(`assert:${map.name}`), ctx, lines: () => assertHeldReport(ctx, map.name, siteOf(frames)), classes: [] });
  }

  /** debug_show_held_locks(current): `N locks held by comm/pid:` and the list; nothing once lockdep is off. */
  showHeldLocks(): string[] {
    if (!this.g.debugLocks()) return [];
    const task = this.#env.current();
    const h = heldLocksOf(task);
    return heldLocks(this.#reporter.ctx(task, h, h.depth, []));
  }

  rcuSuspicious(file: string, line: number, msg: string): void {
    if (!this.g.debugLocks()) return;
    const task = this.#env.current();
    const h = heldLocksOf(task);
    const where = line > 0 ? `${file}:${line}` : file;
    const ctx = this.#reporter.ctx(task, h, h.depth, this.#frames.capture());
    this.#reporter.report({ kind: 'suspicious_rcu', title: 'WARNING: suspicious RCU usage', problem: hashString(`rcu:${where}:${msg}`), ctx, lines: () => suspiciousRcuReport(ctx, where, msg), classes: [] });
  }

  /** debug_locks_off() for DEBUG_LOCKS_WARN_ON() (kernels/locking/debug_locks.ts): true for the caller that switched lockdep off. */
  debugLocksOff(): boolean {
    return this.g.debugLocksOff();
  }

  /** debug_check_no_locks_freed(): freed_locks.ts. */
  checkNoLocksFreed(from: number, len: number): void {
    if (!this.g.debugLocks()) return;
    const task = this.#env.current();
    const h = heldLocksOf(task);
    const i = heldLockIn(h, from, len);
    if (i < 0) return;
    const ctx = this.#reporter.ctx(task, h, h.depth, this.#frames.capture());
    const lock = this.#reporter.view(h, i);
    this.#reporter.report({ kind: 'held_lock_freed', title: 'WARNING: held lock freed!', problem: hashString(`freed:${lock.cls}`), ctx, lines: () => freedLockReport(ctx, lock, from, len), classes: [lock.cls], views: [lock] });
  }

  taskExit(task: LockdepTask): void {
    const h = task.lockdep;
    if (!(h instanceof HeldLocks) || h.depth === 0) return;
    if (this.g.debugLocks()) {
      const ctx = this.#reporter.ctx(task, h, h.depth, this.#frames.capture());
      this.#reporter.report({ kind: 'locks_held_at_exit', title: `WARNING: ${task.comm}/${task.pid} still has locks held!`, problem: hashString(`exit:${task.comm}:${h.cls[0] ?? 0}`), ctx, lines: () => heldAtExitReport(ctx), classes: [] });
    }
    h.depth = 0;
  }

  hardirqsOn(): void {
    if (!this.g.debugLocks()) return;
    const task = this.#env.current();
    const h = heldLocksOf(task);
    const irq = this.#env.irqState();
    this.#sites.irqsOn(h.irq, true);
    const softOn = !irq.bhDisabled && !irq.softirq;
    this.#setFlags(irq.hardirq, irq.softirq, true, softOn);
    this.#markHeld(task, h, LOCK_ENABLED_HARDIRQ);
    if (softOn) this.#markHeld(task, h, LOCK_ENABLED_SOFTIRQ);
  }

  softirqsOn(): void {
    if (!this.g.debugLocks()) return;
    const task = this.#env.current();
    const h = heldLocksOf(task);
    const irq = this.#env.irqState();
    this.#sites.irqsOn(h.irq, false);
    if (irq.irqsDisabled || irq.hardirq) return;
    this.#setFlags(irq.hardirq, irq.softirq, true, true);
    this.#markHeld(task, h, LOCK_ENABLED_SOFTIRQ);
  }

  hardirqsOff(): void {
    this.#sites.irqsOff(true);
  }

  softirqsOff(): void {
    this.#sites.irqsOff(false);
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

  /** __lock_acquire(): push `hl` on the task's held locks, mark its usage, validate a new chain. */
  #acquireCls(task: LockdepTask, h: HeldLocks, hl: HeldLock): void {
    const d = h.depth;
    if (d >= MAX_LOCK_DEPTH) {
      this.#reporter.depthOverflow(task, h);
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
    h.site[d] = this.#sites.acquisitionSite();
    h.maps[d] = hl.map;
    h.nest[d] = nest;
    h.last[d] = null;
    this.#frames.reset();
    if (this.#waitContext && waitContextInvalid(this.#reporter, this.#frames, this.g.rawLockNesting, task, h, d, hl)) {
      this.#push(h, d);
      return;
    }

    if (hl.checkUsage) {
      // mark_usage(): fast when the class already has every bit this acquisition sets.
      const need = usageBitsOf(hl);
      if ((this.g.usageHint(cls) & need) !== need) {
        this.#setFlags(hl.hardirq, hl.softirq, !hl.irqsOff, !hl.bhOff && !hl.softirq);
        if (!this.#markUsage(task, h, d, need)) {
          this.#push(h, d);
          return;
        }
      }
    }
    if (nest !== null && !this.#isHeld(h, d, nest)) {
      const ctxr = this.#reporter.ctx(task, h, d, this.#frames.frames());
      const self = this.#reporter.view(h, d);
      this.#reporter.report({ kind: 'nest_lock_not_taken', title: 'WARNING: Nested lock was not taken', problem: hashString(`nest:${cls}`), ctx: ctxr, lines: () => nestLockNotTakenReport(ctxr, self, nest.name), classes: [cls], views: [self] });
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

    // The chain cache in front of the shared hash (its kind follows the site strategy), which
    // validates a chain it misses through #validate.
    const c = this.#attempt;
    c.task = task;
    c.h = h;
    c.d = d;
    c.hl = hl;
    c.head = head;
    c.hi = hi;
    c.lo = lo;
    c.ctx = ctx;
    this.#sites.lookupChain(c, this.#chainValidator);
    // Reached the chain cache with its usage marked: acquire() may remember it (repeatHit()).
    this.#chained = hl.checkUsage;
    this.#push(h, d);
  }

  /** This acquisition's site, for a chain another task validated (stored under the graph lock). */
  #ownSite(): number {
    this.#sites.prefetch();
    this.#reporter.graphLock();
    try {
      return this.#sites.siteId();
    } catch (e) {
      this.#reporter.capacity(e);
      return 0;
    } finally {
      this.#reporter.graphUnlock();
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

  /**
   * validate_chain() on a chain-cache miss (`miss`: the lock-free find()'s result). Returns the
   * site id recorded for the chain.
   */
  #validate(c: ChainAttempt): number {
    const g = this.g;
    const { task, h, d, hl } = c;
    // The [HC.:SC.:HE.:SE.] of reports validation may print: this acquisition's context.
    this.#setFlags(hl.hardirq, hl.softirq, !hl.irqsOff, !hl.bhOff && !hl.softirq);
    this.#sites.prefetch();
    this.#reporter.graphLock();
    try {
      if (!g.debugLocks()) return g.chains.find(c.hi, c.lo) >= 0 ? this.#sites.chainSite() : 0;
      // Another thread may have validated the chain since the lock-free look-up: then insert() does nothing.
      if (!g.chains.insert(c.hi, c.lo, c.ctx, d + 1, c.miss)) return this.#sites.chainSite();
      this.#validations++;
      g.bumpLocked(C_VALIDATIONS);
      // With stack tokens the entry's site is already its own (chainSite() is 0); otherwise this acquisition's.
      const site = this.#sites.chainSite();
      if (h.site[d] === 0) h.site[d] = site;
      // A trylock cannot deadlock and adds no dependency on the locks already held.
      if (!hl.trylock) {
        // A nested instance (under its nest_lock) adds no dependency; a deadlock was reported.
        if (this.#checkDeadlock(task, h, d) === 'no_deadlock' && !c.head) this.#checkPrevsAdd(task, h, d);
      }
      return site;
    } catch (e) {
      this.#reporter.capacity(e);
      return 0;
    } finally {
      this.#reporter.graphUnlock();
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
      const ctx = this.#reporter.ctx(task, h, d, this.#frames.frames());
      const next = this.#reporter.view(h, d);
      const prev = this.#reporter.view(h, i);
      this.#reporter.report({ kind: 'recursive', title: 'WARNING: possible recursive locking detected', problem: hashString(`AA:${cls}`), ctx, lines: () => recursiveReport(ctx, next, prev), classes: [cls], views: [next, prev] });
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
      const ctx = this.#reporter.ctx(task, h, d, this.#frames.frames());
      const nv = { ...this.#reporter.view(h, d), sync: this.#sync };
      const pv = this.#reporter.view(h, i);
      const current = this.#frames.frames();
      this.#reporter.report({
        kind: 'circular',
        title: 'WARNING: possible circular locking dependency detected',
        problem: hashString(`circ:${Math.min(prev, next)}:${Math.max(prev, next)}`),
        ctx,
        lines: () => circularReport(ctx, nv, pv, path, current),
        classes: [next, ...path.slice(1).map((p) => p.cls)],
        views: [nv, pv],
        stacks: this.#reporter.edgeTraces(path),
      });
      return false;
    }
    if (!this.#irq.checkIrqUsage(task, h, i, d)) return false;
    const dep = calcDep(prevRead, nextRead);
    const e = g.findEdge(prev, next);
    if (e >= 0) {
      g.mergeEdge(e, dep, d - i);
      return true;
    }
    g.addEdge(prev, next, dep, this.#sites.trace(), d - i, e);
    return true;
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
    this.#sites.prefetch();
    this.#reporter.graphLock();
    try {
      if (g.usage(cls) & (1 << bit)) return true;
      if (!g.debugLocks()) return false;
      g.setUsage(cls, bit, this.#sites.trace());
      if (h.site[idx] === 0) h.site[idx] = this.#sites.siteId();
      if (bit === LOCK_USED) return true;
      return this.#irq.markLockIrq(task, h, idx, bit);
    } catch (e) {
      this.#reporter.capacity(e);
      return false;
    } finally {
      this.#reporter.graphUnlock();
    }
  }

  /** mark_held_locks(): irqs (or softirqs) are being enabled with locks held. */
  #markHeld(task: LockdepTask, h: HeldLocks, base: number): void {
    this.#frames.reset();
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
    // Re-added with its nest_lock, as reacquire_held_locks() does: an instance nested under it is
    // not recursive locking then either, and may merge into an entry of its class (its count kept).
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
          nest: h.nest[j] ?? null,
          hardirq: (ctx & 2) !== 0,
          // A re-add reports no wait context its first acquisition did not.
          hardirqThreaded: true,
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
      // The repeat memo's hit takes maps[j] as still filled (acquireIrq()).
      h.last[j] = null;
    }
    for (const s of saved) {
      const d = h.depth;
      this.#acquireCls(task, h, s.hl);
      if (h.depth === d + 1) {
        h.refs[d] = s.refs;
        h.nest[d] = s.nest;
        if (s.site !== 0) h.site[d] = s.site;
      } else if (d > 0 && s.refs > 1) {
        h.refs[d - 1] = (h.refs[d - 1] ?? 0) + s.refs - 1;
      }
    }
  }

  #unlockImbalance(task: LockdepTask, h: HeldLocks, map: LockdepMap): void {
    const frames = this.#frames.capture();
    const ctx = this.#reporter.ctx(task, h, h.depth, frames);
    const site = siteOf(frames);
    this.#reporter.report({ kind: 'unlock_imbalance', title: 'WARNING: bad unlock balance detected!', problem: hashString(`unlock:${map.name}:${site}`), ctx, lines: () => unlockImbalanceReport(ctx, map.name, site), classes: [] });
  }
}
