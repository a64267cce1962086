/*
 * The linearizability checker: Wing and Gong's search with Lowe's just-in-time linearization and
 * memoisation of visited (linearized set, state) pairs, and P-compositionality by the spec's
 * partition key: the algorithm of Porcupine (Athalye, github.com/anishathalye/porcupine), written
 * here for JavaScript histories.
 *
 * The history becomes a doubly linked list of call and return entries in time order. The search
 * walks it: at a call it tries to linearize that operation now (the spec's step must give the
 * observed result); a success lifts the call and its return out of the list and starts again at
 * the head; reaching a return entry means the operation it ends cannot be linearized later than
 * that, so the search backtracks (pops the last linearized operation and tries the next call
 * after it). A (linearized set, state) pair already visited cannot lead anywhere new and is
 * skipped: that memo is what keeps the search near linear on histories of well-behaved objects.
 *
 * Pending calls (invoked, no response when the history ended) are handled as Porcupine does: their
 * response is at infinity and any result is accepted, so the search may linearize them anywhere
 * after their invocation, including after everything (the call never took effect).
 *
 * Ties: a return and a call at the same instant count as concurrent (the call's entry sorts
 * first), which can only make more histories linearizable, never report a false violation.
 */

import { sameValue, type HistoryOp, type SequentialSpec } from './history.js';

export type CheckResult =
  | { readonly kind: 'ok' }
  /** `ops`: the partition's sub-history that is not linearizable; `partition`: its key (null: not partitioned). */
  | { readonly kind: 'violation'; readonly ops: readonly HistoryOp[]; readonly partition: string | null }
  /** The search ran past its step budget: neither verdict is proved. */
  | { readonly kind: 'unknown'; readonly reason: string };

export interface CheckOptions {
  /** Most search steps (linearization attempts) over the whole history; default 50 million. */
  readonly maxSteps?: number;
}

export const DEFAULT_MAX_STEPS = 50_000_000;

interface Entry {
  /** Index into the partition's op array. */
  readonly i: number;
  readonly isCall: boolean;
  readonly time: number;
  /** A call's return entry. */
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

/** The call/return entries of `ops` as a linked list after a sentinel head. */
function makeEntries(ops: readonly HistoryOp[]): Entry {
  const list: Entry[] = [];
  ops.forEach((o, i) => {
    const ret: Entry = { i, isCall: false, time: o.ret ?? Infinity, match: null, prev: null, next: null };
    list.push({ i, isCall: true, time: o.call, match: ret, prev: null, next: null }, ret);
  });
  list.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.i - b.i : a.isCall ? -1 : 1));
  const head: Entry = { i: -1, isCall: false, time: -Infinity, match: null, prev: null, next: null };
  let prev = head;
  for (const e of list) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }
  return head;
}

/** Take a call entry and its return out of the list. */
function lift(call: Entry): void {
  const ret = call.match as Entry;
  (call.prev as Entry).next = call.next;
  if (call.next !== null) call.next.prev = call.prev;
  (ret.prev as Entry).next = ret.next;
  if (ret.next !== null) ret.next.prev = ret.prev;
}

/** Put them back (the inverse of the last lift: the list is restored in stack order). */
function unlift(call: Entry): void {
  const ret = call.match as Entry;
  (ret.prev as Entry).next = ret;
  if (ret.next !== null) ret.next.prev = ret;
  (call.prev as Entry).next = call;
  if (call.next !== null) call.next.prev = call;
}

/** Per-operation random words whose XOR is the linearized set's hash (fixed: results repeat). */
function hashWords(n: number, seed: number): Uint32Array {
  const w = new Uint32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    // xorshift32
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    w[i] = x;
  }
  return w;
}

function defaultStateKey(s: unknown): string {
  return s === undefined ? 'undefined' : JSON.stringify(s);
}

/** Search steps spent and allowed, shared by the searches that draw on it. */
export class Budget {
  steps = 0;
  readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
}

/** The longest partial linearization the search reached: which ops, in order, and the state after them. */
export interface Deepest<S> {
  readonly order: readonly number[];
  readonly state: S;
}

type SingleResult<S> = { readonly ok: true } | { readonly ok: false; readonly deepest: Deepest<S> } | null;

