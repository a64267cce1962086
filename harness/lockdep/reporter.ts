/*
 * The validator's reports: what a report is about (ReportCtx, HeldView, LockdepFinding), whether
 * it prints at all (the first report switches debug_locks off for every thread; with
 * continueAfterReport, and for WARN-style findings, each distinct problem prints once), and when.
 *
 * When: never while the graph lock is held. lockdep.c releases the graph lock before it prints
 * (debug_locks_off_graph_unlock(), then print_circular_bug() and the others), since printing is
 * slow and may itself take locks. Here a report found under the lock is decided and formatted
 * there (the text reads the graph, which other threads may change once the lock is free) and
 * queued; graphUnlock() releases the lock, then prints the queue (LockdepEnv.print, then
 * LockdepEnv.onReport, report by report). A report found outside the lock prints at once.
 */

import type { FrameCache } from './frame_cache.js';
import type { Graph } from './graph.js';
import { heldLocksOf, type HeldLocks, type IrqTrace } from './held_locks.js';
import { C_REPORTS, E_TRACE, MAX_LOCK_DEPTH } from './layout.js';
import { capacityReport, type HeldView, type IrqTraceView, type PathEntry, type ReportCtx } from './report.js';
import type { SiteStrategy } from './site_strategy.js';
import { siteOf } from './stack.js';
import { CapacityError, hashString, tokenOf } from './stack_store.js';
import type { LockdepBugKind, LockdepEnv, LockdepFinding, LockdepTask } from './types.js';

/** One report as a check finds it. */
export interface ReportRequest {
  readonly kind: LockdepBugKind;
  /** The headline, as LockdepEnv.onReport gets it. */
  readonly title: string;
  /** Hash of the problem (its kind and classes): with continueAfterReport it prints once. */
  readonly problem: number;
  readonly ctx: ReportCtx;
  /** The report's text, formatted only when it prints. */
  readonly lines: () => string[];
  /** `classes`, `views` and `stacks` say what the report is about (LockdepFinding). */
  readonly classes: readonly number[];
  readonly views?: readonly HeldView[];
  readonly stacks?: readonly number[];
}

interface Pending {
  readonly lines: string[];
  readonly kind: LockdepBugKind;
  readonly title: string;
  readonly finding: LockdepFinding;
}

export class Reporter {
  readonly #g: Graph;
  readonly #env: LockdepEnv;
  readonly #sites: SiteStrategy;
  readonly #frames: FrameCache;
  readonly #continue: boolean;
  readonly #release: string;
  /* True between graphLock() and graphUnlock() on this thread. */
  #locked = false;
  readonly #pending: Pending[] = [];
  #reports = 0;

  constructor(g: Graph, env: LockdepEnv, sites: SiteStrategy, frames: FrameCache, continueAfterReport: boolean) {
    this.#g = g;
    this.#env = env;
    this.#sites = sites;
    this.#frames = frames;
    this.#continue = continueAfterReport;
    this.#release = env.kernelRelease ?? '0.1.0-torture #1';
  }

  /** Reports this thread printed. */
  get reports(): number {
    return this.#reports;
  }

  /** graph_lock(). */
  graphLock(): void {
    this.#g.lock();
    this.#locked = true;
  }

