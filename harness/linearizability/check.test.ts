import { describe, expect, it } from 'vitest';
import { checkLinearizable, memoKey } from './check.js';
import type { HistoryOp, ObjectValue, SequentialSpec } from './history.js';
import { minimalViolation } from './shrink.js';
import { timelineText } from './timeline.js';

/** A FIFO queue of numbers: enqueue(x) -> true, dequeue() -> the head or null. */
const queue: SequentialSpec<readonly number[]> = {
  initial: [],
  step(s, op, arg) {
    if (op === 'enqueue') return [true, [...s, arg as number]];
    return s.length === 0 ? [null, s] : [s[0] as number, s.slice(1)];
  },
};

/** A register per key: put(k*100+v) -> true, get(k) -> v (0 initially); partitioned by key. */
const kv: SequentialSpec<number> = {
  initial: 0,
  step(s, op, arg) {
    return op === 'put' ? [true, (arg as number) % 100] : [s, s];
  },
  partition: (op, arg) => (op === 'put' ? Math.floor((arg as number) / 100) : (arg as number)),
};

let nextId = 0;
/** `op(thread, 'enqueue', 1, true, call, ret)`; ret null: pending. */
function op(thread: number, name: string, arg: ObjectValue, result: ObjectValue, call: number, ret: number | null): HistoryOp {
  return { id: nextId++, thread, op: name, arg, result, call, ret };
}

