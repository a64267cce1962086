/*
 * The irq-usage checks of validation: check_irq_usage() (an irq-safe lock behind a new
 * dependency's prev must not reach an irq-unsafe lock after its next) and mark_lock_irq() (a new
 * usage bit against the class's exclusive bits and, through the graph, its neighbours'). Both are
 * called under the graph lock; a finding goes to the reporter, which prints it after the lock is
 * released.
 */

import type { FrameCache } from './frame_cache.js';
import type { Graph } from './graph.js';
import type { HeldLocks } from './held_locks.js';
import { badIrqDependencyReport, irqInversionReport, usageBugReport, type IrqFlagsView } from './report.js';
import type { Reporter } from './reporter.js';
import { hashString } from './stack_store.js';
import type { LockdepTask } from './types.js';
import { exclusiveBit, exclusiveMask, LOCK_USED, LOCKF_ENABLED_IRQ_ALL, LOCKF_IRQ, LOCKF_USED_IN_IRQ_ALL, originalMask, stateName, USAGE_READ_MASK } from './usage.js';

export class IrqChecks {
  readonly #g: Graph;
  readonly #reporter: Reporter;
  readonly #frames: FrameCache;
  /* The validator's irq flags of the current slow path (updated in place; a report takes a copy). */
  readonly #flags: IrqFlagsView;

  constructor(g: Graph, reporter: Reporter, frames: FrameCache, flags: IrqFlagsView) {
    this.#g = g;
    this.#reporter = reporter;
    this.#frames = frames;
    this.#flags = flags;
  }

  #usageMatch(mask: number): (c: number, flag: boolean) => boolean {
    const g = this.#g;
    return (c, flag) => ((flag ? g.usage(c) & LOCKF_IRQ : g.usage(c)) & mask) !== 0;
  }

  /** check_irq_usage(): an irq-safe lock behind prev must not reach an irq-unsafe lock after next. */
  checkIrqUsage(task: LockdepTask, h: HeldLocks, i: number, d: number): boolean {
    const g = this.#g;
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
    const ctx = this.#reporter.ctx(task, h, d, this.#frames.frames());
    const pv = this.#reporter.view(h, i);
    const nv = this.#reporter.view(h, d);
    const flags: IrqFlagsView = { ...this.#flags };
    const b1 = bit1;
    const b2 = bit2;
    this.#reporter.report({
      kind: 'bad_irq_dependency',
      title: `WARNING: ${stateName(b1)}-safe -> ${stateName(b1)}-unsafe lock order detected`,
      problem: hashString(`irqdep:${t0}:${t1}:${b1}`),
      ctx,
      lines: () => badIrqDependencyReport(ctx, pv, nv, backPath, fwdPath, b1, b2, flags),
      classes: [next, prev, t0, t1],
      views: [nv, pv],
      stacks: [g.usageTrace(t0, b1), g.usageTrace(t1, b2), ...this.#reporter.edgeTraces(backPath), ...this.#reporter.edgeTraces(fwdPath)],
    });
    return false;
  }

  /** mark_lock_irq(): the new usage bit against its exclusive bits, directly and through the graph. */
  markLockIrq(task: LockdepTask, h: HeldLocks, idx: number, bit: number): boolean {
    const g = this.#g;
    const cls = h.cls[idx] ?? 0;
    const excl = exclusiveBit(bit);
    const read = bit & USAGE_READ_MASK;
    const dir = bit & 2;
    const u = g.usage(cls);
    let bad = -1;
    if (u & (1 << excl)) bad = excl;
    else if (!read && u & (1 << (excl | USAGE_READ_MASK))) bad = excl | USAGE_READ_MASK;
    if (bad >= 0) {
      const ctx = this.#reporter.ctx(task, h, idx, this.#frames.frames());
      const self = this.#reporter.view(h, idx);
      const flags: IrqFlagsView = { ...this.#flags };
      const prevBit = bad;
      this.#reporter.report({ kind: 'inconsistent', title: 'WARNING: inconsistent lock state', problem: hashString(`usage:${cls}:${prevBit}:${bit}`), ctx, lines: () => usageBugReport(ctx, self, prevBit, bit, flags), classes: [cls], views: [self], stacks: [g.usageTrace(cls, prevBit)] });
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
    const ctx = this.#reporter.ctx(task, h, idx, this.#frames.frames());
    const self = this.#reporter.view(h, idx);
    this.#reporter.report({
      kind: 'irq_inversion',
      title: 'WARNING: possible irq lock inversion dependency detected',
      problem: hashString(`inv:${cls}:${other}:${bit}`),
      ctx,
      lines: () => irqInversionReport(ctx, self, path, forwards, irqclass),
      classes: [cls, other],
      views: [self],
      stacks: [g.usageTrace(other, excl) || g.usageTrace(other, excl | USAGE_READ_MASK), ...this.#reporter.edgeTraces(path)],
    });
    return false;
  }
}
