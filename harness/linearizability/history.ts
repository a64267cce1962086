/*
 * A concurrent history and the sequential specification it is judged against (Herlihy–Wing).
 * Pure data and types: the checker (check.ts), the shrinker (shrink.ts), the text timeline
 * (timeline.ts), the object torture module that records histories in a guest
 * (harness/object/) and the report all speak it.
 */

/** What an operation's argument and result may be: they cross threads in shared memory. */
export type ObjectValue = number | boolean | null | undefined;

/** One call of an operation: who called what, when it was invoked and when it responded. */
export interface HistoryOp {
  /** Index in the whole history (stable across sub-histories, so a minimal one names its calls). */
  readonly id: number;
  /** The calling task (a stress kthread of the guest, or a thread of a hand-made history). */
  readonly thread: number;
  readonly op: string;
  readonly arg: ObjectValue;
  /** The observed result; ignored for a pending call. */
  readonly result: ObjectValue;
  /** Invocation time (any unit, one clock for the whole history). */
  readonly call: number;
  /** Response time, or null for a pending call (invoked, no response when the history ended). */
  readonly ret: number | null;
}

/**
 * A sequential specification: a pure model of the object. `step` returns the result the
 * operation gives in `state` and the state after it; it must not modify `state`.
 */
export interface SequentialSpec<S = unknown> {
  readonly initial: S;
  step(state: S, op: string, arg: ObjectValue): readonly [ObjectValue, S];
  /**
   * P-compositionality (Horn and Kroening; Porcupine's Partition): the key of the independent
   * part an operation touches (a map's key). Each key's sub-history is checked alone, from
   * `initial`, so `step` must then model one key's object.
   */
  partition?(op: string, arg: ObjectValue): string | number;
  /** The memoisation key of a state (default: JSON.stringify). */
  stateKey?(state: S): string;
}

/** Whether two results are the same (results are primitives: NaN equals NaN, -0 equals 0). */
export function sameValue(a: ObjectValue, b: ObjectValue): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** `enqueue(3)` / `dequeue()`: how a call is written in text and in the report. */
export function callText(op: HistoryOp): string {
  return `${op.op}(${op.arg === undefined ? '' : showValue(op.arg)})`;
}

export function showValue(v: ObjectValue): string {
  return v === undefined ? 'undefined' : String(v);
}

/** `enqueue(3) -> true`, or `dequeue() -> (pending)`. */
export function opText(op: HistoryOp): string {
  return `${callText(op)} -> ${op.ret === null ? '(pending)' : showValue(op.result)}`;
}
