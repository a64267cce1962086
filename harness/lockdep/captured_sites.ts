/*
 * Sites from stack captures (site_strategy.ts): guests and user programs. A capture costs about
 * 2 µs, so it is not taken per acquisition: each (chain, task) pair records the site of the task's
 * acquisition the first time the thread's chain table meets the pair, and a held lock's `at:` is
 * that site (README "Sites"). Saved stacks and sites go to the shared arena under the graph lock.
 * No irq event stamps: their sites would need a capture at every irq enable/disable.
 */

import { LocalChains, taskChainHi } from './chain_cache.js';
import type { FrameCache } from './frame_cache.js';
import type { Graph } from './graph.js';
import type { IrqTrace } from './held_locks.js';
import type { ChainAttempt, ChainValidator, SiteStrategy } from './site_strategy.js';
import { siteOf } from './stack.js';

export class CapturedSites implements SiteStrategy {
  readonly #g: Graph;
  readonly #frames: FrameCache;
  /* The thread-local table of (chain, task) pairs -> site + 1 (the validator's fast path probes it too). */
  readonly local = new LocalChains();

  constructor(g: Graph, frames: FrameCache) {
    this.#g = g;
    this.#frames = frames;
  }

  acquisitionSite(): number {
    return 0;
  }

  prefetch(): void {
    this.#frames.frames();
  }

  trace(): number {
    return this.#g.stacks.putStack(this.#frames.frames());
  }

  siteId(): number {
    return this.#g.stacks.putStack([siteOf(this.#frames.frames())]);
  }

  chainSite(): number {
    return this.siteId();
  }

  lookupChain(c: ChainAttempt, v: ChainValidator): void {
    // The thread-local table first: a hit also gives this task's own acquisition site for the
    // chain, captured when the task first took it.
    const h = c.h;
    const d = c.d;
    const thi = taskChainHi(c.hi, c.task.pid, c.hl.hardirq && c.hl.hardirqThreaded);
    const site1 = this.local.lookup(thi, c.lo);
    if (site1 !== 0) {
      if (h.site[d] === 0) h.site[d] = site1 - 1;
      return;
    }
    c.miss = this.#g.chains.find(c.hi, c.lo);
    const site = c.miss >= 0 ? v.ownSite() : v.validate(c);
    if (h.site[d] === 0) h.site[d] = site;
    this.local.put(thi, c.lo, site);
  }

  irqsOn(_t: IrqTrace, _hardirq: boolean): void {
    /* No stamps without free sites. */
  }

  irqsOff(_hardirq: boolean): void {
    /* No stamps without free sites. */
  }

  currentToken(): number {
    return -1;
  }
}
