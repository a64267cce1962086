/*
 * The limits of a `torture lockdep` trace, in one table: what one line may hold (the reader's
 * limits: past them a line is malformed, `FILE:LINE: what is wrong`, exit 2) and the hard caps on
 * the validator's capacities (trace_check.ts sizes every capacity from the trace, up to these).
 *
 * Why limits at all: a trace is input, and input of any size and shape must get a verdict or a
 * one-line message, never a stack overflow or an allocation the machine cannot make. The reader's
 * limits bound the work and memory one line can cost (a 10 MB lock name, a line nested a million
 * levels deep); the capacity caps bound the validator's region. A trace that needs more than a cap
 * gets the kernel's own report (`BUG: MAX_LOCKDEP_KEYS too low!`, `turning off the locking
 * correctness validator.`) as its finding, as lockdep.c prints it when a table fills up.
 */

import { MAX_CLASS_IDS } from '../layout.js';

export interface TraceLimits {
  /** Bytes of one line, its newline excluded (leading and trailing blanks included). */
  readonly lineBytes: number;
  /** Characters of a task or lock name. */
  readonly nameChars: number;
  /** Characters of one frame of a `stack` (the kernel's KSYM_NAME_LEN); how many frames: the line's bytes say. */
  readonly frameChars: number;
  /** Nesting of a line: the event object is one level, a `stack` array two. */
  readonly depth: number;
  /** Events of a trace (the columns cost about 15 bytes an event). */
  readonly events: number;
  /** Lines of a trace (line numbers are Int32 in the columns). */
  readonly lines: number;
  /** Lock classes (MAX_LOCKDEP_KEYS): class ids fit 16 bits (layout.ts). */
  readonly keys: number;
  /** Dependencies (MAX_LOCKDEP_ENTRIES): 16M, 800 MB of region at most (touched only as used). */
  readonly entries: number;
  /** Lock chains (MAX_LOCKDEP_CHAINS): 32M, 512 MB of chain hash at most (touched only as used). */
  readonly chains: number;
}

export const TRACE_LIMITS: TraceLimits = {
  lineBytes: 1 << 20,
  nameChars: 1024,
  frameChars: 512,
  depth: 16,
  events: 1 << 28,
  lines: 0x7fffffff,
  keys: MAX_CLASS_IDS,
  entries: 1 << 24,
  chains: 1 << 25,
};

/** A count as the messages print it (thousands separated: limits are read at a glance). */
export function countText(n: number): string {
  return n.toLocaleString('en-US');
}
