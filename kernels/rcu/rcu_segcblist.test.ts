/* Segmented callback lists: GP-tagged segments, acceleration, advance, ring wrap, migration drain. */
import { describe, expect, it } from 'vitest';
import { RCU_DONE_TAIL, RCU_NEXT_READY_TAIL, RCU_NEXT_TAIL, RCU_WAIT_TAIL, RcuSegCbList, rcu_segcblist_words } from './rcu_segcblist.js';

function list(cap = 8): RcuSegCbList {
  const i32 = new Int32Array(new SharedArrayBuffer(4 * (rcu_segcblist_words(cap) + 16)));
  return new RcuSegCbList(i32, 16, cap);
}

const args = (l: { arg: number }[]): number[] => l.map((e) => e.arg);

describe('RcuSegCbList', () => {
  it('new callbacks wait in NEXT until accelerated, then for their GP', () => {
    const l = list();
    l.enqueue(7, 1);
    l.enqueue(7, 2);
    expect(l.length()).toBe(2);
    expect(l.segempty(RCU_NEXT_TAIL)).toBe(false);
    expect(l.accelerate(12)).toBe(true);
    expect(l.segempty(RCU_WAIT_TAIL)).toBe(false);
    expect(l.gpSeq(RCU_WAIT_TAIL)).toBe(12);
    l.advance(9); // GP 2 still in progress
    expect(l.readyCbs()).toBe(false);
    l.advance(12);
    expect(l.readyCbs()).toBe(true);
    expect(args(l.extractDone())).toEqual([1, 2]);
    l.addLen(-2);
    expect(l.length()).toBe(0);
  });

  it('counts extracted callbacks until the caller has invoked them (->len, add_len)', () => {
    const l = list();
    for (const a of [1, 2, 3]) l.enqueue(7, a);
    l.accelerate(4);
    l.enqueue(7, 4); // waits in NEXT
    l.advance(4);
    const done = l.extractDone();
    expect(args(done)).toEqual([1, 2, 3]);
    // Taken off the segments, not yet invoked: rcu_barrier() must still see them.
    expect(l.readyCbs()).toBe(false);
    expect(l.length()).toBe(4);
    l.enqueue(7, 5); // an enqueue (a barrier's entrain) during the invocation counts on top
    expect(l.length()).toBe(5);
    l.addLen(-done.length); // rcu_segcblist_add_len(-count) after the invocation loop
    expect(l.length()).toBe(2);
    // The source side of a merge keeps its count until the merge zeroes it.
    expect(args(l.extractAll())).toEqual([4, 5]);
    expect(l.length()).toBe(2);
    l.setLen(0);
    expect(l.length()).toBe(0);
  });

  it('keeps segments for different GPs apart and merges same-GP requests', () => {
    const l = list();
    l.enqueue(1, 1);
    expect(l.accelerate(12)).toBe(true);
    l.enqueue(1, 2);
    expect(l.accelerate(12)).toBe(true); // joins the segment already waiting for 12
    expect(l.tail(RCU_WAIT_TAIL) - l.head()).toBe(2);
    l.enqueue(1, 3);
    expect(l.accelerate(16)).toBe(true);
    expect(l.gpSeq(RCU_WAIT_TAIL)).toBe(12);
    expect(l.gpSeq(RCU_NEXT_READY_TAIL)).toBe(16);
    l.advance(12);
    expect(args(l.extractDone())).toEqual([1, 2]);
    expect(l.segempty(RCU_DONE_TAIL)).toBe(true);
    // The 16 segment moved down to WAIT.
    expect(l.gpSeq(RCU_WAIT_TAIL)).toBe(16);
    l.advance(16);
    expect(args(l.extractDone())).toEqual([3]);
  });

  it('refuses callbacks beyond capacity and wraps its ring', () => {
    const l = list(4);
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < 4; k++) expect(l.enqueue(1, round * 10 + k)).toBe(true);
      expect(l.enqueue(1, 99)).toBe(false);
      l.accelerate(4 * (round + 1));
      l.advance(4 * (round + 1));
      expect(args(l.extractDone())).toEqual([0, 1, 2, 3].map((k) => round * 10 + k));
      l.addLen(-4);
    }
  });

  it('extractAll drains every segment in order (callback migration)', () => {
    const l = list();
    l.enqueue(1, 1);
    l.accelerate(12);
    l.enqueue(1, 2);
    l.accelerate(16);
    l.enqueue(1, 3);
    expect(args(l.extractAll())).toEqual([1, 2, 3]);
    l.setLen(0);
    expect(l.length()).toBe(0);
    expect(l.pendCbs()).toBe(false);
  });
});
