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
  /** The search ran past its budget (steps, memo bytes or deadline): neither verdict is proved. */
  | { readonly kind: 'unknown'; readonly reason: string };

export interface CheckOptions {
  /** Most search steps (linearization attempts) over the whole history; default 50 million. */
  readonly maxSteps?: number;
  /** Most bytes the search's memo may hold (each partition's in turn); default 256 MB. Past it: unknown. */
  readonly maxMemoBytes?: number;
  /** performance.now() past which the search gives up; default never. Past it: unknown. */
  readonly deadline?: number;
}

export const DEFAULT_MAX_STEPS = 50_000_000;
/** Most bytes a search's memo may hold unless the caller says otherwise. */
export const DEFAULT_MAX_MEMO_BYTES = 256 * 2 ** 20;

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

function defaultStateKey(s: unknown): string {
  return s === undefined ? 'undefined' : JSON.stringify(s);
}

/**
 * Bytes one memo entry is charged beyond its key's characters: the key string's header and its
 * slot in the Set (Node 20, 64-bit: about 50-60 bytes an entry for keys of a dozen characters).
 */
const MEMO_ENTRY_BYTES = 48;

/** Search steps spent and allowed, shared by the searches that draw on it; each search's memo and time are bounded too. */
export class Budget {
  steps = 0;
  readonly max: number;
  /** Most bytes one search's memo may hold (estimated: key characters + MEMO_ENTRY_BYTES an entry). */
  readonly maxMemoBytes: number;
  /** performance.now() past which a search gives up (Infinity: never). */
  readonly deadline: number;
  /** What the last search that ran out stopped on; null while none has. */
  exhausted: 'steps' | 'memo' | 'time' | null = null;
  constructor(max: number, maxMemoBytes: number = DEFAULT_MAX_MEMO_BYTES, deadline: number = Infinity) {
    this.max = max;
    this.maxMemoBytes = maxMemoBytes;
    this.deadline = deadline;
  }
  /** Why no verdict was reached, for the console. */
  reason(): string {
    if (this.exhausted === 'memo') {
      const mb = this.maxMemoBytes / 2 ** 20;
      return `the search's memo outgrew ${mb >= 1 ? `${Math.round(mb)} MB` : `${Math.round(this.maxMemoBytes / 1024)} KB`}`;
    }
    if (this.exhausted === 'time') return 'the search ran past its deadline';
    return `the search took more than ${this.max} steps`;
  }
}

/**
 * The memo's key for (linearized set, state): the state's number, then the lengths of the set's
 * alternating runs of members and non-members from operation 0 (the first run counts members and
 * may be 0) up to its last member, each a base-128 varint in one-byte characters. Exact: two
 * configurations with one key are the same configuration, so no collision can hide one (which
 * could turn a linearizable history into a false violation). Short: the search's sets are a long
 * run of finished operations, a window of overlapping ones, then nothing. The key it replaces (a
 * 64-bit hash beside a copy of the whole bitset) cost about 600 bytes a configuration at 4,000
 * operations, and ran a CPU's 512 MB heap out before the step budget on a loaded host.
 */
export function memoKey(bits: Uint32Array, stateId: number, codes: number[] = []): string {
  codes.length = 0;
  pushVarint(codes, stateId);
  let last = bits.length - 1;
  while (last >= 0 && bits[last] === 0) last--;
  let member = true;
  let run = 0;
  for (let w = 0; w <= last; w++) {
    const x = bits[w] as number;
    if (x === (member ? 0xffffffff : 0)) {
      run += 32;
      continue;
    }
    for (let b = 0; b < 32; b++) {
      if ((((x >>> b) & 1) === 1) === member) run++;
      else {
        pushVarint(codes, run);
        member = !member;
        run = 1;
      }
    }
  }
  // The last run is of members (trailing non-members are implied), unless the set is empty.
  if (member) pushVarint(codes, run);
  return String.fromCharCode.apply(null, codes);
}

function pushVarint(codes: number[], v: number): void {
  while (v >= 0x80) {
    codes.push(0x80 | (v & 0x7f));
    v >>>= 7;
  }
  codes.push(v);
}

