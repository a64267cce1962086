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

import { searchLinearization } from './check.js';
import type { HistoryOp, SequentialSpec } from './history.js';

export interface MinimalViolation<S = unknown> {
  /** Operations linearized before the violation (in their linearization order), folded into `state`. */
  readonly before: readonly HistoryOp[];
  /** The state they leave: where `ops` start. */
  readonly state: S;
  /** The minimal operations not linearizable from `state`, by invocation. */
  readonly ops: readonly HistoryOp[];
}

/** Steps of each shrink check: a candidate that needs more counts as linearizable (it is kept whole). */
const SHRINK_STEPS = 2_000_000;

function byCall(a: HistoryOp, b: HistoryOp): number {
  return a.call - b.call || a.id - b.id;
}

/** Whether `ops` is proved not linearizable from `state` (out of budget: not proved). */
function fails<S>(ops: readonly HistoryOp[], spec: SequentialSpec<S>, state: S): boolean {
  const r = searchLinearization(ops, spec, SHRINK_STEPS, state);
  return r !== null && !r.ok;
}

/** The shortest failing prefix by invocation order (`ops` itself fails). */
function cut<S>(ops: readonly HistoryOp[], spec: SequentialSpec<S>): HistoryOp[] {
  const sorted = [...ops].sort(byCall);
  let lo = 0;
  let hi = sorted.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (fails(sorted.slice(0, mid), spec, spec.initial)) hi = mid;
    else lo = mid;
  }
  return sorted.slice(0, hi);
}

/** Delta debugging: drop chunks, then single operations, while the rest still fails from `state`. */
function drop<S>(ops: readonly HistoryOp[], spec: SequentialSpec<S>, state: S): HistoryOp[] {
  let cur = [...ops];
  let chunk = Math.max(1, cur.length >>> 1);
  for (;;) {
    let dropped = false;
    for (let start = 0; start < cur.length; ) {
      const candidate = [...cur.slice(0, start), ...cur.slice(start + chunk)];
      if (candidate.length > 0 && fails(candidate, spec, state)) {
        cur = candidate;
        dropped = true;
      } else start += chunk;
    }
    if (chunk === 1 && !dropped) return cur;
    if (!dropped) chunk = Math.max(1, chunk >>> 1);
  }
}

/**
 * minimalViolation(): the minimal non-linearizable sub-history of `ops` (one partition, known not
 * to be linearizable from `spec.initial`); null if it turns out linearizable within the budget.
 */
export function minimalViolation<S>(ops: readonly HistoryOp[], spec: SequentialSpec<S>): MinimalViolation<S> | null {
  const prefix = cut(ops, spec);
  const r = searchLinearization(prefix, spec, SHRINK_STEPS);
  if (r === null || r.ok) return null;
  const folded = new Set(r.deepest.order);
  const before = r.deepest.order.map((i) => prefix[i] as HistoryOp);
  const rest = prefix.filter((_, i) => !folded.has(i));
  return { before, state: r.deepest.state, ops: drop(rest, spec, r.deepest.state).sort(byCall) };
}
