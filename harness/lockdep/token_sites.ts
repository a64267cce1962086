/*
 * Sites from stack tokens (site_strategy.ts): the trace checker's events carry their call chains,
 * so each acquisition's `at:` is its own event, a saved stack is the token itself (nothing is
 * stored), and each task keeps the kernel's irqtrace_events stamps with their sites.
 *
 * The chain cache: one thread validates the trace, so there is no thread-local (chain, task)
 * table; the shared hash alone, and for a lock taken with nothing held (a chain of one, whose
 * validation only inserts it) a bit per (class, read, trylock, irq context).
 */

import type { Graph } from './graph.js';
import { heldLocksOf, type IrqTrace } from './held_locks.js';
import type { Layout } from './layout.js';
import type { ChainAttempt, ChainValidator, SiteStrategy } from './site_strategy.js';
import { externalStackId } from './stack_store.js';
import type { LockdepEnv } from './types.js';

export class TokenSites implements SiteStrategy {
  readonly #env: LockdepEnv;
  readonly #g: Graph;
  readonly #token: () => number;
  /* The one-lock chains (class, read, trylock, irq context) already in the hash. */
  readonly #headSeen: Uint8Array;

  constructor(env: LockdepEnv, g: Graph, lay: Layout, token: () => number) {
    this.#env = env;
    this.#g = g;
    this.#token = token;
    this.#headSeen = new Uint8Array(lay.maxKeys * 24);
  }

  acquisitionSite(): number {
    return externalStackId(this.#token());
  }

  prefetch(): void {
    /* A token costs nothing to take. */
  }

  trace(): number {
    return externalStackId(this.#token());
  }

  siteId(): number {
    return externalStackId(this.#token());
  }

  chainSite(): number {
    return 0;
  }

  lookupChain(c: ChainAttempt, v: ChainValidator): void {
    if (c.d === 0) {
      const hl = c.hl;
      const head1 = ((hl.cls * 3 + hl.read) * 2 + (hl.trylock ? 1 : 0)) * 4 + c.ctx;
      if (this.#headSeen[head1] === 1) return;
      this.#headSeen[head1] = 1;
    }
    c.miss = this.#g.chains.find(c.hi, c.lo);
    if (c.miss < 0) v.validate(c);
  }

  irqsOn(t: IrqTrace, hardirq: boolean): void {
    // An OFF -> ON transition is stamped; a redundant call is not.
    if (hardirq) {
      if (t.hardirqsEnabled) return;
      t.hardirqsEnabled = true;
      t.hardirqEnableSite = this.siteId();
      t.hardirqEnableEvent = ++t.events;
    } else {
      if (t.softirqsEnabled) return;
      t.softirqsEnabled = true;
      t.softirqEnableSite = this.siteId();
      t.softirqEnableEvent = ++t.events;
    }
  }

  irqsOff(hardirq: boolean): void {
    if (!this.#g.debugLocks()) return;
    const t = heldLocksOf(this.#env.current()).irq;
    if (hardirq) {
      if (!t.hardirqsEnabled) return;
      t.hardirqsEnabled = false;
      t.hardirqDisableSite = this.siteId();
      t.hardirqDisableEvent = ++t.events;
    } else {
      if (!t.softirqsEnabled) return;
      t.softirqsEnabled = false;
      t.softirqDisableSite = this.siteId();
      t.softirqDisableEvent = ++t.events;
    }
  }

  currentToken(): number {
    return this.#token();
  }
}