describe('checkLinearizable (hand-made histories)', () => {
  it('accepts a sequential history and concurrent ones that some order explains', () => {
    expect(checkLinearizable([op(0, 'enqueue', 1, true, 0, 1), op(0, 'dequeue', undefined, 1, 2, 3), op(0, 'dequeue', undefined, null, 4, 5)], queue).kind).toBe('ok');
    // Two overlapping enqueues, dequeued in the "wrong" invocation order: enqueue(2) took effect first.
    const h = [op(0, 'enqueue', 1, true, 0, 10), op(1, 'enqueue', 2, true, 1, 5), op(1, 'dequeue', undefined, 2, 11, 12), op(0, 'dequeue', undefined, 1, 13, 14)];
    expect(checkLinearizable(h, queue).kind).toBe('ok');
    // A dequeue overlapping an enqueue may see the queue empty.
    expect(checkLinearizable([op(0, 'enqueue', 1, true, 0, 10), op(1, 'dequeue', undefined, null, 2, 3)], queue).kind).toBe('ok');
  });

  it('rejects a lost element, a duplicate and an order inversion', () => {
    const lost = [op(0, 'enqueue', 1, true, 0, 1), op(1, 'enqueue', 2, true, 0, 1), op(0, 'dequeue', undefined, 1, 2, 3), op(1, 'dequeue', undefined, null, 4, 5)];
    expect(checkLinearizable(lost, queue).kind).toBe('violation');
    const dup = [op(0, 'enqueue', 7, true, 0, 1), op(0, 'dequeue', undefined, 7, 2, 3), op(1, 'dequeue', undefined, 7, 4, 5)];
    expect(checkLinearizable(dup, queue).kind).toBe('violation');
    // enqueue(1) completed before enqueue(2) began, yet 2 came out first.
    const inv = [op(0, 'enqueue', 1, true, 0, 1), op(1, 'enqueue', 2, true, 2, 3), op(0, 'dequeue', undefined, 2, 4, 5)];
    expect(checkLinearizable(inv, queue).kind).toBe('violation');
  });

  it('handles pending calls as Porcupine does: any result, anywhere after the invocation, or never', () => {
    // The pending enqueue(5) explains a dequeue of 5 that started after it was invoked...
    expect(checkLinearizable([op(0, 'enqueue', 5, undefined, 0, null), op(1, 'dequeue', undefined, 5, 3, 4)], queue).kind).toBe('ok');
    // ...and may never have taken effect.
    expect(checkLinearizable([op(0, 'enqueue', 5, undefined, 0, null), op(1, 'dequeue', undefined, null, 3, 4)], queue).kind).toBe('ok');
    // It cannot take effect before its invocation.
    expect(checkLinearizable([op(1, 'dequeue', undefined, 5, 0, 1), op(0, 'enqueue', 5, undefined, 3, null)], queue).kind).toBe('violation');
    // A pending dequeue cannot explain a second dequeue of one enqueued value.
    const h = [op(0, 'enqueue', 5, true, 0, 1), op(1, 'dequeue', undefined, undefined, 2, null), op(2, 'dequeue', undefined, 5, 3, 4), op(2, 'dequeue', undefined, 5, 5, 6)];
    expect(checkLinearizable(h, queue).kind).toBe('violation');
  });

  it('checks each partition alone (P-compositionality) and names the failing key', () => {
    const ok = [op(0, 'put', 101, true, 0, 1), op(1, 'put', 205, true, 0, 1), op(0, 'get', 1, 1, 2, 3), op(1, 'get', 2, 5, 2, 3)];
    expect(checkLinearizable(ok, kv).kind).toBe('ok');
    const bad = [op(0, 'put', 101, true, 0, 1), op(1, 'put', 205, true, 0, 1), op(0, 'get', 1, 1, 2, 3), op(1, 'get', 2, 1, 2, 3)];
    const r = checkLinearizable(bad, kv);
    expect(r.kind === 'violation' ? r.partition : null).toBe('2');
  });

  it('says unknown, not a verdict, when the search runs out of steps', () => {
    const h = Array.from({ length: 12 }, (_, i) => op(i, 'enqueue', i, true, 0, 100));
    expect(checkLinearizable([...h, op(0, 'dequeue', undefined, 99, 200, 201)], queue, { maxSteps: 50 }).kind).toBe('unknown');
  });

  it('says unknown when the memo outgrows its bytes or the search its deadline, where an unbounded search finds the violation', () => {
    // Eight overlapping enqueues and a dequeue of a value never enqueued: every order of every
    // subset is a state of its own (about 110,000 configurations) before the search gives up.
    const h = [...Array.from({ length: 8 }, (_, i) => op(i, 'enqueue', i, true, 0, 100)), op(0, 'dequeue', undefined, 99, 200, 201)];
    const memo = checkLinearizable(h, queue, { maxMemoBytes: 64 * 1024 });
    expect(memo).toEqual({ kind: 'unknown', reason: "the search's memo outgrew 64 KB" });
    const late = checkLinearizable(h, queue, { deadline: performance.now() - 1 });
    expect(late).toEqual({ kind: 'unknown', reason: 'the search ran past its deadline' });
    expect(checkLinearizable(h, queue).kind).toBe('violation');
  });

  it('agrees with a search without memo on random histories that cross the bitset words of the memo key', () => {
    // The memo key encodes the linearized set exactly (runs of members and non-members); a key
    // that took one set for another would skip a configuration and could report a violation
    // that is not there, or miss none. A plain exhaustive search is the referee.
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    let disagreements = 0;
    let violations = 0;
    for (let c = 0; c < 120; c++) {
      const h: HistoryOp[] = [];
      let t = 0;
      const model: number[] = [];
      // A sequential run of a real queue, so that the random part sits at any word offset.
      for (let i = 0, n = rand(70); i < n; i++, t += 2) {
        if (rand(2) === 0 || model.length === 0) {
          model.push(i);
          h.push(op(0, 'enqueue', i, true, t, t + 1));
        } else h.push(op(0, 'dequeue', undefined, model.shift() ?? null, t, t + 1));
      }
      // Then up to 6 overlapping calls with random intervals and results from a small domain.
      for (let i = 0, n = 2 + rand(5); i < n; i++) {
        const call = t + rand(10);
        const ret = rand(8) === 0 ? null : call + 1 + rand(10);
        if (rand(2) === 0) h.push(op(1 + rand(3), 'enqueue', 1000 + rand(3), ret === null ? undefined : true, call, ret));
        else h.push(op(1 + rand(3), 'dequeue', undefined, ret === null ? undefined : [null, model[0] ?? null, 1000, 1001, 1002][rand(5)] ?? null, call, ret));
      }
      const want = bruteForce(h, queue);
      const got = checkLinearizable(h, queue).kind;
      if ((got === 'ok') !== want) disagreements++;
      if (!want) violations++;
    }
    expect(disagreements).toBe(0);
    // The referee saw both verdicts plenty of times (the test is not vacuous).
    expect(violations).toBeGreaterThan(20);
    expect(violations).toBeLessThan(115);
  });
});