/** The longest partial linearization the search reached: which ops, in order, and the state after them. */
export interface Deepest<S> {
  readonly order: readonly number[];
  readonly state: S;
}

type SingleResult<S> = { readonly ok: true } | { readonly ok: false; readonly deepest: Deepest<S> } | null;

/** How many steps pass between two looks at the clock. */
const CLOCK_STEPS = 4096;

/** Whether one partition's history is linearizable from `initial`; null when the budget ran out (`budget.exhausted` says which). */
function checkSingle<S>(ops: readonly HistoryOp[], spec: SequentialSpec<S>, budget: Budget, initial: S): SingleResult<S> {
  const n = ops.length;
  const head = makeEntries(ops);
  const bits = new Uint32Array(Math.ceil(n / 32));
  const key = spec.stateKey ?? defaultStateKey;
  // A number per distinct state (its key), so that a memo key names the state in a character or two.
  const stateIds = new Map<string, number>();
  // Every (linearized set, state) reached, by memoKey(): exact, so a configuration is never taken for another.
  const memo = new Set<string>();
  let memoBytes = 0;
  const codes: number[] = [];
  const stack: { entry: Entry; state: S }[] = [];
  let state = initial;
  let deepest: Deepest<S> = { order: [], state: initial };
  let deepestDepth = 0;
  let deepestDirty = false;
  let entry = head.next;
  while (head.next !== null) {
    if (entry === null) return null; // cannot happen: the list always ends in a return entry
    if (entry.isCall) {
      if (++budget.steps > budget.max) {
        budget.exhausted = 'steps';
        return null;
      }
      if (budget.steps % CLOCK_STEPS === 0 && performance.now() > budget.deadline) {
        budget.exhausted = 'time';
        return null;
      }
      const o = ops[entry.i] as HistoryOp;
      const [result, next] = spec.step(state, o.op, o.arg);
      if (o.ret === null || sameValue(result, o.result)) {
        const i = entry.i;
        const w = i >>> 5;
        const b = 1 << (i & 31);
        bits[w] = (bits[w] as number) | b;
        const sk = key(next);
        let sid = stateIds.get(sk);
        if (sid === undefined) {
          sid = stateIds.size;
          stateIds.set(sk, sid);
          memoBytes += sk.length + MEMO_ENTRY_BYTES;
        }
        const k = memoKey(bits, sid, codes);
        if (!memo.has(k)) {
          memo.add(k);
          memoBytes += k.length + MEMO_ENTRY_BYTES;
          if (memoBytes > budget.maxMemoBytes) {
            budget.exhausted = 'memo';
            return null;
          }
          stack.push({ entry, state });
          state = next;
          // A new deepest configuration is copied only when the search backs out of it (below):
          // copying the stack at every step would make a long clean history quadratic.
          if (stack.length > deepestDepth) {
            deepestDepth = stack.length;
            deepestDirty = true;
          }
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
      state = top.state;
      unlift(top.entry);
      entry = top.entry.next;
    }
  }
  return { ok: true };
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
  const budget = new Budget(options.maxSteps ?? DEFAULT_MAX_STEPS, options.maxMemoBytes, options.deadline);
  for (const p of partitions(ops, spec)) {
    const r = checkSingle(p.ops, spec, budget, spec.initial);
    if (r === null) return { kind: 'unknown', reason: budget.reason() };
    if (!r.ok) return { kind: 'violation', ops: p.ops, partition: p.key };
  }
  return { kind: 'ok' };
}

/**
 * One partition's search from `initial` (default: the spec's): linearizable, or not with the
 * longest partial linearization reached, or null when the budget ran out. The shrinker's tool.
 */
export function searchLinearization<S>(ops: readonly HistoryOp[], spec: SequentialSpec<S>, maxSteps: number | Budget = DEFAULT_MAX_STEPS, initial: S = spec.initial): SingleResult<S> {
  return checkSingle(ops, spec, typeof maxSteps === 'number' ? new Budget(maxSteps) : maxSteps, initial);
}