  /** graph_unlock(), then the reports found under the lock are printed. */
  graphUnlock(): void {
    this.#g.unlock();
    this.#locked = false;
    for (let p = this.#pending.shift(); p !== undefined; p = this.#pending.shift()) this.#print(p);
  }

  /** Entry i of h as a report shows it. */
  view(h: HeldLocks, i: number): HeldView {
    const site = h.site[i] ?? 0;
    // Arena sites are stored as the one `at:` frame; a stack token names the whole call chain.
    const text = site === 0 ? '0x0' : site > 0 ? (this.#g.stacks.getStack(site)[0] ?? '0x0') : siteOf(this.#g.stacks.getStack(site));
    return { cls: h.cls[i] ?? 0, read: h.read[i] ?? 0, addr: h.maps[i]?.addr ?? 0, site: text, siteId: site };
  }

  /** A report's context: the task, its first `depth` held locks, the current stack. */
  ctx(task: LockdepTask, h: HeldLocks, depth: number, frames: readonly string[]): ReportCtx {
    const held: HeldView[] = [];
    for (let i = 0; i < depth; i++) held.push(this.view(h, i));
    return { g: this.#g, release: this.#release, task: { pid: task.pid, comm: task.comm, cpu: task.cpu }, held, backtrace: frames, irqTrace: this.#irqTraceView(h.irq) };
  }

  /** The stack ids of the dependencies along a BFS path (the first recording of each). */
  edgeTraces(path: readonly PathEntry[]): number[] {
    const out: number[] = [];
    for (const p of path) if (p.edge >= 0) out.push(this.#g.edgeWord(p.edge, E_TRACE));
    return out;
  }

  /** Report once (debug_locks_off()), or once per distinct problem (continueAfterReport, WARN-style). */
  report(r: ReportRequest): void {
    const g = this.#g;
    // WARN_ON-style findings (suspicious RCU usage, lockdep_assert_held) leave debug_locks on, as
    // lockdep_rcu_suspicious() and WARN_ON() do; they print once per distinct problem.
    const warnOnly = r.kind === 'suspicious_rcu' || r.kind === 'assert_held';
    if (this.#continue || warnOnly) {
      if (!g.firstReport(hashString(r.kind, r.problem))) return;
    } else if (!g.debugLocksOff()) {
      return;
    }
    this.#reports++;
    g.bump(C_REPORTS);
    this.#emit({ lines: r.lines(), kind: r.kind, title: r.title, finding: this.#finding(r.ctx, r.classes, r.views ?? [], r.stacks ?? []) });
  }

  /**
   * A capacity limit hit under the graph lock (any other error is rethrown): the kernel's
   * `BUG: MAX_... too low!` report, once, and lockdep off. The caller's catch returns its fallback.
   */
  capacity(e: unknown): void {
    if (!(e instanceof CapacityError)) throw e;
    if (!this.#g.debugLocksOff()) return;
    const task = this.#env.current();
    const ctx = this.ctx(task, heldLocksOf(task), 0, this.#frames.capture());
    this.#reports++;
    this.#g.bump(C_REPORTS);
    this.#emit({ lines: capacityReport(ctx, e.message), kind: 'capacity', title: e.message, finding: this.#finding(ctx, [], [], []) });
  }

  /** More than MAX_LOCK_DEPTH locks held: report once, lockdep off. */
  depthOverflow(task: LockdepTask, h: HeldLocks): void {
    if (!this.#g.debugLocksOff()) return;
    const ctx = this.ctx(task, h, h.depth, this.#frames.capture());
    this.#reports++;
    const lines = ['BUG: MAX_LOCK_DEPTH too low!', `depth: ${h.depth}  max: ${MAX_LOCK_DEPTH}!`, 'turning off the locking correctness validator.', ...capacityReport(ctx, '').slice(2)];
    this.#emit({ lines, kind: 'capacity', title: 'BUG: MAX_LOCK_DEPTH too low!', finding: this.#finding(ctx, [], [], []) });
  }

  #emit(p: Pending): void {
    if (this.#locked) this.#pending.push(p);
    else this.#print(p);
  }

  #print(p: Pending): void {
    this.#env.print(p.lines);
    this.#env.onReport(p.kind, p.title, p.finding);
  }

  /** print_irqtrace_events() data: only where the task's irq events were stamped (with real sites). */
  #irqTraceView(t: IrqTrace): IrqTraceView | null {
    if (t.events === 0) return null;
    const site = (id: number): string => (id === 0 ? '' : siteOf(this.#g.stacks.getStack(id)));
    return {
      events: t.events,
      hardirqEnable: { event: t.hardirqEnableEvent, site: site(t.hardirqEnableSite) },
      hardirqDisable: { event: t.hardirqDisableEvent, site: site(t.hardirqDisableSite) },
      softirqEnable: { event: t.softirqEnableEvent, site: site(t.softirqEnableSite) },
      softirqDisable: { event: t.softirqDisableEvent, site: site(t.softirqDisableSite) },
    };
  }

  #finding(ctx: ReportCtx, classes: readonly number[], views: readonly HeldView[], stacks: readonly number[]): LockdepFinding {
    const names: string[] = [];
    for (const c of classes) {
      const n = this.#g.className(c);
      if (!names.includes(n)) names.push(n);
    }
    const tokens: number[] = [];
    const add = (t: number): void => {
      if (t >= 0 && !tokens.includes(t)) tokens.push(t);
    };
    add(this.#sites.currentToken());
    for (const v of views) add(tokenOf(v.siteId));
    for (const v of ctx.held) add(tokenOf(v.siteId));
    for (const id of stacks) add(tokenOf(id));
    return { classes: names, task: { pid: ctx.task.pid, comm: ctx.task.comm }, tokens };
  }
}