describe('memoKey', () => {
  it('names exactly one (set, state): the key decodes back to the set it was made from', () => {
    let seed = 777;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let c = 0; c < 3000; c++) {
      const n = 1 + rand(300);
      const bits = new Uint32Array(Math.ceil(n / 32));
      // Runs of random lengths (1 to 70: inside a word, to its edge, across one or two).
      for (let i = 0, member = rand(2) === 0; i < n; member = !member) {
        const len = 1 + rand(70);
        for (let j = i; j < Math.min(n, i + len); j++) if (member) bits[j >>> 5] = (bits[j >>> 5] as number) | (1 << (j & 31));
        i += len;
      }
      if (bits.every((w) => w === 0)) continue; // the search never keys an empty set
      const stateId = rand(100_000);
      const key = memoKey(bits, stateId);
      // Decode: varints; the first is the state, then run lengths from member.
      const nums: number[] = [];
      for (let i = 0, v = 0, shift = 0; i < key.length; i++) {
        const code = key.charCodeAt(i);
        expect(code).toBeLessThan(256); // one-byte characters: a flat one-byte string
        v += (code & 0x7f) * 2 ** shift;
        if (code < 0x80) {
          nums.push(v);
          v = 0;
          shift = 0;
        } else shift += 7;
      }
      expect(nums[0]).toBe(stateId);
      const back = new Uint32Array(bits.length);
      let pos = 0;
      nums.slice(1).forEach((run, k) => {
        if (k % 2 === 0) for (let j = pos; j < pos + run; j++) back[j >>> 5] = (back[j >>> 5] as number) | (1 << (j & 31));
        pos += run;
      });
      expect([...back]).toEqual([...bits]);
    }
  });
});

/** Is `ops` linearizable? Every order that respects real time, tried without memo (small histories only). */
function bruteForce<S>(ops: readonly HistoryOp[], spec: SequentialSpec<S>): boolean {
  const done = new Array<boolean>(ops.length).fill(false);
  const go = (state: S, left: number): boolean => {
    if (left === 0) return true;
    // A call may go next if no unlinearized call returned before it was invoked.
    let firstRet = Infinity;
    ops.forEach((o, i) => {
      if (!done[i] && o.ret !== null) firstRet = Math.min(firstRet, o.ret);
    });
    for (let i = 0; i < ops.length; i++) {
      const o = ops[i] as HistoryOp;
      if (done[i] || o.call > firstRet) continue;
      const [result, next] = spec.step(state, o.op, o.arg);
      if (o.ret !== null && JSON.stringify(result) !== JSON.stringify(o.result)) continue;
      done[i] = true;
      if (go(next, left - 1)) return true;
      done[i] = false;
    }
    // A pending call may also never take effect.
    for (let i = 0; i < ops.length; i++) {
      if (done[i] || (ops[i] as HistoryOp).ret !== null) continue;
      done[i] = true;
      const ok = go(state, left - 1);
      done[i] = false;
      if (ok) return true;
    }
    return false;
  };
  return go(spec.initial, ops.length);
}