/** Whether one partition's history is linearizable from `initial`; null when the budget ran out. */
function checkSingle<S>(ops: readonly HistoryOp[], spec: SequentialSpec<S>, budget: Budget, initial: S): SingleResult<S> {
  const n = ops.length;
  const head = makeEntries(ops);
  const words = Math.ceil(n / 32);
  const bits = new Uint32Array(words);
  const h1w = hashWords(n, 0x9e3779b9);
  const h2w = hashWords(n, 0x85ebca6b);
  let h1 = 0;
  let h2 = 0;
  const key = spec.stateKey ?? defaultStateKey;
  // (hash of the set, state key) -> the sets with that hash: compared whole, so a hash collision
  // never hides a configuration (which could turn a linearizable history into a false violation).
  const cache = new Map<string, Uint32Array[]>();
  const stack: { entry: Entry; state: S }[] = [];
  let state = initial;
  let deepest: Deepest<S> = { order: [], state: initial };
  let deepestDepth = 0;
  let deepestDirty = false;
  let entry = head.next;
  while (head.next !== null) {
    if (entry === null) return null; // cannot happen: the list always ends in a return entry
    if (entry.isCall) {
      if (++budget.steps > budget.max) return null;
      const o = ops[entry.i] as HistoryOp;
      const [result, next] = spec.step(state, o.op, o.arg);
      if (o.ret === null || sameValue(result, o.result)) {
        const i = entry.i;
        const w = i >>> 5;
        const b = 1 << (i & 31);
        bits[w] = (bits[w] as number) | b;
        const nh1 = (h1 ^ (h1w[i] as number)) >>> 0;
        const nh2 = (h2 ^ (h2w[i] as number)) >>> 0;
        const k = `${nh1}:${nh2}|${key(next)}`;
        const seen = cache.get(k);
        if (seen === undefined || !seen.some((s) => sameBits(s, bits))) {
          if (seen === undefined) cache.set(k, [bits.slice()]);
          else seen.push(bits.slice());
          stack.push({ entry, state });
          state = next;
          // A new deepest configuration is copied only when the search backs out of it (below):
          // copying the stack at every step would make a long clean history quadratic.
          if (stack.length > deepestDepth) {
            deepestDepth = stack.length;
            deepestDirty = true;
          }
          h1 = nh1;
          h2 = nh2;
          lift(entry);
          entry = head.next;
          continue;
        }
        bits[w] = (bits[w] as number) & ~b;
      }
      entry = entry.next;
    } else {
      if (deepestDirty && stack.length === deepestDepth) {
        deepest = { order: stack.map((f) => f.entry.i), state };
        deepestDirty = false;
      }
      const top = stack.pop();
      if (top === undefined) return { ok: false, deepest };
      const i = top.entry.i;
      bits[i >>> 5] = (bits[i >>> 5] as number) & ~(1 << (i & 31));
      h1 = (h1 ^ (h1w[i] as number)) >>> 0;
      h2 = (h2 ^ (h2w[i] as number)) >>> 0;
      state = top.state;
      unlift(top.entry);
      entry = top.entry.next;
    }
  }
  return { ok: true };
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The history split by the spec's partition key, in order of first appearance (one part without one). */
export function partitions<S>(ops: readonly HistoryOp[], spec: SequentialSpec<S>): { key: string | null; ops: HistoryOp[] }[] {
  const part = spec.partition;
  if (part === undefined) return [{ key: null, ops: [...ops] }];
  const byKey = new Map<string, HistoryOp[]>();
  for (const o of ops) {
    const k = String(part(o.op, o.arg));
    const l = byKey.get(k);
    if (l === undefined) byKey.set(k, [o]);
    else l.push(o);
  }
  return [...byKey].map(([key, l]) => ({ key, ops: l }));
}

/** checkLinearizable(): is `ops` linearizable with respect to `spec`? */
export function checkLinearizable<S>(ops: readonly HistoryOp[], spec: SequentialSpec<S>, options: CheckOptions = {}): CheckResult {
  const budget = new Budget(options.maxSteps ?? DEFAULT_MAX_STEPS);
  for (const p of partitions(ops, spec)) {
    const r = checkSingle(p.ops, spec, budget, spec.initial);
    if (r === null) return { kind: 'unknown', reason: `the search took more than ${budget.max} steps` };
    if (!r.ok) return { kind: 'violation', ops: p.ops, partition: p.key };
  }
  return { kind: 'ok' };
}

/**
 * One partition's search from `initial` (default: the spec's): linearizable, or not with the
 * longest partial linearization reached, or null when `maxSteps` ran out. The shrinker's tool.
 */
export function searchLinearization<S>(ops: readonly HistoryOp[], spec: SequentialSpec<S>, maxSteps: number | Budget = DEFAULT_MAX_STEPS, initial: S = spec.initial): SingleResult<S> {
  return checkSingle(ops, spec, typeof maxSteps === 'number' ? new Budget(maxSteps) : maxSteps, initial);
}
