/*
 * The capacity bounds of a trace for the validator (trace_check.ts sizes the lockdep region from
 * them, so no capacity limit can be hit by a trace that was bounded whole).
 */

import { OP_ACQUIRE, OP_RELEASE, type ParsedTrace } from './trace_format.js';
import { MAX_LOCK_DEPTH } from '../layout.js';
import { TRACE_LIMITS } from './trace_limits.js';

/**
 * Capacity bounds of the first `n` events for the validator (trace_check.ts): classes used,
 * at most one new dependency per lock held and one new chain per acquisition (a release below the
 * top re-adds the locks above it: new chains and dependencies), arena words of the classes' names.
 */
export function traceBounds(n: number, op: Uint8Array, task: Int32Array, lock: Int32Array, sub: Int8Array, lockNames: readonly string[]): ParsedTrace['bounds'] {
  const held: (number[] | undefined)[] = [];
  const subsUsed = new Uint8Array(lockNames.length + 1);
  let classes = 0;
  let entries = 0;
  let chains = 0;
  let nameWords = 0;
  // A class's name goes to the arena when it is registered: only the first TRACE_LIMITS.keys can be.
  const countClass = (l: number, sb: number): void => {
    const used = subsUsed[l] ?? 0;
    if ((used & (1 << sb)) === 0) {
      subsUsed[l] = used | (1 << sb);
      if (classes < TRACE_LIMITS.keys) nameWords += 2 + (((lockNames[l] ?? '').length + 1) >> 1);
      classes++;
    }
  };
  for (let i = 0; i < n; i++) {
    const code = op[i] ?? 0;
    if (code !== OP_ACQUIRE && code !== OP_RELEASE) continue;
    const t = task[i] ?? 0;
    const l = lock[i] ?? 0;
    const sb = sub[i] ?? 0;
    let h = held[t];
    if (h === undefined) {
      h = [];
      held[t] = h;
    }
    if (code === OP_ACQUIRE) {
      entries += h.length;
      chains++;
      // The validator holds at most MAX_LOCK_DEPTH locks a task (past it: its report, and the lock
      // is not pushed); so is this stack, which keeps each release's search short whatever the trace.
      if (h.length < MAX_LOCK_DEPTH) h.push(l * 8 + sb);
      countClass(l, sb);
      continue;
    }
    let j = h.length - 1;
    while (j >= 0 && !((((h[j] ?? 0) / 8) | 0) === l && (sb < 0 || ((h[j] ?? 0) & 7) === sb))) j--;
    if (j >= 0) {
      const above = h.length - 1 - j;
      if (above > 0) {
        entries += above * (j + above);
        chains += above;
      }
      for (let k = j + 1; k < h.length; k++) h[k - 1] = h[k] ?? 0;
      h.pop();
    }
    countClass(l, sb < 0 ? 0 : sb);
  }
  return { classes, entries, chains, nameWords };
}
