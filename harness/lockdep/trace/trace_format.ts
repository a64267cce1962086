/*
 * The `torture lockdep` trace format as the checker holds it: the ops and lock types a trace may
 * name, the event codes and flags, and the columns (typed arrays) and tables a parsed trace is
 * made of. The format itself is described in the lockdep folder's README; the reader is
 * trace_parse.ts.
 */

import { LOCK_TYPES, type LockType } from '../../kapi.js';

/** The lock types a trace may name: kapi's LOCK_TYPES less the kernel-internal `rcu` and `user` maps. */
export type TraceType = Exclude<LockType, 'rcu' | 'user'>;
export const TRACE_TYPES: readonly TraceType[] = LOCK_TYPES.filter((t): t is TraceType => t !== 'rcu' && t !== 'user');
export const IRQ_OPS = ['hardirq_enter', 'hardirq_exit', 'softirq_enter', 'softirq_exit', 'irqs_disable', 'irqs_enable', 'bh_disable', 'bh_enable'] as const;
export type IrqOp = (typeof IRQ_OPS)[number];
/** Event codes: 0 acquire, 1 release, 2 + index in IRQ_OPS. */
export const OPS = ['acquire', 'release', ...IRQ_OPS] as const;
export type TraceOp = (typeof OPS)[number];
export const OP_ACQUIRE = 0;
export const OP_RELEASE = 1;
export const OP_HARDIRQ_ENTER = 2;
export const OP_HARDIRQ_EXIT = 3;
export const OP_SOFTIRQ_ENTER = 4;
export const OP_SOFTIRQ_EXIT = 5;
export const OP_IRQS_DISABLE = 6;
export const OP_IRQS_ENABLE = 7;
export const OP_BH_DISABLE = 8;
export const OP_BH_ENABLE = 9;

/** Event flags. */
export const F_READ = 1;
export const F_TRY = 2;

/** A typed array of `len` elements that starts with a copy of `a` (a column or table outgrew it). */
export function grownArray<T extends Uint8Array<ArrayBuffer> | Int8Array<ArrayBuffer> | Int32Array<ArrayBuffer>>(a: T, len: number): T {
  const x = new (a.constructor as new (n: number) => T)(len);
  x.set(a);
  return x;
}

/** The per-event columns of a trace: event i is op[i], task[i], ... */
export interface TraceColumns {
  readonly op: Uint8Array;
  readonly task: Int32Array;
  /** Lock name id; -1 for irq events. */
  readonly lock: Int32Array;
  /** Subclass 0..7; -1 for a release that names none. */
  readonly sub: Int8Array;
  readonly flags: Uint8Array;
  /** 1-based line number of the event. */
  readonly line: Int32Array;
}

/** The tables the columns index into. */
export interface TraceTables {
  /** The events that carry a `stack`. */
  readonly stacks: ReadonlyMap<number, readonly string[]>;
  readonly taskNames: readonly string[];
  readonly lockNames: readonly string[];
  /** The type of each lock name (from its first acquire); undefined for a lock only released. */
  readonly lockTypes: readonly (TraceType | undefined)[];
}

/** The events of one trace. */
export interface ParsedTrace extends TraceColumns, TraceTables {
  readonly file: string;
  readonly n: number;
  /** Capacity bounds for the validator, from the trace (see trace_check.ts). */
  readonly bounds: { readonly classes: number; readonly entries: number; readonly chains: number; readonly nameWords: number };
}

/** The fewest bytes an event line has: `{"op":"bh_enable","task":"t"}` and its newline. */
export const MIN_EVENT_BYTES = 27;

/** The events read so far (views into the reader's columns, valid until its next feed()). */
export interface TraceSoFar extends TraceColumns, TraceTables {
  readonly n: number;
}
