/*
 * A violation made small enough to read: from a non-linearizable history (one partition), the
 * minimal sub-history that still is not linearizable, with the state it starts from.
 *
 * 1. Cut: the shortest prefix (calls in invocation order) that is still not linearizable, by
 *    bisection (hi is always a failing prefix, so the result fails whatever the bisection meets).
 * 2. Fold: the search's longest partial linearization of that prefix (Porcupine draws the same in
 *    its visualisation) becomes the starting state: those operations happened, in that order, and
 *    from the state they leave, the rest cannot be linearized (the search tried exactly that).
 *    Dropping operations below is done from that state, so a dequeue never loses the enqueue that
 *    explains its value (dropping it would make any history "non-linearizable" for a reason that
 *    is not the bug).
 * 3. Drop: operations of the rest are dropped, in halves, then quarters, ... then one by one
 *    (delta debugging), while the rest stays not linearizable from the folded state.
 *
 * The result is 1-minimal: dropping any one of its operations makes it linearizable from its
 * starting state. The folded operations are kept for context (the report draws the last ones).
 */

import { Budget, DEFAULT_MAX_MEMO_BYTES, searchLinearization } from './check.js';
import type { HistoryOp, SequentialSpec } from './history.js';

export interface MinimalViolation<S = unknown> {
  /** Operations linearized before the violation (in their linearization order), folded into `state`. */
  readonly before: readonly HistoryOp[];
  /** The state they leave: where `ops` start. */
  readonly state: S;
  /** The minimal operations not linearizable from `state`, by invocation. */
  readonly ops: readonly HistoryOp[];
  /** False when the shrink's step or time budget ran out before every drop was tried. */
  readonly minimal: boolean;
}

/** Steps of each shrink check: a candidate that needs more counts as linearizable (it is kept whole). */
const SHRINK_STEPS = 2_000_000;
/**
 * Steps of the whole shrink: past them, dropping stops and the history found so far is reported
 * (still not linearizable, maybe not minimal: `minimal` says which). Bounds the time a guest's
 * cleanup spends shrinking a history whose checks are all expensive.
 */
export const SHRINK_TOTAL_STEPS = 20_000_000;
/**
 * Wall-clock bound of the whole shrink, beside its steps: a guest shrinks in its cleanup, before the
 * driver's shutdown grace runs out, and on a loaded host 20 million steps can outlast that grace
 * (the guest was then killed and its finding lost). Past it the history found so far is reported.
 */
export const SHRINK_TOTAL_MS = 3_000;

/** The shrink's budget is spent: its steps or its deadline. */
function out(total: Budget): boolean {
  return total.steps >= total.max || performance.now() > total.deadline;
}

function byCall(a: HistoryOp, b: HistoryOp): number {
  return a.call - b.call || a.id - b.id;
}

/** Whether `ops` is proved not linearizable from `state` (out of budget: not proved). */
function fails<S>(ops: readonly HistoryOp[], spec: SequentialSpec<S>, state: S, total: Budget): boolean {
  if (out(total)) return false;
  const one = new Budget(Math.min(SHRINK_STEPS, total.max - total.steps), total.maxMemoBytes, total.deadline);
  const r = searchLinearization(ops, spec, one, state);
  total.steps += one.steps;
  return r !== null && !r.ok;
}

/** The shortest failing prefix by invocation order (`ops` itself fails). */
function cut<S>(ops: readonly HistoryOp[], spec: SequentialSpec<S>, total: Budget): HistoryOp[] {
  const sorted = [...ops].sort(byCall);
  let lo = 0;
  let hi = sorted.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (fails(sorted.slice(0, mid), spec, spec.initial, total)) hi = mid;
    else lo = mid;
  }
  return sorted.slice(0, hi);
}

/** Delta debugging: drop chunks, then single operations, while the rest still fails from `state`. */
function drop<S>(ops: readonly HistoryOp[], spec: SequentialSpec<S>, state: S, total: Budget): HistoryOp[] {
  let cur = [...ops];
  let chunk = Math.max(1, cur.length >>> 1);
  for (;;) {
    let dropped = false;
    for (let start = 0; start < cur.length; ) {
      const candidate = [...cur.slice(0, start), ...cur.slice(start + chunk)];
      if (candidate.length > 0 && fails(candidate, spec, state, total)) {
        cur = candidate;
        dropped = true;
      } else start += chunk;
    }
    if ((chunk === 1 && !dropped) || out(total)) return cur;
    if (!dropped) chunk = Math.max(1, chunk >>> 1);
  }
}

/**
 * minimalViolation(): the minimal non-linearizable sub-history of `ops` (one partition, known not
 * to be linearizable from `spec.initial`); null if it turns out linearizable within the budget.
 */
export function minimalViolation<S>(
  ops: readonly HistoryOp[],
  spec: SequentialSpec<S>,
  totalSteps: number = SHRINK_TOTAL_STEPS,
  totalMs: number = SHRINK_TOTAL_MS,
  maxMemoBytes: number = DEFAULT_MAX_MEMO_BYTES,
): MinimalViolation<S> | null {
  const total = new Budget(totalSteps, maxMemoBytes, performance.now() + totalMs);
  const prefix = cut(ops, spec, total);
  // The fold's search gets a deadline of its own: the cut may have spent the shrink's.
  const r = searchLinearization(prefix, spec, new Budget(SHRINK_STEPS, maxMemoBytes, performance.now() + totalMs));
  if (r === null || r.ok) return null;
  const folded = new Set(r.deepest.order);
  const before = r.deepest.order.map((i) => prefix[i] as HistoryOp);
  const rest = prefix.filter((_, i) => !folded.has(i));
  const minimalOps = drop(rest, spec, r.deepest.state, total).sort(byCall);
  return { before, state: r.deepest.state, ops: minimalOps, minimal: !out(total) };
}
