/*
 * object_history.json, objecttorture's verdict in a scenario directory (written by the guest,
 * harness/torture/object_history.ts; read by the report's timeline and torture/test's verdict),
 * and object_calls.json (objecttorture.dump_history=1: every call). Fields are only ever added.
 */

/** One recorded call: who called what with which argument, what it returned, when (ns of the machine's clock). */
export interface RecordedCall {
  readonly id: number;
  readonly thread: number;
  readonly op: string;
  /** Absent: undefined. */
  readonly arg?: number | boolean | null;
  readonly result?: number | boolean | null;
  readonly call: number;
  /** null: pending (invoked, no response when the test ended). */
  readonly ret: number | null;
}

export interface ObjectCheckRecord {
  readonly object: string;
  readonly operations: number;
  readonly tasks: number;
  readonly verdict: 'linearizable' | 'violation' | 'unknown';
  readonly checkMs: number;
  /** For a violation: the state the minimal history starts from (JSON text). */
  readonly state?: string;
  /** How many operations were linearized before it (folded into `state`). */
  readonly folded?: number;
  /** False when the shrink's step budget ran out: the history is not linearizable but maybe not minimal. */
  readonly minimal?: boolean;
  /** The minimal history, and folded calls shown beside it for context (context: true). */
  readonly ops?: readonly (RecordedCall & { readonly context: boolean })[];
  /** With objecttorture.dump_history=1: the operations' names and the slots used (object_calls.json). */
  readonly dump?: { readonly opNames: readonly string[]; readonly slots: number };
}