describe('minimalViolation', () => {
  it('shrinks a long history with a lost element to the dequeue that found the queue empty, from the state the rest left', () => {
    const h: HistoryOp[] = [];
    let t = 0;
    for (let i = 0; i < 50; i++) {
      h.push(op(i % 3, 'enqueue', i, true, t, t + 1));
      h.push(op((i + 1) % 3, 'dequeue', undefined, i, t + 2, t + 3));
      t += 4;
    }
    h.push(op(0, 'enqueue', 100, true, t, t + 2), op(1, 'enqueue', 101, true, t + 1, t + 3));
    h.push(op(2, 'dequeue', undefined, 100, t + 4, t + 5), op(0, 'dequeue', undefined, null, t + 6, t + 7));
    for (let i = 0; i < 20; i++) h.push(op(1, 'enqueue', 200 + i, true, t + 10 + i, t + 10.5 + i));
    const r = checkLinearizable(h, queue);
    expect(r.kind).toBe('violation');
    const m = minimalViolation(h, queue);
    expect(m?.state).toEqual([101]);
    expect(m?.ops.map((o) => `${o.op}->${String(o.result)}`)).toEqual(['dequeue->null']);
    expect(m?.before.length).toBe(103);
  });

  it('stops shrinking when its step budget is spent, and says the history may not be minimal', () => {
    const h: HistoryOp[] = [];
    for (let i = 0; i < 40; i++) h.push(op(i % 2, 'enqueue', i, true, i * 2, i * 2 + 1));
    h.push(op(0, 'dequeue', undefined, 39, 100, 101));
    const full = minimalViolation(h, queue);
    expect(full?.minimal).toBe(true);
    const starved = minimalViolation(h, queue, 50);
    expect(starved?.minimal).toBe(false);
    expect(checkLinearizable(starved?.ops ?? [], { ...queue, initial: starved?.state ?? [] }).kind).toBe('violation');
  });

  it('stops shrinking when its time is spent (a guest shrinks before its shutdown grace ends), still a violation', () => {
    const h: HistoryOp[] = [];
    for (let i = 0; i < 40; i++) h.push(op(i % 2, 'enqueue', i, true, i * 2, i * 2 + 1));
    h.push(op(0, 'dequeue', undefined, 39, 100, 101));
    const late = minimalViolation(h, queue, undefined, -1);
    expect(late?.minimal).toBe(false);
    expect(checkLinearizable(late?.ops ?? [], { ...queue, initial: late?.state ?? [] }).kind).toBe('violation');
  });

  it('folds an order inversion into the state it leaves: the queue held [1, 2] and a dequeue gave 2', () => {
    const h = [op(0, 'enqueue', 1, true, 0, 1), op(1, 'enqueue', 2, true, 2, 3), op(0, 'dequeue', undefined, 2, 4, 5), op(1, 'dequeue', undefined, 1, 6, 7)];
    const m = minimalViolation(h, queue);
    expect(m).not.toBeNull();
    // The search's deepest: both enqueues in real-time order; from there dequeue() -> 2 cannot be.
    expect(m?.before.map((o) => o.arg)).toEqual([1, 2]);
    expect(m?.state).toEqual([1, 2]);
    expect(m?.ops.map((o) => `${o.op}->${String(o.result)}`)).toEqual(['dequeue->2']);
  });
});

describe('timelineText', () => {
  it('draws one column per thread, `|` while a call is open, pending calls at the end', () => {
    const h = [op(0, 'enqueue', 7, true, 0, 10), op(1, 'dequeue', undefined, null, 4, 20), op(2, 'enqueue', 8, undefined, 12, null)];
    expect(timelineText(h, { digits: 1 })).toEqual([
      '  time  task 0        task 1        task 2',
      '   0.0  enqueue(7) {',
      '   4.0  |             dequeue() {',
      '  10.0  } -> true     |',
      '  12.0                |             enqueue(8) {',
      '  20.0                } -> null     |',
      '        pending at the end: task 2 enqueue(8)',
    ]);
  });
});
