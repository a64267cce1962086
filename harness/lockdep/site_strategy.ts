/*
 * Where `at:` sites and saved stacks come from, chosen once when a validator is built (the
 * validator never asks which kind it has):
 *  - stack tokens (token_sites.ts): the trace checker, whose events carry their own call chains;
 *    every acquisition has its exact site for free, and each task keeps its irq event stamps;
 *  - stack captures (captured_sites.ts): guests and user programs, where a site costs a capture,
 *    so a site is taken once per (chain, task) pair and kept in a thread-local chain table.
 * The strategy also owns the chain cache in front of the shared chain hash, since what that cache
 * holds (a bit per one-lock chain, or a site per chain and task) follows from where sites come from.
 * The validator picks one (pickSites() in validator.ts).
 */

import type { LockdepTask } from './types.js';
import type { HeldLock, HeldLocks, IrqTrace } from './held_locks.js';

/**
 * A held-lock sequence the chain cache has not seen in this thread: what validate_chain() needs.
 * One record per validator, refilled by each acquisition (the hot path allocates nothing).
 */
export interface ChainAttempt {
  task: LockdepTask;
  h: HeldLocks;
  /** Depth of the new entry (its index in h). */
  d: number;
  /** The acquisition being validated. */
  hl: HeldLock;
  /** The first lock of its irq context: a chain of one, no dependency to add. */
  head: boolean;
  /** The chain key after the new entry. */
  hi: number;
  lo: number;
  /** irq context of the acquisition (held_locks.ts ctx). */
  ctx: number;
  /** The lock-free chain-hash look-up's result (negative: not found; chains.insert() takes it). */
  miss: number;
}

/** What a strategy asks of the validator when its chain cache misses. */
export interface ChainValidator {
  /** validate_chain() under the graph lock; the site id recorded for the chain. */
  validate(c: ChainAttempt): number;
  /** The chain is in the shared hash (another task validated it): this acquisition's site, under the graph lock. */
  ownSite(): number;
}

export interface SiteStrategy {
  /** h.site[] of a new acquisition: its own site, or 0 (then filled from its chain). */
  acquisitionSite(): number;
  /**
   * Take now what trace() and siteId() will need (a stack capture costs microseconds), before
   * the graph lock: every other CPU that needs the lock waits while it is held.
   */
  prefetch(): void;
  /** save_trace(): the current stack's id. Under the graph lock. */
  trace(): number;
  /** The current `at:` site's id. Under the graph lock. */
  siteId(): number;
  /** The site recorded for a chain when it is validated or found: 0 where entries carry their own. */
  chainSite(): number;
  /** The chain cache in front of the shared hash, and validation on a miss (`c` fully filled but `miss`). */
  lookupChain(c: ChainAttempt, v: ChainValidator): void;
  /** lockdep_hardirqs_on() / lockdep_softirqs_on(): stamp an off -> on transition of `t`, if stamps are kept. */
  irqsOn(t: IrqTrace, hardirq: boolean): void;
  /** lockdep_hardirqs_off() / lockdep_softirqs_off() of the current task, if stamps are kept. */
  irqsOff(hardirq: boolean): void;
  /** The current event's stack token for a finding, or -1 where there are none. */
  currentToken(): number;
}
